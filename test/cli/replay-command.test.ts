import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { control, fixture, runCli, runJson } from './fixtures/replay/cli-harness';
import { main } from '../../src/cli/main';

const BENCH = ['--benchmark', '7.0.0'];

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-test-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What records.json / events.ndjson hold, as the CIS 7.0.0 patterns see it. */
function expectSixRecordVerdicts(json: any): void {
  expect(json.events).toBe(6);
  expect(control(json, 'cloudtrail-config-changes').matches).toBe(1); // StopLogging
  expect(control(json, 'console-signin-without-mfa').matches).toBe(1); // ConsoleLogin, MFAUsed No
  expect(control(json, 'security-group-changes').matches).toBe(1); // AuthorizeSecurityGroupIngress
  // Client.UnauthorizedOperation counts; AccessDenied from delivery.logs.amazonaws.com is excluded
  expect(control(json, 'unauthorized-api-calls').matches).toBe(1);
  expect(control(json, 'root-account-usage').matches).toBe(0);
  expect(json.controls.reduce((n: number, c: any) => n + c.matches, 0)).toBe(4);
}

describe('replay: input formats', () => {
  test('a CloudTrail {"Records":[...]} file, JSON report', async () => {
    const r = await runJson([...BENCH, fixture('records.json')]);
    expect(r.code).toBe(0);
    expectSixRecordVerdicts(r.json);
    expect(r.json.malformed).toBe(0);
    expect(r.json.errors).toEqual([]);
  });

  test('the JSON report is one object of the documented shape; eventIds only with --event-ids', async () => {
    const r = await runJson([...BENCH, fixture('records.json')]);
    expect(Object.keys(r.json)).toEqual(['events', 'controls', 'malformed', 'errors', 'errorsOmitted', 'warnings']);
    const c = control(r.json, 'security-group-changes');
    expect(c).toEqual({
      key: 'security-group-changes',
      cisId: '5.10',
      namespace: 'CISBenchmark',
      environment: null,
      benchmark: '7.0.0',
      metricName: 'SecurityGroupChanges',
      // The CIS text and CloudSploit's both match: two data points, the second
      // of value 0, so the alarm still sums one event.
      filters: 2,
      matches: 1,
      zeroValueMatches: 0,
      datapoints: 2,
      sum: 1,
      untimedMatches: 0,
      alarmFirings: 1,
      alarms: [{
        name: 'security-group-changes',
        period: 300,
        statistic: 'Sum',
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        firings: 1,
      }],
      topPrincipals: [{ principal: 'arn:aws:iam::111122223333:user/bob', count: 1 }],
    });
    expect(r.json.controls).toHaveLength(15);

    const withIds = await runJson([...BENCH, '--event-ids', fixture('records.json')]);
    expect(control(withIds.json, 'console-signin-without-mfa').eventIds).toEqual(['ev-0002']);
    expect(control(withIds.json, 'root-account-usage').eventIds).toEqual([]);
  });

  test('an empty Records array is a valid file with no events', async () => {
    const r = await runJson([...BENCH, fixture('empty-records.json')]);
    expect(r.code).toBe(0);
    expect(r.json.events).toBe(0);
    expect(r.json.malformed).toBe(0);
  });

  test('a JSON array (the shared corpus format)', async () => {
    const r = await runJson([...BENCH, '--event-ids', fixture('array.json')]);
    expect(r.json.events).toBe(3);
    expect(control(r.json, 'cloudtrail-config-changes').eventIds).toEqual(['ev-0001']);
    expect(control(r.json, 'security-group-changes').eventIds).toEqual(['ev-0003']);
  });

  test('NDJSON gives the same verdicts as the Records file', async () => {
    const a = await runJson([...BENCH, '--event-ids', fixture('events.ndjson')]);
    const b = await runJson([...BENCH, '--event-ids', fixture('records.json')]);
    expectSixRecordVerdicts(a.json);
    expect(a.json.controls).toEqual(b.json.controls);
  });

  test('gzip is detected by its magic bytes, whatever the file name', async () => {
    const body = fs.readFileSync(fixture('records.json'));
    const gz = zlib.gzipSync(body);
    fs.writeFileSync(path.join(tmp, 'trail.json.gz'), gz);
    fs.writeFileSync(path.join(tmp, 'misnamed.json'), gz); // gzip without .gz
    fs.writeFileSync(path.join(tmp, 'plain.json.gz'), body); // .gz name, plain content
    for (const name of ['trail.json.gz', 'misnamed.json', 'plain.json.gz']) {
      const r = await runJson([...BENCH, path.join(tmp, name)]);
      expect(r.code).toBe(0);
      expectSixRecordVerdicts(r.json);
    }
  });

  test('a corrupt gzip file is reported with its name; other inputs are still read', async () => {
    const gz = zlib.gzipSync(fs.readFileSync(fixture('records.json')));
    const cut = path.join(tmp, 'cut.json.gz');
    fs.writeFileSync(cut, gz.subarray(0, gz.length - 30));
    const r = await runJson([...BENCH, cut, fixture('array.json')]);
    expect(r.code).toBe(0);
    expect(r.json.events).toBeGreaterThanOrEqual(3);
    // one defect, one problem
    expect(r.json.malformed).toBe(1);
    expect(r.json.errors).toContainEqual({ file: cut, line: expect.any(Number), message: expect.stringContaining(`cannot read "${cut}": the gzip data is truncated`) });
  });

  test('a directory is walked recursively in sorted order; README and digest files are skipped', async () => {
    const r = await runJson([...BENCH, '--event-ids', fixture('tree')]);
    expect(r.code).toBe(0);
    expect(r.json.events).toBe(3);
    expect(r.json.malformed).toBe(0);
    expect(control(r.json, 'cloudtrail-config-changes').eventIds).toEqual(['tree-1', 'tree-2', 'tree-3']);
    // CreateTrail 00:00 and DeleteTrail 00:05 are in consecutive periods (one firing), UpdateTrail a month later
    expect(control(r.json, 'cloudtrail-config-changes').alarmFirings).toBe(2);
  });

  test('standard input: "-", gzip on "-", and piped input without a path', async () => {
    const body = fs.readFileSync(fixture('events.ndjson'));
    for (const [args, stdin] of [[['-'], body], [['-'], zlib.gzipSync(body)], [[], body]] as Array<[string[], Buffer]>) {
      const r = await runJson([...BENCH, ...args], { stdin });
      expect(r.code).toBe(0);
      expectSixRecordVerdicts(r.json);
    }
  });

  test('several inputs are read in the order given and counted together', async () => {
    const r = await runJson([...BENCH, '--event-ids', fixture('array.json'), fixture('records.json')]);
    expect(r.json.events).toBe(9);
    expect(control(r.json, 'cloudtrail-config-changes').eventIds).toEqual(['ev-0001', 'ev-0001']);
  });
});

describe('replay: malformed input', () => {
  test('--validate: malformed lines in the middle are reported with file and line; the rest is processed', async () => {
    const file = fixture('malformed-middle.ndjson');
    const r = await runJson([...BENCH, '--validate', file]);
    expect(r.code).toBe(0);
    expect(r.json.events).toBe(3);
    expect(r.json.malformed).toBe(3);
    expect(r.json.errors.map((e: any) => [e.file, e.line])).toEqual([[file, 2], [file, 3], [file, 5]]);
    expect(r.json.errors[2].message).toMatch(/^malformed record: /);
  });

  test('by default, damage inside a record that no filter can match makes it an event; the matches are the same', async () => {
    const file = fixture('malformed-middle.ndjson');
    const fast = await runJson([...BENCH, file]);
    const validated = await runJson([...BENCH, '--validate', file]);
    // line 5, {"eventName": "X", "eventTime": }, holds no text any CIS filter needs: counted, not parsed
    expect(fast.json.errors.map((e: any) => e.line)).toEqual([2, 3]);
    expect(fast.json.events).toBe(4);
    // every record is counted once either way, and what matches does not change
    expect(fast.json.events + fast.json.malformed).toBe(validated.json.events + validated.json.malformed);
    expect(fast.json.controls).toEqual(validated.json.controls);
  });

  test('--strict turns any malformed input into exit code 3 (the report is still printed)', async () => {
    const r = await runJson([...BENCH, '--strict', '--validate', fixture('malformed-middle.ndjson')]);
    expect(r.code).toBe(3);
    expect(r.json.events).toBe(3);
    expect(r.stderr).toContain('--strict: the input has 3 malformed');
    const clean = await runJson([...BENCH, '--strict', fixture('records.json')]);
    expect(clean.code).toBe(0);
  });

  test('a truncated file: the complete records count, the cut one is reported', async () => {
    const file = fixture('truncated.json');
    const r = await runJson([...BENCH, file]);
    expect(r.code).toBe(0);
    expect(r.json.events).toBe(2);
    expect(r.json.errors).toEqual([{ file, line: 1, message: expect.stringMatching(/^truncated: the input ends inside the record/) }]);
  });

  test('an empty file alone is unusable input (exit 1); beside a good file it is only reported', async () => {
    const alone = await runCli([...BENCH, fixture('empty.json')]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain(`${fixture('empty.json')}:1: the input is empty`);
    expect(alone.stderr).toContain('no CloudTrail record could be read from the input');
    const mixed = await runJson([...BENCH, fixture('empty.json'), fixture('records.json')]);
    expect(mixed.code).toBe(0);
    expect(mixed.json.events).toBe(6);
    expect(mixed.json.malformed).toBe(1);
  });

  test('a non-JSON file is unusable input (exit 1), reported once', async () => {
    const r = await runJson([...BENCH, fixture('not-json.txt')]);
    expect(r.code).toBe(2);
    expect(r.json.events).toBe(0);
    expect(r.json.errors).toEqual([{ file: fixture('not-json.txt'), line: 1, message: expect.stringContaining('not JSON') }]);
  });

  test('a record that is not an object is malformed', async () => {
    const file = path.join(tmp, 'scalars.json');
    fs.writeFileSync(file, '[1, {"eventName":"StopLogging"}]');
    const r = await runJson([...BENCH, file]);
    expect(r.json.events).toBe(1);
    expect(r.json.errors).toEqual([{ file, line: 1, record: 1, offset: expect.any(Number), message: expect.stringContaining('expected a JSON object') }]);
  });

  test('table mode lists problems on stderr as file:line: message', async () => {
    const r = await runCli([...BENCH, '--validate', fixture('malformed-middle.ndjson')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${fixture('malformed-middle.ndjson')}:3: unexpected text "this line is not JSON"`);
    expect(r.stdout).toContain('3 events from 1 input; 3 malformed.');
  });
});

describe('replay: table output', () => {
  test('one row per control with CIS id, metric, matches, firings and top principal', async () => {
    const r = await runCli([...BENCH, fixture('records.json')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^CONTROL\s+CIS\s+METRIC\s+MATCHES\s+SUM\s+FIRINGS\s+TOP PRINCIPAL$/);
    expect(lines.find(l => l.startsWith('security-group-changes'))).toMatch(
      /^security-group-changes\s+5\.10\s+SecurityGroupChanges\s+1\s+1\s+1\s+arn:aws:iam::111122223333:user\/bob \(1\)$/);
    expect(lines.find(l => l.startsWith('root-account-usage'))).toMatch(/^root-account-usage\s+5\.3\s+RootAccountUsage\s+0\s+0\s+0\s+-$/);
    expect(r.stdout).toContain('6 events from 1 input; 0 malformed.');
  });

  test('a progress bar goes to stderr only when it is a terminal (and not with --no-progress)', async () => {
    const tty = await runCli([...BENCH, fixture('records.json')], { stderrIsTTY: true });
    expect(tty.stderr).toContain('replay [');
    const pipe = await runCli([...BENCH, fixture('records.json')]);
    expect(pipe.stderr).toBe('');
    const off = await runCli([...BENCH, '--no-progress', fixture('records.json')], { stderrIsTTY: true });
    expect(off.stderr).toBe('');
    // stdout is the same either way
    expect(tty.stdout).toBe(pipe.stdout);
  });
});

describe('replay --template', () => {
  test('two filters on one metric: matches are the union, data points count each filter', async () => {
    const r = await runJson(['--template', fixture('two-filters.template.json'), fixture('records.json')]);
    expect(r.code).toBe(0);
    expect(r.json.controls.map((c: any) => c.key)).toEqual(['unauthorized-api-calls', 'cloudtrail-config-changes', 'BreakGlassSignIns']);
    const ua = control(r.json, 'unauthorized-api-calls');
    // ev-0004 (UnauthorizedOperation) matches both texts; ev-0006 (AccessDenied from delivery.logs) only the v1.2 text
    expect(ua).toMatchObject({ cisId: '5.1', filters: 2, matches: 2, datapoints: 3, alarmFirings: 1 });
    expect(ua.alarms).toEqual([expect.objectContaining({ name: 'app-cis-unauthorized-api-calls', period: 300, firings: 1 })]);
  });

  test('alarms in the Metrics form are linked, with their own period and M of N', async () => {
    const r = await runJson(['--template', fixture('two-filters.template.json'), fixture('records.json')]);
    const ct = control(r.json, 'cloudtrail-config-changes');
    expect(ct).toMatchObject({ cisId: '5.5', matches: 1, alarmFirings: 0 });
    expect(ct.alarms).toEqual([expect.objectContaining({ period: 60, evaluationPeriods: 2, datapointsToAlarm: 2, firings: 0 })]);
  });

  test('a metric outside the catalog keeps its name as key; without an alarm its firings are null', async () => {
    const r = await runJson(['--template', fixture('two-filters.template.json'), fixture('records.json')]);
    const bg = control(r.json, 'BreakGlassSignIns');
    expect(bg).toMatchObject({ cisId: null, namespace: 'Custom/Security', matches: 1, alarmFirings: null, alarms: [] });
    expect(r.json.warnings).toEqual([expect.stringContaining('no alarm watches metric Custom/Security/BreakGlassSignIns')]);
  });

  test('a cdk.out directory: the stacks its manifest lists, nested assemblies included, a stale template ignored', async () => {
    const r = await runJson(['--template', fixture('cdk.out'), fixture('records.json')]);
    expect(r.code).toBe(0);
    // Stale.template.json holds the same filter and alarm; counted again it would double every number.
    expect(r.json.controls).toHaveLength(1);
    expect(control(r.json, 'cloudtrail-config-changes')).toMatchObject({
      cisId: '4.5', environment: 'aws://222222222222/eu-west-1', matches: 1, datapoints: 1, sum: 1, alarmFirings: 1,
    });
  });
});

describe('replay: bad usage (exit code 2, as in audit)', () => {
  test('unknown --format', async () => {
    const r = await runCli([...BENCH, '--format', 'xml', fixture('records.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/argument 'xml' is invalid\. Allowed choices are table, json/);
    expect(r.stdout).toBe('');
  });

  test('neither --template nor --benchmark', async () => {
    const r = await runCli([fixture('records.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give --template <file|cdk.out> (your synthesized stack) or --benchmark <version>');
  });

  test('both --template and --benchmark', async () => {
    const r = await runCli([...BENCH, '--template', fixture('two-filters.template.json'), fixture('records.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--template and --benchmark are mutually exclusive');
  });

  test('unknown benchmark version names the known ones', async () => {
    const r = await runCli(['--benchmark', '9.9.9', fixture('records.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown CIS AWS Foundations Benchmark version "9.9.9". Known versions: 1.2.0,');
  });

  test('template without metric filters', async () => {
    const r = await runCli(['--template', fixture('no-filters.template.json'), fixture('records.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no AWS::Logs::MetricFilter in "${fixture('no-filters.template.json')}"`);
  });

  test('template path that does not exist, and a template that is not JSON', async () => {
    const missing = await runCli(['--template', path.join(tmp, 'nope.template.json'), fixture('records.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.template.json" does not exist');
    const notJson = await runCli(['--template', fixture('not-json.txt'), fixture('records.json')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('is not valid JSON');
  });

  test('input path that does not exist', async () => {
    const missing = path.join(tmp, 'no-such-dir', 'trail.json.gz');
    const r = await runCli([...BENCH, fixture('records.json'), missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`input path "${missing}" does not exist`);
    expect(r.stdout).toBe(''); // nothing is replayed when an input is missing
  });

  test('a directory without any CloudTrail file', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'emptydir-'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
    const r = await runCli([...BENCH, dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('holds no CloudTrail file');
  });

  test('no path while stdin is a terminal', async () => {
    const r = await runCli([...BENCH], { stdinIsTTY: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no input: give CloudTrail files or directories');
  });

  test('"-" twice', async () => {
    const r = await runCli([...BENCH, '-', '-'], { stdin: '{}' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"-" (standard input) is given more than once');
  });

  test('boolean flags take no value; --template and --benchmark need one', async () => {
    for (const flag of ['--strict=yes', '--event-ids=1', '--no-progress=0']) {
      const r = await runCli([...BENCH, flag, fixture('records.json')]);
      expect([flag, r.code]).toEqual([flag, 2]);
      expect(r.stderr).toContain(`unknown option '${flag}'`);
    }
    const noVersion = await runCli(['--benchmark']);
    expect(noVersion.code).toBe(2);
    expect(noVersion.stderr).toContain("option '--benchmark <version>' argument missing");
    const noTemplate = await runCli([fixture('records.json'), '--template']);
    expect(noTemplate.code).toBe(2);
    expect(noTemplate.stderr).toContain("option '--template <file|dir>' argument missing");
  });

  test('unknown option', async () => {
    const r = await runCli([...BENCH, '--frobnicate', fixture('records.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--frobnicate'");
  });
});

describe('replay through main()', () => {
  let out: jest.SpyInstance;
  let err: jest.SpyInstance;
  let stdout = '';
  let stderr = '';
  beforeEach(() => {
    stdout = '';
    stderr = '';
    out = jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => ((stdout += String(s)), true));
    err = jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => ((stderr += String(s)), true));
  });
  afterEach(() => {
    out.mockRestore();
    err.mockRestore();
  });

  test('the replay subcommand is registered and returns its exit code', async () => {
    expect(await main(['replay', ...BENCH, '--format', 'json', fixture('records.json')])).toBe(0);
    expectSixRecordVerdicts(JSON.parse(stdout));
    expect(await main(['replay', ...BENCH, '--strict', '--validate', '--format', 'json', fixture('malformed-middle.ndjson')])).toBe(3);
    expect(await main(['replay', '--format', 'yaml', fixture('records.json')])).toBe(2);
    expect(stderr).toContain("argument 'yaml' is invalid");
  });

  test('--help documents the exit codes', async () => {
    expect(await main(['replay', '--help'])).toBe(0);
    expect(stdout).toContain('Exit codes (the same as audit\'s for the same situations):');
    expect(stdout).toMatch(/3 {2}--strict, and at least one record/);
    expect(stdout).toMatch(/2 {2}bad usage or unusable input/);
  });
});
