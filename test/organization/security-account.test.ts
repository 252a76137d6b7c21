import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { CisControl, CisOrganizationRollout, CisSecurityAccount, CisSeverity } from '../../src';
import { memberTemplateViolations } from '../support/member-template';

const ORG = 'o-a1b2c3d4e5';
const SECURITY = '222222222222';

function securityStack(): Stack {
  return new Stack(new App(), 'Security', { env: { account: SECURITY, region: 'us-east-1' } });
}

describe('CisSecurityAccount', () => {
  const stack = securityStack();
  const central = new CisSecurityAccount(stack, 'Central', { organizationId: ORG });
  const template = Template.fromStack(stack);

  test('a bus that only the organization may put events on', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'cis-monitoring' });
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
      },
    });
  });

  test('members\' alarms going to ALARM are routed by the severity prefix of their description', () => {
    expect(central.alarmRules).toHaveLength(4);
    for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) {
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
    expect(target.deadLetterConfig.arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^CentralRelayDeadLetters/), 'Arn'] });
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
      'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'kms:Decrypt', 'kms:GenerateDataKey*',
      'logs:CreateLogStream', 'logs:PutLogEvents', 'organizations:DescribeAccount', 'organizations:ListTagsForResource',
      'sns:Publish', 'sqs:SendMessage',
    ]);
    const org = statements.find((st: any) => ([] as string[]).concat(st.Action).includes('organizations:DescribeAccount'));
    expect(JSON.stringify(org.Resource)).toContain(':organizations::*:account/o-a1b2c3d4e5/*');
  });

  test('the Lambda code asset is the relay file and nothing else', () => {
    const assembly = (stack.node.root as App).synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Security.assets.json'), 'utf8'));
    const files = Object.values(manifest.files as Record<string, { source: { path: string; packaging?: string } }>).filter(f => f.source.packaging === 'zip');
    expect(files).toHaveLength(1);
    const dir = path.join(assembly.directory, files[0].source.path);
    expect(fs.readdirSync(dir)).toEqual(['index.js']);
    expect(fs.readFileSync(path.join(dir, 'index.js'), 'utf8')).toBe(fs.readFileSync(path.resolve(__dirname, '../../src/organization/relay-handler/index.js'), 'utf8'));
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
    [{ organizationId: ORG, enrichment: false, organizationsRoleArn: 'arn:aws:iam::111111111111:role/OrgRead' }, /organizationsRoleArn is only used to read account names and tags/],
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
    expect(rendered).toContain('member account <detail-recipientAccountId>');
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
  const member = Template.fromJSON(JSON.parse(r.memberTemplateBody));

  test('alarm state changes of the member\'s CIS alarms go to the bus of the member\'s Region', () => {
    member.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], 'detail': { alarmName: [{ prefix: 'CisMonitoringMember-Cis-' }] } },
      Targets: [Match.objectLike({ Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, `:${SECURITY}:event-bus/cis-monitoring`]] } })],
    });
  });

  test('every real-time rule also forwards its matched events; the member keeps its own topic', () => {
    const rules = Object.values(member.findResources('AWS::Events::Rule')).filter(x => JSON.stringify(x.Properties.EventPattern).includes('CloudTrail'));
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
  ])('bad forwarding input: %j', (props, message) => {
    const s = new Stack(new App(), 'Mgmt', { env: { account: '111111111111', region: 'us-east-1' } });
    expect(() => new CisOrganizationRollout(s, 'M', { organizationalUnitIds: ['ou-ab12-cdef3456'], regions: ['us-east-1'], ...props })).toThrow(message);
  });
});
