/**
 * Every alert-quality option of CisMonitoring in one app: exclusions for known
 * automation, a separate compliance topic, severity routing to topics, a
 * Lambda function and SSM OpsItems, rich alarm descriptions, the dashboard and
 * Slack/Teams delivery. Synthesizes offline:
 *
 *   npx ts-node -P examples/tsconfig.json examples/alert-quality-app.ts
 */
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CisAlarmTopic, CisControl, CisMonitoring, CisSeverity, Exclusion } from '../src';

export function buildAlertQualityApp(outdir = path.resolve(__dirname, '..', 'cdk.out', 'alert-quality')) {
  const app = new App({ outdir });
  const stack = new Stack(app, 'CisAlertQuality');

  // Audit topic for compliance alarms: a confirmed (SQS) subscriber, as Security Hub requires.
  const audit = new CisAlarmTopic(stack, 'AuditTopic', { displayName: 'CIS compliance (audit)' });
  const auditKey = new kms.Key(stack, 'AuditQueueKey', { enableKeyRotation: true });
  const auditQueue = new sqs.Queue(stack, 'AuditQueue', {
    encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: auditKey, enforceSSL: true, retentionPeriod: Duration.days(14),
  });
  audit.topic.addSubscription(new subscriptions.SqsSubscription(auditQueue));

  // Critical pages go to their own topic and to a responder function.
  const critical = new CisAlarmTopic(stack, 'CriticalTopic', { displayName: 'CIS critical' });
  critical.topic.addSubscription(new subscriptions.UrlSubscription('https://oncall.example.com/hooks/cis'));
  const responder = new lambda.Function(stack, 'Responder', {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async (e) => console.log(JSON.stringify(e));'),
  });

  const monitoring = new CisMonitoring(stack, 'Cis', {
    emailAddresses: ['security@example.com'],
    exclusions: [
      Exclusion.roleName('terraform-runner'),
      Exclusion.principalArn('arn:aws:iam::123456789012:role/ci-deployer-*', { controls: [CisControl.SECURITY_GROUP_CHANGES, CisControl.VPC_CHANGES] }),
      Exclusion.userAgent('*backup.amazonaws.com*', { controls: [CisControl.S3_BUCKET_POLICY_CHANGES] }),
      Exclusion.sourceIp('203.0.113.0/24', { controls: [CisControl.UNAUTHORIZED_API_CALLS] }),
      Exclusion.eventName('CreateRoute', { controls: [CisControl.ROUTE_TABLE_CHANGES] }),
    ],
    complianceTopic: audit.topic,
    severityOverrides: [{ control: CisControl.CONSOLE_AUTH_FAILURES, severity: CisSeverity.MEDIUM }],
    severityRoutes: [
      {
        severity: CisSeverity.CRITICAL,
        topic: critical.topic,
        alarmActions: [new cloudwatchActions.LambdaAction(responder)],
        includeDefaultActions: true,
      },
      {
        severity: CisSeverity.HIGH,
        alarmActions: [new cloudwatchActions.SsmAction(cloudwatchActions.OpsItemSeverity.HIGH)],
        includeDefaultActions: true,
      },
    ],
    alarmDescription: { tags: { environment: 'prod', team: 'platform-security' }, runbookUrl: 'https://wiki.example.com/cis-runbook' },
    dashboardOptions: { dashboardName: 'cis-monitoring-prod', defaultInterval: Duration.days(14) },
    chatDelivery: {
      slackChannels: [{ slackWorkspaceId: 'T07EA123LEP', slackChannelId: 'C07EZ1ABC23' }],
      microsoftTeamsChannels: [{
        teamId: '01234567-89ab-cdef-0123-456789abcdef',
        tenantId: '11111111-2222-3333-4444-555555555555',
        channelId: '19%3Aabcdef0123456789abcdef0123456789%40thread.tacv2',
      }],
    },
  });
  return { app, stack, monitoring, audit: audit.topic, critical: critical.topic };
}

if (require.main === module) {
  const { app } = buildAlertQualityApp();
  app.synth();
  process.stdout.write('Synthesized CisAlertQuality into cdk.out/alert-quality\n');
}
