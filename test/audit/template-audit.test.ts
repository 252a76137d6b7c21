/**
 * `cis-monitoring audit <template | cdk.out>`: each scanner's decision logic
 * on synthesized templates, driven through the CLI.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { auditJson, cleanTmp, clone, ENV, resourcesOfType, runCli, statusMatrix, statusesOf, synthTemplate, tmpDir, writeTemplate } from './helpers';
import { CisBenchmarkVersion, CisControl, CisMonitoring } from '../../src';
import { AUDIT_EXIT_CODES } from '../../src/audit/errors';

const ALL_PASS_EXCEPT_SH_WARN = (key: string) => ({
  SECURITY_HUB: key === 'organizations-changes' ? 'NOT_APPLICABLE' : 'WARN',
  PROWLER: 'PASS',
  STEAMPIPE: 'PASS',
  CLOUDSPLOIT: 'PASS',
});

let today: any; // only the CIS text per control (scanners: [])
let planned: any; // the default: the planner's filters, email subscription only
let plannedSqs: any; // the default plus an SQS subscriber

beforeAll(() => {
  today = synthTemplate({ emailAddresses: ['security@example.com'] }, { planned: false });
  planned = synthTemplate({ emailAddresses: ['security@example.com'] });
  plannedSqs = synthTemplate({ emailAddresses: ['security@example.com'] }, {
    extend: (stack, cis) => cis.topic.addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Pager', { enforceSSL: true }))),
  });
});

afterAll(cleanTmp);

describe('the default CisMonitoring (v7.0.0)', () => {
  test('with scanners: [] (only the CIS text per control): what each scanner would say', async () => {
    const { code, json } = await auditJson([writeTemplate(today)]);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    const m = statusMatrix(json);
    // Security Hub wants its own byte-exact texts.
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['FAIL', 'NOT_APPLICABLE']);
    // Prowler: route tables need $.eventSource, Organizations needs 21 names.
    expect(Object.keys(m).filter(k => m[k].PROWLER === 'FAIL')).toEqual(['route-table-changes', 'organizations-changes']);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['PASS']);
    // CloudSploit master expects unquoted texts and the six-name security-group text.
    expect(Object.keys(m).filter(k => m[k].CLOUDSPLOIT === 'FAIL')).toEqual([
      'unauthorized-api-calls', 'console-signin-without-mfa', 'root-account-usage', 'security-group-changes', 'organizations-changes',
    ]);
    expect(json.summaries).toEqual([{
      scanner: 'CLOUDSPLOIT',
      status: 'FAIL',
      reasons: ['FAIL trail CisCloudTrail07B115A4: Trail logs are missing filters for: Unauthorized API Calls, Sign In Without MFA, Root Account Usage, Security Group Changes, Organizations Changes'],
    }]);
    const prowlerRoute = json.controls.find((c: any) => c.key === 'route-table-changes').results.PROWLER.reasons[0];
    expect(prowlerRoute).toMatch(/cloudwatch_changes_to_network_route_tables_alarm_configured needs a metric filter whose pattern matches the regex \(\?=\.\*\\\$\\\.eventSource/);
  });

  test('by default (planned filters): every scanner passes; Security Hub warns about the pending email subscription', async () => {
    const { code, json } = await auditJson([writeTemplate(planned)]);
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
    const m = statusMatrix(json);
    for (const key of Object.keys(m)) expect({ key, ...m[key] }).toEqual({ key, ...ALL_PASS_EXCEPT_SH_WARN(key) });
    const warn = json.controls[0].results.SECURITY_HUB.reasons[0];
    expect(warn).toMatch(/^Requires a confirmed subscription: topic .* has only email security@example.com, which stays pending after deployment until its owner confirms/);
    expect(json.unchecked).toEqual([]);
    expect(json.summaries[0].status).toBe('PASS');
  });

  test('with the planned filters and an SQS subscriber (confirmed by AWS itself): all PASS', async () => {
    const { code, json } = await auditJson([writeTemplate(plannedSqs)]);
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['NOT_APPLICABLE', 'PASS']);
    for (const s of ['PROWLER', 'STEAMPIPE', 'CLOUDSPLOIT']) expect(statusesOf(json, s)).toEqual(['PASS']);
  });

  test('JSON shape', async () => {
    const { json } = await auditJson([writeTemplate(planned), '--scanners', 'prowler,security-hub']);
    expect(Object.keys(json)).toEqual([
      'account', 'region', 'environment', 'benchmarkFrom', 'benchmark', 'source', 'audited', 'scanners', 'controls', 'summaries', 'unchecked', 'notes', 'exitCode',
    ]);
    expect(json.benchmark).toBe('7.0.0');
    expect(json.source).toBe('template');
    expect(json.scanners).toEqual(['SECURITY_HUB', 'PROWLER']);
    expect(json.controls).toHaveLength(15);
    expect(json.controls[0]).toEqual({
      key: 'unauthorized-api-calls',
      cisId: '5.1',
      title: 'Ensure unauthorized API calls are monitored',
      results: {
        SECURITY_HUB: { status: 'WARN', reasons: [expect.any(String)] },
        PROWLER: { status: 'PASS', reasons: [expect.stringMatching(/matches cloudwatch_log_metric_filter_unauthorized_api_calls; alarm AuditStack-Cis-unauthorized-api-calls watches metric UnauthorizedAPICalls/)] },
      },
    });
    expect(json.summaries).toEqual([]);
    expect(json.exitCode).toBe(0);
  });

  test('text output: matrix, reasons and legend', async () => {
    const r = await runCli(['audit', writeTemplate(today), '--scanners', 'prowler,cloudsploit']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(r.stdout).toContain('CIS AWS Foundations Benchmark v7.0.0: audit of AuditStack.template.json (synthesized template)');
    expect(r.stdout).toMatch(/^CIS\s+Control\s+Prowler\s+CloudSploit$/m);
    expect(r.stdout).toMatch(/^5\.13\s+route-table-changes\s+FAIL\s+PASS$/m);
    expect(r.stdout).toMatch(/^5\.15\s+organizations-changes\s+FAIL\s+FAIL$/m);
    expect(r.stdout).toContain('Failures:');
    expect(r.stdout).toMatch(/5\.13 route-table-changes \/ Prowler: No metric filter on log group .* passes: Prowler check cloudwatch_changes_to_network_route_tables_alarm_configured/);
    expect(r.stdout).toContain('CloudSploit per-trail result: FAIL');
    expect(r.stdout).toContain('Legend: PASS');
    expect(r.stdout).toContain('Result: FAIL (exit code 3).');
  });

  test('--benchmark picks the version\'s ids and controls', async () => {
    const { json } = await auditJson([writeTemplate(today), '--benchmark', 'v1.2.0', '--scanners', 'steampipe']);
    expect(json.benchmark).toBe('1.2.0');
    const v = CisBenchmarkVersion.V1_2_0;
    expect(json.controls.map((c: any) => c.cisId)).toEqual(v.controls().map(c => c.definitionIn(v).recommendationId));
    expect(json.controls[0].cisId).toBe('3.1');
    expect(json.controls).toHaveLength(14);
  });
});

describe('breaking one thing at a time', () => {
  const audit = async (template: any, scanners = 'security-hub,prowler,steampipe,cloudsploit') => auditJson([writeTemplate(template), '--scanners', scanners]);
  const trailOf = (t: any) => resourcesOfType(t, 'AWS::CloudTrail::Trail')[0][1];

  test('trail not multi-region: Security Hub and Steampipe fail, Prowler and CloudSploit do not check it', async () => {
    const t = clone(plannedSqs);
    trailOf(t).Properties.IsMultiRegionTrail = false;
    const { code, json } = await audit(t);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['FAIL', 'NOT_APPLICABLE']);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['FAIL']);
    expect(statusesOf(json, 'PROWLER')).toEqual(['PASS']);
    expect(statusesOf(json, 'CLOUDSPLOIT')).toEqual(['PASS']);
    expect(json.controls[0].results.STEAMPIPE.reasons[0]).toMatch(/Steampipe finds no qualifying trail: trail CisCloudTrail\w+ is not multi-region\./);
  });

  test('trail not logging', async () => {
    const t = clone(plannedSqs);
    trailOf(t).Properties.IsLogging = false;
    const { json } = await audit(t, 'security-hub,steampipe,prowler');
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['FAIL', 'NOT_APPLICABLE']);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['FAIL']);
    expect(statusesOf(json, 'PROWLER')).toEqual(['PASS']);
    expect(json.controls[3].results.SECURITY_HUB.reasons[0]).toMatch(/is not logging/);
  });

  test('event selector ReadOnly: Security Hub and Steampipe fail', async () => {
    const t = clone(plannedSqs);
    trailOf(t).Properties.EventSelectors = [{ IncludeManagementEvents: true, ReadWriteType: 'ReadOnly' }];
    const { json } = await audit(t, 'security-hub,steampipe');
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['FAIL', 'NOT_APPLICABLE']);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['FAIL']);
    expect(json.controls[0].results.STEAMPIPE.reasons[0]).toMatch(/has no classic event selector with ReadWriteType All/);
  });

  test('management events excluded: Security Hub fails; Steampipe does not check IncludeManagementEvents', async () => {
    const t = clone(plannedSqs);
    trailOf(t).Properties.EventSelectors = [{ IncludeManagementEvents: false, ReadWriteType: 'All' }];
    const { json } = await audit(t, 'security-hub,steampipe');
    expect(json.controls[0].results.SECURITY_HUB.reasons[0]).toMatch(/no event selector with IncludeManagementEvents true and ReadWriteType All/);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['PASS']);
  });

  test('kms.amazonaws.com excluded from management events fails CloudWatch.7 only', async () => {
    const t = clone(plannedSqs);
    trailOf(t).Properties.EventSelectors = [{ IncludeManagementEvents: true, ReadWriteType: 'All', ExcludeManagementEventSources: ['kms.amazonaws.com'] }];
    const { json } = await audit(t, 'security-hub');
    const m = statusMatrix(json);
    expect(Object.keys(m).filter(k => m[k].SECURITY_HUB === 'FAIL')).toEqual(['cmk-disable-or-deletion']);
    expect(json.controls[6].results.SECURITY_HUB.reasons[0]).toMatch(/excludes kms\.amazonaws\.com/);
  });

  test('advanced event selectors only: Steampipe fails; Security Hub\'s acceptance is reported as unchecked', async () => {
    const t = clone(plannedSqs);
    delete trailOf(t).Properties.EventSelectors;
    trailOf(t).Properties.AdvancedEventSelectors = [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }];
    const { code, json } = await audit(t, 'security-hub,steampipe,prowler');
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['FAIL']);
    expect(json.controls[0].results.STEAMPIPE.reasons[0]).toMatch(/uses advanced event selectors only/);
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['NOT_APPLICABLE', 'PASS']);
    expect(json.unchecked).toEqual([{ scanners: ['SECURITY_HUB'], condition: expect.stringMatching(/uses advanced event selectors; whether Security Hub accepts them/) }]);
  });

  test('no EventSelectors at all: CloudTrail\'s default selector (All, management events) is assumed and noted', async () => {
    const t = clone(plannedSqs);
    delete trailOf(t).Properties.EventSelectors;
    const { code, json } = await audit(t, 'security-hub,steampipe');
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
    expect(json.notes).toEqual([expect.stringMatching(/sets no EventSelectors; CloudTrail's default .* was assumed/)]);
  });

  test('trail without CloudWatch Logs delivery: Prowler and Steampipe fail, CloudSploit reports nothing (it skips the trail)', async () => {
    const t = clone(plannedSqs);
    delete trailOf(t).Properties.CloudWatchLogsLogGroupArn;
    const { code, json } = await audit(t);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    for (const s of ['PROWLER', 'STEAMPIPE']) expect(statusesOf(json, s)).toEqual(['FAIL']);
    expect(json.controls[0].results.PROWLER.reasons[0]).toMatch(/has no CloudWatchLogsLogGroupArn/);
    expect(statusesOf(json, 'CLOUDSPLOIT')).toEqual(['NO_DATA']);
    expect(json.controls[0].results.CLOUDSPLOIT.reasons[0]).toMatch(/^CloudSploit reports no result for this Region: it skips trail CisCloudTrail07B115A4, which has no CloudWatch Logs log group/);
    expect(json.summaries[0].status).toBe('NO_DATA');
    // Text: NO_DATA cells, their reason in their own section, the legend.
    const text = await runCli(['audit', writeTemplate(t), '--scanners', 'cloudsploit']);
    expect(text.code).toBe(AUDIT_EXIT_CODES.OK);
    expect(text.stdout).toMatch(/^5\.1 +unauthorized-api-calls +NO_DATA$/m);
    expect(text.stdout).toContain('CloudSploit per-trail result: NO_DATA\n  CloudSploit reports no result for this Region: it skips trail CisCloudTrail07B115A4');
    expect(text.stdout).toMatch(/\nNo data \(no verdict here, not counted as failures\):\n  15 controls \(5\.1, .*\) \/ CloudSploit: CloudSploit reports no result for this Region/);
    expect(text.stdout).toContain('NO_DATA the scanner\ngives no verdict in this account and Region');
    expect(text.stdout).toMatch(/Result: PASS \(exit code 0\)\.\n$/);
  });

  test('one metric filter deleted: only the scanners that needed that text fail', async () => {
    const t = clone(plannedSqs);
    // Delete the Security Hub text of root-account-usage.
    const [id] = resourcesOfType(t, 'AWS::Logs::MetricFilter').find(([, r]) => r.Properties.FilterPattern === '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}')!;
    delete t.Resources[id];
    const { code, json } = await audit(t);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    const m = statusMatrix(json);
    expect(m['root-account-usage']).toEqual({ SECURITY_HUB: 'FAIL', PROWLER: 'PASS', STEAMPIPE: 'PASS', CLOUDSPLOIT: 'PASS' });
    expect(json.controls[2].results.SECURITY_HUB.reasons[0]).toMatch(/needs a metric filter whose pattern is byte for byte .*Security Hub allows no added terms/);
  });

  test('alarm action removed: Security Hub and Steampipe fail, Prowler (metric name only) and CloudSploit pass', async () => {
    const t = clone(plannedSqs);
    const [, alarm] = resourcesOfType(t, 'AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.MetricName === 'VPCChanges')!;
    alarm.Properties.AlarmActions = [];
    const { json } = await audit(t);
    expect(statusMatrix(json)['vpc-changes']).toEqual({ SECURITY_HUB: 'FAIL', PROWLER: 'PASS', STEAMPIPE: 'FAIL', CLOUDSPLOIT: 'PASS' });
    expect(json.controls[13].results.SECURITY_HUB.reasons[0]).toMatch(/has no SNS topic action/);
    expect(json.controls[13].results.STEAMPIPE.reasons[0]).toMatch(/has no alarm action/);
  });

  test('alarm on another metric name: everyone but CloudSploit fails', async () => {
    const t = clone(plannedSqs);
    const [, alarm] = resourcesOfType(t, 'AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.MetricName === 'NACLChanges')!;
    alarm.Properties.MetricName = 'SomethingElse';
    const { json } = await audit(t);
    expect(statusMatrix(json)['nacl-changes']).toEqual({ SECURITY_HUB: 'FAIL', PROWLER: 'FAIL', STEAMPIPE: 'FAIL', CLOUDSPLOIT: 'PASS' });
    expect(json.controls[10].results.PROWLER.reasons[0]).toMatch(/but no alarm has MetricName NACLChanges/);
  });

  test('alarm in another namespace: Security Hub and Prowler (5.46: namespace when both set) fail; Steampipe matches by name only', async () => {
    const t = clone(plannedSqs);
    const [, alarm] = resourcesOfType(t, 'AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.MetricName === 'NACLChanges')!;
    alarm.Properties.Namespace = 'Other';
    const { json } = await audit(t);
    expect(statusMatrix(json)['nacl-changes']).toEqual({ SECURITY_HUB: 'FAIL', PROWLER: 'FAIL', STEAMPIPE: 'PASS', CLOUDSPLOIT: 'PASS' });
    expect(json.controls[10].results.PROWLER.reasons[0]).toMatch(/but no alarm has MetricName NACLChanges in namespace CISBenchmark \(or none\)/);
  });

  test('subscriptions dropped: Security Hub and Steampipe fail', async () => {
    const t = clone(plannedSqs);
    for (const [id] of resourcesOfType(t, 'AWS::SNS::Subscription')) delete t.Resources[id];
    const { json } = await audit(t);
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['FAIL', 'NOT_APPLICABLE']);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['FAIL']);
    expect(statusesOf(json, 'PROWLER')).toEqual(['PASS']);
    expect(json.controls[0].results.SECURITY_HUB.reasons[0]).toMatch(/has no subscriber\. Subscribe an endpoint and confirm it\./);
    expect(json.controls[0].results.STEAMPIPE.reasons[0]).toMatch(/which has no subscription/);
  });

  test('an inline Subscription on the topic counts', async () => {
    const t = clone(plannedSqs);
    for (const [id] of resourcesOfType(t, 'AWS::SNS::Subscription')) delete t.Resources[id];
    resourcesOfType(t, 'AWS::SNS::Topic')[0][1].Properties.Subscription = [{ Protocol: 'lambda', Endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:pager' }];
    const { code, json } = await audit(t, 'security-hub,steampipe');
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['NOT_APPLICABLE', 'PASS']);
  });

  test('filters on another log group than the trail\'s', async () => {
    const t = clone(plannedSqs);
    for (const [, f] of resourcesOfType(t, 'AWS::Logs::MetricFilter')) f.Properties.LogGroupName = 'some-other-group';
    const { json } = await audit(t, 'security-hub,prowler,steampipe,cloudsploit');
    for (const s of ['PROWLER', 'STEAMPIPE']) expect(statusesOf(json, s)).toEqual(['FAIL']);
    // CloudSploit master fails the trail whose log group has no filter at all.
    expect(json.controls[0].results.CLOUDSPLOIT.reasons[0]).toMatch(/There are no CloudWatch metric filters for this trail/);
  });

  test('CloudSploit master searches every log group once the trail\'s has a filter', async () => {
    const t = clone(plannedSqs);
    const filters = resourcesOfType(t, 'AWS::Logs::MetricFilter');
    // Move all but one filter to another log group.
    filters.slice(1).forEach(([, f]) => { f.Properties.LogGroupName = 'some-other-group'; });
    const { json } = await audit(t, 'cloudsploit');
    expect(statusesOf(json, 'CLOUDSPLOIT')).toEqual(['PASS']);
  });
});

describe('trail not in the template (existing log group)', () => {
  let template: any;
  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'Existing', { env: ENV });
    new CisMonitoring(stack, 'Cis', {
      logGroup: logs.LogGroup.fromLogGroupName(stack, 'TrailLogs', 'org-trail-logs'),
      emailAddresses: ['security@example.com'],
    });
    template = Template.fromStack(stack).toJSON();
  });

  test('trail conditions are listed as unchecked and do not fail; the rest is checked', async () => {
    const { code, json } = await auditJson([writeTemplate(template)]);
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
    const m = statusMatrix(json);
    for (const key of Object.keys(m)) expect({ key, ...m[key] }).toEqual({ key, ...ALL_PASS_EXCEPT_SH_WARN(key) });
    const conditions = json.unchecked.map((u: any) => `${u.scanners.join(',')}: ${u.condition}`);
    expect(conditions).toEqual([
      expect.stringMatching(/^SECURITY_HUB: No CloudTrail trail is defined here, so whether a multi-region, logging trail with management events \(ReadWriteType All\) delivers to org-trail-logs could not be checked/),
      expect.stringMatching(/^PROWLER: No CloudTrail trail is defined here, so whether a trail with CloudWatchLogsLogGroupArn delivers to org-trail-logs/),
      expect.stringMatching(/^STEAMPIPE: No CloudTrail trail is defined here, so whether a multi-region, logging trail with a classic event selector ReadWriteType All delivers to org-trail-logs/),
      expect.stringMatching(/^CLOUDSPLOIT: No CloudTrail trail is defined here, so CloudSploit's trail lookup/),
    ]);
    const text = await runCli(['audit', writeTemplate(template)]);
    expect(text.stdout).toContain('Not checked (not counted as failures):');
  });

  test('a missing filter still fails', async () => {
    const t = clone(template);
    for (const [id, r] of resourcesOfType(t, 'AWS::Logs::MetricFilter')) if (r.Properties.MetricTransformations[0].MetricName === 'RootAccountUsage') delete t.Resources[id];
    const { code, json } = await auditJson([writeTemplate(t)]);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(statusMatrix(json)['root-account-usage']).toEqual({ SECURITY_HUB: 'FAIL', PROWLER: 'FAIL', STEAMPIPE: 'FAIL', CLOUDSPLOIT: 'FAIL' });
  });

  test('an imported topic\'s subscriptions are unchecked, not failed', async () => {
    const app = new App();
    const stack = new Stack(app, 'Imported', { env: ENV });
    const topic = sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:us-east-1:123456789012:ops-alerts');
    new CisMonitoring(stack, 'Cis', { topic, logGroup: logs.LogGroup.fromLogGroupName(stack, 'L', 'org-trail-logs') });
    const t = Template.fromStack(stack).toJSON();
    const { code, json } = await auditJson([writeTemplate(t), '--scanners', 'security-hub,steampipe']);
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['NOT_APPLICABLE', 'PASS']);
    expect(json.unchecked.map((u: any) => u.condition)).toContainEqual('Topic arn:aws:sns:us-east-1:123456789012:ops-alerts (alarm Imported-Cis-unauthorized-api-calls) is not visible here, so whether it has a confirmed subscriber could not be checked.');
  });
});

describe('reading templates and cdk.out', () => {
  test('a cdk.out directory (manifest.json, nested stage assemblies included)', async () => {
    const outdir = tmpDir();
    const app = new App({ outdir });
    const stack = new Stack(app, 'Top', { env: ENV });
    new CisMonitoring(stack, 'Cis', { emailAddresses: ['a@example.com'] });
    const stage = new Stage(app, 'Prod', { env: ENV });
    const inner = new Stack(stage, 'Inner');
    new CisMonitoring(inner, 'Cis', { logGroup: logs.LogGroup.fromLogGroupName(inner, 'L', 'x'), metricNamespace: 'CISBenchmark/Prod', emailAddresses: ['a@example.com'] });
    app.synth();
    const { code, json } = await auditJson([outdir]);
    // Both stacks deploy to ENV: one account and Region, one matrix.
    expect(json.audited).toMatch(/\(2 templates: Prod\/Inner, Top\) in aws:\/\/123456789012\/us-east-1$/);
    expect(json.environment).toBe('aws://123456789012/us-east-1');
    // Top's trail and planned filters pass; Inner's filters on log group "x" are simply extra.
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
  });

  test('a directory without manifest.json: every *.template.json', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'A.template.json'), JSON.stringify(planned));
    fs.writeFileSync(path.join(dir, 'notes.json'), '{}');
    const { code, json } = await auditJson([dir]);
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
    expect(json.audited).toBe('A');
    expect(json.notes).toContainEqual(expect.stringMatching(/has no manifest\.json, so every \*\.template\.json in it was read and their account and Region are unknown/));
  });

  test('Fn::Join and Fn::Sub ARNs and literal names link trail, filters, alarms and topics', async () => {
    const lg = 'cis-trail-logs';
    const pattern = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }';
    const template = {
      Parameters: { Namespace: { Type: 'String', Default: 'CISBenchmark' } },
      Resources: {
        Trail: {
          Type: 'AWS::CloudTrail::Trail',
          Properties: {
            IsLogging: true,
            IsMultiRegionTrail: 'true',
            S3BucketName: 'b',
            CloudWatchLogsLogGroupArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:log-group:${lg}:*`]] },
            EventSelectors: [{ ReadWriteType: 'All' }],
          },
        },
        Filter: {
          Type: 'AWS::Logs::MetricFilter',
          Properties: { LogGroupName: lg, FilterPattern: pattern, MetricTransformations: [{ MetricName: 'Root', MetricNamespace: { Ref: 'Namespace' }, MetricValue: '1' }] },
        },
        Alarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { MetricName: 'Root', Namespace: 'CISBenchmark', AlarmActions: [{ 'Fn::Sub': 'arn:${AWS::Partition}:sns:us-east-1:123456789012:cis' }] },
        },
        Sub: { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { 'Fn::Sub': 'arn:${AWS::Partition}:sns:us-east-1:123456789012:cis' }, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:123456789012:q' } },
      },
    };
    const { json } = await auditJson([writeTemplate(template), '--scanners', 'prowler,steampipe']);
    expect(statusMatrix(json)['root-account-usage']).toEqual({ PROWLER: 'PASS', STEAMPIPE: 'PASS' });
    expect(json.controls[2].results.STEAMPIPE.reasons[0]).toContain('topic arn:${AWS.Partition}:sns:us-east-1:123456789012:cis with 1 subscription(s)');
  });

  test.each([
    ['a path that does not exist', () => path.join(tmpDir(), 'missing.json'), /does not exist\. Pass a cdk\.out directory/],
    ['an empty directory', () => tmpDir(), /contains no CloudFormation template .*Pass a cdk\.out directory produced by `cdk synth`/],
    ['a file that is not JSON', () => writeTemplate('Resources:\n  A: 1\n', 't.yaml'), /is not valid JSON .*YAML is not read/],
    ['JSON that is no template', () => writeTemplate({ Records: [] }), /is not a CloudFormation template: it has none of AWSTemplateFormatVersion, Resources/],
    ['JSON whose Resources is an array', () => writeTemplate({ Resources: [] }), /its "Resources" is not an object/],
    ['a cdk.out whose manifest.json is broken', () => {
      const d = tmpDir();
      fs.writeFileSync(path.join(d, 'manifest.json'), '{');
      return d;
    }, /manifest\.json cannot be read as JSON .*Re-run `cdk synth`/],
  ])('bad input: %s exits 2 with a message', async (_label, make, message) => {
    const r = await runCli(['audit', make()]);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});

describe('CLI flags: bad input exits 2 and says what to do', () => {
  let file: string;
  beforeAll(() => {
    file = writeTemplate(planned);
  });

  test.each([
    [['--format', 'xml'], /--format "xml" is not supported\. Use one of: text, json, asff, ocsf, csv, html \(for example --format html\)\./],
    [['--scanners', 'prowler,nessus'], /--scanners: Unknown scanner "nessus" in "prowler,nessus"\. Accepted: security-hub, prowler, steampipe, cloudsploit\./],
    [['--scanners', ''], /--scanners: The scanner list "" is empty/],
    [['--benchmark', '9.9.9'], /--benchmark: Unknown CIS AWS Foundations Benchmark version "9\.9\.9"\. Known versions: 1\.2\.0/],
    [['--region', 'us-east-1'], /--region only applies with --live/],
    [['--profile', 'audit'], /--profile only applies with --live/],
  ])('%j', async (flags, message) => {
    const r = await runCli(['audit', file, ...flags]);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stderr).toMatch(message);
  });

  test.each([
    [['--live', 'cdk.out'], /--live audits the account, so the path "cdk\.out" cannot be used with it/],
    [[], /Nothing to audit: pass a cdk\.out directory or template file/],
    [['--live', '--region', 'mars'], /--region "mars" is not a region name\. Use a name such as us-east-1/],
    [['--live', '--region', 'US-EAST-1'], /--region "US-EAST-1" is not a region name/],
    [['--live', '--profile', 'my profile'], /--profile "my profile" is not a profile name/],
    [['--live', '--profile', ''], /--profile "" is not a profile name/],
  ])('%j', async (flags, message) => {
    const r = await runCli(['audit', ...flags]);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stderr).toMatch(message);
  });

  test.each([
    [['--unknown-flag'], /unknown option '--unknown-flag'/],
    [['--format'], /option '--format <format>' argument missing/],
    [['--scanners'], /option '--scanners <list>' argument missing/],
    [['--benchmark'], /option '--benchmark <version>' argument missing/],
  ])('commander usage error %j exits 2', async (flags, message) => {
    const r = await runCli(['audit', file, ...flags]);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stderr).toMatch(message);
  });

  test('--help exits 0 and documents the exit codes', async () => {
    const r = await runCli(['audit', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stdout).toMatch(/3 {2}at least one selected scanner fails/);
  });
});

describe('one reader of cloud assemblies: environments, versions, nested stacks', () => {
  const sqsSubscriber = (stack: Stack, cis: CisMonitoring) => cis.topic.addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Q', { enforceSSL: true })));

  test('two Regions are two targets, each with its own matrix; one broken Region fails alone', async () => {
    const outdir = tmpDir();
    const app = new App({ outdir });
    for (const region of ['eu-west-1', 'us-east-1']) {
      const stack = new Stack(app, `Cis-${region}`, { env: { account: '123456789012', region } });
      const cis = new CisMonitoring(stack, 'Cis', { emailAddresses: ['a@example.com'], controls: region === 'us-east-1' ? [CisControl.ROOT_ACCOUNT_USAGE] : undefined });
      sqsSubscriber(stack, cis);
    }
    app.synth();
    const { code, doc } = await auditJson([outdir, '--scanners', 'prowler']);
    expect(doc.targets.map((t: any) => [t.account, t.region, t.environment])).toEqual([
      ['123456789012', 'eu-west-1', 'aws://123456789012/eu-west-1'],
      ['123456789012', 'us-east-1', 'aws://123456789012/us-east-1'],
    ]);
    expect(statusesOf(doc.targets[0], 'PROWLER')).toEqual(['PASS']);
    // us-east-1 deploys only root usage: the other controls fail there, and only there.
    expect(Object.entries(statusMatrix(doc.targets[1])).filter(([, r]) => r.PROWLER === 'PASS').map(([k]) => k)).toEqual(['root-account-usage']);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(doc.exitCode).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);

    const text = await runCli(['audit', outdir, '--scanners', 'prowler']);
    expect(text.stdout).toContain('== aws://123456789012/eu-west-1 ==');
    expect(text.stdout).toContain('== aws://123456789012/us-east-1 ==');
    expect(text.stdout.trimEnd().split('\n').pop()).toBe('Result: FAIL in aws://123456789012/us-east-1 (exit code 3).');
  });

  test('the version a stack was built for is read from its labels: a v1.2.0 stack is judged as 1.2.0 without --benchmark', async () => {
    const v12 = synthTemplate({ emailAddresses: ['a@example.com'], benchmarkVersion: CisBenchmarkVersion.V1_2_0 }, { extend: sqsSubscriber });
    const { code, json } = await auditJson([writeTemplate(v12)]);
    expect(json.benchmark).toBe('1.2.0');
    expect(json.benchmarkFrom).toBe('labels');
    expect(json.controls.map((c: any) => c.cisId)).toEqual(['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14']);
    expect(statusesOf(json, 'PROWLER')).toEqual(['PASS']);
    expect(code).not.toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    // --benchmark still wins when given.
    const told = await auditJson([writeTemplate(v12), '--benchmark', '7.0.0']);
    expect([told.json.benchmark, told.json.benchmarkFrom]).toEqual(['7.0.0', 'option']);
    // Without labels (another tool's template) the newest version is assumed, as before.
    const unlabelled = clone(v12);
    for (const r of Object.values<any>(unlabelled.Resources)) delete r.Metadata;
    const guessed = await auditJson([writeTemplate(unlabelled)]);
    expect([guessed.json.benchmark, guessed.json.benchmarkFrom]).toEqual(['7.0.0', 'default']);
  });

  test('every metric filter, alarm, rule and query carries its label', () => {
    const t = synthTemplate({ emailAddresses: ['a@example.com'], realtimeRules: true, investigationQueries: true, exclusions: [] });
    const labels = (type: string) => resourcesOfType(t, type).map(([, r]) => r.Metadata?.['cdk-cis-monitoring']);
    const filters = labels('AWS::Logs::MetricFilter');
    expect(filters).toHaveLength(35);
    expect(filters.filter((l: any) => l.role === 'compliance')).toHaveLength(15);
    expect(filters.filter((l: any) => l.role === 'scanner-variant')).toHaveLength(20);
    for (const type of ['AWS::CloudWatch::Alarm', 'AWS::Events::Rule', 'AWS::Logs::QueryDefinition']) {
      const perControl = labels(type).filter((l: any) => l !== undefined);
      expect(perControl).toHaveLength(15);
      expect(perControl).toContainEqual({ control: 'root-account-usage', role: 'compliance', cisId: '5.3', benchmark: '7.0.0' });
    }
  });

  test('a stack without resources is accepted, and nested stacks are read with their parent', async () => {
    const outdir = tmpDir();
    const app = new App({ outdir });
    new Stack(app, 'Empty', { env: ENV });
    const parent = new Stack(app, 'Parent', { env: ENV });
    const nested = new NestedStack(parent, 'Monitoring');
    const cis = new CisMonitoring(nested, 'Cis', { emailAddresses: ['a@example.com'] });
    sqsSubscriber(nested, cis);
    app.synth();
    expect(fs.readdirSync(outdir).some(f => f.endsWith('.nested.template.json'))).toBe(true);
    const { code, json } = await auditJson([outdir, '--scanners', 'prowler,steampipe']);
    expect(json.audited).toMatch(/3 templates: Empty, Parent, Parent\/Monitoring\w*/);
    expect(statusesOf(json, 'PROWLER')).toEqual(['PASS']);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['PASS']);
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
  });

  test('a stale template the manifest no longer lists is ignored', async () => {
    const outdir = tmpDir();
    const app = new App({ outdir });
    const stack = new Stack(app, 'Live', { env: ENV });
    sqsSubscriber(stack, new CisMonitoring(stack, 'Cis', { emailAddresses: ['a@example.com'] }));
    app.synth();
    // A broken template left behind by an earlier synthesis: read, it would fail the audit.
    fs.writeFileSync(path.join(outdir, 'Old.template.json'), '{ not json');
    const { code, json } = await auditJson([outdir]);
    expect(json.audited).toBe('Live in aws://123456789012/us-east-1');
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
  });
});
