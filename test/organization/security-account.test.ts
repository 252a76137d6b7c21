import { App, Stack } from 'aws-cdk-lib';
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

  test('forwarded detections are matched per control on the bus and routed to the severity topics, naming the member', () => {
    expect(central.detectionRules.rules).toHaveLength(15);
    const root = central.detectionRules.ruleFor(CisControl.ROOT_ACCOUNT_USAGE).node.defaultChild as any;
    const rendered = JSON.stringify(stack.resolve(root.targets));
    expect(rendered).toContain(stack.resolve((central.topicFor(CisSeverity.CRITICAL) as any).topicArn).Ref);
    expect(rendered).toContain('member account <detail-recipientAccountId>');
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('customEventBus'));
  });

  test('one topic per severity; INFORMATIONAL shares LOW', () => {
    template.resourceCountIs('AWS::SNS::Topic', 4);
    expect(central.topicFor(CisSeverity.INFORMATIONAL)).toBe(central.topicFor(CisSeverity.LOW));
  });

  test.each([
    [{ organizationId: 'org' }, /organizationId must be an AWS Organizations id .* got the string "org"/],
    [{ organizationId: ORG, eventBusName: 'default' }, /eventBusName must be .* not "default"/],
    [{ organizationId: ORG, eventBusName: 'a b' }, /eventBusName must be .* got the string "a b"/],
  ])('bad input: %j', (props, message) => {
    expect(() => new CisSecurityAccount(securityStack(), 'C', props as any)).toThrow(message);
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
