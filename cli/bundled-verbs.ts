// The kubectl commands dist/cli/mk8s.cjs (the one-file CLI, cli/bundle.ts)
// carries: the everyday read-and-nudge ones, each in cli/commands/<verb>.ts.
// Every other command is handed to dist/cli/main.js and its modules in dist/.
// The shorter this list, the less the one file costs to compile on each run.
export const bundledVerbs: readonly string[] = ['get', 'describe', 'logs', 'version', 'cluster-info', 'api-resources', 'scale', 'label', 'annotate'];
