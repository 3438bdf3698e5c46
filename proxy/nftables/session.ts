// One long-lived `nft -i` for the small syncs of the nftables mode.
//
// Why: every `nft -f -` is a new process that loads nft's cache of the
// whole kernel ruleset before it can add one rule (at 10,000 services × 3
// endpoints: ~40,000 chains and 10,000 anonymous maps; `nft -f` of a
// one-service change took 250–420 ms on the 2-core machine). A process that
// stays keeps its cache; libnftables reloads it only when the kernel's
// ruleset generation moved. Our own commit moves it, so the reload would
// just move to the start of the next change, unless it happens between
// syncs: after each transaction the session runs a warm-up line that needs
// the same cache as a sync's commands and changes nothing (warmLine in
// render.ts), while nothing waits. The next change then finds the cache
// fresh and costs what the kernel's commit costs (measured in
// bench/proxy-modes; docs/proxy.md). Another program writing any nftables
// table (iptables-nft included) moves the generation too; the next change
// then reloads, as `nft -f` always does.
//
// The protocol: one line is one transaction (libnftables runs each line
// as one batch, atomic), followed by `describe ct state`, a command that
// touches no kernel state and prints a fixed text; what nft printed before
// that text is the transaction's output (stderr is merged into stdout so the
// order holds). `nft -i` reads stdin a byte at a time, so only lines up to
// `maxLine` go this way; anything longer, or not a plain script (comments
// mid-line, control characters), is for `nft -f -`. HOME=/dev/null keeps
// libedit from writing a history file. If we die, stdin closes and nft
// exits.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ExecResult } from '../apply.js';

/** What the nftables applier needs of a session (NftSession, or none: every write through `nft -f -`). */
export interface NftTransactions {
  /** Apply one transaction, or undefined when it cannot take this text (then use `nft -f -`). */
  apply(text: string): Promise<ExecResult> | undefined;
  /**
   * Run `line` (a no-op, see warmLine) when nothing else is waiting, to
   * reload nft's cache ahead of the next change. Resolves when it ran or was
   * dropped (a transaction came first: it reloads the cache itself).
   */
  warm(line: string): Promise<void>;
  close(): Promise<void>;
}

const SENTINEL = 'describe ct state';
/** The sentinel's output: a header, then the state names; `untracked` is the last. */
const REPLY = /ct expression, datatype ct_state[^\n]*\n(?:[^\n]*\n)*?[^\n]*\buntracked\b[^\n]*\n/;

/**
 * A transaction script → one line for `nft -i` (commands joined by `;`), or
 * undefined when it must go through `nft -f -`: longer than `max`, a `#`
 * or `\` outside a quoted string (a comment or continuation would swallow
 * the commands joined after it), or a character libedit might act on
 * (anything but printable ASCII). Pure.
 */
export function sessionLine(text: string, max: number): string | undefined {
  const cmds: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    if (!/^[\x20-\x7e]*$/.test(l)) return undefined;
    const unquoted = l.replace(/"[^"]*"/g, '');
    if (unquoted.includes('"') || unquoted.includes('#') || unquoted.includes('\\')) return undefined;
    cmds.push(l);
  }
  if (!cmds.length) return undefined;
  const line = cmds.join(' ; ');
  return line.length <= max ? line : undefined;
}

/** The output of the oldest command whose sentinel reply is complete in `buf`, and what follows it. Pure. */
export function takeReply(buf: string): { output: string; rest: string } | undefined {
  const m = REPLY.exec(buf);
  if (!m) return undefined;
  return { output: buf.slice(0, m.index), rest: buf.slice(m.index + m[0].length) };
}

/** nft reports a failed command (the whole line's batch is then not committed) with `Error:`. */
const failed = (output: string) => /(^|\n)Error:/.test(output);

export interface NftSessionOptions {
  /** Longest line sent (bytes); longer transactions go through `nft -f -`. */
  maxLine?: number;
  /** A transaction without an answer by then: nft is killed and the transaction reported failed. */
  timeoutMs?: number;
}

export class NftSession implements NftTransactions {
  private child: ChildProcessWithoutNullStreams | undefined;
  private buf = '';
  private waiting: ((r: ExecResult) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private warmPending: string | undefined;
  private closed = false;
  /** Failures that were not nft's answer (no reply, nft gone), in a row; at 3 the session gives up. */
  private broken = 0;
  private readonly maxLine: number;
  private readonly timeoutMs: number;
  /** Transactions applied through the session (tests, metrics). */
  transactions = 0;
  /** Warm-up lines run. */
  warmed = 0;

  /** `argv`: how to run nft (`['/usr/sbin/nft']`, or with a prefix such as `ip netns exec NS`); `-i` is added. */
  constructor(
    private readonly argv: string[],
    o: NftSessionOptions = {},
  ) {
    this.maxLine = o.maxLine ?? 64 * 1024;
    this.timeoutMs = o.timeoutMs ?? 20_000;
  }

  /** The nft process now (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  apply(text: string): Promise<ExecResult> | undefined {
    if (this.closed || this.broken >= 3) return undefined;
    const line = sessionLine(text, this.maxLine);
    if (line === undefined) return undefined;
    this.warmPending = undefined; // this transaction reloads the cache itself
    return this.enqueue(async () => {
      const r = await this.send(line);
      if (r.code === 0) this.transactions++;
      return r;
    });
  }

  warm(line: string): Promise<void> {
    if (this.closed || this.broken >= 3) return Promise.resolve();
    this.warmPending = line;
    return this.enqueue(async () => {
      const l = this.warmPending;
      this.warmPending = undefined;
      if (l === undefined) return;
      await this.send(l);
      this.warmed++;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.warmPending = undefined;
    await this.queue.catch(() => undefined);
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.stdin.end();
    const kill = setTimeout(() => c.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(kill);
  }

  private enqueue<T>(f: () => Promise<T>): Promise<T> {
    const p = this.queue.then(f);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private start(): ChildProcessWithoutNullStreams {
    // stderr into stdout, so an error is read before the sentinel's reply that follows it.
    const c = spawn('sh', ['-c', 'exec "$@" -i 2>&1', 'sh', ...this.argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, HOME: '/dev/null', TERM: 'dumb' },
    });
    this.buf = '';
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (d: string) => {
      if (this.child !== c) return; // a process given up on (timeout) may still answer
      this.buf += d;
      const reply = this.waiting && takeReply(this.buf);
      if (!reply) return;
      this.buf = reply.rest;
      const w = this.waiting!;
      this.waiting = undefined;
      w({ code: failed(reply.output) ? 1 : 0, stdout: '', stderr: reply.output });
    });
    c.stderr.on('data', () => undefined);
    c.stdin.on('error', () => undefined);
    const ended = (why: string) => {
      if (this.child !== c) return;
      this.child = undefined;
      const w = this.waiting;
      this.waiting = undefined;
      w?.({ code: 1, stdout: '', stderr: `nft -i ${why}${this.buf ? `: ${this.buf.trim()}` : ''}` });
    };
    c.on('error', (e) => ended(`could not start: ${e.message}`));
    c.on('close', (code, signal) => ended(`exited (${signal ?? code})`));
    return c;
  }

  private send(line: string): Promise<ExecResult> {
    const c = (this.child ??= this.start());
    return new Promise<ExecResult>((resolve) => {
      const timer = setTimeout(() => {
        if (this.waiting !== done) return;
        this.waiting = undefined;
        c.kill('SIGKILL'); // its answer may still come; a new process starts for the next line
        if (this.child === c) this.child = undefined;
        done({ code: 1, stdout: '', stderr: `nft -i: no answer within ${this.timeoutMs} ms` });
      }, this.timeoutMs);
      const done = (r: ExecResult) => {
        clearTimeout(timer);
        // nft's own answer (success or its error) means the session works; anything else counts against it.
        this.broken = r.code === 0 || failed(r.stderr) ? 0 : this.broken + 1;
        resolve(r);
      };
      this.waiting = done;
      c.stdin.write(`${line}\n${SENTINEL}\n`);
    });
  }
}
