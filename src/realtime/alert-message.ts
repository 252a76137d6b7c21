import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * The notification an EventBridge rule sends for one CloudTrail event (internal):
 * a readable text built by an input transformer from the event's fields.
 * Fields the event does not have (for example `errorCode` on a successful
 * call) come out empty.
 *
 * @param headline first line: what was detected, e.g. `CIS 5.3 Ensure usage of the 'root' account is monitored`
 */
export function alertMessage(headline: string, memberAccount = false): events.RuleTargetInput {
  const f = (path: string): string => events.EventField.fromPath(path);
  // The event's envelope account: EventBridge sets it and keeps it when a member forwards the
  // event to another account's bus; the detail's recipientAccountId is whatever the sender wrote.
  const where = `Where: ${memberAccount ? 'member ' : ''}account ${f('$.account')}, region ${f('$.region')}`;
  return events.RuleTargetInput.fromText([
    headline,
    `Who: ${f('$.detail.userIdentity.arn')} (${f('$.detail.userIdentity.type')})`,
    `What: ${f('$.detail.eventName')} on ${f('$.detail.eventSource')}`,
    where,
    `When: ${f('$.time')}`,
    `Source IP: ${f('$.detail.sourceIPAddress')}`,
    `Error: ${f('$.detail.errorCode')} ${f('$.detail.errorMessage')}`,
    `Event ID: ${f('$.detail.eventID')}`,
  ].join('\n'));
}

/**
 * An SNS rule target that adds no topic policy of its own (unlike
 * `aws_events_targets.SnsTopic`, whose statement has no `aws:SourceAccount`
 * condition); `allowServiceToPublish` grants a scoped one instead. With a
 * dead-letter queue, EventBridge retries for 24 hours and then keeps the
 * event there (the queue's policy must already let EventBridge send).
 */
export class TopicRuleTarget implements events.IRuleTarget {
  constructor(private readonly topic: sns.ITopic, private readonly message: events.RuleTargetInput, private readonly deadLetterQueue?: sqs.IQueue) {}

  public bind(_rule: events.IRule, _id?: string): events.RuleTargetConfig {
    return {
      arn: this.topic.topicArn,
      input: this.message,
      targetResource: this.topic,
      ...(this.deadLetterQueue ? {
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        retryPolicy: { maximumEventAgeInSeconds: Duration.hours(24).toSeconds(), maximumRetryAttempts: 185 },
      } : {}),
    };
  }
}
