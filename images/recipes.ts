// What each built-in image is made of. Every image is FROM scratch: the
// host's static busybox with all its applets, the folders under
// images/rootfs/ named in `layers`, and some of the host's programs (curl;
// dig and friends in the toolbox) with their shared libraries. images/build.ts turns a recipe into
// an image with `docker import`, no registry involved.

import { BUILTIN_IMAGES, type BuiltinImageName } from './aliases.js';

/** A host program copied into an image, with the shared libraries it needs. */
export interface HostProgram {
  /** Where it is on the host, and where it goes in the image. */
  path: string;
  /** The Debian package that provides it, for the error when it is missing. */
  debianPackage: string;
}

export interface ImageRecipe {
  name: BuiltinImageName;
  ref: string;
  description: string;
  /** Folders under images/rootfs/, copied in order (later ones win). */
  layers: string[];
  hostPrograms: HostProgram[];
  /** Extra symbolic links: path in the image -> target. */
  symlinks: Record<string, string>;
  /** The image's CMD (no ENTRYPOINT, so a pod's `args` replace it, as with busybox). */
  cmd: string[];
  expose: string[];
  env: Record<string, string>;
}

export const BUSYBOX_PATH = '/bin/busybox';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// Real curl in every image a learner may exec into: tutorials run
// `kubectl exec <nginx pod> -- curl -s http://<pod IP>` (the nginx image has curl).
const CURL: HostProgram = { path: '/usr/bin/curl', debianPackage: 'curl' };

export const RECIPES: Readonly<Record<BuiltinImageName, ImageRecipe>> = {
  pause: {
    name: 'pause',
    ref: BUILTIN_IMAGES.pause,
    description: "the pod sandbox: holds the pod's namespaces, sleeps until SIGTERM",
    layers: ['common'],
    hostPrograms: [],
    symlinks: { '/pause': '/usr/lib/mk8s/idle' },
    cmd: ['/pause'],
    expose: [],
    env: { PATH },
  },
  'hello-from': {
    name: 'hello-from',
    ref: BUILTIN_IMAGES['hello-from'],
    description: 'stand-in for pbitty/hello-from: "Hello from <pod> (<pod IP>)" on port 80',
    layers: ['common', 'http', 'hello-from'],
    hostPrograms: [CURL],
    symlinks: {},
    cmd: ['/usr/bin/hello-from'],
    expose: ['80/tcp'],
    env: { PATH },
  },
  'echo-server': {
    name: 'echo-server',
    ref: BUILTIN_IMAGES['echo-server'],
    description: 'stand-in for kicbase/echo-server: echoes the request on port 8080',
    layers: ['common', 'http', 'echo-server'],
    hostPrograms: [CURL],
    symlinks: {},
    cmd: ['/usr/bin/echo-server'],
    expose: ['8080/tcp'],
    env: { PATH, PORT: '8080' },
  },
  'nginx-like': {
    name: 'nginx-like',
    ref: BUILTIN_IMAGES['nginx-like'],
    description: "stand-in for nginx: serves /usr/share/nginx/html (nginx's welcome page) on port 80",
    layers: ['common', 'http', 'nginx-like'],
    hostPrograms: [CURL],
    symlinks: {},
    cmd: ['/usr/bin/nginx-like'],
    expose: ['80/tcp'],
    env: { PATH },
  },
  toolbox: {
    name: 'toolbox',
    ref: BUILTIN_IMAGES.toolbox,
    description: 'stand-in for busybox, alpine, curl and dnsutils images: sh, curl, dig, nslookup, nc, ip, ping, wget',
    layers: ['common'],
    hostPrograms: [
      CURL,
      { path: '/usr/bin/dig', debianPackage: 'dnsutils' },
      // BIND's nslookup and host, not busybox's: they honour resolv.conf's
      // search list and ndots as a pod's resolver does (busybox's nslookup
      // does not search names with a dot, so `nslookup my-svc.my-ns` fails).
      // busybox's stays reachable as `busybox nslookup`.
      { path: '/usr/bin/nslookup', debianPackage: 'dnsutils' },
      { path: '/usr/bin/host', debianPackage: 'dnsutils' },
      // Debian's busybox sh runs its own applets before PATH, so inside `sh` the
      // busybox nslookup would shadow BIND's: the toolbox's /bin/sh is dash.
      { path: '/usr/bin/dash', debianPackage: 'dash' },
    ],
    symlinks: { '/bin/sh': '/usr/bin/dash' },
    cmd: ['/usr/lib/mk8s/idle'],
    expose: [],
    env: { PATH },
  },
};

/** `docker import --change` instructions for a recipe (the hash label is added by the builder). */
export function importChanges(recipe: ImageRecipe, labels: Record<string, string>): string[] {
  const changes = [`CMD ${JSON.stringify(recipe.cmd)}`, 'WORKDIR /'];
  for (const [key, value] of Object.entries(recipe.env)) changes.push(`ENV ${key}=${value}`);
  for (const port of recipe.expose) changes.push(`EXPOSE ${port}`);
  const labelText = Object.entries(labels)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ');
  if (labelText !== '') changes.push(`LABEL ${labelText}`);
  return changes;
}
