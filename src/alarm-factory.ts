import { CfnResource, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { LABEL_METADATA_KEY, ResourceLabel } from './plan/labels';

/**
 * The one place metric filters and alarms are created (internal), so every
 * alarm gets the CIS comparison, missing-data treatment and enabled actions
 * (Security Hub CloudWatch.15/17) and every resource carries its label.
 */

/** One metric filter on the watched log group. */
export interface MetricFilterSpec {
  readonly id: string;
  readonly pattern: string;
  readonly metricName: string;
  /** `"1"` counts the event; `"0"` publishes for scanners only. */
  readonly metricValue: string;
  readonly label: ResourceLabel;
}

export interface ControlAlarmSpec {
  readonly alarmName: string;
  readonly alarmDescription: string;
  readonly metric: cloudwatch.Metric;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly alarmActions: cloudwatch.IAlarmAction[];
  readonly okActions: cloudwatch.IAlarmAction[];
  readonly label: ResourceLabel;
}

/** Writes the label into the resource's CloudFormation metadata (`cdk-cis-monitoring`). */
export function labelResource(construct: IConstruct, label: ResourceLabel): void {
  const cfn = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (cfn instanceof CfnResource) cfn.addMetadata(LABEL_METADATA_KEY, { ...label });
}

/** A metric filter; scanner texts go through `FilterPattern.literal` so they stay byte-exact. */
export function createMetricFilter(scope: Construct, logGroup: logs.ILogGroup, namespace: string, spec: MetricFilterSpec): logs.MetricFilter {
  const filter = new logs.MetricFilter(scope, spec.id, {
    logGroup,
    filterPattern: logs.FilterPattern.literal(spec.pattern),
    metricNamespace: namespace,
    metricName: spec.metricName,
    metricValue: spec.metricValue,
  });
  labelResource(filter, spec.label);
  return filter;
}

export function createControlAlarm(scope: Construct, id: string, spec: ControlAlarmSpec): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: spec.alarmName,
    alarmDescription: spec.alarmDescription,
    metric: spec.metric,
    threshold: spec.threshold,
    evaluationPeriods: spec.evaluationPeriods,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // No events means nothing happened, not a broken sensor.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    actionsEnabled: true,
  });
  alarm.addAlarmAction(...spec.alarmActions);
  if (spec.okActions.length > 0) alarm.addOkAction(...spec.okActions);
  labelResource(alarm, spec.label);
  return alarm;
}

/**
 * The metric a control's filters publish, read as CIS intends: the Sum of
 * matching events per period. (MetricFilter.metric() defaults to Average,
 * which with threshold 1 can never fire.) No label: a labelled metric makes
 * the alarm render as a metric-math `Metrics` array without a top-level
 * MetricName, and every scanner links alarm to filter by MetricName.
 */
export function controlMetric(namespace: string, metricName: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName,
    statistic: cloudwatch.Stats.SUM,
    period,
  });
}

/** What `createMonitoredMetric` created. */
export interface MonitoredMetric {
  readonly metricFilters: logs.MetricFilter[];
  readonly metric: cloudwatch.Metric;
  readonly alarm: cloudwatch.Alarm;
}

/** Metric filters publishing one metric, and the alarm on it: the per-control (and per-detection) unit. */
export function createMonitoredMetric(scope: Construct, input: {
  readonly logGroup: logs.ILogGroup;
  readonly namespace: string;
  readonly metricName: string;
  readonly period: Duration;
  readonly filters: MetricFilterSpec[];
  readonly alarmId: string;
  readonly alarm: Omit<ControlAlarmSpec, 'metric'>;
}): MonitoredMetric {
  const metricFilters = input.filters.map(f => createMetricFilter(scope, input.logGroup, input.namespace, f));
  const metric = controlMetric(input.namespace, input.metricName, input.period);
  const alarm = createControlAlarm(scope, input.alarmId, { ...input.alarm, metric });
  return { metricFilters, metric, alarm };
}
