// Dockerode loads, when it is loaded, ssh2 (docker-modem, for ssh:// Docker
// hosts) and @grpc/grpc-js + @grpc/proto-loader (BuildKit sessions): about
// 10-15 MB of RSS in every kubelet process, for code mk8s never runs (it
// talks to the local unix socket). Imported for its effect before dockerode,
// this makes those three load on first use instead: what dockerode's modules
// get is a stand-in whose properties load the real module when called,
// constructed or read. Only requires from dockerode's and docker-modem's own
// files are deferred; every other require is untouched.
import Module from 'node:module';
import { sep } from 'node:path';

const deferred = new Set(['ssh2', '@grpc/grpc-js', '@grpc/proto-loader']);
const from = [`${sep}node_modules${sep}dockerode${sep}`, `${sep}node_modules${sep}docker-modem${sep}`];

type Load = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const M = Module as unknown as { _load: Load; __mk8sLazy?: boolean };

/** A module object whose members load the real module on first use (a call, a `new`, or a read of theirs). */
function lazyModule(load: () => any): object {
  let real: any;
  const mod = () => (real ??= load());
  return new Proxy(
    {},
    {
      get(_t, prop) {
        if (real) return real[prop];
        // `require('ssh2').Client` is read when docker-modem loads: hand back a stand-in for it.
        return new Proxy(function standIn() {}, {
          apply: (_f, self, args) => Reflect.apply(mod()[prop], self, args),
          construct: (_f, args) => Reflect.construct(mod()[prop], args),
          get: (_f, p) => mod()[prop][p],
        });
      },
      has: (_t, prop) => prop in mod(),
      ownKeys: () => Reflect.ownKeys(mod()),
      getOwnPropertyDescriptor: (_t, prop) => Object.getOwnPropertyDescriptor(mod(), prop),
    },
  );
}

if (!M.__mk8sLazy) {
  M.__mk8sLazy = true;
  const original = M._load;
  M._load = function (this: unknown, request, parent, isMain) {
    if (deferred.has(request) && from.some((f) => parent?.filename?.includes(f))) return lazyModule(() => original.call(this, request, parent, isMain));
    return original.call(this, request, parent, isMain);
  };
}

export {};
