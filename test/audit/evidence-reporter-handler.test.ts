/**
 * The evidence reporter's Lambda handler, in process, against moto, end to
 * end, driven the way its state machine drives it: plan (the schedule's
 * execution name and start time) → one audit call per batch (the distributed
 * map) → report. An organization of the management account (the reporter's
 * own, read with its own credentials) and members workloads, data, sandbox
 * and legacy, which refuses the audit role, in us-east-1 and eu-west-1, the
 * real construct's template deployed everywhere, one control broken.
 *
 * Checked: findings in every member's Security Hub (FAILED exactly at the
 * break), the report's JSON, CSV and HTML in S3, the metrics in CloudWatch,
 * the alerts on the severity topics (unauditable targets on the first run, a
 * PASSED → FAILED regression on the second, nothing new on a quiet run), a
 * batch that never finished, an alert topic that refuses (the run's state is
 * not advanced, so the retry alerts), and a batch out of time.
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DeleteMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { EnableSecurityHubCommand, GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { cleanTmp, resourcesOfType, synthTemplate } from './helpers';
import { AppliedTemplate, MotoAccount, applyTemplateToMoto } from './moto-apply';
import { MANAGEMENT_ACCOUNT, MotoOrganization, createAuditor, createMotoOrganization } from './moto-organization';
import { runToCsv } from '../../src/audit/csv';
import { findingId } from '../../src/audit/findings';
import { runToHtml } from '../../src/audit/html';
import { handler, ReportSummary, STATE_KEY } from '../../src/audit/reporter/handler';
import { CisBenchmarkVersion } from '../../src/catalog';
import { MotoServer, createBucket, describeIfPython, pointAwsSdkAt, rawRequest, saveAwsEnvironment, startMoto } from '../support/moto';

const REGIONS = ['us-east-1', 'eu-west-1'];
const CONTROLS = CisBenchmarkVersion.V7_0_0.controls().map(c => c.key);
const ROOT_USAGE_PATTERN = '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}';
const BUCKET = 'cis-evidence-reports';
const AUDIT_ROLE = 'CisMonitoringEvidenceAudit';
const ALLOW_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

let restoreEnvironment = (): void => undefined;
beforeAll(() => {
  restoreEnvironment = saveAwsEnvironment();
});
afterAll(() => {
  restoreEnvironment();
  cleanTmp();
  for (const k of Object.keys(process.env)) if (REPORTER_ENV.includes(k)) delete process.env[k];
});

const REPORTER_ENV = ['REPORT_BUCKET', 'REGIONS', 'ACCOUNTS', 'AUDIT_ROLE_NAME', 'SELF_ACCOUNT', 'BENCHMARK', 'SCANNERS', 'SECURITY_HUB', 'ALERT_TOPICS', 'TOOL_VERSION', 'BATCH_SIZE', 'TARGET_METRICS', 'CALL_TIMEOUT_SECONDS'];

describeIfPython('the evidence reporter handler against moto', () => {
  let moto: MotoServer;
  let org: MotoOrganization;
  let reporter: { accessKeyId: string; secretAccessKey: string };
  let template: any;
  const applied: Record<string, AppliedTemplate> = {};
  const queues: Record<string, string> = {};
  const topics: Record<string, string> = {};
  let members: MotoAccount[];

  beforeAll(async () => {
    moto = await startMoto();
    pointAwsSdkAt(moto.endpoint);
    template = synthTemplate({ emailAddresses: ['security@example.com'] });
    org = await createMotoOrganization(['workloads', 'data', 'sandbox', 'legacy']);
    for (const region of REGIONS) {
      applied[`management/${region}`] = await applyTemplateToMoto(template, moto.endpoint, region);
      await new SecurityHubClient({ region }).send(new EnableSecurityHubCommand({}));
      for (const [name, m] of Object.entries(org.members)) {
        applied[`${name}/${region}`] = await applyTemplateToMoto(template, moto.endpoint, region, m);
        await hub(m, region).send(new EnableSecurityHubCommand({}));
      }
    }
    // The member template's audit role in every member (moto does not check its trust policy; the refusal is the reporter's Deny below).
    for (const m of Object.values(org.members)) {
      const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MANAGEMENT_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] });
      await rawRequest(moto.endpoint, 'iam', 'POST', '/', { Action: 'CreateRole', RoleName: AUDIT_ROLE, AssumeRolePolicyDocument: trust, Version: '2010-05-08' }, m.credentials.accessKeyId);
      await rawRequest(moto.endpoint, 'iam', 'POST', '/', { Action: 'PutRolePolicy', RoleName: AUDIT_ROLE, PolicyName: 'audit', PolicyDocument: ALLOW_ALL, Version: '2010-05-08' }, m.credentials.accessKeyId);
      // moto's OrganizationAccountAccessRole, used by the test itself to break controls and read findings.
      await rawRequest(moto.endpoint, 'iam', 'POST', '/', { Action: 'PutRolePolicy', RoleName: 'OrganizationAccountAccessRole', PolicyName: 'admin', PolicyDocument: ALLOW_ALL, Version: '2010-05-08' }, m.credentials.accessKeyId);
    }
    await deleteFilter('data', 'eu-west-1', ROOT_USAGE_PATTERN);
    await createBucket(moto.endpoint, BUCKET);
    // One topic per severity, each read through an SQS queue.
    const sns = new SNSClient({ region: 'us-east-1' });
    const sqs = new SQSClient({ region: 'us-east-1' });
    for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) {
      topics[severity] = (await sns.send(new CreateTopicCommand({ Name: `cis-evidence-${severity.toLowerCase()}` }))).TopicArn!;
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: `alerts-${severity.toLowerCase()}` }))).QueueUrl!;
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      await sns.send(new SubscribeCommand({ TopicArn: topics[severity], Protocol: 'sqs', Endpoint: arn }));
      queues[severity] = url;
    }
    reporter = await createAuditor(moto.endpoint, [org.members.legacy.account]);
    await moto.setAuthAfter(0);
    members = ['workloads', 'data', 'sandbox'].map(n => org.members[n]);
  }, 300_000);

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(() => {
    pointAwsSdkAt(moto.endpoint, reporter);
    Object.assign(process.env, {
      REPORT_BUCKET: BUCKET,
      REGIONS: REGIONS.join(','),
      ACCOUNTS: '',
      AUDIT_ROLE_NAME: AUDIT_ROLE,
      SELF_ACCOUNT: MANAGEMENT_ACCOUNT,
      BENCHMARK: '7.0.0',
      SCANNERS: 'security-hub,prowler,steampipe,cloudsploit',
      SECURITY_HUB: 'true',
      ALERT_TOPICS: JSON.stringify(topics),
      TOOL_VERSION: '9.9.9-test',
      BATCH_SIZE: '3',
      TARGET_METRICS: 'true',
      CALL_TIMEOUT_SECONDS: '10',
    });
  });

  function hub(m: MotoAccount | undefined, region: string): SecurityHubClient {
    return new SecurityHubClient({ region, endpoint: moto.endpoint, ...(m ? { credentials: m.credentials } : {}) });
  }

  async function asAdmin<T>(fn: () => Promise<T>): Promise<T> {
    await moto.setAuthAfter(Infinity);
    try {
      return await fn();
    } finally {
      await moto.setAuthAfter(0);
    }
  }

  async function deleteFilter(member: string, region: string, pattern: string): Promise<void> {
    const [id] = resourcesOfType(template, 'AWS::Logs::MetricFilter').find(([, r]) => r.Properties.FilterPattern === pattern)!;
    await new CloudWatchLogsClient({ region, credentials: org.members[member].credentials, endpoint: moto.endpoint })
      .send(new DeleteMetricFilterCommand({ logGroupName: applied[`${member}/${region}`].filterLogGroups[id], filterName: id }));
  }

  /** The alerts that arrived on a severity's topic since the last call: [subject, message]. */
  async function alerts(severity: string): Promise<Array<[string, string]>> {
    const out: Array<[string, string]> = [];
    const sqs = new SQSClient({ region: 'us-east-1' });
    for (;;) {
      const receive = new ReceiveMessageCommand({ QueueUrl: queues[severity], MaxNumberOfMessages: 10, VisibilityTimeout: 3600 });
      const r = await asAdmin(() => sqs.send(receive));
      if (!r.Messages?.length) return out;
      for (const m of r.Messages) {
        const envelope = JSON.parse(m.Body!);
        out.push([envelope.Subject, envelope.Message]);
      }
    }
  }

  /** One run, as the state machine runs it; `skipBatches` leaves batches out as if their Lambda kept failing. */
  async function run(runId: string, options: { skipBatches?: number[] } = {}): Promise<{ plan: any; summary: ReportSummary }> {
    const plan: any = await handler({ phase: 'plan', runId, time: new Date().toISOString() });
    for (const batch of plan.batches) {
      if (options.skipBatches?.includes(batch.index)) continue;
      await handler({ phase: 'audit', runId: plan.runId, batch }, { getRemainingTimeInMillis: () => 900_000 });
    }
    const summary = await handler({ phase: 'report', runId: plan.runId }) as ReportSummary;
    return { plan, summary };
  }

  async function readObject(key: string): Promise<string> {
    const out = await new S3Client({ region: 'us-east-1' }).send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return out.Body!.transformToString('utf-8');
  }

  async function memberFindings(m: MotoAccount, region: string) {
    return asAdmin(async () => (await hub(m, region).send(new GetFindingsCommand({ MaxResults: 100 }))).Findings ?? []);
  }

  let firstReport: any;

  test('run 1: every target audited or reported, findings in each member\'s Security Hub, the report in S3, metrics, and an alert for the refusing member', async () => {
    const started = Date.now();
    const { plan, summary } = await run('run-1');
    // eslint-disable-next-line no-console
    console.log(`reporter run of ${summary.targets} targets: ${Date.now() - started} ms in all, ${summary.msPerTarget.mean} ms per target (p95 ${summary.msPerTarget.p95})`);
    const accounts = [MANAGEMENT_ACCOUNT, ...Object.values(org.members).map(m => m.account)].sort();
    expect(plan.targets).toBe(accounts.length * REGIONS.length);
    expect(plan.batches.map((b: any) => [b.from, b.to])).toEqual([[0, 3], [3, 6], [6, 9], [9, 10]]);
    expect(summary).toMatchObject({
      runId: 'run-1',
      targets: 10,
      audited: 8,
      unauditable: 2,
      regressions: 0,
      newlyUnauditable: 2,
      alerts: 1,
      securityHubFailures: 0,
      findings: { FAILED: 1 + 2 * 0, PASSED: 8 * CONTROLS.length - 1, WARNING: 0, NOT_AVAILABLE: 2 * CONTROLS.length },
    });
    expect(summary.msPerTarget.mean).toBeGreaterThan(0);

    // Security Hub of every member: one finding per control, FAILED exactly at the break.
    for (const m of members) {
      for (const region of REGIONS) {
        const findings = await memberFindings(m, region);
        expect(findings.map(f => f.Id).sort()).toEqual(CONTROLS.map(k => findingId(m.account, region, k)).sort());
        const failed = findings.filter(f => f.Compliance?.Status === 'FAILED').map(f => f.Id);
        expect(failed).toEqual(m === org.members.data && region === 'eu-west-1' ? [findingId(m.account, region, 'root-account-usage')] : []);
      }
    }
    for (const region of REGIONS) expect(await memberFindings(org.members.legacy, region)).toEqual([]);

    // The report: JSON, CSV and HTML of the run under reports/YYYY/MM/DD/<time>-<run>/.
    const keys = await asAdmin(async () => ((await new S3Client({ region: 'us-east-1' }).send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: summary.reportPrefix }))).Contents ?? []).map(o => o.Key!));
    expect(keys.map(k => k.slice(summary.reportPrefix.length).replace(/\d{8}T\d{6}Z/, 'T')).sort()).toEqual(['cis-monitoring-T.csv', 'cis-monitoring-T.html', 'cis-monitoring-T.json']);
    expect(summary.reportPrefix).toMatch(/^reports\/\d{4}\/\d\d\/\d\d\/\d{8}T\d{6}Z-run-1\/$/);
    firstReport = JSON.parse(await asAdmin(() => readObject(keys.find(k => k.endsWith('.json'))!)));
    expect(firstReport.tool).toEqual({ name: 'cdk-cis-monitoring', version: '9.9.9-test' });
    expect(firstReport.organizationId).toBe(org.organizationId);
    expect(firstReport.targets.map((t: any) => t.environment)).toEqual(accounts.flatMap(a => REGIONS.map(r => `aws://${a}/${r}`)));
    expect(firstReport.targets.filter((t: any) => !t.audited).map((t: any) => [t.environment, t.error.kind])).toEqual(
      REGIONS.map(r => [`aws://${org.members.legacy.account}/${r}`, 'ACCESS_DENIED']));
    expect(firstReport.securityHub.map((r: any) => r.outcome)).toEqual(Array(8).fill('IMPORTED'));
    const html = await asAdmin(() => readObject(keys.find(k => k.endsWith('.html'))!));
    expect(html).toContain('<dd data-fact="tool">cdk-cis-monitoring 9.9.9-test</dd>');
    expect(html).toContain('NOT AUDITED (ACCESS_DENIED)');
    const csv = await asAdmin(() => readObject(keys.find(k => k.endsWith('.csv'))!));
    expect(csv.trimEnd().split('\r\n')).toHaveLength(1 + 10 * CONTROLS.length * 4);
    // Streamed a batch at a time, the files are exactly what the CLI renders from the same findings.
    expect(html).toBe(runToHtml(firstReport));
    expect(csv).toBe(runToCsv(firstReport));

    // Metrics: per target and per run.
    const cw = new CloudWatchClient({ region: 'us-east-1' });
    const stat = async (name: string, dims: Record<string, string> = {}) => asAdmin(async () => (await cw.send(new GetMetricStatisticsCommand({
      Namespace: 'CISMonitoring/Evidence',
      MetricName: name,
      Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
      StartTime: new Date(Date.now() - 3_600_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 60,
      Statistics: ['Maximum'],
    }))).Datapoints?.map(d => d.Maximum) ?? []);
    expect(await stat('FailedControls', { Account: org.members.data.account, Region: 'eu-west-1' })).toEqual([1]);
    expect(await stat('FailedControls', { Account: org.members.data.account, Region: 'us-east-1' })).toEqual([0]);
    expect(await stat('Auditable', { Account: org.members.legacy.account, Region: 'us-east-1' })).toEqual([0]);
    expect(await stat('TargetsUnauditable')).toEqual([2]);

    // Alerts: the refusing member became unauditable (HIGH); no regression on a first run.
    const high = await alerts('HIGH');
    expect(high).toHaveLength(1);
    expect(high[0][0]).toBe('[HIGH] CIS evidence: 2 targets unauditable');
    expect(high[0][1]).toContain(`- aws://${org.members.legacy.account}/us-east-1 (legacy) can no longer be audited (ACCESS_DENIED): The reporter cannot assume arn:aws:iam::${org.members.legacy.account}:role/${AUDIT_ROLE}`);
    expect(high[0][1]).toMatch(new RegExp(`Report: s3://${BUCKET}/reports/.*\\.html`));
    expect(await alerts('CRITICAL')).toEqual([]);
  });

  test('run 2: a second break regresses PASSED → FAILED: the same finding flips and a CRITICAL alert names it; the refusal is not alerted again', async () => {
    await asAdmin(() => deleteFilter('workloads', 'us-east-1', ROOT_USAGE_PATTERN));
    const { summary } = await run('run-2');
    expect(summary).toMatchObject({ regressions: 1, newlyUnauditable: 0, alerts: 1, unauditable: 2 });
    const id = findingId(org.members.workloads.account, 'us-east-1', 'root-account-usage');
    const findings = await memberFindings(org.members.workloads, 'us-east-1');
    expect(findings).toHaveLength(CONTROLS.length);
    expect(findings.find(f => f.Id === id)!.Compliance?.Status).toBe('FAILED');
    const critical = await alerts('CRITICAL');
    expect(critical).toEqual([[
      '[CRITICAL] CIS evidence: 1 CIS control regressed to FAILED',
      expect.stringContaining(`- CIS AWS Foundations Benchmark v7.0.0/5.3 (root-account-usage) in aws://${org.members.workloads.account}/us-east-1 (workloads): PASSED → FAILED. Fails Security Hub`),
    ]]);
    expect(await alerts('HIGH')).toEqual([]);
  });

  test('run 3: nothing changed: no alert; the state names this run', async () => {
    const { summary } = await run('run-3');
    expect(summary).toMatchObject({ regressions: 0, newlyUnauditable: 0, alerts: 0 });
    for (const s of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) expect(await alerts(s)).toEqual([]);
    const state = JSON.parse(await asAdmin(() => readObject(STATE_KEY)));
    expect(state.runId).toBe('run-3');
    expect(state.unauditable).toHaveLength(2);
  });

  test('a batch that never finished: its targets are unauditable in the report and alerted', async () => {
    // The plan's order: accounts by id, then Regions; lose a batch without the refusing member's targets.
    const order = [MANAGEMENT_ACCOUNT, ...Object.values(org.members).map(m => m.account)].sort().flatMap(a => REGIONS.map(() => a));
    const skip = [0, 1, 2].find(i => !order.slice(i * 3, i * 3 + 3).includes(org.members.legacy.account))!;
    const { plan, summary } = await run('run-4', { skipBatches: [skip] });
    const lost = plan.batches[skip];
    expect(lost.to - lost.from).toBe(3);
    expect(summary).toMatchObject({ unauditable: 2 + 3, newlyUnauditable: 3, alerts: 1 });
    const [[subject, body]] = await alerts('HIGH');
    expect(subject).toBe(`[HIGH] CIS evidence: ${lost.to - lost.from} targets unauditable`);
    expect(body).toContain('its audit batch failed after the state machine\'s retries (see the execution run-4 in Step Functions)');
  });

  test('a target not audited in a run keeps its last status: PASSED, then unaudited, then FAILED is alerted', async () => {
    await run('run-4c');
    for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) await alerts(severity);
    // the plan's order: accounts by id, then Regions, 3 targets a batch
    const order = [MANAGEMENT_ACCOUNT, ...Object.values(org.members).map(m => m.account)].sort().flatMap(a => REGIONS.map(r => `${a}/${r}`));
    const skipped = await run('run-4d', { skipBatches: [Math.floor(order.indexOf(`${org.members.sandbox.account}/us-east-1`) / 3)] });
    expect(skipped.summary.unauditable).toBeGreaterThanOrEqual(3);
    for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) await alerts(severity);
    await asAdmin(() => deleteFilter('sandbox', 'us-east-1', ROOT_USAGE_PATTERN));
    const { summary } = await run('run-4e');
    expect(summary.regressions).toBe(1);
    const critical = await alerts('CRITICAL');
    expect(critical).toHaveLength(1);
    expect(critical[0][1]).toContain(`(root-account-usage) in aws://${org.members.sandbox.account}/us-east-1 (sandbox): PASSED → FAILED`);
    for (const severity of ['HIGH', 'MEDIUM', 'LOW']) await alerts(severity);
  });

  test('an alert topic that refuses: the report fails, the state stays, and the retry delivers the alert', async () => {
    // A complete run first, so that the next one compares against every target.
    await run('run-4b');
    for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) await alerts(severity);
    await asAdmin(() => deleteFilter('sandbox', 'eu-west-1', ROOT_USAGE_PATTERN));
    process.env.ALERT_TOPICS = JSON.stringify({ ...topics, CRITICAL: `arn:aws:sns:us-east-1:${MANAGEMENT_ACCOUNT}:no-such-topic` });
    const plan: any = await handler({ phase: 'plan', runId: 'run-5', time: new Date().toISOString() });
    for (const batch of plan.batches) await handler({ phase: 'audit', runId: 'run-5', batch });
    await expect(handler({ phase: 'report', runId: 'run-5' })).rejects.toThrow(/not found|NotFound|does not exist/i);
    expect(JSON.parse(await asAdmin(() => readObject(STATE_KEY))).runId).toBe('run-4b');
    // The state machine retries the report phase; the topic is back.
    process.env.ALERT_TOPICS = JSON.stringify(topics);
    const summary = await handler({ phase: 'report', runId: 'run-5' }) as ReportSummary;
    expect(summary.regressions).toBe(1);
    const critical = await alerts('CRITICAL');
    expect(critical).toHaveLength(1);
    expect(critical[0][1]).toContain(`(root-account-usage) in aws://${org.members.sandbox.account}/eu-west-1 (sandbox): PASSED → FAILED`);
    await alerts('HIGH');
  });

  test('an older run that reports after a newer one: its report is written, but it neither alerts nor replaces the newer state', async () => {
    // A target whose root-usage control still passes in the state, to break between the two runs.
    const before = JSON.parse(await asAdmin(() => readObject(STATE_KEY)));
    const [member, region] = ['workloads', 'data', 'sandbox'].flatMap(m => REGIONS.map(r => [m, r]))
      .find(([m, r]) => before.statuses[findingId(org.members[m].account, r, 'root-account-usage')] === 'PASSED')!;
    const older = Date.now();
    const planOld: any = await handler({ phase: 'plan', runId: 'run-6a', time: new Date(older).toISOString() });
    for (const batch of planOld.batches) await handler({ phase: 'audit', runId: 'run-6a', batch });
    // What the older run saw changes before the newer run audits.
    await asAdmin(() => deleteFilter(member, region, ROOT_USAGE_PATTERN));
    const planNew: any = await handler({ phase: 'plan', runId: 'run-6b', time: new Date(older + 60_000).toISOString() });
    for (const batch of planNew.batches) await handler({ phase: 'audit', runId: 'run-6b', batch });
    expect((await handler({ phase: 'report', runId: 'run-6b' }) as ReportSummary).regressions).toBe(1);
    const where = `in aws://${org.members[member].account}/${region} (${member}): PASSED → FAILED`;
    expect((await alerts('CRITICAL')).map(([, body]) => body)).toEqual([expect.stringContaining(where)]);
    for (const severity of ['HIGH', 'MEDIUM', 'LOW']) await alerts(severity);

    const late = await handler({ phase: 'report', runId: 'run-6a' }) as ReportSummary;
    expect(late).toMatchObject({ runId: 'run-6a', supersededBy: 'run-6b', regressions: 0, newlyUnauditable: 0, alerts: 0 });
    expect(await asAdmin(() => readObject(`${late.reportPrefix}cis-monitoring-${planOld.generatedAt.replace(/[-:]/g, '')}.json`))).toContain('"findings":[');
    expect(JSON.parse(await asAdmin(() => readObject(STATE_KEY))).runId).toBe('run-6b');
    // Had the older run replaced the state (the control PASSED there), the next run would page the same regression again.
    const { summary } = await run('run-7');
    expect(summary).toMatchObject({ regressions: 0, alerts: 0 });
    for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) expect(await alerts(severity)).toEqual([]);
  });

  test('a batch about to run out of time reports the targets it could not start, never drops them', async () => {
    const plan: any = await handler({ phase: 'plan', runId: 'run-6', time: new Date().toISOString() });
    const out: any = await handler({ phase: 'audit', runId: 'run-6', batch: plan.batches[0] }, { getRemainingTimeInMillis: () => 30_000 });
    expect(out).toMatchObject({ audited: 0, unauditable: 3 });
    const batch = JSON.parse(await asAdmin(() => readObject('runs/run-6/summaries/000000.json')));
    expect(batch.targets.map((t: any) => t.error.message)).toEqual(Array(3).fill(
      'Not audited in this run: its batch ran out of time (the function\'s 15 minutes). Lower batchSize so each batch finishes in time.'));
  });

  test('bad input: an unknown phase, a bad run id, a batch outside the plan, a missing variable', async () => {
    await expect(handler({ phase: 'nope' } as any)).rejects.toThrow('Unknown phase "nope": expected plan, audit or report.');
    await expect(handler({ phase: 'report', runId: '../etc' })).rejects.toThrow(/runId must be 1-80 letters/);
    await expect(handler({ phase: 'audit', runId: 'run-6', batch: { index: 0, from: 0, to: 999 } })).rejects.toThrow(/batch must be \{ index, from, to \} within the plan's 10 targets/);
    await expect(handler({ phase: 'audit', runId: 'no-such-run', batch: { index: 0, from: 0, to: 1 } })).rejects.toThrow(/No plan for run no-such-run/);
    delete process.env.REPORT_BUCKET;
    await expect(handler({ phase: 'plan' })).rejects.toThrow('The evidence reporter needs the environment variable REPORT_BUCKET; the construct sets it.');
  });
});
