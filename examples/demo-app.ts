/**
 * The bundled example: a CDK app that uses CisMonitoring with its defaults
 * (CIS v7.0.0, all four scanners, a created trail and topic) plus two subscribers.
 * Synthesizes offline (no credentials, no lookups) into cdk.out/ and prints
 * what it defines, read back from the synthesized template.
 *
 *   npm run demo
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CisBenchmarkVersion, CisControl, CisMonitoring } from '../src';

export const DEMO_STACK_NAME = 'CisMonitoringDemo';

/**
 * Builds the demo app; `outdir` defaults to ./cdk.out. `benchmarkVersion`
 * (default: the construct's, the latest) lets tests deploy older texts.
 */
export function buildDemoApp(
  outdir = path.resolve(__dirname, '..', 'cdk.out'),
  options: { benchmarkVersion?: CisBenchmarkVersion } = {},
): { app: App; stack: Stack; monitoring: CisMonitoring } {
  const app = new App({ outdir });
  // Environment-agnostic on purpose: synthesis needs no account, region or credentials.
  const stack = new Stack(app, DEMO_STACK_NAME, {
    description: 'cdk-cis-monitoring demo: CIS AWS Foundations Benchmark monitoring controls',
  });
  // Alarms also land in a queue (a SIEM or ticketing feed): an SQS subscription
  // is confirmed at once, while email stays pending until someone clicks, and
  // Security Hub only counts confirmed subscribers.
  const queueKey = new kms.Key(stack, 'AlarmQueueKey', { enableKeyRotation: true });
  const alarmQueue = new sqs.Queue(stack, 'AlarmQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: queueKey,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    deadLetterQueue: {
      maxReceiveCount: 5,
      queue: new sqs.Queue(stack, 'AlarmDeadLetterQueue', {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: queueKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      }),
    },
  });
  const monitoring = new CisMonitoring(stack, 'Cis', {
    benchmarkVersion: options.benchmarkVersion,
    emailAddresses: ['security-alerts@example.com'],
    subscriptions: [new subscriptions.SqsSubscription(alarmQueue)],
  });
  return { app, stack, monitoring };
}

interface Row { key: string; cisId: string; metricName: string; alarmName: string }

/** Reads the synthesized template and lists each alarm with the filters feeding its metric. */
export function describeTemplate(template: any, version: CisBenchmarkVersion): Row[] {
  const resources: Record<string, any> = template.Resources ?? {};
  const alarms = Object.values(resources).filter(r => r.Type === 'AWS::CloudWatch::Alarm');
  const filterMetrics = new Set(Object.values(resources)
    .filter(r => r.Type === 'AWS::Logs::MetricFilter')
    .map(r => r.Properties.MetricTransformations[0].MetricName));
  return alarms.map(a => {
    const metricName: string = a.Properties.MetricName;
    const control = CisControl.all().find(c => c.metricName === metricName);
    return {
      key: control?.key ?? '(not a CIS control)',
      cisId: control && control.isIn(version) ? control.definitionIn(version).recommendationId : '-',
      metricName: filterMetrics.has(metricName) ? metricName : `${metricName} (no filter!)`,
      alarmName: a.Properties.AlarmName,
    };
  });
}

function printTable(rows: Row[]): void {
  const headers: Row = { key: 'Control key', cisId: 'CIS id', metricName: 'Metric name', alarmName: 'Alarm name' };
  const cols = Object.keys(headers) as Array<keyof Row>;
  const width = (c: keyof Row) => Math.max(headers[c].length, ...rows.map(r => r[c].length));
  const line = (r: Row) => cols.map(c => r[c].padEnd(width(c))).join('  ').trimEnd();
  process.stdout.write(`${line(headers)}\n${cols.map(c => '-'.repeat(width(c))).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

function main(): void {
  const { app, monitoring } = buildDemoApp();
  const assembly = app.synth();
  const artifact = assembly.getStackByName(DEMO_STACK_NAME);
  const templatePath = path.join(assembly.directory, artifact.templateFile);
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf8'));
  const rows = describeTemplate(template, monitoring.benchmarkVersion);
  const count = (t: string) => Object.values<any>(template.Resources).filter(r => r.Type === t).length;
  process.stdout.write(`Synthesized ${DEMO_STACK_NAME} (${monitoring.benchmarkVersion}) into ${path.relative(process.cwd(), templatePath)}\n`);
  process.stdout.write(`${count('AWS::Logs::MetricFilter')} metric filters, ${count('AWS::CloudWatch::Alarm')} alarms, ${count('AWS::SNS::Topic')} SNS topic, ${count('AWS::CloudTrail::Trail')} trail\n\n`);
  printTable(rows);
  for (const w of artifact.messages.filter(m => m.level === 'warning')) {
    process.stdout.write(`\nwarning: ${String(w.entry.data)}\n`);
  }
}

if (require.main === module) {
  main();
}
