/**
 * `cis-monitoring member-template`: the StackSet member template as plain
 * CloudFormation for Customizations for Control Tower and Landing Zone
 * Accelerator. What it writes is byte for byte what CisOrganizationRollout
 * gives its StackSet for the same options (from flags or a JSON file of the
 * construct's props); bad input exits 2 with one line naming the problem.
 * (cfn-lint: test/gates/cfn-lint.test.ts; the real Prowler against moto:
 * test/scanners/prowler-real.test.ts.)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CommandRun, runCommand, withProcessOutputDiscarded } from './command-harness';
import {
  CisBenchmarkVersion, CisControl, CisOrganizationRollout, CisOrganizationRolloutProps, CisSeverity, Exclusion,
} from '../../src';
import { main } from '../../src/cli/main';
import { registerMemberTemplate } from '../../src/cli/member-template-command';
import { memberTemplateViolations } from '../support/member-template';


const BIN = path.resolve(__dirname, '..', '..', 'lib', 'bin', 'cis-monitoring.js');
const bundled = fs.existsSync(BIN);
if (!bundled && process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0') {
  throw new Error('lib/bin/cis-monitoring.js is missing: the build (post-compile) bundles it');
}

/** `cis-monitoring member-template <args>` in-process, with captured streams. */
async function memberTemplate(...args: string[]): Promise<CommandRun> {
  return runCommand(registerMemberTemplate, 'member-template', args);
}

/** What CisOrganizationRollout gives its StackSet for these props. */
function constructBody(props: Partial<CisOrganizationRolloutProps>, part: 'member' | 'global-events' = 'member'): string {
  const app = new App({ outdir: fs.mkdtempSync(path.join(tmp, 'app-')) });
  const stack = new Stack(app, 'Management');
  const rollout = new CisOrganizationRollout(stack, 'Members', { organizationalUnitIds: ['ou-ab12-cdef3456'], regions: ['us-east-1'], ...props });
  app.synth();
  return part === 'member' ? rollout.memberTemplateBody : rollout.globalEventsTemplateBody!;
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'member-template-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the template is the one the construct deploys', () => {
  test('flags: byte for byte the StackSet\'s TemplateBody with --compact, indented JSON of it without', async () => {
    const args = ['--benchmark', '5.0.0', '--security-account', '222222222222', '--security-account-subscription', '--email', 'a@example.com', '--email', 'b@example.com', '--heartbeat-minutes', '10'];
    const expected = constructBody({
      securityAccountId: '222222222222',
      securityAccountSubscription: true,
      heartbeatInterval: Duration.minutes(10),
      monitoring: { benchmarkVersion: CisBenchmarkVersion.V5_0_0, emailAddresses: ['a@example.com', 'b@example.com'] },
    });
    const compact = await memberTemplate(...args, '--compact');
    expect(compact).toMatchObject({ code: 0, stderr: '' });
    expect(compact.stdout).toBe(expected);
    const indented = await memberTemplate(...args);
    expect(indented.stdout).toBe(`${JSON.stringify(JSON.parse(expected), undefined, 2)}\n`);
    // Parameter-free, asset-free, environment-agnostic: the security account is the one account id.
    expect(JSON.parse(expected).Parameters).toBeUndefined();
    expect(memberTemplateViolations(expected, ['222222222222'])).toEqual([]);
  });

  test('a JSON file of CisOrganizationRolloutProps, with flags over it', async () => {
    const file = path.join(tmp, 'rollout.json');
    fs.writeFileSync(file, JSON.stringify({
      organizationalUnitIds: ['ou-ab12-cdef3456'],
      regions: ['eu-west-1', 'eu-central-1'],
      memberLogGroupName: 'org-trail-logs',
      securityAccountId: '222222222222',
      heartbeatInterval: 'PT30M',
      monitoring: {
        benchmarkVersion: '1.4.0',
        controls: ['root-account-usage', 'iam-policy-changes', 'console-signin-without-mfa'],
        exclusions: [{ roleName: 'ci-deployer', controls: ['iam-policy-changes'] }, { sourceIp: '10.0.0.0/8' }],
        severityOverrides: [{ control: 'iam-policy-changes', severity: 'CRITICAL' }],
        controlOverrides: [{ control: 'root-account-usage', period: 'PT1M' }],
        alarmDescription: { tags: { scope: 'member' } },
        emailAddresses: ['team@example.com'],
        realtimeRules: true,
      },
    }));
    const r = await memberTemplate('--props', file, '--benchmark', '7.0.0', '--compact');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(constructBody({
      regions: ['eu-west-1', 'eu-central-1'],
      memberLogGroupName: 'org-trail-logs',
      securityAccountId: '222222222222',
      heartbeatInterval: Duration.minutes(30),
      monitoring: {
        benchmarkVersion: CisBenchmarkVersion.V7_0_0,
        controls: [CisControl.ROOT_ACCOUNT_USAGE, CisControl.IAM_POLICY_CHANGES, CisControl.CONSOLE_SIGNIN_WITHOUT_MFA],
        exclusions: [Exclusion.roleName('ci-deployer', { controls: [CisControl.IAM_POLICY_CHANGES] }), Exclusion.sourceIp('10.0.0.0/8')],
        severityOverrides: [{ control: CisControl.IAM_POLICY_CHANGES, severity: CisSeverity.CRITICAL }],
        controlOverrides: [{ control: CisControl.ROOT_ACCOUNT_USAGE, period: Duration.minutes(1) }],
        alarmDescription: { tags: { scope: 'member' } },
        emailAddresses: ['team@example.com'],
        realtimeRules: true,
      },
    }));
    const member = Template.fromJSON(JSON.parse(r.stdout));
    member.resourceCountIs('AWS::CloudTrail::Trail', 0);
    member.allResourcesProperties('AWS::Logs::MetricFilter', { LogGroupName: 'org-trail-logs' });
    // The rules of the members' own Region only: the warning says what us-east-1 would add.
    expect(r.stderr).toMatch(/^warning: Members run real-time rules in eu-west-1, eu-central-1, but events of IAM/m);
  });

  test('the evidence audit role from a JSON file (evidenceReporterAccountId, organizationId)', async () => {
    const file = path.join(tmp, 'rollout-evidence.json');
    fs.writeFileSync(file, JSON.stringify({
      organizationalUnitIds: ['ou-ab12-cdef3456'],
      regions: ['eu-west-1'],
      securityAccountId: '222222222222',
      evidenceReporterAccountId: '222222222222',
      organizationId: 'o-a1b2c3d4e5',
    }));
    const r = await memberTemplate('--props', file, '--compact');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(constructBody({ regions: ['eu-west-1'], securityAccountId: '222222222222', evidenceReporterAccountId: '222222222222', organizationId: 'o-a1b2c3d4e5' }));
    Template.fromJSON(JSON.parse(r.stdout)).hasResourceProperties('AWS::IAM::Role', { RoleName: 'CisMonitoringEvidenceAudit' });
  });

  test('--part global-events: the rules-only us-east-1 member', async () => {
    const r = await memberTemplate('--realtime-rules', '--global-service-event-rules', '--security-account', '222222222222', '--part', 'global-events', '--compact');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(constructBody({
      regions: ['eu-west-1'], securityAccountId: '222222222222', globalServiceEventRules: true, monitoring: { realtimeRules: true },
    }, 'global-events'));
    Template.fromJSON(JSON.parse(r.stdout)).resourceCountIs('AWS::Logs::MetricFilter', 0);
  });

  test('--output writes the file and says where on stderr; warnings follow', async () => {
    const out = path.join(tmp, 'member.template.json');
    const r = await memberTemplate('--email', 'a@example.com', '--output', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const [summary, ...warnings] = r.stderr.trimEnd().split('\n');
    expect(summary).toMatch(new RegExp(`^Wrote the member template \\(\\d+ bytes as a StackSet TemplateBody, 15 controls\\) to ${out.replace(/[.]/g, '\\.')}$`));
    expect(warnings).toContain('warning: Only email subscriptions: each stays pending until its owner clicks the confirmation link, and Security Hub counts only confirmed subscribers. Confirm them after deploying, or add a non-email subscription. [in CisMemberTemplate/Members/MemberStack/Cis]');
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).Resources).toBeDefined();
  });
});

test('the command lines of docs/control-tower.md run as written (with a rollout.json like the page describes)', async () => {
  const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'control-tower.md'), 'utf8');
  const lines: string[] = [];
  for (const block of doc.matchAll(/^```bash\n([\s\S]*?)^```$/gm)) {
    const joined = block[1].replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) if (line.startsWith('npx cis-monitoring member-template ')) lines.push(line);
  }
  expect(lines).toHaveLength(3);
  const dir = fs.mkdtempSync(path.join(tmp, 'docs-'));
  fs.writeFileSync(path.join(dir, 'rollout.json'), JSON.stringify({
    organizationalUnitIds: ['ou-ab12-prod1234'],
    regions: ['eu-west-1'],
    securityAccountId: '222222222222',
    securityAccountSubscription: true,
    globalServiceEventRules: true,
    heartbeatInterval: 'PT15M',
    monitoring: { benchmarkVersion: '7.0.0', realtimeRules: true },
  }));
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    for (const line of lines) {
      const args = line.replace(/^npx cis-monitoring /, '').split(/\s+/);
      expect({ line, code: await withProcessOutputDiscarded(() => main(args)) }).toEqual({ line, code: 0 });
    }
  } finally {
    process.chdir(cwd);
  }
  expect(fs.readdirSync(dir).sort()).toEqual(['cis-global-events.template.json', 'cis-member.template.json', 'rollout.json']);
});

// The bundle resolves aws-cdk-lib from the repository's node_modules (the floor), not through jest's mapping to the newest set.
(bundled && process.env.CIS_COMPAT_SET !== 'newest' ? test : test.skip)('the bundled CLI (lib/bin, as installed) writes the same template, with aws-cdk-lib from the installing project', () => {
  const args = ['member-template', '--compact', '--security-account', '222222222222', '--security-account-subscription'];
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  expect(r.stdout).toBe(constructBody({ securityAccountId: '222222222222', securityAccountSubscription: true, monitoring: {} }));
});

describe('bad input: exit code 2 and one line naming the problem', () => {
  const file = (name: string, content: string) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, content);
    return f;
  };

  test.each<[string, () => string[], RegExp]>([
    ['an unknown option', () => ['--bogus'], /unknown option '--bogus'/],
    ['a bad --part', () => ['--part', 'all'], /argument 'all' is invalid/],
    ['a missing --props file', () => ['--props', '/nonexistent/rollout.json'], /^cis-monitoring member-template: --props: cannot read \/nonexistent\/rollout\.json: ENOENT\n$/],
    ['a --props file that is not JSON', () => ['--props', file('broken.json', '{ "regions": ')], /--props: .*broken\.json is not JSON/],
    ['a --props file that is not an object', () => ['--props', file('array.json', '[]')], /--props array\.json must be a JSON object, got an array/],
    ['an unknown property', () => ['--props', file('unknown.json', '{ "region": "eu-west-1" }')], /--props unknown\.json: unknown property "region"; CisOrganizationRolloutProps has organizationalUnitIds, regions, /],
    ['an unknown monitoring property', () => ['--props', file('unknown-m.json', '{ "monitoring": { "dashbord": true } }')], /--props unknown-m\.json: monitoring: unknown property "dashbord" of CisMonitoringProps/],
    ['a construct property', () => ['--props', file('topic.json', '{ "monitoring": { "topic": "arn:aws:sns:us-east-1:111111111111:t" } }')], /monitoring\.topic: a member stack cannot use it/],
    ['a bad benchmark version', () => ['--benchmark', '9.9.9'], /--benchmark: .*9\.9\.9/],
    ['a bad control key', () => ['--props', file('control.json', '{ "monitoring": { "controls": ["root"] } }')], /monitoring\.controls\[0\]: Unknown CIS control key "root"/],
    ['a bad severity', () => ['--props', file('severity.json', '{ "monitoring": { "severityOverrides": [{ "control": "root-account-usage", "severity": "URGENT" }] } }')], /severityOverrides\[0\]\.severity must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, got the string "URGENT"/],
    ['an exclusion of two kinds', () => ['--props', file('exclusion.json', '{ "monitoring": { "exclusions": [{ "roleName": "a", "sourceIp": "10.0.0.0/8" }] } }')], /exclusions\[0\] must have exactly one of roleName, principalArn, userAgent, sourceIp, eventName, jsonField .* got roleName and sourceIp/],
    ['a duration that is not ISO 8601', () => ['--props', file('duration.json', '{ "heartbeatInterval": 15 }')], /heartbeatInterval must be an ISO 8601 duration such as "PT15M", got number 15/],
    ['bad heartbeat minutes', () => ['--heartbeat-minutes', '15m'], /--heartbeat-minutes must be a whole number of minutes, got "15m"/],
    ['a value the construct refuses', () => ['--security-account', '12'], /securityAccountId must be the 12-digit id of the security account, got the string "12"/],
    ['a misspelled Region', () => ['--props', file('region.json', '{ "regions": ["eu-wset-1"] }')], /regions\[0\] "eu-wset-1" is not a Region: did you mean "eu-west-1"\?/],
    ['--part global-events without the option', () => ['--part', 'global-events'], /--part global-events needs the rules-only us-east-1 member/],
    ['an unwritable --output', () => ['--output', '/nonexistent/dir/member.json'], /--output: cannot write \/nonexistent\/dir\/member\.json: ENOENT/],
  ])('%s', async (_name, args, message) => {
    const r = await memberTemplate(...args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    if (!/unknown option|is invalid/.test(String(message))) expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  test('through main(): the process exit codes', async () => {
    const codes = await withProcessOutputDiscarded(async () => [
      await main(['member-template', '--email', 'a@example.com']),
      await main(['member-template', '--benchmark', '0.0.1']),
      await main(['member-template', '--part', 'x']),
    ]);
    expect(codes).toEqual([0, 2, 2]);
  });
});
