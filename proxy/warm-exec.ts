// An Exec that has the next run of a command already started. A sync writes
// its rules through one `iptables-restore --noflush` or `nft -f -` that
// reads its input on stdin; starting that process is most of a small sync's
// cost when containers are starting: fork and exec then wait on the kernel,
// not on the CPU (renicing did not help; measured on the 2-core
// machine while 50 pods started: /bin/true took 24–473 ms to run; an
// iptables-restore started ahead answered a 2-chain change in a median of
// ~65 ms against ~200 ms started on demand; docs/proxy.md). So a command
// that was given input twice (the syncs' commands, not a one-off cleanup)
// is started again as soon as it ends, and waits on stdin for the next
// sync; a sync hands it its input. The waiting process
// has done nothing (both tools act only on what they read), and ending its
// stdin empty ends it having changed nothing: close() does that, and so
// does our own death (the pipe closes).
import { spawnCommand, type Exec, type ExecInput, type ExecResult, type Spawned } from './apply.js';

export class WarmExec {
  /** `cmd\0args…` → the process started for its next run. */
  private readonly ready = new Map<string, Spawned>();
  /** `cmd\0args…` → how often it was run with input. */
  private readonly uses = new Map<string, number>();
  private closed = false;
  /** Runs that used a process started ahead (tests, metrics). */
  hits = 0;

  readonly exec: Exec = (cmd: string, args: string[], input?: ExecInput): Promise<ExecResult> => {
    if (input === undefined) return spawnCommand(cmd, args).run();
    const key = [cmd, ...args].join('\0');
    const uses = (this.uses.get(key) ?? 0) + 1;
    this.uses.set(key, uses);
    let p = this.ready.get(key);
    this.ready.delete(key);
    if (p && p.alive()) this.hits++;
    else p = spawnCommand(cmd, args);
    const done = p.run(input);
    // The next one starts once this one is over (not beside it: it would compete for the same CPU).
    void done.then(() => {
      if (uses >= 2 && !this.closed && !this.ready.has(key)) this.ready.set(key, spawnCommand(cmd, args));
    });
    return done;
  };

  /** End the waiting processes (empty input: they change nothing) and wait for them. */
  async close(): Promise<void> {
    this.closed = true;
    const waiting = [...this.ready.values()];
    this.ready.clear();
    await Promise.all(waiting.map((p) => p.run('')));
  }
}
