/**
 * CisEvidenceReporter: what it deploys (the schedule, the state machine that
 * calls the handler's three phases with the fields the handler reads, the
 * role the members' audit roles trust, the bucket, the alarms) and bad input.
 * The member template's audit role: rollout-evidence-role.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { bundleEvidenceReporter, REPORTER_DIR } from '../../scripts/bundle-cli';
import { CisAlarmTopic, CisBenchmarkVersion, CisEvidenceReporter, CisEvidenceReporterProps, CisSecurityAccount, Scanner } from '../../src';

const ORG = 'o-a1b2c3d4e5';
const SECURITY = '222222222222';

beforeAll(async () => {
  // The Lambda code is bundled by the build; a test run straight after `npm ci` bundles it here.
  if (!fs.existsSync(path.join(REPORTER_DIR, 'index.js'))) await bundleEvidenceReporter();
}, 120_000);

function synth(props: Partial<CisEvidenceReporterProps> = {}, alerts: 'security' | 'topic' = 'security') {
  const app = new App();
  const stack = new Stack(app, 'Security', { env: { account: SECURITY, region: 'us-east-1' } });
  const extra = alerts === 'security'
    ? { securityAccount: new CisSecurityAccount(stack, 'Central', { organizationId: ORG }) }
    : { alertTopic: new CisAlarmTopic(stack, 'Alerts') };
  const reporter = new CisEvidenceReporter(stack, 'Evidence', { organizationId: ORG, regions: ['us-east-1', 'eu-west-1'], ...extra, ...props } as CisEvidenceReporterProps);
  return { stack, reporter, template: Template.fromStack(stack) };
}

function definitionOf(template: Template): any {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as any[];
  const parts = machine.Properties.DefinitionString['Fn::Join'][1];
  // The function ARN is a token; any placeholder keeps the JSON parseable.
  return JSON.parse(parts.map((p: unknown) => (typeof p === 'string' ? p : 'ARN')).join(''));
}

describe('organization mode', () => {
  test('a schedule every 12 hours starts a run: plan → distributed map of audit batches → report, with the fields the handler reads', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(12 hours)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('EvidenceRun') }, Input: '{"trigger":"schedule"}' }),
    });
    const def = definitionOf(template);
    expect(def.StartAt).toBe('Plan');
    expect(def.States.Plan.Parameters).toEqual({ 'phase': 'plan', 'runId.$': '$$.Execution.Name', 'time.$': '$$.Execution.StartTime' });
    expect(def.States.Plan.Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 2 })]));
    const map = def.States.AuditBatches;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.batches',
      MaxConcurrency: 40,
      ItemSelector: { 'phase': 'audit', 'runId.$': '$.runId', 'batch.$': '$$.Map.Item.Value' },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      ResultPath: null,
      Next: 'Report',
    });
    const audit = map.ItemProcessor.States.AuditBatch;
    expect(audit.Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 2 })]));
    expect(audit.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'BatchFailed' })]);
    expect(def.States.Report.Parameters).toEqual({ 'phase': 'report', 'runId.$': '$.runId' });
    expect(def.States.Report.Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 3 })]));
  });

  test('the function: the bundled evaluator, 15 minutes, the configuration the handler reads; its named role', () => {
    const { template } = synth({ benchmarkVersion: CisBenchmarkVersion.V5_0_0, scanners: [Scanner.SECURITY_HUB, Scanner.PROWLER], batchSize: 10 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          REGIONS: 'us-east-1,eu-west-1',
          ACCOUNTS: '',
          AUDIT_ROLE_NAME: 'CisMonitoringEvidenceAudit',
          SELF_ACCOUNT: SECURITY,
          BENCHMARK: '5.0.0',
          SCANNERS: 'security-hub,prowler',
          SECURITY_HUB: 'true',
          BATCH_SIZE: '10',
          TARGET_METRICS: 'true',
          REPORT_BUCKET: { Ref: Match.stringLikeRegexp('EvidenceReports') },
        }),
      },
    });
    const env = (Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Handler === 'index.handler' && f.Properties.Timeout === 900) as any).Properties.Environment.Variables;
    const topics = JSON.parse(JSON.stringify(env.ALERT_TOPICS));
    expect(JSON.stringify(topics)).toMatch(/CRITICAL.*HIGH.*MEDIUM.*LOW/);
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'CisMonitoringEvidenceReporter' });
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('evidence reporter') } })) as any[];
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'sts:AssumeRole', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/CisMonitoringEvidenceAudit']] }, Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } } }),
      expect.objectContaining({ Action: ['organizations:DescribeOrganization', 'organizations:ListAccounts'] }),
      expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': 'CISMonitoring/Evidence' } } }),
      expect.objectContaining({ Action: 'securityhub:BatchImportFindings', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:securityhub:*:${SECURITY}:product/${SECURITY}/default`]] } }),
    ]));
  });

  test('the bucket: versioned, KMS-encrypted, SSL only, kept for the retention; Object Lock on request', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }), BucketKeyEnabled: true })] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'retention', ExpirationInDays: 400, NoncurrentVersionExpiration: { NoncurrentDays: 400 } })]) },
    });
    expect(JSON.stringify(synth().template.toJSON())).not.toContain('ObjectLockEnabled');
    synth({ objectLock: true, retention: Duration.days(730) }).template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 730 } } },
    });
    synth().template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('a failed run and a day without a successful run alarm on the HIGH topic', () => {
    const { template } = synth();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    const descriptions = alarms.map(a => a.Properties.AlarmDescription);
    expect(descriptions).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\[HIGH\] A CIS evidence run failed/),
      expect.stringMatching(/^\[HIGH\] No CIS evidence run succeeded in the last day/),
    ]));
    for (const a of alarms.filter(x => /CIS evidence/.test(x.Properties.AlarmDescription))) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/CentralHighTopic/) }]);
    }
  });

  test('findings Security Hub did not take alarm on the HIGH topic; every severity, INFORMATIONAL too, has a topic', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^\\[HIGH\\] A CIS evidence run could not import findings into the Security Hub'),
      Namespace: 'CISMonitoring/Evidence',
      MetricName: 'SecurityHubImportFailures',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('CentralHighTopic') }],
    });
    const env = (Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Timeout === 900) as any).Properties.Environment.Variables;
    expect(JSON.stringify(env.ALERT_TOPICS)).toMatch(/INFORMATIONAL.*CentralLowTopic/);
    // without Security Hub, no such alarm
    const off = synth({ securityHub: false }).template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'SecurityHubImportFailures' } });
    expect(Object.keys(off)).toEqual([]);
  });
});

describe('single-account mode', () => {
  test('no organization: only this stack\'s account, no AssumeRole, no Organizations call; alerts to one topic', () => {
    const app = new App();
    const stack = new Stack(app, 'One', { env: { account: '333333333333', region: 'eu-west-1' } });
    new CisEvidenceReporter(stack, 'Evidence', { regions: ['eu-west-1'], alertTopic: new CisAlarmTopic(stack, 'Alerts'), schedule: Duration.hours(6) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ACCOUNTS: '333333333333', SELF_ACCOUNT: '333333333333' }) } });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(6 hours)' });
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy')) as any[];
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((st: any) => [st.Action].flat());
    expect(actions).not.toContain('sts:AssumeRole');
    expect(actions).not.toContain('organizations:ListAccounts');
    const env = (Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Timeout === 900) as any).Properties.Environment.Variables;
    expect(JSON.stringify(env.ALERT_TOPICS)).toContain('DEFAULT');
  });
});

describe('bad input', () => {
  test.each([
    [{ regions: [] }, /regions must be a non-empty list/],
    [{ regions: ['mars-1'] }, /regions\[0\] must be a Region name/],
    [{ organizationId: 'org-1' }, /organizationId must be an AWS Organizations id/],
    [{ schedule: Duration.minutes(30) }, /schedule must be whole hours from 1 to 24/],
    [{ schedule: Duration.hours(25) }, /schedule must be whole hours from 1 to 24/],
    [{ retention: Duration.hours(36) }, /retention must be a whole number of days/],
    [{ batchSize: 0 }, /batchSize must be a whole number from 1 to 200/],
    [{ maxConcurrency: 1.5 }, /maxConcurrency must be a whole number from 1 to 1000/],
    [{ scanners: [] }, /scanners must be a non-empty list of Scanner values/],
    [{ objectLock: 'yes' }, /objectLock must be true or false/],
    [{ organizationsRoleArn: 'role/x' }, /organizationsRoleArn must be an IAM role ARN/],
    [{ organizationsRoleArn: 'arn:aws:iam::111111111111:role/List', accounts: ['111111111111'] }, /organizationsRoleArn is only used to list/],
    [{ accounts: ['12'] }, /accounts\[0\] must be a 12-digit AWS account id, got the string "12"/],
    [{ accounts: ['111111111111', '111111111111'] }, /accounts lists "111111111111" twice; remove one/],
    [{ benchmarkVersion: '7.0.0' }, /benchmarkVersion must be a CisBenchmarkVersion \(for example CisBenchmarkVersion.V5_0_0\), got the string "7.0.0"/],
    [{ securityHub: 'yes' }, /securityHub must be true or false, got the string "yes"/],
    [{ targetMetrics: 1 }, /targetMetrics must be true or false, got number 1/],
    [{ securityAccount: {} }, /securityAccount must be a CisSecurityAccount, got/],
    [{ securityAccount: undefined, alertTopic: {} }, /alertTopic must be a CisAlarmTopic \(an encrypted topic whose key the reporter is granted\), got/],
  ])('%j', (props, message) => {
    expect(() => synth(props as any)).toThrow(message);
  });

  test('alerts must go somewhere: exactly one of securityAccount and alertTopic', () => {
    const stack = new Stack(new App(), 'S', { env: { account: SECURITY, region: 'us-east-1' } });
    expect(() => new CisEvidenceReporter(stack, 'A', { organizationId: ORG, regions: ['us-east-1'] })).toThrow(/Give exactly one of securityAccount .* and alertTopic/);
    expect(() => synth({ alertTopic: new CisAlarmTopic(new Stack(new App(), 'X'), 'T') })).toThrow(/Give exactly one of/);
  });

  test('other accounts without an organization', () => {
    expect(() => synth({ organizationId: undefined, accounts: ['111111111111'] }, 'topic')).toThrow(/accounts lists 111111111111, other than this stack's account: auditing other accounts needs organizationId/);
  });

  test('a schedule over 12 hours warns that the staleness alarm may fire between runs', () => {
    const { stack } = synth({ schedule: Duration.hours(24) });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('schedule is 24 hours'));
  });
});
