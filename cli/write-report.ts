// Reporting writes of objects from files (apply, create, delete -f): errors
// name the file as kubectl's do, and when some documents of a run failed
// the summary says exactly which were written and which were not.
import { ApiError } from '../api/status.js';
import type { Ctx } from './context.js';
import type { Manifest } from './manifests.js';
import { kindString } from './resolve.js';

export function dryRunSuffix(dryRun: string): string {
  return dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
}

/** `Error from server (AlreadyExists): error when creating "f.yaml": services "x" already exists`. */
export function wrapFileError(e: unknown, verb: string, source: string): unknown {
  if (!(e instanceof ApiError) || e.reason === 'Invalid') return e;
  return new ApiError({ ...e.status, message: `error when ${verb} "${source}": ${e.status.message ?? ''}` });
}

function describe(m: Manifest): string {
  return `${kindString(m.type)}/${m.obj.metadata?.name ?? ''} ("${m.source}" document ${m.doc})`;
}

/** After a run with failures among several objects: which were written, which not. */
export function reportPartial(ctx: Ctx, verb: string, done: Manifest[], failed: Manifest[]): void {
  if (failed.length === 0 || done.length + failed.length < 2) return;
  ctx.err.write(
    `error: ${done.length} of ${done.length + failed.length} objects ${verb}` +
      (done.length ? `: ${done.map(describe).join(', ')}` : '') +
      `; not ${verb}: ${failed.map(describe).join(', ')}\n`,
  );
}
