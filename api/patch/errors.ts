// The one error type of the patch library. The API server maps it to a
// 422/400 response (as Kubernetes does for patches that do not apply); the
// CLI prints its message.

export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}
