/**
 * How the library records cdk-nag suppressions (for both cdk-nag majors) and
 * the resources it configures instead of suppressing; the gate itself is
 * test/gates/cdk-nag.test.ts. Runs on both matrix sets.
 */
import * as fs from 'fs';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CisTrail } from '../src/cis-trail';
import { suppressNagFindings } from '../src/nag-suppressions';
import { requires, testIf } from './support/requirements';

const ACKNOWLEDGED = 'aws:cdk:acknowledged-rules';
const hasValidations = typeof (cdk as any).Validations?.prototype?.acknowledge === 'function';
/** Each of the two tests runs in the set of the compatibility matrix that has its aws-cdk-lib (scripts/compat-newest.sh runs the newest). */
const withValidations = requires.variant('aws-cdk-lib with Validations (the newest set)', hasValidations,
  `aws-cdk-lib ${JSON.parse(fs.readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf8')).version} has no Validations; runs in the newest set (scripts/compat-newest.sh)`);
const withoutValidations = requires.variant('aws-cdk-lib without Validations (the floor set)', !hasValidations,
  'this aws-cdk-lib has Validations; runs in the floor set (the main jest run)');

describe('suppressNagFindings', () => {
  const setup = () => {
    const stack = new cdk.Stack(new cdk.App(), 'S');
    const bucket = new s3.Bucket(stack, 'B').node.defaultChild as s3.CfnBucket;
    bucket.addMetadata('cdk_nag', { rules_to_suppress: [{ id: 'AwsSolutions-S1', reason: 'kept' }] });
    suppressNagFindings(bucket, [
      { id: 'AwsSolutions-IAM5', appliesTo: ['Resource::*', 'Action::s3:*'], reason: 'r1' },
      { id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason: 'r2' },
    ]);
    return { stack, bucket };
  };

  test('cdk-nag 2: cdk_nag template metadata, added to what is there', () => {
    const { stack } = setup();
    const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::S3::Bucket'));
    expect(resource.Metadata.cdk_nag.rules_to_suppress).toEqual([
      { id: 'AwsSolutions-S1', reason: 'kept' },
      { id: 'AwsSolutions-IAM5', reason: 'r1', applies_to: ['Resource::*', 'Action::s3:*'] },
      { id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason: 'r2' },
    ]);
  });

  testIf(withValidations)('cdk-nag 3 (aws-cdk-lib with Validations): one acknowledgement per finding on the resource', () => {
    const { bucket } = setup();
    const acknowledged = Object.assign({}, ...bucket.node.metadata.filter(m => m.type === ACKNOWLEDGED).map(m => m.data));
    // aws-cdk-lib may qualify the ids (`Annotation::...`); cdk-nag 3 strips that prefix.
    const ids = Object.keys(acknowledged).map(k => k.replace(/^annotation::/i, '')).sort();
    expect(ids).toEqual(['AwsSolutions-IAM5[Action::s3:*]', 'AwsSolutions-IAM5[Resource::*]', 'NIST.800.53.R5-S3BucketReplicationEnabled']);
    expect(Object.values(acknowledged).sort()).toEqual(['r1', 'r1', 'r2']);
  });

  testIf(withoutValidations)('floor aws-cdk-lib (no Validations): no other metadata is written', () => {
    const { bucket } = setup();
    expect(bucket.node.metadata.filter(m => m.type === ACKNOWLEDGED)).toEqual([]);
  });
});

describe('CisTrail delivers to CloudWatch Logs with a role that has a managed policy', () => {
  test('no inline policy; the trail uses the role and waits for its policy', () => {
    const stack = new cdk.Stack(new cdk.App(), 'S');
    new CisTrail(stack, 'Trail');
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::IAM::Policy', 0);
    t.resourceCountIs('AWS::IAM::Role', 1);
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' } }] },
    });
    const [policyId] = Object.keys(t.findResources('AWS::IAM::ManagedPolicy'));
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^TrailLogsRole') }],
      PolicyDocument: {
        Statement: [{
          Action: ['logs:PutLogEvents', 'logs:CreateLogStream'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrailLogGroup'), 'Arn'] },
        }],
      },
    });
    t.hasResource('AWS::CloudTrail::Trail', {
      Properties: {
        CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrailLogGroup'), 'Arn'] },
        CloudWatchLogsRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrailLogsRole'), 'Arn'] },
      },
      DependsOn: Match.arrayWith([policyId]),
    });
  });
});
