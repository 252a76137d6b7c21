/** Real-time rules follow the severity routes exactly as the alarms do. */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CisAlarmTopic, CisControl, CisEventRules, CisMonitoring, CisSeverity } from '../../src';

function setup(routes: (pager: sns.ITopic) => any[]) {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
  const pager = new CisAlarmTopic(stack, 'Pager').topic;
  const cis = new CisMonitoring(stack, 'Cis', { emailAddresses: ['a@example.com'], realtimeRules: true, severityRoutes: routes(pager) });
  const template = Template.fromStack(stack);
  const targetsOf = (control: CisControl) => {
    const rule = template.toJSON().Resources[stack.getLogicalId(cis.eventRules!.ruleFor(control).node.defaultChild as any)];
    return rule.Properties.Targets.map((t: any) => t.Arn);
  };
  const resource = (c: { node: { defaultChild?: unknown } }) => template.toJSON().Resources[stack.getLogicalId(c.node.defaultChild as any)];
  const alarmActionsOf = (control: CisControl) => resource(cis.alarmFor(control)).Properties.AlarmActions;
  return { stack, pager, cis, targetsOf, alarmActionsOf, ref: (t: sns.ITopic) => stack.resolve(t.topicArn) };
}

test('a CRITICAL route to a pager topic: the root-usage rule notifies the pager, like its alarm; others keep the default topic', () => {
  const { cis, pager, targetsOf, alarmActionsOf, ref } = setup(p => [{ severity: CisSeverity.CRITICAL, topic: p }]);
  expect(targetsOf(CisControl.ROOT_ACCOUNT_USAGE)).toEqual([ref(pager)]);
  expect(alarmActionsOf(CisControl.ROOT_ACCOUNT_USAGE)).toEqual([ref(pager)]);
  expect(targetsOf(CisControl.VPC_CHANGES)).toEqual([ref(cis.topic)]);
  expect(alarmActionsOf(CisControl.VPC_CHANGES)).toEqual([ref(cis.topic)]);
});

test('includeDefaultActions: the rule notifies the route topic and the default topic', () => {
  const { cis, pager, targetsOf, ref } = setup(p => [{ severity: CisSeverity.CRITICAL, topic: p, includeDefaultActions: true }]);
  expect(targetsOf(CisControl.ROOT_ACCOUNT_USAGE)).toEqual([ref(pager), ref(cis.topic)]);
});

test('a route with alarm actions only: the rule falls back to the default topic, with a warning', () => {
  const { stack, cis, targetsOf, ref } = setup(() => [{
    severity: CisSeverity.LOW,
    alarmActions: [new cloudwatchActions.SsmAction(cloudwatchActions.OpsItemSeverity.LOW, cloudwatchActions.OpsItemCategory.SECURITY)],
  }]);
  expect(targetsOf(CisControl.UNAUTHORIZED_API_CALLS)).toEqual([ref(cis.topic)]);
  Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('The LOW route of control "unauthorized-api-calls" has alarm actions but no topic'));
});

test('the pager topic lets EventBridge publish (scoped to the account)', () => {
  const { stack, pager } = setup(p => [{ severity: CisSeverity.CRITICAL, topic: p }]);
  const policies = Template.fromStack(stack).findResources('AWS::SNS::TopicPolicy');
  const pagerId = stack.getLogicalId(pager.node.defaultChild as any);
  const forPager = Object.values<any>(policies).find(p => JSON.stringify(p.Properties.Topics).includes(pagerId));
  expect(JSON.stringify(forPager.Properties.PolicyDocument)).toContain('events.amazonaws.com');
});

test('standalone CisEventRules takes the same severityOverrides and severityRoutes', () => {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
  const topic = new CisAlarmTopic(stack, 'T').topic;
  const pager = new CisAlarmTopic(stack, 'P').topic;
  const rules = new CisEventRules(stack, 'R', {
    topic,
    severityOverrides: [{ control: CisControl.VPC_CHANGES, severity: CisSeverity.CRITICAL }],
    severityRoutes: [{ severity: CisSeverity.CRITICAL, topic: pager }],
  });
  const resources = Template.fromStack(stack).toJSON().Resources;
  const arn = (c: CisControl) => resources[stack.getLogicalId(rules.ruleFor(c).node.defaultChild as any)].Properties.Targets.map((t: any) => t.Arn);
  expect(arn(CisControl.VPC_CHANGES)).toEqual([stack.resolve(pager.topicArn)]);
  expect(arn(CisControl.ROOT_ACCOUNT_USAGE)).toEqual([stack.resolve(pager.topicArn)]);
  expect(arn(CisControl.NACL_CHANGES)).toEqual([stack.resolve(topic.topicArn)]);
  expect(() => new CisEventRules(stack, 'Bad', { topic, severityRoutes: [{ severity: CisSeverity.LOW } as any] })).toThrow(/severityRoutes entry for LOW has no topic and no alarmActions/);
});
