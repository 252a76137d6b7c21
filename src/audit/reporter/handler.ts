/**
 * The evidence reporter's Lambda function (`CisEvidenceReporter`), bundled
 * with the same evaluator the CLI uses into lib/evidence-reporter/index.js.
 * A Step Functions state machine calls it in three phases:
 *
 * 1. `plan`: lists the targets (the organization's active accounts, or the
 *    configured ones, × the Regions), writes them to the bucket
 *    (`runs/<run>/plan.json`) and returns the batches (index and range only,
 *    so the state stays small at any organization size);
 * 2. `audit`, once per batch (a distributed map): assumes the audit role in
 *    each target account, reads and evaluates it, imports its findings into
 *    that account's Security Hub, and writes the batch's findings
 *    (`runs/<run>/batches/<n>.json`); targets it cannot read are recorded
 *    with why, and targets left when the function is about to time out too;
 * 3. `report`: merges the batches (a batch that never finished makes its
 *    targets unauditable), writes the run's JSON, CSV and HTML
 *    (`reports/YYYY/MM/DD/<time>-<run>/`), publishes the metrics, alerts on
 *    regressions (PASSED → FAILED) and newly unauditable targets through the
 *    severity topics, and only then records the run as the one to compare
 *    the next against: a failed alert is retried by the state machine and
 *    never lost.
 *
 * Configuration is the function's environment (set by the construct).
 */
import { once } from 'events';
import { PassThrough } from 'stream';
import { CloudWatchClient, MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { Upload } from '@aws-sdk/lib-storage';
import { alertMessages, Changes, compareFinding, newlyUnauditable, Regression, RunState } from './regressions';
import { environmentKey } from '../../assembly/cloud-assembly';
import { CisBenchmarkVersion } from '../../catalog';
import { parseScannerList } from '../../scanners/rules';
import { Scanner } from '../../scanners/scanner';
import { csvHeader, csvRows } from '../csv';
import { AUDIT_EXIT_CODES, AuditFailure, classifyAwsError } from '../errors';
import { evaluateAudit } from '../evaluate';
import { buildEvidence, ComplianceStatus, EvidenceFinding, EvidenceRun, EvidenceTarget, partitionOf } from '../findings';
import { controlsOfVersion, htmlEpilogue, htmlPrologue, htmlTargetSection } from '../html';
import { LiveCallTimeouts, LiveCredentials, readLiveModel, requestHandlerTimeouts } from '../live-reader';
import { listOrganizationAccounts, retryThrottled } from '../organization';
import { organizationExitCode, AuditRunResult, AuditTargetError, AuditTargetResult } from '../run';
import { importIntoSecurityHub, SecurityHubImportResult } from '../security-hub';

/** Where a plan's targets come from and how they are audited (the function's environment). */
export interface ReporterConfig {
  readonly bucket: string;
  readonly regions: readonly string[];
  /** Explicit accounts; empty: every active account of the organization. */
  readonly accounts: readonly string[];
  readonly auditRoleName: string;
  /** The reporter's own account: read with the function's own credentials. */
  readonly selfAccount?: string;
  readonly organizationsRoleArn?: string;
  readonly benchmark: CisBenchmarkVersion;
  readonly scanners: readonly Scanner[];
  readonly securityHub: boolean;
  /** Severity → topic ARN; `DEFAULT` for severities without a topic of their own. */
  readonly alertTopics: Readonly<Record<string, string>>;
  readonly toolVersion: string;
  readonly batchSize: number;
  readonly targetMetrics: boolean;
  readonly metricNamespace: string;
  readonly timeouts: LiveCallTimeouts;
}

/** Reads the configuration from the environment; throws with what is missing or wrong. */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): ReporterConfig {
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`The evidence reporter needs the environment variable ${name}; the construct sets it.`);
    return v;
  };
  const list = (v: string | undefined) => (v ?? '').split(',').map(x => x.trim()).filter(Boolean);
  const callTimeout = Number(env.CALL_TIMEOUT_SECONDS ?? 10) * 1000;
  return {
    bucket: need('REPORT_BUCKET'),
    regions: list(need('REGIONS')),
    accounts: list(env.ACCOUNTS),
    auditRoleName: need('AUDIT_ROLE_NAME'),
    selfAccount: env.SELF_ACCOUNT || undefined,
    organizationsRoleArn: env.ORGANIZATIONS_ROLE_ARN || undefined,
    benchmark: CisBenchmarkVersion.of(env.BENCHMARK ?? CisBenchmarkVersion.LATEST.version),
    scanners: parseScannerList(env.SCANNERS ?? 'security-hub,prowler,steampipe,cloudsploit'),
    securityHub: (env.SECURITY_HUB ?? 'true') === 'true',
    alertTopics: JSON.parse(need('ALERT_TOPICS')),
    toolVersion: env.TOOL_VERSION ?? '0.0.0',
    batchSize: Math.max(1, Number(env.BATCH_SIZE ?? 20)),
    targetMetrics: (env.TARGET_METRICS ?? 'true') === 'true',
    metricNamespace: env.METRIC_NAMESPACE ?? 'CISMonitoring/Evidence',
    timeouts: { connectionTimeout: Math.min(callTimeout, 5_000), requestTimeout: callTimeout },
  };
}

/** One account × Region of a run. */
export interface PlannedTarget {
  readonly account: string;
  readonly accountName?: string;
  readonly region: string;
}

export interface RunPlan {
  readonly runId: string;
  readonly generatedAt: string;
  readonly organizationId?: string;
  readonly benchmark: string;
  readonly scanners: readonly Scanner[];
  readonly batchSize: number;
  readonly targets: readonly PlannedTarget[];
}

/** What a batch writes besides its findings: its targets (small), read first by the report. */
export interface BatchSummary {
  readonly index: number;
  readonly targets: readonly EvidenceTarget[];
  /** Environment → control key → status. */
  readonly statuses: Readonly<Record<string, Readonly<Record<string, ComplianceStatus>>>>;
  readonly securityHub: readonly SecurityHubImportResult[];
  /** Milliseconds per target (read, evaluate, import). */
  readonly timings: ReadonlyArray<{ readonly environment: string; readonly ms: number }>;
}

/** A batch's findings (the bulk of a run), streamed into the report one batch at a time. */
export interface BatchFindings {
  readonly index: number;
  readonly findings: readonly EvidenceFinding[];
}

export interface BatchRef {
  readonly index: number;
  readonly from: number;
  readonly to: number;
}

export type ReporterEvent =
  | { readonly phase: 'plan'; readonly runId?: string; readonly time?: string }
  | { readonly phase: 'audit'; readonly runId: string; readonly batch: BatchRef }
  | { readonly phase: 'report'; readonly runId: string };

export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/** Time kept free at the end of a batch: a target is not started with less left than this. */
const BATCH_RESERVE_MS = 90_000;

export async function handler(event: ReporterEvent, context?: LambdaContext): Promise<unknown> {
  const config = configFromEnvironment();
  if (!event || typeof event !== 'object') throw new Error(`The evidence reporter expects { phase: "plan" | "audit" | "report", … }, got ${JSON.stringify(event)}.`);
  switch (event.phase) {
    case 'plan': return plan(config, event.runId, event.time);
    case 'audit': return auditBatch(config, event.runId, event.batch, context);
    case 'report': return report(config, event.runId);
  }
  throw new Error(`Unknown phase ${JSON.stringify((event as { phase?: unknown }).phase)}: expected plan, audit or report.`);
}

// ---------------------------------------------------------------- S3

const planKey = (runId: string) => `runs/${runId}/plan.json`;
const batchKey = (runId: string, index: number) => `runs/${runId}/batches/${String(index).padStart(6, '0')}.json`;
const summaryPrefix = (runId: string) => `runs/${runId}/summaries/`;
const summaryKey = (runId: string, index: number) => `${summaryPrefix(runId)}${String(index).padStart(6, '0')}.json`;
export const STATE_KEY = 'state/last-run.json';

async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
}

async function getJson<T>(s3: S3Client, bucket: string, key: string): Promise<T | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await out.Body!.transformToString('utf-8')) as T;
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchKey') return undefined;
    throw e;
  }
}

function safeRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !/^[A-Za-z0-9_.:-]{1,80}$/.test(runId)) {
    throw new Error(`runId must be 1-80 letters, digits and _ . : - (the Step Functions execution name), got ${JSON.stringify(runId)}.`);
  }
  return runId;
}

// ---------------------------------------------------------------- plan

async function plan(config: ReporterConfig, runIdIn: string | undefined, time: string | undefined) {
  const generatedAt = (time && !Number.isNaN(Date.parse(time)) ? new Date(time) : new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const runId = safeRunId(runIdIn ?? `run-${generatedAt.replace(/[-:]/g, '')}`);
  let organizationId: string | undefined;
  let accounts: Array<{ id: string; name?: string }>;
  if (config.accounts.length) {
    accounts = config.accounts.map(id => ({ id }));
  } else {
    const credentials = config.organizationsRoleArn ? await assume(config, config.organizationsRoleArn) : undefined;
    const organizations = new OrganizationsClient({ credentials, requestHandler: requestHandlerTimeouts(config.timeouts) });
    const call = <T>(action: string, fn: () => Promise<T>): Promise<T> => retryThrottled(action, fn);
    organizationId = (await call('organizations:DescribeOrganization', () => organizations.send(new DescribeOrganizationCommand({})))).Organization?.Id;
    const ctx = { region: await organizations.config.region(), endpoint: process.env.AWS_ENDPOINT_URL_ORGANIZATIONS ?? process.env.AWS_ENDPOINT_URL };
    accounts = (await listOrganizationAccounts(organizations, ctx, call)).filter(a => a.state === 'ACTIVE').map(a => ({ id: a.id, name: a.name }));
  }
  accounts.sort((a, b) => a.id.localeCompare(b.id));
  const targets: PlannedTarget[] = accounts.flatMap(a => config.regions.map(region => ({ account: a.id, accountName: a.name, region })));
  const runPlan: RunPlan = {
    runId, generatedAt, organizationId, benchmark: config.benchmark.version, scanners: config.scanners, batchSize: config.batchSize, targets,
  };
  await putJson(new S3Client({}), config.bucket, planKey(runId), runPlan);
  const batches: BatchRef[] = [];
  for (let from = 0, index = 0; from < targets.length; from += config.batchSize, index++) {
    batches.push({ index, from, to: Math.min(from + config.batchSize, targets.length) });
  }
  return { runId, generatedAt, targets: targets.length, batches };
}

// ---------------------------------------------------------------- audit

async function assume(config: ReporterConfig, roleArn: string): Promise<LiveCredentials> {
  const sts = new STSClient({ requestHandler: requestHandlerTimeouts(config.timeouts) });
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'cis-monitoring-evidence', DurationSeconds: 3600 }));
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new AuditFailure(`sts:AssumeRole on ${roleArn} returned no credentials.`, AUDIT_EXIT_CODES.ERROR);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
}

async function auditBatch(config: ReporterConfig, runIdIn: string, ref: BatchRef, context: LambdaContext | undefined): Promise<unknown> {
  const runId = safeRunId(runIdIn);
  const s3 = new S3Client({});
  const runPlan = await getJson<RunPlan>(s3, config.bucket, planKey(runId));
  if (!runPlan) throw new Error(`No plan for run ${runId} in s3://${config.bucket}/${planKey(runId)}: the plan phase must run first.`);
  const whole = ref && [ref.index, ref.from, ref.to].every(n => Number.isInteger(n));
  if (!whole || ref.from < 0 || ref.to > runPlan.targets.length || ref.from >= ref.to) {
    throw new Error(`batch must be { index, from, to } within the plan's ${runPlan.targets.length} targets, got ${JSON.stringify(ref)}.`);
  }
  const benchmark = CisBenchmarkVersion.of(runPlan.benchmark);
  const scanners = [...runPlan.scanners] as Scanner[];
  const targets: AuditTargetResult[] = [];
  const errors: AuditTargetError[] = [];
  const credentials = new Map<string, LiveCredentials | undefined>();
  const timings: Array<{ environment: string; ms: number }> = [];
  const partition = partitionOf(config.regions[0]);

  for (const t of runPlan.targets.slice(ref.from, ref.to)) {
    const environment = { account: t.account, region: t.region };
    const key = environmentKey(environment);
    const own = t.account === config.selfAccount;
    const roleArn = own ? undefined : `arn:${partition}:iam::${t.account}:role/${config.auditRoleName}`;
    if (context && context.getRemainingTimeInMillis() < BATCH_RESERVE_MS) {
      errors.push({
        environment,
        environmentKey: key,
        accountName: t.accountName,
        roleArn,
        benchmark: benchmark.version,
        exitCode: AUDIT_EXIT_CODES.ERROR,
        message: 'Not audited in this run: its batch ran out of time (the function\'s 15 minutes). Lower batchSize so each batch finishes in time.',
      });
      continue;
    }
    const started = Date.now();
    try {
      if (roleArn && !credentials.has(t.account)) {
        try {
          credentials.set(t.account, await assume(config, roleArn));
        } catch (e) {
          const failure = classifyAwsError(e, 'sts:AssumeRole', {});
          throw failure.exitCode === AUDIT_EXIT_CODES.ACCESS_DENIED
            ? new AuditFailure(`The reporter cannot assume ${roleArn} (${failure.message.replace(/^Access denied on sts:AssumeRole \((.*?)\)\..*$/s, '$1')}). The member template's audit role must exist in account ${t.account} and trust the reporter's role.`, AUDIT_EXIT_CODES.ACCESS_DENIED)
            : failure;
        }
      }
      const creds = credentials.get(t.account);
      const model = await readLiveModel({ region: t.region, credentials: creds, accountLabel: `${t.account}${t.accountName ? ` (${t.accountName})` : ''}`, timeouts: config.timeouts });
      targets.push({
        environment, environmentKey: key, benchmarkFrom: 'option', model, report: evaluateAudit(model, benchmark, scanners), accountName: t.accountName, roleArn,
      });
    } catch (e) {
      const failure = e instanceof AuditFailure ? e : new AuditFailure(`Unexpected error: ${(e as Error)?.message ?? e}`, AUDIT_EXIT_CODES.ERROR);
      const { message, exitCode } = failure;
      errors.push({ environment, environmentKey: key, accountName: t.accountName, roleArn, benchmark: benchmark.version, message, exitCode });
    }
    timings.push({ environment: key, ms: Date.now() - started });
  }

  const order = runPlan.targets.slice(ref.from, ref.to).map(t => environmentKey({ account: t.account, region: t.region }));
  const result: AuditRunResult = {
    targets,
    exitCode: organizationExitCode(errors.map(e => e.exitCode), targets.some(t => t.report.failed)),
    organization: {
      organizationId: runPlan.organizationId,
      callerAccount: config.selfAccount ?? '',
      callerArn: '',
      roleName: config.auditRoleName,
      regions: config.regions,
      accounts: [],
      inactive: [],
      errors,
      order,
    },
  };
  const run = buildEvidence(result, { toolVersion: config.toolVersion, scanners, benchmark: benchmark.version, now: new Date(runPlan.generatedAt) });

  const securityHub: SecurityHubImportResult[] = [];
  if (config.securityHub) {
    for (const t of run.targets.filter(x => x.audited && x.account && x.region)) {
      const started = Date.now();
      const findings = run.findings.filter(f => f.environment === t.environment);
      const r = await importIntoSecurityHub(
        { environment: t.environment, account: t.account!, region: t.region!, credentials: credentials.get(t.account!) },
        findings, { generatedAt: run.generatedAt, toolVersion: config.toolVersion, timeouts: config.timeouts });
      securityHub.push(r);
      const timing = timings.find(x => x.environment === t.environment);
      if (timing) timing.ms += Date.now() - started;
    }
  }
  const statuses: Record<string, Record<string, ComplianceStatus>> = {};
  for (const f of run.findings) (statuses[f.environment] ??= {})[f.controlKey] = f.status;
  // Findings first: a summary without its findings would claim a batch the report cannot render.
  const batchFindings: BatchFindings = { index: ref.index, findings: run.findings };
  await putJson(s3, config.bucket, batchKey(runId, ref.index), batchFindings);
  const summary: BatchSummary = { index: ref.index, targets: run.targets, statuses, securityHub, timings };
  await putJson(s3, config.bucket, summaryKey(runId, ref.index), summary);
  return {
    index: ref.index,
    audited: run.targets.filter(t => t.audited).length,
    unauditable: run.targets.filter(t => !t.audited).length,
    securityHubFailures: securityHub.filter(r => r.outcome !== 'IMPORTED').length,
  };
}

// ---------------------------------------------------------------- report

export interface ReportSummary {
  readonly runId: string;
  readonly generatedAt: string;
  readonly targets: number;
  readonly audited: number;
  readonly unauditable: number;
  readonly findings: Readonly<Record<string, number>>;
  readonly regressions: number;
  readonly newlyUnauditable: number;
  readonly alerts: number;
  readonly securityHubFailures: number;
  readonly reportPrefix: string;
  /**
   * The run the state already holds is newer than this one (a run started by
   * hand during a scheduled one, or one that outlasted the schedule): this
   * run's report is written, but it neither alerts nor replaces that state.
   */
  readonly supersededBy?: string;
  /** Per-target time of the batches (read, evaluate, import), milliseconds. */
  readonly msPerTarget: { readonly mean: number; readonly p95: number; readonly max: number };
}

async function report(config: ReporterConfig, runIdIn: string): Promise<ReportSummary> {
  const runId = safeRunId(runIdIn);
  const s3 = new S3Client({});
  const runPlan = await getJson<RunPlan>(s3, config.bucket, planKey(runId));
  if (!runPlan) throw new Error(`No plan for run ${runId} in s3://${config.bucket}/${planKey(runId)}.`);

  // Pass 1: the batches' summaries (targets, statuses), small at any size; a batch without one failed.
  const summaries = new Map<number, BatchSummary>();
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: summaryPrefix(runId), ContinuationToken }));
    for (const o of page.Contents ?? []) {
      const b = await getJson<BatchSummary>(s3, config.bucket, o.Key!);
      if (b) summaries.set(b.index, b);
    }
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);

  const parts: Array<{ index: number; targets: EvidenceTarget[]; lost?: EvidenceFinding[] }> = [];
  const statuses = new Map<string, Map<string, ComplianceStatus>>();
  const securityHub: SecurityHubImportResult[] = [];
  const timings: number[] = [];
  for (let from = 0, index = 0; from < runPlan.targets.length; from += runPlan.batchSize, index++) {
    const b = summaries.get(index);
    if (b) {
      parts.push({ index, targets: [...b.targets] });
      for (const [env, m] of Object.entries(b.statuses)) statuses.set(env, new Map(Object.entries(m)));
      securityHub.push(...b.securityHub);
      timings.push(...b.timings.map(t => t.ms));
      continue;
    }
    // A batch that failed after the state machine's retries: its targets are unauditable in this run, and say so.
    const errors: AuditTargetError[] = runPlan.targets.slice(from, from + runPlan.batchSize).map(t => ({
      environment: { account: t.account, region: t.region },
      environmentKey: environmentKey({ account: t.account, region: t.region }),
      accountName: t.accountName,
      benchmark: runPlan.benchmark,
      exitCode: AUDIT_EXIT_CODES.ERROR,
      message: `Not audited in this run: its audit batch failed after the state machine's retries (see the execution ${runId} in Step Functions).`,
    }));
    const filler = buildEvidence({
      targets: [],
      exitCode: AUDIT_EXIT_CODES.ERROR,
      organization: {
        callerAccount: '', callerArn: '', roleName: config.auditRoleName, regions: config.regions, accounts: [], inactive: [], errors, order: errors.map(e => e.environmentKey),
      },
    }, { toolVersion: config.toolVersion, scanners: runPlan.scanners, benchmark: runPlan.benchmark, now: new Date(runPlan.generatedAt) });
    parts.push({ index, targets: [...filler.targets], lost: [...filler.findings] });
    for (const f of filler.findings) {
      if (!statuses.has(f.environment)) statuses.set(f.environment, new Map());
      statuses.get(f.environment)!.set(f.controlKey, f.status);
    }
  }
  const targets = parts.flatMap(p => p.targets);
  const unauditable = targets.filter(t => !t.audited);
  const anyFailed = targets.some(t => t.counts.FAILED > 0);
  const meta: Omit<EvidenceRun, 'findings'> = {
    tool: { name: 'cdk-cis-monitoring', version: config.toolVersion },
    generatedAt: runPlan.generatedAt,
    benchmark: runPlan.benchmark,
    scanners: runPlan.scanners,
    source: 'live',
    organizationId: runPlan.organizationId,
    targets,
    exitCode: organizationExitCode(unauditable.map(t => t.error?.exitCode ?? AUDIT_EXIT_CODES.ERROR), anyFailed),
  };

  // Pass 2: the report files, streamed a batch at a time (the findings of a large organization never sit in memory at once).
  const stamp = meta.generatedAt.replace(/[-:]/g, '');
  const prefix = `reports/${meta.generatedAt.slice(0, 4)}/${meta.generatedAt.slice(5, 7)}/${meta.generatedAt.slice(8, 10)}/${stamp}-${runId}/`;
  const base = `${prefix}cis-monitoring-${stamp}`;
  const stored = await getJson<RunState>(s3, config.bucket, STATE_KEY);
  // Both are ISO 8601 UTC to the second, so they compare as strings. A run older than the stored one compares with nothing: its
  // changes were the newer run's to alert, and replacing the newer state would make the next run alert them again.
  const supersededBy = stored !== undefined && stored.generatedAt > meta.generatedAt ? stored.runId : undefined;
  const previous = supersededBy === undefined ? stored : undefined;
  const json = new S3Sink(s3, config.bucket, `${base}.json`, 'application/json');
  const csv = new S3Sink(s3, config.bucket, `${base}.csv`, 'text/csv; charset=utf-8');
  const html = new S3Sink(s3, config.bucket, `${base}.html`, 'text/html; charset=utf-8');
  const regressions: Regression[] = [];
  const counts: Record<ComplianceStatus, number> = { PASSED: 0, FAILED: 0, WARNING: 0, NOT_AVAILABLE: 0 };
  const state: Record<string, ComplianceStatus> = {};
  const notEvaluated: string[] = [];
  const previouslyNotEvaluated = new Set(previous?.notEvaluated ?? []);
  try {
    const { targets: _t, ...head } = meta;
    await json.write(`${JSON.stringify(head).slice(0, -1)},"targets":${JSON.stringify(targets)},"securityHub":${JSON.stringify(securityHub)},"findings":[`);
    await csv.write(csvHeader());
    await html.write(htmlPrologue({ ...meta, controls: controlsOfVersion(meta.benchmark), statuses }));
    let first = true;
    for (const part of parts) {
      const findings = part.lost ?? (await getJson<BatchFindings>(s3, config.bucket, batchKey(runId, part.index)))?.findings;
      if (!findings) throw new Error(`Batch ${part.index} of run ${runId} has a summary but no findings object (${batchKey(runId, part.index)}).`);
      if (findings.length) {
        await json.write((first ? '' : ',') + findings.map(f => JSON.stringify(f)).join(','));
        first = false;
      }
      await csv.write(csvRows(meta, findings));
      for (const t of part.targets) await html.write(htmlTargetSection(t, findings.filter(f => f.environment === t.environment)));
      for (const f of findings) {
        counts[f.status]++;
        const change = compareFinding(previous, f, previouslyNotEvaluated);
        if (change.status !== undefined) state[f.id] = change.status;
        if (change.notEvaluated) notEvaluated.push(f.id);
        if (change.regression) regressions.push(change.regression);
      }
    }
    await json.write(']}');
    await html.write(htmlEpilogue(meta));
    await Promise.all([json.end(), csv.end(), html.end()]);
  } catch (e) {
    await Promise.allSettled([json.abort(), csv.abort(), html.abort()]);
    throw e;
  }

  // Metrics.
  await publishMetrics(config, meta, counts.FAILED, securityHub);

  // Alerts, before the state moves on: if publishing fails, the retry finds the same changes.
  const changes: Changes = supersededBy === undefined
    ? { regressions, unauditable: newlyUnauditable(previous, targets) }
    : { regressions: [], unauditable: [] };
  const messages = alertMessages(changes, { reportKey: `${base}.html`, bucket: config.bucket, generatedAt: meta.generatedAt, benchmark: meta.benchmark });
  const sns = new SNSClient({});
  for (const m of messages) {
    const topic = config.alertTopics[m.severity] ?? config.alertTopics.DEFAULT;
    if (!topic) throw new Error(`No alert topic for severity ${m.severity} and no DEFAULT topic: the construct must set ALERT_TOPICS.`);
    await sns.send(new PublishCommand({ TopicArn: topic, Subject: m.subject, Message: m.body }));
  }

  // The run the next one compares against.
  const next: RunState = { runId, generatedAt: meta.generatedAt, statuses: state, unauditable: unauditable.map(t => t.environment), notEvaluated };
  if (supersededBy === undefined) await putJson(s3, config.bucket, STATE_KEY, next);

  const sorted = [...timings].sort((a, b) => a - b);
  return {
    runId,
    generatedAt: meta.generatedAt,
    targets: targets.length,
    audited: targets.length - unauditable.length,
    unauditable: unauditable.length,
    findings: counts,
    regressions: changes.regressions.length,
    newlyUnauditable: changes.unauditable.length,
    alerts: messages.length,
    securityHubFailures: securityHub.filter(r => r.outcome !== 'IMPORTED').length,
    reportPrefix: prefix,
    ...(supersededBy !== undefined ? { supersededBy } : {}),
    msPerTarget: {
      mean: sorted.length ? Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length) : 0,
      p95: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] : 0,
      max: sorted.length ? sorted[sorted.length - 1] : 0,
    },
  };
}

/** An S3 object written as a stream (multipart upload for large reports), with backpressure. */
class S3Sink {
  private readonly stream = new PassThrough();
  private readonly upload: Upload;
  private readonly done: Promise<unknown>;

  constructor(client: S3Client, bucket: string, key: string, contentType: string) {
    const params = { Bucket: bucket, Key: key, Body: this.stream, ContentType: contentType };
    this.upload = new Upload({ client, params, queueSize: 2, partSize: 8 * 1024 * 1024 });
    this.done = this.upload.done();
    // Surfaced by end(); kept from being an unhandled rejection meanwhile.
    this.done.catch(() => undefined);
  }

  public async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await Promise.race([once(this.stream, 'drain'), this.done]);
  }

  public async end(): Promise<void> {
    this.stream.end();
    await this.done;
  }

  public async abort(): Promise<void> {
    this.stream.destroy();
    await this.upload.abort();
  }
}

/**
 * Per target (dimensions Account and Region): FailedControls and Auditable;
 * per run (no dimension): TargetsAudited, TargetsUnauditable, FailedFindings,
 * SecurityHubImportFailures. PutMetricData takes at most 1,000 values a call.
 */
async function publishMetrics(
  config: ReporterConfig, run: Omit<EvidenceRun, 'findings'>, failedFindings: number, securityHub: readonly SecurityHubImportResult[],
): Promise<void> {
  const timestamp = new Date(run.generatedAt);
  const data: MetricDatum[] = [];
  if (config.targetMetrics) {
    for (const t of run.targets) {
      const Dimensions = [{ Name: 'Account', Value: t.account ?? 'unknown' }, { Name: 'Region', Value: t.region ?? 'unknown' }];
      data.push({ MetricName: 'Auditable', Dimensions, Value: t.audited ? 1 : 0, Unit: 'Count', Timestamp: timestamp });
      if (t.audited) data.push({ MetricName: 'FailedControls', Dimensions, Value: t.counts.FAILED, Unit: 'Count', Timestamp: timestamp });
    }
  }
  const audited = run.targets.filter(t => t.audited).length;
  data.push(
    { MetricName: 'TargetsAudited', Value: audited, Unit: 'Count', Timestamp: timestamp },
    { MetricName: 'TargetsUnauditable', Value: run.targets.length - audited, Unit: 'Count', Timestamp: timestamp },
    { MetricName: 'FailedFindings', Value: failedFindings, Unit: 'Count', Timestamp: timestamp },
    { MetricName: 'SecurityHubImportFailures', Value: securityHub.filter(r => r.outcome !== 'IMPORTED').length, Unit: 'Count', Timestamp: timestamp },
  );
  const cloudWatch = new CloudWatchClient({});
  for (let i = 0; i < data.length; i += 1000) {
    await cloudWatch.send(new PutMetricDataCommand({ Namespace: config.metricNamespace, MetricData: data.slice(i, i + 1000) }));
  }
}
