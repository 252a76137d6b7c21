/**
 * cfn-lint (from PyPI, pinned in scripts/setup-python-tools.sh) must report no
 * error on the synthesized templates of the example and of other
 * configurations.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { buildAlertQualityApp } from '../../examples/alert-quality-app';
import { buildDemoApp } from '../../examples/demo-app';
import { buildOrganizationApp } from '../../examples/organization-app';
import { buildRealtimeApp } from '../../examples/realtime-app';
import { CisBenchmarkVersion, CisMonitoring } from '../../src';
import { main } from '../../src/cli/main';
import { withProcessOutputDiscarded } from '../cli/command-harness';
import { lintErrors as errorsOf, runCfnLint as lint } from '../support/cfn-lint';
import { pythonTool } from '../support/python-tools';
import { describeIf, requires } from '../support/requirements';

function synthTemplates(app: App): string[] {
  const assembly = app.synth();
  return assembly.stacks.map(s => path.join(assembly.directory, s.templateFile));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-cfn-lint-'));

describeIf(requires.cfnLint)('cfn-lint', () => {
  beforeAll(() => {
    pythonTool('cfn-lint');
  }, 600_000);

  test('the example template has no cfn-lint error', () => {
    const [template] = synthTemplates(buildDemoApp(path.join(tmp, 'demo')).app);
    expect(errorsOf(lint(template))).toEqual([]);
  });

  test('the alert-quality example (every alerting option) has no cfn-lint error', () => {
    const [template] = synthTemplates(buildAlertQualityApp(path.join(tmp, 'alert-quality')).app);
    expect(errorsOf(lint(template))).toEqual([]);
  });

  test('the real-time example (both regions) has no cfn-lint error', () => {
    for (const template of synthTemplates(buildRealtimeApp(path.join(tmp, 'realtime')).app)) {
      expect(errorsOf(lint(template))).toEqual([]);
    }
  });

  test('the organization example (management, StackSet and security stacks, and the member template it deploys) has no cfn-lint error', () => {
    const { app, rollout } = buildOrganizationApp(path.join(tmp, 'organization'));
    // The member template is known once the app is synthesized.
    const templates = synthTemplates(app);
    const member = path.join(tmp, 'organization-member.template.json');
    fs.writeFileSync(member, rollout.memberTemplateBody);
    expect(templates.map(t => path.basename(t)).sort()).toEqual([
      'CisOrganizationManagement.template.json', 'CisOrganizationMembers.template.json', 'CisOrganizationSecurity.template.json',
    ]);
    for (const template of [...templates, member]) {
      expect(errorsOf(lint(template))).toEqual([]);
    }
  });

  test('oldest version on an existing log group has no cfn-lint error', () => {
    const app = new App({ outdir: path.join(tmp, 'existing') });
    const stack = new Stack(app, 'Existing');
    new CisMonitoring(stack, 'Cis', {
      benchmarkVersion: CisBenchmarkVersion.V1_2_0,
      logGroup: logs.LogGroup.fromLogGroupName(stack, 'Lg', 'trail-logs'),
      emailAddresses: ['ops@example.com'],
    });
    const [template] = synthTemplates(app);
    expect(errorsOf(lint(template))).toEqual([]);
  });

  test('what `cis-monitoring member-template` writes for CfCT and LZA (own trail, an existing log group, the us-east-1 rules-only member) has no cfn-lint error', async () => {
    const cases: Array<[string, string[]]> = [
      ['own-trail', ['--realtime-rules', '--security-account', '222222222222', '--security-account-subscription', '--email', 'a@example.com']],
      ['log-group', ['--benchmark', '1.4.0', '--log-group', 'aws-controltower/CloudTrailLogs', '--email', 'a@example.com']],
      ['global-events', ['--realtime-rules', '--global-service-event-rules', '--security-account', '222222222222', '--part', 'global-events']],
    ];
    for (const [name, args] of cases) {
      const file = path.join(tmp, `cli-${name}.template.json`);
      // The CLI's own entry point; what it reports on stderr is not needed here.
      expect({ name, code: await withProcessOutputDiscarded(() => main(['member-template', '--output', file, ...args])) }).toEqual({ name, code: 0 });
      expect({ name, errors: errorsOf(lint(file)) }).toEqual({ name, errors: [] });
    }
  });

  test('the gate is live: a broken template is reported', () => {
    const broken = path.join(tmp, 'broken.template.json');
    fs.writeFileSync(broken, JSON.stringify({
      Resources: { Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { ComparisonOperator: 'Bogus', EvaluationPeriods: 1 } } },
    }));
    expect(errorsOf(lint(broken)).length).toBeGreaterThan(0);
  });
});
