// Errors printed as kubectl prints them (cmdutil.CheckErr and
// StandardErrorMessage): `Error from server (NotFound): …` for a Status,
// `The Service "x" is invalid: …` for a 422 with causes, `error: …` for the
// rest.
import { ApiError } from '../api/status.js';

/** An error whose message is printed as is (already in kubectl's words). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** `error: <msg>` as kubectl's fatal errors read. */
export function usageError(msg: string): CliError {
  return new CliError(`error: ${msg}`);
}

/** The causes of an Invalid Status as kubectl's MultilineError lays them out. */
function invalidMessage(e: ApiError): string {
  const d = e.status.details;
  const prefix = d?.kind ? `The ${d.kind} "${d.name ?? ''}" is invalid: ` : 'The request is invalid: ';
  const causes = (d?.causes ?? []).map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
  if (causes.length === 0) return `${prefix}${e.status.message ?? ''}`;
  if (causes.length === 1) return `${prefix}${causes[0]}`;
  return `${prefix}\n${causes.map((c) => `* ${c}`).join('\n')}`;
}

/** The text kubectl prints for an error (without the trailing newline). */
export function errorText(e: unknown): string {
  if (e instanceof CliError) return e.message;
  if (e instanceof ApiError) {
    if (e.reason === 'Invalid' && e.status.details?.causes?.length) return invalidMessage(e);
    if (e.reason === 'Unauthorized') return `error: You must be logged in to the server (${e.status.message ?? 'Unauthorized'})`;
    return e.reason ? `Error from server (${e.reason}): ${e.message}` : `Error from server: ${e.message}`;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ECONNREFUSED' || err?.code === 'ENOTFOUND' || err?.code === 'EHOSTUNREACH') {
    const addr = (err as any).address ? `${(err as any).address}:${(err as any).port}` : '';
    return `The connection to the server ${addr} was refused - did you specify the right host or port?`;
  }
  return `error: ${err instanceof Error ? err.message : String(e)}`;
}
