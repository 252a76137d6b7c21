import { Aspects, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { createMonitoredMetric, labelResource } from '../alarm-factory';
import { addMetricFilters, claimMetric } from '../app-registry';
import { EventRegionality, REGIONAL, Regionality } from '../catalog/control-metadata';
import { controlConstructId } from '../catalog/selection';
import { insightsFilterFor } from '../filter-pattern/translate/insights';
import { CIS_ALARM_DEFAULTS, ResourceRole } from '../plan/control-plan';
import { MAX_ALARM_DESCRIPTION_LENGTH, MAX_ALARM_NAME_LENGTH, MAX_RULE_NAME_LENGTH } from '../quotas';
import { alertMessage, TopicRuleTarget } from '../realtime/alert-message';
import { GlobalEventsCheck, registerGlobalEventRules } from '../realtime/global-events-check';
import { allowServiceToPublish } from '../realtime/topic-access';
import {
  validateAlarmNamePrefix, validateEvaluationPeriods, validateNamespace, validatePeriod, validateThreshold,
} from '../validation';
import { detectionEventPattern } from './detection-patterns';
import { ExtendedDetection } from './extended-detection';

/** Alarm settings for one extended detection that differ from its defaults. */
export interface ExtendedDetectionOverrideOptions {
  /** The detection these settings apply to. */
  readonly detection: ExtendedDetection;

  /**
   * Length of one evaluation period: a whole number of minutes, 1 minute to 1 day.
   * @default - the detection's `defaultPeriod` (5 minutes)
   */
  readonly period?: Duration;

  /**
   * Matching events per period that set off the alarm (at least 1).
   * @default - the detection's `defaultThreshold`
   */
  readonly threshold?: number;

  /**
   * Consecutive periods that must breach (at least 1; period x evaluationPeriods at most one day).
   * @default 1
   */
  readonly evaluationPeriods?: number;
}

/** Properties of `CisExtendedDetections`. */
export interface CisExtendedDetectionsProps {
  /** The CloudTrail log group the metric filters are created on. */
  readonly logGroup: logs.ILogGroup;

  /** The detections to deploy (at least one, each once). */
  readonly detections: ExtendedDetection[];

  /**
   * Topic the alarms and rules notify. When it was created in this app, its
   * policies are extended to let CloudWatch and EventBridge publish; for an
   * imported topic a warning lists what to add.
   */
  readonly topic: sns.ITopic;

  /**
   * CloudWatch namespace of the detection metrics.
   * @default 'CISBenchmark/Extended'
   */
  readonly metricNamespace?: string;

  /**
   * Prefix of every alarm name (`<prefix>-<detection key>`) and rule name (`<prefix>-<detection key>`, when at most 64 characters).
   * @default - `<stack name>-<construct id>`
   */
  readonly alarmNamePrefix?: string;

  /**
   * Also create an EventBridge rule (a notification within seconds, per
   * event) for the detections that have one (`hasEventRule`).
   * @default true
   */
  readonly eventRules?: boolean;

  /**
   * Per-detection alarm settings that differ from the detection's defaults.
   * @default - the defaults of each detection
   */
  readonly detectionOverrides?: ExtendedDetectionOverrideOptions[];
}

const DEFAULT_NAMESPACE = 'CISBenchmark/Extended';

/** Detections whose events reach EventBridge (partly) in us-east-1 only; the others are regional. */
const GLOBAL_DETECTIONS: Readonly<Record<string, Regionality>> = {
  'access-key-created': { regionality: EventRegionality.GLOBAL, why: 'IAM is a global service recorded in us-east-1' },
  'login-profile-created': { regionality: EventRegionality.GLOBAL, why: 'IAM is a global service recorded in us-east-1' },
  'assume-role-failure-burst': { regionality: EventRegionality.MIXED, why: 'calls to the global STS endpoint are recorded in us-east-1' },
};

/**
 * Opt-in detections beyond the CIS monitoring section (see `ExtendedDetection`):
 * for each, a metric filter on the CloudTrail log group and an alarm with the
 * same comparison and missing-data treatment as the CIS alarms, notifying an
 * SNS topic; plus an EventBridge rule on the default bus for the detections
 * that make sense per event.
 *
 * @example
 * new CisExtendedDetections(this, 'Extended', {
 *   logGroup: trailLogGroup,
 *   topic,
 *   detections: ExtendedDetection.all(),
 * });
 */
export class CisExtendedDetections extends Construct {
  /** The deployed detections, in the order given. */
  public readonly detections: ExtendedDetection[];
  /** The namespace of the detection metrics. */
  public readonly metricNamespace: string;
  /** One alarm per detection, in the order of `detections`. */
  public readonly alarms: cloudwatch.Alarm[];
  /** One metric filter per detection, in the order of `detections`. */
  public readonly metricFilters: logs.MetricFilter[];
  /** The EventBridge rules created (detections with `hasEventRule`, when `eventRules` is on). */
  public readonly rules: events.Rule[];

  private readonly byDetection = new Map<ExtendedDetection, { alarm: cloudwatch.Alarm; metric: cloudwatch.Metric; rule?: events.Rule }>();

  constructor(scope: Construct, id: string, props: CisExtendedDetectionsProps) {
    super(scope, id);
    this.detections = checkDetections(props.detections);
    this.metricNamespace = props.metricNamespace ?? DEFAULT_NAMESPACE;
    validateNamespace(this.metricNamespace);
    const prefix = props.alarmNamePrefix ?? this.defaultPrefix();
    validateAlarmNamePrefix(prefix);
    const overrides = indexOverrides(props.detectionOverrides ?? [], this.detections);
    const withRules = props.eventRules ?? true;

    allowServiceToPublish(this, props.topic, 'cloudwatch.amazonaws.com');
    if (withRules && this.detections.some(d => d.hasEventRule)) allowServiceToPublish(this, props.topic, 'events.amazonaws.com');
    const action = new cloudwatchActions.SnsAction(props.topic);

    this.alarms = [];
    this.metricFilters = [];
    this.rules = [];
    for (const d of this.detections) {
      const o = overrides.get(d);
      const where = `detectionOverrides for "${d.key}"`;
      const period = o?.period ?? d.defaultPeriod;
      const threshold = o?.threshold ?? d.defaultThreshold;
      const evaluationPeriods = o?.evaluationPeriods ?? CIS_ALARM_DEFAULTS.evaluationPeriods;
      validatePeriod(period, where);
      validateThreshold(threshold, where);
      validateEvaluationPeriods(evaluationPeriods, period, where);

      claimMetric(this, this.metricNamespace, d.metricName);
      // Construct IDs derive from the detection key only.
      const scopeOf = new Construct(this, controlConstructId(d.key));
      const label = { control: d.key, role: ResourceRole.EXTENDED };
      const { metricFilters: [filter], metric, alarm } = createMonitoredMetric(scopeOf, {
        logGroup: props.logGroup,
        namespace: this.metricNamespace,
        metricName: d.metricName,
        period,
        filters: [{ id: 'MetricFilter', pattern: d.filterPattern, metricName: d.metricName, metricValue: '1', label }],
        alarmId: 'Alarm',
        alarm: {
          alarmName: `${prefix}-${d.key}`,
          alarmDescription: describe(d, period, threshold, props.logGroup),
          threshold,
          evaluationPeriods,
          alarmActions: [action],
          okActions: [],
          label,
        },
      });

      let rule: events.Rule | undefined;
      const pattern = withRules ? detectionEventPattern(d) : undefined;
      if (pattern) {
        const ruleName = `${prefix}-${d.key}`;
        rule = new events.Rule(scopeOf, 'Rule', {
          ruleName: !Token.isUnresolved(ruleName) && ruleName.length <= MAX_RULE_NAME_LENGTH ? ruleName : undefined,
          description: `[${d.severity}] ${d.title}`,
          eventPattern: pattern,
        });
        labelResource(rule, label);
        rule.addTarget(new TopicRuleTarget(props.topic, alertMessage(`[${d.severity}] ${d.title} (extended detection ${d.key})`)));
        this.rules.push(rule);
      }
      this.metricFilters.push(filter);
      this.alarms.push(alarm);
      this.byDetection.set(d, { alarm, metric, rule });
    }
    addMetricFilters(this, props.logGroup, this.metricFilters.length, 0);

    const ruleKeys = this.detections.filter(d => this.byDetection.get(d)?.rule).map(d => d.key);
    registerGlobalEventRules(this, () => new Set(ruleKeys.map(k => `detection:${k}`)));
    Aspects.of(this).add(new GlobalEventsCheck(this, () => ruleKeys
      .map(k => ({ k, r: GLOBAL_DETECTIONS[k] ?? REGIONAL }))
      .filter(x => x.r.regionality !== EventRegionality.REGIONAL)
      .map(x => ({ key: `detection:${x.k}`, label: x.k, why: x.r.why }))));
  }

  /** The alarm of a deployed detection. */
  public alarmFor(detection: ExtendedDetection): cloudwatch.Alarm {
    return this.entry(detection).alarm;
  }

  /** The metric (Sum of matching events per period) of a deployed detection. */
  public metricFor(detection: ExtendedDetection): cloudwatch.Metric {
    return this.entry(detection).metric;
  }

  /**
   * The EventBridge rule of a deployed detection.
   * @returns undefined when the detection has no rule or `eventRules` is off
   */
  public ruleFor(detection: ExtendedDetection): events.Rule | undefined {
    return this.entry(detection).rule;
  }

  private entry(detection: ExtendedDetection) {
    const e = this.byDetection.get(detection);
    if (!e) {
      throw new Error(`Detection "${detection.key}" is not deployed by ${this.node.path}; deployed: ${this.detections.map(d => d.key).join(', ')}.`);
    }
    return e;
  }

  private defaultPrefix(): string {
    const stackName = Stack.of(this).stackName;
    const base = Token.isUnresolved(stackName) ? this.node.id : `${stackName}-${this.node.id}`;
    return base.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, MAX_ALARM_NAME_LENGTH - 40);
  }
}

function checkDetections(detections: ExtendedDetection[]): ExtendedDetection[] {
  if (detections.length === 0) {
    throw new Error(`detections is empty: list at least one ExtendedDetection (known: ${ExtendedDetection.all().map(d => d.key).join(', ')}), or use ExtendedDetection.all().`);
  }
  const seen = new Set<ExtendedDetection>();
  for (const d of detections) {
    if (seen.has(d)) throw new Error(`detections lists "${d.key}" twice; list each detection once.`);
    seen.add(d);
  }
  return [...detections];
}

function indexOverrides(
  overrides: ExtendedDetectionOverrideOptions[],
  deployed: ExtendedDetection[],
): Map<ExtendedDetection, ExtendedDetectionOverrideOptions> {
  const out = new Map<ExtendedDetection, ExtendedDetectionOverrideOptions>();
  for (const o of overrides) {
    if (out.has(o.detection)) throw new Error(`detectionOverrides lists "${o.detection.key}" twice; merge the two entries.`);
    if (!deployed.includes(o.detection)) {
      throw new Error(`detectionOverrides names "${o.detection.key}", which is not deployed (deployed: ${deployed.map(d => d.key).join(', ')}). Remove the override or add the detection.`);
    }
    out.set(o.detection, o);
  }
  return out;
}

function describe(d: ExtendedDetection, period: Duration, threshold: number, logGroup: logs.ILogGroup): string {
  const group = Token.isUnresolved(logGroup.logGroupName) ? 'the trail log group' : logGroup.logGroupName;
  const head = `[${d.severity}] ${d.title} (extended detection ${d.key}): ${threshold} or more matching CloudTrail events within ${period.toHumanString()} in ${group}. ${d.description}`;
  const query = ` Logs Insights: filter ${insightsFilterFor(d.filterPattern).expression} | sort @timestamp desc`;
  const limits = ` Limits: ${d.limitations}`;
  // Drop the least useful part first to stay within CloudWatch's 1024 characters.
  for (const text of [head + limits + query, head + query, head + limits, head]) {
    if (text.length <= MAX_ALARM_DESCRIPTION_LENGTH) return text;
  }
  return head.slice(0, MAX_ALARM_DESCRIPTION_LENGTH);
}

