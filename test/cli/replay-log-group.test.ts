/**
 * `replay --log-group` against moto's CloudWatch Logs: the trail's log group
 * gives the report of the same records as local files (one thread or
 * several), --accounts/--regions select log streams and --since/--until log
 * events exactly, and a missing log group, throttling, an endless paging and
 * denied calls give a clear message and the documented exit code. moto
 * refuses events older than 14 days, as AWS does: the events here are from
 * the last two hours.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describeIfPython } from '../support/moto';
import { control, runCli, runJson } from './fixtures/replay/cli-harness';
import { LOGS_THROTTLED, useMotoBehindProxy } from './fixtures/replay/fault-proxy';

const GROUP = 'aws-cloudtrail-logs-org-trail';
const ORG = 'o-abcdefghij';
const STREAMS = [
  { name: `${ORG}_111111111111_CloudTrail_eu-west-1`, account: '111111111111', region: 'eu-west-1' },
  { name: `${ORG}_111111111111_CloudTrail_us-east-1`, account: '111111111111', region: 'us-east-1' },
  { name: `${ORG}_222222222222_CloudTrail_us-east-1`, account: '222222222222', region: 'us-east-1' },
];
/** Events per stream, one a minute, the last one a minute ago (rounded to a minute). */
const PER_STREAM = 60;
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const timeOf = (i: number): number => NOW - (PER_STREAM - i) * 60_000;

function message(stream: string, account: string, i: number): string {
  const names = ['StopLogging', 'DescribeInstances', 'ConsoleLogin', 'AuthorizeSecurityGroupIngress', 'GetObject'];
  const eventName = names[i % names.length];
  return JSON.stringify({
    eventVersion: '1.08',
    eventTime: new Date(timeOf(i)).toISOString().replace('.000Z', 'Z'),
    eventSource: eventName === 'StopLogging' ? 'cloudtrail.amazonaws.com' : eventName === 'ConsoleLogin' ? 'signin.amazonaws.com' : 'ec2.amazonaws.com',
    eventName,
    eventID: `${stream}#${i}`,
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${account}:user/u${i % 3}` },
    ...(eventName === 'ConsoleLogin' ? { responseElements: { ConsoleLogin: 'Failure' }, errorMessage: 'Failed authentication' } : {}),
  });
}

describeIfPython('replay --log-group against moto', () => {
  const env = useMotoBehindProxy('replay-logs-');

  beforeAll(async () => {
    const dir = env.dir;
    const logs = new CloudWatchLogsClient({});
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    for (const s of STREAMS) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: s.name }));
      const events = Array.from({ length: PER_STREAM }, (_, i) => ({ timestamp: timeOf(i), message: message(s.name, s.account, i) }));
      await logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: s.name, logEvents: events }));
      // the same records as a local file per stream, named so that they are read in stream order
      fs.writeFileSync(path.join(dir, `${s.name}.ndjson`), events.map(e => e.message).join('\n') + '\n');
    }
    // a stream that is not a trail's: read without --accounts/--regions only
    await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 'zz-other' }));
    await logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: 'zz-other', logEvents: [{ timestamp: timeOf(0), message: message('zz-other', '999999999999', 0) }] }));
    fs.writeFileSync(path.join(dir, 'zz-other.ndjson'), message('zz-other', '999999999999', 0) + '\n');
  });

  const replay = (...args: string[]) => runJson(['--benchmark', '7.0.0', '--event-ids', ...args]);
  const stopLoggingIds = (json: any): string[] => control(json, 'cloudtrail-config-changes').eventIds;

  test('the log group gives the report of the same records as local files, on one thread and on several', async () => {
    const local = await replay('--workers', '1', env.dir);
    expect(local.json.events).toBe(STREAMS.length * PER_STREAM + 1);
    expect(control(local.json, 'console-auth-failures').matches).toBe(STREAMS.length * PER_STREAM / 5);
    for (const workers of ['1', '3']) {
      const remote = await replay('--workers', workers, '--log-group', GROUP);
      expect(remote.stderr).toBe('');
      expect(remote.code).toBe(0);
      expect(remote.json).toEqual(local.json);
    }
    const table = await runCli(['--benchmark', '7.0.0', '--log-group', GROUP]);
    expect(table.stdout).toContain(`${STREAMS.length * PER_STREAM + 1} events from ${STREAMS.length + 1} inputs; 0 malformed.`);
  });

  test.each([
    ['--accounts', ['--accounts', '222222222222'], (s: typeof STREAMS[number]) => s.account === '222222222222'],
    ['--regions', ['--regions', 'us-east-1'], (s: typeof STREAMS[number]) => s.region === 'us-east-1'],
    ['both', ['--accounts', '111111111111', '--regions', 'eu-west-1,ap-south-1'], (s: typeof STREAMS[number]) => s.account === '111111111111' && s.region === 'eu-west-1'],
  ])('%s selects exactly the streams their names say', async (_, flags, expected) => {
    const r = await replay(...flags, '--log-group', GROUP);
    const want = STREAMS.filter(expected);
    expect(r.json.events).toBe(want.length * PER_STREAM);
    expect(stopLoggingIds(r.json)).toEqual(want.flatMap(s => Array.from({ length: PER_STREAM / 5 }, (__, k) => `${s.name}#${5 * k}`)));
  });

  test('--since and --until select the log events of [since, until) exactly', async () => {
    const since = new Date(timeOf(10)).toISOString();
    const until = new Date(timeOf(35)).toISOString();
    const r = await replay('--since', since, '--until', until, '--accounts', '111111111111', '--log-group', GROUP);
    // events 10 .. 34 of the two selected streams
    expect(r.json.events).toBe(2 * 25);
    expect(stopLoggingIds(r.json)).toEqual(STREAMS.slice(0, 2).flatMap(s => [10, 15, 20, 25, 30].map(i => `${s.name}#${i}`)));
    const relative = await replay('--since', '10m', '--log-group', GROUP);
    expect(relative.json.events).toBeGreaterThanOrEqual(STREAMS.length * 8);
    expect(relative.json.events).toBeLessThanOrEqual(STREAMS.length * 10);
  });

  test('a log group that does not exist: exit code 2', async () => {
    const r = await runCli(['--benchmark', '7.0.0', '--log-group', 'no-such-group']);
    expect(r.stderr).toContain('cis-monitoring replay: the log group "no-such-group" does not exist in us-east-1 (ResourceNotFoundException)');
    expect(r.code).toBe(2);
  });

  test('throttled calls are retried with backoff: the same report', async () => {
    const expected = await replay('--accounts', '222222222222', '--log-group', GROUP);
    let throttled = 0;
    env.proxy.rule = r => (/GetLogEvents|DescribeLogStreams/.test(r.target) && throttled++ < 2 ? LOGS_THROTTLED : undefined);
    const r = await replay('--accounts', '222222222222', '--log-group', GROUP);
    expect(throttled).toBeGreaterThan(2);
    expect(r.json).toEqual(expected.json);
  });

  test('listing streams throttled on every attempt: a clear message, exit code 5', async () => {
    env.proxy.rule = r => (r.target.endsWith('DescribeLogStreams') ? LOGS_THROTTLED : undefined);
    const r = await runCli(['--benchmark', '7.0.0', '--log-group', GROUP]);
    expect(r.stderr).toContain(`logs:DescribeLogStreams on log group "${GROUP}" was throttled (ThrottlingException: Rate exceeded) on each of 5 attempts`);
    expect(r.code).toBe(5);
  });

  test('a stream throttled on every attempt (AWS_MAX_ATTEMPTS) is reported; nothing readable: exit code 5', async () => {
    env.proxy.rule = r => (r.target.endsWith('GetLogEvents') ? LOGS_THROTTLED : undefined);
    process.env.AWS_MAX_ATTEMPTS = '2';
    try {
      const r = await replay('--accounts', '222222222222', '--log-group', GROUP);
      expect(r.json.errors).toEqual([expect.objectContaining({
        file: `logs://${GROUP}/${STREAMS[2].name}`,
        message: `cannot read "logs://${GROUP}/${STREAMS[2].name}": throttled on each of 2 attempts (ThrottlingException: Rate exceeded). The rest of this input is skipped`,
      })]);
      expect(r.code).toBe(5);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  });

  test('calls stay within the quotas: at most 10 GetLogEvents a second', async () => {
    const started = Date.now();
    await replay('--log-group', GROUP);
    const gets = env.proxy.requests.filter(r => r.target.endsWith('GetLogEvents')).length;
    // one call per stream with events, plus one that finds the end of each
    expect(gets).toBe(2 * (STREAMS.length + 1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(((gets - 1) / 10) * 1000 - 50);
  });

  test('a stream that hands back a page token it gave before: exit code 5, no endless loop', async () => {
    let n = 0;
    env.proxy.rule = r => (r.target.endsWith('GetLogEvents') ? {
      kind: 'answer',
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      // a, b, a, b, ...: never the token just given, so only the guard stops it
      body: JSON.stringify({ events: [], nextForwardToken: `f/${n++ % 2}`, nextBackwardToken: 'b/0' }),
    } : undefined);
    const r = await runCli(['--benchmark', '7.0.0', '--accounts', '222222222222', '--log-group', GROUP]);
    expect(r.stderr).toContain(`logs:GetLogEvents on logs://${GROUP}/${STREAMS[2].name} (endpoint http://127.0.0.1:`);
    expect(r.stderr).toContain('returned a page token it had already returned (page 3)');
    expect(r.code).toBe(5);
  });
});
