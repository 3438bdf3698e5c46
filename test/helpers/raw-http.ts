// An HTTP/1.0 GET over a raw TCP connection: the tutorials' `telnet IP PORT`.
import net from 'node:net';

export function rawGet(ip: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: ip, port, timeout: timeoutMs });
    let out = '';
    s.on('connect', () => s.write('GET / HTTP/1.0\r\n\r\n'));
    s.on('data', (d) => (out += d));
    s.on('end', () => resolve(out));
    s.on('timeout', () => {
      s.destroy();
      reject(new Error(`timeout ${ip}:${port}`));
    });
    s.on('error', reject);
  });
}
