// The proxy's status port (kube-proxy's :10256): plain HTTP for /healthz and
// /metrics, open as in Kubernetes (load balancers probe it), and TLS on the
// same port for what only the API server may read (/rules). The first byte
// of a connection tells them apart: 0x16 starts a TLS handshake, an HTTP
// request starts with a method name.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { nodeTlsServerOptions, type NodeTlsFiles } from '../api/node-auth.js';

export interface StatusPort {
  port: number;
  close(): void;
}

export async function listenStatusPort(o: { bind: string; port: number; tls?: NodeTlsFiles; handler: http.RequestListener }): Promise<StatusPort> {
  const plain = http.createServer(o.handler);
  const secure = o.tls ? https.createServer(nodeTlsServerOptions(o.tls), o.handler) : undefined;
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    // A connection that never says anything is dropped.
    socket.setTimeout(10_000, () => socket.destroy());
    const silent = () => socket.destroy();
    socket.once('end', silent);
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0);
      socket.off('end', silent);
      socket.pause();
      socket.unshift(first);
      (first[0] === 0x16 && secure ? secure : plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bind, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close() {
      server.close();
      plain.closeAllConnections();
      secure?.closeAllConnections();
    },
  };
}
