// Kubernetes' error model: every failure is a `kind: Status` object with a
// reason and an HTTP code. ApiError carries one; the apiserver sends it, the
// client rebuilds it from a response, and the CLI prints it as kubectl does.
import type { Status, StatusCause } from './types.js';
import type { ResourceType } from './resources.js';
import { qualifiedPlural } from './resources.js';

export class ApiError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? status.reason ?? 'error');
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason ?? '';
  }
}

export function statusFailure(
  code: number,
  reason: string,
  message: string,
  details?: Status['details'],
): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

function err(code: number, reason: string, message: string, details?: Status['details']): ApiError {
  return new ApiError(statusFailure(code, reason, message, details));
}

function resourceDetails(r: ResourceType, name: string): Status['details'] {
  return r.group ? { name, group: r.group, kind: r.plural } : { name, kind: r.plural };
}

export const errors = {
  notFound: (r: ResourceType, name: string) =>
    err(404, 'NotFound', `${qualifiedPlural(r)} "${name}" not found`, resourceDetails(r, name)),
  alreadyExists: (r: ResourceType, name: string) =>
    err(409, 'AlreadyExists', `${qualifiedPlural(r)} "${name}" already exists`, resourceDetails(r, name)),
  conflict: (r: ResourceType, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    err(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedPlural(r)} "${name}": ${why}`, resourceDetails(r, name)),
  /** 422 with one cause per field error, message formatted as apimachinery's NewInvalid. */
  invalid: (r: ResourceType, name: string, causes: FieldError[]) => {
    const msgs = causes.map((c) => `${c.field}: ${c.message}`);
    const joined = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
    const details: Status['details'] = {
      name,
      kind: r.kind,
      causes: causes.map((c): StatusCause => ({ reason: c.type, message: c.message, field: c.field })),
    };
    if (r.group) details.group = r.group;
    return err(422, 'Invalid', `${r.kind} "${name}" is invalid: ${joined}`, details);
  },
  badRequest: (message: string) => err(400, 'BadRequest', message),
  unauthorized: () => err(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (message: string) => err(403, 'Forbidden', message),
  methodNotAllowed: (message = 'the server does not allow this method on the requested resource') =>
    err(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => err(406, 'NotAcceptable', message),
  unsupportedMediaType: (contentType: string) =>
    err(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json (got ${contentType})`),
  /** A resourceVersion older than the watch window: clients relist (client-go's IsResourceExpired). */
  expired: (message: string) => err(410, 'Expired', message),
  gone: (message: string) => err(410, 'Gone', message),
  tooLarge: (message = 'the request is too large') => err(413, 'RequestEntityTooLarge', message),
  internal: (message: string) => err(500, 'InternalError', `Internal error occurred: ${message}`),
  serviceUnavailable: (message: string) => err(503, 'ServiceUnavailable', message),
  pathNotFound: () => err(404, 'NotFound', 'the server could not find the requested resource'),
};

/** One field validation error, as apimachinery's field.Error. */
export interface FieldError {
  /** FieldValueInvalid, FieldValueRequired, FieldValueDuplicate, FieldValueNotSupported, FieldValueForbidden, FieldValueTooLong */
  type: string;
  field: string;
  message: string;
}

const quote = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? 'null');

export const fieldErrors = {
  invalid: (field: string, value: unknown, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field,
    message: `Invalid value: ${quote(value)}: ${detail}`,
  }),
  required: (field: string, detail = ''): FieldError => ({
    type: 'FieldValueRequired',
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
  }),
  duplicate: (field: string, value: unknown): FieldError => ({
    type: 'FieldValueDuplicate',
    field,
    message: `Duplicate value: ${quote(value)}`,
  }),
  notSupported: (field: string, value: unknown, valid: string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${quote(value)}: supported values: ${valid.map((v) => `"${v}"`).join(', ')}`,
  }),
  forbidden: (field: string, detail: string): FieldError => ({
    type: 'FieldValueForbidden',
    field,
    message: `Forbidden: ${detail}`,
  }),
};

export function isApiError(e: unknown, reason?: string): e is ApiError {
  return e instanceof ApiError && (reason === undefined || e.reason === reason);
}
