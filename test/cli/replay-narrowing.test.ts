/**
 * --accounts, --regions, --since and --until: what they select (by key, by
 * path, by log stream name), that pruning a folder never loses a key the
 * flags select, and a clear message and exit code 2 for each bad value or
 * combination.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { control, runCli, runJson } from './fixtures/replay/cli-harness';
import {
  dayFolder, mayHoldSelected, Narrowing, parseCloudTrailKey, parseNarrowing, parseTime, selectsKey, selectsLogStream,
} from '../../src/replay/narrowing';
import { isS3Url, parseS3Url } from '../../src/replay/remote/s3-url';

const NOW = Date.UTC(2024, 2, 10, 12, 0, 0);
const n = (flags: Parameters<typeof parseNarrowing>[0]): Narrowing => parseNarrowing(flags, NOW);
const KEY = 'AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/2024/03/01/111122223333_CloudTrail_eu-west-1_20240301T2355Z_Ab12.json.gz';

describe('CloudTrail keys', () => {
  test('organization and single-account layouts, with or without a prefix', () => {
    expect(parseCloudTrailKey(KEY)).toEqual({ organization: 'o-abcdefghij', account: '111122223333', region: 'eu-west-1', day: Date.UTC(2024, 2, 1), minute: Date.UTC(2024, 2, 1, 23, 55) });
    expect(parseCloudTrailKey('trails/AWSLogs/111122223333/CloudTrail/us-gov-west-1/2024/02/29/x.json.gz'))
      .toEqual({ account: '111122223333', region: 'us-gov-west-1', day: Date.UTC(2024, 1, 29) });
  });

  test.each([
    ['a digest file', 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/x.json.gz'],
    ['an Insights file', 'AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/03/01/x.json.gz'],
    ['no AWSLogs segment', '111122223333/CloudTrail/us-east-1/2024/03/01/x.json.gz'],
    ['an account of 11 digits', 'AWSLogs/11112222333/CloudTrail/us-east-1/2024/03/01/x.json.gz'],
    ['a day that does not exist', 'AWSLogs/111122223333/CloudTrail/us-east-1/2023/02/29/x.json.gz'],
    ['a folder too many', 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/extra/x.json.gz'],
    ['not a Region', 'AWSLogs/111122223333/CloudTrail/useast1/2024/03/01/x.json.gz'],
  ])('not in the layout: %s', (_, key) => {
    expect(parseCloudTrailKey(key)).toBeUndefined();
    expect(selectsKey(key, {})).toBe(false);
  });

  test('accounts and Regions select exactly', () => {
    expect(selectsKey(KEY, n({ accounts: '111122223333' }))).toBe(true);
    expect(selectsKey(KEY, n({ accounts: '444455556666,111122223333' }))).toBe(true);
    expect(selectsKey(KEY, n({ accounts: '444455556666' }))).toBe(false);
    expect(selectsKey(KEY, n({ regions: 'eu-west-1' }))).toBe(true);
    expect(selectsKey(KEY, n({ regions: 'us-east-1' }))).toBe(false);
  });

  test('time: the minute in the name, [T, T + 60 s), must overlap [since, until)', () => {
    // delivered 2024-03-01T23:55Z
    expect(selectsKey(KEY, n({ since: '2024-03-01T23:55:59Z' }))).toBe(true);
    expect(selectsKey(KEY, n({ since: '2024-03-01T23:56Z' }))).toBe(false);
    expect(selectsKey(KEY, n({ until: '2024-03-01T23:55:00.001Z' }))).toBe(true);
    expect(selectsKey(KEY, n({ until: '2024-03-01T23:55Z' }))).toBe(false);
    expect(selectsKey(KEY, n({ since: '2024-03-01', until: '2024-03-02' }))).toBe(true);
    expect(selectsKey(KEY, n({ since: '2024-03-02' }))).toBe(false);
    // an offset is honoured: 00:55+01:00 is 23:55Z
    expect(selectsKey(KEY, n({ since: '2024-03-02T00:55+01:00', until: '2024-03-02T00:56+01:00' }))).toBe(true);
  });

  test('a name without a minute is selected by its day folder', () => {
    const key = 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/export.json';
    expect(selectsKey(key, n({ since: '2024-03-01T23:59Z' }))).toBe(true);
    expect(selectsKey(key, n({ since: '2024-03-02T00:00Z' }))).toBe(false);
  });

  test('pruning a folder never loses a selected key (every prefix of 1,000 keys against 120 narrowings)', () => {
    // Park-Miller, seeded: the same cases on every run (its high bits, scaled)
    let seed = 7;
    const rnd = (k: number): number => {
      seed = (seed * 16807) % 2147483647;
      return Math.floor((seed / 2147483647) * k);
    };
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
    const accounts = ['111122223333', '444455556666', '777788889999'];
    const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
    const keys = Array.from({ length: 1000 }, () => {
      const d = 1 + rnd(60);
      const day = new Date(Date.UTC(2023, 11, 1) + d * 86_400_000);
      const y = day.getUTCFullYear();
      const m = String(day.getUTCMonth() + 1).padStart(2, '0');
      const dd = String(day.getUTCDate()).padStart(2, '0');
      const hhmm = `${String(rnd(24)).padStart(2, '0')}${String(rnd(60)).padStart(2, '0')}`;
      const account = pick(accounts);
      const region = pick(regions);
      return `${pick(['', 'trails/', 'a/b/'])}AWSLogs/${pick(['', 'o-abcdefghij/'])}${account}/${pick(['CloudTrail', 'CloudTrail', 'CloudTrail-Digest'])}/${region}/${y}/${m}/${dd}/${account}_CloudTrail_${region}_${y}${m}${dd}T${hhmm}Z_x.json.gz`;
    });
    let selected = 0;
    const lost: string[] = [];
    for (let i = 0; i < 120; i++) {
      const since = Date.UTC(2023, 11, 1) + rnd(70) * 86_400_000 + rnd(1440) * 60_000;
      const flags = {
        ...(rnd(2) ? { accounts: accounts.filter(() => rnd(2)).join(',') || accounts[0] } : {}),
        ...(rnd(2) ? { regions: regions.filter(() => rnd(2)).join(',') || regions[0] } : {}),
        ...(rnd(2) ? { since: new Date(since).toISOString() } : {}),
        ...(rnd(2) ? { until: new Date(since + (1 + rnd(5000)) * 60_000).toISOString() } : {}),
      };
      const narrowing = n(flags);
      for (const key of keys) {
        if (!selectsKey(key, narrowing)) continue;
        selected++;
        const parts = key.split('/');
        for (let j = 1; j < parts.length; j++) {
          const dir = parts.slice(0, j).join('/') + '/';
          if (!mayHoldSelected(dir, narrowing)) lost.push(`${JSON.stringify(flags)}: ${dir} pruned, holding ${key}`);
        }
      }
    }
    expect(lost).toEqual([]);
    expect(selected).toBeGreaterThan(500);
  });

  test('folders the flags exclude are pruned', () => {
    const narrowing = n({ accounts: '111122223333', regions: 'eu-west-1', since: '2024-03-01', until: '2024-03-02' });
    expect(mayHoldSelected('AWSLogs/', narrowing)).toBe(true);
    expect(mayHoldSelected('AWSLogs/o-abcdefghij/', narrowing)).toBe(true);
    expect(mayHoldSelected('AWSLogs/o-abcdefghij/444455556666/', narrowing)).toBe(false);
    expect(mayHoldSelected('AWSLogs/111122223333/CloudTrail-Digest/', narrowing)).toBe(false);
    expect(mayHoldSelected('AWSLogs/111122223333/CloudTrail/us-east-1/', narrowing)).toBe(false);
    expect(mayHoldSelected('AWSLogs/111122223333/CloudTrail/eu-west-1/2023/', narrowing)).toBe(false);
    expect(mayHoldSelected('AWSLogs/111122223333/CloudTrail/eu-west-1/2024/02/', narrowing)).toBe(false);
    expect(mayHoldSelected('AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/02/', narrowing)).toBe(false);
    expect(mayHoldSelected('AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/01/', narrowing)).toBe(true);
    expect(dayFolder(Date.UTC(2024, 2, 1, 23, 59))).toBe('2024/03/01');
  });

  test('log streams by name: ACCOUNT_CloudTrail_REGION, with the organization id first', () => {
    const narrowing = n({ accounts: '111122223333', regions: 'eu-west-1' });
    expect(selectsLogStream('111122223333_CloudTrail_eu-west-1', narrowing)).toBe(true);
    expect(selectsLogStream('o-abcdefghij_111122223333_CloudTrail_eu-west-1', narrowing)).toBe(true);
    expect(selectsLogStream('111122223333_CloudTrail_us-east-1', narrowing)).toBe(false);
    expect(selectsLogStream('some-other-stream', narrowing)).toBe(false);
    expect(selectsLogStream('some-other-stream', n({ since: '1d' }))).toBe(true);
  });
});

describe('time values', () => {
  test.each([
    ['2024-03-01', Date.UTC(2024, 2, 1)],
    ['2024-03-01T10:00Z', Date.UTC(2024, 2, 1, 10)],
    ['2024-03-01T10:00:30.5Z', Date.UTC(2024, 2, 1, 10, 0, 30, 500)],
    ['2024-03-01T10:00', Date.UTC(2024, 2, 1, 10)],
    ['2024-03-01T12:00:00+02:00', Date.UTC(2024, 2, 1, 10)],
    ['2024-03-01T05:30-0430', Date.UTC(2024, 2, 1, 10)],
    ['30m', NOW - 30 * 60_000],
    ['12h', NOW - 12 * 3_600_000],
    ['7d', NOW - 7 * 86_400_000],
    ['2w', NOW - 14 * 86_400_000],
  ])('%s', (value, ms) => {
    expect(parseTime('--since', value, NOW)).toBe(ms);
  });

  test.each(['yesterday', '2024-02-30', '2024-03-01T24:00Z', '1710000000', '7 days', '-1d', '2024-3-1'])('not a time: %s', value => {
    expect(() => parseTime('--since', value, NOW)).toThrow(`--since "${value}" is not a time: give an ISO 8601 date or date-time`);
  });
});

describe('s3:// addresses', () => {
  test('bucket and prefix', () => {
    expect(isS3Url('s3://b/x')).toBe(true);
    expect(isS3Url('./s3/x')).toBe(false);
    expect(parseS3Url('s3://my-trail-bucket')).toEqual({ bucket: 'my-trail-bucket', prefix: '' });
    expect(parseS3Url('s3://my-trail-bucket/AWSLogs/o-abc/')).toEqual({ bucket: 'my-trail-bucket', prefix: 'AWSLogs/o-abc/' });
  });

  test.each(['s3://', 's3://UPPER/x', 's3://a/x', 's3://has_underscore', 's3://a..b/x'])('not a bucket: %s', url => {
    expect(() => parseS3Url(url)).toThrow('is not an S3 address: give s3://BUCKET or s3://BUCKET/PREFIX');
  });
});

describe('the command line refuses bad narrowing and source combinations (exit code 2)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-narrow-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    [['--accounts', '1234', 'x'], '--accounts "1234": give 12-digit AWS account ids separated by commas'],
    [['--accounts', ',', 'x'], '--accounts ",": give 12-digit AWS account ids'],
    [['--regions', 'Europe', 'x'], '--regions "Europe": give AWS Region names separated by commas'],
    [['--since', 'last week', 'x'], '--since "last week" is not a time'],
    [['--until', '2024-13-01', 'x'], '--until "2024-13-01" is not a time'],
    [['--since', '2024-03-02', '--until', '2024-03-01', 'x'], '--since (2024-03-02T00:00:00.000Z) must be before --until (2024-03-01T00:00:00.000Z)'],
    [['--since', '1d', '-'], 'select log files by their place in CloudTrail\'s layout: give a directory'],
    [['--log-group', 'g', 'x.json'], '--log-group reads the log group: give no paths with it'],
    [['--log-group', 'bad name!'], '--log-group "bad name!" is not a log group name'],
    [['s3://bucket/x', 'local.json'], 'give either s3:// addresses or local paths, not both'],
    [['s3://Bad_Bucket/x'], '"s3://Bad_Bucket/x" is not an S3 address'],
    [['--region', 'us-east-1', 'x.json'], '--region, --profile and --timeout are for s3:// addresses and --log-group'],
    [['--timeout', '0', 's3://bucket/x'], '--timeout "0" is not a number of seconds from 1 to 3600'],
    [['--workers', '0', 'x'], '--workers "0" is not a number of threads'],
    [['--workers', 'many', 'x'], '--workers "many" is not a number of threads'],
  ])('%j', async (args, message) => {
    const r = await runCli(['--benchmark', '7.0.0', ...args], { stdin: '{}' });
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  test('a file given by name with narrowing flags is refused (they select the files of a directory)', async () => {
    const file = path.join(dir, 'trail.json');
    fs.writeFileSync(file, '{"Records":[]}');
    const r = await runCli(['--benchmark', '7.0.0', '--accounts', '111122223333', file]);
    expect(r.stderr).toContain(`"${file}" is a file: --accounts, --regions, --since and --until select the files of a directory`);
    expect(r.code).toBe(2);
  });

  test('a directory, narrowed: exactly the selected files are read, and none selected is an error', async () => {
    const records = (id: string) => zlib.gzipSync(JSON.stringify({ Records: [{ eventName: 'StopLogging', eventSource: 'cloudtrail.amazonaws.com', eventID: id, eventTime: '2024-03-01T10:00:00Z' }] }));
    const files = [
      'AWSLogs/o-abcdefghij/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1005Z_a.json.gz',
      'AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/2024/03/02/111122223333_CloudTrail_eu-west-1_20240302T0000Z_b.json.gz',
      'AWSLogs/o-abcdefghij/444455556666/CloudTrail/us-east-1/2024/03/01/444455556666_CloudTrail_us-east-1_20240301T2359Z_c.json.gz',
      'AWSLogs/o-abcdefghij/notes/readme.json',
    ];
    for (const f of files) {
      fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), f.endsWith('.gz') ? records(path.basename(f)) : '{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"readme"}');
    }
    const ids = async (...flags: string[]) => {
      const r = await runJson(['--benchmark', '7.0.0', '--event-ids', ...flags, dir]);
      expect(r.code).toBe(0);
      return control(r.json, 'cloudtrail-config-changes').eventIds;
    };
    expect(await ids()).toHaveLength(4); // without flags, the walk reads every input file, in the layout or not
    expect(await ids('--accounts', '111122223333')).toEqual([path.basename(files[1]), path.basename(files[0])]);
    expect(await ids('--regions', 'us-east-1')).toEqual([path.basename(files[0]), path.basename(files[2])]);
    expect(await ids('--since', '2024-03-01T12:00Z', '--until', '2024-03-02')).toEqual([path.basename(files[2])]);
    const none = await runCli(['--benchmark', '7.0.0', '--regions', 'ap-south-1', dir]);
    expect(none.stderr).toContain(`no file under directory "${dir}" is selected by --accounts, --regions, --since and --until`);
    expect(none.code).toBe(2);
  });
});
