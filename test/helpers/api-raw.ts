// Raw HTTPS requests to a test apiserver: any method, path, body and headers,
// the answer's status code and its body parsed when it is JSON.
import https from 'node:https';
import type { TestApi } from '../../testkit/api.js';

export interface RawAnswer {
  code: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

export function rawRequest(api: TestApi, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const u = new URL(api.server.url);
    const req = https.request(
      { method, host: u.hostname, port: u.port, path, ca: api.server.caCert, headers: { Authorization: `Bearer ${api.server.token}`, 'Content-Type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ code: res.statusCode!, headers: res.headers, text, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
