/**
 * CisMonitoring's alert-quality options end to end: exclusions with the
 * compliance/paging split, severity routing, descriptions, dashboard and chat
 * delivery, on the bundled example (examples/alert-quality-app.ts) and on
 * focused stacks with good and bad input.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { buildAlertQualityApp } from '../examples/alert-quality-app';
import { CisBenchmarkVersion, CisControl, CisMonitoring, CisMonitoringProps, CisSeverity, Exclusion, FilterPatternEngine } from '../src';
import { loadControlFixtures } from './support/fixtures';

function synth(props: CisMonitoringProps | ((stack: Stack) => CisMonitoringProps)): { stack: Stack; cis: CisMonitoring; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'S');
  const logGroup = logs.LogGroup.fromLogGroupName(stack, 'Lg', 'trail');
  const own = typeof props === 'function' ? props(stack) : props;
  const cis = new CisMonitoring(stack, 'Cis', { logGroup, emailAddresses: ['a@example.com'], ...own });
  return { stack, cis, template: Template.fromStack(stack) };
}
const patternOf = (f: logs.MetricFilter) => (f.node.defaultChild as logs.CfnMetricFilter).filterPattern;

describe('the alert-quality example', () => {
  const { stack, monitoring, audit, critical } = buildAlertQualityApp('/tmp/cis-alert-quality-test');
  const template = Template.fromStack(stack);

  test('synthesizes compliance and paging alarms, dashboard, Slack and Teams delivery', () => {
    expect(monitoring.alarms).toHaveLength(15);
    expect(monitoring.pagingAlarms.length).toBeGreaterThanOrEqual(5);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'cis-monitoring-prod' });
    template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 1);
    template.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 1);
  });

  test('root usage (CRITICAL) pages the critical topic, the responder and the default topic', () => {
    const pagingAlarm = monitoring.pagingAlarmFor(CisControl.ROOT_ACCOUNT_USAGE)!;
    expect(pagingAlarm).toBeDefined();
    const actions = (pagingAlarm.node.defaultChild as any).alarmActions as string[];
    const resolved = stack.resolve(actions);
    expect(resolved).toEqual(expect.arrayContaining([
      stack.resolve(critical.topicArn),
      expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/^Responder/), 'Arn'] }),
      stack.resolve(monitoring.topic.topicArn),
    ]));
    expect(monitoring.severityFor(CisControl.ROOT_ACCOUNT_USAGE)).toBe(CisSeverity.CRITICAL);
    expect(monitoring.severityFor(CisControl.CONSOLE_AUTH_FAILURES)).toBe(CisSeverity.MEDIUM);
  });

  test('compliance alarms of split controls notify the audit topic only', () => {
    const compliance = monitoring.alarmFor(CisControl.SECURITY_GROUP_CHANGES);
    expect(stack.resolve((compliance.node.defaultChild as any).alarmActions)).toEqual([stack.resolve(audit.topicArn)]);
  });

  test('HIGH controls open an SSM OpsItem besides the default notification', () => {
    const alarm = monitoring.pagingAlarmFor(CisControl.CLOUDTRAIL_CONFIG_CHANGES) ?? monitoring.alarmFor(CisControl.CLOUDTRAIL_CONFIG_CHANGES);
    const actions = JSON.stringify(stack.resolve((alarm.node.defaultChild as any).alarmActions));
    expect(actions).toContain('ssm:');
    expect(actions).toContain(':opsitem:2');
  });

  test('descriptions carry tags and the runbook', () => {
    const description = JSON.stringify(stack.resolve((monitoring.alarmFor(CisControl.VPC_CHANGES).node.defaultChild as any).alarmDescription));
    expect(description).toContain('environment=prod');
    expect(description).toContain('https://wiki.example.com/cis-runbook');
  });
});

describe('exclusions', () => {
  const excluded = Exclusion.roleName('terraform-runner', { controls: [CisControl.IAM_POLICY_CHANGES] });

  test('the excluded control keeps its exact compliance filters and alarm, and gets a tuned paging filter and alarm', () => {
    const plain = synth({}).cis;
    const { cis, template } = synth(stack => ({ exclusions: [excluded], complianceTopic: new sns.Topic(stack, 'Audit') }));
    const iamTexts = (c: CisMonitoring) => c.metricFiltersFor(CisControl.IAM_POLICY_CHANGES).map(patternOf);
    expect(iamTexts(cis)).toEqual(iamTexts(plain));
    expect(cis.alarmFor(CisControl.IAM_POLICY_CHANGES).node.path).toBe('S/Cis/IamPolicyChanges/Alarm');
    const paging = cis.pagingAlarmFor(CisControl.IAM_POLICY_CHANGES)!;
    expect(paging.node.path).toBe('S/Cis/IamPolicyChanges/PagingAlarm');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'S-Cis-iam-policy-changes-paging', MetricName: 'IAMPolicyChangesPaging' });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: Match.stringLikeRegexp('NOT EXISTS \\|\\| \\$\\.userIdentity\\.sessionContext\\.sessionIssuer\\.userName != "terraform-runner"'),
      MetricTransformations: [Match.objectLike({ MetricName: 'IAMPolicyChangesPaging' })],
    });
    expect(cis.pagingAlarmFor(CisControl.VPC_CHANGES)).toBeUndefined();
  });

  test('the paging filter drops the excluded role and nothing else, even when the field is missing', () => {
    const { cis } = synth({ exclusions: [excluded] });
    const paging = FilterPatternEngine.parse(patternOf(cis.node.findChild('IamPolicyChanges').node.findChild('PagingMetricFilter') as logs.MetricFilter));
    const compliance = FilterPatternEngine.parse(patternOf(cis.metricFiltersFor(CisControl.IAM_POLICY_CHANGES)[0]));
    const { positives } = loadControlFixtures('iam-policy-changes', CisBenchmarkVersion.V7_0_0);
    expect(positives.length).toBeGreaterThan(5);
    for (const f of positives) {
      const issuer = f.record.userIdentity?.sessionContext?.sessionIssuer?.userName;
      expect(compliance.matchesRecord(f.record)).toBe(true);
      expect(paging.matchesRecord(f.record)).toBe(issuer !== 'terraform-runner');
      const asTerraform = { ...f.record, userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { userName: 'terraform-runner' } } } };
      expect(paging.matchesRecord(asTerraform)).toBe(false);
      expect(compliance.matchesRecord(asTerraform)).toBe(true);
    }
  });

  test('without complianceTopic, warns that compliance alarms still reach the paging topic', () => {
    const { stack } = synth({ exclusions: [excluded] });
    Annotations.fromStack(stack).hasWarning('/S/Cis', Match.stringLikeRegexp('Set complianceTopic'));
  });

  test('an exclusion for an undeployed control is rejected', () => {
    expect(() => synth({ controls: [CisControl.VPC_CHANGES], exclusions: [excluded] })).toThrow(/iam-policy-changes/);
  });

  test('exclusions that push a pattern past 1024 characters are rejected, naming the control and the length', () => {
    const many = Array.from({ length: 20 }, (_, i) => Exclusion.principalArn(`arn:aws:iam::123456789012:role/automation-role-number-${i}`, { controls: [CisControl.ORGANIZATIONS_CHANGES] }));
    expect(() => synth({ exclusions: many })).toThrow(/organizations-changes.*\d{4} characters|organizations-changes.*1024/s);
  });
});

describe('severity routing', () => {
  test('routes replace the default actions; a route without SNS warns (Security Hub needs one)', () => {
    const { stack, cis } = synth({
      severityRoutes: [{ severity: CisSeverity.LOW, alarmActions: [{ bind: () => ({ alarmActionArn: 'arn:aws:ssm:eu-west-1:123456789012:opsitem:4' }) }] }],
    });
    const actions = stack.resolve((cis.alarmFor(CisControl.UNAUTHORIZED_API_CALLS).node.defaultChild as any).alarmActions);
    expect(actions).toEqual(['arn:aws:ssm:eu-west-1:123456789012:opsitem:4']);
    Annotations.fromStack(stack).hasWarning('/S/Cis', Match.stringLikeRegexp('unauthorized-api-calls: the LOW route has no SNS topic'));
  });

  test.each([
    ['two routes for one severity', { severityRoutes: [{ severity: CisSeverity.LOW, topic: new sns.Topic(new Stack(), 'A') }, { severity: CisSeverity.LOW, topic: new sns.Topic(new Stack(), 'B') }] }, /two routes for LOW/],
    ['an empty route', { severityRoutes: [{ severity: CisSeverity.HIGH }] }, /no topic and no alarmActions/],
    ['an override for an undeployed control', { controls: [CisControl.VPC_CHANGES], severityOverrides: [{ control: CisControl.ROOT_ACCOUNT_USAGE, severity: CisSeverity.LOW }] }, /"root-account-usage", which is not deployed/],
  ])('rejects %s', (_name, props, message) => {
    expect(() => synth(props as CisMonitoringProps)).toThrow(message);
  });
});

describe('descriptions, dashboard and chat', () => {
  test('bad description tags are rejected', () => {
    expect(() => synth({ alarmDescription: { tags: { '': 'x' } } })).toThrow(/tag/i);
  });

  test('the dashboard is on by default and can be turned off', () => {
    expect(synth({}).cis.dashboard).toBeDefined();
    const { cis, template } = synth({ dashboard: false });
    expect(cis.dashboard).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  test('a bad dashboard name is rejected', () => {
    expect(() => synth({ dashboardOptions: { dashboardName: 'has spaces' } })).toThrow(/has spaces/);
  });

  test('a bad Slack channel id is rejected', () => {
    expect(() => synth({ chatDelivery: { slackChannels: [{ slackWorkspaceId: 'T07EA123LEP', slackChannelId: '#security' }] } })).toThrow(/#security/);
  });

  test('Slack delivery subscribes the alarm topic', () => {
    const { stack, cis, template } = synth({ chatDelivery: { slackChannels: [{ slackWorkspaceId: 'T07EA123LEP', slackChannelId: 'C07EZ1ABC23' }] } });
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T07EA123LEP',
      SlackChannelId: 'C07EZ1ABC23',
      SnsTopicArns: [stack.resolve(cis.topic.topicArn)],
    });
  });
});

describe('scanner texts and the count', () => {
  test('the CIS text publishes 1 and every scanner text 0 to the same metric, so the alarm counts each event once', () => {
    const { cis } = synth({});
    for (const control of cis.controls) {
      const filters = cis.metricFiltersFor(control).map(f => f.node.defaultChild as logs.CfnMetricFilter);
      const values = filters.map(f => (f.metricTransformations as logs.CfnMetricFilter.MetricTransformationProperty[])[0].metricValue);
      expect(values).toEqual(['1', ...filters.slice(1).map(() => '0')]);
      expect(filters[0].filterPattern).toBe(control.definitionIn(CisBenchmarkVersion.V7_0_0).deployedPattern);
    }
    // The broader scanner union of unauthorized API calls is present for the scanners only.
    expect(cis.metricFiltersFor(CisControl.UNAUTHORIZED_API_CALLS).length).toBeGreaterThan(1);
  });

  test('precisePagingAlarms is obsolete: no paging alarm, a warning', () => {
    const { stack, cis } = synth({ precisePagingAlarms: true });
    expect(cis.pagingAlarms).toEqual([]);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('precisePagingAlarms has no effect'));
  });
});
