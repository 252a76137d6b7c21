/**
 * The bundled example (README "Quick start"): what `npm run demo` synthesizes,
 * and that it passes every scanner's audit.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDemoApp, describeTemplate, DEMO_STACK_NAME } from '../examples/demo-app';
import { CisBenchmarkVersion, Scanner } from '../src';
import { evaluateAudit } from '../src/audit/evaluate';
import { readTemplateTargets } from '../src/audit/template-reader';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-demo-'));
const { app, monitoring } = buildDemoApp(outdir);
const assembly = app.synth();
const templateFile = path.join(assembly.directory, assembly.getStackByName(DEMO_STACK_NAME).templateFile);
const template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
const ofType = (t: string) => Object.values<any>(template.Resources).filter(r => r.Type === t);

test('15 alarms, one per control of CIS v7.0.0, each fed by metric filters of its own metric', () => {
  const rows = describeTemplate(template, CisBenchmarkVersion.V7_0_0);
  expect(rows.map(r => r.key)).toEqual(CisBenchmarkVersion.V7_0_0.controls().map(c => c.key));
  expect(rows.map(r => r.cisId)).toEqual(Array.from({ length: 15 }, (_, i) => `5.${i + 1}`));
  expect(rows.every(r => !r.metricName.includes('no filter'))).toBe(true);
  expect(new Set(rows.map(r => r.alarmName)).size).toBe(15);
  const alarmMetrics = ofType('AWS::CloudWatch::Alarm').map(a => a.Properties.MetricName).sort();
  const filterMetrics = [...new Set(ofType('AWS::Logs::MetricFilter').map(f => f.Properties.MetricTransformations[0].MetricName))].sort();
  expect(filterMetrics).toEqual(alarmMetrics);
});

test('every alarm notifies the one topic, which is encrypted with a customer-managed key', () => {
  const [topicId] = Object.entries<any>(template.Resources).find(([, r]) => r.Type === 'AWS::SNS::Topic')!;
  const topic = template.Resources[topicId];
  const keyRef = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
  expect(template.Resources[keyRef].Type).toBe('AWS::KMS::Key');
  for (const a of ofType('AWS::CloudWatch::Alarm')) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  expect(monitoring.alarms).toHaveLength(15);
});

test('audits as PASS under all four scanners (Security Hub: N/A for Organizations, which it does not cover)', () => {
  const scanners = [Scanner.SECURITY_HUB, Scanner.PROWLER, Scanner.STEAMPIPE, Scanner.CLOUDSPLOIT];
  const report = evaluateAudit(onlyTarget(templateFile), CisBenchmarkVersion.V7_0_0, scanners);
  const cells = report.controls.flatMap(c => scanners.map(s => `${c.key}/${s}=${c.results[s]?.status}`));
  const notPass = cells.filter(c => !c.endsWith('=PASS'));
  expect(notPass).toEqual(['organizations-changes/SECURITY_HUB=NOT_APPLICABLE']);
  expect(report.controls).toHaveLength(15);
});

/** The audit model of a one-stack template (one environment). */
function onlyTarget(file: string) {
  const targets = readTemplateTargets(file);
  if (targets.length !== 1) throw new Error(`${file}: expected one environment, got ${targets.length}`);
  return targets[0].model;
}
