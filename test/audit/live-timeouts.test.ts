/**
 * `audit --live` against endpoints that misbehave (issue #12, item 1 case 10):
 * one that accepts connections and never answers, one that keeps handing back
 * the same page token. Both must end with exit code 5 (unreachable), quickly.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { auditFailure as failure, runCli } from './helpers';
import { AUDIT_EXIT_CODES } from '../../src/audit/errors';
import { readLiveModel } from '../../src/audit/live-reader';

const KEYS = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_MAX_ATTEMPTS'];
const saved: Record<string, string | undefined> = {};
let server: http.Server | undefined;
const held: http.ServerResponse[] = [];

beforeEach(() => {
  for (const k of KEYS) saved[k] = process.env[k];
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
});
afterEach(async () => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  for (const r of held.splice(0)) r.destroy();
  await new Promise(resolve => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function listen(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('an endpoint that accepts the connection and never answers: exit 5 after the request timeout, not a hang', async () => {
  let requests = 0;
  process.env.AWS_ENDPOINT_URL = await listen((_req, res) => {
    requests++;
    held.push(res); // never answered
  });
  const start = Date.now();
  const e = await failure(readLiveModel({ region: 'us-east-1', timeouts: { connectionTimeout: 1000, requestTimeout: 300 } }));
  expect(e.exitCode).toBe(AUDIT_EXIT_CODES.UNREACHABLE);
  expect(e.message).toMatch(/^Cannot reach endpoint http:\/\/127\.0\.0\.1:\d+ for cloudtrail:DescribeTrails \((ETIMEDOUT|TimeoutError).*requestTimeout/);
  expect(requests).toBeGreaterThanOrEqual(1);
  expect(Date.now() - start).toBeLessThan(15_000); // 3 attempts of 300 ms and the SDK's back-off
}, 30_000);

test('an endpoint that repeats its nextToken: exit 5 at the first repeat, memory does not grow', async () => {
  let pages = 0;
  process.env.AWS_ENDPOINT_URL = await listen((req, res) => {
    req.resume();
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target.endsWith('.DescribeTrails')) {
        res.end(JSON.stringify({ trailList: [] }));
      } else if (target.endsWith('.DescribeMetricFilters')) {
        pages++;
        res.end(JSON.stringify({ metricFilters: [], nextToken: 'again' }));
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
      }
    });
  });
  const e = await failure(readLiveModel({ region: 'us-east-1', timeouts: { connectionTimeout: 1000, requestTimeout: 5000 } }));
  expect(e.exitCode).toBe(AUDIT_EXIT_CODES.UNREACHABLE);
  expect(e.message).toMatch(/^logs:DescribeMetricFilters: endpoint http:\/\/127\.0\.0\.1:\d+ returned a page token it had already returned \(page 2\)/);
  expect(pages).toBe(2);
}, 30_000);

test('through the CLI: audit --live --timeout 1 against a silent endpoint exits 5 with one line on stderr', async () => {
  process.env.AWS_ENDPOINT_URL = await listen((_req, res) => {
    held.push(res);
  });
  const r = await runCli(['audit', '--live', '--region', 'us-east-1', '--timeout', '1']);
  expect(r.code).toBe(AUDIT_EXIT_CODES.UNREACHABLE);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^cis-monitoring audit: Cannot reach endpoint .* for cloudtrail:DescribeTrails/)]);
}, 30_000);

test('--timeout must be a whole number of seconds', async () => {
  const r = await runCli(['audit', '--live', '--region', 'us-east-1', '--timeout', 'soon']);
  expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
  expect(r.stderr).toContain('--timeout "soon" is not a whole number of seconds from 1 to');
});
