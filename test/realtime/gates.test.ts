/**
 * The same gates as test/gates (cdk-nag AwsSolutions without suppressions,
 * cfn-lint without errors) on a stack that uses the real-time rules, the
 * saved queries and every extended detection, in us-east-1 and eu-west-1
 * (the rules with exclusions, so their patterns are linted too).
 * cfn-lint needs .venv (scripts/setup-python-tools.sh): test/support/requirements.ts
 * fails the gate in CI without it, and skips it, noting why, elsewhere.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  CisAlarmTopic, CisBenchmarkVersion, CisEventRules, CisExtendedDetections, CisInvestigationQueries, Exclusion, ExtendedDetection,
} from '../../src';
import { LintMatch, lintErrors, runCfnLint } from '../support/cfn-lint';
import { formatFindings, nagFindings } from '../support/nag';
import { describeIf, requires } from '../support/requirements';

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

/** The cfn-lint gate: the error findings of each region's template, by `binary` (default: the pinned cfn-lint). */
function cfnLintErrors(binary?: string): string[] {
  const { app } = build(fs.mkdtempSync(path.join(os.tmpdir(), 'cis-rt-lint-')));
  const assembly = app.synth();
  expect(assembly.stacks).toHaveLength(2);
  return assembly.stacks.flatMap(s => lintErrors(runCfnLint(path.join(assembly.directory, s.templateFile), { binary })).map(e => `${s.stackName} ${e}`));
}

describeIf(requires.cfnLint)('cfn-lint', () => {
  test('no errors in either region', () => {
    expect(cfnLintErrors()).toEqual([]);
  }, 300_000);
});

describe('the cfn-lint gate fails when cfn-lint does not really lint', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-rt-fake-lint-'));
  /** A stand-in for cfn-lint: a shell script that does what `body` says. */
  const fake = (name: string, body: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return file;
  };
  const error: LintMatch = { Level: 'Error', Rule: { Id: 'E3031' }, Message: 'bad', Location: { Path: ['Resources'] } };

  test.each([
    ['a crash with no output', 'echo "Traceback (most recent call last): ..." >&2; exit 1', /cfn-lint did not lint: .* exited with 1; stderr: Traceback/],
    ['killed by a signal', 'kill -9 $$', /cfn-lint did not lint: .* exited with SIGKILL/],
    ['exit 0 and no output', 'exit 0', /cfn-lint printed no JSON: .* exited with 0/],
    ['exit 0 and text that is not JSON', 'echo "Usage: cfn-lint [-h]"', /cfn-lint printed no JSON/],
    ['exit 0 and JSON that is not a list of findings', 'echo \'{"ok": true}\'', /cfn-lint printed something other than a list of findings/],
    ['exit 0 and an error finding', `echo '${JSON.stringify([error])}'`, /cfn-lint's exit status does not match its findings \(levels 2\)/],
    ['exit 2 and no finding', "echo '[]'; exit 2", /cfn-lint's exit status does not match its findings \(levels 0\)/],
  ])('%s', (name, body, message) => {
    expect(() => cfnLintErrors(fake(name.replace(/\W+/g, '-'), body))).toThrow(message);
  });

  test('an executable that is not there', () => {
    expect(() => cfnLintErrors(path.join(dir, 'no-such-cfn-lint'))).toThrow(/cfn-lint could not run: .*ENOENT/);
  });

  test('a real answer passes through: the error finding is reported', () => {
    const lint = fake('errors', `echo '${JSON.stringify([error])}'; exit 2`);
    expect(cfnLintErrors(lint).sort()).toEqual(['RealTime-eu-west-1 E3031 Resources: bad', 'RealTime-us-east-1 E3031 Resources: bad']);
  });
});
