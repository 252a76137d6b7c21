/**
 * The same gates as test/gates (cdk-nag AwsSolutions without suppressions,
 * cfn-lint without errors) on a stack that uses the real-time rules, the
 * saved queries and every extended detection, in us-east-1 and eu-west-1
 * (the rules with exclusions, so their patterns are linted too).
 * cfn-lint is skipped when .venv has not been set up (scripts/setup-python-tools.sh).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  CisAlarmTopic, CisBenchmarkVersion, CisEventRules, CisExtendedDetections, CisInvestigationQueries, Exclusion, ExtendedDetection,
} from '../../src';
import { formatFindings, nagFindings } from '../support/nag';

const CFN_LINT = path.resolve(__dirname, '../../.venv/bin/cfn-lint');

function build(outdir: string): { app: App; stacks: Stack[] } {
  const app = new App({ outdir });
  const stacks = ['us-east-1', 'eu-west-1'].map(region => {
    const stack = new Stack(app, `RealTime-${region}`, { env: { account: '111122223333', region } });
    const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
    const logGroup = new logs.LogGroup(stack, 'Trail', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: key });
    const topic = new CisAlarmTopic(stack, 'Topic').topic;
    // Exclusions of every kind: guards in nested objects and at the pattern root, merged anything-but lists.
    const exclusions = [
      Exclusion.principalArn('arn:aws:iam::111122223333:role/terraform-*'), Exclusion.roleName('ci-deployer'),
      Exclusion.userAgent('*terraform*'), Exclusion.sourceIp('203.0.113.0/24'), Exclusion.eventName('Describe*'),
    ];
    new CisEventRules(stack, 'Rules', { topic, ruleNamePrefix: 'cis', benchmarkVersion: CisBenchmarkVersion.LATEST, exclusions });
    new CisInvestigationQueries(stack, 'Queries', { logGroup });
    // app-registry's claimMetric is app-wide (not per region), so the second region needs its own namespace.
    const metricNamespace = region === 'us-east-1' ? undefined : 'CISBenchmark/ExtendedEu';
    new CisExtendedDetections(stack, 'Extended', { logGroup, topic, detections: ExtendedDetection.all(), metricNamespace });
    return stack;
  });
  return { app, stacks };
}

test('cdk-nag AwsSolutions: no errors or warnings', () => {
  const { app } = build(fs.mkdtempSync(path.join(os.tmpdir(), 'cis-rt-nag-')));
  // Either cdk-nag major (floor set: 2, scripts/compat-newest.sh: 3).
  expect(formatFindings(nagFindings(app, ['AwsSolutions']))).toEqual([]);
});

(fs.existsSync(CFN_LINT) ? test : test.skip)('cfn-lint: no errors in either region', () => {
  const { app } = build(fs.mkdtempSync(path.join(os.tmpdir(), 'cis-rt-lint-')));
  const assembly = app.synth();
  for (const s of assembly.stacks) {
    const file = path.join(assembly.directory, s.templateFile);
    const r = spawnSync(CFN_LINT, ['--format', 'json', '--regions', 'us-east-1', 'eu-west-1', '--', file], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    const matches = JSON.parse(r.stdout || '[]') as Array<{ Level: string; Rule: { Id: string }; Message: string; Location: { Path: string[] } }>;
    expect(matches.filter(m => m.Level === 'Error').map(m => `${s.stackName} ${m.Rule.Id} ${m.Location.Path.join('/')}: ${m.Message}`)).toEqual([]);
  }
}, 300_000);
