/**
 * An HTTP proxy in front of moto that answers chosen requests the way AWS
 * throttles them (HTTP 429, `x-amzn-ErrorType: TooManyRequestsException`) and
 * forwards the rest, recording every request: how the Security Hub import's
 * retries and batching are tested (moto itself never throttles).
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  /** Whether the proxy answered it with 429 instead of forwarding it. */
  readonly throttled: boolean;
}

export interface ThrottlingProxy {
  readonly endpoint: string;
  readonly requests: ProxiedRequest[];
  /** Throttle the next `count` requests whose path matches (Infinity: all of them, until changed). */
  throttle(pathPattern: RegExp, count: number): void;
  stop(): Promise<void>;
}

export async function startThrottlingProxy(target: string): Promise<ThrottlingProxy> {
  const requests: ProxiedRequest[] = [];
  let rule: { pattern: RegExp; remaining: number } | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      if (rule && rule.remaining > 0 && rule.pattern.test(path)) {
        rule.remaining--;
        requests.push({ method: req.method ?? '', path, body: body.toString('utf8'), throttled: true });
        res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'TooManyRequestsException' });
        res.end(JSON.stringify({ message: 'Rate exceeded' }));
        return;
      }
      requests.push({ method: req.method ?? '', path, body: body.toString('utf8'), throttled: false });
      // Forwarded byte for byte, Host header included: moto checks the SigV4 signature, which covers it.
      const upstream = http.request(`${target}${path}`, { method: req.method, headers: req.headers }, r => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      upstream.on('error', e => {
        res.writeHead(502);
        res.end(String(e));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    throttle(pattern, count) {
      rule = { pattern, remaining: count };
    },
    stop: () => new Promise<void>(resolve => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
