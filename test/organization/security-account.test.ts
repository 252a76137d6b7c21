import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { CisControl, CisOrganizationRollout, CisSecurityAccount, CisSeverity, StackSetAccountFilter } from '../../src';
import { memberTemplateViolations } from '../support/member-template';

const ORG = 'o-a1b2c3d4e5';
const SECURITY = '222222222222';
const OU = 'ou-ab12-cdef3456';

function securityStack(): Stack {
  return new Stack(new App(), 'Security', { env: { account: SECURITY, region: 'us-east-1' } });
}

describe('CisSecurityAccount', () => {
  const stack = securityStack();
  const central = new CisSecurityAccount(stack, 'Central', { organizationId: ORG });
  const template = Template.fromStack(stack);

  test('a bus that only the organization may put events on, and only events AWS services made (what members forward)', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'cis-monitoring' });
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Condition: {
          'StringEquals': { 'aws:PrincipalOrgID': ORG },
          'ForAllValues:StringLike': { 'events:source': ['aws.*'] },
          'ForAllValues:StringEquals': {
            'events:detail-type': ['CloudWatch Alarm State Change', 'AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail', 'Scheduled Event'],
          },
        },
      },
    });
  });

  test('every rule on the bus accepts AWS services\' sources only (PutEvents refuses `aws.` sources to customers)', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r: any) => r.Properties.EventBusName);
    expect(rules.length).toBe(15 + 5);
    for (const rule of rules as any[]) {
      const sources: unknown[] = rule.Properties.EventPattern.source;
      expect(sources.length).toBeGreaterThan(0);
      for (const s of sources) expect(s).toEqual(typeof s === 'string' ? expect.stringMatching(/^aws\.[a-z0-9-]+$/) : { prefix: 'aws.' });
    }
  });

  test('members\' alarms going to ALARM are routed by the severity prefix of their description, every severity (INFORMATIONAL too)', () => {
    expect(central.alarmRules).toHaveLength(5);
    for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL']) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: Match.anyValue(),
        EventPattern: {
          'source': ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          'detail': { state: { value: ['ALARM'] }, configuration: { description: [{ prefix: `[${severity}] ` }] } },
        },
      });
    }
  });

  test('forwarded detections are matched per control on the bus and handed to the alert relay with their severity, control and event', () => {
    expect(central.detectionRules.rules).toHaveLength(15);
    const root = central.detectionRules.ruleFor(CisControl.ROOT_ACCOUNT_USAGE).node.defaultChild as any;
    const [target] = stack.resolve(root.targets);
    expect(target.arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^CentralRelayFunction/), 'Arn'] });
    expect(target.deadLetterConfig.arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^CentralDeadLetters/), 'Arn'] });
    expect(target.inputTransformer.inputPathsMap).toEqual({ account: '$.account', region: '$.region', time: '$.time', id: '$.id', detail: '$.detail' });
    const input = JSON.parse(target.inputTransformer.inputTemplate.replace(/<(\w+)>/g, '"$1"'));
    expect(input).toMatchObject({ kind: 'detection', severity: 'CRITICAL', control: CisControl.ROOT_ACCOUNT_USAGE.key, detail: 'detail' });
    expect(input.headline).toMatch(/^\[CRITICAL\] CIS 5\.3 /);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('customEventBus'));
  });

  test('members\' alarms go to the relay too, with the severity of their rule', () => {
    const high = stack.resolve((central.alarmRules[1].node.defaultChild as any).targets)[0];
    expect(JSON.parse(high.inputTransformer.inputTemplate.replace(/<(\w+)>/g, '"$1"'))).toMatchObject({ kind: 'alarm', severity: 'HIGH' });
  });

  test('the relay: the newest Node.js runtime (22 or later), a dead-letter queue, a throttle table with TTL, least privilege', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: Match.stringLikeRegexp('^nodejs(2[2-9]|[3-9][0-9])\\.x$'),
      Handler: 'index.handler',
      Timeout: 30,
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      Environment: { Variables: Match.objectLike({ ENRICH: 'true', THROTTLE_WINDOW_SECONDS: '900', CHAT_FORMAT: 'false' }) },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    // One customer-managed policy, no inline one (the compliance packs refuse those).
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const statements: any[] = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((st: any) => ([] as string[]).concat(st.Action)).sort();
    expect([...new Set(actions)]).toEqual([
      'dynamodb:UpdateItem', 'kms:Decrypt', 'kms:GenerateDataKey*',
      'logs:CreateLogStream', 'logs:PutLogEvents', 'organizations:DescribeAccount', 'organizations:ListTagsForResource',
      'sns:Publish', 'sqs:SendMessage',
    ]);
    const org = statements.find((st: any) => ([] as string[]).concat(st.Action).includes('organizations:DescribeAccount'));
    expect(JSON.stringify(org.Resource)).toContain(':organizations::*:account/o-a1b2c3d4e5/*');
  });

  test('the Lambda code asset is the relay\'s files as they are, and nothing else', () => {
    const assembly = (stack.node.root as App).synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Security.assets.json'), 'utf8'));
    const files = Object.values(manifest.files as Record<string, { source: { path: string; packaging?: string } }>).filter(f => f.source.packaging === 'zip');
    expect(files).toHaveLength(1);
    const dir = path.join(assembly.directory, files[0].source.path);
    expect(fs.readdirSync(dir).sort()).toEqual(['common.js', 'heartbeat.js', 'index.js']);
    for (const f of fs.readdirSync(dir)) {
      expect(fs.readFileSync(path.join(dir, f), 'utf8')).toBe(fs.readFileSync(path.resolve(__dirname, '../../src/organization/relay-handler', f), 'utf8'));
    }
  });

  test('one dead-letter queue for every target and function, with one policy statement that fits SQS\'s quota (20 statements, 8,192 bytes)', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(1);
    const [policy] = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as any[];
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements.length).toBeLessThanOrEqual(20);
    expect(JSON.stringify(stack.resolve(policy.Properties.PolicyDocument)).length).toBeLessThanOrEqual(8192);
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:us-east-1:${SECURITY}:rule/*`]] } } },
    }));
    // Every rule target on the bus hands what it cannot deliver to that queue.
    const targets = Object.values(template.findResources('AWS::Events::Rule')).flatMap((r: any) => r.Properties.Targets);
    for (const t of targets) expect(t.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [Object.keys(queues)[0], 'Arn'] } });
  });

  test('alarms on the alert path notify the CRITICAL topic straight from CloudWatch: dead letters (any, and 7 days old), relay errors and throttles', () => {
    const critical = stack.resolve((central.topicFor(CisSeverity.CRITICAL) as any).topicArn);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    expect(central.alertPathAlarms).toHaveLength(4 + 4);
    const by = (metric: string) => alarms.filter(a => a.Properties.MetricName === metric);
    for (const [metric, namespace, threshold] of [
      ['ApproximateNumberOfMessagesVisible', 'AWS/SQS', 1], ['ApproximateAgeOfOldestMessage', 'AWS/SQS', 7 * 24 * 3600],
      ['Errors', 'AWS/Lambda', 1], ['Throttles', 'AWS/Lambda', 1],
    ] as const) {
      const [a, ...more] = by(metric);
      expect(more).toEqual([]);
      expect(a.Properties).toMatchObject({
        Namespace: namespace,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        ActionsEnabled: true,
        AlarmActions: [critical],
        OKActions: [critical],
      });
      expect(a.Properties.AlarmDescription).toMatch(/^\[CRITICAL\] /);
    }
    // Each severity topic's failed deliveries to its subscribers.
    const delivery = by('NumberOfNotificationsFailed');
    const topics = Object.keys(template.findResources('AWS::SNS::Topic')).sort();
    expect(delivery.map(a => a.Properties.Dimensions[0].Value['Fn::GetAtt'][0]).sort()).toEqual(topics);
    for (const a of delivery) expect(a.Properties).toMatchObject({ Namespace: 'AWS/SNS', Threshold: 1, AlarmActions: [critical], Statistic: 'Sum' });
  });

  test('without memberHeartbeats, a warning says that a member whose forwarding breaks goes unnoticed', () => {
    Annotations.fromStack(stack).hasWarning('/Security/Central', Match.stringLikeRegexp('memberHeartbeats is not set.*cdk-cis-monitoring:memberHeartbeatsOff'));
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
  });

  test('one topic per severity; INFORMATIONAL shares LOW', () => {
    template.resourceCountIs('AWS::SNS::Topic', 4);
    expect(central.topicFor(CisSeverity.INFORMATIONAL)).toBe(central.topicFor(CisSeverity.LOW));
  });

  test.each([
    [{ organizationId: ORG, enrichment: 'yes' }, /enrichment must be true or false, got the string "yes"/],
    [{ organizationId: ORG, throttleWindow: 900 }, /throttleWindow must be a Duration .* got number 900/],
    [{ organizationId: ORG, throttleWindow: Duration.millis(1500) }, /throttleWindow must be whole seconds between 0 and 1 day \(86400 s\), got 1 second 500 millis/],
    [{ organizationId: ORG, throttleWindow: Duration.days(2) }, /throttleWindow must be whole seconds between 0 and 1 day .* got 2 days/],
    [{ organizationId: ORG, throttleWindow: Duration.seconds(new CfnParameter(new Stack(), 'W', { type: 'Number' }).valueAsNumber) }, /throttleWindow must be a concrete Duration .* not a token/],
    [{ organizationId: ORG, chatDelivery: 'slack' }, /chatDelivery must be ChatDeliveryOptions .* got the string "slack"/],
    [{ organizationId: ORG, organizationsRoleArn: 'OrgRead' }, /organizationsRoleArn must be an IAM role ARN .* got the string "OrgRead"/],
    [{ organizationId: ORG, enrichment: false, organizationsRoleArn: 'arn:aws:iam::111111111111:role/OrgRead' }, /organizationsRoleArn is only used to read account names and tags \(enrichment\) and the organization's accounts \(memberHeartbeats\)/],
    [{ organizationId: ORG, memberHeartbeats: 'ou-ab12-cdef3456' }, /memberHeartbeats must be MemberHeartbeatOptions .* got the string "ou-ab12-cdef3456"/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [] } }, /memberHeartbeats.organizationalUnitIds must list the organizational units/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: ['ou-1'] } }, /memberHeartbeats.organizationalUnitIds\[0\] must be an organizational unit id .* got the string "ou-1"/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU], accountIds: ['12'] } }, /memberHeartbeats.accountIds\[0\] must be a 12-digit account id, got the string "12"/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU], accountFilter: 'DIFFERENCE' } }, /memberHeartbeats.accountFilter DIFFERENCE needs accountIds/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU], accountIds: ['111111111111'], accountFilter: 'ALL' } }, /memberHeartbeats.accountFilter is the string "ALL"/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU], accountIds: Array.from({ length: 300 }, (_, i) => String(100000000000 + i)), accountFilter: 'UNION' } },
      /memberHeartbeats lists too many organizational units and accounts for the heartbeat monitor's configuration \(\d+ characters as JSON; Lambda takes 4 KB of environment in all, this list at most 3000\)/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU], heartbeatInterval: Duration.seconds(30) } }, /memberHeartbeats.heartbeatInterval must be whole minutes from 1 minute to 1 day .* got 30 seconds/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU], heartbeatInterval: 15 } }, /memberHeartbeats.heartbeatInterval must be a concrete Duration .* got number 15/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU], silenceAfter: Duration.minutes(20) } }, /memberHeartbeats.silenceAfter must be whole minutes, at least two heartbeat intervals \(15 minutes each.*got 20 minutes/],
    [{ organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU], silenceAfter: Duration.days(8) } }, /memberHeartbeats.silenceAfter .* at most 7 days, got 8 days/],
    [{ organizationId: 'org' }, /organizationId must be an AWS Organizations id .* got the string "org"/],
    [{ organizationId: ORG, eventBusName: 'default' }, /eventBusName must be .* not "default"/],
    [{ organizationId: ORG, eventBusName: 'a b' }, /eventBusName must be .* got the string "a b"/],
  ])('bad input: %j', (props, message) => {
    expect(() => new CisSecurityAccount(securityStack(), 'C', props as any)).toThrow(message);
  });
});

describe('CisSecurityAccount without enrichment and throttling', () => {
  const stack = securityStack();
  const central = new CisSecurityAccount(stack, 'Central', { organizationId: ORG, enrichment: false, throttleWindow: Duration.seconds(0) });
  const template = Template.fromStack(stack);

  test('no function, no table: the rules notify the severity topics directly, naming the member', () => {
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(central.relayFunction).toBeUndefined();
    const root = central.detectionRules.ruleFor(CisControl.ROOT_ACCOUNT_USAGE).node.defaultChild as any;
    const rendered = JSON.stringify(stack.resolve(root.targets));
    expect(rendered).toContain(stack.resolve((central.topicFor(CisSeverity.CRITICAL) as any).topicArn).Ref);
    expect(rendered).toContain('member account <account>');
  });

  test('every rule still hands what it cannot deliver to the dead-letter queue (24 hours of retries), which an alarm watches', () => {
    const [queue] = Object.keys(template.findResources('AWS::SQS::Queue'));
    const targets = Object.values(template.findResources('AWS::Events::Rule')).flatMap((r: any) => r.Properties.Targets);
    expect(targets).toHaveLength(20);
    for (const t of targets) {
      expect(t.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] } });
      expect(t.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
    }
    expect(central.alertPathAlarms.map(a => stack.resolve((a.node.defaultChild as any).metricName))).toEqual([
      'ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', ...Array(4).fill('NumberOfNotificationsFailed'),
    ]);
  });
});

describe('CisSecurityAccount with member heartbeats', () => {
  const stack = securityStack();
  const central = new CisSecurityAccount(stack, 'Central', {
    organizationId: ORG,
    memberHeartbeats: { organizationalUnitIds: [OU, 'r-ab12'], accountIds: ['333333333333'], accountFilter: StackSetAccountFilter.DIFFERENCE },
  });
  const template = Template.fromStack(stack);

  test('heartbeats on the bus (a scheduled rule\'s event: source aws.events, which no customer can send) go to the monitor with their envelope', () => {
    const rule = (central.node.findChild('Heartbeats').node.findChild('HeartbeatRule').node.defaultChild as any);
    expect(stack.resolve(rule.eventPattern)).toEqual({ 'source': ['aws.events'], 'detail-type': ['Scheduled Event'] });
    const [target] = stack.resolve(rule.targets);
    expect(target.arn).toEqual(stack.resolve((central.heartbeatFunction as any).functionArn));
    expect(target.inputTransformer.inputPathsMap).toEqual({ account: '$.account', region: '$.region', time: '$.time', id: '$.id' });
    expect(JSON.parse(target.inputTransformer.inputTemplate.replace(/<(\w+)>/g, '"$1"'))).toEqual({ kind: 'heartbeat', account: 'account', region: 'region', time: 'time', id: 'id' });
  });

  test('a check every heartbeat interval; silence beyond two intervals is reported to the CRITICAL topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ kind: 'check' }) })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'heartbeat.handler',
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          SILENCE_AFTER_SECONDS: '1800',
          EXPECTED_TARGETS: JSON.stringify({ organizationalUnitIds: [OU, 'r-ab12'], accountIds: ['333333333333'], accountFilter: 'DIFFERENCE' }),
          ALERT_TOPIC: stack.resolve((central.topicFor(CisSeverity.CRITICAL) as any).topicArn),
        }),
      },
    });
  });

  test('the monitor lists the organization (its OUs and root only) and writes its own table; its errors and throttles have alarms too', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')) as any[];
    const monitor = policies.find(p => p.Properties.Description.startsWith('CIS heartbeat monitor'));
    const statements = monitor.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'organizations:DescribeOrganization', Resource: '*' }));
    const list = statements.find((st: any) => JSON.stringify(st.Action).includes('ListAccountsForParent'));
    expect(JSON.stringify(list.Resource)).toContain(':organizations::*:ou/o-a1b2c3d4e5/*');
    expect(JSON.stringify(list.Resource)).toContain(':organizations::*:root/o-a1b2c3d4e5/*');
    expect(central.alertPathAlarms).toHaveLength(6 + 4);
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
  });

  test('no warning about missing heartbeats', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('memberHeartbeatsOff'));
  });
});

describe('CisSecurityAccount options of the relay', () => {
  test('throttling off keeps enrichment (no table); enrichment off keeps throttling (no Organizations access)', () => {
    const a = Template.fromStack((() => {
      const s = securityStack();
      new CisSecurityAccount(s, 'C', { organizationId: ORG, throttleWindow: Duration.seconds(0) });
      return s;
    })());
    a.resourceCountIs('AWS::DynamoDB::Table', 0);
    a.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ENRICH: 'true', THROTTLE_WINDOW_SECONDS: '0' }) } });
    const b = Template.fromStack((() => {
      const s = securityStack();
      new CisSecurityAccount(s, 'C', { organizationId: ORG, enrichment: false, throttleWindow: Duration.hours(1) });
      return s;
    })());
    b.resourceCountIs('AWS::DynamoDB::Table', 1);
    b.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ENRICH: 'false', THROTTLE_WINDOW_SECONDS: '3600' }) } });
    expect(JSON.stringify(b.toJSON())).not.toContain('organizations:');
  });

  test('organizationsRoleArn: the relay may assume that role and nothing in Organizations directly', () => {
    const s = securityStack();
    new CisSecurityAccount(s, 'C', { organizationId: ORG, organizationsRoleArn: 'arn:aws:iam::111111111111:role/CisAlertRelayOrganizationsRead' });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: 'arn:aws:iam::111111111111:role/CisAlertRelayOrganizationsRead' }]) },
    });
    expect(JSON.stringify(t.toJSON())).not.toContain('organizations:DescribeAccount');
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::111111111111:role/CisAlertRelayOrganizationsRead' }) } });
  });

  test('chat delivery: one Chatbot configuration on every severity topic, and the relay writes its format', () => {
    const s = securityStack();
    const c = new CisSecurityAccount(s, 'C', {
      organizationId: ORG,
      chatDelivery: { slackChannels: [{ slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD' }] },
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ CHAT_FORMAT: 'true' }) } });
    const config = Object.values(t.findResources('AWS::Chatbot::SlackChannelConfiguration'))[0] as any;
    expect(config.Properties.SnsTopicArns).toHaveLength(4);
    expect(c.chatDelivery).toBeDefined();
  });
});

describe('members forward to the security account', () => {
  const stack = new Stack(new App(), 'Mgmt', { env: { account: '111111111111', region: 'us-east-1' } });
  const r = new CisOrganizationRollout(stack, 'Members', {
    organizationalUnitIds: ['ou-ab12-cdef3456'],
    regions: ['us-east-1'],
    securityAccountId: SECURITY,
    monitoring: { emailAddresses: ['a@example.com'], realtimeRules: true },
  });
  App.of(stack)!.synth();
  const member = Template.fromJSON(JSON.parse(r.memberTemplateBody));

  const BUS = { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:${SECURITY}:event-bus/cis-monitoring` };
  const [queue] = Object.keys(member.findResources('AWS::SQS::Queue'));

  test('alarm state changes of the member\'s CIS alarms go to the bus of the member\'s Region; what cannot be delivered waits in a dead-letter queue', () => {
    member.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], 'detail': { alarmName: [{ prefix: 'CisMonitoringMember-Cis-' }] } },
      Targets: [Match.objectLike({ Arn: BUS, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } } })],
    });
  });

  test('a heartbeat every 15 minutes through the same role, target and dead-letter queue', () => {
    member.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Arn: BUS, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } } })],
    });
  });

  test('a message in the forward dead-letter queue raises an alarm on the member\'s own topic (no dependency on the broken path)', () => {
    const [topic] = Object.keys(member.findResources('AWS::SNS::Topic'));
    member.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'CisMonitoringMember-Cis-forward-dead-letters',
      AlarmDescription: Match.stringLikeRegexp('^\\[CRITICAL\\] CIS alerts not forwarded to security account 222222222222'),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      AlarmActions: [{ Ref: topic }],
    });
    const policy = Object.values(member.findResources('AWS::SQS::QueuePolicy'))[0] as any;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*' } } },
    }));
  });

  test('every real-time rule also forwards its matched events; the member keeps its own topic', () => {
    const rules = Object.values(member.findResources('AWS::Events::Rule')).filter(x => JSON.stringify(x.Properties.EventPattern ?? {}).includes('CloudTrail'));
    expect(rules).toHaveLength(15);
    for (const rule of rules) {
      expect(JSON.stringify(rule.Properties.Targets)).toContain('event-bus/cis-monitoring');
      expect(JSON.stringify(rule.Properties.Targets)).toContain('CisAlarmTopic');
    }
    member.resourceCountIs('AWS::SNS::Topic', 1);
  });

  test('still asset-free; the only account id is the security account', () => {
    expect(memberTemplateViolations(r.memberTemplateBody, [SECURITY])).toEqual([]);
  });

  test.each([
    [{ securityEventBusName: 'x' }, /securityEventBusName "x" needs securityAccountId/],
    [{ securityAccountId: '12' }, /securityAccountId must be the 12-digit id of the security account, got the string "12"/],
    [{ securityAccountId: '111111111111' }, /securityAccountId 111111111111 is the management account/],
    [{ securityAccountId: SECURITY, securityEventBusName: 'default' }, /securityEventBusName must be the name of the security account's bus/],
    [{ heartbeatInterval: Duration.minutes(5) }, /heartbeatInterval needs securityAccountId/],
    [{ securityAccountId: SECURITY, heartbeatInterval: Duration.seconds(90) }, /heartbeatInterval must be whole minutes from 1 minute to 1 day .* got 1 minute 30 seconds/],
    [{ securityAccountId: SECURITY, heartbeatInterval: Duration.days(2) }, /heartbeatInterval must be whole minutes from 1 minute to 1 day .* got 2 days/],
  ])('bad forwarding input: %j', (props, message) => {
    const s = new Stack(new App(), 'Mgmt', { env: { account: '111111111111', region: 'us-east-1' } });
    expect(() => new CisOrganizationRollout(s, 'M', { organizationalUnitIds: ['ou-ab12-cdef3456'], regions: ['us-east-1'], ...props })).toThrow(message);
  });
});

describe('Security Hub\'s subscriber without email confirmations: securityAccountSubscription and memberTopicSubscriptions', () => {
  const app = new App();
  const mgmt = new Stack(app, 'Mgmt', { env: { account: '111111111111', region: 'eu-west-1' } });
  const r = new CisOrganizationRollout(mgmt, 'Members', {
    organizationalUnitIds: [OU],
    regions: ['eu-west-1'],
    securityAccountId: SECURITY,
    securityAccountSubscription: true,
    monitoring: {},
  });
  const security = new Stack(app, 'Security', { env: { account: SECURITY, region: 'eu-west-1' } });
  const central = new CisSecurityAccount(security, 'Central', { organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU] }, memberTopicSubscriptions: {} });
  app.synth();
  const member = Template.fromJSON(JSON.parse(r.memberTemplateBody));
  const sec = Template.fromStack(security);

  test('each member\'s topic has the fixed name, and its policy lets the security account, only, subscribe its own SQS queues of the Region', () => {
    member.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'cis-monitoring-alarms' });
    const policy = Object.values(member.findResources('AWS::SNS::TopicPolicy'))[0] as any;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
      Sid: 'AllowSecurityAccountQueueToSubscribe',
      Effect: 'Allow',
      Principal: { AWS: SECURITY },
      Action: 'sns:Subscribe',
      Resource: { Ref: Object.keys(member.findResources('AWS::SNS::Topic'))[0] },
      Condition: { ArnLike: { 'sns:Endpoint': { 'Fn::Sub': `arn:\${AWS::Partition}:sqs:\${AWS::Region}:${SECURITY}:*` } } },
    });
    expect(memberTemplateViolations(r.memberTemplateBody, [SECURITY])).toEqual([]);
  });

  test('members without email addresses get no "no subscriber" warning: the security account\'s queue is the subscriber', () => {
    const messages = Annotations.fromStack(mgmt).findWarning('/Mgmt/Members', Match.stringLikeRegexp('noSubscriber|emailOnly'));
    expect(messages).toEqual([]);
  });

  test('the security account\'s queue: encrypted, SSL only, kept 14 days, SNS may send from members\' topics of that name in the Region', () => {
    expect(central.memberAlarmQueue).toBeDefined();
    sec.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    const policies = Object.values(sec.findResources('AWS::SQS::QueuePolicy')).map((p: any) => p.Properties.PolicyDocument.Statement).flat();
    expect(policies).toContainEqual(expect.objectContaining({
      Sid: 'AllowMemberAlarmTopics',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-west-1:*:cis-monitoring-alarms']] } } },
    }));
  });

  test('the heartbeat monitor may subscribe that queue, and only it, to members\' topics of that name', () => {
    const statements = Object.values(sec.findResources('AWS::IAM::ManagedPolicy')).map((p: any) => p.Properties.PolicyDocument.Statement).flat();
    const queue = Object.keys(sec.findResources('AWS::SQS::Queue')).find(id => id.includes('MemberAlarms'))!;
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'sns:Subscribe',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-west-1:*:cis-monitoring-alarms']] },
      Condition: { StringEquals: { 'sns:Protocol': 'sqs', 'sns:Endpoint': { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
    sec.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'heartbeat.handler',
      Environment: { Variables: Match.objectLike({ SUBSCRIPTION_QUEUE_ARN: { 'Fn::GetAtt': [queue, 'Arn'] } }) },
    });
  });

  test.each<[string, () => void, RegExp]>([
    ['memberTopicSubscriptions without memberHeartbeats',
      () => new CisSecurityAccount(securityStack(), 'C', { organizationId: ORG, memberTopicSubscriptions: {} }),
      /memberTopicSubscriptions subscribes on each member's heartbeat, so it needs memberHeartbeats/],
    ['a bad member topic name',
      () => new CisSecurityAccount(securityStack(), 'C', { organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU] }, memberTopicSubscriptions: { memberTopicName: 'a b' } }),
      /memberTopicSubscriptions.memberTopicName must be 1-256 letters, digits, - and _ .* got the string "a b"/],
    ['memberTopicSubscriptions not an object',
      () => new CisSecurityAccount(securityStack(), 'C', { organizationId: ORG, memberHeartbeats: { organizationalUnitIds: [OU] }, memberTopicSubscriptions: true as any }),
      /memberTopicSubscriptions must be MemberTopicSubscriptionOptions .* got boolean true/],
    ['securityAccountSubscription without securityAccountId',
      () => new CisOrganizationRollout(new Stack(new App(), 'M'), 'R', { organizationalUnitIds: [OU], regions: ['eu-west-1'], securityAccountSubscription: true }),
      /securityAccountSubscription needs securityAccountId/],
    ['memberTopicName without securityAccountSubscription',
      () => new CisOrganizationRollout(new Stack(new App(), 'M'), 'R', { organizationalUnitIds: [OU], regions: ['eu-west-1'], memberTopicName: 'x' }),
      /memberTopicName only applies with securityAccountSubscription/],
    ['a bad memberTopicName',
      () => new CisOrganizationRollout(new Stack(new App(), 'M'), 'R', { organizationalUnitIds: [OU], regions: ['eu-west-1'], securityAccountId: SECURITY, securityAccountSubscription: true, memberTopicName: 'a.b' }),
      /memberTopicName must be 1-256 letters, digits, - and _ .* got the string "a.b"/],
  ])('bad input: %s', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});
