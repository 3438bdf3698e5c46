// mk8s port-forward (pod/NAME | deployment/NAME | service/NAME) [LOCAL:]REMOTE…
// as kubectl: listens on 127.0.0.1 and ::1 (or --address), prints
// "Forwarding from 127.0.0.1:8090 -> 80", and carries each connection over
// pods/NAME/portforward (WebSocket, portforward.k8s.io: per port a data and
// an error channel, each opened by the port number). A service port is
// mapped to the pod's target port. The apiserver proxies it to the pod's kubelet.
import net from 'node:net';
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import { CliError, errorText } from '../errors.js';
import { podFor } from '../pod-for.js';
import { resourcePath } from '../../client/http.js';
import { findByKind } from '../../api/resources.js';
import { upgrade } from '../stream.js';

const flags: FlagSpec[] = [
  { name: 'address', type: 'stringSlice', default: ['localhost'], usage: 'Addresses to listen on (comma separated).' },
  { name: 'pod-running-timeout', type: 'string', default: '1m0s' },
];

interface Mapping {
  local: number;
  remote: number;
}

/** `8090:80`, `80` (same port), `:80` (random local port). */
export function parsePorts(specs: string[]): { local: string; remote: string }[] {
  return specs.map((s) => {
    const parts = s.split(':');
    if (parts.length > 2) throw new CliError(`error: invalid port format '${s}'`);
    return parts.length === 1 ? { local: parts[0], remote: parts[0] } : { local: parts[0], remote: parts[1] };
  });
}

/** A service port (by number or name) → the container port it targets on this pod. */
function remotePort(remote: string, via: KubeObject | undefined, pod: KubeObject): number {
  const containerPorts: any[] = (pod.spec?.containers ?? []).flatMap((c: any) => c.ports ?? []);
  const byName = (n: string) => containerPorts.find((p) => p.name === n)?.containerPort;
  if (via?.kind === 'Service') {
    const sp = (via.spec?.ports ?? []).find((p: any) => String(p.port) === remote || p.name === remote);
    if (!sp) throw new CliError(`error: Service ${via.metadata.name} does not have a service port ${remote}`);
    const tp = sp.targetPort ?? sp.port;
    if (typeof tp === 'number') return tp;
    const n = byName(tp);
    if (n === undefined) throw new CliError(`error: Pod '${pod.metadata.name}' does not have a named port '${tp}'`);
    return n;
  }
  if (/^\d+$/.test(remote)) return Number(remote);
  const n = byName(remote);
  if (n === undefined) throw new CliError(`error: Pod '${pod.metadata.name}' does not have a named port '${remote}'`);
  return n;
}

async function forward(ctx: Ctx, pod: KubeObject, m: Mapping, conn: net.Socket): Promise<void> {
  const cfg = await ctx.clusterConfig();
  const path = resourcePath(findByKind('v1', 'Pod')!, pod.metadata.namespace, pod.metadata.name, 'portforward');
  try {
    const { ws } = await upgrade(cfg, path, { ports: String(m.remote) }, ['v4.channel.k8s.io', 'portforward.k8s.io']);
    const seen = new Set<number>();
    ws.onMessage = (msg) => {
      const ch = msg[0];
      let data = msg.subarray(1);
      // Each channel's first message carries the port number (2 bytes, little endian).
      if (!seen.has(ch)) {
        seen.add(ch);
        data = data.subarray(2);
      }
      if (ch === 0 && data.length) conn.write(data);
      else if (ch === 1 && data.length) ctx.err.write(`error: an error occurred forwarding ${m.local} -> ${m.remote}: ${data.toString()}\n`);
    };
    ws.onClose = () => conn.end();
    conn.on('data', (d: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), d])));
    conn.on('close', () => ws.close());
    conn.on('error', () => ws.close());
  } catch (e) {
    ctx.err.write(`E0000 portforward.go] "Unhandled Error" err="an error occurred forwarding ${m.local} -> ${m.remote}: ${errorText(e)}"\n`);
    conn.destroy();
  }
}

async function run(ctx: Ctx): Promise<number> {
  const [target, ...ports] = ctx.args;
  if (!target || ports.length === 0) throw new CliError('error: TYPE/NAME and list of ports are required for port-forward');
  const { pod, via } = await podFor(ctx, target, false);
  if (pod.status?.phase !== 'Running') {
    throw new CliError(`error: unable to forward port because pod is not running. Current status=${pod.status?.phase ?? 'Unknown'}`);
  }
  const specs = parsePorts(ports);
  const addresses: string[] = ctx.flags.address.flatMap((a: string) => (a === 'localhost' ? ['127.0.0.1', '::1'] : [a]));
  const servers: net.Server[] = [];
  for (const s of specs) {
    const remote = remotePort(s.remote, via, pod);
    for (const addr of addresses) {
      const server = net.createServer();
      const m: Mapping = { local: 0, remote };
      server.on('connection', (c) => {
        ctx.out.write(`Handling connection for ${m.local}\n`);
        void forward(ctx, pod, m, c);
      });
      const ok = await new Promise<boolean>((resolve) => {
        server.once('error', (e) => {
          if (addr === '::1') resolve(false);
          else {
            ctx.err.write(`Unable to listen on port ${s.local}: ${(e as Error).message}\n`);
            resolve(false);
          }
        });
        server.listen(Number(s.local || 0), addr, () => resolve(true));
      });
      if (!ok) continue;
      m.local = (server.address() as net.AddressInfo).port;
      ctx.out.write(`Forwarding from ${addr.includes(':') ? `[${addr}]` : addr}:${m.local} -> ${remote}\n`);
      servers.push(server);
    }
  }
  if (servers.length === 0) throw new CliError('error: unable to listen on any of the requested ports');
  ctx.closers.push(() => servers.forEach((s) => s.close()));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  return 0;
}

const cmd: Command = {
  use: 'port-forward TYPE/NAME [options] [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N]',
  short: 'Forward one or more local ports to a pod',
  flags,
  run,
};

export default cmd;
