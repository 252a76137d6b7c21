import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createHandlerFunction } from './handler-function';
import { CisAlarmTopic } from '../alarm-topic';
import { describeValue } from '../catalog/selection';
import { forPacks, suppressNagFindings } from '../nag-suppressions';

const NIST_AND_HIPAA = ['NIST.800.53.R5', 'HIPAA.Security'];
const TABLE_REASON = 'The table holds the last heartbeat of each member account and Region, rebuilt by the next heartbeats; point-in-time recovery is on, a backup plan would keep nothing of value.';
const POLICY_REASON = 'GenerateDataKey* covers the two data-key calls SNS makes for an encrypted topic, on the topic\'s own key only; DescribeOrganization takes no resource; the organizational unit and root ARNs name the management account, which the security account does not know, and the organization id pins them; members\' topics (memberTopicSubscriptions) are in accounts that join at any time, subscribed only with this account\'s queue.';

/** Room for memberHeartbeats' list in the monitor's 4 KB Lambda environment (the other variables take the rest). */
const MAX_EXPECTED_TARGETS_CHARS = 3000;

/** The `EventBridge` detail type of a scheduled rule's event (what members send as heartbeats). */
export const HEARTBEAT_DETAIL_TYPE = 'Scheduled Event';
/** The `source` of a scheduled rule's event: set by EventBridge, no customer can put it. */
export const HEARTBEAT_SOURCE = 'aws.events';

/** The accounts the rollout deploys to, as the heartbeat monitor resolves them (internal). */
export interface ExpectedTargets {
  readonly organizationalUnitIds: string[];
  readonly accountIds?: string[];
  readonly accountFilter?: string;
}

/** What the heartbeat monitor is configured with (internal; see `MemberHeartbeatOptions`). */
export interface HeartbeatMonitorProps {
  readonly eventBus: events.IEventBus;
  /** Where silent and resumed members are reported (the CRITICAL topic). */
  readonly topic: CisAlarmTopic;
  readonly deadLetterQueue: sqs.IQueue;
  readonly organizationId: string;
  readonly organizationsRoleArn?: string;
  readonly chatFormat: boolean;
  readonly expected: ExpectedTargets;
  /** How often members send a heartbeat, and how often the monitor checks. */
  readonly interval: Duration;
  /** Silence longer than this is reported. */
  readonly silenceAfter: Duration;
  /**
   * Subscribe this queue to each member's topic of this name on the member's
   * heartbeats (`memberTopicSubscriptions`).
   * @default - no subscriptions
   */
  readonly subscription?: { readonly queue: sqs.IQueue; readonly memberTopicName: string };
}

/**
 * The dead man's switch of the alert path (internal): records every member's
 * heartbeat (a scheduled rule in the member that forwards through the same
 * role and target as its alarms) and, on a schedule, reports each member
 * account whose heartbeat has not arrived in this Region for longer than
 * `silenceAfter`. Code: `relay-handler/heartbeat.js`.
 */
export class HeartbeatMonitor extends Construct {
  public readonly function: lambda.Function;
  public readonly table: dynamodb.Table;
  /** The rule on the bus that hands heartbeats to the function. */
  public readonly heartbeatRule: events.Rule;
  /** The scheduled rule that starts each check. */
  public readonly checkRule: events.Rule;

  constructor(scope: Construct, id: string, props: HeartbeatMonitorProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.table = new dynamodb.Table(this, 'Heartbeats', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // Rebuilt by the next heartbeats: nothing to keep when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const cfnTable = this.table.node.defaultChild as dynamodb.CfnTable;
    // Set on the L1: the L2 property of the aws-cdk-lib floor is deprecated in newer releases.
    cfnTable.pointInTimeRecoverySpecification = { pointInTimeRecoveryEnabled: true };
    suppressNagFindings(cfnTable, forPacks(NIST_AND_HIPAA, 'DynamoDBInBackupPlan', TABLE_REASON));

    const statements = [
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topic.topicArn] }),
      new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: [props.topic.encryptionKey.keyArn] }),
      new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Scan'], resources: [this.table.tableArn] }),
    ];
    const environment: Record<string, string> = {
      HEARTBEAT_TABLE: this.table.tableName,
      ALERT_TOPIC: props.topic.topic.topicArn,
      SILENCE_AFTER_SECONDS: String(props.silenceAfter.toSeconds()),
      EXPECTED_TARGETS: JSON.stringify(props.expected),
      CHAT_FORMAT: String(props.chatFormat),
    };
    // Lambda takes at most 4 KB of environment in all: a long list would deploy nothing but a failed stack update.
    if (environment.EXPECTED_TARGETS.length > MAX_EXPECTED_TARGETS_CHARS) {
      throw new Error(`memberHeartbeats lists too many organizational units and accounts for the heartbeat monitor's configuration (${environment.EXPECTED_TARGETS.length} characters as JSON; Lambda takes 4 KB of environment in all, this list at most ${MAX_EXPECTED_TARGETS_CHARS}). Name organizational units instead of accounts, or fewer of them.`);
    }
    const organizationResources = [
      `arn:${stack.partition}:organizations::*:ou/${props.organizationId}/*`,
      `arn:${stack.partition}:organizations::*:root/${props.organizationId}/*`,
    ];
    const memberTopics = `arn:${stack.partition}:sns:${stack.region}:*:${props.subscription?.memberTopicName}`;
    if (props.subscription) {
      // Members' topics of that name in this Region, any account: the topic policy of each admits only this account.
      statements.push(new iam.PolicyStatement({
        actions: ['sns:Subscribe'],
        resources: [memberTopics],
        conditions: { StringEquals: { 'sns:Protocol': 'sqs', 'sns:Endpoint': props.subscription.queue.queueArn } },
      }));
      environment.MEMBER_TOPIC_ARN = `arn:${stack.partition}:sns:${stack.region}:{account}:${props.subscription.memberTopicName}`;
      environment.SUBSCRIPTION_QUEUE_ARN = props.subscription.queue.queueArn;
    }
    if (props.organizationsRoleArn) {
      statements.push(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [props.organizationsRoleArn] }));
      environment.ORGANIZATIONS_ROLE_ARN = props.organizationsRoleArn;
    } else {
      statements.push(new iam.PolicyStatement({ actions: ['organizations:DescribeOrganization'], resources: ['*'] }));
      statements.push(new iam.PolicyStatement({
        actions: ['organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'],
        resources: organizationResources,
      }));
    }
    this.function = createHandlerFunction(this, {
      handler: 'heartbeat.handler',
      description: 'CIS heartbeat monitor: records member heartbeats and reports members whose heartbeat is missing',
      statements,
      policyDescription: 'CIS heartbeat monitor: records member heartbeats, lists the organization\'s accounts, reports silent members',
      roleDescription: 'CIS heartbeat monitor (AWS Lambda)',
      wildcardFindings: {
        id: 'AwsSolutions-IAM5',
        appliesTo: [
          'Action::kms:GenerateDataKey*',
          ...(props.organizationsRoleArn ? [] : ['Resource::*', ...organizationResources.map(r => `Resource::${r.replace(stack.partition, '<AWS::Partition>')}`)]),
          ...(props.subscription ? [`Resource::${memberTopics.replace(stack.partition, '<AWS::Partition>').replace(stack.region, Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region)}`] : []),
        ],
        reason: POLICY_REASON,
      },
      timeout: Duration.minutes(5),
      environment,
      deadLetterQueue: props.deadLetterQueue,
    });

    const f = (p: string) => events.EventField.fromPath(p);
    this.heartbeatRule = new events.Rule(this, 'HeartbeatRule', {
      eventBus: props.eventBus,
      description: 'Members\' heartbeats (their scheduled rule, forwarded like their alarms)',
      eventPattern: { source: [HEARTBEAT_SOURCE], detailType: [HEARTBEAT_DETAIL_TYPE] },
    });
    this.heartbeatRule.addTarget(new targets.LambdaFunction(this.function, {
      event: events.RuleTargetInput.fromObject({ kind: 'heartbeat', account: f('$.account'), region: f('$.region'), time: f('$.time'), id: f('$.id') }),
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    }));
    this.checkRule = new events.Rule(this, 'CheckRule', {
      description: 'Checks that every member account of this Region sent a heartbeat',
      schedule: events.Schedule.rate(props.interval),
    });
    this.checkRule.addTarget(new targets.LambdaFunction(this.function, {
      event: events.RuleTargetInput.fromObject({ kind: 'check' }),
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: 2,
      maxEventAge: Duration.minutes(10),
    }));
  }
}

/**
 * A heartbeat interval: whole minutes from 1 minute to 1 day (a scheduled
 * rule's rate), 15 minutes by default. Shared with `CisOrganizationRollout`.
 */
export function checkHeartbeatInterval(value: Duration | undefined, prop: string): Duration {
  const interval = value ?? Duration.minutes(15);
  if (!(interval instanceof Duration) || Token.isUnresolved(interval.toSeconds({ integral: false }))) {
    throw new Error(`${prop} must be a concrete Duration (for example Duration.minutes(15)), got ${describeValue(interval)}.`);
  }
  const s = interval.toSeconds({ integral: false });
  if (s % 60 !== 0 || s < 60 || s > Duration.days(1).toSeconds()) {
    throw new Error(`${prop} must be whole minutes from 1 minute to 1 day (a scheduled rule's rate), got ${interval.toHumanString()}.`);
  }
  return interval;
}
