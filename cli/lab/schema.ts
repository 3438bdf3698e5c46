// A lab's index.json, in the shape of Killercoda's scenario format
// (title, description, details.intro/steps/finish, backend), with mk8s'
// additions (a step's hint and solution, backend.nodes and .storage, timeouts). Pure:
// JSON in, a checked LabSpec out, or a LabError naming the file and field.

export interface LabStepSpec {
  title: string;
  /** Markdown file, relative to the lab folder. */
  text: string;
  /** Shell script: exit 0 when the step is done, else print what is still wrong. */
  verify: string;
  /** Shell script run before the step (Killercoda's `background`). */
  setup?: string;
  /** Markdown file. */
  hint?: string;
  /** Shell script that solves the step. */
  solution?: string;
}

export interface LabSpec {
  title: string;
  description: string;
  intro: { text: string; setup?: string };
  steps: LabStepSpec[];
  finish: { text: string };
  /** Nodes the lab needs. */
  nodes: number;
  /** Where the lab's API server must store (`mk8s up --storage etcd`); absent: either. */
  storage?: 'etcd';
  /** Seconds a script may run before it is stopped. */
  timeouts: { verify: number; setup: number; solution: number };
}

export class LabError extends Error {}

/** Killercoda's Kubernetes backends and the node counts they stand for. */
export const imageIdNodes: Record<string, number> = {
  'kubernetes-kubeadm-1node': 1,
  'kubernetes-kubeadm-2nodes': 2,
  'kubernetes-kubeadm-2nodes-ubuntu': 2,
};

export const defaultTimeouts = { verify: 60, setup: 300, solution: 300 };

type Json = unknown;

class Checker {
  constructor(private readonly file: string) {}

  fail(path: string, problem: string): never {
    throw new LabError(`${this.file}: ${path}: ${problem}`);
  }

  object(v: Json, path: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, `must be an object, not ${describe(v)}`);
    return v as Record<string, Json>;
  }

  string(v: Json, path: string): string {
    if (typeof v !== 'string' || v.trim() === '') this.fail(path, `must be a non-empty string, not ${describe(v)}`);
    return v;
  }

  optionalString(v: Json, path: string): string | undefined {
    return v === undefined ? undefined : this.string(v, path);
  }

  /** A file inside the lab folder: relative, no `..`. */
  file_(v: Json, path: string): string {
    const s = this.string(v, path);
    if (s.startsWith('/') || s.split(/[\\/]/).includes('..')) this.fail(path, `must name a file inside the lab folder, not "${s}"`);
    return s;
  }

  optionalFile(v: Json, path: string): string | undefined {
    return v === undefined ? undefined : this.file_(v, path);
  }

  positiveInt(v: Json, path: string, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) this.fail(path, `must be a whole number from 1 to ${max}, not ${describe(v)}`);
    return v;
  }
}

function describe(v: Json): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return v === '' ? 'an empty string' : `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Check a parsed index.json; `file` names it in errors. */
export function validateLab(doc: Json, file: string): LabSpec {
  const c: Checker = new Checker(file);
  const top = c.object(doc, '(top level)');
  const title = c.string(top.title, 'title');
  const description = top.description === undefined ? '' : c.string(top.description, 'description');
  const details = c.object(top.details, 'details');

  const introRaw = c.object(details.intro, 'details.intro');
  const intro = {
    text: c.file_(introRaw.text, 'details.intro.text'),
    setup: c.optionalFile(introRaw.setup ?? introRaw.background, introRaw.setup !== undefined ? 'details.intro.setup' : 'details.intro.background'),
  };

  const rawSteps = details.steps;
  if (!Array.isArray(rawSteps)) c.fail('details.steps', `must be a list of steps, not ${describe(rawSteps)}`);
  if (rawSteps.length === 0) c.fail('details.steps', 'must have at least one step');
  const steps = rawSteps.map((raw: Json, i: number): LabStepSpec => {
    const p = `details.steps[${i}]`;
    const s = c.object(raw, p);
    if (s.setup !== undefined && s.background !== undefined) c.fail(`${p}.setup`, 'give setup or background, not both');
    return {
      title: c.string(s.title, `${p}.title`),
      text: c.file_(s.text, `${p}.text`),
      verify: c.file_(s.verify, `${p}.verify`),
      setup: c.optionalFile(s.setup ?? s.background, s.setup !== undefined ? `${p}.setup` : `${p}.background`),
      hint: c.optionalFile(s.hint, `${p}.hint`),
      solution: c.optionalFile(s.solution, `${p}.solution`),
    };
  });

  const finishRaw = c.object(details.finish, 'details.finish');
  const finish = { text: c.file_(finishRaw.text, 'details.finish.text') };

  let nodes = 1;
  let storage: 'etcd' | undefined;
  if (top.backend !== undefined) {
    const b = c.object(top.backend, 'backend');
    if (b.storage !== undefined) {
      const v = c.string(b.storage, 'backend.storage');
      if (v !== 'etcd' && v !== 'level') c.fail('backend.storage', `"${v}" is not a storage mk8s knows (etcd, or level for either)`);
      if (v === 'etcd') storage = 'etcd';
    }
    if (b.nodes !== undefined) nodes = c.positiveInt(b.nodes, 'backend.nodes', 10);
    else if (b.imageid !== undefined) {
      const id = c.string(b.imageid, 'backend.imageid');
      if (!(id in imageIdNodes)) c.fail('backend.imageid', `"${id}" is not a Kubernetes backend mk8s knows (${Object.keys(imageIdNodes).join(', ')}); give backend.nodes instead`);
      nodes = imageIdNodes[id];
    }
  }

  const timeouts = { ...defaultTimeouts };
  if (top.timeouts !== undefined) {
    const t = c.object(top.timeouts, 'timeouts');
    for (const k of Object.keys(t)) {
      if (!Object.hasOwn(timeouts, k)) c.fail(`timeouts.${k}`, 'is not a timeout mk8s knows (verify, setup, solution)');
      timeouts[k as keyof typeof timeouts] = c.positiveInt(t[k], `timeouts.${k}`, 3600);
    }
  }

  return { title, description, intro, steps, finish, nodes, ...(storage ? { storage } : {}), timeouts };
}

/** Parse index.json text, naming the file and position on a syntax error. */
export function parseLabJson(text: string, file: string): LabSpec {
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new LabError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  return validateLab(doc, file);
}
