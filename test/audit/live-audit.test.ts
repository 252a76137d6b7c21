/**
 * `cis-monitoring audit --live` end to end against a moto server: the
 * template of the real construct (with the planner's filters) is applied to
 * moto through the direct APIs, audited, then broken one thing at a time.
 * Also: unreachable endpoint, rejected credentials, access denied, no
 * credentials and no region, each with its own exit code.
 */
import { CloudTrailClient, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DeleteMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListSubscriptionsByTopicCommand, SNSClient, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { auditJson, cleanTmp, resourcesOfType, runCli, statusMatrix, statusesOf, synthTemplate } from './helpers';
import { AppliedTemplate, applyTemplateToMoto } from './moto-apply';
import { AUDIT_EXIT_CODES } from '../../src/audit/errors';
import { MotoServer, createUserWithoutPermissions, describeIfPython, freePort, pointAwsSdkAt, saveAwsEnvironment, startMoto } from '../support/moto';


describeIfPython('audit --live against moto', () => {
  let moto: MotoServer;
  let template: any;
  let restoreEnvironment = (): void => undefined;

  /** Points the SDK at moto with dummy credentials and no shared config. */
  function useMoto(): void {
    pointAwsSdkAt(moto.endpoint);
  }

  async function deploy(): Promise<AppliedTemplate> {
    await moto.reset();
    return applyTemplateToMoto(template, moto.endpoint);
  }

  beforeAll(async () => {
    restoreEnvironment = saveAwsEnvironment();
    moto = await startMoto();
    // The real construct, with the planner's filters (as the construct will deploy them) and an email subscriber.
    template = synthTemplate({ emailAddresses: ['security@example.com'] });
  });

  afterAll(async () => {
    await moto?.stop();
    restoreEnvironment();
    cleanTmp();
  });

  beforeEach(() => useMoto());

  test('the deployed example passes every scanner; moto reports email subscriptions as confirmed', async () => {
    const applied = await deploy();
    // What moto says about the email subscription: a real ARN, not "PendingConfirmation" as AWS would say until confirmed.
    const subs = await new SNSClient({}).send(new ListSubscriptionsByTopicCommand({ TopicArn: applied.topicArns[0] }));
    expect(subs.Subscriptions).toEqual([expect.objectContaining({ Protocol: 'email', Endpoint: 'security@example.com', SubscriptionArn: expect.stringMatching(/^arn:aws:sns:/) })]);

    const { code, json, stderr } = await auditJson(['--live']);
    expect(stderr).toBe('');
    expect(code).toBe(AUDIT_EXIT_CODES.OK);
    expect(json.source).toBe('live');
    expect(json.audited).toBe(`us-east-1 via ${moto.endpoint}`);
    const m = statusMatrix(json);
    for (const key of Object.keys(m)) {
      expect({ key, ...m[key] }).toEqual({ key, SECURITY_HUB: key === 'organizations-changes' ? 'NOT_APPLICABLE' : 'PASS', PROWLER: 'PASS', STEAMPIPE: 'PASS', CLOUDSPLOIT: 'PASS' });
    }
    expect(json.summaries[0].status).toBe('PASS');
    expect(json.unchecked).toEqual([]);
  });

  test('with scanners: [] (one CIS text per control) it fails where the template audit says it does', async () => {
    await moto.reset();
    await applyTemplateToMoto(synthTemplate({ emailAddresses: ['security@example.com'] }, { planned: false }), moto.endpoint);
    const { code, json } = await auditJson(['--live', '--region', 'us-east-1']);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    const m = statusMatrix(json);
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['FAIL', 'NOT_APPLICABLE']);
    expect(Object.keys(m).filter(k => m[k].PROWLER === 'FAIL')).toEqual(['route-table-changes', 'organizations-changes']);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['PASS']);
  });

  test('a metric filter deleted: the scanner that needed it fails', async () => {
    const applied = await deploy();
    const [id] = resourcesOfType(template, 'AWS::Logs::MetricFilter')
      .find(([, r]) => r.Properties.FilterPattern === '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}')!;
    await new CloudWatchLogsClient({}).send(new DeleteMetricFilterCommand({ logGroupName: applied.filterLogGroups[id], filterName: id }));
    const { code, json } = await auditJson(['--live']);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(statusMatrix(json)['root-account-usage']).toEqual({ SECURITY_HUB: 'FAIL', PROWLER: 'PASS', STEAMPIPE: 'PASS', CLOUDSPLOIT: 'PASS' });
  });

  test('an alarm action removed: Security Hub and Steampipe fail that control', async () => {
    await deploy();
    const cw = new CloudWatchClient({});
    const alarm = (await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms!.find(a => a.MetricName === 'VPCChanges')!;
    await cw.send(new PutMetricAlarmCommand({
      AlarmName: alarm.AlarmName,
      MetricName: alarm.MetricName,
      Namespace: alarm.Namespace,
      Statistic: alarm.Statistic,
      Period: alarm.Period,
      EvaluationPeriods: alarm.EvaluationPeriods,
      Threshold: alarm.Threshold,
      ComparisonOperator: alarm.ComparisonOperator,
      AlarmActions: [],
    }));
    const { code, json } = await auditJson(['--live']);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(statusMatrix(json)['vpc-changes']).toEqual({ SECURITY_HUB: 'FAIL', PROWLER: 'PASS', STEAMPIPE: 'FAIL', CLOUDSPLOIT: 'PASS' });
  });

  test('the trail stopped: Security Hub and Steampipe fail every control', async () => {
    const applied = await deploy();
    await new CloudTrailClient({}).send(new StopLoggingCommand({ Name: applied.trailName }));
    const { code, json } = await auditJson(['--live']);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['FAIL', 'NOT_APPLICABLE']);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['FAIL']);
    expect(statusesOf(json, 'PROWLER')).toEqual(['PASS']);
    expect(json.controls[0].results.STEAMPIPE.reasons[0]).toMatch(/is not logging/);
  });

  test('the subscription dropped: Security Hub and Steampipe fail every control', async () => {
    const applied = await deploy();
    const sns = new SNSClient({});
    const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: applied.topicArns[0] }));
    for (const s of subs.Subscriptions ?? []) await sns.send(new UnsubscribeCommand({ SubscriptionArn: s.SubscriptionArn }));
    const { code, json } = await auditJson(['--live']);
    expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(statusesOf(json, 'SECURITY_HUB')).toEqual(['FAIL', 'NOT_APPLICABLE']);
    expect(statusesOf(json, 'STEAMPIPE')).toEqual(['FAIL']);
    expect(json.controls[0].results.SECURITY_HUB.reasons[0]).toMatch(/has no subscriber/);
  });

  test('text output names the region and endpoint', async () => {
    await deploy();
    const r = await runCli(['audit', '--live', '--scanners', 'prowler']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.OK);
    expect(r.stdout).toContain(`audit of us-east-1 via ${moto.endpoint} (deployed account)`);
  });

  test('an unreachable endpoint exits 5 with a clear message', async () => {
    const port = await freePort();
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
    const r = await runCli(['audit', '--live']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.UNREACHABLE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`Cannot reach endpoint http://127\\.0\\.0\\.1:${port} for cloudtrail:DescribeTrails \\(ECONNREFUSED.*\\)\\. Check --region, AWS_ENDPOINT_URL and the network`));
  });

  describe('with IAM enforced by moto', () => {
    let user: { accessKeyId: string; secretAccessKey: string };
    beforeAll(async () => {
      await moto.reset();
      user = await createUserWithoutPermissions(moto.endpoint, 'auditor');
      await moto.setAuthAfter(0);
    });
    afterAll(async () => {
      await moto.setAuthAfter(Infinity);
    });

    test('unknown credentials exit 4', async () => {
      process.env.AWS_ACCESS_KEY_ID = 'AKIAUNKNOWNKEY000000';
      process.env.AWS_SECRET_ACCESS_KEY = 'not-a-secret';
      const r = await runCli(['audit', '--live']);
      expect(r.code).toBe(AUDIT_EXIT_CODES.CREDENTIALS);
      expect(r.stderr).toMatch(/AWS rejected the credentials on cloudtrail:DescribeTrails \(InvalidClientTokenId: The security token included in the request is invalid\)\. Check the access key/);
    });

    test('a user without permissions: access denied exits 6 and lists the permissions needed', async () => {
      process.env.AWS_ACCESS_KEY_ID = user.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = user.secretAccessKey;
      const r = await runCli(['audit', '--live']);
      expect(r.code).toBe(AUDIT_EXIT_CODES.ACCESS_DENIED);
      expect(r.stderr).toMatch(/Access denied on cloudtrail:DescribeTrails \(AccessDenied(Exception)?: User: arn:aws:iam::123456789012:user\/auditor is not authorized to perform: cloudtrail:DescribeTrails/);
      expect(r.stderr).toMatch(/needs read-only cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus, cloudtrail:GetEventSelectors, logs:DescribeMetricFilters, cloudwatch:DescribeAlarms, sns:ListSubscriptionsByTopic; attach the SecurityAudit managed policy/);
    });
  });

  test('no credentials at all (unknown profile) exits 4', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const r = await runCli(['audit', '--live', '--profile', 'no-such-profile']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.CREDENTIALS);
    expect(r.stderr).toMatch(/No usable AWS credentials \(profile "no-such-profile"\): .*Pass --profile, set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\./);
  });

  test('no region anywhere exits 2 and says to pass --region', async () => {
    delete process.env.AWS_REGION;
    const r = await runCli(['audit', '--live']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stderr).toMatch(/No valid AWS region for cloudtrail:DescribeTrails: .*Pass --region \(e\.g\. --region us-east-1\) or set AWS_REGION\./);
  });
});
