// The Kubernetes version mk8s speaks, as `/version` and `mk8s version` report it.
export const mk8sVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-mk8s',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-01T00:00:00Z',
  goVersion: `node ${process.version}`,
  compiler: 'mk8s',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};
