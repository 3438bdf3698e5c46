// mk8s lab list | start ID | check | hint | solution [--run] | status |
// reset | run DIR: guided, self-checking labs (labs/<id>/, Killercoda's
// scenario shape) against the cluster of the kubeconfig. `start` brings a
// cluster with the lab's node count up when none answers (mk8s' own
// kubeconfig only). Colours and symbols only on a terminal.
import { spawn } from 'node:child_process';
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { findByKind } from '../../api/resources.js';
import { CliError } from '../errors.js';
import { defaultKubeconfigPath } from '../kubeconfig.js';
import { LabError } from '../lab/schema.js';
import { builtinLabsDir, findLab, listLabs, loadLab, LabSession, mainJs, readLabFile, type Lab } from '../lab/engine.js';
import { renderMarkdown } from '../lab/markdown.js';
import { progressMark } from '../lab/progress.js';

const flags: FlagSpec[] = [
  { name: 'run', type: 'bool', usage: 'With solution: run the solution script instead of printing it.' },
  { name: 'labs-dir', type: 'string', usage: 'Folder of labs (default: the labs that come with mk8s).' },
  { name: 'no-up', type: 'bool', usage: 'With start: never bring a cluster up; fail when none answers.' },
];

const usage = `lab (list | start ID | check | hint | solution [--run] | status | reset | run DIR) [flags]`;

interface Style {
  color: boolean;
  ok: string;
  fail: string;
  bold(s: string): string;
  dim(s: string): string;
}

function style(): Style {
  const color = !!process.stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return {
    color,
    ok: color ? '\x1b[32m✓\x1b[39m' : '✓',
    fail: color ? '\x1b[31m✗\x1b[39m' : '✗',
    bold: (s) => (color ? `\x1b[1m${s}\x1b[22m` : s),
    dim: (s) => (color ? `\x1b[2m${s}\x1b[22m` : s),
  };
}

function stepText(lab: Lab, i: number, st: Style): string {
  const step = lab.spec.steps[i];
  const head = st.bold(`Step ${i + 1}/${lab.spec.steps.length}: ${step.title}`);
  return `${head}\n\n${renderMarkdown(readLabFile(lab, step.text), st)}\n${st.dim('When you are done: mk8s lab check   (stuck? mk8s lab hint)')}\n`;
}

function finishText(lab: Lab, st: Style): string {
  return `${st.ok} ${st.bold(`${lab.spec.title}: every step done`)}\n\n${renderMarkdown(readLabFile(lab, lab.spec.finish.text), st)}`;
}

function session(ctx: Ctx): LabSession {
  const kubeconfig = ctx.flags.kubeconfig || defaultKubeconfigPath();
  return new LabSession({
    kubeconfig,
    client: () => ctx.client(),
    onOutput: (s) => ctx.out.write(s),
    onWarning: (m) => ctx.err.write(`warning: ${m}\n`),
  });
}

async function readyNodes(ctx: Ctx): Promise<number> {
  const client = await ctx.client();
  const nodes = (await client.list(findByKind('v1', 'Node')!)).items;
  return nodes.filter((n) => (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
}

/** A cluster for the lab: the one the kubeconfig names, or `mk8s up` when mk8s' own one is not running. */
async function ensureCluster(ctx: Ctx, lab: Lab): Promise<void> {
  let ready: number | undefined;
  try {
    ready = await readyNodes(ctx);
  } catch (e) {
    if (ctx.flags.kubeconfig || ctx.flags['no-up'] || process.env.KUBECONFIG) {
      throw new CliError(`error: the lab's cluster does not answer (${(e as Error).message})`);
    }
    const upArgs = ['up', '--nodes', String(lab.spec.nodes), ...(lab.spec.storage ? ['--storage', lab.spec.storage] : [])];
    ctx.out.write(`No cluster is running: bringing one up with ${lab.spec.nodes} node(s) (mk8s ${upArgs.join(' ')}) …\n`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [mainJs, ...upArgs], { stdio: 'inherit' });
      child.on('close', (c) => resolve(c ?? 1));
      child.on('error', () => resolve(1));
    });
    if (code !== 0) throw new CliError(`error: mk8s up failed (exit code ${code}); the lab needs a cluster`);
    ready = await readyNodes(ctx);
  }
  if (ready < lab.spec.nodes) {
    throw new CliError(
      `error: lab ${lab.id} needs ${lab.spec.nodes} Ready node(s); the cluster has ${ready}. ` + `Bring a bigger one up: mk8s down && mk8s up --nodes ${lab.spec.nodes}${lab.spec.storage ? ` --storage ${lab.spec.storage}` : ''}`,
    );
  }
  if (lab.spec.storage === 'etcd') {
    // An mk8s cluster says where it stores (cluster.json); another cluster is taken as it is, and the lab's checks will tell.
    const { stateByServer } = await import('../../cluster/state.js');
    const s = await stateByServer(await ctx.server());
    if (s && s.options.storage !== 'etcd') {
      throw new CliError(`error: lab ${lab.id} reads the API server's etcd, and cluster "${s.name}" stores in LevelDB. Bring one up on etcd: mk8s down && mk8s up --nodes ${lab.spec.nodes} --storage etcd`);
    }
  }
}

async function start(ctx: Ctx, lab: Lab, st: Style): Promise<number> {
  await ensureCluster(ctx, lab);
  const s = session(ctx);
  await s.start(lab);
  ctx.out.write(`${st.bold(lab.spec.title)}\n\n${renderMarkdown(readLabFile(lab, lab.spec.intro.text), st)}\n`);
  ctx.out.write(stepText(lab, 0, st));
  return 0;
}

async function run(ctx: Ctx): Promise<number> {
  const st = style();
  const [sub, ...rest] = ctx.args;
  const labsDir = ctx.flags['labs-dir'] || builtinLabsDir;
  const one = (what: string) => {
    if (rest.length !== 1) throw ctx.usageError(`mk8s lab ${sub} takes ${what}`);
    return rest[0];
  };
  const none = () => {
    if (rest.length) throw ctx.usageError(`mk8s lab ${sub} takes no arguments`);
  };
  try {
    switch (sub) {
      case undefined:
      case 'list': {
        none();
        const state = session(ctx).state();
        const rows = listLabs(labsDir).map((l) => {
          if (!l.lab) return [l.id, `(broken: ${l.error})`, '', ''];
          const p = state.labs[l.id];
          const n = l.lab.spec.steps.length;
          return [l.id, l.lab.spec.title, String(n), `${progressMark(p, n, st.color)} ${p ? `${p.done.length}/${n}` : ''}`.trimEnd()];
        });
        if (rows.length === 0) {
          ctx.out.write(`No labs in ${labsDir}\n`);
          return 0;
        }
        const head = ['ID', 'TITLE', 'STEPS', 'PROGRESS'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]].length)));
        const line = (r: string[]) => r.map((c, i) => (i < r.length - 1 ? c + ' '.repeat(widths[i] - [...c].length + 3) : c)).join('').trimEnd();
        ctx.out.write(`${[head, ...rows].map(line).join('\n')}\n`);
        return 0;
      }
      case 'start':
        return start(ctx, findLab(one('a lab ID (mk8s lab list shows them)'), labsDir), st);
      case 'run':
        return start(ctx, loadLab(one('a folder holding a lab (index.json)')), st);
      case 'check': {
        none();
        const s = session(ctx);
        const { lab } = s.current();
        const r = await s.check();
        if (!r.ok) {
          ctx.out.write(`${st.fail} Step ${r.step + 1} is not done yet: ${r.reason}\n${st.dim('A hint: mk8s lab hint')}\n`);
          return 1;
        }
        if (r.finished) {
          ctx.out.write(finishText(lab, st));
          return 0;
        }
        ctx.out.write(`${st.ok} Step ${r.step + 1} done: ${lab.spec.steps[r.step].title}\n\n${stepText(lab, r.next!, st)}`);
        return 0;
      }
      case 'hint': {
        none();
        const { lab, progress } = session(ctx).current();
        const step = lab.spec.steps[progress.step];
        if (!step) throw new LabError('the lab is finished: no hint needed');
        ctx.out.write(step.hint ? renderMarkdown(readLabFile(lab, step.hint), st) : `Step ${progress.step + 1} has no hint; mk8s lab solution shows the answer.\n`);
        return 0;
      }
      case 'solution': {
        none();
        const s = session(ctx);
        const { lab, progress } = s.current();
        const step = lab.spec.steps[progress.step];
        if (!step) throw new LabError('the lab is finished: nothing left to solve');
        if (!step.solution) throw new LabError(`step ${progress.step + 1} has no solution script`);
        if (!ctx.flags.run) {
          ctx.out.write(`${st.dim(`# Step ${progress.step + 1}: ${step.title} — the solution (mk8s lab solution --run runs it)`)}\n${readLabFile(lab, step.solution)}`);
          return 0;
        }
        const r = await s.solve();
        if (r.code !== 0) {
          ctx.err.write(`error: the solution failed${r.timedOut ? ' (timed out)' : ` (exit code ${r.code})`}\n`);
          return 1;
        }
        ctx.out.write(`${st.ok} Solution ran; now: mk8s lab check\n`);
        return 0;
      }
      case 'status': {
        none();
        const { lab, progress } = session(ctx).current();
        ctx.out.write(`${st.bold(lab.spec.title)} (${lab.id})\n`);
        lab.spec.steps.forEach((step, i) => {
          const mark = progress.done.includes(i) ? st.ok : i === progress.step ? '→' : '·';
          ctx.out.write(`  ${mark} ${i + 1}. ${step.title}\n`);
        });
        ctx.out.write(progress.step >= lab.spec.steps.length ? 'Finished.\n' : `\n${stepText(lab, progress.step, st)}`);
        return 0;
      }
      case 'reset': {
        none();
        const { lab, deleted } = await session(ctx).reset();
        ctx.out.write(`${st.ok} ${lab.spec.title}: removed ${deleted} object(s) the lab created; back at step 1\n\n${stepText(lab, 0, st)}`);
        return 0;
      }
      default:
        throw ctx.usageError(`unknown lab command "${sub}" (list, start, check, hint, solution, status, reset, run)`);
    }
  } catch (e) {
    if (e instanceof LabError) throw new CliError(`error: ${e.message}`);
    throw e;
  }
}

const cmd: Command = { use: usage, short: 'mk8s: guided, self-checking labs on Services', flags, run };
export default cmd;
