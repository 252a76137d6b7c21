/**
 * "Deploys" a synthesized template to moto through the services' direct APIs.
 * moto's CloudFormation silently skips AWS::Logs::MetricFilter,
 * AWS::CloudWatch::Alarm, AWS::SNS::Subscription, AWS::SNS::TopicPolicy and
 * AWS::CloudTrail::Trail, so the resources the audit reads are created one by
 * one here: log groups, topics, subscriptions, the trail's bucket, trails
 * (with event selectors and logging state), metric filters (with each
 * one's MetricValue) and alarms. SQS queues only get an ARN, for the
 * subscriptions to them. Everything else in the template (KMS keys, IAM,
 * bucket policies) is ignored.
 */
import { CloudTrailClient, CreateTrailCommand, PutEventSelectorsCommand, ReadWriteType, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, ComparisonOperator, PutMetricAlarmCommand, Statistic } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand, PutMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { createBucket } from '../support/moto';

const DEFAULT_ACCOUNT = '123456789012';

/** Names and ARNs given to the template's resources in moto. */
export interface AppliedTemplate {
  readonly region: string;
  /** logical id → physical name (log groups, trails, topics' ARNs, buckets, alarms, metric filters). */
  readonly physical: Record<string, string>;
  /** metric filter logical id → log group name. */
  readonly filterLogGroups: Record<string, string>;
  readonly trailName: string | undefined;
  readonly topicArns: string[];
}

/** Another account of moto: its id and credentials from AssumeRole into it. */
export interface MotoAccount {
  readonly account: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Creates the template's monitoring resources in moto (the SDK reads
 * AWS_ENDPOINT_URL), in the default account or, with `as`, in the account
 * whose AssumeRole credentials are given.
 */
export async function applyTemplateToMoto(template: any, endpoint: string, region = 'us-east-1', as?: MotoAccount): Promise<AppliedTemplate> {
  const ACCOUNT = as?.account ?? DEFAULT_ACCOUNT;
  const clientConfig = { region, ...(as ? { credentials: as.credentials } : {}) };
  const resources: Record<string, any> = template.Resources;
  const physical: Record<string, string> = {};
  const arns: Record<string, string> = {};
  const ofType = (type: string) => Object.entries<any>(resources).filter(([, r]) => r.Type === type);

  const resolve = (value: any): any => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    // Ref gives a log group's name, a topic's ARN (its physical id), a bucket's name.
    if (value?.Ref) return physical[value.Ref] ?? arns[value.Ref] ?? value.Ref;
    if (value?.['Fn::GetAtt']) {
      const [id, attribute] = value['Fn::GetAtt'];
      return attribute === 'Arn' ? arns[id] : physical[id];
    }
    if (value?.['Fn::Join']) return value['Fn::Join'][1].map(resolve).join(value['Fn::Join'][0]);
    throw new Error(`applyTemplateToMoto cannot resolve ${JSON.stringify(value)}`);
  };

  // Queues are not created (no subscriber reads them); their ARNs let SQS subscriptions resolve.
  for (const [id, r] of ofType('AWS::SQS::Queue')) {
    arns[id] = `arn:aws:sqs:${region}:${ACCOUNT}:${r.Properties?.QueueName ?? id}`;
  }

  const logs = new CloudWatchLogsClient(clientConfig);
  for (const [id, r] of ofType('AWS::Logs::LogGroup')) {
    const name = r.Properties?.LogGroupName ?? `/cis-test/${id}`;
    await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
    physical[id] = name;
    arns[id] = `arn:aws:logs:${region}:${ACCOUNT}:log-group:${name}:*`;
  }

  const sns = new SNSClient(clientConfig);
  for (const [id, r] of ofType('AWS::SNS::Topic')) {
    const out = await sns.send(new CreateTopicCommand({ Name: r.Properties?.TopicName ?? id }));
    arns[id] = out.TopicArn!;
    physical[id] = out.TopicArn!;
    for (const s of r.Properties?.Subscription ?? []) {
      await sns.send(new SubscribeCommand({ TopicArn: out.TopicArn!, Protocol: s.Protocol, Endpoint: resolve(s.Endpoint) }));
    }
  }
  for (const [, r] of ofType('AWS::SNS::Subscription')) {
    const p = r.Properties;
    await sns.send(new SubscribeCommand({ TopicArn: resolve(p.TopicArn), Protocol: p.Protocol, Endpoint: resolve(p.Endpoint) }));
  }

  const cloudTrail = new CloudTrailClient(clientConfig);
  let trailName: string | undefined;
  for (const [id, r] of ofType('AWS::CloudTrail::Trail')) {
    const p = r.Properties;
    const bucketId = p.S3BucketName?.Ref;
    const bucket = bucketId ? `${bucketId.toLowerCase()}-${ACCOUNT}` : p.S3BucketName;
    if (bucketId) physical[bucketId] = bucket;
    await createBucket(endpoint, bucket, as?.credentials.accessKeyId);
    const name = p.TrailName ?? id;
    await cloudTrail.send(new CreateTrailCommand({
      Name: name,
      S3BucketName: bucket,
      IsMultiRegionTrail: p.IsMultiRegionTrail === true,
      IsOrganizationTrail: p.IsOrganizationTrail === true,
      IncludeGlobalServiceEvents: p.IncludeGlobalServiceEvents !== false,
      EnableLogFileValidation: p.EnableLogFileValidation === true,
      CloudWatchLogsLogGroupArn: p.CloudWatchLogsLogGroupArn ? resolve(p.CloudWatchLogsLogGroupArn) : undefined,
      CloudWatchLogsRoleArn: p.CloudWatchLogsLogGroupArn ? `arn:aws:iam::${ACCOUNT}:role/cloudtrail-to-logs` : undefined,
    }));
    if (p.EventSelectors) {
      await cloudTrail.send(new PutEventSelectorsCommand({
        TrailName: name,
        EventSelectors: p.EventSelectors.map((s: any) => ({
          ReadWriteType: (s.ReadWriteType ?? 'All') as ReadWriteType,
          IncludeManagementEvents: s.IncludeManagementEvents ?? true,
          ExcludeManagementEventSources: s.ExcludeManagementEventSources,
        })),
      }));
    }
    if (p.IsLogging === true) await cloudTrail.send(new StartLoggingCommand({ Name: name }));
    physical[id] = name;
    trailName = name;
  }

  const filterLogGroups: Record<string, string> = {};
  for (const [id, r] of ofType('AWS::Logs::MetricFilter')) {
    const p = r.Properties;
    const logGroupName = resolve(p.LogGroupName);
    await logs.send(new PutMetricFilterCommand({
      logGroupName,
      filterName: id,
      filterPattern: p.FilterPattern,
      metricTransformations: p.MetricTransformations.map((m: any) => ({
        metricName: m.MetricName, metricNamespace: m.MetricNamespace, metricValue: m.MetricValue,
      })),
    }));
    physical[id] = id;
    filterLogGroups[id] = logGroupName;
  }

  const cloudWatch = new CloudWatchClient(clientConfig);
  for (const [id, r] of ofType('AWS::CloudWatch::Alarm')) {
    const p = r.Properties;
    const name = p.AlarmName ?? id;
    await cloudWatch.send(new PutMetricAlarmCommand({
      AlarmName: name,
      AlarmDescription: p.AlarmDescription,
      MetricName: p.MetricName,
      Namespace: p.Namespace,
      Statistic: p.Statistic as Statistic,
      Period: p.Period,
      EvaluationPeriods: p.EvaluationPeriods,
      Threshold: p.Threshold,
      ComparisonOperator: p.ComparisonOperator as ComparisonOperator,
      TreatMissingData: p.TreatMissingData,
      ActionsEnabled: p.ActionsEnabled,
      AlarmActions: (p.AlarmActions ?? []).map(resolve),
      OKActions: (p.OKActions ?? []).map(resolve),
    }));
    physical[id] = name;
  }

  return { region, physical, filterLogGroups, trailName, topicArns: ofType('AWS::SNS::Topic').map(([id]) => arns[id]) };
}
