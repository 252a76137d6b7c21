import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CisBenchmarkVersion, CisControl, CisMonitoring, CisMonitoringProps, Scanner, ScannerPlan } from '../src';

function stackWith(props: CisMonitoringProps = {}, id = 'Cis'): { stack: Stack; cis: CisMonitoring; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'TestStack');
  const cis = new CisMonitoring(stack, id, props);
  return { stack, cis, template: Template.fromStack(stack) };
}

function existingLogGroupStack(): { app: App; stack: Stack; logGroup: logs.ILogGroup } {
  const app = new App();
  const stack = new Stack(app, 'TestStack');
  const logGroup = logs.LogGroup.fromLogGroupName(stack, 'TrailLogs', 'aws-cloudtrail-logs');
  return { app, stack, logGroup };
}

describe('defaults (CIS v7.0.0, created trail, created topic)', () => {
  const { cis, template } = stackWith({ emailAddresses: ['sec@example.com'] });

  test('one metric and one alarm per control; every planned scanner text feeds that metric', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 15);
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter'));
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const filterMetrics = new Set(filters.map(f => f.Properties.MetricTransformations[0].MetricName));
    const alarmMetrics = alarms.map(a => a.Properties.MetricName).sort();
    expect(new Set(alarmMetrics).size).toBe(15);
    expect([...filterMetrics].sort()).toEqual(alarmMetrics);
    expect(CisBenchmarkVersion.V7_0_0.controls().map(c => c.metricName).sort()).toEqual(alarmMetrics);
    // Each control: its CIS text first, then the scanner variants.
    for (const c of CisBenchmarkVersion.V7_0_0.controls()) {
      const all = [Scanner.SECURITY_HUB, Scanner.PROWLER, Scanner.STEAMPIPE, Scanner.CLOUDSPLOIT];
      const plan = ScannerPlan.forControl(c, CisBenchmarkVersion.V7_0_0, all);
      const texts = cis.metricFiltersFor(c).map(f => (f.node.defaultChild as logs.CfnMetricFilter).filterPattern);
      expect(texts).toEqual(plan.patterns);
      expect(texts[0]).toBe(c.definitionIn(CisBenchmarkVersion.V7_0_0).deployedPattern);
    }
    expect(filters.length).toBe(cis.metricFilters.length);
    expect(filters.length).toBeGreaterThan(15);
    expect(filters.length).toBeLessThanOrEqual(100);
  });

  test('with no scanner targets: exactly the 15 CIS texts, linked one-to-one to the alarms', () => {
    const t = stackWith({ scanners: [], emailAddresses: ['sec@example.com'] }).template;
    t.resourceCountIs('AWS::Logs::MetricFilter', 15);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 15);
    const filterMetrics = Object.values(t.findResources('AWS::Logs::MetricFilter')).map(f => f.Properties.MetricTransformations[0].MetricName).sort();
    const alarmMetrics = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map(a => a.Properties.MetricName).sort();
    expect(filterMetrics).toEqual(alarmMetrics);
    expect(new Set(filterMetrics).size).toBe(15);
  });

  test('Security Hub alone adds its documented text to the controls it evaluates', () => {
    const { cis: shOnly } = stackWith({ scanners: [Scanner.SECURITY_HUB], emailAddresses: ['sec@example.com'] });
    const texts = shOnly.metricFiltersFor(CisControl.ROOT_ACCOUNT_USAGE).map(f => (f.node.defaultChild as logs.CfnMetricFilter).filterPattern);
    expect(texts).toContain(CisControl.ROOT_ACCOUNT_USAGE.securityHubPattern);
    expect(shOnly.metricFiltersFor(CisControl.ORGANIZATIONS_CHANGES)).toHaveLength(1);
  });

  test('filters carry the byte-exact CIS text, count 1 per event, in the CISBenchmark namespace', () => {
    const root = CisControl.ROOT_ACCOUNT_USAGE.definitionIn(CisBenchmarkVersion.V7_0_0);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: root.cisPattern,
      MetricTransformations: [{ MetricNamespace: 'CISBenchmark', MetricName: 'RootAccountUsage', MetricValue: '1' }],
    });
  });

  test('alarms use the CIS remediation values and notify the topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    for (const a of alarms) {
      expect(a.Properties).toMatchObject({
        Namespace: 'CISBenchmark',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ActionsEnabled: true,
      });
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^CisAlarmTopic[0-9A-F]{8}$/) }]);
      // Account and region are tokens; CloudFormation renders each in at most 32 characters here.
      const parts: any[] = a.Properties.AlarmDescription['Fn::Join'][1];
      const rendered = parts.reduce((n, p) => n + (typeof p === 'string' ? p.length : 32), 0);
      expect(rendered).toBeLessThanOrEqual(1024);
      expect(parts[0]).toMatch(/^\[(CRITICAL|HIGH|MEDIUM|LOW)\] CIS 5\.\d+ \(v7\.0\.0\): Ensure /);
    }
  });

  test('alarm names carry the stack/construct prefix and the stable control key', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'TestStack-Cis-root-account-usage' });
  });

  test('construct IDs derive from control keys only', () => {
    expect(cis.alarmFor(CisControl.ROOT_ACCOUNT_USAGE).node.path).toBe('TestStack/Cis/RootAccountUsage/Alarm');
    expect(cis.metricFiltersFor(CisControl.ROOT_ACCOUNT_USAGE)[0].node.path).toBe('TestStack/Cis/RootAccountUsage/MetricFilter');
  });

  test('topic is encrypted with a customer-managed key that lets CloudWatch use it, and is SSL-only', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('CisAlarmTopicKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Effect: 'Allow',
        })]),
      },
    });
    // One statement per matcher: newer aws-cdk-lib puts the SSL-only statement first.
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'sec@example.com' });
  });

  test('creates a CIS-grade trail', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      IsLogging: true,
      KMSKeyId: Match.anyValue(),
      CloudWatchLogsLogGroupArn: Match.anyValue(),
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudtrail.amazonaws.com' } })]) },
    });
  });

  test('exposes alarms, filters, metrics and topic', () => {
    expect(cis.alarms).toHaveLength(15);
    expect(cis.metricFilters.length).toBeGreaterThanOrEqual(15);
    expect(cis.trail).toBeDefined();
    const m = cis.metricFor(CisControl.VPC_CHANGES);
    expect(m.metricName).toBe('VPCChanges');
    expect(m.statistic).toBe('Sum');
    expect(cis.definitionFor(CisControl.VPC_CHANGES).recommendationId).toBe('5.14');
    expect(() => cis.alarmFor(CisControl.SECURITY_HUB_ENABLED)).toThrow(/is not deployed by TestStack\/Cis/);
  });

  test('warns that email-only subscriptions need confirming', () => {
    Annotations.fromStack(Stack.of(cis)).hasWarning('/TestStack/Cis', Match.stringLikeRegexp('Only email subscriptions'));
  });
});

describe('benchmark versions and selection', () => {
  test('v1.2.0 deploys its 14 controls with 3.x ids', () => {
    const { template, cis } = stackWith({ benchmarkVersion: CisBenchmarkVersion.V1_2_0, emailAddresses: ['a@example.com'] });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 14);
    expect(cis.definitionFor(CisControl.ROOT_ACCOUNT_USAGE).recommendationId).toBe('3.3');
  });

  test('v1.4.0 deploys the intended unauthorized-API semantics, not the ORed CIS text', () => {
    const { template } = stackWith({ benchmarkVersion: CisBenchmarkVersion.V1_4_0, controls: [CisControl.UNAUTHORIZED_API_CALLS], emailAddresses: ['a@example.com'] });
    const d = CisControl.UNAUTHORIZED_API_CALLS.definitionIn(CisBenchmarkVersion.V1_4_0);
    template.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: d.deployedPattern });
    expect(JSON.stringify(template.toJSON())).not.toContain('||($.eventName!=\\"HeadBucket\\")');
  });

  test('changing the benchmark version keeps every alarm and primary filter logical ID (update in place, alarm history kept)', () => {
    // Scanner variant filters (MetricFilter2, ...) may come and go between versions: filters hold no history.
    const ids = (v: CisBenchmarkVersion) => {
      const t = stackWith({ benchmarkVersion: v, emailAddresses: ['a@example.com'] }).template.toJSON();
      return Object.keys(t.Resources).filter(k => t.Resources[k].Type === 'AWS::CloudWatch::Alarm'
        || (t.Resources[k].Type === 'AWS::Logs::MetricFilter' && /MetricFilter[0-9A-F]{8}$/.test(k))).sort();
    };
    const v5 = ids(CisBenchmarkVersion.V5_0_0);
    expect(v5).toHaveLength(30);
    expect(ids(CisBenchmarkVersion.V7_0_0)).toEqual(v5);
    // v1.2.0 lacks organizations-changes; every other logical ID is the same.
    expect(ids(CisBenchmarkVersion.V1_2_0)).toEqual(v5.filter(id => !id.includes('OrganizationsChanges')));
  });

  test('include and exclude lists', () => {
    const { template } = stackWith({
      controls: [CisControl.ROOT_ACCOUNT_USAGE, CisControl.VPC_CHANGES, CisControl.NACL_CHANGES],
      excludeControls: [CisControl.NACL_CHANGES],
      emailAddresses: ['a@example.com'],
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
  });

  test('per-control overrides of period, threshold and evaluation periods', () => {
    const { template } = stackWith({
      emailAddresses: ['a@example.com'],
      controlOverrides: [{ control: CisControl.UNAUTHORIZED_API_CALLS, period: Duration.minutes(15), threshold: 10, evaluationPeriods: 2 }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UnauthorizedAPICalls', Period: 900, Threshold: 10, EvaluationPeriods: 2 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RootAccountUsage', Period: 300, Threshold: 1, EvaluationPeriods: 1 });
  });

  test('custom namespace and alarm prefix', () => {
    const { template } = stackWith({ metricNamespace: 'Security/CIS', alarmNamePrefix: 'prod-cis', emailAddresses: ['a@example.com'] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'prod-cis-vpc-changes', Namespace: 'Security/CIS' });
    template.hasResourceProperties('AWS::Logs::MetricFilter', { MetricTransformations: [Match.objectLike({ MetricNamespace: 'Security/CIS' })] });
  });
});

describe('existing log group, own topic, subscriptions and actions', () => {
  test('filters go on the given log group and no trail is created', () => {
    const { stack, logGroup } = existingLogGroupStack();
    new CisMonitoring(stack, 'Cis', { logGroup, emailAddresses: ['a@example.com'] });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudTrail::Trail', 0);
    t.hasResourceProperties('AWS::Logs::MetricFilter', { LogGroupName: 'aws-cloudtrail-logs' });
  });

  test("user's topic, ITopicSubscription, extra alarm actions and OK actions", () => {
    const { stack, logGroup } = existingLogGroupStack();
    const key = new kms.Key(stack, 'K');
    const topic = new sns.Topic(stack, 'Own', { masterKey: key });
    const queue = new sqs.Queue(stack, 'Q');
    const extra = new sns.Topic(stack, 'Extra');
    const cis = new CisMonitoring(stack, 'Cis', {
      logGroup,
      topic,
      subscriptions: [new subscriptions.SqsSubscription(queue)],
      additionalAlarmActions: [new cloudwatchActions.SnsAction(extra)],
      notifyOnOk: true,
    });
    expect(cis.topic).toBe(topic);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Topic', 2);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Own') }, { Ref: Match.stringLikeRegexp('Extra') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('Own') }],
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('warnings', () => {
  test('no subscriber at all', () => {
    const { stack } = stackWith({});
    Annotations.fromStack(stack).hasWarning('/TestStack/Cis', Match.stringLikeRegexp('has no subscriber'));
  });

  test('imported topic whose encryption cannot be checked', () => {
    const { stack, logGroup } = existingLogGroupStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Imported', 'arn:aws:sns:eu-west-1:123456789012:alerts');
    new CisMonitoring(stack, 'Cis', { logGroup, topic });
    Annotations.fromStack(stack).hasWarning('/TestStack/Cis', Match.stringLikeRegexp('imported, so its encryption cannot be checked'));
  });
});

describe('bad input is rejected at synth time with a clear message', () => {
  const cases: Array<[string, () => CisMonitoringProps, RegExp]> = [
    ['an invalid email', () => ({ emailAddresses: ['not-an-email'] }), /emailAddresses: "not-an-email" is not a valid email address/],
    ['an empty control selection', () => ({ controls: [] }), /control selection is empty/],
    ['everything excluded', () => ({ controls: [CisControl.VPC_CHANGES], excludeControls: [CisControl.VPC_CHANGES] }), /control selection is empty/],
    ['a control absent from the version', () => ({ benchmarkVersion: CisBenchmarkVersion.V1_2_0, controls: [CisControl.ORGANIZATIONS_CHANGES] }), /"organizations-changes" is not part of CIS v1.2.0/],
    ['a control that is not a metric filter', () => ({ controls: [CisControl.SECURITY_HUB_ENABLED] }), /not a metric-filter control/],
    ['a period that is not a multiple of 60 s', () => ({ controlOverrides: [{ control: CisControl.VPC_CHANGES, period: Duration.seconds(90) }] }), /"vpc-changes": period 90s is invalid/],
    ['a period below one minute', () => ({ controlOverrides: [{ control: CisControl.VPC_CHANGES, period: Duration.seconds(30) }] }), /period 30s is invalid/],
    ['a period above one day', () => ({ controlOverrides: [{ control: CisControl.VPC_CHANGES, period: Duration.days(2) }] }), /period 172800s is invalid/],
    ['threshold below 1', () => ({ controlOverrides: [{ control: CisControl.VPC_CHANGES, threshold: 0 }] }), /threshold 0 is invalid: it must be at least 1/],
    ['evaluation periods below 1', () => ({ controlOverrides: [{ control: CisControl.VPC_CHANGES, evaluationPeriods: 0 }] }), /evaluationPeriods 0 is invalid/],
    ['evaluation window above one day', () => ({ controlOverrides: [{ control: CisControl.VPC_CHANGES, period: Duration.hours(12), evaluationPeriods: 3 }] }), /exceeds CloudWatch's one-day limit/],
    ['an override for an undeployed control', () => ({ controls: [CisControl.VPC_CHANGES], controlOverrides: [{ control: CisControl.NACL_CHANGES, threshold: 2 }] }), /names "nacl-changes", which is not deployed/],
    ['two overrides for one control', () => ({ controlOverrides: [{ control: CisControl.VPC_CHANGES }, { control: CisControl.VPC_CHANGES }] }), /lists "vpc-changes" twice/],
    ['invalid characters in the namespace', () => ({ metricNamespace: 'CIS$Bench' }), /metricNamespace "CIS\$Bench" is invalid/],
    ['the reserved AWS/ namespace', () => ({ metricNamespace: 'AWS/CIS' }), /"AWS\/" prefix is reserved/],
    ['invalid characters in the alarm prefix', () => ({ alarmNamePrefix: 'prod cis' }), /alarmNamePrefix "prod cis" is invalid/],
    ['log retention below one year', () => ({ trailOptions: { logRetention: logs.RetentionDays.SIX_MONTHS } }), /logRetention of 180 days is too short/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => stackWith(props())).toThrow(message);
  });

  test('logGroup together with trailOptions', () => {
    const { stack, logGroup } = existingLogGroupStack();
    expect(() => new CisMonitoring(stack, 'Cis', { logGroup, trailOptions: {} })).toThrow(/trailOptions only apply when CisMonitoring creates the trail/);
  });

  test('a topic encrypted with the AWS-managed SNS key', () => {
    const { stack, logGroup } = existingLogGroupStack();
    const topic = new sns.Topic(stack, 'Managed', { masterKey: kms.Alias.fromAliasName(stack, 'AwsSns', 'alias/aws/sns') });
    expect(() => new CisMonitoring(stack, 'Cis', { logGroup, topic })).toThrow(/alias\/aws\/sns, which CloudWatch alarms cannot use/);
  });

  test('two instances colliding on metric names in one namespace', () => {
    const { stack, logGroup } = existingLogGroupStack();
    new CisMonitoring(stack, 'A', { logGroup, alarmNamePrefix: 'a' });
    expect(() => new CisMonitoring(stack, 'B', { logGroup, alarmNamePrefix: 'b' }))
      .toThrow(/Metric "UnauthorizedAPICalls" in namespace "CISBenchmark" is already published by TestStack\/A/);
  });

  test('the same namespace in two regions is no collision', () => {
    const app = new App();
    for (const region of ['eu-west-1', 'us-east-1']) {
      const stack = new Stack(app, `S-${region}`, { env: { account: '123456789012', region } });
      new CisMonitoring(stack, 'Cis', { logGroup: logs.LogGroup.fromLogGroupName(stack, 'Lg', 'trail'), emailAddresses: ['a@example.com'] });
    }
    expect(app.synth().stacks).toHaveLength(2);
  });

  test('two instances in different namespaces coexist; more than 100 filters on one log group does not', () => {
    const { stack, logGroup } = existingLogGroupStack();
    for (let i = 0; i < 6; i++) new CisMonitoring(stack, `I${i}`, { logGroup, scanners: [], metricNamespace: `CIS${i}`, alarmNamePrefix: `p${i}` });
    expect(() => new CisMonitoring(stack, 'I6', { logGroup, scanners: [], metricNamespace: 'CIS6', alarmNamePrefix: 'p6' }))
      .toThrow(/would put 105 metric filters on log group .*aws-cloudtrail-logs.*allows 100 per log group/);
  });

  test('unresolved tokens pass without false errors', () => {
    const { stack, logGroup } = existingLogGroupStack();
    const token = (v: string) => Lazy.string({ produce: () => v });
    expect(() => new CisMonitoring(stack, 'Cis', {
      logGroup,
      metricNamespace: token('CIS'),
      alarmNamePrefix: token('x'),
      emailAddresses: [token('ops@example.com')],
      controlOverrides: [{
        control: CisControl.VPC_CHANGES,
        threshold: Lazy.number({ produce: () => 3 }),
        evaluationPeriods: Lazy.number({ produce: () => 2 }),
      }],
    })).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'x-vpc-changes', Threshold: 3, EvaluationPeriods: 2 });
  });
});
