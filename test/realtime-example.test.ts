/**
 * Issue "real-time detections and saved queries": with the options on, the
 * example holds a rule per control and the saved queries, the rules can
 * publish to the encrypted topic, and the us-east-1 companion covers the
 * global-service controls.
 */
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { buildRealtimeApp } from '../examples/realtime-app';
import { CisBenchmarkVersion, CisControl, CisMonitoring, Exclusion, ExtendedDetection } from '../src';

const { workload, globalEvents, monitoring, globalRules } = buildRealtimeApp('/tmp/cis-realtime-test');
const template = Template.fromStack(workload);

test('one EventBridge rule per control, targeting the alarm topic', () => {
  const controls = CisBenchmarkVersion.V7_0_0.controls();
  expect(monitoring.eventRules!.rules).toHaveLength(controls.length);
  for (const c of controls) expect(monitoring.eventRules!.ruleFor(c)).toBeDefined();
  const rules = Object.values(template.findResources('AWS::Events::Rule'));
  const controlRules = rules.filter(r => JSON.stringify(r.Properties.Targets).includes('CisAlarmTopic'));
  expect(controlRules.length).toBeGreaterThanOrEqual(controls.length);
  expect(rules.every(r => r.Properties.EventPattern['detail-type'] !== undefined)).toBe(true);
});

test('the rules may publish to the topic and use its key', () => {
  template.hasResourceProperties('AWS::SNS::TopicPolicy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' })]) },
  });
  template.hasResourceProperties('AWS::KMS::Key', {
    KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' } })]) },
  });
});

test('saved queries: one per control plus the three kept warm, in a folder named after the construct', () => {
  const queries = Object.values(template.findResources('AWS::Logs::QueryDefinition'));
  expect(queries).toHaveLength(CisBenchmarkVersion.V7_0_0.controls().length + 3);
  for (const q of queries) expect(q.Properties.Name).toMatch(/^CisRealtimeEuWest1\/Cis\/Queries\//);
  expect(monitoring.investigationQueries!.queryFor(CisControl.ROOT_ACCOUNT_USAGE)).toBeDefined();
});

test('extended detections: a filter and an alarm each, in their own namespace', () => {
  const ext = monitoring.extendedDetections!;
  expect(ext.alarms).toHaveLength(ExtendedDetection.all().length);
  template.hasResourceProperties('AWS::Logs::MetricFilter', { MetricTransformations: [Match.objectLike({ MetricNamespace: 'CISBenchmark/Extended' })] });
});

test('the us-east-1 companion covers the global-service controls', () => {
  const keys = globalRules.controls.map(c => c.key);
  expect(keys).toEqual(expect.arrayContaining(['iam-policy-changes', 'organizations-changes', 'console-signin-without-mfa', 'root-account-usage']));
  expect(keys).not.toContain('vpc-changes');
  Template.fromStack(globalEvents).resourceCountIs('AWS::Events::Rule', keys.length);
  // The CIS controls' global rules are covered; the only gap (extended IAM rules) is acknowledged in the example.
  Annotations.fromStack(workload).hasNoWarning('*', Match.stringLikeRegexp('global services reach EventBridge in us-east-1'));
});

test('off by default', () => {
  const t = Template.fromStack(CisMonitoringStack());
  t.resourceCountIs('AWS::Events::Rule', 0);
  t.resourceCountIs('AWS::Logs::QueryDefinition', 0);
});

function CisMonitoringStack(): Stack {
  const stack = new Stack(new App(), 'Plain');
  new CisMonitoring(stack, 'Cis', { emailAddresses: ['a@example.com'] });
  return stack;
}

test('CisMonitoring passes its exclusions to the real-time rules', () => {
  const stack = new Stack(new App(), 'Excl');
  const terraform = Exclusion.roleName('terraform-runner', { controls: [CisControl.VPC_CHANGES] });
  const cis = new CisMonitoring(stack, 'Cis', { emailAddresses: ['a@example.com'], realtimeRules: true, exclusions: [terraform] });
  expect(cis.eventRules!.exclusionsFor(CisControl.VPC_CHANGES)).toEqual([terraform]);
  expect(cis.eventRules!.exclusionsFor(CisControl.NACL_CHANGES)).toEqual([]);
  const ruleId = stack.getLogicalId(cis.eventRules!.ruleFor(CisControl.VPC_CHANGES).node.defaultChild as CfnElement);
  const pattern = JSON.stringify(Template.fromStack(stack).toJSON().Resources[ruleId].Properties.EventPattern);
  expect(pattern).toContain('terraform-runner');
  expect(pattern).toContain('"exists":false');
});
