/**
 * Issue #18 item 2: set-ups that would synthesize and then mislead or drop
 * alerts fail at synthesis (or warn, where a legitimate set-up looks the
 * same). Every check is shown with the message it prints.
 */
import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  CisMonitoring, CisOrganizationRollout, CisOrganizationRolloutProps, CisSecurityAccount, CisSecurityAccountProps, MemberTemplateDelivery,
  StackSetAccountFilter,
} from '../../src';
import { memberTemplateViolations } from '../support/member-template';

const MGMT = '111111111111';
const SECURITY = '222222222222';
const ORG = 'o-a1b2c3d4e5';
const OU = 'ou-ab12-cdef3456';
const OU2 = 'ou-ab12-zyxw9876';

interface Setup {
  readonly app: App;
  readonly mgmt: Stack;
  rollout(id: string, props?: Partial<CisOrganizationRolloutProps>): CisOrganizationRollout;
  security(region: string, props?: Partial<CisSecurityAccountProps>, account?: string): CisSecurityAccount;
}

function setUp(): Setup {
  const app = new App();
  const mgmt = new Stack(app, 'Mgmt', { env: { account: MGMT, region: 'eu-west-1' } });
  let n = 0;
  return {
    app,
    mgmt,
    rollout: (id, props = {}) => new CisOrganizationRollout(mgmt, id, {
      organizationalUnitIds: [OU],
      regions: ['eu-west-1'],
      securityAccountId: SECURITY,
      monitoring: { emailAddresses: ['security@example.com'] },
      ...props,
    }),
    security: (region, props = {}, account = SECURITY) => new CisSecurityAccount(new Stack(app, `Security${++n}`, { env: { account, region } }), 'Central', {
      organizationId: ORG,
      memberHeartbeats: { organizationalUnitIds: [OU] },
      ...props,
    }),
  };
}

/** The validation errors `app.synth()` throws, one per line. */
function synthErrors(app: App): string[] {
  try {
    app.synth();
  } catch (e: any) {
    const m = /^Validation failed with the following errors:\n([\s\S]*)$/.exec(e.message);
    if (!m) throw e;
    return m[1].split('\n').map(l => l.trim());
  }
  return [];
}

function warnings(stack: Stack, path: string): string[] {
  return Annotations.fromStack(stack).findWarning(path, Match.anyValue()).map(w => String(w.entry.data));
}

describe('rollout ↔ CisSecurityAccount in the same app', () => {
  test('a consistent set-up passes without cross-check warnings (the organization example\'s shape)', () => {
    const s = setUp();
    s.rollout('Members', { securityAccountSubscription: true });
    s.security('eu-west-1', { memberTopicSubscriptions: {} });
    expect(synthErrors(s.app)).toEqual([]);
    expect(warnings(s.mgmt, '/Mgmt/Members').filter(w => /rolloutNotForwarding|memberHeartbeat|memberSubscription/.test(w))).toEqual([]);
  });

  test('securityAccountId typo: error', () => {
    const s = setUp();
    s.rollout('Members', { securityAccountId: '222222222223' });
    s.security('eu-west-1');
    expect(synthErrors(s.app)).toEqual([
      '[Mgmt/Members] securityAccountId is 222222222223, but this app deploys CisSecurityAccount only in 222222222222 (Security1/Central): members would forward to a bus that does not exist, and every alert and heartbeat would end in their dead-letter queues. Set securityAccountId to the security account\'s id, or deploy the CisSecurityAccount stack in 222222222223.',
    ]);
  });

  test('bus name mismatch: error', () => {
    const s = setUp();
    s.rollout('Members', { securityEventBusName: 'cis-alerts' });
    s.security('eu-west-1');
    expect(synthErrors(s.app)).toEqual([
      '[Mgmt/Members] securityEventBusName is "cis-alerts", but the CisSecurityAccount of account 222222222222 in this app names its bus "cis-monitoring" (Security1/Central): members would forward to a bus that does not exist. Give both the same name (the default on both sides is "cis-monitoring").',
    ]);
  });

  test('a member Region without the security account\'s bus: error', () => {
    const s = setUp();
    s.rollout('Members', { regions: ['eu-west-1', 'eu-central-1'], memberLogGroupName: 'aws-controltower/CloudTrailLogs' });
    s.security('eu-west-1');
    expect(synthErrors(s.app)).toEqual([
      '[Mgmt/Members] Members forward in eu-west-1, eu-central-1, to the bus "cis-monitoring" of 222222222222 in the same Region, but this app deploys that CisSecurityAccount only in eu-west-1: alerts and heartbeats of the members in eu-central-1 would end in their dead-letter queues. Deploy a CisSecurityAccount stack in eu-central-1 too.',
    ]);
  });

  test('an environment-agnostic security stack cannot be compared: no error', () => {
    const s = setUp();
    s.rollout('Members', { securityAccountId: '999999999999' });
    new CisSecurityAccount(new Stack(s.app, 'AnyAccount'), 'Central', { organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU] } });
    expect(synthErrors(s.app)).toEqual([]);
  });

  test('a rollout without securityAccountId in an app with a CisSecurityAccount: warning', () => {
    const s = setUp();
    s.rollout('Members', { securityAccountId: undefined });
    s.security('eu-west-1');
    expect(synthErrors(s.app)).toEqual([]);
    expect(warnings(s.mgmt, '/Mgmt/Members')).toContain(
      'This app deploys CisSecurityAccount (Security1/Central), but this rollout has no securityAccountId: its members keep their alerts to themselves and send no heartbeats. Give securityAccountId (and securityEventBusName if the bus is not "cis-monitoring"), or acknowledge this warning if these members are meant to alert locally only. [ack: cdk-cis-monitoring:rolloutNotForwarding]');
  });

  test('the security account checks no heartbeats: warning', () => {
    const s = setUp();
    s.rollout('Members');
    s.security('eu-west-1', { memberHeartbeats: undefined });
    expect(synthErrors(s.app)).toEqual([]);
    expect(warnings(s.mgmt, '/Mgmt/Members')).toContain(
      'Members send a heartbeat every 15 minutes to Security1/Central (account 222222222222, eu-west-1), which has no memberHeartbeats: a member whose forwarding breaks (a deleted stack instance, a changed bus policy) is never reported there. Give it memberHeartbeats: { organizationalUnitIds: [\'ou-ab12-cdef3456\'] }. [ack: cdk-cis-monitoring:memberHeartbeatsNotChecked]');
  });

  test('heartbeats rarer than the security account\'s silence bound: warning that every member would be reported', () => {
    const s = setUp();
    s.rollout('Members', { heartbeatInterval: Duration.hours(1) });
    s.security('eu-west-1');
    expect(warnings(s.mgmt, '/Mgmt/Members')).toContain(
      'Members send a heartbeat every 1 hour, but Security1/Central reports a member silent after 30 minutes: every member would be reported silent between two heartbeats. Give memberHeartbeats.heartbeatInterval the rollout\'s heartbeatInterval (1 hour). [ack: cdk-cis-monitoring:memberHeartbeatInterval]');
  });

  test('different but compatible heartbeat intervals: warning to align them', () => {
    const s = setUp();
    s.rollout('Members', { heartbeatInterval: Duration.minutes(10) });
    s.security('eu-west-1');
    expect(warnings(s.mgmt, '/Mgmt/Members')).toContain(
      'Members send a heartbeat every 10 minutes, Security1/Central expects one every 15 minutes (memberHeartbeats.heartbeatInterval): give both the same value, so silence is reported after the intended time. [ack: cdk-cis-monitoring:memberHeartbeatInterval]');
  });

  test('memberHeartbeats names other organizational units: warning both ways', () => {
    const s = setUp();
    s.rollout('Members');
    s.security('eu-west-1', { memberHeartbeats: { organizationalUnitIds: [OU2] } });
    expect(warnings(s.mgmt, '/Mgmt/Members')).toContain(
      'Security1/Central expects heartbeats from the accounts of ou-ab12-zyxw9876, this rollout deploys to the accounts of ou-ab12-cdef3456: members of ou-ab12-cdef3456 are never reported when they fall silent; accounts of ou-ab12-zyxw9876 get no member stack from any rollout of this app that forwards to 222222222222, so they would be reported silent. Give memberHeartbeats the organizational units (and accountIds, accountFilter) of the rollouts that forward to it. [ack: cdk-cis-monitoring:memberHeartbeatTargets]');
  });

  test('two rollouts together cover the units memberHeartbeats names: no warning', () => {
    const s = setUp();
    s.rollout('Prod', { monitoring: { emailAddresses: ['a@example.com'], alarmNamePrefix: 'cis-prod' } });
    s.rollout('Test', { organizationalUnitIds: [OU2], monitoring: { emailAddresses: ['a@example.com'], alarmNamePrefix: 'cis-test' } });
    s.security('eu-west-1', { memberHeartbeats: { organizationalUnitIds: [OU, OU2] } });
    expect(synthErrors(s.app)).toEqual([]);
    expect(warnings(s.mgmt, '/Mgmt/Prod').concat(warnings(s.mgmt, '/Mgmt/Test')).filter(w => w.includes('memberHeartbeat'))).toEqual([]);
  });

  test('rollouts in other Regions do not cover units a Region\'s monitor expects: heartbeats are checked per Region', () => {
    const s = setUp();
    s.rollout('Prod', { regions: ['eu-west-1'], memberLogGroupName: 'trail', monitoring: { emailAddresses: ['a@example.com'], alarmNamePrefix: 'cis-prod' } });
    s.rollout('Test', { organizationalUnitIds: [OU2], regions: ['eu-central-1'], memberLogGroupName: 'trail', monitoring: { emailAddresses: ['a@example.com'], alarmNamePrefix: 'cis-test' } });
    s.security('eu-west-1', { memberHeartbeats: { organizationalUnitIds: [OU, OU2] } });
    s.security('eu-central-1', { memberHeartbeats: { organizationalUnitIds: [OU, OU2] } });
    expect(warnings(s.mgmt, '/Mgmt/Prod')).toContain(
      'Security1/Central expects heartbeats from the accounts of ou-ab12-cdef3456, ou-ab12-zyxw9876, this rollout deploys to the accounts of ou-ab12-cdef3456: accounts of ou-ab12-zyxw9876 get no member stack from any rollout of this app that forwards to 222222222222, so they would be reported silent. Give memberHeartbeats the organizational units (and accountIds, accountFilter) of the rollouts that forward to it. [ack: cdk-cis-monitoring:memberHeartbeatTargets]');
    expect(warnings(s.mgmt, '/Mgmt/Test').some(w => w.startsWith('Security2/Central expects heartbeats from the accounts of ou-ab12-cdef3456, ou-ab12-zyxw9876'))).toBe(true);
  });

  test('a heartbeat monitor in a Region where no rollout of the app has members: warning on that CisSecurityAccount', () => {
    const s = setUp();
    s.rollout('Members', { heartbeatInterval: Duration.minutes(15) });
    const home = s.security('eu-west-1');
    const other = s.security('eu-central-1');
    const noMonitor = s.security('eu-north-1', { memberHeartbeats: undefined });
    expect(synthErrors(s.app)).toEqual([]);
    expect(warnings(Stack.of(other), '/Security2/Central')).toEqual([
      'Security2/Central checks member heartbeats in eu-central-1, but no rollout of this app that forwards to it has members in eu-central-1 (Mgmt/Members: eu-west-1): every member of the accounts of ou-ab12-cdef3456 would be reported silent there. Remove memberHeartbeats from the CisSecurityAccount in eu-central-1, or add eu-central-1 to the rollout\'s regions. [ack: cdk-cis-monitoring:memberHeartbeatRegion]',
    ]);
    expect(warnings(Stack.of(home), '/Security1/Central').filter(w => w.includes('memberHeartbeatRegion'))).toEqual([]);
    expect(warnings(Stack.of(noMonitor), '/Security3/Central').filter(w => w.includes('memberHeartbeatRegion'))).toEqual([]);
  });

  test('a heartbeat monitor with no forwarding rollout in the app (they live in another app): no warning', () => {
    const s = setUp();
    const sec = s.security('eu-central-1');
    expect(synthErrors(s.app)).toEqual([]);
    expect(warnings(Stack.of(sec), '/Security1/Central').filter(w => w.includes('memberHeartbeatRegion'))).toEqual([]);
  });

  test('securityAccountSubscription without memberTopicSubscriptions on the other side: warning; different topic names: error', () => {
    const s = setUp();
    s.rollout('Members', { securityAccountSubscription: true });
    s.security('eu-west-1');
    expect(warnings(s.mgmt, '/Mgmt/Members')).toContain(
      'securityAccountSubscription lets 222222222222 subscribe to each member\'s topic "cis-monitoring-alarms", but Security1/Central has no memberTopicSubscriptions, so nobody subscribes and Security Hub keeps failing the members\' CloudWatch controls (no confirmed subscriber). Give it memberTopicSubscriptions: { memberTopicName: \'cis-monitoring-alarms\' }. [ack: cdk-cis-monitoring:memberSubscriptionNotTaken]');

    const t = setUp();
    t.rollout('Members', { securityAccountSubscription: true, memberTopicName: 'cis-alarms' });
    t.security('eu-west-1', { memberTopicSubscriptions: {} });
    expect(synthErrors(t.app)).toEqual([
      '[Mgmt/Members] Members name their topic "cis-alarms" (memberTopicName), but Security1/Central subscribes to "cis-monitoring-alarms" (memberTopicSubscriptions.memberTopicName): no member would get the subscription Security Hub wants. Give both the same name.',
    ]);
  });
});

describe('two rollouts that reach the same account', () => {
  const DISJOINT = 'Target disjoint organizational units or accounts (accountIds with accountFilter DIFFERENCE), or give the second rollout';

  test('the same organizational unit twice, default prefixes: error naming alarms and metrics', () => {
    const s = setUp();
    s.rollout('A');
    s.rollout('B', { securityAccountId: undefined });
    expect(synthErrors(s.app)).toEqual([
      `[Mgmt/A] This rollout and Mgmt/B reach the same accounts: both deploy to ou-ab12-cdef3456, so every account there gets both member stacks. In eu-west-1 both member stacks would create the same alarm names (CisMonitoringMember-Cis-<control>): the second stack instance fails to deploy ("already exists") and leaves that account without it; and the same metrics (namespace CISBenchmark): each alarm would also count the other stack's events. ${DISJOINT} a different monitoring.alarmNamePrefix and a different monitoring.metricNamespace.`,
    ]);
  });

  test('the root against an organizational unit, with a different alarm prefix but the same metrics: error', () => {
    const s = setUp();
    s.rollout('A', { organizationalUnitIds: ['r-ab12'] });
    s.rollout('B', { organizationalUnitIds: [OU2], monitoring: { emailAddresses: ['a@example.com'], alarmNamePrefix: 'cis-b' } });
    expect(synthErrors(s.app)).toEqual([
      `[Mgmt/A] This rollout and Mgmt/B reach the same accounts: Mgmt/A deploys to the root r-ab12, which holds every account of ou-ab12-zyxw9876. In eu-west-1 both member stacks would create the same metrics (namespace CISBenchmark): each alarm would also count the other stack's events. ${DISJOINT} a different monitoring.metricNamespace.`,
    ]);
  });

  test('with securityAccountSubscription, the same member topic name: error', () => {
    const s = setUp();
    s.rollout('A', { securityAccountSubscription: true });
    s.rollout('B', { securityAccountSubscription: true, monitoring: { emailAddresses: ['a@example.com'], alarmNamePrefix: 'cis-b', metricNamespace: 'CISBenchmark/B' } });
    expect(synthErrors(s.app)).toEqual([
      `[Mgmt/A] This rollout and Mgmt/B reach the same accounts: both deploy to ou-ab12-cdef3456, so every account there gets both member stacks. In eu-west-1 both member stacks would create the same topic name (cis-monitoring-alarms): the second stack instance fails to deploy ("already exists") and leaves that account without it. ${DISJOINT} a different memberTopicName.`,
    ]);
  });

  test('one rollout\'s rules-only us-east-1 member where the other runs its full member: only the forward dead-letter alarm clashes', () => {
    const s = setUp();
    s.rollout('A', { regions: ['eu-west-1'], globalServiceEventRules: true, monitoring: { realtimeRules: true, emailAddresses: ['a@example.com'] } });
    s.rollout('B', { regions: ['us-east-1'], monitoring: { emailAddresses: ['a@example.com'], metricNamespace: 'CISBenchmark/B' } });
    s.security('eu-west-1');
    s.security('us-east-1');
    expect(synthErrors(s.app)).toEqual([
      `[Mgmt/A] This rollout and Mgmt/B reach the same accounts: both deploy to ou-ab12-cdef3456, so every account there gets both member stacks. In us-east-1 both member stacks would create the same alarm names (CisMonitoringMember-Cis-forward-dead-letters): the second stack instance fails to deploy ("already exists") and leaves that account without it. ${DISJOINT} a different monitoring.alarmNamePrefix.`,
    ]);
  });

  test('the same member topic name where one rollout has only its rules-only us-east-1 member: error', () => {
    const s = setUp();
    s.rollout('A', { regions: ['eu-west-1'], globalServiceEventRules: true, securityAccountSubscription: true, monitoring: { realtimeRules: true, emailAddresses: ['a@example.com'] } });
    s.rollout('B', { regions: ['us-east-1'], securityAccountSubscription: true, monitoring: { emailAddresses: ['a@example.com'], alarmNamePrefix: 'cis-b', metricNamespace: 'CISBenchmark/B' } });
    s.security('eu-west-1', { memberTopicSubscriptions: {} });
    s.security('us-east-1', { memberTopicSubscriptions: {} });
    expect(synthErrors(s.app)).toEqual([
      `[Mgmt/A] This rollout and Mgmt/B reach the same accounts: both deploy to ou-ab12-cdef3456, so every account there gets both member stacks. In us-east-1 both member stacks would create the same topic name (cis-monitoring-alarms): the second stack instance fails to deploy ("already exists") and leaves that account without it. ${DISJOINT} a different memberTopicName.`,
    ]);
  });

  test('an account both list (accountFilter UNION): error', () => {
    const s = setUp();
    s.rollout('A', { accountIds: ['333333333333'], accountFilter: StackSetAccountFilter.UNION });
    s.rollout('B', { organizationalUnitIds: [OU2], accountIds: ['333333333333', '444444444444'], accountFilter: StackSetAccountFilter.UNION });
    expect(synthErrors(s.app)[0]).toMatch(/^\[Mgmt\/A\] This rollout and Mgmt\/B reach the same accounts: both list account 333333333333 \(accountFilter UNION\)\. In eu-west-1 both member stacks would create the same alarm names/);
  });

  test('disjoint set-ups pass: other units, other Regions, disjoint account lists, or other prefixes and namespaces', () => {
    const other = { emailAddresses: ['a@example.com'], alarmNamePrefix: 'cis-b', metricNamespace: 'CISBenchmark/B' };
    const cases: Array<[Partial<CisOrganizationRolloutProps>, Partial<CisOrganizationRolloutProps>]> = [
      [{}, { organizationalUnitIds: [OU2] }],
      [{}, { regions: ['eu-central-1'] }],
      [{ accountIds: ['333333333333'] }, { accountIds: ['444444444444'] }],
      [{ accountIds: ['333333333333'], accountFilter: StackSetAccountFilter.DIFFERENCE }, { accountIds: ['333333333333'] }],
      [{}, { monitoring: other }],
    ];
    for (const [a, b] of cases) {
      const s = setUp();
      s.rollout('A', a);
      s.rollout('B', { securityAccountId: undefined, ...b });
      expect({ a, b, errors: synthErrors(s.app) }).toEqual({ a, b, errors: [] });
    }
  });
});

describe('Region names are checked against aws-cdk-lib\'s region facts', () => {
  const make = (regions: string[]) => {
    const s = setUp();
    return () => s.rollout('Members', { regions, memberLogGroupName: 'trail' });
  };

  test.each([
    [['eu-wset-1'], 'regions[0] "eu-wset-1" is not a Region: did you mean "eu-west-1"?'],
    [['us-est-1'], 'regions[0] "us-est-1" is not a Region: did you mean "us-east-1" or "us-west-1"?'],
    [['EU-WEST-1'], 'regions[0] "EU-WEST-1" is not a Region name: did you mean "eu-west-1"? Region names are lower case, without spaces.'],
    [['eu-west-1', 'euwest2'], 'regions[1] "euwest2" is not a Region: did you mean "eu-west-2"?'],
    [['europe'], 'regions[0] must be a Region name (for example "eu-west-1"), got the string "europe".'],
    [['eu-west-1', 'eu-west-1'], 'regions lists "eu-west-1" twice; remove one.'],
    [[Lazy.string({ produce: () => 'eu-west-1' })], 'regions[0] must be a literal Region name (for example "eu-west-1"), not a token: the StackSet\'s Regions are fixed at synthesis.'],
  ])('%j: %s', (regions, message) => {
    expect(make(regions)).toThrow(message);
  });

  test('a new number in a known area (a Region newer than aws-cdk-lib) is a warning, not an error', () => {
    const s = setUp();
    s.rollout('Members', { regions: ['eu-west-1', 'eu-west-9'], memberLogGroupName: 'trail' });
    expect(warnings(s.mgmt, '/Mgmt/Members')).toContain(
      'regions[1] "eu-west-9" is not a Region the installed aws-cdk-lib knows (its region facts). If it is a new Region, acknowledge this warning; otherwise correct it (the StackSet operation would fail in it). [ack: cdk-cis-monitoring:unknownRegion]');
  });

  test('securityAccountSubscription that is not a boolean, and memberTopicName without it, are errors', () => {
    expect(() => setUp().rollout('Members', { securityAccountSubscription: 'yes' as any })).toThrow('securityAccountSubscription must be true or false, got the string "yes".');
    expect(() => setUp().rollout('Members', { memberTopicName: 'x' })).toThrow('memberTopicName only applies with securityAccountSubscription: remove it, or set securityAccountSubscription: true.');
  });

  test('a Region in an area aws-cdk-lib does not know yet is a warning that can be acknowledged, with the Regions it is near', () => {
    const s = setUp();
    s.rollout('Members', { regions: ['sa-west-1', 'mx-north-1'], memberLogGroupName: 'trail' });
    const w = warnings(s.mgmt, '/Mgmt/Members');
    expect(w).toContain(
      'regions[0] "sa-west-1" is not a Region the installed aws-cdk-lib knows (its region facts) (did you mean "ca-west-1"?). If it is a new Region, acknowledge this warning; otherwise correct it (the StackSet operation would fail in it). [ack: cdk-cis-monitoring:unknownRegion]');
    expect(w.some(x => x.startsWith('regions[1] "mx-north-1" is not a Region the installed aws-cdk-lib knows'))).toBe(true);
  });
});

describe('the member template moving to S3', () => {
  test('AUTO with a template over 51,200 bytes: a warning that says why and what it needs', () => {
    const s = setUp();
    s.rollout('Members', { securityAccountId: undefined, monitoring: { dashboard: true, emailAddresses: ['a@example.com'] } });
    s.app.synth();
    const w = warnings(s.mgmt, '/Mgmt/Members').find(x => x.includes('memberTemplateS3'));
    expect(w).toMatch(/^The member stack template is \d{5} bytes, more than the 51200 CloudFormation takes inline, so it goes to the StackSet as an S3 asset of Mgmt \(TemplateURL\): that stack's account and Region must be bootstrapped \(cdk bootstrap\), and the asset bucket must stay\. .* \[ack: cdk-cis-monitoring:memberTemplateS3\]$/);
  });

  test('S3_ASSET chosen explicitly: no warning', () => {
    const s = setUp();
    s.rollout('Members', { securityAccountId: undefined, templateDelivery: MemberTemplateDelivery.S3_ASSET });
    s.app.synth();
    expect(warnings(s.mgmt, '/Mgmt/Members').filter(x => x.includes('memberTemplateS3'))).toEqual([]);
  });
});

describe('one chat configuration per channel per account', () => {
  const slack = { slackChannels: [{ slackWorkspaceId: 'T0123ABCDE', slackChannelId: 'C0123ABCDE' }] };

  test('a second Region\'s CisSecurityAccount for the same Slack channel in the same account: error', () => {
    const s = setUp();
    s.security('eu-west-1', { chatDelivery: slack });
    s.security('us-east-1', { chatDelivery: slack });
    expect(synthErrors(s.app)).toEqual([
      '[Security2/Central/Chat] AWS Chatbot takes one configuration per channel per account, in every Region together, and Security1/Central/Chat (eu-west-1) already configures Slack channel C0123ABCDE of workspace T0123ABCDE in account 222222222222: this one (us-east-1) would fail at deploy ("has already been configured for AWS account"). Deliver this Region\'s alerts to another channel, or give chatDelivery to one Region\'s construct only (its topics are what the channel receives).',
    ]);
  });

  test('CisMonitoring and CisSecurityAccount on the same Microsoft Teams channel in one account: error', () => {
    const app = new App();
    const teams = { microsoftTeamsChannels: [{ teamId: '11111111-2222-3333-4444-555555555555', tenantId: '11111111-2222-3333-4444-666666666666', channelId: '19%3Aabc%40thread.tacv2' }] };
    new CisMonitoring(new Stack(app, 'A', { env: { account: SECURITY, region: 'eu-west-1' } }), 'Cis', { emailAddresses: ['a@example.com'], chatDelivery: teams });
    new CisSecurityAccount(new Stack(app, 'B', { env: { account: SECURITY, region: 'us-east-1' } }), 'Central', { organizationId: ORG, chatDelivery: teams });
    expect(synthErrors(app)).toEqual([expect.stringMatching(/^\[B\/Central\/Chat\] AWS Chatbot takes one configuration per channel per account, .* already configures Microsoft Teams channel 19%3Aabc%40thread\.tacv2 of team 11111111-2222-3333-4444-555555555555 in account 222222222222/)]);
  });

  test('the same configuration name in two Regions of one account: error; other accounts or channels: fine', () => {
    const s = setUp();
    s.security('eu-west-1', { chatDelivery: { slackChannels: [{ ...slack.slackChannels[0], configurationName: 'cis' }] } });
    s.security('us-east-1', { chatDelivery: { slackChannels: [{ slackWorkspaceId: 'T0123ABCDE', slackChannelId: 'C0999ZZZZZ', configurationName: 'cis' }] } });
    s.security('eu-west-1', { chatDelivery: slack }, '333333333333');
    expect(synthErrors(s.app)).toEqual([
      '[Security2/Central/Chat] The Chatbot configuration name "cis" is also used by Security1/Central/Chat in account 222222222222: names are unique per account in every Region together, so this one would fail at deploy. Give it another configurationName.',
    ]);
  });
});

describe('global-service events for member real-time rules', () => {
  test('realtimeRules outside us-east-1 without the option: a warning that names what is missed', () => {
    const s = setUp();
    s.rollout('Members', { securityAccountId: undefined, monitoring: { realtimeRules: true, emailAddresses: ['a@example.com'] } });
    expect(warnings(s.mgmt, '/Mgmt/Members')).toContain(
      'Members run real-time rules in eu-west-1, but events of IAM, AWS Organizations, the STS global endpoint and console sign-in reach EventBridge in us-east-1 only, so the rules of unauthorized-api-calls, console-signin-without-mfa, root-account-usage, iam-policy-changes, console-auth-failures, organizations-changes never see them (their alarms, fed by the multi-Region trail, still do). Set globalServiceEventRules: true to add a rules-only us-east-1 member, or acknowledge this warning. [ack: cdk-cis-monitoring:memberGlobalEvents]');
  });

  describe('globalServiceEventRules: a second StackSet with the rules of the global-service controls in us-east-1', () => {
    const s = setUp();
    const r = s.rollout('Members', {
      stackSetName: 'cis-members',
      securityAccountSubscription: true,
      globalServiceEventRules: true,
      monitoring: { realtimeRules: true, emailAddresses: ['a@example.com'] },
    });
    s.security('eu-west-1', { memberTopicSubscriptions: {} });
    s.security('us-east-1', { memberTopicSubscriptions: {} });
    const errors = synthErrors(s.app);
    const mgmt = Template.fromStack(s.mgmt);
    const globalMember = Template.fromJSON(JSON.parse(r.globalEventsTemplateBody!));

    test('no error, no warning about global events', () => {
      expect(errors).toEqual([]);
      expect(warnings(s.mgmt, '/Mgmt/Members').filter(w => w.includes('memberGlobalEvents'))).toEqual([]);
    });

    test('the second StackSet targets the same accounts in us-east-1 only, inline', () => {
      mgmt.resourceCountIs('AWS::CloudFormation::StackSet', 2);
      mgmt.hasResourceProperties('AWS::CloudFormation::StackSet', {
        StackSetName: 'cis-members-global-events',
        StackInstancesGroup: [{ Regions: ['us-east-1'], DeploymentTargets: { OrganizationalUnitIds: [OU] } }],
        TemplateBody: r.globalEventsTemplateBody,
        Capabilities: ['CAPABILITY_IAM'],
      });
    });

    test('rules-only: the global-service controls\' rules, a topic, the forward path; no trail, no metric filter, no asset', () => {
      const rules = Object.values(globalMember.findResources('AWS::Events::Rule'))
        .filter((x: any) => JSON.stringify(x.Properties.EventPattern ?? {}).includes('CloudTrail'));
      expect(rules).toHaveLength(6);
      for (const rule of rules as any[]) expect(JSON.stringify(rule.Properties.Targets)).toContain(`:${SECURITY}:event-bus/cis-monitoring`);
      globalMember.resourceCountIs('AWS::CloudTrail::Trail', 0);
      globalMember.resourceCountIs('AWS::Logs::MetricFilter', 0);
      globalMember.resourceCountIs('AWS::SNS::Topic', 1);
      globalMember.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'CisMonitoringMember-Cis-forward-dead-letters' });
      globalMember.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
      // With securityAccountSubscription its topic has the members' name and policy: the us-east-1 monitor subscribes there too.
      globalMember.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'cis-monitoring-alarms' });
      expect(JSON.stringify(globalMember.findResources('AWS::SNS::TopicPolicy'))).toContain('AllowSecurityAccountQueueToSubscribe');
      expect(memberTemplateViolations(r.globalEventsTemplateBody!, [SECURITY])).toEqual([]);
      expect(r.globalEventsTemplateBody!.length).toBeLessThan(51_200);
    });

    test('without a CisSecurityAccount in us-east-1 the rules-only member has nowhere to forward: error', () => {
      const t = setUp();
      t.rollout('Members', { globalServiceEventRules: true, monitoring: { realtimeRules: true, emailAddresses: ['a@example.com'] } });
      t.security('eu-west-1');
      expect(synthErrors(t.app)).toEqual([
        '[Mgmt/Members] Members forward in eu-west-1, us-east-1, to the bus "cis-monitoring" of 222222222222 in the same Region, but this app deploys that CisSecurityAccount only in eu-west-1: alerts and heartbeats of the members in us-east-1 would end in their dead-letter queues. Deploy a CisSecurityAccount stack in us-east-1 too (us-east-1 receives the rules-only member of globalServiceEventRules).',
      ]);
    });

    test.each<[Partial<CisOrganizationRolloutProps>, string]>([
      [{ globalServiceEventRules: true }, 'globalServiceEventRules deploys the real-time rules of the global-service controls to us-east-1, but monitoring.realtimeRules is off: set monitoring.realtimeRules: true, or remove globalServiceEventRules.'],
      [{ globalServiceEventRules: true, regions: ['us-east-1'], monitoring: { realtimeRules: true } }, 'globalServiceEventRules adds a rules-only member in us-east-1, but regions already holds us-east-1, where the members run every real-time rule: remove globalServiceEventRules.'],
      [{ globalServiceEventRules: 'yes' as any }, 'globalServiceEventRules must be true or false, got the string "yes".'],
    ])('bad input %j', (props, message) => {
      expect(() => setUp().rollout('Members', props)).toThrow(message);
    });
  });
});
