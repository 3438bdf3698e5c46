// The environment of mk8s's long-running processes (control plane, node
// agents, and the split kubelet and proxy).
//
// MALLOC_ARENA_MAX=2: glibc gives each thread that mallocs its own arena
// (up to 8 per core), and each keeps the memory it grew to. A Node process
// has a dozen threads (libuv's pool, V8's workers); bench/footprint measured
// 10–14 MB of arenas per process after a round of 100 pods and 50 services,
// 2–5 MB with two arenas (docs/benchmarks.md). A value the caller set wins.

export function longRunningEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: '2', ...base };
}
