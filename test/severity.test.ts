import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CisBenchmarkVersion, CisControl } from '../src/catalog';
import { ControlPlan } from '../src/plan/control-plan';
import {
  CisSeverity, CisSeverityDefaults, resolveSeverityActions, SeverityRouteOptions, severityOf, validateSeverityRouting,
} from '../src/severity';

/** The actions of one control's alarm as CisMonitoring resolves them: from the control's plan. */
function resolve(control: CisControl, input: { controls?: CisControl[]; overrides?: any[]; routes?: any[] }, defaults: any[]) {
  const plans = ControlPlan.build({ benchmarkVersion: CisBenchmarkVersion.LATEST, provides: 'alarm', controls: input.controls, severityOverrides: input.overrides, severityRoutes: input.routes });
  return resolveSeverityActions(plans.find(p => p.control.key === control.key)!, defaults);
}

const EXPECTED_DEFAULTS: Record<string, CisSeverity> = {
  'root-account-usage': CisSeverity.CRITICAL,
  'console-signin-without-mfa': CisSeverity.HIGH,
  'iam-policy-changes': CisSeverity.HIGH,
  'cloudtrail-config-changes': CisSeverity.HIGH,
  'cmk-disable-or-deletion': CisSeverity.HIGH,
  'organizations-changes': CisSeverity.HIGH,
  's3-bucket-policy-changes': CisSeverity.MEDIUM,
  'aws-config-changes': CisSeverity.MEDIUM,
  'security-group-changes': CisSeverity.MEDIUM,
  'nacl-changes': CisSeverity.MEDIUM,
  'network-gateway-changes': CisSeverity.MEDIUM,
  'vpc-changes': CisSeverity.MEDIUM,
  'unauthorized-api-calls': CisSeverity.LOW,
  'console-auth-failures': CisSeverity.LOW,
  'route-table-changes': CisSeverity.LOW,
  'security-hub-enabled': CisSeverity.INFORMATIONAL,
};

const ALL = CisControl.all().filter(c => c.isMetricFilter);

function setup() {
  const stack = new Stack(new App(), 'S');
  const defaultTopic = new sns.Topic(stack, 'DefaultTopic');
  const pager = new sns.Topic(stack, 'Pager');
  const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });
  const defaults = [new cloudwatchActions.SnsAction(defaultTopic)];
  return { stack, defaultTopic, pager, fn, defaults };
}

function alarmWith(stack: Stack, id: string, actions: cloudwatch.IAlarmAction[]): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(stack, id, { metric: new cloudwatch.Metric({ namespace: 'N', metricName: id }), threshold: 1, evaluationPeriods: 1 });
  alarm.addAlarmAction(...actions);
  return alarm;
}

describe('defaults', () => {
  test.each(CisControl.all().map(c => [c.key, c]))('%s', (key, control) => {
    expect(CisSeverityDefaults.forControl(control)).toBe(EXPECTED_DEFAULTS[key]);
  });

  test('overrides replace the default, others keep it', () => {
    const overrides = [{ control: CisControl.ROUTE_TABLE_CHANGES, severity: CisSeverity.HIGH }];
    expect(severityOf(CisControl.ROUTE_TABLE_CHANGES, overrides)).toBe(CisSeverity.HIGH);
    expect(severityOf(CisControl.VPC_CHANGES, overrides)).toBe(CisSeverity.MEDIUM);
  });
});

describe('resolveSeverityActions', () => {
  test('without a route for the severity, the default actions are used', () => {
    const { defaults } = setup();
    const r = resolve(CisControl.VPC_CHANGES, { controls: ALL, routes: [] }, defaults);
    expect(r).toEqual({ severity: CisSeverity.MEDIUM, alarmActions: defaults, routed: false, notifiesSnsTopic: true });
  });

  test('a route sends each severity to its own topic, Lambda function and OpsItem', () => {
    const { stack, pager, fn, defaults } = setup();
    const routes: SeverityRouteOptions[] = [
      { severity: CisSeverity.CRITICAL, topic: pager, includeDefaultActions: true },
      { severity: CisSeverity.HIGH, topic: pager, alarmActions: [new cloudwatchActions.LambdaAction(fn)] },
      {
        severity: CisSeverity.LOW,
        alarmActions: [new cloudwatchActions.SsmAction(cloudwatchActions.OpsItemSeverity.LOW, cloudwatchActions.OpsItemCategory.SECURITY)],
      },
    ];
    const input = { controls: ALL, routes, overrides: [{ control: CisControl.VPC_CHANGES, severity: CisSeverity.LOW }] };
    const root = resolve(CisControl.ROOT_ACCOUNT_USAGE, input, defaults);
    const iamPolicy = resolve(CisControl.IAM_POLICY_CHANGES, input, defaults);
    const vpc = resolve(CisControl.VPC_CHANGES, input, defaults);
    const nacl = resolve(CisControl.NACL_CHANGES, input, defaults);
    expect([root.severity, root.routed, root.notifiesSnsTopic, root.alarmActions.length]).toEqual([CisSeverity.CRITICAL, true, true, 2]);
    expect([iamPolicy.severity, iamPolicy.alarmActions.length]).toEqual([CisSeverity.HIGH, 2]);
    expect([vpc.severity, vpc.routed, vpc.notifiesSnsTopic]).toEqual([CisSeverity.LOW, true, false]);
    expect(nacl.alarmActions).toEqual(defaults);

    alarmWith(stack, 'Root', root.alarmActions);
    alarmWith(stack, 'Iam', iamPolicy.alarmActions);
    alarmWith(stack, 'Vpc', vpc.alarmActions);
    const t = Template.fromStack(stack);
    const ref = (logical: RegExp) => ({ Ref: Match.stringLikeRegexp(logical.source) });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Root', AlarmActions: [ref(/^Pager/), ref(/^DefaultTopic/)] });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Iam',
      AlarmActions: [ref(/^Pager/), { 'Fn::GetAtt': [Match.stringLikeRegexp('^Fn'), 'Arn'] }],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Vpc',
      AlarmActions: [{ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':ssm:'), Match.stringLikeRegexp('opsitem:4#CATEGORY=Security')])] }],
    });
    // LambdaAction lets CloudWatch invoke the function.
    t.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'lambda.alarms.cloudwatch.amazonaws.com', Action: 'lambda:InvokeFunction' });
  });
});

describe('bad input', () => {
  const { pager } = setup();

  test('two routes for one severity', () => {
    const twice = [{ severity: CisSeverity.HIGH, topic: pager }, { severity: CisSeverity.HIGH, topic: pager }];
    expect(() => validateSeverityRouting({ controls: ALL, routes: twice }))
      .toThrow('severityRoutes has two routes for HIGH; merge them into one route (a route takes a topic and any number of alarmActions).');
  });

  test('a route without topic or actions', () => {
    expect(() => validateSeverityRouting({ controls: ALL, routes: [{ severity: CisSeverity.LOW }] }))
      .toThrow('severityRoutes entry for LOW has no topic and no alarmActions. Give it a topic or alarmActions, or remove it to use the default actions.');
    expect(() => validateSeverityRouting({ controls: ALL, routes: [{ severity: CisSeverity.LOW, alarmActions: [] }] })).toThrow(/has no topic and no alarmActions/);
    expect(() => validateSeverityRouting({ controls: ALL, routes: [{ severity: CisSeverity.LOW, includeDefaultActions: true }] }))
      .toThrow(/has no topic and no alarmActions \(includeDefaultActions alone changes nothing\)/);
  });

  test('a severity that is not a CisSeverity', () => {
    expect(() => validateSeverityRouting({ controls: ALL, routes: [{ severity: 'high' as any, topic: pager }] }))
      .toThrow(/severityRoutes entry: severity "high" is not a CisSeverity\. Use one of CisSeverity\.CRITICAL, CisSeverity\.HIGH/);
    expect(() => validateSeverityRouting({ controls: ALL, overrides: [{ control: CisControl.VPC_CHANGES, severity: undefined as any }] }))
      .toThrow(/severityOverrides entry for "vpc-changes": severity undefined is not a CisSeverity/);
  });

  test('two overrides for one control', () => {
    const o = { control: CisControl.VPC_CHANGES, severity: CisSeverity.LOW };
    expect(() => validateSeverityRouting({ controls: ALL, overrides: [o, o] })).toThrow('severityOverrides lists "vpc-changes" twice; keep one entry per control.');
  });

  test('an override for a control that is not deployed', () => {
    const overrides = [{ control: CisControl.NACL_CHANGES, severity: CisSeverity.LOW }];
    expect(() => validateSeverityRouting({ controls: [CisControl.VPC_CHANGES], overrides }))
      .toThrow('severityOverrides names "nacl-changes", which is not deployed (deployed: vpc-changes). Remove the override or select the control.');
  });

  test('resolveSeverityActions validates too', () => {
    expect(() => resolve(CisControl.VPC_CHANGES, { controls: ALL, routes: [{ severity: CisSeverity.MEDIUM }] }, [])).toThrow(/has no topic/);
  });
});
