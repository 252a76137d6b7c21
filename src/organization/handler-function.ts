import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { COMPLIANCE_PACKS, forPacks, NagSuppression, suppressNagFindings } from '../nag-suppressions';

const NIST_AND_HIPAA = ['NIST.800.53.R5', 'HIPAA.Security'];
const LOGS_REASON = 'The relay and the heartbeat monitor log one line per alert or heartbeat check (outcome, severity, throttle key, subject, accounts), the same facts the alert topics carry; CloudWatch Logs encrypts it at rest with its own key.';
const VPC_REASON = 'The relay and the heartbeat monitor call only AWS APIs (SNS, DynamoDB, Organizations, STS); a VPC would add endpoints and NAT without reducing what they can reach.';
const CONCURRENCY_REASON = 'Reserved concurrency would take capacity from the account\'s pool and could make the deployment fail in accounts with a low limit; alerts arrive at the rate of members\' alarms and detections.';

/** The directory of the relay's and the heartbeat monitor's code: plain JavaScript files, shipped as they are (one asset). */
const HANDLER_DIRECTORY = path.join(__dirname, 'relay-handler');

/** A function of the security account's alert path (internal). */
export interface HandlerFunctionProps {
  /** `file.export` in relay-handler/. */
  readonly handler: string;
  readonly description: string;
  /** What the role may do besides writing the function's logs and its dead letters. */
  readonly statements: iam.PolicyStatement[];
  readonly policyDescription: string;
  readonly roleDescription: string;
  /** The AwsSolutions-IAM5 findings of `statements` that are intended, and why. */
  readonly wildcardFindings: NagSuppression;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** Where an asynchronous invocation ends after Lambda's two retries. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * The one place the alert path's functions are made (the relay, the heartbeat
 * monitor): the code asset of `relay-handler/`, the newest Node.js runtime, a
 * log group kept a year, every permission in one customer-managed policy with
 * explicit statements (the compliance packs refuse inline policies, and grants
 * would add a default inline one), two retries and a dead-letter queue.
 * Children: `Logs`, `Policy`, `Role`, `Function`.
 */
export function createHandlerFunction(scope: Construct, props: HandlerFunctionProps): lambda.Function {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  suppressNagFindings(logGroup.node.defaultChild as logs.CfnLogGroup, forPacks(COMPLIANCE_PACKS, 'CloudWatchLogGroupEncrypted', LOGS_REASON));
  const policy = new iam.ManagedPolicy(scope, 'Policy', {
    description: props.policyDescription,
    statements: [
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }),
      ...props.statements,
    ],
  });
  suppressNagFindings(policy.node.defaultChild as iam.CfnManagedPolicy, [props.wildcardFindings]);
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
    managedPolicies: [policy],
  });
  const fn = new lambda.Function(scope, 'Function', {
    description: props.description,
    runtime: newestNodeRuntime(),
    handler: props.handler,
    code: lambda.Code.fromAsset(HANDLER_DIRECTORY),
    // The managed policy above holds every permission; the function must not add an inline one.
    role: role.withoutPolicyUpdates(),
    logGroup,
    timeout: props.timeout,
    memorySize: 256,
    environment: props.environment,
    deadLetterQueue: props.deadLetterQueue,
    retryAttempts: 2,
  });
  // Lambda checks at creation that the role may send to the dead-letter queue.
  fn.node.addDependency(policy);
  suppressNagFindings(fn.node.defaultChild as lambda.CfnFunction, [
    ...forPacks(COMPLIANCE_PACKS, 'LambdaInsideVPC', VPC_REASON),
    ...forPacks(NIST_AND_HIPAA, 'LambdaConcurrency', CONCURRENCY_REASON),
  ]);
  return fn;
}

/**
 * The newest Node.js runtime the installed aws-cdk-lib knows (22 at the
 * floor): the handlers are plain CommonJS on the runtime's AWS SDK v3, so they
 * run on each, and a runtime that is not the newest is a finding (AwsSolutions-L1).
 */
export function newestNodeRuntime(): lambda.Runtime {
  let newest = lambda.Runtime.NODEJS_22_X;
  const version = (r: lambda.Runtime) => Number(/^nodejs(\d+)\.x$/.exec(r.name)?.[1] ?? 0);
  for (const value of Object.values(lambda.Runtime)) {
    if (value instanceof lambda.Runtime && value.family === lambda.RuntimeFamily.NODEJS && version(value) > version(newest)) newest = value;
  }
  return newest;
}
