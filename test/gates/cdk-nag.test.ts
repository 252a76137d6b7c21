/**
 * cdk-nag AwsSolutions: the bundled example has zero findings and no
 * suppressions, and in every example the library's own resources (everything
 * under the CisMonitoring construct) have zero findings. Suppressions the
 * library ships as `cdk_nag` metadata carry their reason in the source.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations as AssertAnnotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildAlertQualityApp } from '../../examples/alert-quality-app';
import { buildDemoApp } from '../../examples/demo-app';
import { buildOrganizationApp } from '../../examples/organization-app';
import { buildRealtimeApp } from '../../examples/realtime-app';

function findings(app: App, stacks: Stack[]): string[] {
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  app.synth();
  return stacks.flatMap(stack => {
    const a = AssertAnnotations.fromStack(stack);
    return [...a.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')), ...a.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))]
      .map(m => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
  });
}

test('the demo has no AwsSolutions errors or warnings', () => {
  const { app, stack } = buildDemoApp('/tmp/cdk-cis-monitoring-nag');
  expect(findings(app, [stack])).toEqual([]);
});

test('the real-time example (rules, queries, extended detections, us-east-1 companion) has none either', () => {
  const { app, workload, globalEvents } = buildRealtimeApp('/tmp/cdk-cis-monitoring-nag-rt');
  expect(findings(app, [workload, globalEvents])).toEqual([]);
});

test('the organization example (organization trail, StackSet rollout, security account) has none either', () => {
  const { app, management, members, security } = buildOrganizationApp('/tmp/cdk-cis-monitoring-nag-org');
  expect(findings(app, [management, members, security])).toEqual([]);
});

test("in the alert-quality example, the library's resources have none (the example's own Lambda and queue are scaffolding)", () => {
  const { app, stack } = buildAlertQualityApp('/tmp/cdk-cis-monitoring-nag-aq');
  expect(findings(app, [stack]).filter(f => f.startsWith('/CisAlertQuality/Cis/'))).toEqual([]);
});

test('the nag gate is live: an unencrypted, unlogged bucket is reported', () => {
  const { app, stack } = buildDemoApp('/tmp/cdk-cis-monitoring-nag-canary');
  new s3.Bucket(stack, 'Canary');
  expect(findings(app, [stack]).some(f => f.startsWith('/CisMonitoringDemo/Canary/Resource: AwsSolutions-S1'))).toBe(true);
});
