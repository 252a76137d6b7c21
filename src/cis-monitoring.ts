import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AlarmDescriptionOptions, AlarmRole, buildAlarmDescription, validateAlarmDescriptionOptions } from './alarm-description';
import { CIS_ALARM_DEFAULTS, controlMetric, createControlAlarm } from './alarm-factory';
import { CisAlarmTopic } from './alarm-topic';
import { addMetricFilters, claimMetric } from './app-registry';
import { CisBenchmarkVersion, CisControl, CisControlDefinition } from './catalog';
import { controlConstructId } from './catalog/selection';
import { ChatDeliveryOptions, CisChatDelivery } from './chat-delivery';
import { CisTrail, CisTrailOptions } from './cis-trail';
import { CisDashboardOptions, createCisDashboard, DashboardControlInput, validateDashboardOptions } from './dashboard';
import { Exclusion } from './exclusions';
import { planControlExclusions, validateExclusions } from './exclusions/compile';
import { CisExtendedDetections, ExtendedDetection } from './extended';
import { FilterPatternEngine } from './filter-pattern';
import { CisInvestigationQueries } from './queries';
import { CisEventRules } from './realtime';
import { Scanner } from './scanners';
import { planControlPatterns } from './scanners/planner';
import { CisSeverity, resolveSeverityActions, SeverityOverrideOptions, SeverityRouteOptions, SeverityRoutingInput, validateSeverityRouting } from './severity';
import {
  MAX_ALARM_NAME_LENGTH, MAX_PATTERN_LENGTH, MAX_REGEX_PER_PATTERN, validateAlarmNamePrefix, validateEmail,
  validateEvaluationPeriods, validateNamespace, validatePeriod, validateThreshold,
} from './validation';

/** Alarm settings for one control that differ from the CIS remediation values. */
export interface ControlOverrideOptions {
  /** The control these settings apply to. */
  readonly control: CisControl;

  /**
   * Length of one evaluation period: a whole number of minutes, 1 minute to 1 day.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * Number of matching events per period that sets off the alarm (at least 1).
   * @default 1
   */
  readonly threshold?: number;

  /**
   * Number of consecutive periods that must breach (at least 1; period x evaluationPeriods at most one day).
   * @default 1
   */
  readonly evaluationPeriods?: number;
}

/** Properties of `CisMonitoring`. */
export interface CisMonitoringProps {
  /**
   * The CloudWatch Logs log group your CloudTrail trail delivers to. The
   * metric filters are created on it.
   * @default - a CIS-grade trail and log group are created (see `trailOptions`)
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * Options for the trail created when no `logGroup` is given. Giving both is an error.
   * @default - multi-region, KMS-encrypted trail with a new bucket and a log group kept one year
   */
  readonly trailOptions?: CisTrailOptions;

  /**
   * CIS AWS Foundations Benchmark version whose patterns, ids and titles are used.
   * Changing it updates filters and alarms in place; nothing is replaced.
   * @default CisBenchmarkVersion.LATEST
   */
  readonly benchmarkVersion?: CisBenchmarkVersion;

  /**
   * Compliance scanners whose checks the metric filters must pass. Scanners
   * expect different texts for some controls; for each control the construct
   * deploys the fewest filters whose union satisfies every selected scanner,
   * all publishing the control's one metric, so there is still one alarm per
   * control. Texts that would match almost every event are never deployed.
   * @default - all four: Scanner.SECURITY_HUB, Scanner.PROWLER, Scanner.STEAMPIPE, Scanner.CLOUDSPLOIT
   */
  readonly scanners?: Scanner[];

  /**
   * Controls to deploy. Every one must be part of `benchmarkVersion`.
   * @default - every metric-filter control of `benchmarkVersion`
   */
  readonly controls?: CisControl[];

  /**
   * Controls to leave out of the selection.
   * @default - none
   */
  readonly excludeControls?: CisControl[];

  /**
   * CloudWatch namespace the metric filters publish to.
   * @default 'CISBenchmark'
   */
  readonly metricNamespace?: string;

  /**
   * Prefix of every alarm name (`<prefix>-<control key>`). Alarm names are
   * unique per account and region, so two instances need different prefixes.
   * @default - `<stack name>-<construct id>`
   */
  readonly alarmNamePrefix?: string;

  /**
   * Per-control alarm settings that differ from the CIS values.
   * @default - CIS values for every control: Sum over 5 minutes >= 1, one evaluation period
   */
  readonly controlOverrides?: ControlOverrideOptions[];

  /**
   * Topic the alarms notify. CloudWatch can only publish to it if it is
   * unencrypted or encrypted with a customer-managed key whose policy lets
   * `cloudwatch.amazonaws.com` use it.
   * @default - a new topic encrypted with a new customer-managed key
   */
  readonly topic?: sns.ITopic;

  /**
   * Email addresses subscribed to the topic. Each stays pending until its
   * owner confirms, and Security Hub only counts confirmed subscriptions.
   * @default - none
   */
  readonly emailAddresses?: string[];

  /**
   * Other subscriptions for the topic (SQS, Lambda, HTTPS, SMS ...).
   * @default - none
   */
  readonly subscriptions?: sns.ITopicSubscription[];

  /**
   * Extra actions every alarm takes in ALARM state, besides notifying the topic.
   * @default - none
   */
  readonly additionalAlarmActions?: cloudwatch.IAlarmAction[];

  /**
   * Also notify the topic when an alarm returns to OK.
   * @default false
   */
  readonly notifyOnOk?: boolean;

  /**
   * Known automation to leave out of paging (CI roles, Terraform runners,
   * backup jobs), globally or per control. Scanners fail a modified pattern,
   * so an excluded control keeps its exact compliance filters and alarm, and
   * gets a second, tuned filter (`<metric>Paging`) with its own paging alarm
   * routed by severity. Each extra alarm costs $0.10 per month per region.
   * @default - no exclusions: one alarm per control
   */
  readonly exclusions?: Exclusion[];

  /**
   * Give controls whose scanner filters match more than the CIS pattern (see
   * `scanners`) a precise paging alarm on the CIS pattern alone, like an
   * excluded control: the compliance alarm then notifies `complianceTopic`.
   * @default false
   */
  readonly precisePagingAlarms?: boolean;

  /**
   * Where compliance alarms notify when a control also has a paging alarm
   * (exclusions or `precisePagingAlarms`). It needs a confirmed subscriber for
   * Security Hub. Controls with a single alarm notify `topic` as usual.
   * @default - `topic`, which then also receives the events the exclusions remove from paging
   */
  readonly complianceTopic?: sns.ITopic;

  /**
   * Severities that differ from the documented defaults (`CisSeverityDefaults`).
   * @default - the documented default severity of each control
   */
  readonly severityOverrides?: SeverityOverrideOptions[];

  /**
   * Where alarms of each severity go: a topic and/or any `IAlarmAction`
   * (Lambda, SSM OpsItem, ...). A severity without a route notifies `topic`
   * and `additionalAlarmActions`. Security Hub needs an SNS notification on
   * every compliance alarm.
   * @default - every severity notifies `topic` and `additionalAlarmActions`
   */
  readonly severityRoutes?: SeverityRouteOptions[];

  /**
   * What alarm descriptions carry besides title, id, why it matters, first
   * steps, account and region: tags such as `environment=prod`, a runbook
   * link, the Logs Insights query.
   * @default - no tags, no runbook link, the Insights query where it fits in 1024 characters
   */
  readonly alarmDescription?: AlarmDescriptionOptions;

  /**
   * Create a CloudWatch dashboard with one widget per control and the alarm states.
   * @default true
   */
  readonly dashboard?: boolean;

  /**
   * Name and time range of the dashboard.
   * @default - a generated name, seven days
   */
  readonly dashboardOptions?: CisDashboardOptions;

  /**
   * Deliver alarm notifications to Slack channels or Microsoft Teams channels through AWS Chatbot.
   * @default - no chat delivery
   */
  readonly chatDelivery?: ChatDeliveryOptions;

  /**
   * Also create an EventBridge rule per control on the default bus, notifying
   * the topic within seconds with a readable message (who, what, where, when,
   * source IP, error). Global-service events (IAM, Organizations, console
   * sign-in) arrive only in us-east-1: deploy a `CisEventRules` there too
   * (see the README). The rules honour `exclusions` where EventBridge can
   * express them (a warning names any rule that cannot).
   * @default false
   */
  readonly realtimeRules?: boolean;

  /**
   * Also save CloudWatch Logs Insights queries on the trail log group: one per
   * control, plus new principals assuming powerful roles, root usage and S3
   * public exposure, in a folder named after this construct.
   * @default false
   */
  readonly investigationQueries?: boolean;

  /**
   * Detections beyond CIS from the CloudTrail monitoring guidance (access keys
   * and login profiles created, public-access-block changes, security groups
   * opened to the world, failed AssumeRole bursts, GetSecretValue spikes),
   * each a metric filter and alarm (namespace `<metricNamespace>/Extended`)
   * and, where it fits, an EventBridge rule.
   * @default - none
   */
  readonly extendedDetections?: ExtendedDetection[];
}

/** What the construct created for one control. */
interface ControlResources {
  readonly definition: CisControlDefinition;
  readonly severity: CisSeverity;
  readonly metricFilters: logs.MetricFilter[];
  readonly metric: cloudwatch.Metric;
  readonly alarm: cloudwatch.Alarm;
  readonly pagingMetricFilter?: logs.MetricFilter;
  readonly pagingMetric?: cloudwatch.Metric;
  readonly pagingAlarm?: cloudwatch.Alarm;
}

const DEFAULT_NAMESPACE = 'CISBenchmark';

/**
 * The monitoring section of the CIS AWS Foundations Benchmark: for each
 * control, a CloudWatch Logs metric filter on the CloudTrail log group and an
 * alarm that notifies an SNS topic.
 *
 * @example
 * new CisMonitoring(this, 'Cis', {
 *   emailAddresses: ['security@example.com'],
 * });
 */
export class CisMonitoring extends Construct {
  /** The benchmark version in use. */
  public readonly benchmarkVersion: CisBenchmarkVersion;
  /** The log group the metric filters watch. */
  public readonly logGroup: logs.ILogGroup;
  /**
   * The trail, when the construct created it.
   * @default - undefined when `logGroup` was given
   */
  public readonly trail?: cloudtrail.Trail;
  /** The topic the alarms notify. */
  public readonly topic: sns.ITopic;
  /** The namespace of every control metric. */
  public readonly metricNamespace: string;
  /** The deployed controls, in benchmark order. */
  public readonly controls: CisControl[];
  /** The scanners the metric filters are planned to pass. */
  public readonly scanners: Scanner[];
  /** One alarm per deployed control, in benchmark order. */
  public readonly alarms: cloudwatch.Alarm[];
  /** Every metric filter created, in benchmark order (paging filters included). */
  public readonly metricFilters: logs.MetricFilter[];
  /** The paging alarms of controls that have exclusions (or precise paging), in benchmark order. */
  public readonly pagingAlarms: cloudwatch.Alarm[];
  /**
   * The dashboard.
   * @default - undefined when `dashboard` is false
   */
  public readonly dashboard?: cloudwatch.Dashboard;
  /**
   * The real-time EventBridge rules.
   * @default - undefined unless `realtimeRules` is true
   */
  public readonly eventRules?: CisEventRules;
  /**
   * The saved Logs Insights queries.
   * @default - undefined unless `investigationQueries` is true
   */
  public readonly investigationQueries?: CisInvestigationQueries;
  /**
   * The extended detections.
   * @default - undefined unless `extendedDetections` is given
   */
  public readonly extendedDetections?: CisExtendedDetections;

  private readonly resources = new Map<CisControl, ControlResources>();

  constructor(scope: Construct, id: string, props: CisMonitoringProps = {}) {
    super(scope, id);
    this.benchmarkVersion = props.benchmarkVersion ?? CisBenchmarkVersion.LATEST;
    this.metricNamespace = props.metricNamespace ?? DEFAULT_NAMESPACE;
    validateNamespace(this.metricNamespace);
    const alarmNamePrefix = props.alarmNamePrefix ?? this.defaultAlarmNamePrefix();
    validateAlarmNamePrefix(alarmNamePrefix);

    this.controls = this.selectControls(props);
    this.scanners = props.scanners ?? [Scanner.SECURITY_HUB, Scanner.PROWLER, Scanner.STEAMPIPE, Scanner.CLOUDSPLOIT];
    const overrides = this.indexOverrides(props.controlOverrides ?? []);

    // Log group: the user's, or a CIS-grade trail of our own.
    if (props.logGroup && props.trailOptions) {
      throw new Error('trailOptions only apply when CisMonitoring creates the trail; remove trailOptions or logGroup.');
    }
    if (props.logGroup) {
      this.logGroup = props.logGroup;
    } else {
      const cisTrail = new CisTrail(this, 'CloudTrail', props.trailOptions);
      this.logGroup = cisTrail.logGroup;
      this.trail = cisTrail.trail;
    }

    this.topic = this.setUpTopic(props);
    const exclusions = props.exclusions ?? [];
    validateExclusions(exclusions, this.controls);
    const routing: SeverityRoutingInput = { controls: this.controls, overrides: props.severityOverrides, routes: props.severityRoutes };
    validateSeverityRouting(routing);
    validateAlarmDescriptionOptions(props.alarmDescription);
    if (props.dashboard !== false) validateDashboardOptions(props.dashboardOptions);

    const defaultActions: cloudwatch.IAlarmAction[] = [new cloudwatchActions.SnsAction(this.topic), ...(props.additionalAlarmActions ?? [])];
    const complianceActions: cloudwatch.IAlarmAction[] = [new cloudwatchActions.SnsAction(props.complianceTopic ?? this.topic)];
    const okActions: cloudwatch.IAlarmAction[] = props.notifyOnOk ? [new cloudwatchActions.SnsAction(this.topic)] : [];
    const logGroupName = this.logGroup.logGroupName;

    const alarms: cloudwatch.Alarm[] = [];
    const pagingAlarms: cloudwatch.Alarm[] = [];
    const filters: logs.MetricFilter[] = [];
    let regexBearing = 0;
    for (const control of this.controls) {
      const definition = control.definitionIn(this.benchmarkVersion);
      const plan = this.planPatterns(control);
      const patterns = plan.texts;
      regexBearing += patterns.filter(p => validatePattern(p, control.key) > 0).length;

      const o = overrides.get(control) ?? { control };
      const where = `controlOverrides for "${control.key}"`;
      const period = o.period ?? CIS_ALARM_DEFAULTS.period;
      const threshold = o.threshold ?? CIS_ALARM_DEFAULTS.threshold;
      const evaluationPeriods = o.evaluationPeriods ?? CIS_ALARM_DEFAULTS.evaluationPeriods;
      validatePeriod(period, where);
      validateThreshold(threshold, where);
      validateEvaluationPeriods(evaluationPeriods, period, where);

      const routed = resolveSeverityActions(control, routing, defaultActions);
      const tuned = planControlExclusions(control, this.benchmarkVersion, exclusions, definition.deployedPattern);
      const split = tuned.pagingPattern !== undefined || (props.precisePagingAlarms === true && plan.broader);
      const describe = (role: AlarmRole, pattern: string, excluded: Exclusion[]) => buildAlarmDescription(this, {
        definition,
        severity: routed.severity,
        threshold,
        period,
        evaluationPeriods,
        logGroupName,
        role,
        exclusions: excluded,
        pattern,
        options: props.alarmDescription,
      });

      claimMetric(this, this.metricNamespace, control.metricName);
      // Construct IDs derive from the stable key only, so a version change
      // updates in place; the compliance alarm keeps the ID "Alarm" whether or
      // not a paging alarm is added later, so its history survives.
      const controlScope = new Construct(this, controlConstructId(control.key));
      const metricFilters = patterns.map((pattern, i) => this.metricFilter(controlScope, i === 0 ? 'MetricFilter' : `MetricFilter${i + 1}`, pattern, control.metricName));
      const metric = controlMetric(this.metricNamespace, control.metricName, period);
      const alarm = createControlAlarm(controlScope, 'Alarm', {
        alarmName: `${alarmNamePrefix}-${control.key}`,
        alarmDescription: describe(split ? AlarmRole.COMPLIANCE : AlarmRole.SINGLE, patterns[0], []),
        metric,
        threshold,
        evaluationPeriods,
        alarmActions: split ? complianceActions : routed.alarmActions,
        okActions,
      });
      if (!split && !routed.notifiesSnsTopic) {
        Annotations.of(this).addWarningV2(`cdk-cis-monitoring:noSnsAction:${control.key}`,
          `${control.key}: the ${routed.severity} route has no SNS topic, so its alarm notifies no topic and Security Hub fails the control. Give the route a topic or set includeDefaultActions.`);
      }
      filters.push(...metricFilters);
      alarms.push(alarm);

      let paging: Pick<ControlResources, 'pagingMetricFilter' | 'pagingMetric' | 'pagingAlarm'> = {};
      if (split) {
        const pagingMetricName = tuned.pagingMetricName ?? `${control.metricName}Paging`;
        const pagingPattern = tuned.pagingPattern ?? definition.deployedPattern!;
        regexBearing += validatePattern(pagingPattern, control.key) > 0 ? 1 : 0;
        claimMetric(this, this.metricNamespace, pagingMetricName);
        const pagingMetricFilter = this.metricFilter(controlScope, 'PagingMetricFilter', pagingPattern, pagingMetricName);
        const pagingMetric = controlMetric(this.metricNamespace, pagingMetricName, period);
        const pagingAlarm = createControlAlarm(controlScope, 'PagingAlarm', {
          alarmName: `${alarmNamePrefix}-${control.key}-paging`,
          alarmDescription: describe(AlarmRole.PAGING, pagingPattern, tuned.exclusions),
          metric: pagingMetric,
          threshold,
          evaluationPeriods,
          alarmActions: routed.alarmActions,
          okActions,
        });
        filters.push(pagingMetricFilter);
        pagingAlarms.push(pagingAlarm);
        paging = { pagingMetricFilter, pagingMetric, pagingAlarm };
      }
      this.resources.set(control, { definition, severity: routed.severity, metricFilters, metric, alarm, ...paging });
    }
    addMetricFilters(this, this.logGroup, filters.length, regexBearing);
    this.alarms = alarms;
    this.pagingAlarms = pagingAlarms;
    this.metricFilters = filters;

    if (pagingAlarms.length > 0 && !props.complianceTopic) {
      Annotations.of(this).addWarningV2('cdk-cis-monitoring:complianceAlarmsOnPagingTopic',
        'Controls with a paging alarm keep a compliance alarm, and without complianceTopic it notifies the same topic, so what the paging alarm leaves out (excluded events, scanner-only matches) still reaches that topic. Set complianceTopic (an audit topic with a confirmed subscriber).');
    }

    if (props.dashboard !== false) {
      this.dashboard = createCisDashboard(this, 'Dashboard', `${this.benchmarkVersion}`, this.controls.map((c): DashboardControlInput => {
        const r = this.resourcesFor(c);
        return {
          definition: r.definition,
          metric: r.metric,
          alarm: r.alarm,
          pagingMetric: r.pagingMetric,
          pagingAlarm: r.pagingAlarm,
          severity: r.severity,
        };
      }), props.dashboardOptions);
    }

    if (props.realtimeRules) {
      this.eventRules = new CisEventRules(this, 'RealTime', {
        topic: this.topic, benchmarkVersion: this.benchmarkVersion, controls: this.controls, exclusions,
      });
    }
    if (props.investigationQueries) {
      this.investigationQueries = new CisInvestigationQueries(this, 'Queries', {
        logGroup: this.logGroup, benchmarkVersion: this.benchmarkVersion, controls: this.controls,
      });
    }
    if (props.extendedDetections && props.extendedDetections.length > 0) {
      this.extendedDetections = new CisExtendedDetections(this, 'Extended', {
        logGroup: this.logGroup,
        topic: this.topic,
        detections: props.extendedDetections,
        metricNamespace: Token.isUnresolved(this.metricNamespace) ? undefined : `${this.metricNamespace}/Extended`,
        alarmNamePrefix: `${alarmNamePrefix}-ext`,
      });
    }

    if (props.chatDelivery) {
      const topics = [this.topic, ...(props.severityRoutes ?? []).map(r => r.topic).filter((t): t is sns.ITopic => t !== undefined)];
      new CisChatDelivery(this, 'ChatDelivery', { ...props.chatDelivery, topics: [...new Set(topics)] });
    }
  }

  /** The alarm of a deployed control. */
  public alarmFor(control: CisControl): cloudwatch.Alarm {
    return this.resourcesFor(control).alarm;
  }

  /** The metric (Sum of matching events per period) of a deployed control, for dashboards and composite alarms. */
  public metricFor(control: CisControl): cloudwatch.Metric {
    return this.resourcesFor(control).metric;
  }

  /**
   * The paging alarm of a control that has exclusions (or precise paging).
   * @returns undefined when the control has a single alarm
   */
  public pagingAlarmFor(control: CisControl): cloudwatch.Alarm | undefined {
    return this.resourcesFor(control).pagingAlarm;
  }

  /** The effective severity of a deployed control (override or documented default). */
  public severityFor(control: CisControl): CisSeverity {
    return this.resourcesFor(control).severity;
  }

  /** The metric filters of a deployed control. */
  public metricFiltersFor(control: CisControl): logs.MetricFilter[] {
    return [...this.resourcesFor(control).metricFilters];
  }

  /** The benchmark's definition (id, title, patterns) of a deployed control in the chosen version. */
  public definitionFor(control: CisControl): CisControlDefinition {
    return this.resourcesFor(control).definition;
  }

  private resourcesFor(control: CisControl): ControlResources {
    const r = this.resources.get(control);
    if (!r) {
      throw new Error(`Control "${control.key}" is not deployed by ${this.node.path}; deployed: ${this.controls.map(c => c.key).join(', ')}.`);
    }
    return r;
  }

  private metricFilter(scope: Construct, id: string, pattern: string, metricName: string): logs.MetricFilter {
    return new logs.MetricFilter(scope, id, {
      logGroup: this.logGroup,
      filterPattern: logs.FilterPattern.literal(pattern),
      metricNamespace: this.metricNamespace,
      metricName,
      metricValue: '1',
    });
  }

  /** The control's deployed pattern first, then the scanner variants that share its metric. */
  private planPatterns(control: CisControl): { texts: string[]; broader: boolean } {
    const plan = planControlPatterns(control, this.benchmarkVersion, this.scanners);
    for (const u of plan.unsatisfiable) {
      Annotations.of(this).addWarningV2(`cdk-cis-monitoring:unsatisfiableScanner:${control.key}`,
        `${control.key}: ${u.scanner} cannot be satisfied: ${u.reason}`);
    }
    if (plan.broaderThanIntended.length > 0) {
      // Expected trade-off of passing every scanner, so info rather than a warning.
      Annotations.of(this).addInfo(`${plan.broaderThanIntended.map(b => b.sentence).join(' ')} The control's alarm counts these events too.`);
    }
    return { texts: plan.patterns.map(p => p.text), broader: plan.broaderThanIntended.length > 0 };
  }

  private selectControls(props: CisMonitoringProps): CisControl[] {
    const version = this.benchmarkVersion;
    const requested = props.controls ?? version.controls();
    for (const c of [...requested, ...(props.excludeControls ?? [])]) {
      if (!c.isIn(version)) {
        throw new Error(`Control "${c.key}" is not part of ${version} (it exists in ${c.versions().map(v => v.version).join(', ')}). Remove it from controls/excludeControls or choose another benchmarkVersion.`);
      }
      if (!c.isMetricFilter) {
        throw new Error(`Control "${c.key}" is not a metric-filter control and cannot be deployed by CisMonitoring. Remove it from controls.`);
      }
    }
    const excluded = new Set(props.excludeControls ?? []);
    const selected = version.controls().filter(c => requested.includes(c) && !excluded.has(c));
    if (selected.length === 0) {
      throw new Error(`The control selection is empty: controls [${requested.map(c => c.key).join(', ')}] minus excludeControls [${[...excluded].map(c => c.key).join(', ')}] leaves nothing to deploy. Select at least one control.`);
    }
    return selected;
  }

  private indexOverrides(overrides: ControlOverrideOptions[]): Map<CisControl, ControlOverrideOptions> {
    const byControl = new Map<CisControl, ControlOverrideOptions>();
    for (const o of overrides) {
      if (byControl.has(o.control)) {
        throw new Error(`controlOverrides lists "${o.control.key}" twice; merge the two entries.`);
      }
      if (!this.controls.includes(o.control)) {
        throw new Error(`controlOverrides names "${o.control.key}", which is not deployed (deployed: ${this.controls.map(c => c.key).join(', ')}). Remove the override or select the control.`);
      }
      byControl.set(o.control, o);
    }
    return byControl;
  }

  private setUpTopic(props: CisMonitoringProps): sns.ITopic {
    const emails = props.emailAddresses ?? [];
    emails.forEach(e => validateEmail(e, 'emailAddresses'));
    const others = props.subscriptions ?? [];

    let topic: sns.ITopic;
    if (props.topic) {
      topic = props.topic;
      this.checkImportedTopic(topic);
    } else {
      topic = new CisAlarmTopic(this, 'AlarmTopic').topic;
    }
    for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
    for (const s of others) topic.addSubscription(s);

    const extraActions = props.additionalAlarmActions ?? [];
    if (!props.topic && emails.length === 0 && others.length === 0 && extraActions.length === 0) {
      Annotations.of(this).addWarningV2('cdk-cis-monitoring:noSubscriber',
        'The alarm topic has no subscriber, so alarms notify nobody and Security Hub fails CloudWatch.1-14. Add emailAddresses, subscriptions or additionalAlarmActions.');
    } else if (emails.length > 0 && others.length === 0 && extraActions.length === 0) {
      Annotations.of(this).addWarningV2('cdk-cis-monitoring:emailOnly',
        'Only email subscriptions: each stays pending until its owner clicks the confirmation link, and Security Hub counts only confirmed subscribers. Confirm them after deploying, or add a non-email subscription.');
    }
    return topic;
  }

  private checkImportedTopic(topic: sns.ITopic): void {
    const cfn = topic.node.defaultChild;
    if (cfn instanceof sns.CfnTopic) {
      // An alias ARN carries region/account tokens, but its literal suffix is still visible.
      const keyId = cfn.kmsMasterKeyId;
      if (typeof keyId === 'string' && /alias\/aws\/sns$/.test(keyId)) {
        throw new Error(`topic ${topic.node.path} is encrypted with the AWS-managed key alias/aws/sns, which CloudWatch alarms cannot use: notifications would be dropped silently. Encrypt it with a customer-managed key whose policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*, or let CisMonitoring create the topic.`);
      }
      return;
    }
    Annotations.of(this).addWarningV2('cdk-cis-monitoring:importedTopicEncryption',
      `The topic ${topic.topicArn} is imported, so its encryption cannot be checked. If it is encrypted, its key must be customer-managed and allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*; with alias/aws/sns alarm notifications are silently dropped.`);
  }

  private defaultAlarmNamePrefix(): string {
    const stackName = Stack.of(this).stackName;
    const base = Token.isUnresolved(stackName) ? this.node.id : `${stackName}-${this.node.id}`;
    return base.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, MAX_ALARM_NAME_LENGTH - 40);
  }
}

/** Parses a pattern before deploying it; returns its regex count. Throws with the parser's message. */
function validatePattern(pattern: string, controlKey: string): number {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new Error(`The filter pattern for "${controlKey}" is ${pattern.length} characters long; CloudWatch Logs allows ${MAX_PATTERN_LENGTH}. Shorten it (fewer exclusions or event names).`);
  }
  let compiled;
  try {
    compiled = FilterPatternEngine.parse(pattern);
  } catch (e) {
    throw new Error(`The filter pattern for "${controlKey}" is invalid: ${(e as Error).message}`);
  }
  if (compiled.regexCount > MAX_REGEX_PER_PATTERN) {
    throw new Error(`The filter pattern for "${controlKey}" has ${compiled.regexCount} %regex% values; CloudWatch Logs allows ${MAX_REGEX_PER_PATTERN} per pattern.`);
  }
  return compiled.regexCount;
}

