import { Annotations, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CisAlarmTopic } from '../alarm-topic';
import { CisBenchmarkVersion } from '../catalog';
import { describeValue } from '../catalog/selection';
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
}

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
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

  private readonly topics = new Map<CisSeverity, sns.Topic>();

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

    for (const severity of ROUTED) {
      const t = new CisAlarmTopic(this, `${severity.charAt(0)}${severity.slice(1).toLowerCase()}Topic`, { displayName: `CIS organization alerts: ${severity}` });
      this.topics.set(severity, t.topic);
    }

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

    this.detectionRules = new CisEventRules(this, 'Detections', {
      topic: this.topicFor(CisSeverity.LOW),
      eventBus: this.eventBus,
      benchmarkVersion: props.benchmarkVersion,
      nameMemberAccount: true,
      // Forwarded events arrive as the members' rules matched them; the rule state for read-only events applies to the default bus only.
      readOnlyManagementEvents: false,
      severityRoutes: ROUTED.filter(s => s !== CisSeverity.LOW).map(severity => ({ severity, topic: this.topicFor(severity) })),
    });
    Annotations.of(this.detectionRules).acknowledgeWarning('cdk-cis-monitoring:customEventBus',
      'The members forward their matched CloudTrail events to this bus.');
    Annotations.of(this.detectionRules).acknowledgeWarning('cdk-cis-monitoring:globalEventsRegion',
      'Members forward from every Region they run real-time rules in; give each Region its own bus.');
  }

  /** The topic of a severity (INFORMATIONAL shares the LOW topic). */
  public topicFor(severity: CisSeverity): sns.ITopic {
    const topic = this.topics.get(severity === CisSeverity.INFORMATIONAL ? CisSeverity.LOW : severity);
    if (!topic) throw new Error(`severity must be a CisSeverity, got ${describeValue(severity)}.`);
    return topic;
  }
}
