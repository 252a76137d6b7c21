/**
 * Issue #18 item 3: the Control Tower layout of docs/control-tower.md
 * (examples/control-tower-app.ts) synthesizes without an error or a
 * cross-check warning, and each account gets what the docs say: CIS alarms
 * on Control Tower's organization trail log group in the management account,
 * an own trail per member (landing zone 3.0 removed theirs), forwarding, the
 * security account's subscription and the us-east-1 rules-only member.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { buildControlTowerApp, LANDING_ZONE } from '../../examples/control-tower-app';
import { CisBenchmarkVersion, Scanner } from '../../src';
import { evaluateAudit } from '../../src/audit/evaluate';
import { readTemplateTargets } from '../../src/audit/template-reader';
import { memberTemplateViolations } from '../support/member-template';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-control-tower-'));
const built = buildControlTowerApp(outdir);
const assembly = built.app.synth();
const management = Template.fromStack(built.management);
const members = Template.fromStack(built.members);
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

test('four stacks, no error, and no cross-check or library warning but the ones the layout means', () => {
  expect(assembly.stacks.map(s => s.stackName).sort()).toEqual([
    'CisControlTowerManagement', 'CisControlTowerMembers', 'CisControlTowerSecurity', 'CisControlTowerSecurityUsEast1',
  ]);
  const stacks = [built.management, built.members, ...built.security.map(s => s.stack)];
  const messages = stacks.flatMap(s => [
    ...Annotations.fromStack(s).findError('*', Match.anyValue()),
    ...Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('cdk-cis-monitoring:')),
  ]).map(m => `${m.id}: ${String(m.entry.data).replace(/^(.{40}).*?(\[ack: [^\]]+\])$/s, '$1... $2')}`);
  // Every cross-check is quiet; what is left is the management account's email subscription, which someone confirms once.
  expect(messages).toEqual(['/CisControlTowerManagement/Cis: Only email subscriptions: each stays pen... [ack: cdk-cis-monitoring:emailOnly]']);
});

test('management account: 15 CIS alarms on Control Tower\'s organization trail log group, no second trail', () => {
  management.resourceCountIs('AWS::CloudTrail::Trail', 0);
  management.resourceCountIs('AWS::CloudWatch::Alarm', 15);
  const filters = Object.values(management.findResources('AWS::Logs::MetricFilter')) as any[];
  expect(filters.length).toBeGreaterThanOrEqual(15);
  for (const f of filters) expect(f.Properties.LogGroupName).toBe(LANDING_ZONE.trailLogGroupName);
  for (const a of Object.values(management.findResources('AWS::CloudWatch::Alarm')) as any[]) {
    expect(JSON.stringify(a.Properties.AlarmDescription)).toContain('recipientAccountId names the member account');
  }
  expect(built.monitoring.organizationTrail).toBe(true);
});

test('the management template audits as PASS under Prowler, Steampipe and CloudSploit, and under Security Hub once the email is confirmed', () => {
  const file = path.join(assembly.directory, assembly.getStackByName('CisControlTowerManagement').templateFile);
  const [target] = readTemplateTargets(file);
  const scanners = [Scanner.SECURITY_HUB, Scanner.PROWLER, Scanner.STEAMPIPE, Scanner.CLOUDSPLOIT];
  const report = evaluateAudit(target.model, CisBenchmarkVersion.V7_0_0, scanners);
  const notPass = report.controls.flatMap(c => scanners.map(s => `${c.key}/${s}=${c.results[s]?.status}`)).filter(x => !x.endsWith('=PASS'));
  expect(notPass).toEqual(CisBenchmarkVersion.V7_0_0.controls().map(c => (c.key === 'organizations-changes'
    ? 'organizations-changes/SECURITY_HUB=NOT_APPLICABLE' : `${c.key}/SECURITY_HUB=WARN`)));
});

test('the StackSets: from the Audit account as delegated administrator, to the workload OUs, in the home Region and in us-east-1', () => {
  members.resourceCountIs('AWS::CloudFormation::StackSet', 2);
  members.hasResourceProperties('AWS::CloudFormation::StackSet', {
    StackSetName: 'cis-monitoring-members',
    CallAs: 'DELEGATED_ADMIN',
    PermissionModel: 'SERVICE_MANAGED',
    StackInstancesGroup: [{ Regions: [LANDING_ZONE.homeRegion], DeploymentTargets: { OrganizationalUnitIds: LANDING_ZONE.workloadOus } }],
    TemplateURL: Match.anyValue(),
  });
  members.hasResourceProperties('AWS::CloudFormation::StackSet', {
    StackSetName: 'cis-monitoring-members-global-events',
    StackInstancesGroup: [{ Regions: ['us-east-1'], DeploymentTargets: { OrganizationalUnitIds: LANDING_ZONE.workloadOus } }],
  });
  expect(JSON.stringify(members.toJSON().Resources)).not.toContain(LANDING_ZONE.managementAccountId);
});

test('each member: its own trail (landing zone 3.0 removed theirs), 15 alarms, a named topic the Audit account may subscribe to, forwarding', () => {
  const member = Template.fromJSON(JSON.parse(built.rollout.memberTemplateBody));
  member.resourceCountIs('AWS::CloudTrail::Trail', 1);
  member.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'cis-monitoring-alarms' });
  expect(built.rollout.memberTemplateBody).toContain(`:${LANDING_ZONE.auditAccountId}:event-bus/cis-monitoring`);
  expect(memberTemplateViolations(built.rollout.memberTemplateBody, [LANDING_ZONE.auditAccountId])).toEqual([]);
  expect(memberTemplateViolations(built.rollout.globalEventsTemplateBody!, [LANDING_ZONE.auditAccountId])).toEqual([]);
});

test('the Audit account: a bus in both Regions members send from, heartbeats and the subscription queue in each, chat in the home Region only', () => {
  for (const { stack, central } of built.security) {
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Events::EventBus', 1);
    expect(central.heartbeatFunction).toBeDefined();
    expect(central.memberAlarmQueue).toBeDefined();
    t.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', stack.region === LANDING_ZONE.homeRegion ? 1 : 0);
  }
});

test('deployment order: the members\' StackSets after the security stacks whose bus they forward to', () => {
  const deps = assembly.getStackByName('CisControlTowerMembers').dependencies.map(d => d.id).filter(id => !id.endsWith('.assets')).sort();
  expect(deps).toEqual(built.security.map(s => s.stack.artifactId).sort());
});
