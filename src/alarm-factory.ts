import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

/** CIS remediation values for every monitoring alarm. */
export const CIS_ALARM_DEFAULTS = {
  period: Duration.minutes(5),
  threshold: 1,
  evaluationPeriods: 1,
} as const;

export interface ControlAlarmSpec {
  readonly alarmName: string;
  readonly alarmDescription: string;
  readonly metric: cloudwatch.Metric;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly alarmActions: cloudwatch.IAlarmAction[];
  readonly okActions: cloudwatch.IAlarmAction[];
}

/**
 * The one place alarms are created, so every alarm gets the CIS comparison,
 * missing-data treatment and enabled actions (Security Hub CloudWatch.15/17).
 */
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
