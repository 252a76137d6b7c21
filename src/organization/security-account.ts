import { Annotations, CfnResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AlertRelay } from './alert-relay';
import { registerSecurityAccount } from './cross-checks';
import { alertDeadLetterQueue } from './dead-letters';
import { checkHeartbeatInterval, HEARTBEAT_DETAIL_TYPE, HeartbeatMonitor } from './heartbeat-monitor';
import { StackSetAccountFilter } from './rollout';
import { createAlertPathAlarm } from '../alarm-factory';
import { CisAlarmTopic } from '../alarm-topic';
import { CisBenchmarkVersion } from '../catalog';
import { describeValue } from '../catalog/selection';
import { CisChatDelivery, ChatDeliveryOptions } from '../chat-delivery';
import { API_CALL_DETAIL_TYPE, CONSOLE_SIGN_IN_DETAIL_TYPE } from '../filter-pattern/translate/event-pattern';
import { suppressNagFindings } from '../nag-suppressions';
import { CisEventRules } from '../realtime';
import { alertMessage, TopicRuleTarget } from '../realtime/alert-message';
import { allowServiceToPublish } from '../realtime/topic-access';
import { CisSeverity } from '../severity';

/**
 * Which member accounts must send heartbeats to this Region's bus, and how
 * long a silence is tolerated: the same organizational units and account
 * filter as the `CisOrganizationRollout` that deploys the members.
 */
export interface MemberHeartbeatOptions {
  /**
   * Organizational units (`ou-...`) or the root (`r-...`) the rollout deploys
   * to (`CisOrganizationRollout` `organizationalUnitIds`). Their accounts, in
   * child organizational units too, are resolved through AWS Organizations at
   * each check, so accounts that join are expected without a deployment. The
   * management account (never a StackSet target) and suspended accounts are
   * not expected.
   */
  readonly organizationalUnitIds: string[];

  /**
   * Accounts that narrow or extend the organizational units, as the rollout's `accountIds`.
   * @default - every account of the organizational units
   */
  readonly accountIds?: string[];

  /**
   * How `accountIds` combines with the organizational units, as the rollout's `accountFilter`.
   * @default StackSetAccountFilter.INTERSECTION when `accountIds` is given
   */
  readonly accountFilter?: StackSetAccountFilter;

  /**
   * How often members send a heartbeat (`CisOrganizationRollout`
   * `heartbeatInterval`, give both the same value) and how often this account
   * checks them. Whole minutes, 1 minute to 1 day.
   * @default Duration.minutes(15)
   */
  readonly heartbeatInterval?: Duration;

  /**
   * A member account whose heartbeat has not arrived in this Region for
   * longer than this is reported (to the CRITICAL topic), again after each
   * further period of this length while it stays silent, and once more when
   * its heartbeat is back. At least two heartbeat intervals, at most 7 days.
   * @default - two heartbeat intervals
   */
  readonly silenceAfter?: Duration;
}

/**
 * The security account's queue subscribed to every member's alarm topic
 * (with `CisOrganizationRollout` `securityAccountSubscription`).
 */
export interface MemberTopicSubscriptionOptions {
  /**
   * Name of the members' alarm topic (`CisOrganizationRollout` `memberTopicName`; give both the same).
   * @default 'cis-monitoring-alarms'
   */
  readonly memberTopicName?: string;
}

/** Properties of `CisSecurityAccount`. */
export interface CisSecurityAccountProps {
  /** Id of the AWS Organization whose accounts may put events on the bus (`o-` and 10-32 lower-case letters or digits). */
  readonly organizationId: string;

  /**
   * Name of the event bus members forward to (give the same name to `CisOrganizationRollout`'s `securityEventBusName`).
   * Letters, digits and `. - _`, at most 256 characters.
   * @default 'cis-monitoring'
   */
  readonly eventBusName?: string;

  /**
   * CIS AWS Foundations Benchmark version of the members, for the real-time rules on the bus.
   * @default CisBenchmarkVersion.LATEST
   */
  readonly benchmarkVersion?: CisBenchmarkVersion;

  /**
   * Messages name the member account and list its tags (for example
   * `Environment=prod` or `sandbox`), read from AWS Organizations
   * (`DescribeAccount`, `ListTagsForResource`) by the alert relay, a Lambda
   * function of this construct. Organizations answers these calls in the
   * management account and in delegated administrator accounts only: make the
   * security account a delegated administrator, or give
   * `organizationsRoleArn`. When a lookup fails or times out, the message
   * still goes out and says why the name is missing.
   * @default true
   */
  readonly enrichment?: boolean;

  /**
   * Repeats of the same detection (same member account, control, principal,
   * action and outcome) or of the same member alarm within this window are
   * held back: the first one is delivered, and the first one after the window
   * says how many were held back. Throttling is per principal + action +
   * outcome, so one noisy principal does not mute the others. The windows are
   * kept in a DynamoDB table. `Duration.seconds(0)` turns throttling off.
   * Whole seconds, at most one day, and not a token (it decides whether the
   * table exists).
   * @default Duration.minutes(15)
   */
  readonly throttleWindow?: Duration;

  /**
   * A role the alert relay and the heartbeat monitor assume to read AWS
   * Organizations, typically in the management account, trusting this
   * account and allowing `organizations:DescribeAccount` and
   * `organizations:ListTagsForResource` (enrichment), and
   * `organizations:DescribeOrganization`, `organizations:ListAccountsForParent`
   * and `organizations:ListOrganizationalUnitsForParent` (member heartbeats).
   * @default - they call Organizations with their own roles (the security account must be a delegated administrator)
   */
  readonly organizationsRoleArn?: string;

  /**
   * Slack or Microsoft Teams channels (AWS Chatbot) that receive the messages
   * of every severity topic. With the relay, Chatbot gets its
   * custom-notification format (HTTPS subscribers of the topics get that JSON;
   * email and every other protocol get the text).
   * @default - no chat channel
   */
  readonly chatDelivery?: ChatDeliveryOptions;

  /**
   * Check that every member account sends its heartbeat to this Region (a
   * dead man's switch for the whole forward path: a wrong
   * `securityAccountId`, a missing permission, a deleted or failed member
   * stack). `CisOrganizationRollout` members with `securityAccountId` send
   * one every `heartbeatInterval`.
   * @default - heartbeats are not checked; a member whose forwarding breaks is noticed only by its own dead-letter alarm (a warning says so)
   */
  readonly memberHeartbeats?: MemberHeartbeatOptions;

  /**
   * Subscribe a queue of this account to every member's alarm topic, so that
   * each member has the confirmed subscriber Security Hub counts (its
   * CloudWatch.1-14 controls) without an email confirmation in every account:
   * SNS confirms a subscription by itself when the queue's owner makes it.
   * The heartbeat monitor subscribes on a member's first heartbeat in this
   * Region, again once a day, and reports a subscription that fails (the
   * member's topic missing, its policy refusing). Members need
   * `CisOrganizationRollout` `securityAccountSubscription` (a topic of this
   * name whose policy lets this account subscribe). The queue
   * (`memberAlarmQueue`) receives every member's alarm notifications, kept 14
   * days: the same alarms also arrive on the bus, so nothing needs to read it.
   * Needs `memberHeartbeats`.
   * @default - no subscription: members need a confirmed subscriber of their own (for example email) for Security Hub
   */
  readonly memberTopicSubscriptions?: MemberTopicSubscriptionOptions;
}

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const MAX_THROTTLE_WINDOW = Duration.days(1);
const BUS_NAME = /^[A-Za-z0-9._-]{1,256}$/;
const OU_OR_ROOT = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
const ACCOUNT_ID = /^\d{12}$/;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const MEMBER_ALARM_QUEUE_REASON = 'The queue is the subscriber of the members\' alarm topics (memberTopicSubscriptions), the end of that path; SNS retries its deliveries, and the same alarms also reach the bus.';
/** Severities with a topic of their own; INFORMATIONAL goes to the LOW topic. */
const ROUTED: CisSeverity[] = [CisSeverity.CRITICAL, CisSeverity.HIGH, CisSeverity.MEDIUM, CisSeverity.LOW];
/** Every severity an alarm description may start with; each has a rule. */
const ALL_SEVERITIES: CisSeverity[] = [...ROUTED, CisSeverity.INFORMATIONAL];
/** The only events members forward: alarm state changes, matched CloudTrail events, heartbeats. */
const FORWARDED_DETAIL_TYPES = ['CloudWatch Alarm State Change', API_CALL_DETAIL_TYPE, CONSOLE_SIGN_IN_DETAIL_TYPE, HEARTBEAT_DETAIL_TYPE];
/** A dead letter this old is half-way to SQS deleting it (14 days). */
const DEAD_LETTER_AGE_ALARM = Duration.days(7);

/**
 * The receiving side of central alerting, in a security (or audit) account:
 * an event bus that every account of the organization, and only those, may
 * put events on (`aws:PrincipalOrgID`), and only events AWS services created
 * (`events:source` `aws.*`, which no customer can send), and rules that route
 * what members forward by severity to one topic per severity:
 *
 * - `CloudWatch Alarm State Change` events of the members' CIS alarms going
 *   to ALARM (the severity is the `[SEVERITY]` prefix of the alarm description;
 *   every severity, INFORMATIONAL included, has a rule);
 * - the CloudTrail events the members' real-time rules matched, matched again
 *   here per control (`CisEventRules` on this bus, `source` pinned to AWS
 *   services), with messages that name the member account from the event's
 *   envelope (set by EventBridge), never from its detail (set by the sender).
 *
 * Before a person sees a message, the alert relay (a Lambda function) holds
 * back repeats per principal + action + outcome within `throttleWindow`,
 * names the member account and its tags (`enrichment`), and publishes to the
 * severity's topic. With neither, the rules notify the topics directly and
 * the stack has no relay.
 *
 * Nothing vanishes quietly: every target has a dead-letter queue; alarms on
 * that queue and on the functions' errors and throttles notify the CRITICAL
 * topic straight from CloudWatch (`alertPathAlarms`); with
 * `memberHeartbeats`, a member account whose heartbeat stops is reported.
 *
 * `alarmRules` and `detectionRules.rules` are ordinary EventBridge rules: add
 * any other target (a queue, a SIEM's API destination) with `addTarget`.
 *
 * Members forward with `CisOrganizationRollout` `securityAccountId` and
 * `securityEventBusName`: a cross-account EventBridge target, which needs no
 * KMS grant and no per-account topic policy (unlike cross-account SNS), and
 * keeps each member's own topic, which Security Hub requires. The bus is
 * regional: create one in every Region members forward from.
 *
 * @example
 * const central = new CisSecurityAccount(this, 'Central', { organizationId: 'o-a1b2c3d4e5' });
 * central.topicFor(CisSeverity.CRITICAL).addSubscription(new subscriptions.EmailSubscription('oncall@example.com'));
 */
export class CisSecurityAccount extends Construct {
  /** The bus members forward to. */
  public readonly eventBus: events.EventBus;
  /** The real-time rules on the bus, one per control. */
  public readonly detectionRules: CisEventRules;
  /** The rules on members' alarm state changes, one per severity (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL). */
  public readonly alarmRules: events.Rule[];
  /**
   * The alert relay between the rules and the topics (throttling, enrichment).
   * @default - none when both `enrichment` and throttling are off
   */
  public readonly relayFunction?: lambda.IFunction;
  /**
   * The table of throttle windows.
   * @default - none when throttling is off
   */
  public readonly throttleTable?: dynamodb.ITable;
  /**
   * Where alerts go that could not be delivered: by EventBridge to a target,
   * or by the relay or the heartbeat monitor after their retries. An alarm
   * reports any message in it (`alertPathAlarms`); redrive it after fixing
   * the cause (docs/organizations.md).
   */
  public readonly deadLetterQueue: sqs.IQueue;
  /**
   * Alarms on the alert path itself, each notifying the CRITICAL topic
   * directly from CloudWatch: messages in the dead-letter queue, a dead
   * letter older than 7 days, notifications a severity topic could not
   * deliver to a subscriber, and errors and throttles of the relay and of the
   * heartbeat monitor.
   */
  public readonly alertPathAlarms: cloudwatch.Alarm[];
  /**
   * The function that records member heartbeats and reports silent members.
   * @default - none without `memberHeartbeats`
   */
  public readonly heartbeatFunction?: lambda.IFunction;
  /**
   * The table of the last heartbeat per member account and Region.
   * @default - none without `memberHeartbeats`
   */
  public readonly heartbeatTable?: dynamodb.ITable;
  /**
   * The chat channel configurations.
   * @default - none without `chatDelivery`
   */
  public readonly chatDelivery?: CisChatDelivery;
  /**
   * The queue subscribed to every member's alarm topic.
   * @default - none without `memberTopicSubscriptions`
   */
  public readonly memberAlarmQueue?: sqs.IQueue;

  private readonly topics = new Map<CisSeverity, sns.Topic>();
  private readonly alarmTopics = new Map<CisSeverity, CisAlarmTopic>();

  constructor(scope: Construct, id: string, props: CisSecurityAccountProps) {
    super(scope, id);
    if (props === null || typeof props !== 'object') {
      throw new Error(`CisSecurityAccount props must be an object (CisSecurityAccountProps), got ${describeValue(props)}.`);
    }
    const org = props.organizationId;
    if (typeof org !== 'string' || (!Token.isUnresolved(org) && !ORGANIZATION_ID.test(org))) {
      throw new Error(`organizationId must be an AWS Organizations id ("o-" followed by 10-32 lower-case letters or digits, for example "o-a1b2c3d4e5"), got ${describeValue(org)}.`);
    }
    const busName = props.eventBusName ?? 'cis-monitoring';
    if (typeof busName !== 'string' || Token.isUnresolved(busName) || !BUS_NAME.test(busName) || busName === 'default') {
      throw new Error(`eventBusName must be 1-256 letters, digits or . - _ and not "default" (for example "cis-monitoring"), got ${describeValue(busName)}.`);
    }
    const enrich = props.enrichment ?? true;
    if (typeof enrich !== 'boolean') throw new Error(`enrichment must be true or false, got ${describeValue(enrich)}.`);
    const window = props.throttleWindow ?? Duration.minutes(15);
    if (!(window instanceof Duration)) {
      throw new Error(`throttleWindow must be a Duration (for example Duration.minutes(15), or Duration.seconds(0) for no throttling), got ${describeValue(window)}.`);
    }
    // A token would leave open whether the stack has a throttle table at all.
    if (Token.isUnresolved(window.toSeconds({ integral: false }))) {
      throw new Error('throttleWindow must be a concrete Duration (for example Duration.minutes(15)), not a token: it decides whether the throttle table exists.');
    }
    const seconds = window.toSeconds({ integral: false });
    if (seconds % 1 !== 0 || seconds > MAX_THROTTLE_WINDOW.toSeconds()) {
      throw new Error(`throttleWindow must be whole seconds between 0 and 1 day (${MAX_THROTTLE_WINDOW.toSeconds()} s), got ${window.toHumanString()}.`);
    }
    const heartbeats = checkHeartbeats(props.memberHeartbeats);
    const memberTopicName = checkMemberTopicSubscriptions(props.memberTopicSubscriptions, heartbeats !== undefined);
    const roleArn = props.organizationsRoleArn;
    if (roleArn !== undefined && (typeof roleArn !== 'string' || (!Token.isUnresolved(roleArn) && !ROLE_ARN.test(roleArn)))) {
      throw new Error(`organizationsRoleArn must be an IAM role ARN (for example "arn:aws:iam::111111111111:role/CisAlertRelayOrganizationsRead"), got ${describeValue(roleArn)}.`);
    }
    if (roleArn !== undefined && !enrich && !heartbeats) {
      throw new Error('organizationsRoleArn is only used to read account names and tags (enrichment) and the organization\'s accounts (memberHeartbeats): remove it, or use one of them.');
    }
    if (props.chatDelivery !== undefined && (props.chatDelivery === null || typeof props.chatDelivery !== 'object' || Array.isArray(props.chatDelivery))) {
      throw new Error(`chatDelivery must be ChatDeliveryOptions (for example { slackChannels: [{ slackWorkspaceId: 'T0123ABCDE', slackChannelId: 'C0123ABCDE' }] }), got ${describeValue(props.chatDelivery)}.`);
    }

    this.eventBus = new events.EventBus(this, 'Bus', { eventBusName: busName });
    new events.CfnEventBusPolicy(this, 'OrganizationPolicy', {
      eventBusName: this.eventBus.eventBusName,
      statementId: 'AllowOrganizationPutEvents',
      statement: {
        Sid: 'AllowOrganizationPutEvents',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: this.eventBus.eventBusArn,
        Condition: {
          'StringEquals': { 'aws:PrincipalOrgID': org },
          // What members forward keeps the source an AWS service gave it; PutEvents refuses `aws.` sources to
          // customers, so any event a principal of the organization makes up itself is refused here.
          'ForAllValues:StringLike': { 'events:source': ['aws.*'] },
          'ForAllValues:StringEquals': { 'events:detail-type': FORWARDED_DETAIL_TYPES },
        },
      },
    });

    const alarmTopics = new Map<CisSeverity, CisAlarmTopic>();
    for (const severity of ROUTED) {
      const t = new CisAlarmTopic(this, `${severity.charAt(0)}${severity.slice(1).toLowerCase()}Topic`, { displayName: `CIS organization alerts: ${severity}` });
      this.topics.set(severity, t.topic);
      this.alarmTopics.set(severity, t);
      alarmTopics.set(severity, t);
    }
    const critical = alarmTopics.get(CisSeverity.CRITICAL)!;
    const deadLetters = alertDeadLetterQueue(this, 'DeadLetters');
    this.deadLetterQueue = deadLetters.queue;
    const chatFormat = props.chatDelivery !== undefined;

    const relay = enrich || seconds > 0
      ? new AlertRelay(this, 'Relay', {
        topics: alarmTopics,
        enrich,
        throttleWindow: window,
        organizationId: org,
        organizationsRoleArn: roleArn,
        chatFormat,
        deadLetterQueue: deadLetters.forTargets,
      })
      : undefined;
    this.relayFunction = relay?.function;
    this.throttleTable = relay?.throttleTable;

    this.alarmRules = ALL_SEVERITIES.map(severity => {
      const topic = this.topicFor(severity);
      const rule = new events.Rule(this, `${severity.charAt(0)}${severity.slice(1).toLowerCase()}Alarms`, {
        eventBus: this.eventBus,
        description: `Members' CIS alarms of severity ${severity} going to ALARM`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: {
            state: { value: ['ALARM'] },
            configuration: { description: [{ prefix: `[${severity}] ` }] },
          },
        },
      });
      if (relay) {
        rule.addTarget(relay.target({ kind: 'alarm', severity }));
        return rule;
      }
      allowServiceToPublish(this, topic, 'events.amazonaws.com');
      const f = (p: string) => events.EventField.fromPath(p);
      rule.addTarget(new TopicRuleTarget(topic, events.RuleTargetInput.fromText([
        `[${severity}] CIS alarm ${f('$.detail.alarmName')} is in ALARM`,
        `Where: member account ${f('$.account')}, region ${f('$.region')}`,
        `When: ${f('$.time')}`,
        `Why: ${f('$.detail.state.reason')}`,
      ].join('\n')), deadLetters.forTargets));
      return rule;
    });

    const detectionProps = {
      topic: this.topicFor(CisSeverity.LOW),
      eventBus: this.eventBus,
      benchmarkVersion: props.benchmarkVersion,
      nameMemberAccount: true,
      // Forwarded events arrive as the members' rules matched them; the rule state for read-only events applies to the default bus only.
      readOnlyManagementEvents: false,
      severityRoutes: ROUTED.filter(s => s !== CisSeverity.LOW).map(severity => ({ severity, topic: this.topicFor(severity) })),
    };
    this.detectionRules = CisEventRules._withTargets(this, 'Detections', detectionProps, (plan, headline) => {
      if (relay) return [relay.target({ kind: 'detection', severity: plan.severity, headline, control: plan.control.key })];
      const topic = this.topicFor(plan.severity);
      allowServiceToPublish(this, topic, 'events.amazonaws.com');
      return [new TopicRuleTarget(topic, alertMessage(headline, true), deadLetters.forTargets)];
    });
    Annotations.of(this.detectionRules).acknowledgeWarning('cdk-cis-monitoring:customEventBus',
      'The members forward their matched CloudTrail events to this bus.');
    Annotations.of(this.detectionRules).acknowledgeWarning('cdk-cis-monitoring:globalEventsRegion',
      'Members forward from every Region they run real-time rules in; give each Region its own bus.');

    let subscription: { queue: sqs.IQueue; memberTopicName: string } | undefined;
    if (memberTopicName) {
      const queue = new sqs.Queue(this, 'MemberAlarms', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      const stack = Stack.of(this);
      queue.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowMemberAlarmTopics',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: { ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:sns:${stack.region}:*:${memberTopicName}` } },
      }));
      suppressNagFindings(queue.node.defaultChild as CfnResource, [{ id: 'AwsSolutions-SQS3', reason: MEMBER_ALARM_QUEUE_REASON }]);
      this.memberAlarmQueue = queue;
      subscription = { queue, memberTopicName };
    }

    let monitor: HeartbeatMonitor | undefined;
    if (heartbeats) {
      monitor = new HeartbeatMonitor(this, 'Heartbeats', {
        eventBus: this.eventBus,
        topic: critical,
        deadLetterQueue: deadLetters.forTargets,
        organizationId: org,
        organizationsRoleArn: roleArn,
        chatFormat,
        expected: {
          organizationalUnitIds: heartbeats.organizationalUnitIds,
          ...(heartbeats.accountIds ? { accountIds: heartbeats.accountIds, accountFilter: heartbeats.accountFilter } : {}),
        },
        interval: heartbeats.interval,
        silenceAfter: heartbeats.silenceAfter,
        subscription,
      });
      this.heartbeatFunction = monitor.function;
      this.heartbeatTable = monitor.table;
    } else {
      Annotations.of(this).addWarningV2('cdk-cis-monitoring:memberHeartbeatsOff',
        'memberHeartbeats is not set, so nobody is told when a member account stops forwarding (a wrong securityAccountId, a missing permission, a deleted or failed member stack): only the member\'s own dead-letter alarm, on its own topic, would say so. Give memberHeartbeats the organizational units of your CisOrganizationRollout.');
    }

    this.alertPathAlarms = this.createAlertPathAlarms(deadLetters.queue, critical.topic, relay?.function, monitor?.function);

    if (chatFormat) {
      this.chatDelivery = new CisChatDelivery(this, 'Chat', { ...props.chatDelivery, topics: ROUTED.map(s => this.topicFor(s)) });
    }

    registerSecurityAccount({
      construct: this,
      eventBusName: busName,
      heartbeats: heartbeats && {
        organizationalUnitIds: heartbeats.organizationalUnitIds,
        accountIds: heartbeats.accountIds,
        accountFilter: heartbeats.accountFilter,
        interval: heartbeats.interval,
        silenceAfter: heartbeats.silenceAfter,
      },
      memberTopicName,
    });
  }

  /**
   * The topic of a severity with its key, for constructs of this library that
   * publish to it (the evidence reporter).
   * @internal
   */
  public _alarmTopicFor(severity: CisSeverity): CisAlarmTopic {
    return this.alarmTopics.get(severity === CisSeverity.INFORMATIONAL ? CisSeverity.LOW : severity)!;
  }

  /** The topic of a severity (INFORMATIONAL shares the LOW topic). */
  public topicFor(severity: CisSeverity): sns.ITopic {
    const topic = this.topics.get(severity === CisSeverity.INFORMATIONAL ? CisSeverity.LOW : severity);
    if (!topic) throw new Error(`severity must be a CisSeverity, got ${describeValue(severity)}.`);
    return topic;
  }

  /** Alarms that do not depend on what they watch: CloudWatch notifies the CRITICAL topic itself. */
  private createAlertPathAlarms(queue: sqs.Queue, topic: sns.ITopic, relay?: lambda.Function, monitor?: lambda.Function): cloudwatch.Alarm[] {
    const period = Duration.minutes(5);
    const fix = 'See "Threat model and failures" in docs/organizations.md (redrive).';
    const alarms = [
      createAlertPathAlarm(this, 'DeadLettersAlarm', {
        description: `Alerts of the organization were not delivered and wait in the dead-letter queue (SQS ${queue.node.path}). Find the cause in the relay's and the heartbeat monitor's logs, then redrive the messages. ${fix}`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        threshold: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
      createAlertPathAlarm(this, 'DeadLettersAgeAlarm', {
        description: `An undelivered alert has waited in the dead-letter queue (SQS ${queue.node.path}) for 7 days; SQS deletes it after 14. Redrive it now. ${fix}`,
        metric: queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        threshold: DEAD_LETTER_AGE_ALARM.toSeconds(),
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }),
    ];
    for (const [severity, t] of this.topics) {
      alarms.push(createAlertPathAlarm(this, `${severity.charAt(0)}${severity.slice(1).toLowerCase()}TopicDeliveryAlarm`, {
        description: `SNS could not deliver messages of the ${severity} topic to a subscriber (an endpoint down, a Chatbot channel misconfigured, a queue's policy or key) after its retries: those recipients missed alerts. The topic's delivery status logs or the subscriber's side say which.`,
        metric: t.metricNumberOfNotificationsFailed({ period, statistic: 'Sum' }),
        threshold: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }));
    }
    for (const [fn, what] of [[relay, 'alert relay'], [monitor, 'heartbeat monitor']] as const) {
      if (!fn) continue;
      const name = what === 'alert relay' ? 'Relay' : 'HeartbeatMonitor';
      alarms.push(createAlertPathAlarm(this, `${name}ErrorsAlarm`, {
        description: `The ${what} (Lambda) failed: its event is retried and, if it keeps failing, kept in the dead-letter queue. Its log says why. ${fix}`,
        metric: fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }));
      alarms.push(createAlertPathAlarm(this, `${name}ThrottlesAlarm`, {
        description: `Lambda throttled the ${what}: its events wait and are retried for up to 6 hours, then kept in the dead-letter queue. Raise the account's concurrency or reserve some for it. ${fix}`,
        metric: fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        topic,
      }));
    }
    return alarms;
  }
}

/** The members' topic name with `memberTopicSubscriptions`, else undefined. */
function checkMemberTopicSubscriptions(options: MemberTopicSubscriptionOptions | undefined, heartbeats: boolean): string | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`memberTopicSubscriptions must be MemberTopicSubscriptionOptions (for example {} or { memberTopicName: 'cis-monitoring-alarms' }), got ${describeValue(options)}.`);
  }
  if (!heartbeats) {
    throw new Error('memberTopicSubscriptions subscribes on each member\'s heartbeat, so it needs memberHeartbeats: add memberHeartbeats with the rollout\'s organizational units, or remove memberTopicSubscriptions.');
  }
  const name = options.memberTopicName ?? 'cis-monitoring-alarms';
  if (typeof name !== 'string' || Token.isUnresolved(name) || !TOPIC_NAME.test(name)) {
    throw new Error(`memberTopicSubscriptions.memberTopicName must be 1-256 letters, digits, - and _ (the rollout's memberTopicName, for example "cis-monitoring-alarms"), got ${describeValue(name)}.`);
  }
  return name;
}

/** The heartbeat options, checked, with their defaults. */
function checkHeartbeats(options: MemberHeartbeatOptions | undefined) {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`memberHeartbeats must be MemberHeartbeatOptions (for example { organizationalUnitIds: ['ou-ab12-cdef3456'] }), got ${describeValue(options)}.`);
  }
  const ous = options.organizationalUnitIds;
  if (!Array.isArray(ous) || ous.length === 0) {
    throw new Error(`memberHeartbeats.organizationalUnitIds must list the organizational units (or the root) of your CisOrganizationRollout, got ${describeValue(ous)}.`);
  }
  ous.forEach((ou, i) => {
    if (typeof ou !== 'string' || Token.isUnresolved(ou) || !OU_OR_ROOT.test(ou)) {
      throw new Error(`memberHeartbeats.organizationalUnitIds[${i}] must be an organizational unit id ("ou-ab12-cdef3456") or the root id ("r-ab12"), got ${describeValue(ou)}.`);
    }
  });
  const accountIds = options.accountIds;
  if (accountIds !== undefined) {
    if (!Array.isArray(accountIds) || accountIds.length === 0) {
      throw new Error(`memberHeartbeats.accountIds must be a non-empty list of 12-digit account ids, got ${describeValue(accountIds)}.`);
    }
    accountIds.forEach((a, i) => {
      if (typeof a !== 'string' || Token.isUnresolved(a) || !ACCOUNT_ID.test(a)) {
        throw new Error(`memberHeartbeats.accountIds[${i}] must be a 12-digit account id, got ${describeValue(a)}.`);
      }
    });
  }
  const filter = options.accountFilter;
  if (filter !== undefined && !Object.values(StackSetAccountFilter).includes(filter)) {
    throw new Error(`memberHeartbeats.accountFilter is ${describeValue(filter)}; use StackSetAccountFilter.INTERSECTION, DIFFERENCE or UNION.`);
  }
  if (filter !== undefined && accountIds === undefined) {
    throw new Error(`memberHeartbeats.accountFilter ${filter} needs accountIds: list the accounts it applies to, or remove accountFilter.`);
  }
  const interval = checkHeartbeatInterval(options.heartbeatInterval, 'memberHeartbeats.heartbeatInterval');
  const silenceAfter = options.silenceAfter ?? Duration.seconds(interval.toSeconds() * 2);
  if (!(silenceAfter instanceof Duration) || Token.isUnresolved(silenceAfter.toSeconds({ integral: false }))) {
    throw new Error(`memberHeartbeats.silenceAfter must be a concrete Duration (for example Duration.minutes(30)), got ${describeValue(silenceAfter)}.`);
  }
  const bound = silenceAfter.toSeconds({ integral: false });
  if (bound % 60 !== 0 || bound < 2 * interval.toSeconds() || bound > Duration.days(7).toSeconds()) {
    throw new Error(`memberHeartbeats.silenceAfter must be whole minutes, at least two heartbeat intervals (${interval.toHumanString()} each: a single late heartbeat must not page anyone) and at most 7 days, got ${silenceAfter.toHumanString()}.`);
  }
  return {
    organizationalUnitIds: [...ous],
    accountIds: accountIds ? [...accountIds] : undefined,
    accountFilter: accountIds ? (filter ?? StackSetAccountFilter.INTERSECTION) : undefined,
    interval,
    silenceAfter,
  };
}
