/**
 * checkov (the real one, pinned in scripts/setup-scanner-tools.sh) on the
 * synthesized templates of every example app: its failed and skipped checks
 * must be exactly the ones documented, with their reasons, in docs/checkov.md.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildAlertQualityApp } from '../../examples/alert-quality-app';
import { buildDemoApp } from '../../examples/demo-app';
import { buildRealtimeApp } from '../../examples/realtime-app';
import { describeIf, requires } from '../support/requirements';
import { REPO_ROOT, ensureScannerInstalled, pinnedVersion } from '../support/scanner-tools';

interface CheckovResult { check_id: string; file_path: string; resource: string; check_result: { result: string; suppress_comment?: string } }
interface CheckovReport {
  check_type: string;
  results: { passed_checks: CheckovResult[]; failed_checks: CheckovResult[]; skipped_checks: CheckovResult[]; parsing_errors: string[] };
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number; resource_count: number; checkov_version: string };
}

/** The rows of the findings table in docs/checkov.md: "Stack Check Resource result" → reason. */
function documentedFindings(): Map<string, string> {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'checkov.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').slice(1, -1).map(c => c.trim());
    if (cells.length !== 5 || !/^CKV2?_[A-Z]+_\d+$/.test(cells[1])) continue;
    const [stack, check, resource, result, reason] = cells;
    rows.set(`${stack} ${check} ${resource} ${result}`, reason);
  }
  return rows;
}

describeIf(requires.checkov)('checkov on the example templates', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-checkov-'));
  let report: CheckovReport;
  let templates: string[];

  beforeAll(() => {
    const checkov = ensureScannerInstalled('checkov');
    const apps: Array<[string, App]> = [
      ['demo', buildDemoApp(path.join(tmp, 'demo')).app],
      ['alert-quality', buildAlertQualityApp(path.join(tmp, 'alert-quality')).app],
      ['realtime', buildRealtimeApp(path.join(tmp, 'realtime')).app],
    ];
    templates = apps.flatMap(([dir, app]) => app.synth().stacks.map(s => path.join(dir, s.templateFile)));
    const started = Date.now();
    // --skip-download: offline, no guidelines or policies from the vendor's platform.
    const r = spawnSync(checkov, [...templates.flatMap(t => ['-f', t]), '--framework', 'cloudformation', '--output', 'json', '--compact', '--skip-download'], {
      cwd: tmp, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000,
    });
    if (r.error) throw r.error;
    // Exit 1 means "some check failed"; anything else is a crash.
    if (r.status !== 0 && r.status !== 1) throw new Error(`checkov exited with ${r.status}: ${r.stderr}`);
    report = JSON.parse(r.stdout);
    // eslint-disable-next-line no-console
    console.log(`checkov ${report.summary.checkov_version} on ${templates.length} templates: ${JSON.stringify(report.summary)} in ${Date.now() - started} ms`);
  }, 900_000);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('it is the pinned checkov, and it read every template', () => {
    expect(report.check_type).toBe('cloudformation');
    expect(report.summary.checkov_version).toBe(pinnedVersion('checkov'));
    expect(report.summary.parsing_errors).toBe(0);
    const stacks = templates.map(t => path.basename(t, '.template.json'));
    expect([...stacks].sort()).toEqual(['CisAlertQuality', 'CisMonitoringDemo', 'CisRealtimeEuWest1', 'CisRealtimeUsEast1']);
    const checked = new Set(report.results.passed_checks.map(c => path.basename(c.file_path, '.template.json')));
    expect([...checked].sort()).toEqual([...stacks].sort());
    expect(report.summary.passed).toBeGreaterThan(100);
  });

  test('every failed or skipped check is documented with its reason in docs/checkov.md, and nothing else fails', () => {
    const documented = documentedFindings();
    const key = (c: CheckovResult, result: string) => `${path.basename(c.file_path, '.template.json')} ${c.check_id} ${c.resource} ${result}`;
    const found = [
      ...report.results.failed_checks.map(c => key(c, 'failed')),
      ...report.results.skipped_checks.map(c => key(c, 'skipped')),
    ];
    expect(found.sort()).toEqual([...documented.keys()].sort());
    for (const [row, reason] of documented) expect({ row, reason: reason.length > 20 }).toEqual({ row, reason: true });
  });

  test('the library skips a check only in the template, with its reason', () => {
    for (const c of report.results.skipped_checks) {
      expect({ check: c.check_id, resource: c.resource, comment: c.check_result.suppress_comment })
        .toEqual({ check: c.check_id, resource: c.resource, comment: expect.stringMatching(/server access logs of the CloudTrail bucket/) });
    }
  });
});
