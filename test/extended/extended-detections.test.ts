import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CisAlarmTopic, CisExtendedDetections, CisExtendedDetectionsProps, ExtendedDetection } from '../../src';

function stackIn(region = 'us-east-1', app = new App(), id = `S-${region}`): Stack {
  return new Stack(app, id, { env: { account: '111122223333', region } });
}

function deploy(props: Partial<CisExtendedDetectionsProps> = {}, stack = stackIn()) {
  const logGroup = props.logGroup ?? new logs.LogGroup(stack, 'Trail');
  const topic = props.topic ?? new CisAlarmTopic(stack, 'Topic').topic;
  const ext = new CisExtendedDetections(stack, 'Extended', { detections: ExtendedDetection.all(), ...props, logGroup, topic });
  return { stack, ext, template: Template.fromStack(stack) };
}

describe('CisExtendedDetections with every detection', () => {
  const { ext, template, stack } = deploy();

  test('a metric filter and an alarm per detection, rules for the four per-event ones', () => {
    template.resourceCountIs('AWS::Logs::MetricFilter', 6);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    template.resourceCountIs('AWS::Events::Rule', 4);
    expect(ext.alarms).toHaveLength(6);
    expect(ext.metricFilters).toHaveLength(6);
    expect(ext.rules).toHaveLength(4);
    expect(ext.ruleFor(ExtendedDetection.SECRET_VALUE_SPIKE)).toBeUndefined();
    expect(ext.ruleFor(ExtendedDetection.ACCESS_KEY_CREATED)).toBe(ext.rules[0]);
  });

  test('filters publish 1 per matching event to CISBenchmark/Extended, with the verbatim pattern', () => {
    for (const d of ExtendedDetection.all()) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: d.filterPattern,
        LogGroupName: { Ref: Match.stringLikeRegexp('^Trail') },
        MetricTransformations: [{ MetricNamespace: 'CISBenchmark/Extended', MetricName: d.metricName, MetricValue: '1' }],
      });
    }
    expect(ext.metricNamespace).toBe('CISBenchmark/Extended');
  });

  test('alarms: Sum over the period >= threshold, missing data not breaching, notifying the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'S-us-east-1-Extended-secret-value-spike',
      MetricName: 'SecretValueReadSpike',
      Namespace: 'CISBenchmark/Extended',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 20,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ActionsEnabled: true,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Topic') }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'S-us-east-1-Extended-assume-role-failure-burst', Threshold: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'S-us-east-1-Extended-access-key-created', Threshold: 1 });
  });

  test('alarm descriptions: severity, title, threshold, limits and a Logs Insights filter, within 1024 characters', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    for (const a of alarms) expect(a.Properties.AlarmDescription.length).toBeLessThanOrEqual(1024);
    const key = alarms.find(a => a.Properties.AlarmName.endsWith('access-key-created')).Properties.AlarmDescription;
    expect(key).toMatch(/^\[HIGH\] IAM access key created \(extended detection access-key-created\): 1 or more matching CloudTrail events within 5 minutes in the trail log group\./);
    expect(key).toContain('Limits: Counts every new key');
    expect(key).toContain('Logs Insights: filter eventSource = "iam.amazonaws.com" and eventName = "CreateAccessKey" and not ispresent(errorCode) | sort @timestamp desc');
    // The security-group description is the longest: the Insights filter goes first when space runs out.
    const sg = alarms.find(a => a.Properties.AlarmName.endsWith('security-group-open-to-world')).Properties.AlarmDescription;
    expect(sg).toContain('[HIGH] Security group ingress opened to 0.0.0.0/0 or ::/0');
  });

  test('rules: translated patterns, the hand-written security-group one, and the alert message', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'S-us-east-1-Extended-login-profile-created',
      EventPattern: {
        'source': ['aws.iam'],
        'detail-type': ['AWS API Call via CloudTrail'],
        'detail': { eventSource: ['iam.amazonaws.com'], eventName: ['CreateLoginProfile'], errorCode: [{ exists: false }] },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^Topic') },
        InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('^"\\[HIGH\\] IAM console password \\(login profile\\) created \\(extended detection login-profile-created\\)\\\\nWho: ') }),
      })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ec2'],
        'detail-type': ['AWS API Call via CloudTrail'],
        'detail': Match.objectLike({
          eventName: ['AuthorizeSecurityGroupIngress'],
          $or: Match.arrayWith([{ responseElements: { securityGroupRuleSet: { items: { cidrIpv4: [{ suffix: '/0' }] } } } }]),
        }),
      },
    });
  });

  test('the topic lets CloudWatch (already) and EventBridge publish', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as any[];
    const principals = policies.flatMap(p => p.Properties.PolicyDocument.Statement).map((s: any) => s.Principal?.Service).filter(Boolean);
    expect(principals.sort()).toEqual(['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
  });

  test('no warning in us-east-1 with a topic of the app', () => {
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-cis-monitoring:'))).toHaveLength(0);
  });

  test('alarmFor, metricFor', () => {
    expect(ext.alarmFor(ExtendedDetection.SECRET_VALUE_SPIKE)).toBe(ext.alarms[5]);
    expect(ext.metricFor(ExtendedDetection.SECRET_VALUE_SPIKE).metricName).toBe('SecretValueReadSpike');
  });
});

describe('options', () => {
  test('overrides, namespace, prefix, no rules', () => {
    const { template } = deploy({
      detections: [ExtendedDetection.SECRET_VALUE_SPIKE, ExtendedDetection.ACCESS_KEY_CREATED],
      metricNamespace: 'Security/Detections',
      alarmNamePrefix: 'prod',
      eventRules: false,
      detectionOverrides: [{ detection: ExtendedDetection.SECRET_VALUE_SPIKE, threshold: 200, period: Duration.minutes(15), evaluationPeriods: 2 }],
    });
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'prod-secret-value-spike',
      Namespace: 'Security/Detections',
      Threshold: 200,
      Period: 900,
      EvaluationPeriods: 2,
      AlarmDescription: Match.stringLikeRegexp('200 or more matching CloudTrail events within 15 minutes'),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'prod-access-key-created', Threshold: 1, Period: 300 });
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as any[];
    const principals = policies.flatMap(p => p.Properties.PolicyDocument.Statement).map((s: any) => s.Principal?.Service);
    expect(principals).not.toContain('events.amazonaws.com');
  });

  test('construct IDs derive from detection keys', () => {
    const { template } = deploy({ detections: [ExtendedDetection.SECURITY_GROUP_OPEN_TO_WORLD] });
    expect(Object.keys(template.findResources('AWS::Logs::MetricFilter'))[0]).toMatch(/^ExtendedSecurityGroupOpenToWorldMetricFilter/);
    expect(Object.keys(template.findResources('AWS::Events::Rule'))[0]).toMatch(/^ExtendedSecurityGroupOpenToWorldRule/);
  });

  test('long prefixes keep alarm names but let CloudFormation name the rules (64-character limit)', () => {
    const { template } = deploy({ detections: [ExtendedDetection.ACCESS_KEY_CREATED], alarmNamePrefix: 'p'.repeat(60) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `${'p'.repeat(60)}-access-key-created` });
    template.hasResourceProperties('AWS::Events::Rule', { Name: Match.absent() });
  });

  test('an imported topic: warnings for CloudWatch and EventBridge', () => {
    const stack = stackIn();
    const topic = sns.Topic.fromTopicArn(stack, 'Imported', 'arn:aws:sns:us-east-1:111122223333:alerts');
    deploy({ topic, detections: [ExtendedDetection.ACCESS_KEY_CREATED] }, stack);
    const w = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-cis-monitoring:importedTopicPolicy'));
    expect(w.map(x => String(x.entry.data).match(/allow (\S+) to call sns:Publish/)?.[1]).sort()).toEqual(['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
  });

  test('an unencrypted sns.Topic of the app gets both publish statements', () => {
    const stack = stackIn();
    deploy({ topic: new sns.Topic(stack, 'Plain'), detections: [ExtendedDetection.ACCESS_KEY_CREATED] }, stack);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } }),
          Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } }),
        ]),
      },
    });
  });

  test('IAM rules outside us-east-1 warn about the global region; regional-only rules do not', () => {
    const iamStack = stackIn('eu-west-1', new App(), 'Iam');
    deploy({ detections: [ExtendedDetection.ACCESS_KEY_CREATED, ExtendedDetection.SECURITY_GROUP_OPEN_TO_WORLD] }, iamStack);
    const w = Annotations.fromStack(iamStack).findWarning('*', Match.stringLikeRegexp('cdk-cis-monitoring:globalEventsRegion'));
    expect(w).toHaveLength(1);
    expect(String(w[0].entry.data)).toContain('access-key-created (IAM is a global service');
    expect(String(w[0].entry.data)).not.toContain('security-group-open-to-world');

    const ec2Stack = stackIn('eu-west-1', new App(), 'Ec2');
    deploy({ detections: [ExtendedDetection.SECURITY_GROUP_OPEN_TO_WORLD, ExtendedDetection.SECRET_VALUE_SPIKE] }, ec2Stack);
    expect(Annotations.fromStack(ec2Stack).findWarning('*', Match.stringLikeRegexp('cdk-cis-monitoring:globalEventsRegion'))).toHaveLength(0);
  });

  test('without rules there is nothing regional to warn about', () => {
    const stack = stackIn('eu-west-1');
    deploy({ detections: [ExtendedDetection.ACCESS_KEY_CREATED], eventRules: false }, stack);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-cis-monitoring:globalEventsRegion'))).toHaveLength(0);
  });
});

describe('bad input', () => {
  const make = (props: Partial<CisExtendedDetectionsProps>) => () => deploy(props);

  test('no detection', () => {
    expect(make({ detections: [] })).toThrow(/detections is empty: list at least one ExtendedDetection \(known: access-key-created, .*\), or use ExtendedDetection\.all\(\)/);
  });
  test('a detection listed twice', () => {
    expect(make({ detections: [ExtendedDetection.ACCESS_KEY_CREATED, ExtendedDetection.ACCESS_KEY_CREATED] })).toThrow(/detections lists "access-key-created" twice/);
  });
  test('an override for a detection that is not deployed', () => {
    const detectionOverrides = [{ detection: ExtendedDetection.SECRET_VALUE_SPIKE, threshold: 5 }];
    expect(make({ detections: [ExtendedDetection.ACCESS_KEY_CREATED], detectionOverrides }))
      .toThrow(/detectionOverrides names "secret-value-spike", which is not deployed \(deployed: access-key-created\)/);
  });
  test('two overrides for one detection', () => {
    const o = { detection: ExtendedDetection.SECRET_VALUE_SPIKE, threshold: 5 };
    expect(make({ detectionOverrides: [o, o] })).toThrow(/detectionOverrides lists "secret-value-spike" twice; merge the two entries/);
  });
  test.each([
    [{ period: Duration.seconds(90) }, /detectionOverrides for "secret-value-spike": period 90s is invalid: .*whole number of minutes/],
    [{ period: Duration.days(2) }, /period 172800s is invalid/],
    [{ threshold: 0 }, /detectionOverrides for "secret-value-spike": threshold 0 is invalid: it must be at least 1/],
    [{ threshold: Number.NaN }, /threshold NaN is invalid/],
    [{ evaluationPeriods: 0 }, /evaluationPeriods 0 is invalid/],
    [{ evaluationPeriods: 1.5 }, /evaluationPeriods 1.5 is invalid/],
    [{ evaluationPeriods: 300 }, /evaluationPeriods 300 x period 300s exceeds CloudWatch's one-day limit/],
  ])('override %j', (o, message) => {
    expect(make({ detectionOverrides: [{ detection: ExtendedDetection.SECRET_VALUE_SPIKE, ...o }] })).toThrow(message);
  });
  test.each([
    ['', /metricNamespace "" is invalid/],
    ['AWS/Security', /"AWS\/" prefix is reserved/],
    ['bad|ns', /metricNamespace "bad\|ns" is invalid/],
  ])('metricNamespace %j', (ns, message) => {
    expect(make({ metricNamespace: ns })).toThrow(message);
  });
  test.each([[''], ['has space'], ['a'.repeat(201)]])('alarmNamePrefix %j', prefix => {
    expect(make({ alarmNamePrefix: prefix })).toThrow(/alarmNamePrefix ".*" is/);
  });
  test('two instances publishing the same metrics in one namespace', () => {
    const stack = stackIn();
    const logGroup = new logs.LogGroup(stack, 'Trail');
    const topic = new CisAlarmTopic(stack, 'Topic').topic;
    new CisExtendedDetections(stack, 'A', { logGroup, topic, detections: [ExtendedDetection.ACCESS_KEY_CREATED] });
    expect(() => new CisExtendedDetections(stack, 'B', { logGroup, topic, detections: [ExtendedDetection.ACCESS_KEY_CREATED] }))
      .toThrow(/Metric "IAMAccessKeyCreated" in namespace "CISBenchmark\/Extended" is already published by .*\/A/);
  });
  test('alarmFor a detection that is not deployed', () => {
    const { ext } = deploy({ detections: [ExtendedDetection.ACCESS_KEY_CREATED] });
    expect(() => ext.alarmFor(ExtendedDetection.SECRET_VALUE_SPIKE)).toThrow(/Detection "secret-value-spike" is not deployed by .*Extended; deployed: access-key-created/);
  });
});
