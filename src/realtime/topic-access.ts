import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { CisAlarmTopic } from '../alarm-topic';

/**
 * Lets an AWS service (EventBridge, CloudWatch) publish to a notification
 * topic: the topic policy and, for a topic encrypted with a customer-managed
 * key created in the same app, the key policy. Internal.
 *
 * - Topic policy: `sns:Publish` for the service principal, scoped with
 *   `aws:SourceAccount` (EventBridge and CloudWatch both send it).
 * - Key policy: `kms:Decrypt` and `kms:GenerateDataKey*` for the service
 *   principal. For `events.amazonaws.com` WITHOUT conditions: AWS documents
 *   that `aws:SourceAccount`/`aws:SourceArn` are not present in the KMS
 *   request EventBridge makes, so a conditioned statement would never apply
 *   and every notification would be dropped silently.
 * - `alias/aws/sns` cannot be used by EventBridge or CloudWatch: an error.
 * - Imported topics and keys cannot be changed: a warning says what to add.
 *
 * Each grant is made once per topic/key and service, however many constructs ask.
 */
export function allowServiceToPublish(requester: Construct, topic: sns.ITopic, servicePrincipal: string): void {
  const done = granted(topic);
  if (done.has(servicePrincipal)) return;
  done.add(servicePrincipal);

  const owner = cisAlarmTopicOf(topic);
  // CisAlarmTopic grants CloudWatch on its topic and key itself.
  if (owner && servicePrincipal === 'cloudwatch.amazonaws.com') return;
  const cfnTopic = topic.node.defaultChild;
  if (!(cfnTopic instanceof sns.CfnTopic)) {
    Annotations.of(requester).addWarningV2('cdk-cis-monitoring:importedTopicPolicy',
      `The topic ${topic.node.path} is imported, so its policies cannot be changed here. Its topic policy must allow ${servicePrincipal} to call sns:Publish, and, if it is encrypted, its key policy must allow ${servicePrincipal} kms:Decrypt and kms:GenerateDataKey* (not alias/aws/sns). Otherwise notifications are dropped silently.`);
    return;
  }

  const account = Stack.of(topic).account;
  if (owner) {
    owner.allowPublishFrom(servicePrincipal);
  } else {
    topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: `Allow${servicePrincipal.split('.')[0].replace(/^./, c => c.toUpperCase())}Publish`,
      principals: [new iam.ServicePrincipal(servicePrincipal)],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }));
  }

  const keyRef = cfnTopic.kmsMasterKeyId;
  if (keyRef === undefined) return; // unencrypted topic
  // Resolved, so an imported alias (an ARN built from tokens) is recognised too.
  if (/alias\/aws\/sns"/.test(JSON.stringify(Stack.of(topic).resolve(keyRef)))) {
    throw new Error(`The topic ${topic.node.path} is encrypted with the AWS-managed key alias/aws/sns, which ${servicePrincipal} cannot use: notifications would be dropped silently. Encrypt it with a customer-managed key (CisAlarmTopic does), or leave it unencrypted.`);
  }
  const key = owner?.encryptionKey ?? findKeyInApp(topic, keyRef);
  const statement = keyStatement(servicePrincipal, account);
  const added = key ? addKeyStatementOnce(key, servicePrincipal, statement) : false;
  if (!added) {
    Annotations.of(requester).addWarningV2('cdk-cis-monitoring:topicKeyPolicy',
      `The topic ${topic.node.path} is encrypted with a key that is not managed in this app, so its key policy cannot be changed here. Add a statement that lets ${servicePrincipal} call kms:Decrypt and kms:GenerateDataKey*${servicePrincipal === 'events.amazonaws.com' ? ' (without aws:SourceAccount/aws:SourceArn conditions: EventBridge does not send them to KMS)' : ''}, or notifications are dropped silently.`);
  }
}

function keyStatement(servicePrincipal: string, account: string): iam.PolicyStatement {
  const eventBridge = servicePrincipal === 'events.amazonaws.com';
  return new iam.PolicyStatement({
    sid: `Allow${servicePrincipal.split('.')[0].replace(/^./, c => c.toUpperCase())}ToUseTheKey`,
    principals: [new iam.ServicePrincipal(servicePrincipal)],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: eventBridge ? undefined : { StringEquals: { 'aws:SourceAccount': account } },
  });
}

const GRANTED_TOPICS = new WeakMap<IConstruct, Set<string>>();
const GRANTED_KEYS = new WeakMap<IConstruct, Set<string>>();

function granted(topic: sns.ITopic): Set<string> {
  let s = GRANTED_TOPICS.get(topic);
  if (!s) {
    s = new Set();
    GRANTED_TOPICS.set(topic, s);
  }
  return s;
}

function addKeyStatementOnce(key: kms.IKey, servicePrincipal: string, statement: iam.PolicyStatement): boolean {
  let s = GRANTED_KEYS.get(key);
  if (!s) {
    s = new Set();
    GRANTED_KEYS.set(key, s);
  }
  if (s.has(servicePrincipal)) return true;
  const result = key.addToResourcePolicy(statement);
  if (result.statementAdded) s.add(servicePrincipal);
  return result.statementAdded;
}

function cisAlarmTopicOf(topic: sns.ITopic): CisAlarmTopic | undefined {
  const parent = topic.node.scope;
  return parent instanceof CisAlarmTopic && parent.topic === topic ? parent : undefined;
}

/** The `kms.Key` of this app whose ARN or id the topic references, if any. */
function findKeyInApp(topic: sns.ITopic, keyRef: string): kms.IKey | undefined {
  if (!Token.isUnresolved(keyRef)) return undefined;
  const stack = Stack.of(topic);
  const wanted = JSON.stringify(stack.resolve(keyRef));
  for (const c of topic.node.root.node.findAll()) {
    if (!(c instanceof kms.Key) || Stack.of(c) !== stack) continue;
    if (JSON.stringify(stack.resolve(c.keyArn)) === wanted || JSON.stringify(stack.resolve(c.keyId)) === wanted) return c;
  }
  return undefined;
}
