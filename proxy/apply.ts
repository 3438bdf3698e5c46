// The applier: the one effectful edge of the iptables data path. It keeps
// what it last applied, writes only the difference with one atomic
// `iptables-restore --noflush`, does nothing when nothing changed, ensures
// the jumps from the built-in chains, checks cheaply that nobody flushed its
// tables, and on start takes over the chains a previous proxy left (so a
// restart has no traffic gap).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import type { Jump, Ruleset } from './rules/desired.js';
import { FullSyncBatches, groupsOf, isOurChain, jumpTarget, parseSave, renderCleanup, renderRestore, renderRestoreDirty, ruleCount, sameRules, type AppliedState, type ChainGroup } from './rules/render.js';
import type { DirtyChains } from './rules/incremental.js';
import { hookJumps, topLevelChains } from './rules/desired.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A command's input: the whole text, or pieces produced while the command
 * already reads (a full nftables sync computes its ruleset while `nft`
 * parses what came before).
 */
export type ExecInput = string | AsyncIterable<string>;

export type Exec = (cmd: string, args: string[], input?: ExecInput) => Promise<ExecResult>;

/** A started command: it runs once given its input (and may have been started before that is known: WarmExec). */
export interface Spawned {
  /** Give it its input (nothing: none) and wait for it to end. Once only. */
  run(input?: ExecInput): Promise<ExecResult>;
  /** Still waiting for its input (not ended, not failed to start). */
  alive(): boolean;
}

/** Start a command now; it reads its stdin when run() gives it. */
export function spawnCommand(cmd: string, args: string[]): Spawned {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let closed = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const result = new Promise<ExecResult>((resolve) => {
    child.on('error', (e) => {
      closed = true;
      resolve({ code: 127, stdout, stderr: stderr + e.message });
    });
    child.on('close', (code) => {
      closed = true;
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
  // A command that exits without reading its input (or never started) must not crash us.
  child.stdin.on('error', () => undefined);
  return {
    alive: () => !closed && child.exitCode === null && child.signalCode === null,
    run(input) {
      if (typeof input !== 'string' && input) void pump(child, input, () => closed, (e) => (stderr += `input: ${e.message}\n`));
      else child.stdin.end(input ?? '');
      return result;
    },
  };
}

export const execCommand: Exec = (cmd, args, input) => spawnCommand(cmd, args).run(input);

/**
 * Write pieces to a child's stdin as they come, waiting for the pipe when it
 * is full (so the producer and the command run at once). If producing fails,
 * the child is killed before its input ends: a command that acts on EOF
 * (nft -f -, iptables-restore) then does nothing.
 */
async function pump(child: ChildProcessWithoutNullStreams, pieces: AsyncIterable<string>, closed: () => boolean, fail: (e: Error) => void): Promise<void> {
  const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    for await (const piece of pieces) {
      if (closed()) return;
      if (!child.stdin.write(piece)) await Promise.race([once(child.stdin, 'drain'), gone]);
    }
    child.stdin.end();
  } catch (e) {
    fail(e as Error);
    child.kill('SIGKILL');
  }
}

/** Split an iptables rule into argv, honouring double quotes (comments). */
export function ruleArgs(rule: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rule))) out.push(m[1] ?? m[2]);
  return out;
}

function sameChains(a: AppliedState, b: Ruleset): boolean {
  for (const t of ['filter', 'nat'] as const) {
    if (a[t].size !== b[t].size) return false;
    for (const [c, rs] of b[t]) if (!sameRules(a[t].get(c), rs)) return false;
  }
  return true;
}

/**
 * The chains `intact()` reads back: the shared top-level ones (they hold a
 * rule per service port and get rule-level edits, so they must be exactly
 * what we believe) and the fixed plumbing. `iptables -S CHAIN` lists one
 * chain: ~10 ms, ~0.2 s for KUBE-SERVICES with 10,000 services.
 */
const checked: { table: 'filter' | 'nat'; chain: string }[] = (['filter', 'nat'] as const).flatMap((table) => topLevelChains[table].map((chain) => ({ table, chain })));

export interface SyncResult {
  changed: boolean;
  chainsWritten: number;
  rules: number;
  ms: number;
}

/** A full sync's read of the kernel (IptablesApplier.readKernel). */
export interface KernelRead {
  /** Our chains as the kernel holds them. */
  ours: AppliedState;
  /** The built-in chains' rules, `table/CHAIN` → rules. */
  builtins: Map<string, string[]>;
}

export class IptablesApplier {
  private applied: AppliedState | undefined;
  /** The built-in chains' rules from the last full sync's read (`table/CHAIN`), for the ensureJumps() after it. */
  private builtins: Map<string, string[]> | undefined;

  constructor(
    private readonly exec: Exec = execCommand,
    /** Chains per `iptables-restore --noflush` run when a full sync rewrites many (see FullSyncBatches). */
    private readonly maxChainsPerRestore = 500,
  ) {}

  /** What the last sync applied (undefined: unknown, the next sync reads the kernel and is full). */
  get state(): AppliedState | undefined {
    return this.applied;
  }

  /** Learn the chains a previous proxy left, so the first sync rewrites only what differs. */
  async takeOver(): Promise<number> {
    const res = await this.exec('iptables-save', []);
    if (res.code !== 0) throw new Error(`iptables-save failed: ${res.stderr.trim()}`);
    const existing = parseSave(res.stdout);
    for (const t of ['filter', 'nat'] as const) for (const c of [...existing[t].keys()]) if (!isOurChain(c)) existing[t].delete(c);
    const found = existing.filter.size + existing.nat.size;
    // Nothing of ours yet: the first sync writes whole tables (fast); otherwise only what differs.
    this.applied = found ? existing : undefined;
    return found;
  }

  /**
   * The jumps from the built-in chains into ours, added where missing. Reads
   * each built-in chain once with `iptables -S` (cheap at any scale; `-C`
   * costs ~0.2 s per call with 100k rules on iptables-nft); asks `-C` only
   * when the chain has a rule to the same target that is not spelled word
   * for word as ours; adds every missing jump with one `iptables-restore
   * --noflush` (built-in chains are not declared in it, so nothing is
   * flushed): a fresh node takes 7 commands, not 24.
   */
  async ensureJumps(jumps: Jump[] = hookJumps): Promise<number> {
    const keys = [...new Set(jumps.map((j) => `${j.table}/${j.chain}`))];
    // Right after a full sync's read, the built-in chains are known; otherwise each is listed.
    const known = this.builtins;
    this.builtins = undefined;
    const lists = await Promise.all(keys.map((k) => known?.get(k) ?? this.listRules(k.slice(0, k.indexOf('/')) as 'filter' | 'nat', k.slice(k.indexOf('/') + 1))));
    const listed = new Map(keys.map((k, i) => [k, lists[i] ?? []]));
    const missing: Jump[] = [];
    for (const j of jumps) {
      const rules = listed.get(`${j.table}/${j.chain}`)!;
      if (rules.includes(j.rule)) continue;
      if (rules.some((r) => jumpTarget(r) === jumpTarget(j.rule))) {
        const check = await this.exec('iptables', ['-w', '5', '-t', j.table, '-C', j.chain, ...ruleArgs(j.rule)]);
        if (check.code === 0) continue;
      }
      missing.push(j);
    }
    if (!missing.length) return 0;
    // As kube-proxy: prepend to the built-in chains, append to POSTROUTING.
    let text = '';
    for (const table of ['filter', 'nat'] as const) {
      const lines = missing.filter((j) => j.table === table).map((j) => (j.chain === 'POSTROUTING' ? `-A ${j.chain} ${j.rule}` : `-I ${j.chain} 1 ${j.rule}`));
      if (lines.length) text += [`*${table}`, ...lines, 'COMMIT'].join('\n') + '\n';
    }
    const add = await this.exec('iptables-restore', ['-w', '5', '--noflush'], text);
    if (add.code !== 0) throw new Error(`adding the jumps into our chains: ${add.stderr.trim()}`);
    return missing.length;
  }

  /**
   * Whether the kernel still holds what we applied, judged from the chains
   * every service touches (kube-proxy watches a canary chain for the same
   * purpose): false after `iptables -t nat -F`, a deleted table, a firewall
   * reload, or an old snapshot restored over ours. The caller then does a
   * full sync, since partial syncs edit those chains in place.
   */
  async intact(): Promise<boolean> {
    if (!this.applied) return false;
    for (const { table, chain } of checked) {
      const want = this.applied[table].get(chain);
      if (!want) return false;
      if (!sameRules(await this.listRules(table, chain), want)) return false;
    }
    return true;
  }

  /** One chain's rules as iptables-save spells them, without `-A CHAIN ` (undefined: no such chain). */
  private async listRules(table: 'filter' | 'nat', chain: string): Promise<string[] | undefined> {
    const res = await this.exec('iptables', ['-w', '5', '-t', table, '-S', chain]);
    if (res.code !== 0) return undefined;
    return res.stdout.split('\n').filter((l) => l.startsWith(`-A ${chain} `)).map((l) => l.slice(chain.length + 4));
  }

  /**
   * What a full sync reads first: our chains as the kernel holds them now
   * (foreign chains left out) and the built-in chains' rules. Started by the
   * backend before it computes the ruleset, so the two `iptables-save` runs
   * overlap that computation; handed to sync() as a promise.
   */
  readKernel(): Promise<KernelRead> {
    const read = (async () => {
      const [saved, savedNat] = await Promise.all([this.exec('iptables-save', ['-t', 'filter']), this.exec('iptables-save', ['-t', 'nat'])]);
      if (saved.code !== 0 || savedNat.code !== 0) throw new Error(`iptables-save failed: ${saved.stderr.trim()} ${savedNat.stderr.trim()}`);
      const ours = parseSave(saved.stdout + savedNat.stdout);
      const builtins = new Map<string, string[]>();
      for (const t of ['filter', 'nat'] as const) for (const [c, rs] of ours[t]) if (!isOurChain(c)) builtins.set(`${t}/${c}`, rs);
      for (const t of ['filter', 'nat'] as const) for (const c of [...ours[t].keys()]) if (!isOurChain(c)) ours[t].delete(c);
      return { ours, builtins };
    })();
    read.catch(() => undefined); // awaited by sync(); a caller that throws before then must not leave it unhandled
    return read;
  }

  /**
   * Apply `want`. A partial sync (`--noflush`) writes only the chains that
   * changed since the last sync. A full one (asked for, or when we don't know
   * what the kernel has) reads our chains back from the kernel and writes
   * those that differ from `want`, also with `--noflush`: as kube-proxy, it
   * never writes a chain that is not ours, so rules another program adds at
   * any moment (even between our read and our write) are never lost.
   */
  async sync(want: Ruleset, full = false, dirty?: DirtyChains): Promise<SyncResult> {
    const t0 = performance.now();
    this.builtins = undefined; // only this sync's own read may stand in for listing the built-in chains
    // A partial sync that knows which chains it touched diffs and writes only those (IncrementalRules).
    if (!full && this.applied && dirty) {
      const r = renderRestoreDirty(want, this.applied, dirty);
      if (!r.chainsWritten && !r.deleted) return { changed: false, chainsWritten: 0, rules: ruleCount(want), ms: performance.now() - t0 };
      const res = await this.exec('iptables-restore', ['-w', '5', '--noflush'], r.text);
      if (res.code !== 0) {
        this.applied = undefined;
        throw new Error(`iptables-restore failed: ${res.stderr.trim()}`);
      }
      for (const table of ['filter', 'nat'] as const) {
        for (const chain of dirty[table]) {
          const rs = want[table].get(chain);
          if (rs) this.applied[table].set(chain, rs);
          else this.applied[table].delete(chain);
        }
      }
      return { changed: true, chainsWritten: r.chainsWritten, rules: ruleCount(want), ms: performance.now() - t0 };
    }
    if (!full && this.applied && sameChains(this.applied, want)) {
      return { changed: false, chainsWritten: 0, rules: ruleCount(want), ms: performance.now() - t0 };
    }
    if (full || !this.applied) return this.syncFull(undefined, groupsOf(want), () => want);
    const r = renderRestore(want, this.applied);
    const res = await this.exec('iptables-restore', ['-w', '5', '--noflush'], r.text);
    if (res.code !== 0) {
      this.applied = undefined; // unknown state: the next sync reads the kernel and rewrites what differs
      throw new Error(`iptables-restore failed: ${res.stderr.trim()}`);
    }
    this.applied = { filter: new Map(want.filter), nat: new Map(want.nat) };
    return { changed: true, chainsWritten: r.chainsWritten, rules: ruleCount(want), ms: performance.now() - t0 };
  }

  /**
   * A full sync: read our chains from the kernel (`read`, when the caller
   * started it already), then write those that differ from the wanted ones
   * and delete the stale ones, with `--noflush` (as kube-proxy, never a
   * chain that is not ours, so rules another program adds at any moment —
   * even between our read and our write — are never lost). The per-service
   * chains come in `groups`, which may be computed as they are asked for
   * (IncrementalRules.rebuildLazily): each batch of them is written by its
   * own `iptables-restore` while the next is computed; `final()` gives the
   * complete ruleset once the groups are done, for the shared chains and the
   * deletions in the last run (FullSyncBatches).
   */
  async syncFull(read: Promise<KernelRead> | undefined, groups: Iterable<ChainGroup>, final: () => Ruleset): Promise<SyncResult> {
    const t0 = performance.now();
    this.applied = undefined; // unknown until the last run is in
    // Until the read is in, the groups computed meanwhile wait (what to write depends on what the kernel has).
    let batches: FullSyncBatches | undefined;
    const reading = (read ?? this.readKernel()).then((kernel) => {
      // The built-in chains came with the read: the ensureJumps() after this sync uses them instead of listing each.
      this.builtins = kernel.builtins;
      batches = new FullSyncBatches(kernel.ours, this.maxChainsPerRestore);
    });
    reading.catch(() => undefined); // awaited below
    const waiting: ChainGroup[] = [];
    const write = async (text: string) => {
      const res = await this.exec('iptables-restore', ['-w', '5', '--noflush'], text);
      if (res.code !== 0) throw new Error(`iptables-restore failed: ${res.stderr.trim()}`);
    };
    let inFlight: Promise<void> | undefined;
    let runs = 0;
    const offer = async (g: ChainGroup) => {
      const text = batches!.add(g);
      if (!text) return;
      await inFlight;
      inFlight = write(text);
      inFlight.catch(() => undefined); // awaited before the next run or at the end
      runs++;
    };
    let n = 0;
    try {
      for (const g of groups) {
        if (batches) await offer(g);
        else waiting.push(g);
        if (batches && waiting.length) for (const w of waiting.splice(0)) await offer(w);
        // Let the read come in, and a run in flight take its input and end, while the rest is computed.
        if ((inFlight || !batches) && ++n % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      await reading;
      for (const w of waiting.splice(0)) await offer(w);
      const want = final();
      const last = batches!.finish(want);
      await inFlight;
      if (last) {
        await write(last);
        runs++;
      }
      this.applied = { filter: new Map(want.filter), nat: new Map(want.nat) };
      return { changed: runs > 0, chainsWritten: batches!.chainsWritten, rules: ruleCount(want), ms: performance.now() - t0 };
    } catch (e) {
      await inFlight?.catch(() => undefined); // never leave a run behind
      throw e;
    }
  }

  /** Remove every chain and jump we own (mk8s proxy --cleanup, mk8s down). */
  async cleanup(): Promise<void> {
    for (const j of hookJumps) {
      const args = ruleArgs(j.rule);
      while ((await this.exec('iptables', ['-w', '5', '-t', j.table, '-D', j.chain, ...args])).code === 0) {
        // delete every copy
      }
    }
    const res = await this.exec('iptables-save', []);
    if (res.code !== 0) throw new Error(`iptables-save failed: ${res.stderr.trim()}`);
    const text = renderCleanup(parseSave(res.stdout));
    const r = await this.exec('iptables-restore', ['-w', '5', '--noflush'], text);
    if (r.code !== 0) throw new Error(`iptables-restore (cleanup) failed: ${r.stderr.trim()}`);
    this.applied = undefined;
  }
}
