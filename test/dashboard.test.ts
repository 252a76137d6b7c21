import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CisBenchmarkVersion, CisControl } from '../src/catalog';
import { createCisDashboard, DashboardControlInput, validateDashboardOptions } from '../src/dashboard';
import { CisSeverityDefaults } from '../src/severity';

function inputs(stack: Stack, version = CisBenchmarkVersion.LATEST, pagingFor: CisControl[] = []): DashboardControlInput[] {
  return version.controls().map(control => {
    const metric = new cloudwatch.Metric({ namespace: 'CISBenchmark', metricName: control.metricName, statistic: 'Sum', period: Duration.minutes(5) });
    const alarm = new cloudwatch.Alarm(stack, `${control.key}-alarm`, {
      metric, threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    if (!pagingFor.includes(control)) {
      return { plan: { definition: control.definitionIn(version), severity: CisSeverityDefaults.forControl(control) }, metric, alarm };
    }
    const pagingMetric = new cloudwatch.Metric({ namespace: 'CISBenchmark', metricName: `${control.metricName}Paging`, statistic: 'Sum', period: Duration.minutes(5) });
    const pagingAlarm = new cloudwatch.Alarm(stack, `${control.key}-paging`, {
      metric: pagingMetric, threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const plan = { definition: control.definitionIn(version), severity: CisSeverityDefaults.forControl(control) };
    return { plan, metric, alarm, pagingMetric, pagingAlarm };
  });
}

/** The dashboard body as JSON, with every CloudFormation token replaced by a placeholder. */
function body(stack: Stack): any {
  const dashboards = Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard');
  const [d] = Object.values(dashboards) as any[];
  const parts: any[] = d.Properties.DashboardBody['Fn::Join'][1];
  return JSON.parse(parts.map(p => (typeof p === 'string' ? p : 'TOKEN')).join(''));
}

describe('createCisDashboard', () => {
  test('one status widget with every alarm and one graph per control, in benchmark order', () => {
    const stack = new Stack(new App(), 'S');
    const controls = inputs(stack, CisBenchmarkVersion.LATEST, [CisControl.SECURITY_GROUP_CHANGES]);
    createCisDashboard(stack, 'Dashboard', 'CIS AWS Foundations Benchmark v7.0.0', controls, { dashboardName: 'cis-prod' });

    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'cis-prod' });

    const widgets = body(stack).widgets;
    expect(widgets).toHaveLength(2 + 15);
    expect(widgets[0].type).toBe('text');
    expect(widgets[0].properties.markdown).toBe('# CIS AWS Foundations Benchmark v7.0.0: monitoring\n15 controls, 16 alarms (1 with a paging alarm that applies exclusions; '
      + 'the compliance alarm keeps the exact CIS filter). Each graph shows matching CloudTrail events per period (each event counted once); the line is the alarm threshold.');
    expect(widgets[1].type).toBe('alarm');
    expect(widgets[1].properties.alarms).toHaveLength(16);
    expect(widgets[1]).toMatchObject({ width: 24, properties: { title: 'Alarm states', sortBy: 'stateUpdatedTimestamp' } });

    const graphs = widgets.slice(2);
    expect(graphs.map((g: any) => g.properties.title)).toEqual(
      CisBenchmarkVersion.LATEST.controls().map(c => `[${CisSeverityDefaults.forControl(c)}] CIS ${c.definitionIn(CisBenchmarkVersion.LATEST).recommendationId} ${c.key}`));
    // three per row
    expect(graphs.slice(0, 4).map((g: any) => [g.x, g.y])).toEqual([[0, 7], [8, 7], [16, 7], [0, 13]]); // header 2 + status 5 rows
    for (const g of graphs) {
      expect(g).toMatchObject({ type: 'metric', width: 8, height: 6 });
      expect(g.properties.annotations.horizontal).toEqual([{ label: `${g.properties.metrics[0][1]} >= 1 for 1 datapoints within 5 minutes`, value: 1, yAxis: 'left' }]);
      expect(g.properties.yAxis.left).toEqual({ min: 0, showUnits: false });
      // The Sum statistic (metric filters count events; Average would always read 1).
      expect(g.properties.metrics[0]).toEqual(['CISBenchmark', expect.stringMatching(/^[A-Za-z0-9]+$/), { stat: 'Sum' }]);
    }
    const sg = graphs.find((g: any) => g.properties.title.endsWith('security-group-changes'));
    expect(sg.properties.metrics).toEqual([
      ['CISBenchmark', 'SecurityGroupChanges', { stat: 'Sum' }],
      ['CISBenchmark', 'SecurityGroupChangesPaging', { stat: 'Sum' }],
    ]);
  });

  test('defaults: generated name, seven-day interval', () => {
    const stack = new Stack(new App(), 'S');
    createCisDashboard(stack, 'Dashboard', 'CIS v1.2.0', inputs(stack, CisBenchmarkVersion.V1_2_0));
    const t = Template.fromStack(stack);
    const [d] = Object.values(t.findResources('AWS::CloudWatch::Dashboard')) as any[];
    expect(d.Properties.DashboardName).toBeUndefined();
    expect(body(stack).start).toBe('-P7D');
    expect(body(stack).widgets).toHaveLength(2 + 14);
  });

  test('a custom interval', () => {
    const stack = new Stack(new App(), 'S');
    createCisDashboard(stack, 'Dashboard', 'CIS', inputs(stack), { defaultInterval: Duration.hours(12) });
    expect(body(stack).start).toBe('-PT12H');
  });
});

describe('bad input', () => {
  test.each([
    ['my dashboard', /dashboardName "my dashboard" is invalid: use 1-255 letters, digits, "-" and "_"/],
    ['', /dashboardName "" is invalid/],
    ['x'.repeat(256), /is invalid: use 1-255/],
    ['cis/prod', /is invalid/],
  ])('dashboardName %j', (dashboardName, msg) => {
    expect(() => validateDashboardOptions({ dashboardName })).toThrow(msg);
  });

  test.each([
    [Duration.minutes(1), /defaultInterval 1 minute is invalid: use 5 minutes to 455 days/],
    [Duration.days(456), /defaultInterval 456 days is invalid/],
  ])('defaultInterval %s', (defaultInterval, msg) => {
    expect(() => validateDashboardOptions({ defaultInterval })).toThrow(msg);
  });

  test('tokens pass', () => {
    expect(() => validateDashboardOptions({ dashboardName: Lazy.string({ produce: () => 'x' }) })).not.toThrow();
  });

  test('createCisDashboard validates and needs controls', () => {
    const stack = new Stack(new App(), 'S');
    expect(() => createCisDashboard(stack, 'D', 'CIS', inputs(stack), { dashboardName: 'a b' })).toThrow(/is invalid/);
    expect(() => createCisDashboard(stack, 'D2', 'CIS', [])).toThrow('createCisDashboard: no controls given; a dashboard needs at least one control.');
  });
});
