/**
 * cdk-nag AwsSolutions on the bundled example: zero findings, and no
 * suppressions either, so any new finding fails this test.
 */
import { Aspects, Stack } from 'aws-cdk-lib';
import { Annotations as AssertAnnotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildDemoApp } from '../../examples/demo-app';

function nagged(): Stack {
  const { app, stack } = buildDemoApp('/tmp/cdk-cis-monitoring-nag');
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  app.synth();
  return stack;
}

test('the example has no AwsSolutions errors or warnings', () => {
  const stack = nagged();
  const errors = AssertAnnotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  const warnings = AssertAnnotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
  const describe = (ms: typeof errors) => ms.map(m => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
  expect(describe(errors)).toEqual([]);
  expect(describe(warnings)).toEqual([]);
});

test('the nag gate is live: an unencrypted, unlogged bucket is reported', () => {
  const { app, stack } = buildDemoApp('/tmp/cdk-cis-monitoring-nag-canary');
  new s3.Bucket(stack, 'Canary');
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  const errors = AssertAnnotations.fromStack(stack).findError('/CisMonitoringDemo/Canary/Resource', Match.stringLikeRegexp('AwsSolutions-S1'));
  expect(errors.length).toBeGreaterThan(0);
});
