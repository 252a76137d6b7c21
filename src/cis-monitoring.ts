import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AlarmDescriptionOptions, AlarmRole, buildAlarmDescription, validateAlarmDescriptionOptions } from './alarm-description';
import { createMonitoredMetric } from './alarm-factory';
import { CisAlarmTopic } from './alarm-topic';
import { addMetricFilters, claimMetric } from './app-registry';
import { CisBenchmarkVersion, CisControl, CisControlDefinition } from './catalog';
import { asVersion, controlConstructId, asControl, describeValue } from './catalog/selection';
import { ChatDeliveryOptions, CisChatDelivery } from './chat-delivery';
import { CisTrail, CisTrailOptions } from './cis-trail';
import { CisDashboardOptions, createCisDashboard, DashboardControlInput, validateDashboardOptions } from './dashboard';
import { Exclusion } from './exclusions';
import { CisExtendedDetections, ExtendedDetection } from './extended';
import { InsightsFilter } from './filter-pattern/translate/insights';
import { ControlPlan, ResourceRole } from './plan/control-plan';
import { CisInvestigationQueries } from './queries';
import { MAX_ALARM_NAME_LENGTH } from './quotas';
import { CisEventRules } from './realtime';
import { Scanner } from './scanners';
import { ALL_SCANNERS } from './scanners/rules';
import { CisSeverity, resolveSeverityActions, SeverityOverrideOptions, SeverityRouteOptions } from './severity';
import { validateAlarmNamePrefix, validateEmail, validateNamespace } from './validation';

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
   * No longer has any effect: each control's extra scanner texts publish the
   * value 0 to its metric, so every compliance alarm already counts exactly
   * the events of the CIS pattern.
   * @default false
   * @deprecated The compliance alarm counts the CIS pattern only; remove this option.
   */
  readonly precisePagingAlarms?: boolean;

  /**
   * Where compliance alarms notify when a control also has a paging alarm
   * (`exclusions`). It needs a confirmed subscriber for
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

  /**
   * The log group receives an organization trail, so the alarms count the
   * events of every member account: alarm descriptions say so and their
   * Insights query counts by `recipientAccountId`, real-time messages name the
   * member account, and the saved queries break results down by it. Security
   * Hub reports CloudWatch.1-14 in this account only; members get NO_DATA
   * (see `CisOrganizationRollout` and docs/organizations.md for PASS per member).
   * @default - true when `trailOptions.isOrganizationTrail` is true, otherwise false
   */
  readonly organizationTrail?: boolean;
}

/** What the construct created for one control. */
interface ControlResources {
  readonly plan: ControlPlan;
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
  /** Whether the log group receives an organization trail (every member account). */
  public readonly organizationTrail: boolean;
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

  /** By control key. */
  private readonly resources = new Map<string, ControlResources>();

  constructor(scope: Construct, id: string, props: CisMonitoringProps = {}) {
    super(scope, id);
    checkProps(props);
    this.benchmarkVersion = props.benchmarkVersion === undefined ? CisBenchmarkVersion.LATEST : asVersion(props.benchmarkVersion, 'benchmarkVersion');
    this.metricNamespace = props.metricNamespace ?? DEFAULT_NAMESPACE;
    validateNamespace(this.metricNamespace);
    const alarmNamePrefix = props.alarmNamePrefix ?? this.defaultAlarmNamePrefix();
    validateAlarmNamePrefix(alarmNamePrefix);
    this.scanners = props.scanners === undefined ? [...ALL_SCANNERS] : [...props.scanners];

    const plans = ControlPlan.build({
      benchmarkVersion: this.benchmarkVersion,
      controls: props.controls,
      excludeControls: props.excludeControls,
      provides: 'alarm',
      scanners: this.scanners,
      exclusions: props.exclusions,
      controlOverrides: props.controlOverrides,
      severityOverrides: props.severityOverrides,
      severityRoutes: props.severityRoutes,
    });
    this.controls = plans.map(p => p.control);
    this.annotatePlans(plans, props);
    validateAlarmDescriptionOptions(props.alarmDescription);
    if (props.dashboard !== false) validateDashboardOptions(props.dashboardOptions);

    // Log group: the user's, or a CIS-grade trail of our own.
    if (props.logGroup && props.trailOptions) {
      throw new Error('trailOptions only apply when CisMonitoring creates the trail; remove trailOptions or logGroup.');
    }
    const trailIsOrganization = props.trailOptions?.isOrganizationTrail === true;
    if (props.organizationTrail !== undefined && typeof props.organizationTrail !== 'boolean') {
      throw new Error(`organizationTrail must be true or false, got ${JSON.stringify(props.organizationTrail)}.`);
    }
    if (props.organizationTrail === false && trailIsOrganization) {
      throw new Error('organizationTrail is false but trailOptions.isOrganizationTrail is true: the created trail records every member account. Remove organizationTrail (it follows the trail) or set isOrganizationTrail to false.');
    }
    this.organizationTrail = props.organizationTrail ?? trailIsOrganization;
    if (props.logGroup) {
      this.logGroup = props.logGroup;
    } else {
      const cisTrail = new CisTrail(this, 'CloudTrail', props.trailOptions);
      this.logGroup = cisTrail.logGroup;
      this.trail = cisTrail.trail;
    }

    this.topic = this.setUpTopic(props);
    const defaultActions: cloudwatch.IAlarmAction[] = [new cloudwatchActions.SnsAction(this.topic), ...(props.additionalAlarmActions ?? [])];
    const complianceActions: cloudwatch.IAlarmAction[] = [new cloudwatchActions.SnsAction(props.complianceTopic ?? this.topic)];
    const okActions: cloudwatch.IAlarmAction[] = props.notifyOnOk ? [new cloudwatchActions.SnsAction(this.topic)] : [];

    for (const plan of plans) {
      const routed = resolveSeverityActions(plan, defaultActions);
      this.resources.set(plan.control.key, this.deployControl(plan, {
        alarmNamePrefix,
        actions: routed.alarmActions,
        complianceActions,
        okActions,
        descriptionOptions: props.alarmDescription,
      }));
      if (!plan.paging && !routed.notifiesSnsTopic) {
        Annotations.of(this).addWarningV2(`cdk-cis-monitoring:noSnsAction:${plan.control.key}`,
          `${plan.control.key}: the ${plan.severity} route has no SNS topic, so its alarm notifies no topic and Security Hub fails the control. Give the route a topic or set includeDefaultActions.`);
      }
    }
    const all = plans.map(p => this.resourcesFor(p.control));
    this.alarms = all.map(r => r.alarm);
    this.pagingAlarms = all.flatMap(r => (r.pagingAlarm ? [r.pagingAlarm] : []));
    this.metricFilters = all.flatMap(r => [...r.metricFilters, ...(r.pagingMetricFilter ? [r.pagingMetricFilter] : [])]);
    const planned = plans.flatMap(p => [...p.filters, ...(p.paging ? [p.paging.filter] : [])]);
    addMetricFilters(this, this.logGroup, planned.length, planned.filter(f => f.regexCount > 0).length);

    if (this.pagingAlarms.length > 0 && !props.complianceTopic) {
      Annotations.of(this).addWarningV2('cdk-cis-monitoring:complianceAlarmsOnPagingTopic',
        'Controls with a paging alarm keep a compliance alarm, and without complianceTopic it notifies the same topic, so the events the exclusions remove from paging still reach that topic. Set complianceTopic (an audit topic with a confirmed subscriber).');
    }

    if (props.dashboard !== false) {
      this.dashboard = createCisDashboard(this, 'Dashboard', `${this.benchmarkVersion}`, plans.map((plan): DashboardControlInput => {
        const r = this.resourcesFor(plan.control);
        return { plan, metric: r.metric, alarm: r.alarm, pagingMetric: r.pagingMetric, pagingAlarm: r.pagingAlarm };
      }), props.dashboardOptions);
    }

    if (props.realtimeRules) {
      if (this.organizationTrail) {
        Annotations.of(this).addWarningV2('cdk-cis-monitoring:organizationRealtimeRules',
          'realtimeRules with an organization trail: EventBridge delivers each CloudTrail event in the account where it happened, so these rules see this account\'s events only, while the alarms count every member. For real-time alerts on members, roll out member stacks with realtimeRules (CisOrganizationRollout).');
      }
      this.eventRules = CisEventRules._fromPlans(this, 'RealTime', plans, { topic: this.topic, nameMemberAccount: this.organizationTrail || undefined });
    }
    if (props.investigationQueries) {
      this.investigationQueries = CisInvestigationQueries._fromPlans(this, 'Queries', plans, { logGroup: this.logGroup, organizationTrail: this.organizationTrail || undefined });
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
    return this.resourcesFor(control).plan.severity;
  }

  /** The metric filters of a deployed control. */
  public metricFiltersFor(control: CisControl): logs.MetricFilter[] {
    return [...this.resourcesFor(control).metricFilters];
  }

  /** The benchmark's definition (id, title, patterns) of a deployed control in the chosen version. */
  public definitionFor(control: CisControl): CisControlDefinition {
    return this.resourcesFor(control).plan.definition;
  }

  private resourcesFor(control: CisControl): ControlResources {
    const r = this.resources.get(asControl(control, 'control').key);
    if (!r) {
      throw new Error(`Control "${control.key}" is not deployed by ${this.node.path}; deployed: ${this.controls.map(c => c.key).join(', ')}.`);
    }
    return r;
  }

  /**
   * The control's filters and compliance alarm, and its paging filter and
   * alarm when exclusions apply. Construct IDs derive from the stable key
   * only, so a version change updates in place; the compliance alarm keeps the
   * ID "Alarm" whether or not a paging alarm is added later, so its history survives.
   */
  private deployControl(plan: ControlPlan, wiring: {
    alarmNamePrefix: string;
    actions: cloudwatch.IAlarmAction[];
    complianceActions: cloudwatch.IAlarmAction[];
    okActions: cloudwatch.IAlarmAction[];
    descriptionOptions?: AlarmDescriptionOptions;
  }): ControlResources {
    const key = plan.control.key;
    const scope = new Construct(this, controlConstructId(key));
    const describe = (role: AlarmRole, insights: InsightsFilter | undefined) => buildAlarmDescription(this, {
      definition: plan.definition,
      severity: plan.severity,
      threshold: plan.alarm.threshold,
      period: plan.alarm.period,
      evaluationPeriods: plan.alarm.evaluationPeriods,
      logGroupName: this.logGroup.logGroupName,
      role,
      exclusions: role === AlarmRole.PAGING ? [...plan.exclusions] : [],
      insights,
      options: wiring.descriptionOptions,
      organizationTrail: this.organizationTrail,
    });

    claimMetric(this, this.metricNamespace, plan.metricName);
    const compliance = createMonitoredMetric(scope, {
      logGroup: this.logGroup,
      namespace: this.metricNamespace,
      metricName: plan.metricName,
      period: plan.alarm.period,
      filters: plan.filters.map((f, i) => ({
        id: i === 0 ? 'MetricFilter' : `MetricFilter${i + 1}`,
        pattern: f.text,
        metricName: f.metricName,
        metricValue: f.metricValue,
        label: plan.label(f.role),
      })),
      alarmId: 'Alarm',
      alarm: {
        alarmName: `${wiring.alarmNamePrefix}-${key}`,
        alarmDescription: describe(plan.paging ? AlarmRole.COMPLIANCE : AlarmRole.SINGLE, plan.insightsFilter),
        threshold: plan.alarm.threshold,
        evaluationPeriods: plan.alarm.evaluationPeriods,
        alarmActions: plan.paging ? wiring.complianceActions : wiring.actions,
        okActions: wiring.okActions,
        label: plan.label(ResourceRole.COMPLIANCE),
      },
    });
    const resources: ControlResources = {
      plan,
      metricFilters: compliance.metricFilters,
      metric: compliance.metric,
      alarm: compliance.alarm,
    };
    if (!plan.paging) return resources;

    const pagingFilter = plan.paging.filter;
    claimMetric(this, this.metricNamespace, pagingFilter.metricName);
    const paging = createMonitoredMetric(scope, {
      logGroup: this.logGroup,
      namespace: this.metricNamespace,
      metricName: pagingFilter.metricName,
      period: plan.alarm.period,
      filters: [{
        id: 'PagingMetricFilter',
        pattern: pagingFilter.text,
        metricName: pagingFilter.metricName,
        metricValue: pagingFilter.metricValue,
        label: plan.label(ResourceRole.PAGING),
      }],
      alarmId: 'PagingAlarm',
      alarm: {
        alarmName: `${wiring.alarmNamePrefix}-${key}-paging`,
        alarmDescription: describe(AlarmRole.PAGING, plan.pagingInsightsFilter),
        threshold: plan.alarm.threshold,
        evaluationPeriods: plan.alarm.evaluationPeriods,
        alarmActions: wiring.actions,
        okActions: wiring.okActions,
        label: plan.label(ResourceRole.PAGING),
      },
    });
    return { ...resources, pagingMetricFilter: paging.metricFilters[0], pagingMetric: paging.metric, pagingAlarm: paging.alarm };
  }

  /** Tells the user what the scanner planning and the options mean for each control. */
  private annotatePlans(plans: ControlPlan[], props: CisMonitoringProps): void {
    for (const plan of plans) {
      const key = plan.control.key;
      for (const u of plan.scannerPlan.unsatisfiable) {
        Annotations.of(this).addWarningV2(`cdk-cis-monitoring:unsatisfiableScanner:${key}`, `${key}: ${u.scanner} cannot be satisfied: ${u.reason}`);
      }
      if (plan.scannerPlan.broaderThanIntended.length > 0) {
        // Expected, and harmless to the count: scanner texts publish 0.
        Annotations.of(this).addInfo(`${plan.scannerPlan.broaderThanIntended.map(b => b.sentence).join(' ')} That text publishes the value 0, so the alarm counts only the CIS pattern's events.`);
      }
    }
    if (props.precisePagingAlarms) {
      Annotations.of(this).addWarningV2('cdk-cis-monitoring:precisePagingAlarmsObsolete',
        'precisePagingAlarms has no effect: scanner texts publish the value 0, so every compliance alarm already counts exactly the CIS pattern\'s events. Remove the option.');
    }
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

/**
 * Catches misuse from JavaScript and other jsii languages that TypeScript's
 * types would have caught: a string where a log group or topic is expected
 * otherwise fails deep inside aws-cdk-lib with a message that names neither.
 */
function checkProps(props: CisMonitoringProps): void {
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    throw new Error(`CisMonitoring props must be an object (CisMonitoringProps), got ${describeValue(props)}.`);
  }
  expectConstruct(props.logGroup, 'logGroup', 'ILogGroup (for example logs.LogGroup.fromLogGroupName(this, "Trail", "name"))', 'logGroupName');
  expectConstruct(props.topic, 'topic', 'ITopic (for example sns.Topic.fromTopicArn(this, "Topic", "arn:..."))', 'topicArn');
  expectConstruct(props.complianceTopic, 'complianceTopic', 'ITopic', 'topicArn');
  (props.severityRoutes ?? []).forEach((r, i) => expectConstruct(r?.topic, `severityRoutes[${i}].topic`, 'ITopic', 'topicArn'));
}

function expectConstruct(value: unknown, prop: string, expected: string, attribute: string): void {
  if (value === undefined) return;
  const ok = value !== null && typeof value === 'object' && typeof (value as { node?: unknown }).node === 'object' && attribute in (value as object);
  if (!ok) throw new Error(`${prop} must be an ${expected}, got ${describeValue(value)}.`);
}
