/**
 * `replay s3://...` against moto's S3: the same records give the same report
 * as their local copy (one thread or several), each narrowing flag selects
 * exactly the objects its keys say, and a missing bucket, a denied listing or
 * prefix, a corrupt object, throttling, a broken or silent response and an
 * endless listing each give a clear message and the documented exit code.
 * Faults moto does not show come from a proxy in front of it
 * (fixtures/replay/fault-proxy.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describeIfPython, pointAwsSdkAt, rawRequest } from '../support/moto';
import { control, runCli, runJson } from './fixtures/replay/cli-harness';
import { S3_ACCESS_DENIED, S3_SLOW_DOWN, s3EndlessListing, useMotoBehindProxy } from './fixtures/replay/fault-proxy';

const BUCKET = 'org-trail-archive';
const ORG = 'o-abcdefghij';
const ACCOUNTS = ['111111111111', '222222222222'];
const REGIONS = ['eu-west-1', 'us-east-1'];
const DAYS = ['01', '02', '03'];
const TIMES = ['0005', '2355'];

interface LogFile {
  readonly key: string;
  readonly account: string;
  readonly region: string;
  /** Delivery minute (from the name), ms. */
  readonly minute: number;
}

/** Three records per file; its StopLogging record's eventID is the file's key. */
function recordsOf(f: { key: string; account: string; minute: number }): unknown {
  const time = new Date(f.minute - 180_000).toISOString().replace('.000Z', 'Z');
  const who = { type: 'IAMUser', arn: `arn:aws:iam::${f.account}:user/admin` };
  return {
    Records: [
      { eventVersion: '1.08', eventTime: time, eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', eventID: f.key, userIdentity: who },
      { eventVersion: '1.08', eventTime: time, eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', eventID: `${f.key}#1`, userIdentity: who },
      { eventVersion: '1.08', eventTime: time, eventSource: 'ec2.amazonaws.com', eventName: 'AuthorizeSecurityGroupIngress', eventID: `${f.key}#2`, userIdentity: who },
    ],
  };
}

const ORG_FILES: LogFile[] = ACCOUNTS.flatMap(account => REGIONS.flatMap(region => DAYS.flatMap(day => TIMES.map(hhmm => ({
  key: `AWSLogs/${ORG}/${account}/CloudTrail/${region}/2024/03/${day}/${account}_CloudTrail_${region}_202403${day}T${hhmm}Z_${day}${hhmm}.json.gz`,
  account,
  region,
  minute: Date.UTC(2024, 2, Number(day), Number(hhmm.slice(0, 2)), Number(hhmm.slice(2))),
})))));
const SINGLE_FILE: LogFile = {
  key: 'single/AWSLogs/333333333333/CloudTrail/us-east-1/2024/03/02/333333333333_CloudTrail_us-east-1_20240302T1200Z_s.json.gz',
  account: '333333333333',
  region: 'us-east-1',
  minute: Date.UTC(2024, 2, 2, 12),
};
/** Not read: a digest file, and a file whose name is no input. */
const IGNORED = [
  `AWSLogs/${ORG}/111111111111/CloudTrail-Digest/us-east-1/2024/03/01/111111111111_CloudTrail-Digest_us-east-1_20240301T0005Z.json.gz`,
  `AWSLogs/${ORG}/README.md`,
];
/** Read without narrowing only (not in CloudTrail's layout). */
const EXPORT = 'exports/extra.ndjson';

const ids = (files: LogFile[]): string[] => files.map(f => f.key);

describeIfPython('replay s3:// against moto', () => {
  const env = useMotoBehindProxy('replay-s3-');

  async function put(key: string, body: Buffer | string): Promise<void> {
    await new S3Client({ forcePathStyle: true }).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    fs.mkdirSync(path.join(env.dir, path.dirname(key)), { recursive: true });
    fs.writeFileSync(path.join(env.dir, key), body);
  }

  beforeAll(async () => {
    await new S3Client({ forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const f of [...ORG_FILES, SINGLE_FILE]) await put(f.key, zlib.gzipSync(JSON.stringify(recordsOf(f))));
    for (const key of IGNORED) await put(key, zlib.gzipSync('{"Records":[{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"must-not-be-read"}]}'));
    await put(EXPORT, '{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"export-1"}\n');
  });

  async function replay(...args: string[]) {
    return runJson(['--benchmark', '7.0.0', '--event-ids', ...args]);
  }
  const stopLoggingIds = (json: any): string[] => control(json, 'cloudtrail-config-changes').eventIds;

  test('the whole bucket gives the report of its local copy, on one thread and on several', async () => {
    const local = await replay('--workers', '1', env.dir);
    expect(local.code).toBe(0);
    expect(local.json.events).toBe(3 * (ORG_FILES.length + 1) + 1);
    expect(stopLoggingIds(local.json)).toEqual([...ids(ORG_FILES), 'export-1', SINGLE_FILE.key]);
    for (const workers of ['1', '3']) {
      const remote = await replay('--workers', workers, `s3://${BUCKET}`);
      expect(remote.stderr).toBe('');
      expect(remote.code).toBe(0);
      expect(remote.json).toEqual(local.json);
    }
    // the table counts objects as inputs
    const table = await runCli(['--benchmark', '7.0.0', `s3://${BUCKET}/AWSLogs/`]);
    expect(table.stdout).toContain(`${3 * ORG_FILES.length} events from ${ORG_FILES.length} inputs; 0 malformed.`);
  });

  test('on a terminal, progress shows objects, MiB, events and events per second', async () => {
    const r = await runCli(['--benchmark', '7.0.0', '--format', 'json', `s3://${BUCKET}/AWSLogs/`], { stderrIsTTY: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/replay \[.*\] \d+% \| \d+\/\d+( \(listing\))? objects \| [\d.]+ MiB \| \d+ events, \d+\/s \| ETA/);
    const quiet = await runCli(['--benchmark', '7.0.0', '--format', 'json', '--no-progress', `s3://${BUCKET}/AWSLogs/`], { stderrIsTTY: true });
    expect(quiet.stderr).toBe('');
  });

  const cases: Array<[string, string[], (f: LogFile) => boolean]> = [
    ['--accounts', ['--accounts', '222222222222'], f => f.account === '222222222222'],
    ['--regions', ['--regions', 'us-east-1'], f => f.region === 'us-east-1'],
    ['--accounts and --regions', ['--accounts', '111111111111,999999999999', '--regions', 'eu-west-1'], f => f.account === '111111111111' && f.region === 'eu-west-1'],
    ['--since a day', ['--since', '2024-03-02'], f => f.minute >= Date.UTC(2024, 2, 2)],
    ['--until a day', ['--until', '2024-03-02'], f => f.minute < Date.UTC(2024, 2, 2)],
    ['--since and --until, to the minute', ['--since', '2024-03-02T00:05Z', '--until', '2024-03-03'], f => f.minute >= Date.UTC(2024, 2, 2, 0, 5) && f.minute < Date.UTC(2024, 2, 3)],
    ['--since just after a delivery minute', ['--since', '2024-03-02T00:06Z', '--until', '2024-03-03T00:05:30Z'], f => f.minute >= Date.UTC(2024, 2, 2, 0, 6) && f.minute <= Date.UTC(2024, 2, 3, 0, 5)],
    ['--since a time ago (nothing that old is after it)', ['--accounts', '111111111111', '--since', '2024-03-01T23:55:30Z', '--until', '2024-03-02T00:05Z'], f => f.account === '111111111111' && f.minute === Date.UTC(2024, 2, 1, 23, 55)],
    ['all four', ['--accounts', '222222222222', '--regions', 'eu-west-1', '--since', '2024-03-01T12:00Z', '--until', '2024-03-03T12:00Z'],
      f => f.account === '222222222222' && f.region === 'eu-west-1' && f.minute >= Date.UTC(2024, 2, 1, 12) && f.minute < Date.UTC(2024, 2, 3, 12)],
  ];

  test.each(cases)('%s selects exactly the objects its keys say, as it selects the local copy', async (_, flags, expected) => {
    const want = ids(ORG_FILES.filter(expected));
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(ORG_FILES.length);
    const remote = await replay(...flags, `s3://${BUCKET}/AWSLogs/`);
    expect(remote.code).toBe(0);
    expect(stopLoggingIds(remote.json)).toEqual(want);
    expect(remote.json.events).toBe(3 * want.length);
    // nothing outside the selection was fetched
    const gets = env.proxy.requests.filter(r => r.method === 'GET' && !r.url.includes('list-type=2')).map(r => decodeURIComponent(r.url.split('?')[0].slice(BUCKET.length + 2)));
    expect(gets.sort()).toEqual([...want].sort());
    const local = await replay(...flags, path.join(env.dir, 'AWSLogs'));
    expect(local.json).toEqual(remote.json);
  });

  test('a prefix deeper in the layout, and the single-account layout', async () => {
    const account = await replay('--regions', 'us-east-1', `s3://${BUCKET}/AWSLogs/${ORG}/111111111111/`);
    expect(stopLoggingIds(account.json)).toEqual(ids(ORG_FILES.filter(f => f.account === '111111111111' && f.region === 'us-east-1')));
    const day = await replay('--since', '2024-03-02T12:00Z', `s3://${BUCKET}/AWSLogs/${ORG}/222222222222/CloudTrail/eu-west-1/2024/03/02/`);
    expect(stopLoggingIds(day.json)).toEqual([`AWSLogs/${ORG}/222222222222/CloudTrail/eu-west-1/2024/03/02/222222222222_CloudTrail_eu-west-1_20240302T2355Z_022355.json.gz`]);
    const single = await replay('--accounts', '333333333333', `s3://${BUCKET}/single/`);
    expect(stopLoggingIds(single.json)).toEqual([SINGLE_FILE.key]);
    // a Region folder is listed from --since's day on: the days before it are never listed
    env.proxy.reset();
    await replay('--since', '2024-03-03', `s3://${BUCKET}/AWSLogs/${ORG}/111111111111/CloudTrail/us-east-1/`);
    const lists = env.proxy.requests.filter(r => r.url.includes('list-type=2'));
    expect(lists).toHaveLength(1);
    expect(decodeURIComponent(lists[0].url)).toContain('start-after=AWSLogs/o-abcdefghij/111111111111/CloudTrail/us-east-1/2024/03/03');
  });

  test('nothing selected: a clear message, exit code 2', async () => {
    const r = await runCli(['--benchmark', '7.0.0', '--regions', 'ap-south-1', `s3://${BUCKET}/AWSLogs/`]);
    expect(r.stderr).toContain(`no CloudTrail log file under s3://${BUCKET}/AWSLogs/ is selected by --accounts, --regions, --since and --until`);
    expect(r.code).toBe(2);
  });

  test('a bucket that does not exist: exit code 2', async () => {
    const r = await runCli(['--benchmark', '7.0.0', 's3://no-such-trail-bucket/AWSLogs/']);
    expect(r.stderr).toContain('cis-monitoring replay: the bucket "no-such-trail-bucket" does not exist (NoSuchBucket)');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  test('a corrupt object is reported by its key and the rest is read; --strict exits 3', async () => {
    const bad = 'broken/AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/01/111111111111_CloudTrail_us-east-1_20240301T0100Z_bad.json.gz';
    const good: LogFile = { key: 'broken/AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/01/111111111111_CloudTrail_us-east-1_20240301T0105Z_ok.json.gz', account: '111111111111', region: 'us-east-1', minute: Date.UTC(2024, 2, 1, 1, 5) };
    await put(bad, Buffer.concat([zlib.gzipSync(JSON.stringify(recordsOf({ ...good, key: bad }))).subarray(0, 40), Buffer.from('not gzip any more')]));
    await put(good.key, zlib.gzipSync(JSON.stringify(recordsOf(good))));
    const r = await replay('--since', '2024-03-01', `s3://${BUCKET}/broken/`);
    expect(r.code).toBe(0);
    expect(r.json.malformed).toBe(1);
    expect(r.json.errors).toEqual([expect.objectContaining({ file: `s3://${BUCKET}/${bad}`, line: 1, message: expect.stringMatching(/^cannot read "s3:\/\/org-trail-archive\/broken\/.*_bad\.json\.gz": the gzip data is/) })]);
    expect(stopLoggingIds(r.json)).toEqual([good.key]);
    const strict = await runCli(['--benchmark', '7.0.0', '--strict', `s3://${BUCKET}/broken/`]);
    expect(strict.stderr).toContain(`s3://${BUCKET}/${bad}:1: cannot read`);
    expect(strict.code).toBe(3);
  });

  test('a denied prefix: its objects are reported by key, the others read; all denied: exit code 6', async () => {
    const denied = `AWSLogs/${ORG}/222222222222/`;
    env.proxy.rule = r => (r.method === 'GET' && r.url.startsWith(`/${BUCKET}/${denied}`) ? S3_ACCESS_DENIED : undefined);
    const r = await replay('--regions', 'eu-west-1', `s3://${BUCKET}/AWSLogs/`);
    expect(r.code).toBe(0);
    const deniedFiles = ORG_FILES.filter(f => f.region === 'eu-west-1' && f.account === '222222222222');
    expect(r.json.errors.map((e: any) => e.file)).toEqual(deniedFiles.map(f => `s3://${BUCKET}/${f.key}`));
    expect(r.json.errors[0].message).toMatch(/: access denied \(AccessDenied: Access Denied\); replay needs s3:ListBucket on the bucket .* and s3:GetObject/);
    expect(stopLoggingIds(r.json)).toEqual(ids(ORG_FILES.filter(f => f.region === 'eu-west-1' && f.account === '111111111111')));
    const all = await runCli(['--benchmark', '7.0.0', `s3://${BUCKET}/${denied}`]);
    expect(all.stderr).toContain('no CloudTrail record could be read from the input (12 problems above)');
    expect(all.code).toBe(6);
  });

  test('credentials without any permission (moto enforcing IAM): exit code 6 on the listing', async () => {
    await rawRequest(env.moto.endpoint, 'iam', 'POST', '/', { Action: 'CreateUser', UserName: 'nobody', Version: '2010-05-08' });
    const xml = await rawRequest(env.moto.endpoint, 'iam', 'POST', '/', { Action: 'CreateAccessKey', UserName: 'nobody', Version: '2010-05-08' });
    const key = { accessKeyId: /<AccessKeyId>([^<]+)</.exec(xml)![1], secretAccessKey: /<SecretAccessKey>([^<]+)</.exec(xml)![1] };
    await env.moto.setAuthAfter(0);
    try {
      pointAwsSdkAt(env.proxy.endpoint, key);
      const r = await runCli(['--benchmark', '7.0.0', `s3://${BUCKET}/AWSLogs/`]);
      expect(r.stderr).toMatch(/Access denied on s3:ListObjectsV2 for s3:\/\/org-trail-archive\/AWSLogs\/ \(AccessDenied: .*\)\. Replay needs s3:ListBucket/);
      expect(r.code).toBe(6);
    } finally {
      await env.moto.setAuthAfter(Infinity);
      pointAwsSdkAt(env.proxy.endpoint);
    }
  });

  test('throttled GETs are retried with backoff: the same report', async () => {
    const expected = await replay('--accounts', '111111111111', '--regions', 'us-east-1', `s3://${BUCKET}/AWSLogs/`);
    let throttled = 0;
    env.proxy.rule = r => (r.method === 'GET' && !r.url.includes('list-type') && throttled++ < 6 ? S3_SLOW_DOWN : undefined);
    const r = await replay('--accounts', '111111111111', '--regions', 'us-east-1', `s3://${BUCKET}/AWSLogs/`);
    expect(throttled).toBeGreaterThan(6);
    expect(r.json).toEqual(expected.json);
    expect(r.code).toBe(0);
  });

  test('a listing throttled on every attempt (5 by default): a clear message, exit code 5', async () => {
    env.proxy.rule = r => (r.url.includes('list-type=2') ? S3_SLOW_DOWN : undefined);
    const r = await runCli(['--benchmark', '7.0.0', `s3://${BUCKET}/AWSLogs/`]);
    expect(r.stderr).toMatch(/s3:ListObjectsV2 on s3:\/\/org-trail-archive\/AWSLogs\/ was throttled \(SlowDown: Please reduce your request rate\) on each of 5 attempts/);
    expect(r.code).toBe(5);
    expect(env.proxy.requests.filter(q => q.url.includes('list-type=2'))).toHaveLength(5);
  });

  test('an object throttled on every attempt (AWS_MAX_ATTEMPTS) is reported by key; nothing readable: exit code 5', async () => {
    env.proxy.rule = r => (r.method === 'GET' && !r.url.includes('list-type') ? S3_SLOW_DOWN : undefined);
    process.env.AWS_MAX_ATTEMPTS = '2';
    try {
      const r = await replay('--accounts', '111111111111', '--regions', 'us-east-1', '--since', '2024-03-03', `s3://${BUCKET}/AWSLogs/`);
      const files = ORG_FILES.filter(f => f.account === '111111111111' && f.region === 'us-east-1' && f.minute >= Date.UTC(2024, 2, 3));
      expect(r.json.errors.map((e: any) => e.message))
        .toEqual(files.map(f => `cannot read "s3://${BUCKET}/${f.key}": throttled on each of 2 attempts (SlowDown: Please reduce your request rate). The rest of this input is skipped`));
      expect(r.code).toBe(5);
      expect(env.proxy.requests.filter(q => q.method === 'GET' && !q.url.includes('list-type'))).toHaveLength(2 * files.length);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  });

  test('a response that breaks off is read on from the next byte (Range): the same report', async () => {
    const expected = await replay('--workers', '1', `s3://${BUCKET}/AWSLogs/`);
    const broken = new Set<string>();
    env.proxy.rule = r => {
      if (r.method !== 'GET' || r.url.includes('list-type') || broken.has(r.url)) return undefined;
      broken.add(r.url);
      return { kind: 'break', bytes: 60 };
    };
    for (const workers of ['1', '2']) {
      broken.clear();
      const r = await replay('--workers', workers, `s3://${BUCKET}/AWSLogs/`);
      expect(broken.size).toBe(ORG_FILES.length);
      expect(r.json).toEqual(expected.json);
    }
  });

  test('an object that never answers: retried after --timeout, then reported by key', async () => {
    const silent = ORG_FILES[0].key;
    env.proxy.rule = r => (r.url.startsWith(`/${BUCKET}/${silent}`) ? { kind: 'silence' } : undefined);
    const started = Date.now();
    process.env.AWS_MAX_ATTEMPTS = '2';
    let r;
    try {
      r = await replay('--timeout', '1', '--accounts', '111111111111', '--regions', 'eu-west-1', '--until', '2024-03-02', `s3://${BUCKET}/AWSLogs/`);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.json.errors).toEqual([expect.objectContaining({ file: `s3://${BUCKET}/${silent}`, message: expect.stringContaining('no answer or a broken connection on each of 2 attempts') })]);
    expect(stopLoggingIds(r.json)).toEqual([ORG_FILES[1].key]);
    expect(r.code).toBe(0);
  });

  test('a listing that hands back the same page token forever: exit code 5, no endless loop', async () => {
    env.proxy.rule = r => (r.url.includes('list-type=2') ? s3EndlessListing(BUCKET) : undefined);
    const r = await runCli(['--benchmark', '7.0.0', `s3://${BUCKET}/AWSLogs/`]);
    expect(r.stderr).toContain('s3:ListObjectsV2 on s3://org-trail-archive/AWSLogs/ (endpoint http://127.0.0.1:');
    expect(r.stderr).toContain('returned a page token it had already returned (page 2), so paging would never end');
    expect(r.code).toBe(5);
  });
});
