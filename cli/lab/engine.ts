// The lab engine, one for `mk8s lab` and the web page: finding and loading
// labs, and a learner's session — start (baseline + setup), check (verify,
// advance), hint, solution, status, reset — over the progress store and the
// lab's scripts. It returns results; printing is the caller's.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '../../client/http.js';
import { LabError, parseLabJson, type LabSpec, type LabStepSpec } from './schema.js';
import { ProgressStore, type LabProgress, type ProgressState } from './progress.js';
import { failureReason, runScript, scriptEnv, writeShims, type ScriptResult } from './scripts.js';
import { baselineMatches, leftovers, listLabObjects, resetTo, snapshot } from './reset.js';

/** The built-in labs: `labs/` at the top of the repository. */
export const builtinLabsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'labs');
/** This mk8s' CLI, for the `mk8s`/`kubectl` shims lab scripts run. */
export const mainJs = join(dirname(fileURLToPath(import.meta.url)), '..', 'main.js');

export interface Lab {
  /** The folder name for a built-in lab; `dir:<path>` for a lab run from a folder. */
  id: string;
  dir: string;
  spec: LabSpec;
}

/** Load and check a lab folder: index.json and every file it names. */
export function loadLab(dir: string, id?: string): Lab {
  const abs = resolve(dir);
  const index = join(abs, 'index.json');
  if (!existsSync(index)) throw new LabError(`${abs}: no index.json (a lab is a folder with index.json, as a Killercoda scenario)`);
  const spec = parseLabJson(readFileSync(index, 'utf8'), index);
  const named: [string, string | undefined][] = [
    ['details.intro.text', spec.intro.text],
    ['details.intro.setup', spec.intro.setup],
    ['details.finish.text', spec.finish.text],
    ...spec.steps.flatMap((s, i): [string, string | undefined][] => [
      [`details.steps[${i}].text`, s.text],
      [`details.steps[${i}].verify`, s.verify],
      [`details.steps[${i}].setup`, s.setup],
      [`details.steps[${i}].hint`, s.hint],
      [`details.steps[${i}].solution`, s.solution],
    ]),
  ];
  for (const [field, file] of named) {
    if (file !== undefined && !(existsSync(join(abs, file)) && statSync(join(abs, file)).isFile())) throw new LabError(`${index}: ${field}: file ${file} not found in ${abs}`);
  }
  return { id: id ?? `dir:${abs}`, dir: abs, spec };
}

export interface LabListing {
  id: string;
  lab?: Lab;
  error?: string;
}

/** The labs of a folder of labs, by id; a broken one is listed with its error. */
export function listLabs(labsDir = builtinLabsDir): LabListing[] {
  if (!existsSync(labsDir)) return [];
  return readdirSync(labsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(labsDir, d.name, 'index.json')))
    .map((d) => d.name)
    .sort()
    .map((id) => {
      try {
        return { id, lab: loadLab(join(labsDir, id), id) };
      } catch (e) {
        return { id, error: (e as Error).message };
      }
    });
}

/** A built-in lab by id, or a lab folder by path. */
export function findLab(idOrDir: string, labsDir = builtinLabsDir): Lab {
  if (/^[\w.-]+$/.test(idOrDir) && existsSync(join(labsDir, idOrDir, 'index.json'))) return loadLab(join(labsDir, idOrDir), idOrDir);
  if (idOrDir.startsWith('dir:')) return loadLab(idOrDir.slice(4));
  if (existsSync(join(idOrDir, 'index.json'))) return loadLab(idOrDir);
  const known = listLabs(labsDir).map((l) => l.id);
  throw new LabError(`no lab "${idOrDir}"${known.length ? ` (labs: ${known.join(', ')})` : ''}`);
}

export const readLabFile = (lab: Lab, file: string): string => readFileSync(join(lab.dir, file), 'utf8');

export type CheckResult =
  | { ok: true; step: number; finished: boolean; next?: number }
  | { ok: false; step: number; reason: string; result: ScriptResult };

export interface SessionOptions {
  kubeconfig: string;
  store?: ProgressStore;
  /** A client of the lab's cluster (for the baseline and reset). */
  client: () => Promise<Client>;
  env?: NodeJS.ProcessEnv;
  /** Where the command shims go (default: next to the progress file). */
  shimDir?: string;
  /** Output of scripts run for the learner (setup, solution --run). */
  onOutput?: (chunk: string) => void;
  onWarning?: (message: string) => void;
}

/** A learner's lab session: the progress store plus the lab cluster. */
export class LabSession {
  readonly store: ProgressStore;
  private readonly shimDir: string;

  constructor(private readonly o: SessionOptions) {
    this.store = o.store ?? new ProgressStore();
    this.shimDir = o.shimDir ?? join(dirname(this.store.path), 'bin');
  }

  state(): ProgressState {
    return this.store.load(this.o.onWarning);
  }

  /** The current lab and its progress, or an error saying how to start one. */
  current(): { lab: Lab; progress: LabProgress } {
    const s = this.state();
    const id = s.current;
    if (!id || !s.labs[id]) throw new LabError('no lab started: mk8s lab list, then mk8s lab start ID');
    const p = s.labs[id];
    return { lab: id.startsWith('dir:') ? loadLab(p.dir) : loadLab(p.dir, id), progress: p };
  }

  private env(lab: Lab): NodeJS.ProcessEnv {
    const base = this.o.env ?? process.env;
    const shims = writeShims(this.shimDir, mainJs, base.PATH);
    return scriptEnv(base, { kubeconfig: this.o.kubeconfig, shimDir: shims, labDir: lab.dir });
  }

  /** Run one of the lab's scripts. */
  run(lab: Lab, file: string, kind: 'verify' | 'setup' | 'solution', echo = false): Promise<ScriptResult> {
    return runScript(join(lab.dir, file), { cwd: lab.dir, env: this.env(lab), timeoutSeconds: lab.spec.timeouts[kind], onOutput: echo ? this.o.onOutput : undefined });
  }

  private async runSetup(lab: Lab, file: string | undefined, what: string): Promise<void> {
    if (!file) return;
    const r = await this.run(lab, file, 'setup', true);
    if (r.code !== 0) throw new LabError(`${what} failed${r.timedOut ? ` (stopped after ${lab.spec.timeouts.setup} s)` : ` (exit code ${r.code})`}: ${failureReason(r, lab.spec.timeouts.setup)}`);
  }

  /**
   * Start (or restart) a lab: record the baseline, run the intro's and the
   * first step's setup. Starting a lab again keeps the baseline it has, so
   * its objects never count as what was there before it.
   */
  async start(lab: Lab): Promise<LabProgress> {
    const s = this.state();
    const now = await listLabObjects(await this.o.client());
    const previous = s.labs[lab.id]?.baseline;
    const baseline = previous && baselineMatches(new Set(previous), now) ? previous : now.map((r) => r.key);
    const p: LabProgress = { dir: lab.dir, step: 0, done: [], startedAt: new Date().toISOString(), baseline };
    s.labs[lab.id] = p;
    s.current = lab.id;
    this.store.save(s);
    await this.runSetup(lab, lab.spec.intro.setup, 'the lab\'s setup');
    await this.runSetup(lab, lab.spec.steps[0].setup, `step 1's setup`);
    return p;
  }

  step(lab: Lab, i: number): LabStepSpec | undefined {
    return lab.spec.steps[i];
  }

  /**
   * Run the current step's verify; on success run the next step's setup and
   * only then move on (a setup that fails leaves the learner on this step, and
   * the next check runs it again).
   */
  async check(): Promise<CheckResult> {
    const { lab, progress } = this.current();
    const i = progress.step;
    const step = lab.spec.steps[i];
    if (!step) return { ok: true, step: i, finished: true };
    const r = await this.run(lab, step.verify, 'verify');
    if (r.code !== 0 || r.timedOut) return { ok: false, step: i, reason: failureReason(r, lab.spec.timeouts.verify), result: r };
    const next = i + 1;
    const finished = next >= lab.spec.steps.length;
    if (!finished) await this.runSetup(lab, lab.spec.steps[next].setup, `step ${next + 1}'s setup`);
    const s = this.state();
    const p = s.labs[lab.id];
    if (!p || p.startedAt !== progress.startedAt) throw new LabError('the lab was reset or started again meanwhile: mk8s lab status');
    if (!p.done.includes(i)) p.done.push(i);
    p.done.sort((a, b) => a - b);
    p.step = next;
    this.store.save(s);
    return { ok: true, step: i, finished, next: finished ? undefined : next };
  }

  /** Run the current step's solution for the learner. */
  async solve(): Promise<ScriptResult> {
    const { lab, progress } = this.current();
    const step = lab.spec.steps[progress.step];
    if (!step) throw new LabError('the lab is finished: nothing left to solve');
    if (!step.solution) throw new LabError(`step ${progress.step + 1} has no solution script`);
    return this.run(lab, step.solution, 'solution', true);
  }

  /** Remove what the lab created and go back to its start (the intro's and first step's setup run again). */
  async reset(): Promise<{ lab: Lab; deleted: number }> {
    const { lab, progress } = this.current();
    const client = await this.o.client();
    let baseline = new Set(progress.baseline ?? []);
    if (!progress.baseline || !baselineMatches(baseline, await listLabObjects(client))) {
      // Another cluster than the one the lab started on (mk8s down/up): what the lab made there is gone.
      this.o.onWarning?.('the cluster is not the one this lab started on: nothing of the lab to remove; the lab starts again from here');
      baseline = new Set(await snapshot(client));
    }
    const deleted = await resetTo(client, baseline);
    const s = this.state();
    s.labs[lab.id] = { ...s.labs[lab.id], step: 0, done: [], startedAt: new Date().toISOString(), baseline: [...baseline] };
    this.store.save(s);
    await this.runSetup(lab, lab.spec.intro.setup, 'the lab\'s setup');
    await this.runSetup(lab, lab.spec.steps[0].setup, `step 1's setup`);
    return { lab, deleted };
  }

  /** What the lab has created so far (for status and tests). */
  async created(): Promise<string[]> {
    const { progress } = this.current();
    const left = await leftovers(await this.o.client(), new Set(progress.baseline ?? []));
    return left.map((r) => `${r.type.plural}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`);
  }
}
