import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Properties of `CisAlarmTopic`. */
export interface CisAlarmTopicProps {
  /**
   * Display name of the topic (shown as the sender of email notifications).
   * @default 'CIS monitoring alarms'
   */
  readonly displayName?: string;

  /**
   * Customer-managed key that encrypts the topic. Its policy must let
   * `cloudwatch.amazonaws.com` call `kms:Decrypt` and `kms:GenerateDataKey*`;
   * a key created in the same app gets that grant automatically.
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * An SNS topic that CloudWatch alarms can really publish to: encrypted with a
 * customer-managed key (the AWS-managed `alias/aws/sns` key cannot be used by
 * CloudWatch, and notifications are then dropped silently), SSL-only, and a
 * topic policy that lets `cloudwatch.amazonaws.com` publish only on behalf of
 * this account.
 */
export class CisAlarmTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;
  /** The key that encrypts the topic. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: CisAlarmTopicProps = {}) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: 'Encrypts the CIS monitoring alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToUseTheKey',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }));

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: props.displayName ?? 'CIS monitoring alarms',
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    this.allowPublishFrom('cloudwatch.amazonaws.com');
  }

  /** Lets an AWS service publish to the topic on behalf of this account only. */
  public allowPublishFrom(servicePrincipal: string): void {
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: `Allow${servicePrincipal.split('.')[0].replace(/^./, c => c.toUpperCase())}Publish`,
      principals: [new iam.ServicePrincipal(servicePrincipal)],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));
  }
}
