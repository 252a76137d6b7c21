import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CisBenchmarkVersion, CisControl, CisMonitoring, Exclusion } from '../../src';
import { main } from '../../src/cli/main';
import { registerSql, SqlJsonReport } from '../../src/cli/sql-command';
import { athenaConditionForAny, sqlCommentText } from '../../src/filter-pattern/translate/athena-sql';
import { ControlPlan } from '../../src/plan/control-plan';
import { CommandRun, runCommand, withProcessOutputDiscarded } from '../cli/command-harness';
import { AthenaOnDuckDb } from '../support/duckdb-athena';


/** `cis-monitoring sql <args>` in-process, with captured streams. */
async function sql(...args: string[]): Promise<CommandRun> {
  return runCommand(registerSql, 'sql', args);
}

let tmp: string;
let templateFile: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sql-command-'));
  const stack = new Stack(new App(), 'Monitoring');
  new CisMonitoring(stack, 'Cis', {
    benchmarkVersion: CisBenchmarkVersion.V5_0_0,
    emailAddresses: ['a@example.com'],
    exclusions: [Exclusion.roleName('ci-deployer', { controls: [CisControl.SECURITY_GROUP_CHANGES] })],
  });
  templateFile = path.join(tmp, 'Monitoring.template.json');
  fs.writeFileSync(templateFile, JSON.stringify(Template.fromStack(stack).toJSON()));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('cis-monitoring sql --benchmark', () => {
  test('text: one query per control, eventid first, inexact reasons as comments', async () => {
    const r = await sql('--benchmark', '7.0.0', '--table', 'security.cloudtrail_logs');
    expect(r.code).toBe(0);
    const queries = r.stdout.split(/;\n/).filter(q => q.trim() !== '');
    expect(queries).toHaveLength(CisBenchmarkVersion.V7_0_0.controls().length);
    for (const q of queries) expect(q).toMatch(/SELECT eventid, [^\n]*\nFROM "security"\."cloudtrail_logs"\nWHERE /);
    expect(r.stdout).toMatch(/\n-- RootAccountUsage: root-account-usage \(CIS 5\.3\)\n-- inexact: \$\.userIdentity\.invokedBy NOT EXISTS: [^\n]*\nSELECT eventid, /);
    expect(r.stdout).toContain("eventname = 'ConsoleLogin'");
  });

  test('json: {table, queries: {metric: sql}, inexact: {metric: reasons}, controls}', async () => {
    const r = await sql('--benchmark', '7.0.0', '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as SqlJsonReport;
    const plans = ControlPlan.build({ benchmarkVersion: CisBenchmarkVersion.V7_0_0, provides: 'query' });
    expect(report.table).toBe('cloudtrail_logs');
    expect(Object.keys(report.queries)).toEqual(plans.map(p => p.metricName));
    const root = plans.find(p => p.control.key === 'root-account-usage')!;
    expect(Object.keys(report.inexact)).toEqual([root.metricName]);
    expect(report.inexact[root.metricName].join(' ')).toMatch(/invokedBy NOT EXISTS/);
    expect(report.controls[root.metricName]).toEqual({ control: 'root-account-usage', cisId: root.definition.recommendationId });
    // The query is the compliance filter's condition (scanner variants publish 0 and are not counted).
    for (const p of plans) expect(report.queries[p.metricName]).toContain(athenaConditionForAny([p.compliance.compiled!]).where);
    expect(Object.values(report.queries).every(q => !q.includes('--'))).toBe(true);
  });
});

describe('cis-monitoring sql --template', () => {
  test('reads every metric of the synthesized stack, paging metrics of exclusions included', async () => {
    const r = await sql('--template', templateFile, '--format', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as SqlJsonReport;
    const plans = ControlPlan.build({ benchmarkVersion: CisBenchmarkVersion.V5_0_0, provides: 'query' });
    const names = Object.keys(report.queries);
    expect(names).toEqual(expect.arrayContaining(plans.map(p => p.metricName)));
    const paging = names.filter(n => n.endsWith('Paging'));
    expect(paging).toHaveLength(1);
    expect(report.queries[paging[0]]).toContain("(useridentity.sessioncontext.sessionissuer.username IS NULL OR useridentity.sessioncontext.sessionissuer.username <> 'ci-deployer')");
    expect(report.inexact[paging[0]].join(' ')).toMatch(/sessionIssuer\.userName NOT EXISTS/);
    expect(report.controls[paging[0]].control).toBe('security-group-changes (paging)');
  });

  test('a template without metric filters is bad input', async () => {
    const empty = path.join(tmp, 'empty.template.json');
    fs.writeFileSync(empty, JSON.stringify({ Resources: { B: { Type: 'AWS::S3::Bucket' } } }));
    const r = await sql('--template', empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cis-monitoring sql: no AWS::Logs::MetricFilter/);
  });

  test('metric names that repeat across namespaces are qualified', async () => {
    const file = path.join(tmp, 'two.template.json');
    const f = (ns: string, pattern: string) => ({
      Type: 'AWS::Logs::MetricFilter',
      Properties: { FilterPattern: pattern, LogGroupName: 'lg', MetricTransformations: [{ MetricName: 'M', MetricNamespace: ns, MetricValue: '1' }] },
    });
    fs.writeFileSync(file, JSON.stringify({ Resources: { A: f('A', '{ $.eventName = "x" }'), B: f('B', '{ $.eventName = "y" }') } }));
    const report = JSON.parse((await sql('--template', file, '--format', 'json')).stdout) as SqlJsonReport;
    expect(report.queries).toEqual({
      'A/M': expect.stringContaining("WHERE eventname = 'x'"),
      'B/M': expect.stringContaining("WHERE eventname = 'y'"),
    });
    expect(report.inexact).toEqual({});
  });
});

describe('a metric name cannot end the comment it is printed in', () => {
  // Trino and DuckDB end a `--` comment at CR as well as LF; NEL, VT, FF and U+2028/2029 break lines in editors.
  const BREAKS: Array<[string, string]> = [['CR', '\r'], ['LF', '\n'], ['CR LF', '\r\n'], ['NEL', '\u0085'], ['VT', '\u000b'], ['FF', '\u000c'], ['LS', '\u2028'], ['PS', '\u2029']];

  test.each(BREAKS)('%s: the SQL runs on DuckDB as one query, the injected statement never runs', async (_name, brk) => {
    const file = path.join(tmp, `inject-${_name.replace(' ', '')}.template.json`);
    const metric = `Root${brk}CREATE TABLE injected AS SELECT 1 AS z;${brk}`;
    fs.writeFileSync(file, JSON.stringify({
      Resources: {
        F: {
          Type: 'AWS::Logs::MetricFilter',
          Properties: { FilterPattern: '{ $.eventName = "ConsoleLogin" }', LogGroupName: 'lg', MetricTransformations: [{ MetricName: metric, MetricNamespace: 'CIS', MetricValue: '1' }] },
        },
      },
    }));
    const r = await sql('--template', file);
    expect(r.code).toBe(0);
    // The name is in the comment, with its line break written as a visible escape.
    const [first, second] = r.stdout.split('\n');
    expect(first.startsWith(`-- ${sqlCommentText(metric)}: `)).toBe(true);
    expect(first).not.toMatch(/[\r\u0085\u000b\u000c\u2028\u2029]/);
    expect(second).toMatch(/^SELECT eventid, /);
    const db = await AthenaOnDuckDb.create('cloudtrail_logs', [
      { eventID: 'e1', eventName: 'ConsoleLogin', eventTime: '2024-01-01T00:00:00Z' },
      { eventID: 'e2', eventName: 'GetObject', eventTime: '2024-01-01T00:00:00Z' },
    ]);
    try {
      // DuckDB runs every statement of a text: an ended comment would create the table.
      const rows = await db.query(r.stdout);
      expect(rows.map(row => row.eventid)).toEqual(['e1']);
      const tables = await db.query("SELECT table_name FROM information_schema.tables WHERE table_name = 'injected'");
      expect(tables).toEqual([]);
    } finally {
      db.close();
    }
  });

  test('escapes: CR, LF and TAB by name, every other control character and U+2028/2029 as \\uXXXX; other text unchanged', () => {
    expect(sqlCommentText('a\rb\nc\td\u0000e\u007ff\u0085g\u2028h\u2029i é ✓')).toBe('a\\rb\\nc\\td\\u0000e\\u007ff\\u0085g\\u2028h\\u2029i é ✓');
  });
});

describe('bad input: exit code 2 and a clear message', () => {
  test.each([
    [['--benchmark', '9.9.9'], /--benchmark: .*9\.9\.9/],
    [['--benchmark', '7.0.0', '--template', 'x.json'], /mutually exclusive/],
    [[], /give --template <file\|cdk\.out> .* or --benchmark <version>/],
    [['--benchmark', '7.0.0', '--table', 'logs; DROP TABLE x'], /--table "logs; DROP TABLE x" is not an Athena table name/],
    [['--benchmark', '7.0.0', '--table', 'a.b.c.d'], /not an Athena table name/],
    [['--benchmark', '7.0.0', '--format', 'yaml'], /argument 'yaml' is invalid/],
    [['--template', '/nonexistent/cdk.out'], /--template: /],
    [['--benchmark', '7.0.0', '--bogus'], /unknown option '--bogus'/],
  ])('%p', async (args, message) => {
    const r = await sql(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  test('through main(): the process exit codes', async () => {
    const codes = await withProcessOutputDiscarded(async () => [
      await main(['sql', '--benchmark', '1.2.0']),
      await main(['sql', '--benchmark', '0.0.1']),
      await main(['sql', '--benchmark', '7.0.0', '--format', 'xml']),
    ]);
    expect(codes).toEqual([0, 2, 2]);
  });
});
