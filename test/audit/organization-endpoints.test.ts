/**
 * `audit --live --organization` against a local endpoint that misbehaves the
 * way AWS or an emulator can (issue #20, item 4): Organizations ListAccounts
 * handing back the same page token, and Organizations and STS throttling.
 * The endpoint is a small HTTP server that speaks the two protocols involved:
 * STS (query protocol, XML answers) and Organizations (JSON 1.1).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { auditFailure as failure, runCli } from './helpers';
import { AUDIT_EXIT_CODES } from '../../src/audit/errors';
import { THROTTLE_RETRY, ThrottleRetry, isThrottling, readOrganization, retryThrottled } from '../../src/audit/organization';
import { pointAwsSdkAt, saveAwsEnvironment } from '../support/moto';

const CALLER = '111111111111';
const MEMBER = '222222222222';
/** Short waits so the tests stay quick; the shape of the policy is the one the CLI uses. */
const FAST: ThrottleRetry = { rounds: 3, baseDelayMs: 20, maxDelayMs: 80 };

type Answer = { status?: number; body: string; xml?: boolean };
type Handler = (action: string, count: number) => Answer | undefined;

let server: http.Server | undefined;
let restore = (): void => undefined;
const requests: string[] = [];

beforeEach(() => {
  restore = saveAwsEnvironment();
  delete process.env.AWS_MAX_ATTEMPTS; // the SDK's own 3 attempts, as users get them
  requests.length = 0;
});
afterEach(async () => {
  restore();
  await new Promise(resolve => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const json = (body: object, status = 200): Answer => ({ status, body: JSON.stringify(body) });
const stsXml = (action: string, result: string): Answer => ({
  xml: true,
  body: `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result>${result}</${action}Result>`
    + `<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`,
});
const stsError = (code: string, message: string): Answer => ({
  status: 400,
  xml: true,
  body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
});
const throttled = (): Answer => json({ __type: 'TooManyRequestsException', Message: 'AWS Organizations can\'t complete your request because another request is already in progress.' }, 400);

/** An endpoint for both services: `handler` answers first; what it leaves is a healthy organization of two accounts. */
async function endpoint(handler: Handler): Promise<string> {
  const counts = new Map<string, number>();
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => { body += c; });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target ? `organizations:${target.split('.').pop()}` : `sts:${new URLSearchParams(body).get('Action')}`;
      requests.push(action);
      const n = (counts.get(action) ?? 0) + 1;
      counts.set(action, n);
      const answer = handler(action, n) ?? healthy(action);
      res.statusCode = answer.status ?? 200;
      res.setHeader('content-type', answer.xml ? 'text/xml' : 'application/x-amz-json-1.1');
      res.end(answer.body);
    });
  });
  await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pointAwsSdkAt(url);
  return url;
}

function healthy(action: string): Answer {
  switch (action) {
    case 'sts:GetCallerIdentity':
      return stsXml('GetCallerIdentity', `<Arn>arn:aws:iam::${CALLER}:user/auditor</Arn><UserId>AIDAEXAMPLE</UserId><Account>${CALLER}</Account>`);
    case 'organizations:DescribeOrganization':
      return json({ Organization: { Id: 'o-exampleorgid', MasterAccountId: CALLER } });
    case 'organizations:ListAccounts':
      // Only suspended accounts: nothing to read per target, so the organization-level calls are all this endpoint must answer.
      return json({ Accounts: [{ Id: MEMBER, Name: 'closed', State: 'SUSPENDED' }] });
    default:
      return json({ __type: 'UnknownOperationException', message: action }, 400);
  }
}

describe('a ListAccounts that repeats its NextToken', () => {
  const repeating: Handler = action => (action === 'organizations:ListAccounts'
    ? json({ Accounts: [{ Id: MEMBER, Name: 'member', State: 'ACTIVE' }], NextToken: 'again' })
    : undefined);

  test('the CLI ends with exit 5 and one line, well within its --timeout, after the second page', async () => {
    await endpoint(repeating);
    const start = Date.now();
    const r = await runCli(['audit', '--live', '--organization', '--region', 'us-east-1', '--timeout', '5']);
    const elapsed = Date.now() - start;
    expect(r.code).toBe(AUDIT_EXIT_CODES.UNREACHABLE);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(
      /^cis-monitoring audit: organizations:ListAccounts: endpoint http:\/\/127\.0\.0\.1:\d+ returned a page token it had already returned \(page 2\), so paging would never end\./)]);
    expect(requests.filter(a => a === 'organizations:ListAccounts')).toHaveLength(2);
    expect(elapsed).toBeLessThan(5_000);
  }, 30_000);

  test('a token that changes is followed to the last page', async () => {
    await endpoint((action, n) => {
      if (action !== 'organizations:ListAccounts') return undefined;
      const Accounts = [{ Id: String(n).repeat(12), Name: `page-${n}`, State: 'SUSPENDED' }];
      return json(n < 3 ? { Accounts, NextToken: `page-${n + 1}` } : { Accounts });
    });
    const read = await readOrganization({ region: 'us-east-1', throttleRetry: FAST });
    expect(read.inactive.map(a => a.name)).toEqual(['page-1', 'page-2', 'page-3']);
    expect(read.targets).toEqual([]);
  });
});

describe('an account listed twice', () => {
  test('is audited once (ListAccounts pages can repeat an account)', async () => {
    await endpoint((action, n) => {
      if (action !== 'organizations:ListAccounts') return undefined;
      const Accounts = [{ Id: MEMBER, Name: 'closed', State: 'SUSPENDED' }];
      return json(n === 1 ? { Accounts, NextToken: 'page-2' } : { Accounts });
    });
    const read = await readOrganization({ region: 'us-east-1', throttleRetry: FAST });
    expect(requests.filter(a => a === 'organizations:ListAccounts')).toHaveLength(2);
    expect(read.inactive).toEqual([{ id: MEMBER, name: 'closed', state: 'SUSPENDED' }]);
  });
});

describe('throttling', () => {
  test('ListAccounts throttled beyond the SDK\'s own 3 attempts is tried again after a wait, and the audit goes on', async () => {
    await endpoint((action, n) => (action === 'organizations:ListAccounts' && n <= 4 ? throttled() : undefined));
    const read = await readOrganization({ region: 'us-east-1', throttleRetry: FAST });
    expect(read.inactive).toEqual([{ id: MEMBER, name: 'closed', state: 'SUSPENDED' }]);
    // Round 1: the SDK's 3 attempts, all throttled; round 2: one more throttled, then the answer.
    expect(requests.filter(a => a === 'organizations:ListAccounts')).toHaveLength(5);
  }, 30_000);

  test('a throttle that never ends fails after a bounded number of requests with exit 1 and what to do', async () => {
    await endpoint(action => (action === 'organizations:DescribeOrganization' ? throttled() : undefined));
    const start = Date.now();
    const e = await failure(readOrganization({ region: 'us-east-1', throttleRetry: FAST }));
    expect(e.exitCode).toBe(AUDIT_EXIT_CODES.ERROR);
    expect(e.message).toMatch(/^organizations:DescribeOrganization was still throttled after 3 rounds of attempts \(TooManyRequestsException: AWS Organizations can't complete your request.*try again in a few minutes, or audit fewer accounts at once \(--concurrency, --accounts\)\.$/);
    expect(requests.filter(a => a === 'organizations:DescribeOrganization')).toHaveLength(3 * 3);
    expect(Date.now() - start).toBeLessThan(15_000);
  }, 30_000);

  test('STS throttling (query protocol, <Code>Throttling</Code>) on AssumeRole: the member is reported, the audit ends', async () => {
    await endpoint(action => {
      if (action === 'organizations:ListAccounts') return json({ Accounts: [{ Id: MEMBER, Name: 'member', State: 'ACTIVE' }] });
      if (action === 'sts:AssumeRole') return stsError('Throttling', 'Rate exceeded');
      return undefined;
    });
    const read = await readOrganization({ region: 'us-east-1', accounts: [MEMBER], throttleRetry: { rounds: 2, baseDelayMs: 10, maxDelayMs: 10 } });
    expect(read.targets).toHaveLength(1);
    expect(read.targets[0].model).toBeUndefined();
    expect(read.targets[0].error?.message).toMatch(/^sts:AssumeRole was still throttled after 2 rounds of attempts \(Throttling: Rate exceeded\)/);
    expect(requests.filter(a => a === 'sts:AssumeRole')).toHaveLength(2 * 3);
  }, 30_000);

  test('other errors are not retried: AccessDenied on ListAccounts is one request and exit 6', async () => {
    await endpoint(action => (action === 'organizations:ListAccounts'
      ? json({ __type: 'AccessDeniedException', Message: 'not allowed' }, 400) : undefined));
    const e = await failure(readOrganization({ region: 'us-east-1', throttleRetry: FAST }));
    expect(e.exitCode).toBe(AUDIT_EXIT_CODES.ACCESS_DENIED);
    expect(e.message).toMatch(/^Access denied on organizations:ListAccounts for account 111111111111/);
    expect(requests.filter(a => a === 'organizations:ListAccounts')).toHaveLength(1);
  }, 30_000);
});

describe('retryThrottled', () => {
  test('the waits grow, stay within the bounds and are jittered', async () => {
    const policy: ThrottleRetry = { rounds: 5, baseDelayMs: 40, maxDelayMs: 100 };
    const at: number[] = [];
    await failure(retryThrottled('x:Y', async () => {
      at.push(Date.now());
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    }, policy));
    const waits = at.slice(1).map((t, i) => t - at[i]);
    expect(waits).toHaveLength(4);
    // Ceilings 40, 80, 100, 100 ms; each wait is between half and all of its ceiling (timer slack aside).
    [40, 80, 100, 100].forEach((ceiling, i) => {
      expect(waits[i]).toBeGreaterThanOrEqual(ceiling / 2 - 2);
      expect(waits[i]).toBeLessThan(ceiling + 50);
    });
  });

  test('the default policy waits at most 7 s in all', () => {
    const { rounds, baseDelayMs, maxDelayMs } = THROTTLE_RETRY;
    const ceilings = Array.from({ length: rounds - 1 }, (_, i) => Math.min(maxDelayMs, baseDelayMs * 2 ** i));
    expect(ceilings.reduce((a, b) => a + b, 0)).toBe(7_000);
  });

  test('what counts as throttling', () => {
    for (const name of ['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'RequestLimitExceeded']) {
      expect(isThrottling(Object.assign(new Error(), { name }))).toBe(true);
    }
    expect(isThrottling({ name: 'Whatever', $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isThrottling({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } })).toBe(false);
    expect(isThrottling(undefined)).toBe(false);
  });
});
