import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createHandlerFunction } from './handler-function';
import { CisAlarmTopic } from '../alarm-topic';
import { forPacks, suppressNagFindings } from '../nag-suppressions';
import { CisSeverity } from '../severity';

const NIST_AND_HIPAA = ['NIST.800.53.R5', 'HIPAA.Security'];
const RELAY_TABLE_REASON = 'The table holds only the throttle windows of recent alerts (each expires after a week); point-in-time recovery is on, a backup plan would keep nothing of value.';
const RELAY_POLICY_REASON = 'GenerateDataKey* covers the two data-key calls SNS makes for an encrypted topic, on the topics\' own keys only; Organizations account ARNs name the management account, which the security account does not know, and the organization id limits them to the organization\'s accounts.';

/** What the relay is configured with (internal; see `CisSecurityAccountProps`). */
export interface AlertRelayProps {
  readonly topics: Map<CisSeverity, CisAlarmTopic>;
  readonly enrich: boolean;
  /** Zero: no throttling, no table. */
  readonly throttleWindow: Duration;
  readonly organizationId: string;
  readonly organizationsRoleArn?: string;
  readonly chatFormat: boolean;
  /** Where events end that could not be delivered (by EventBridge to the function, or by the function after its retries). */
  readonly deadLetterQueue: sqs.IQueue;
}

/** The rule input the handler reads (src/organization/relay-handler/index.js `readInput`). */
export interface RelayInput {
  readonly kind: 'alarm' | 'detection';
  readonly severity: CisSeverity;
  readonly headline?: string;
  readonly control?: string;
}

/**
 * The Lambda function between the security account's rules and its topics:
 * throttles repeats per principal + action + outcome (DynamoDB), names the
 * member account and its tags (Organizations), publishes by severity. Its code
 * is the plain JavaScript in `relay-handler/` (index.js), shipped as is.
 */
export class AlertRelay extends Construct {
  public readonly function: lambda.Function;
  public readonly throttleTable?: dynamodb.Table;
  public readonly deadLetterQueue: sqs.IQueue;

  constructor(scope: Construct, id: string, props: AlertRelayProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.deadLetterQueue = props.deadLetterQueue;
    const statements = [
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [...props.topics.values()].map(t => t.topic.topicArn) }),
      // The topics are encrypted: publishing asks their keys for a data key.
      new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: [...props.topics.values()].map(t => t.encryptionKey.keyArn) }),
    ];

    const environment: Record<string, string> = {
      ENRICH: String(props.enrich),
      CHAT_FORMAT: String(props.chatFormat),
      THROTTLE_WINDOW_SECONDS: String(props.throttleWindow.toSeconds()),
    };
    for (const [severity, { topic }] of props.topics) environment[`TOPIC_${severity}`] = topic.topicArn;

    if (props.throttleWindow.toSeconds() > 0) {
      this.throttleTable = new dynamodb.Table(this, 'Throttle', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: 'expiresAt',
        // Only windows of recent alerts: nothing to keep when the stack goes.
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const cfnTable = this.throttleTable.node.defaultChild as dynamodb.CfnTable;
      // Set on the L1: the L2 property of the aws-cdk-lib floor is deprecated in newer releases.
      cfnTable.pointInTimeRecoverySpecification = { pointInTimeRecoveryEnabled: true };
      suppressNagFindings(cfnTable, forPacks(NIST_AND_HIPAA, 'DynamoDBInBackupPlan', RELAY_TABLE_REASON));
      statements.push(new iam.PolicyStatement({
        // Claims, counts and delivery marks are all conditional updates of one item.
        actions: ['dynamodb:UpdateItem'],
        resources: [this.throttleTable.tableArn],
      }));
      environment.THROTTLE_TABLE = this.throttleTable.tableName;
    }

    if (props.enrich) {
      if (props.organizationsRoleArn) {
        statements.push(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [props.organizationsRoleArn] }));
        environment.ORGANIZATIONS_ROLE_ARN = props.organizationsRoleArn;
      } else {
        statements.push(new iam.PolicyStatement({
          actions: ['organizations:DescribeAccount', 'organizations:ListTagsForResource'],
          // The management account's id is not known here; the organization id pins the accounts.
          resources: [`arn:${stack.partition}:organizations::*:account/${props.organizationId}/*`],
        }));
      }
    }

    this.function = createHandlerFunction(this, {
      handler: 'index.handler',
      description: 'CIS alert relay: throttles repeats per principal, action and outcome, names the member account and its tags, publishes by severity',
      statements,
      policyDescription: 'CIS alert relay: writes its logs, throttle records and messages; reads account names and tags',
      roleDescription: 'CIS alert relay (AWS Lambda)',
      wildcardFindings: {
        id: 'AwsSolutions-IAM5',
        appliesTo: [
          'Action::kms:GenerateDataKey*',
          ...(props.enrich && !props.organizationsRoleArn ? [`Resource::arn:<AWS::Partition>:organizations::*:account/${props.organizationId}/*`] : []),
        ],
        reason: RELAY_POLICY_REASON,
      },
      timeout: Duration.seconds(30),
      environment,
      deadLetterQueue: props.deadLetterQueue,
    });
  }

  /** A rule target that hands the relay what it needs from the event. */
  public target(input: RelayInput): events.IRuleTarget {
    const f = (p: string) => events.EventField.fromPath(p);
    return new targets.LambdaFunction(this.function, {
      event: events.RuleTargetInput.fromObject({
        ...input,
        account: f('$.account'),
        region: f('$.region'),
        time: f('$.time'),
        id: f('$.id'),
        detail: f('$.detail'),
      }),
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
  }
}
