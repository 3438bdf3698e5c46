// The learner's progress, kept per lab in $MK8S_HOME/labs/progress.json
// (~/.mk8s, so it survives `mk8s down`/`up`): which lab is current, the
// step each lab is at, the steps done, and what existed in the cluster when
// the lab started (so `mk8s lab reset` removes exactly what came after).
// Parsing is pure and forgiving: a corrupt file is reported and replaced,
// never a crash. Writes are atomic (temp file + rename).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface LabProgress {
  /** Where the lab was loaded from (a built-in lab's folder or `mk8s lab run DIR`). */
  dir: string;
  /** Index of the current step; equal to the number of steps when the lab is finished. */
  step: number;
  /** Indexes of the steps whose check passed. */
  done: number[];
  startedAt: string;
  /** Keys (`plural/namespace/name/uid`) of the objects that existed when the lab started. */
  baseline?: string[];
}

export interface ProgressState {
  version: 1;
  current?: string;
  labs: Record<string, LabProgress>;
}

export const emptyProgress = (): ProgressState => ({ version: 1, labs: {} });

export function progressPath(): string {
  return join(process.env.MK8S_HOME ?? join(homedir(), '.mk8s'), 'labs', 'progress.json');
}

function isLabProgress(v: any): v is LabProgress {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.dir === 'string' &&
    Number.isInteger(v.step) &&
    v.step >= 0 &&
    Array.isArray(v.done) &&
    v.done.every((n: unknown) => Number.isInteger(n)) &&
    typeof v.startedAt === 'string' &&
    (v.baseline === undefined || (Array.isArray(v.baseline) && v.baseline.every((k: unknown) => typeof k === 'string')))
  );
}

/** Read a progress file's text: the state, and a warning when the text was not a valid progress file. */
export function parseProgress(text: string | undefined): { state: ProgressState; warning?: string } {
  if (text === undefined) return { state: emptyProgress() };
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { state: emptyProgress(), warning: `not valid JSON (${(e as Error).message})` };
  }
  if (typeof doc !== 'object' || doc === null || doc.version !== 1 || typeof doc.labs !== 'object' || doc.labs === null || Array.isArray(doc.labs)) {
    return { state: emptyProgress(), warning: 'not a progress file of this mk8s (version 1 with labs)' };
  }
  const state = emptyProgress();
  const bad: string[] = [];
  for (const [id, p] of Object.entries(doc.labs)) {
    if (isLabProgress(p)) state.labs[id] = p;
    else bad.push(id);
  }
  if (typeof doc.current === 'string' && state.labs[doc.current]) state.current = doc.current;
  return bad.length ? { state, warning: `dropped unreadable progress of ${bad.join(', ')}` } : { state };
}

export class ProgressStore {
  constructor(readonly path = progressPath()) {}

  /** The state; `onWarning` hears of a corrupt file, which is then replaced by what could be kept. */
  load(onWarning: (message: string) => void = () => undefined): ProgressState {
    let text: string | undefined;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') onWarning(`cannot read ${this.path}: ${(e as Error).message}`);
    }
    const { state, warning } = parseProgress(text);
    if (warning) {
      onWarning(`lab progress file ${this.path} was corrupt (${warning}); starting it afresh`);
      this.save(state);
    }
    return state;
  }

  save(state: ProgressState): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(tmp, this.path);
  }
}

/** One lab's marks as `mk8s lab list` shows them: ✓ finished, ◐ started, · not started. */
export function progressMark(p: LabProgress | undefined, steps: number, color: boolean): string {
  if (!p) return color ? '\x1b[2m·\x1b[22m' : '·';
  if (p.done.length >= steps) return color ? '\x1b[32m✓\x1b[39m' : '✓';
  return color ? '\x1b[33m◐\x1b[39m' : '◐';
}
