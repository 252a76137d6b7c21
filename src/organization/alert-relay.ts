import * as path from 'path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CisAlarmTopic } from '../alarm-topic';
import { COMPLIANCE_PACKS, forPacks, suppressNagFindings } from '../nag-suppressions';
import { CisSeverity } from '../severity';

const NIST_AND_HIPAA = ['NIST.800.53.R5', 'HIPAA.Security'];
const RELAY_LOGS_REASON = 'The relay logs one line per alert (outcome, severity, throttle key and subject), the same facts the alert topics carry; CloudWatch Logs encrypts it at rest with its own key.';
const RELAY_TABLE_REASON = 'The table holds only the throttle windows of recent alerts (each expires after a week); point-in-time recovery is on, a backup plan would keep nothing of value.';
const RELAY_VPC_REASON = 'The relay calls only AWS APIs (SNS, DynamoDB, Organizations, STS); a VPC would add endpoints and NAT without reducing what it can reach.';
const RELAY_CONCURRENCY_REASON = 'Reserved concurrency would take capacity from the account\'s pool and could make the deployment fail in accounts with a low limit; alerts arrive at the rate of members\' alarms and detections.';
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
 * is the plain JavaScript file next to this one, shipped as is.
 */
export class AlertRelay extends Construct {
  public readonly function: lambda.Function;
  public readonly throttleTable?: dynamodb.Table;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: AlertRelayProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // Events the relay could not deliver after Lambda's retries, and events EventBridge could not hand to it.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    suppressNagFindings(logGroup.node.defaultChild as logs.CfnLogGroup, forPacks(COMPLIANCE_PACKS, 'CloudWatchLogGroupEncrypted', RELAY_LOGS_REASON));

    // Every permission in one customer-managed policy with explicit statements: the
    // compliance packs refuse inline policies, and grants would add a default (inline) one.
    const statements = [
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
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
        actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
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

    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'CIS alert relay: writes its logs, throttle records and messages; reads account names and tags',
      statements,
    });
    suppressNagFindings(policy.node.defaultChild as iam.CfnManagedPolicy, [{
      id: 'AwsSolutions-IAM5',
      appliesTo: [
        'Action::kms:GenerateDataKey*',
        ...(props.enrich && !props.organizationsRoleArn ? [`Resource::arn:<AWS::Partition>:organizations::*:account/${props.organizationId}/*`] : []),
      ],
      reason: RELAY_POLICY_REASON,
    }]);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'CIS alert relay (AWS Lambda)',
      managedPolicies: [policy],
    });

    this.function = new lambda.Function(this, 'Function', {
      description: 'CIS alert relay: throttles repeats per principal, action and outcome, names the member account and its tags, publishes by severity',
      runtime: newestNodeRuntime(),
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, 'relay-handler')),
      // The managed policy above holds every permission; the function must not add an inline one.
      role: role.withoutPolicyUpdates(),
      logGroup,
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
    });
    // Lambda checks at creation that the role may send to the dead-letter queue.
    this.function.node.addDependency(policy);
    suppressNagFindings(this.function.node.defaultChild as lambda.CfnFunction, [
      ...forPacks(COMPLIANCE_PACKS, 'LambdaInsideVPC', RELAY_VPC_REASON),
      ...forPacks(NIST_AND_HIPAA, 'LambdaConcurrency', RELAY_CONCURRENCY_REASON),
    ]);
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

/**
 * The newest Node.js runtime the installed aws-cdk-lib knows (22 at the
 * floor): the handler is plain CommonJS on the runtime's AWS SDK v3, so it
 * runs on each, and a runtime that is not the newest is a finding (AwsSolutions-L1).
 */
export function newestNodeRuntime(): lambda.Runtime {
  let newest = lambda.Runtime.NODEJS_22_X;
  const version = (r: lambda.Runtime) => Number(/^nodejs(\d+)\.x$/.exec(r.name)?.[1] ?? 0);
  for (const value of Object.values(lambda.Runtime)) {
    if (value instanceof lambda.Runtime && value.family === lambda.RuntimeFamily.NODEJS && version(value) > version(newest)) newest = value;
  }
  return newest;
}
