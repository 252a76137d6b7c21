import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AlertRelay } from './alert-relay';
import { CisAlarmTopic } from '../alarm-topic';
import { CisBenchmarkVersion } from '../catalog';
import { describeValue } from '../catalog/selection';
import { CisChatDelivery, ChatDeliveryOptions } from '../chat-delivery';
import { CisEventRules } from '../realtime';
import { TopicRuleTarget } from '../realtime/alert-message';
import { allowServiceToPublish } from '../realtime/topic-access';
import { CisSeverity } from '../severity';

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
   * `organizationsRoleArn`. When a lookup fails, the message still goes out
   * and says why the name is missing.
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
   * A role the alert relay assumes to read account names and tags from AWS
   * Organizations, typically in the management account, trusting this account
   * and allowing `organizations:DescribeAccount` and
   * `organizations:ListTagsForResource`.
   * @default - the relay calls Organizations with its own role (the security account must be a delegated administrator)
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
}

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const MAX_THROTTLE_WINDOW = Duration.days(1);
const BUS_NAME = /^[A-Za-z0-9._-]{1,256}$/;
/** Severities with a topic of their own; INFORMATIONAL goes to the LOW topic. */
const ROUTED: CisSeverity[] = [CisSeverity.CRITICAL, CisSeverity.HIGH, CisSeverity.MEDIUM, CisSeverity.LOW];

/**
 * The receiving side of central alerting, in a security (or audit) account:
 * an event bus that every account of the organization, and only those, may
 * put events on (`aws:PrincipalOrgID`), and rules that route what members
 * forward by severity to one topic per severity:
 *
 * - `CloudWatch Alarm State Change` events of the members' CIS alarms going
 *   to ALARM (the severity is the `[SEVERITY]` prefix of the alarm description);
 * - the CloudTrail events the members' real-time rules matched, matched again
 *   here per control (`CisEventRules` on this bus), with messages that name the
 *   member account.
 *
 * Before a person sees a message, the alert relay (a Lambda function) holds
 * back repeats per principal + action + outcome within `throttleWindow`,
 * names the member account and its tags (`enrichment`), and publishes to the
 * severity's topic. With neither, the rules notify the topics directly and
 * the stack has no Lambda function.
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
  /** The rules on members' alarm state changes, one per severity. */
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
   * Where alerts go that could not be delivered (by EventBridge to the relay, or by the relay after its retries).
   * @default - none when there is no relay
   */
  public readonly deadLetterQueue?: sqs.IQueue;
  /**
   * The chat channel configurations.
   * @default - none without `chatDelivery`
   */
  public readonly chatDelivery?: CisChatDelivery;

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
        Condition: { StringEquals: { 'aws:PrincipalOrgID': org } },
      },
    });

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
    const roleArn = props.organizationsRoleArn;
    if (roleArn !== undefined && (typeof roleArn !== 'string' || (!Token.isUnresolved(roleArn) && !ROLE_ARN.test(roleArn)))) {
      throw new Error(`organizationsRoleArn must be an IAM role ARN (for example "arn:aws:iam::111111111111:role/CisAlertRelayOrganizationsRead"), got ${describeValue(roleArn)}.`);
    }
    if (roleArn !== undefined && !enrich) {
      throw new Error('organizationsRoleArn is only used to read account names and tags: remove it, or leave enrichment on.');
    }
    if (props.chatDelivery !== undefined && (props.chatDelivery === null || typeof props.chatDelivery !== 'object' || Array.isArray(props.chatDelivery))) {
      throw new Error(`chatDelivery must be ChatDeliveryOptions (for example { slackChannels: [{ slackWorkspaceId: 'T0123ABCDE', slackChannelId: 'C0123ABCDE' }] }), got ${describeValue(props.chatDelivery)}.`);
    }

    const alarmTopics = new Map<CisSeverity, CisAlarmTopic>();
    for (const severity of ROUTED) {
      const t = new CisAlarmTopic(this, `${severity.charAt(0)}${severity.slice(1).toLowerCase()}Topic`, { displayName: `CIS organization alerts: ${severity}` });
      this.topics.set(severity, t.topic);
      this.alarmTopics.set(severity, t);
      alarmTopics.set(severity, t);
    }

    const relay = enrich || seconds > 0
      ? new AlertRelay(this, 'Relay', {
        topics: alarmTopics,
        enrich,
        throttleWindow: window,
        organizationId: org,
        organizationsRoleArn: roleArn,
        chatFormat: props.chatDelivery !== undefined,
      })
      : undefined;
    this.relayFunction = relay?.function;
    this.throttleTable = relay?.throttleTable;
    this.deadLetterQueue = relay?.deadLetterQueue;

    this.alarmRules = ROUTED.map(severity => {
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
      ].join('\n'))));
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
    this.detectionRules = relay
      ? CisEventRules._withTargets(this, 'Detections', detectionProps, (plan, headline) => [
        relay.target({ kind: 'detection', severity: plan.severity, headline, control: plan.control.key }),
      ])
      : new CisEventRules(this, 'Detections', detectionProps);
    Annotations.of(this.detectionRules).acknowledgeWarning('cdk-cis-monitoring:customEventBus',
      'The members forward their matched CloudTrail events to this bus.');
    Annotations.of(this.detectionRules).acknowledgeWarning('cdk-cis-monitoring:globalEventsRegion',
      'Members forward from every Region they run real-time rules in; give each Region its own bus.');

    if (props.chatDelivery !== undefined) {
      this.chatDelivery = new CisChatDelivery(this, 'Chat', { ...props.chatDelivery, topics: ROUTED.map(s => this.topicFor(s)) });
    }
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
}
