import { Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** A dead-letter queue of the alert path (internal). */
export interface AlertDeadLetterQueue {
  /** The queue (its metrics feed the alarms). */
  readonly queue: sqs.Queue;
  /**
   * The same queue as rule targets and functions take it: a reference to
   * which aws-cdk-lib adds no statement of its own (see `alertDeadLetterQueue`).
   */
  readonly forTargets: sqs.IQueue;
}

/**
 * An SQS queue where events end that EventBridge could not deliver to a
 * target, or that a function could not handle after its retries: encrypted,
 * SSL only, kept 14 days (SQS's longest), and one policy statement that lets
 * EventBridge send from any rule of this account and Region.
 *
 * One statement, not aws-cdk-lib's one per rule: an SQS policy holds at most
 * 20 statements and 8,192 bytes, which the rules of the security account
 * (15 controls, 5 severities, heartbeats) would exceed at deploy time.
 */
export function alertDeadLetterQueue(scope: Construct, id: string): AlertDeadLetterQueue {
  const stack = Stack.of(scope);
  // Fn::Sub where the account or Region are pseudo parameters (a StackSet member template, where every byte counts).
  const rules = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)
    ? Fn.sub('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*')
    : `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/*`;
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  queue.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowEventBridgeRulesOfThisAccount',
    principals: [new iam.ServicePrincipal('events.amazonaws.com')],
    actions: ['sqs:SendMessage'],
    resources: [queue.queueArn],
    conditions: {
      ArnLike: { 'aws:SourceArn': rules },
    },
  }));
  const forTargets = sqs.Queue.fromQueueAttributes(scope, `${id}Ref`, { queueArn: queue.queueArn, queueUrl: queue.queueUrl, queueName: queue.queueName });
  return { queue, forTargets };
}
