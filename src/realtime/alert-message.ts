import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';

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
  // In an organization the member account is what the reader needs first:
  // CloudTrail's recipientAccountId, kept when the event is forwarded to another account's bus.
  const where = memberAccount
    ? `Where: member account ${f('$.detail.recipientAccountId')}, region ${f('$.region')}`
    : `Where: account ${f('$.account')}, region ${f('$.region')}`;
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
 * condition); `allowServiceToPublish` grants a scoped one instead.
 */
export class TopicRuleTarget implements events.IRuleTarget {
  constructor(private readonly topic: sns.ITopic, private readonly message: events.RuleTargetInput) {}

  public bind(_rule: events.IRule, _id?: string): events.RuleTargetConfig {
    return { arn: this.topic.topicArn, input: this.message, targetResource: this.topic };
  }
}
