import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  CisBenchmarkVersion, CisControl, CisOrganizationRollout, CisOrganizationRolloutProps, Exclusion, MemberTemplateDelivery,
  StackSetAccountFilter, StackSetCallAs, StackSetRegionConcurrency,
} from '../../src';
import { ResourceRole, readLabel } from '../../src/plan/labels';
import { memberTemplateViolations } from '../support/member-template';

const MGMT = '111111111111';
const OU = 'ou-ab12-cdef3456';
const MAX_TEMPLATE_BODY = 51_200;

function mgmtStack(account: string | undefined = MGMT): Stack {
  return new Stack(new App(), 'Mgmt', account ? { env: { account, region: 'us-east-1' } } : undefined);
}

function rollout(props: Partial<CisOrganizationRolloutProps> = {}, stack = mgmtStack()): CisOrganizationRollout {
  return new CisOrganizationRollout(stack, 'Members', {
    organizationalUnitIds: [OU],
    regions: ['eu-west-1'],
    monitoring: { emailAddresses: ['security@example.com'] },
    ...props,
  });
}

/** A rollout in a synthesized app: the member template is known once the app is synthesized. */
function synthesized(props: Partial<CisOrganizationRolloutProps> = {}, stack = mgmtStack()): CisOrganizationRollout {
  const r = rollout(props, stack);
  App.of(stack)!.synth();
  return r;
}

describe('defaults: one OU, one Region, members with their own trail', () => {
  const stack = mgmtStack();
  const r = rollout({}, stack);
  const template = Template.fromStack(stack);

  test('a service-managed StackSet with auto-deployment that retains stacks of accounts that leave', () => {
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'SELF',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      Capabilities: ['CAPABILITY_IAM'],
      OperationPreferences: { MaxConcurrentPercentage: 25, FailureTolerancePercentage: 0, RegionConcurrencyType: 'SEQUENTIAL' },
      StackInstancesGroup: [{ Regions: ['eu-west-1'], DeploymentTargets: { OrganizationalUnitIds: [OU], Accounts: Match.absent() } }],
      StackSetName: 'Mgmt-Members',
      TemplateBody: r.memberTemplateBody,
    });
  });

  test(`the member template fits TemplateBody (${MAX_TEMPLATE_BODY} bytes) and is passed inline`, () => {
    expect(r.inlineTemplate).toBe(true);
    expect(r.memberTemplateSize).toBeLessThanOrEqual(MAX_TEMPLATE_BODY);
    expect(r.memberTemplateSize).toBe(Buffer.byteLength(r.memberTemplateBody));
    template.resourcePropertiesCountIs('AWS::CloudFormation::StackSet', { TemplateURL: Match.anyValue() }, 0);
  });

  test('the member template is free of assets, bootstrap needs, imports, lookups, account ids and Region names', () => {
    expect(memberTemplateViolations(r.memberTemplateBody)).toEqual([]);
  });

  test('the member template holds the 15 controls: a compliance filter and an alarm each, its own trail and topic', () => {
    const member = Template.fromJSON(JSON.parse(r.memberTemplateBody));
    expect(r.memberControls).toEqual(CisBenchmarkVersion.LATEST.controls());
    member.resourceCountIs('AWS::CloudWatch::Alarm', 15);
    // Read as the CLI reads them: a label without a role is a compliance one (src/plan/labels.ts).
    const compliance = Object.values(member.findResources('AWS::Logs::MetricFilter'))
      .filter(f => readLabel(f)?.role === ResourceRole.COMPLIANCE);
    expect(compliance.map(f => readLabel(f)!.control).sort()).toEqual(CisBenchmarkVersion.LATEST.controls().map(c => c.key).sort());
    member.resourceCountIs('AWS::CloudTrail::Trail', 1);
    member.resourceCountIs('AWS::SNS::Topic', 1);
    member.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    member.hasResourceProperties('AWS::CloudTrail::Trail', { IsOrganizationTrail: Match.absent(), IsMultiRegionTrail: true });
  });

  test('member warnings surface on the rollout (emails need confirming in every member)', () => {
    Annotations.fromStack(stack).hasWarning('/Mgmt/Members', Match.stringLikeRegexp('^Only email subscriptions: .* \\[in Mgmt/Members/MemberStack/Cis\\] \\[ack: cdk-cis-monitoring:emailOnly\\]$'));
  });
});

describe('options', () => {
  test('an existing log group in every Region, several Regions, accounts, concurrency and delegated admin', () => {
    const stack = mgmtStack('222222222222');
    const r = rollout({
      memberLogGroupName: 'aws-controltower/CloudTrailLogs',
      regions: ['eu-west-1', 'us-east-1'],
      accountIds: ['333333333333'],
      accountFilter: StackSetAccountFilter.DIFFERENCE,
      managementAccountId: MGMT,
      callAs: StackSetCallAs.DELEGATED_ADMIN,
      autoDeployment: true,
      retainStacksOnAccountRemoval: false,
      maxConcurrentPercentage: 50,
      failureTolerancePercentage: 10,
      regionConcurrency: StackSetRegionConcurrency.PARALLEL,
      stackSetName: 'cis-members',
    }, stack);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: 'cis-members',
      CallAs: 'DELEGATED_ADMIN',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: Match.absent(),
      OperationPreferences: { MaxConcurrentPercentage: 50, FailureTolerancePercentage: 10, RegionConcurrencyType: 'PARALLEL' },
      StackInstancesGroup: [{ Regions: ['eu-west-1', 'us-east-1'], DeploymentTargets: { Accounts: ['333333333333'], AccountFilterType: 'DIFFERENCE' } }],
    });
    const member = Template.fromJSON(JSON.parse(r.memberTemplateBody));
    member.resourceCountIs('AWS::CloudTrail::Trail', 0);
    member.allResourcesProperties('AWS::Logs::MetricFilter', { LogGroupName: 'aws-controltower/CloudTrailLogs' });
    expect(memberTemplateViolations(r.memberTemplateBody)).toEqual([]);
  });

  test('monitoring options reach the members (version, controls, exclusions, real-time rules)', () => {
    const r = synthesized({
      memberLogGroupName: 'trail',
      monitoring: {
        benchmarkVersion: CisBenchmarkVersion.V1_4_0,
        controls: [CisControl.ROOT_ACCOUNT_USAGE, CisControl.IAM_POLICY_CHANGES],
        exclusions: [Exclusion.roleName('ci-deployer')],
        realtimeRules: true,
        emailAddresses: ['a@example.com'],
      },
    });
    const member = Template.fromJSON(JSON.parse(r.memberTemplateBody));
    member.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    member.resourceCountIs('AWS::Events::Rule', 2);
    expect(r.memberTemplateBody).toContain('ci-deployer');
    // In a member stack the event's account is the member itself.
    expect(r.memberTemplateBody).toContain('Where: account <account>');
  });

  test('a member template over 51,200 bytes goes through an S3 asset of the management stack (AUTO)', () => {
    const stack = mgmtStack();
    const r = synthesized({ monitoring: { dashboard: true, realtimeRules: true, investigationQueries: true, emailAddresses: ['a@example.com'] } }, stack);
    expect(r.memberTemplateSize).toBeGreaterThan(MAX_TEMPLATE_BODY);
    expect(r.inlineTemplate).toBe(false);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFormation::StackSet', { TemplateURL: Match.anyValue(), TemplateBody: Match.absent() });
    expect(memberTemplateViolations(r.memberTemplateBody)).toEqual([]);
  });

  test('TEMPLATE_BODY refuses a template that is too big, with the size and the fixes', () => {
    expect(() => synthesized({ templateDelivery: MemberTemplateDelivery.TEMPLATE_BODY, monitoring: { dashboard: true, realtimeRules: true, emailAddresses: ['a@example.com'] } }))
      .toThrow(/The member stack template of Mgmt\/Members is \d+ bytes; CloudFormation takes at most 51200 inline.*dashboard: false.*S3_ASSET/);
  });

  test('S3_ASSET always uses a template URL', () => {
    const stack = mgmtStack();
    rollout({ templateDelivery: MemberTemplateDelivery.S3_ASSET }, stack);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFormation::StackSet', { TemplateURL: Match.anyValue() });
  });
});

describe('the management account is refused as a target', () => {
  test('accountIds naming the stack\'s own account', () => {
    expect(() => rollout({ accountIds: [MGMT] })).toThrow(/accountIds lists 111111111111, the organization's management account: service-managed StackSets never deploy there. Monitor it with an ordinary stack/);
  });

  test('accountIds naming managementAccountId in an environment-agnostic stack', () => {
    expect(() => rollout({ accountIds: ['444444444444'], managementAccountId: '444444444444' }, mgmtStack(null as any)))
      .toThrow(/accountIds lists 444444444444/);
  });

  test('excluding it (DIFFERENCE) is fine', () => {
    expect(() => rollout({ accountIds: [MGMT], accountFilter: StackSetAccountFilter.DIFFERENCE })).not.toThrow();
  });

  test('callAs SELF from an account that is not the management account', () => {
    expect(() => rollout({ managementAccountId: '999999999999' })).toThrow(/not in the management account 999999999999: with callAs SELF.*DELEGATED_ADMIN/);
  });

  test('callAs DELEGATED_ADMIN from the management account', () => {
    expect(() => rollout({ managementAccountId: MGMT, callAs: StackSetCallAs.DELEGATED_ADMIN })).toThrow(/cannot be a delegated administrator/);
  });
});

describe('bad input is refused with the value and the fix', () => {
  test.each<[string, Partial<CisOrganizationRolloutProps>, RegExp]>([
    ['no OUs', { organizationalUnitIds: [] }, /organizationalUnitIds must be a non-empty list, got an array/],
    ['a bad OU', { organizationalUnitIds: ['ou-1'] }, /organizationalUnitIds\[0\] must be an organizational unit id .* got the string "ou-1"/],
    ['a duplicate OU', { organizationalUnitIds: [OU, OU] }, /lists "ou-ab12-cdef3456" twice/],
    ['no Regions', { regions: [] }, /regions must be a non-empty list/],
    ['a bad Region', { regions: ['europe'] }, /regions\[0\] must be a Region name .* got the string "europe"/],
    ['own trail in two Regions', { regions: ['eu-west-1', 'us-east-1'] }, /would create 2 trails in every account. Give regions one Region .* or give memberLogGroupName/],
    ['a bad account', { accountIds: ['12'] }, /accountIds\[0\] must be a 12-digit AWS account id, got the string "12"/],
    ['a filter without accounts', { accountFilter: StackSetAccountFilter.UNION }, /accountFilter UNION needs accountIds/],
    ['a bad filter', { accountIds: ['333333333333'], accountFilter: 'ALL' as any }, /accountFilter is "ALL"; use StackSetAccountFilter/],
    ['a bad callAs', { callAs: 'ME' as any }, /callAs is "ME"; use StackSetCallAs.SELF/],
    ['a bad management account', { managementAccountId: 'mgmt' }, /managementAccountId must be the 12-digit id .* got the string "mgmt"/],
    ['concurrency 0', { maxConcurrentPercentage: 0 }, /maxConcurrentPercentage must be a whole number from 1 to 100, got number 0/],
    ['tolerance 101', { failureTolerancePercentage: 101 }, /failureTolerancePercentage must be a whole number from 0 to 100, got number 101/],
    ['a fractional tolerance', { failureTolerancePercentage: 2.5 }, /failureTolerancePercentage must be a whole number/],
    ['a bad region concurrency', { regionConcurrency: 'FAST' as any }, /regionConcurrency is "FAST"/],
    ['a non-boolean autoDeployment', { autoDeployment: 'yes' as any }, /autoDeployment must be true or false, got the string "yes"/],
    ['retain without auto-deployment', { autoDeployment: false, retainStacksOnAccountRemoval: true }, /retainStacksOnAccountRemoval only applies with autoDeployment/],
    ['a bad StackSet name', { stackSetName: '1-cis' }, /stackSetName "1-cis" is invalid: start with a letter/],
    ['a bad delivery', { templateDelivery: 'EMAIL' as any }, /templateDelivery is "EMAIL"/],
    ['a bad log group name', { memberLogGroupName: 'a b' }, /memberLogGroupName must be a literal log group name .* got the string "a b"/],
    ['trailOptions with a log group', { memberLogGroupName: 'x', monitoring: { trailOptions: { trailName: 't' } } }, /trailOptions only apply when each member creates its own trail/],
    ['an organization trail in members', { monitoring: { trailOptions: { isOrganizationTrail: true } } }, /organization trail is created once, in the management account/],
    ['monitoring not an object', { monitoring: 'all' as any }, /monitoring must be CisMonitoringProps \(plain data\), got the string "all"/],
  ])('%s', (_name, props, message) => {
    expect(() => rollout(props)).toThrow(message);
  });

  test('props that are not an object', () => {
    expect(() => new CisOrganizationRollout(mgmtStack(), 'R', undefined as any)).toThrow(/props must be an object \(CisOrganizationRolloutProps\), got undefined/);
  });

  test('constructs of the management app cannot cross into the member template', () => {
    const stack = mgmtStack();
    const logGroup = new logs.LogGroup(stack, 'Lg');
    expect(() => rollout({ monitoring: { logGroup } }, stack)).toThrow(/monitoring.logGroup cannot be used in a StackSet member stack: .* use memberLogGroupName/);
    const other = mgmtStack();
    const key = new logs.LogGroup(other, 'NotAKey');
    expect(() => rollout({ monitoring: { trailOptions: { encryptionKey: key as any } } }, other))
      .toThrow(/monitoring.trailOptions.encryptionKey is a construct of this app/);
  });
});
