// Which image a pod really runs. mk8s labs have no registry, so an image that
// is not on the machine cannot be pulled; the tutorial images the labs name
// are replaced by mk8s's built-in stand-ins (built offline by images/build.ts),
// and the kubelet records an Event saying so. Pure: the caller says what is
// present locally.

/** The built-in images, by short name. */
export const BUILTIN_IMAGES = {
  pause: 'mk8s/pause:1.0',
  'hello-from': 'mk8s/hello-from:1.0',
  'echo-server': 'mk8s/echo-server:1.0',
  'nginx-like': 'mk8s/nginx-like:1.0',
  toolbox: 'mk8s/toolbox:1.0',
} as const;

export type BuiltinImageName = keyof typeof BUILTIN_IMAGES;

export const BUILTIN_IMAGE_NAMES = Object.keys(BUILTIN_IMAGES) as BuiltinImageName[];

/** Every built-in image reference (repository:tag). */
export const BUILTIN_IMAGE_REFS: readonly string[] = Object.values(BUILTIN_IMAGES);

/**
 * Repositories (any tag or digest) that a built-in stands in for. Names are
 * as Docker Hub shows them (`nginx`, not `docker.io/library/nginx`); other
 * registries keep their host.
 */
export const STAND_INS: Readonly<Record<string, BuiltinImageName>> = {
  // kicbase/echo-server is a rebuild of jmalloy/echo-server.
  'kicbase/echo-server': 'echo-server',
  'jmalloy/echo-server': 'echo-server',
  'pbitty/hello-from': 'hello-from',
  // The tutorial's point is a Service spreading requests over 3 replicas; a
  // page that names the pod shows that, the blog's own page would not.
  'btoll/benjamintoll.com': 'hello-from',
  // Shows the serving pod's name and address, as hello-from does.
  'nginxdemos/hello': 'hello-from',
  nginx: 'nginx-like',
  busybox: 'toolbox',
  alpine: 'toolbox',
  ubuntu: 'toolbox',
  debian: 'toolbox',
  'radial/busyboxplus': 'toolbox',
  'curlimages/curl': 'toolbox',
  'nicolaka/netshoot': 'toolbox',
  'tutum/dnsutils': 'toolbox',
  'infoblox/dnstools': 'toolbox',
  // The pod in Kubernetes' "Debugging DNS Resolution" page.
  'registry.k8s.io/e2e-test-images/jessie-dnsutils': 'toolbox',
  'gcr.io/kubernetes-e2e-test-images/dnsutils': 'toolbox',
  'registry.k8s.io/pause': 'pause',
  'k8s.gcr.io/pause': 'pause',
  'gcr.io/google_containers/pause': 'pause',
};

export interface ImageReference {
  /** Registry host, absent for Docker Hub. */
  registry?: string;
  /** Repository path, without Docker Hub's `library/`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Splits an image reference the way Docker reads one. */
export function parseImageReference(image: string): ImageReference {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    // As Docker: the first component is a registry host if it looks like one.
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  if (registry !== undefined && DOCKER_HUB.has(registry)) registry = undefined;
  if (registry === undefined && rest.startsWith('library/')) rest = rest.slice('library/'.length);
  const ref: ImageReference = { repository: rest.toLowerCase() };
  if (registry !== undefined) ref.registry = registry.toLowerCase();
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The built-in that runs for `image` when it is absent, if there is one. */
export function standInFor(image: string): BuiltinImageName | undefined {
  const ref = parseImageReference(image);
  const name = ref.registry === undefined ? ref.repository : `${ref.registry}/${ref.repository}`;
  if (ref.registry === undefined && name.startsWith('mk8s/')) {
    const short = name.slice('mk8s/'.length);
    return isBuiltinImageName(short) ? short : undefined;
  }
  return Object.hasOwn(STAND_INS, name) ? STAND_INS[name] : undefined;
}

export function isBuiltinImageName(name: string): name is BuiltinImageName {
  return Object.hasOwn(BUILTIN_IMAGES, name);
}

export interface ResolvedImage {
  /** The image to run. */
  image: string;
  /**
   * Set when a built-in runs in place of a tutorial image: the image the pod
   * asked for (for the kubelet's Event). Absent when the image runs as asked,
   * and for `mk8s/<name>` with another tag, which runs that built-in.
   */
  standIn?: string;
}

/**
 * The image a container runs: `image` itself when it is present locally;
 * else the built-in standing in for it; else `image` unchanged (and pulling
 * it fails: the kubelet reports ErrImagePull).
 */
export function resolveImage(image: string, present: (ref: string) => boolean): ResolvedImage {
  if (present(image)) return { image };
  const builtin = standInFor(image);
  if (builtin === undefined) return { image };
  const ref = BUILTIN_IMAGES[builtin];
  if (ref === image) return { image };
  if (parseImageReference(image).repository === `mk8s/${builtin}`) return { image: ref };
  return { image: ref, standIn: image };
}
