// A small TCP load balancer in front of the API servers, the part kind gives
// to its HAProxy container (`mode tcp`, `option httpchk GET /healthz`,
// `check check-ssl`): TLS passes through untouched (each API server's
// certificate names the balancer's address), so the kubeconfig lists one
// address. Backends are checked with HTTPS GET /readyz every interval
// (`rise`/`fall` as HAProxy's); a connection that cannot be made is tried on
// the next backend before the client notices, and that backend leaves
// service at once; the connections of a backend that goes down are closed
// (HAProxy's `on-marked-down shutdown-sessions`), so watches move at once.
// Run as `node dist/cluster/lb-proxy.js --listen IP:PORT --backend IP:PORT …`.
import net from 'node:net';
import https from 'node:https';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { BackendPool, parseBackend, defaultPoolOptions, type BackendAddress, type Balance, type PoolOptions } from './lb-pool.js';
import { parseFlags, type FlagSpec } from '../cli/flags.js';

export interface LbProxyOptions extends Partial<PoolOptions> {
  listenHost: string;
  listenPort: number;
  backends: BackendAddress[];
  /** Health check period, ms (default 1000). */
  intervalMs?: number;
  /** Connect and check timeout, ms (default 1000). */
  timeoutMs?: number;
  /** Health check path over HTTPS (default /readyz); '' checks only that a TCP connection opens. */
  checkPath?: string;
  /** CA to verify the backends' certificates in checks (default: not verified, as kind's `verify none`). */
  caCert?: string;
  logger?: Logger;
}

export interface LbProxy {
  /** The address it listens on (the port chosen when 0 was asked). */
  address: { host: string; port: number };
  pool: BackendPool;
  /** Connections per backend id, since start. */
  served: Map<string, number>;
  close(): Promise<void>;
}

export async function startLbProxy(o: LbProxyOptions): Promise<LbProxy> {
  const log = o.logger ?? pino({ level: 'silent' });
  const pool = new BackendPool(o.backends, { ...defaultPoolOptions, ...Object.fromEntries(Object.entries({ balance: o.balance, rise: o.rise, fall: o.fall }).filter(([, v]) => v !== undefined)) });
  const timeoutMs = o.timeoutMs ?? 1000;
  const intervalMs = o.intervalMs ?? 1000;
  const checkPath = o.checkPath ?? '/readyz';
  const served = new Map<string, number>();
  /** Open client sockets by backend id, to close when it goes down. */
  const sessions = new Map<string, Set<net.Socket>>();
  const all = new Set<net.Socket>();

  const onDown = (id: string, why: string) => {
    log.warn({ backend: id, why, inService: pool.upCount() }, 'backend down');
    for (const s of sessions.get(id) ?? []) s.destroy();
  };

  function connect(client: net.Socket, tried: Set<string>): void {
    const b = pool.pick(tried);
    if (!b) {
      log.warn({ tried: [...tried] }, 'no backend could be reached: connection closed');
      client.destroy();
      return;
    }
    tried.add(b.id);
    const upstream = net.connect({ host: b.host, port: b.port });
    all.add(upstream);
    let connected = false;
    const timer = setTimeout(() => upstream.destroy(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
    upstream.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      if (client.destroyed) return upstream.destroy();
      b.active++;
      served.set(b.id, (served.get(b.id) ?? 0) + 1);
      let set = sessions.get(b.id);
      if (!set) sessions.set(b.id, (set = new Set()));
      set.add(client);
      upstream.setNoDelay(true);
      client.pipe(upstream).pipe(client);
      client.resume();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        b.active--;
        set!.delete(client);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end);
      upstream.on('close', end);
    });
    upstream.on('error', (e) => {
      clearTimeout(timer);
      all.delete(upstream);
      if (connected) return; // the 'close' handler ends the pair
      upstream.destroy();
      if (pool.connectFailed(b.id) === 'down') onDown(b.id, e.message);
      if (client.destroyed) return;
      connect(client, tried); // the next backend, before the client notices
    });
    upstream.on('close', () => all.delete(upstream));
  }

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    all.add(client);
    client.setNoDelay(true);
    client.on('error', () => client.destroy());
    client.on('close', () => all.delete(client));
    connect(client, new Set());
  });
  server.maxConnections = 4096;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listenPort, o.listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;

  // Active checks.
  const agent = new https.Agent({ keepAlive: false });
  const check = (b: BackendAddress): Promise<boolean> =>
    new Promise((resolve) => {
      if (!checkPath) {
        const s = net.connect({ host: b.host, port: b.port });
        const t = setTimeout(() => s.destroy(), timeoutMs);
        s.once('connect', () => (clearTimeout(t), s.destroy(), resolve(true)));
        s.on('error', () => (clearTimeout(t), resolve(false)));
        s.once('close', () => resolve(false));
        return;
      }
      const req = https.get(
        { host: b.host, port: b.port, path: checkPath, agent, timeout: timeoutMs, ...(o.caCert ? { ca: o.caCert } : { rejectUnauthorized: false }) },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', () => resolve(false));
    });
  let stopped = false;
  let checking: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    checking = (async () => {
      await Promise.all(
        pool.backends.map(async (b) => {
          const ok = await check(b);
          if (stopped) return;
          const tr = pool.checked(b.id, ok);
          if (tr === 'down') onDown(b.id, `${pool.options.fall} failed checks of ${checkPath || 'TCP'}`);
          if (tr === 'up') log.info({ backend: b.id, inService: pool.upCount() }, 'backend up');
        }),
      );
    })();
  }, intervalMs);
  log.info({ listen: `${addr.address}:${addr.port}`, backends: pool.backends.map((b) => b.id), balance: pool.options.balance }, 'lb-proxy listening');

  return {
    address: { host: addr.address, port: addr.port },
    pool,
    served,
    async close() {
      stopped = true;
      clearInterval(timer);
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of all) s.destroy();
      await closed;
      await checking;
      agent.destroy();
    },
  };
}

const flagSpecs: FlagSpec[] = [
  { name: 'listen', type: 'string' },
  { name: 'backend', type: 'stringArray' },
  { name: 'balance', type: 'string' },
  { name: 'interval', type: 'string' },
  { name: 'ca-file', type: 'string' },
];

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2), flagSpecs);
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const listen = parseBackend(flags.listen ?? '', 'listen address');
  const balance = (flags.balance || 'roundrobin') as Balance;
  if (!['roundrobin', 'leastconn'].includes(balance)) throw new Error(`--balance must be roundrobin or leastconn, not "${balance}"`);
  const lb = await startLbProxy({
    listenHost: listen.host,
    listenPort: listen.port,
    backends: (flags.backend as string[]).map((s) => parseBackend(s)),
    balance,
    ...(flags.interval ? { intervalMs: Number(flags.interval) } : {}),
    ...(flags['ca-file'] ? { caCert: readFileSync(flags['ca-file'], 'utf8') } : {}),
    logger,
  });
  process.stdout.write(`lb-proxy on ${lb.address.host}:${lb.address.port} -> ${lb.pool.backends.map((b) => b.id).join(', ')}\n`);
  const stop = async () => {
    await lb.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** This module's file once built (what `mk8s up --control-planes N` runs). */
export const lbProxyEntry = fileURLToPath(import.meta.url);

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(lbProxyEntry)) {
  main().catch((e) => {
    process.stderr.write(`lb-proxy: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
