/**
 * `cis-monitoring audit --format asff|ocsf|csv|html` and `--output-dir`:
 * one finding per target × control, validated by the formats' own reference
 * libraries (botocore's BatchImportFindings request validation for ASFF,
 * py-ocsf-models for OCSF), CSV rows checked against the JSON report, and the
 * bad-input cases. The HTML page is checked in a real browser in
 * evidence-html.test.ts; the Security Hub import in security-hub-import.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { auditJson, cleanTmp, ENV, runCli, synthTemplate, tmpDir, writeTemplate } from './helpers';
import { CisMonitoring, CisMonitoringProps } from '../../src';
import { AUDIT_EXIT_CODES } from '../../src/audit/errors';
import { CisBenchmarkVersion } from '../../src/catalog';
import { describeIfPython } from '../support/moto';
import { validateFindings } from '../support/python-tools';

/** A cdk.out of one stack in ENV (a cloud assembly names the account and Region; a lone template file does not). */
function synthAssembly(props: CisMonitoringProps): string {
  const outdir = tmpDir();
  const app = new App({ outdir });
  new CisMonitoring(new Stack(app, 'AuditStack', { env: ENV }), 'Cis', props);
  app.synth();
  return outdir;
}

/** Only the CIS text per control: Security Hub fails everything it checks, Prowler and CloudSploit some. */
let today: string;
/** The planner's filters, email subscription only: Security Hub warns (pending subscription). */
let planned: string;
/** A lone template file: the account and Region are not known. */
let agnostic: string;

beforeAll(() => {
  today = synthAssembly({ emailAddresses: ['security@example.com'], scanners: [] });
  planned = synthAssembly({ emailAddresses: ['security@example.com'] });
  agnostic = writeTemplate(synthTemplate({ emailAddresses: ['security@example.com'] }));
});
afterAll(cleanTmp);

/** RFC 4180 rows (quoted fields with "" escapes, CRLF line ends). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') {quoted = false;} else {field += c;}
    } else if (c === '"') {quoted = true;} else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else {field += c;}
  }
  if (field || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe('asff', () => {
  test('one finding per control, the status from the scanners\' verdicts, stable ids, the requirement named', async () => {
    const json = (await auditJson([today])).json;
    const r = await runCli(['audit', today, '--format', 'asff']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    const findings = JSON.parse(r.stdout);
    expect(findings).toHaveLength(CisBenchmarkVersion.V7_0_0.controls().length);
    expect(findings.map((f: any) => f.Id)).toEqual(json.controls.map((c: any) => `cdk-cis-monitoring/123456789012/us-east-1/${c.key}`));
    for (const [i, f] of findings.entries()) {
      const c = json.controls[i];
      const statuses = Object.values<any>(c.results).map(x => x.status);
      expect(f.Compliance).toEqual({
        Status: statuses.includes('FAIL') ? 'FAILED' : statuses.includes('WARN') ? 'WARNING' : statuses.includes('PASS') ? 'PASSED' : 'NOT_AVAILABLE',
        RelatedRequirements: [`CIS AWS Foundations Benchmark v7.0.0/${c.cisId}`],
      });
      expect(f.ProductArn).toBe('arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default');
      expect(f.AwsAccountId).toBe('123456789012');
      expect(f.GeneratorId).toBe(`cdk-cis-monitoring/${c.key}`);
      expect(f.RecordState).toBe('ACTIVE');
      for (const [scanner, result] of Object.entries<any>(c.results)) {
        const name = { SECURITY_HUB: 'Security Hub', PROWLER: 'Prowler', STEAMPIPE: 'Steampipe', CLOUDSPLOIT: 'CloudSploit' }[scanner]!;
        expect(f.ProductFields[`cdk-cis-monitoring/${name}/Status`]).toBe(result.status);
        expect(f.ProductFields[`cdk-cis-monitoring/${name}/Reason`]).toBe(result.reasons.join(' ').slice(0, 2048));
      }
      expect(f.Remediation.Recommendation.Text.length).toBeGreaterThan(20);
    }
    // The root-usage control names its chain: trail, log group, the filters passing any scanner, the alarm and the topic.
    const root = findings.find((f: any) => f.GeneratorId.endsWith('/root-account-usage'));
    expect(root.Resources.map((x: any) => x.Type)).toEqual(expect.arrayContaining(['AwsCloudTrailTrail', 'Other', 'AwsCloudWatchAlarm', 'AwsSnsTopic']));
    expect(root.Resources.find((x: any) => x.Details?.Other?.FilterPattern)?.Details.Other.FilterPattern).toContain('$.userIdentity.type');
  });

  describeIfPython('validated by the AWS SDK\'s own request validation (botocore, BatchImportFindings)', () => {
    test('every finding of a failing, a warning and a passing template is valid', async () => {
      const all: any[] = [];
      for (const args of [[today], [planned], [planned, '--scanners', 'prowler,steampipe'], [planned, '--scanners', 'security-hub']]) {
        const r = await runCli(['audit', ...args, '--format', 'asff']);
        expect(r.stderr).toBe('');
        all.push(...JSON.parse(r.stdout));
      }
      expect(new Set(all.map(f => f.Compliance.Status))).toEqual(new Set(['FAILED', 'WARNING', 'PASSED', 'NOT_AVAILABLE']));
      const v = validateFindings('asff', all);
      expect(v.errors).toEqual([]);
      expect(v.checked).toBe(all.length);
    });

    test('the validation is real: a finding without Resources or with an unknown field fails it', () => {
      const v = validateFindings('asff', [{ SchemaVersion: '2018-10-08', Id: 'x' }, { Bogus: 1 }]);
      expect(v.errors).toHaveLength(2);
      expect(v.errors[0]).toMatch(/Missing required parameter .*"Resources"/);
      expect(v.errors[1]).toMatch(/Unknown parameter .*"Bogus"/);
    });
  });

  test('a template without an env: exit 2, ASFF needs the account; the other formats still work, --output-dir says what it left out', async () => {
    const r = await runCli(['audit', agnostic, '--format', 'asff']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('cis-monitoring audit: --format asff: aws://unknown-account/unknown-region: the account is not known (ASFF needs AwsAccountId); '
      + 'give the stacks an env, or audit with --live. ASFF findings belong to an account and Region; use --format ocsf, csv or html for templates without an env.\n');
    const ocsf = await runCli(['audit', agnostic, '--format', 'ocsf']);
    expect(ocsf.code).toBe(AUDIT_EXIT_CODES.OK);
    expect(JSON.parse(ocsf.stdout)[0].finding_info.uid).toMatch(/^cdk-cis-monitoring\/unknown-account\/unknown-region\//);
    const dir = tmpDir();
    const d = await runCli(['audit', agnostic, '--output-dir', dir]);
    expect(d.code).toBe(AUDIT_EXIT_CODES.OK);
    expect(d.stderr).toMatch(/^cis-monitoring audit: --output-dir: not written: asff: --format asff: aws:\/\/unknown-account\/unknown-region: the account is not known/);
    expect(fs.readdirSync(dir).map(f => f.replace(/^cis-monitoring-\d{8}T\d{6}Z/, '')).sort()).toEqual(['.csv', '.html', '.json', '.ocsf.json', '.txt']);
  });
});

describeIfPython('ocsf: Compliance Finding (2003), validated by py-ocsf-models', () => {
  test('one event per control, valid, every field known to the models, checks per scanner', async () => {
    const all: any[] = [];
    for (const args of [[today], [planned], [planned, '--scanners', 'security-hub'], [planned, '--benchmark', '1.2.0']]) {
      const r = await runCli(['audit', ...args, '--format', 'ocsf']);
      expect(r.stderr).toBe('');
      all.push(...JSON.parse(r.stdout));
    }
    const v = validateFindings('ocsf', all);
    expect(v.errors).toEqual([]);
    expect(v.checked).toBe(all.length);
    const json = (await auditJson([today])).json;
    const first = all[0];
    expect(first).toMatchObject({
      class_uid: 2003,
      class_name: 'Compliance Finding',
      category_uid: 2,
      type_uid: 200301,
      metadata: { version: '1.5.0', product: { name: 'cdk-cis-monitoring' } },
      cloud: { provider: 'AWS', region: 'us-east-1', account: { uid: '123456789012', type_id: 10 } },
      finding_info: { uid: `cdk-cis-monitoring/123456789012/us-east-1/${json.controls[0].key}` },
      compliance: {
        standards: ['CIS AWS Foundations Benchmark v7.0.0'],
        requirements: [`CIS AWS Foundations Benchmark v7.0.0/${json.controls[0].cisId}`],
        control: json.controls[0].cisId,
        status_id: 3,
      },
      status_code: 'FAILED',
    });
    expect(first.compliance.checks.map((c: any) => [c.status, c.desc])).toEqual(
      Object.values<any>(json.controls[0].results).map(x => [x.status, x.reasons.join(' ')]));
    expect(typeof first.time).toBe('number');
    expect(first.time).toBe(Date.parse(first.time_dt));
  });

  test('the validation is real: a wrong class field and an unknown field are reported', () => {
    const v = validateFindings('ocsf', [{ class_uid: 2003, finding_info: { uid: 'a', title: 't' } }, {
      activity_id: 1,
      severity_id: 1,
      time: 1,
      type_uid: 200301,
      metadata: { product: { vendor_name: 'x' } },
      finding_info: { uid: 'b', title: 't' },
      compliance: { statuss: 1 },
    }]);
    expect(v.errors[0]).toMatch(/^a: .*validation error/s);
    expect(v.errors[1]).toBe('b: fields py-ocsf-models does not know: .compliance.statuss');
  });
});

describe('csv', () => {
  test('one row per target × control × scanner, matching the JSON report', async () => {
    const json = (await auditJson([today])).json;
    const r = await runCli(['audit', today, '--format', 'csv']);
    expect(r.stderr).toBe('');
    const [header, ...rows] = parseCsv(r.stdout);
    expect(header.slice(0, 7)).toEqual(['TIMESTAMP', 'TOOL_VERSION', 'BENCHMARK', 'ACCOUNT_UID', 'ACCOUNT_NAME', 'REGION', 'CONTROL_KEY']);
    expect(rows).toHaveLength(json.controls.length * json.scanners.length);
    const col = (name: string) => header.indexOf(name);
    for (const row of rows) {
      const c = json.controls.find((x: any) => x.key === row[col('CONTROL_KEY')]);
      const scanner = { 'Security Hub': 'SECURITY_HUB', 'Prowler': 'PROWLER', 'Steampipe': 'STEAMPIPE', 'CloudSploit': 'CLOUDSPLOIT' }[row[col('SCANNER')]]!;
      expect(row[col('SCANNER_STATUS')]).toBe(c.results[scanner].status);
      expect(row[col('SCANNER_REASON')]).toBe(c.results[scanner].reasons.join(' '));
      expect(row[col('REQUIREMENT_ID')]).toBe(c.cisId);
      expect(row[col('ACCOUNT_UID')]).toBe('123456789012');
      expect(row[col('REGION')]).toBe('us-east-1');
    }
  });

  test('cells a spreadsheet would run as a formula are defused', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { csvField } = require('../../src/audit/csv');
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('@SUM(1)')).toBe('\'@SUM(1)');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('{ $.eventName = "x" }')).toBe('"{ $.eventName = ""x"" }"');
  });
});

describe('--output-dir', () => {
  test('writes every format of one run; the files agree with each other and with stdout', async () => {
    const dir = path.join(tmpDir(), 'evidence', 'nested');
    const r = await runCli(['audit', today, '--format', 'json', '--output-dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    const files = fs.readdirSync(dir).sort();
    expect(files).toHaveLength(6);
    const stamp = /^cis-monitoring-(\d{8}T\d{6}Z)\.(txt|json|asff\.json|ocsf\.json|csv|html)$/;
    for (const f of files) expect(f).toMatch(stamp);
    expect(new Set(files.map(f => stamp.exec(f)![1])).size).toBe(1);
    const read = (suffix: string) => fs.readFileSync(path.join(dir, files.find(f => f.endsWith(suffix) && !f.endsWith(`.asff${suffix}`) && !f.endsWith(`.ocsf${suffix}`))!), 'utf8');
    expect(JSON.parse(read('.json'))).toEqual(JSON.parse(r.stdout));
    const asff = JSON.parse(read('.asff.json'));
    const ocsf = JSON.parse(read('.ocsf.json'));
    expect(asff.map((f: any) => f.Id)).toEqual(ocsf.map((e: any) => e.finding_info.uid));
    expect(asff.map((f: any) => f.Compliance.Status)).toEqual(ocsf.map((e: any) => e.status_code));
    // One run, one time: the ASFF UpdatedAt, the OCSF time and the CSV timestamp are the same instant.
    expect(new Set([asff[0].UpdatedAt, ocsf[0].time_dt, parseCsv(read('.csv'))[1][0]]).size).toBe(1);
    expect(read('.html')).toContain(`<dd data-fact="generated-at">${asff[0].UpdatedAt}</dd>`);
    expect(read('.txt')).toMatch(/^CIS AWS Foundations Benchmark v7\.0\.0: audit of /);
  });

  test('an unwritable directory: exit 2 before anything is audited, with the reason', async () => {
    const file = path.join(tmpDir(), 'a-file');
    fs.writeFileSync(file, 'x');
    const r = await runCli(['audit', today, '--format', 'html', '--output-dir', file]);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`cis-monitoring audit: --output-dir ${file} is a file, not a directory. Give a directory (it is created if missing).\n`);
    const under = await runCli(['audit', today, '--output-dir', path.join(file, 'sub')]);
    expect(under.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(under.stdout).toBe('');
    expect(under.stderr).toMatch(/^cis-monitoring audit: --output-dir .*a-file\/sub cannot be written \((ENOTDIR|EEXIST): .*\)\. Give a directory you can write to; nothing was audited\.\n$/);
    const empty = await runCli(['audit', today, '--output-dir', ' ']);
    expect(empty.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(empty.stderr).toMatch(/--output-dir needs a directory/);
  });
});

describe('bad input', () => {
  test('an unknown --format lists the formats', async () => {
    const r = await runCli(['audit', today, '--format', 'xml']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('cis-monitoring audit: --format "xml" is not supported. Use one of: text, json, asff, ocsf, csv, html (for example --format html).\n');
  });

  test('--security-hub needs --live', async () => {
    const r = await runCli(['audit', today, '--security-hub']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stderr).toMatch(/^cis-monitoring audit: --security-hub imports findings into the audited accounts' Security Hub, so it needs --live/);
  });
});
