import { Annotations as CdkAnnotations, App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CisAlarmTopic, CisBenchmarkVersion, CisControl, CisEventRules } from '../../src';
import { toEventPatternJson } from '../../src/filter-pattern/translate/event-pattern';
import { eventPatternFor } from '../support/plans';

const GLOBAL_WARNING = 'cdk-cis-monitoring:globalEventsRegion';

function stackIn(region?: string, app = new App(), id = `S-${region ?? 'agnostic'}`): Stack {
  return new Stack(app, id, region ? { env: { account: '111122223333', region } } : undefined);
}

function withRules(stack: Stack, props: Partial<ConstructorParameters<typeof CisEventRules>[2]> = {}): CisEventRules {
  const topic = props.topic ?? new CisAlarmTopic(stack, 'Topic').topic;
  return new CisEventRules(stack, 'RealTime', { ...props, topic });
}

function warningsWith(stack: Stack, id: string) {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(id));
}

describe('CisEventRules with defaults (CIS 7.0.0)', () => {
  const stack = stackIn('us-east-1');
  const rules = withRules(stack);
  const template = Template.fromStack(stack);

  test('one enabled rule per metric-filter control on the default bus', () => {
    template.resourceCountIs('AWS::Events::Rule', CisBenchmarkVersion.LATEST.controls().length);
    expect(rules.rules).toHaveLength(15);
    expect(rules.controls).toEqual(CisBenchmarkVersion.LATEST.controls());
    template.allResourcesProperties('AWS::Events::Rule', { EventBusName: Match.absent(), Name: Match.absent() });
  });

  test('rules that must see read-only calls receive all management events; the others are plainly enabled', () => {
    const states = Object.values(template.findResources('AWS::Events::Rule')).map((r: any) => [r.Properties.Description.split(' ')[1], r.Properties.State]);
    expect(states.filter(([, s]) => s !== 'ENABLED')).toEqual([
      ['5.1', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'],
      ['5.3', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'],
    ]);
  });

  test('the other controls watch no read-only (Describe/Get/List) call, so they need no such state', () => {
    for (const c of CisBenchmarkVersion.LATEST.controls()) {
      if (c === CisControl.UNAUTHORIZED_API_CALLS || c === CisControl.ROOT_ACCOUNT_USAGE) continue;
      expect({ key: c.key, readOnly: c.eventNames.filter(n => /^(Describe|Get|List)/.test(n)) }).toEqual({ key: c.key, readOnly: [] });
      expect(c.eventNames.length).toBeGreaterThan(0);
    }
  });

  test('each rule carries the translated pattern of its control', () => {
    for (const c of CisBenchmarkVersion.LATEST.controls()) {
      const expected = toEventPatternJson(eventPatternFor(c.definitionIn(CisBenchmarkVersion.LATEST)));
      const d = c.definitionIn(CisBenchmarkVersion.LATEST);
      template.hasResourceProperties('AWS::Events::Rule', {
        Description: `CIS ${d.recommendationId} (CIS v7.0.0): ${d.title}`,
        EventPattern: expected,
      });
    }
  });

  test('the root-usage rule pattern, in full', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'],
        'detail': { userIdentity: { type: ['Root'], invokedBy: [{ exists: false }] }, eventType: [{ 'anything-but': 'AwsServiceEvent' }] },
      },
    });
  });

  test('the target is the topic, through an input transformer with who/what/where/when/IP/error and the CIS id and title', () => {
    const rule = template.findResources('AWS::Events::Rule', {
      Properties: { Description: Match.stringLikeRegexp('^CIS 5\\.3 ') },
    });
    const [props] = Object.values(rule).map((r: any) => r.Properties);
    expect(props.Targets).toHaveLength(1);
    const target = props.Targets[0];
    expect(target.Arn).toEqual({ Ref: expect.stringMatching(/^Topic[0-9A-F]{8}$/) });
    expect(target.InputTransformer.InputPathsMap).toEqual({
      'detail-userIdentity-arn': '$.detail.userIdentity.arn',
      'detail-userIdentity-type': '$.detail.userIdentity.type',
      'detail-eventName': '$.detail.eventName',
      'detail-eventSource': '$.detail.eventSource',
      'account': '$.account',
      'region': '$.region',
      'time': '$.time',
      'detail-sourceIPAddress': '$.detail.sourceIPAddress',
      'detail-errorCode': '$.detail.errorCode',
      'detail-errorMessage': '$.detail.errorMessage',
      'detail-eventID': '$.detail.eventID',
    });
    const text = JSON.parse(target.InputTransformer.InputTemplate);
    expect(text).toBe([
      '[CRITICAL] CIS 5.3 Ensure usage of the \'root\' account is monitored (CIS v7.0.0, control root-account-usage)',
      'Who: <detail-userIdentity-arn> (<detail-userIdentity-type>)',
      'What: <detail-eventName> on <detail-eventSource>',
      'Where: account <account>, region <region>',
      'When: <time>',
      'Source IP: <detail-sourceIPAddress>',
      'Error: <detail-errorCode> <detail-errorMessage>',
      'Event ID: <detail-eventID>',
    ].join('\n'));
  });

  test('the topic policy lets events.amazonaws.com publish, scoped to the account', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowEventsPublish',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
        })]),
      },
    });
  });

  test('no unconditioned events.amazonaws.com publish statement (no aws_events_targets.SnsTopic grant)', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as any[];
    const statements = policies.flatMap(p => p.Properties.PolicyDocument.Statement);
    const eventsStatements = statements.filter((s: any) => s.Principal?.Service === 'events.amazonaws.com');
    expect(eventsStatements).toHaveLength(1);
  });

  test('the key policy lets events.amazonaws.com use the key, without source conditions (EventBridge does not send them to KMS)', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Sid: 'AllowEventsToUseTheKey',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
        }]),
      },
    });
  });

  test('in us-east-1 there is no global-events warning', () => {
    expect(warningsWith(stack, GLOBAL_WARNING)).toHaveLength(0);
  });

  test('ruleFor and translationCaveatsFor', () => {
    expect(rules.ruleFor(CisControl.ROOT_ACCOUNT_USAGE)).toBe(rules.rules[2]);
    expect(rules.translationCaveatsFor(CisControl.ROOT_ACCOUNT_USAGE)).toEqual([]);
  });
});

describe('construct IDs and names', () => {
  test('logical IDs derive from control keys only: a version change updates rules in place', () => {
    const ids = (v: CisBenchmarkVersion) => {
      const stack = stackIn('us-east-1');
      withRules(stack, { benchmarkVersion: v });
      return Object.keys(Template.fromStack(stack).findResources('AWS::Events::Rule'));
    };
    const old = ids(CisBenchmarkVersion.V1_2_0);
    const latest = ids(CisBenchmarkVersion.V7_0_0);
    expect(old).toHaveLength(14);
    expect(latest).toEqual(expect.arrayContaining(old));
    expect(latest.find(id => id.includes('RootAccountUsage'))).toBeDefined();
  });

  test('ruleNamePrefix names every rule <prefix>-<control key>', () => {
    const stack = stackIn('us-east-1');
    withRules(stack, { ruleNamePrefix: 'cis-rt', controls: [CisControl.ROOT_ACCOUNT_USAGE, CisControl.VPC_CHANGES] });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', { Name: 'cis-rt-root-account-usage' });
    t.hasResourceProperties('AWS::Events::Rule', { Name: 'cis-rt-vpc-changes' });
  });

  test('controls are kept in benchmark order and enabled: false disables the rules', () => {
    const stack = stackIn('us-east-1');
    const r = withRules(stack, { controls: [CisControl.VPC_CHANGES, CisControl.ROOT_ACCOUNT_USAGE], enabled: false });
    expect(r.controls).toEqual([CisControl.ROOT_ACCOUNT_USAGE, CisControl.VPC_CHANGES]);
    Template.fromStack(stack).allResourcesProperties('AWS::Events::Rule', { State: 'DISABLED' });
  });

  test('readOnlyManagementEvents: false keeps every rule in the plain ENABLED state', () => {
    const stack = stackIn('us-east-1');
    withRules(stack, { readOnlyManagementEvents: false });
    Template.fromStack(stack).allResourcesProperties('AWS::Events::Rule', { State: 'ENABLED' });
  });

  test('a custom event bus is used, with a warning that CloudTrail only delivers to the default bus', () => {
    const stack = stackIn('us-east-1');
    const bus = new events.EventBus(stack, 'Bus', { eventBusName: 'security' });
    withRules(stack, { eventBus: bus, controls: [CisControl.VPC_CHANGES] });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { EventBusName: { Ref: Match.stringLikeRegexp('Bus') } });
    expect(warningsWith(stack, 'cdk-cis-monitoring:customEventBus')).toHaveLength(1);
  });

  test('an imported bus other than default: warning with its name', () => {
    const stack = stackIn('us-east-1');
    withRules(stack, { eventBus: events.EventBus.fromEventBusName(stack, 'Sec', 'security'), controls: [CisControl.VPC_CHANGES] });
    const w = warningsWith(stack, 'cdk-cis-monitoring:customEventBus');
    expect(w).toHaveLength(1);
    expect(String(w[0].entry.data)).toMatch(/event bus "security", but CloudTrail delivers its events to the default bus only/);
  });

  test('the default bus given explicitly raises no bus warning', () => {
    const stack = stackIn('us-east-1');
    withRules(stack, { eventBus: events.EventBus.fromEventBusName(stack, 'Default', 'default'), controls: [CisControl.VPC_CHANGES] });
    expect(warningsWith(stack, 'cdk-cis-monitoring:customEventBus')).toHaveLength(0);
  });
});

describe('global-service events and regions', () => {
  test('outside us-east-1 without a counterpart: one warning naming the global controls', () => {
    const stack = stackIn('eu-west-1');
    withRules(stack);
    const w = warningsWith(stack, GLOBAL_WARNING);
    expect(w).toHaveLength(1);
    const text = String(w[0].entry.data);
    for (const key of ['iam-policy-changes', 'organizations-changes', 'console-signin-without-mfa', 'root-account-usage', 'unauthorized-api-calls', 'console-auth-failures']) {
      expect(text).toContain(key);
    }
    expect(text).not.toContain('vpc-changes');
    expect(text).toMatch(/eu-west-1.*us-east-1/);
  });

  test('a us-east-1 counterpart in the same app and account silences it', () => {
    const app = new App();
    const home = stackIn('eu-west-1', app);
    const global = stackIn('us-east-1', app);
    withRules(home);
    withRules(global, { controls: CisEventRules.globalServiceControls() });
    expect(warningsWith(home, GLOBAL_WARNING)).toHaveLength(0);
  });

  test('a counterpart covering only some controls leaves the others in the warning', () => {
    const app = new App();
    const home = stackIn('eu-west-1', app);
    withRules(home);
    withRules(stackIn('us-east-1', app), { controls: [CisControl.IAM_POLICY_CHANGES] });
    const text = String(warningsWith(home, GLOBAL_WARNING)[0].entry.data);
    expect(text).not.toContain('iam-policy-changes (');
    expect(text).toContain('organizations-changes (');
  });

  test('a counterpart in another account does not count', () => {
    const app = new App();
    const home = stackIn('eu-west-1', app);
    withRules(home);
    const other = new Stack(app, 'Other', { env: { account: '999999999999', region: 'us-east-1' } });
    withRules(other);
    expect(warningsWith(home, GLOBAL_WARNING)).toHaveLength(1);
  });

  test('only regional controls outside us-east-1: no warning', () => {
    const stack = stackIn('eu-west-1');
    withRules(stack, { controls: [CisControl.VPC_CHANGES, CisControl.CMK_DISABLE_OR_DELETION] });
    expect(warningsWith(stack, GLOBAL_WARNING)).toHaveLength(0);
  });

  test('an environment-agnostic stack: no warning (the region is unknown)', () => {
    const stack = stackIn(undefined);
    withRules(stack);
    expect(warningsWith(stack, GLOBAL_WARNING)).toHaveLength(0);
  });

  test('the warning can be acknowledged on the stack (or any ancestor of the construct)', () => {
    const stack = stackIn('eu-west-1');
    withRules(stack);
    CdkAnnotations.of(stack).acknowledgeWarning(GLOBAL_WARNING, 'us-east-1 is covered by the security account pipeline');
    expect(warningsWith(stack, GLOBAL_WARNING)).toHaveLength(0);
  });

  test('globalServiceControls lists the controls with us-east-1-only events', () => {
    expect(CisEventRules.globalServiceControls().map(c => c.key)).toEqual([
      'unauthorized-api-calls', 'console-signin-without-mfa', 'root-account-usage', 'iam-policy-changes', 'console-auth-failures', 'organizations-changes',
    ]);
    expect(CisEventRules.globalServiceControls([CisControl.VPC_CHANGES, CisControl.IAM_POLICY_CHANGES])).toEqual([CisControl.IAM_POLICY_CHANGES]);
  });
});

describe('topics', () => {
  test('an sns.Topic with a key of the app: topic and key policies are extended', () => {
    const stack = stackIn('us-east-1');
    const key = new kms.Key(stack, 'Key');
    const topic = new sns.Topic(stack, 'Plain', { masterKey: key });
    withRules(stack, { topic, controls: [CisControl.VPC_CHANGES] });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } })]) },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowEventsToUseTheKey', Principal: { Service: 'events.amazonaws.com' } })]) },
    });
    expect(warningsWith(stack, 'cdk-cis-monitoring:topicKeyPolicy')).toHaveLength(0);
  });

  test('an unencrypted sns.Topic: topic policy only, no warning', () => {
    const stack = stackIn('us-east-1');
    withRules(stack, { topic: new sns.Topic(stack, 'Plain'), controls: [CisControl.VPC_CHANGES] });
    Template.fromStack(stack).resourceCountIs('AWS::SNS::TopicPolicy', 1);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-cis-monitoring:'))).toHaveLength(0);
  });

  test('two constructs on one topic grant once', () => {
    const stack = stackIn('us-east-1');
    const topic = new CisAlarmTopic(stack, 'Topic').topic;
    new CisEventRules(stack, 'A', { topic, controls: [CisControl.VPC_CHANGES] });
    new CisEventRules(stack, 'B', { topic, controls: [CisControl.NACL_CHANGES] });
    const key = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'))[0] as any;
    expect(key.Properties.KeyPolicy.Statement.filter((s: any) => s.Principal?.Service === 'events.amazonaws.com')).toHaveLength(1);
  });

  test('a topic encrypted with an imported key: warning about the key policy', () => {
    const stack = stackIn('us-east-1');
    const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    withRules(stack, { topic: new sns.Topic(stack, 'Plain', { masterKey: key }), controls: [CisControl.VPC_CHANGES] });
    const w = warningsWith(stack, 'cdk-cis-monitoring:topicKeyPolicy');
    expect(w).toHaveLength(1);
    expect(String(w[0].entry.data)).toMatch(/events\.amazonaws\.com .*without aws:SourceAccount/);
  });

  test('an imported topic: warning about topic and key policy', () => {
    const stack = stackIn('us-east-1');
    const topic = sns.Topic.fromTopicArn(stack, 'Imported', 'arn:aws:sns:us-east-1:111122223333:alerts');
    withRules(stack, { topic, controls: [CisControl.VPC_CHANGES] });
    const w = warningsWith(stack, 'cdk-cis-monitoring:importedTopicPolicy');
    expect(w).toHaveLength(1);
    expect(String(w[0].entry.data)).toMatch(/imported.*events\.amazonaws\.com.*sns:Publish/);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::TopicPolicy', 0);
  });

  test('a topic encrypted with alias/aws/sns is rejected', () => {
    const stack = stackIn('us-east-1');
    const topic = new sns.Topic(stack, 'Managed', { masterKey: kms.Alias.fromAliasName(stack, 'Aws', 'alias/aws/sns') });
    expect(() => withRules(stack, { topic, controls: [CisControl.VPC_CHANGES] }))
      .toThrow(/encrypted with the AWS-managed key alias\/aws\/sns, which events\.amazonaws\.com cannot use.*customer-managed key/);
  });
});

describe('bad input', () => {
  const make = (props: Partial<ConstructorParameters<typeof CisEventRules>[2]>) => () => withRules(stackIn('us-east-1'), props);

  test('empty controls', () => {
    expect(make({ controls: [] })).toThrow(/The control selection is empty: controls \[\] minus excludeControls \[\] leaves nothing to deploy/);
  });
  test('a control listed twice', () => {
    expect(make({ controls: [CisControl.VPC_CHANGES, CisControl.VPC_CHANGES] })).toThrow(/controls lists "vpc-changes" twice/);
  });
  test('a control that is not in the version', () => {
    expect(make({ benchmarkVersion: CisBenchmarkVersion.V1_2_0, controls: [CisControl.ORGANIZATIONS_CHANGES] }))
      .toThrow(/Control "organizations-changes" is not part of CIS v1\.2\.0 \(it exists in 1\.3\.0, .*\)\. Remove it from controls or choose another benchmarkVersion/);
  });
  test('a control that is not a metric filter', () => {
    expect(make({ controls: [CisControl.SECURITY_HUB_ENABLED] })).toThrow(/"security-hub-enabled" is not a metric-filter control/);
  });
  test.each([
    ['', /ruleNamePrefix "" is invalid/],
    ['has space', /ruleNamePrefix "has space" is invalid: use letters, digits/],
    ['x/y', /ruleNamePrefix "x\/y" is invalid/],
    ['a'.repeat(38), /is 38 characters long; keep it to 37/],
  ])('ruleNamePrefix %j', (prefix, message) => {
    expect(make({ ruleNamePrefix: prefix })).toThrow(message);
  });
  test('a 37-character prefix is accepted', () => {
    expect(make({ ruleNamePrefix: 'a'.repeat(37) })).not.toThrow();
  });
  test('ruleFor a control without a rule', () => {
    const r = withRules(stackIn('us-east-1'), { controls: [CisControl.VPC_CHANGES] });
    expect(() => r.ruleFor(CisControl.ROOT_ACCOUNT_USAGE)).toThrow(/Control "root-account-usage" has no rule in .*RealTime; controls with rules: vpc-changes/);
  });
});
