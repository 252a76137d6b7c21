/**
 * Scale benchmark of the evidence reporter (CisEvidenceReporter's Lambda
 * handler), in process against a moto server:
 *
 *   npx ts-node -P scripts/tsconfig.json scripts/bench-evidence.ts [--accounts 1000] [--regions 2] [--batch 20]
 *
 * 1. Builds an organization of N member accounts in moto (Organizations
 *    CreateAccount), deploys the default CisMonitoring's monitoring (trail,
 *    log group, metric filters, alarms, topic and subscriptions, through the
 *    services' APIs, as the tests do) to every account × Region, enables
 *    Security Hub there, and creates the member audit role.
 * 2. Runs the reporter as its state machine does, each phase in a child
 *    process on the bundled Lambda code: plan, every audit batch one after the
 *    other, report; and measures the time per target (read,
 *    evaluate, import into Security Hub: the batches' own timings), the time
 *    of each phase, the report's sizes and the process's peak memory.
 * 3. Derives the run time on AWS with the distributed map's concurrency
 *    (batches run side by side, `--map-concurrency`, default 40, the
 *    construct's default) and the largest organization one run covers, from
 *    each limit: the state machine's timeout (the 12-hour schedule), the
 *    report phase's 15 minutes, and the state's 256 KiB (the batch list).
 *
 * moto answers every call from one local process, so a target's time here is
 * mostly moto's CPU, not network latency; AWS calls take 20-100 ms each, so
 * on AWS a target takes longer per call but batches run in parallel. Prints a
 * markdown report and writes it to bench/out/evidence.md.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { mapWithConcurrency } from '../src/audit/organization';
import type { ReportSummary } from '../src/audit/reporter/handler';
import { synthTemplate } from '../test/audit/helpers';
import { applyTemplateToMoto, MotoAccount } from '../test/audit/moto-apply';
import { assumeInto } from '../test/audit/moto-organization';
import { createBucket, pointAwsSdkAt, rawRequest, startMoto } from '../test/support/moto';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'bench', 'out');
const ALL_REGIONS = ['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
const BUCKET = 'cis-evidence-bench';
const AUDIT_ROLE = 'CisMonitoringEvidenceAudit';
const ALLOW_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
const LAMBDA_MINUTES = 15;
/** CisEvidenceReporter's function memory. */
const LAMBDA_MIB = 2048;
const MiB = 1024 * 1024;
const STATE_BYTES = 256 * 1024;
const SCHEDULE_HOURS = 12;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`bench-evidence: --${name} needs a whole number, got ${process.argv[i + 1]}\n`);
    process.exit(1);
  }
  return v;
}

const log = (text: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);

async function main(): Promise<void> {
  const accountCount = arg('accounts', 1000);
  const regions = ALL_REGIONS.slice(0, arg('regions', 2));
  const batchSize = arg('batch', 20);
  const mapConcurrency = arg('map-concurrency', 40);
  const setupConcurrency = arg('setup-concurrency', 8);
  // Copies of the run's batches the report phase is also measured on (e.g. 5: five times the targets).
  const scaleFactors = (process.argv.includes('--scale-report') ? process.argv[process.argv.indexOf('--scale-report') + 1] : '')
    .split(',').filter(Boolean).map(Number);

  if (!fs.existsSync(BUNDLE)) {
    process.stderr.write(`bench-evidence: ${BUNDLE} is missing; run \`npx projen bundle-cli\` first.\n`);
    process.exit(1);
  }
  const moto = await startMoto({ timeoutMs: 60_000 });
  try {
    pointAwsSdkAt(moto.endpoint);
    const setupStart = Date.now();
    const template = synthTemplate({ emailAddresses: ['security@example.com'] });
    const org = new OrganizationsClient({ region: 'us-east-1' });
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const members: MotoAccount[] = await mapWithConcurrency(Array.from({ length: accountCount }, (_, i) => i), setupConcurrency, async i => {
      const out = await org.send(new CreateAccountCommand({ AccountName: `member-${i}`, Email: `member-${i}@example.com` }));
      const account = out.CreateAccountStatus!.AccountId!;
      return { account, credentials: await assumeInto(account) };
    });
    log(`${members.length} accounts created`);
    let done = 0;
    await mapWithConcurrency(members.flatMap(m => regions.map(region => ({ m, region }))), setupConcurrency, async ({ m, region }) => {
      await applyTemplateToMoto(template, moto.endpoint, region, m);
      await new SecurityHubClient({ region, credentials: m.credentials }).send(new EnableSecurityHubCommand({}));
      if (++done % 200 === 0) log(`${done} targets deployed`);
    });
    await mapWithConcurrency(members, setupConcurrency, async m => {
      const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }] });
      await rawRequest(moto.endpoint, 'iam', 'POST', '/', { Action: 'CreateRole', RoleName: AUDIT_ROLE, AssumeRolePolicyDocument: trust, Version: '2010-05-08' }, m.credentials.accessKeyId);
      await rawRequest(moto.endpoint, 'iam', 'POST', '/', { Action: 'PutRolePolicy', RoleName: AUDIT_ROLE, PolicyName: 'audit', PolicyDocument: ALLOW_ALL, Version: '2010-05-08' }, m.credentials.accessKeyId);
    });
    await createBucket(moto.endpoint, BUCKET);
    const topic = (await new SNSClient({ region: 'us-east-1' }).send(new CreateTopicCommand({ Name: 'evidence-alerts' }))).TopicArn!;
    const setupSeconds = (Date.now() - setupStart) / 1000;
    log(`set-up done in ${setupSeconds.toFixed(0)} s`);

    Object.assign(process.env, {
      REPORT_BUCKET: BUCKET,
      REGIONS: regions.join(','),
      ACCOUNTS: '',
      AUDIT_ROLE_NAME: AUDIT_ROLE,
      // The reporter's own account (the management account here) has no monitoring: leave it out of the measurement.
      SELF_ACCOUNT: '123456789012',
      BENCHMARK: '7.0.0',
      SCANNERS: 'security-hub,prowler,steampipe,cloudsploit',
      SECURITY_HUB: 'true',
      ALERT_TOPICS: JSON.stringify({ DEFAULT: topic }),
      TOOL_VERSION: 'bench',
      BATCH_SIZE: String(batchSize),
      TARGET_METRICS: 'true',
    });

    // Each phase runs the bundled Lambda code (lib/evidence-reporter/index.js, `npx projen bundle-cli` first)
    // in a child process of its own, as Lambda runs it, so time and peak memory are the function's.
    const t0 = Date.now();
    const plan: any = (await phase({ phase: 'plan', runId: 'bench', time: new Date().toISOString() })).result;
    const planSeconds = (Date.now() - t0) / 1000;
    const batchSeconds: number[] = [];
    let auditRss = 0;
    for (let i = 0; i < plan.batches.length; i += 10) {
      // Ten batches per child keeps the process count down; each batch is timed on its own.
      const out = await phase({ phase: 'audit-many', runId: 'bench', batches: plan.batches.slice(i, i + 10) });
      batchSeconds.push(...out.result.seconds);
      auditRss = Math.max(auditRss, out.maxRssBytes);
      log(`${Math.min(i + 10, plan.batches.length)} of ${plan.batches.length} batches audited`);
    }
    const r0 = Date.now();
    const reportOut = await phase({ phase: 'report', runId: 'bench' });
    const reportSeconds = (Date.now() - r0) / 1000;
    const summary = reportOut.result as ReportSummary;
    const sizes = await reportSizes(moto.endpoint, summary.reportPrefix);

    // The report phase is the one function that sees every target: measure it at larger sizes too, on copies
    // of this run's batches under other account ids (the audit of a target does not depend on the others).
    const scaled: Array<{ targets: number; seconds: number; rss: number }> = [];
    scaled.push({ targets: summary.targets, seconds: reportSeconds, rss: reportOut.maxRssBytes });
    for (const factor of scaleFactors) {
      const runId = `bench-x${factor}`;
      await replicateRun(moto.endpoint, 'bench', runId, factor);
      const s0 = Date.now();
      const out = await phase({ phase: 'report', runId });
      scaled.push({ targets: out.result.targets, seconds: (Date.now() - s0) / 1000, rss: out.maxRssBytes });
      log(`report of ${out.result.targets} targets: ${((Date.now() - s0) / 1000).toFixed(1)} s, ${mib(out.maxRssBytes)}`);
    }
    const targets = summary.targets;
    const auditSeconds = batchSeconds.reduce((a, b) => a + b, 0);
    const perTarget = auditSeconds / targets;
    const sortedBatches = [...batchSeconds].sort((a, b) => a - b);
    const slowestBatch = sortedBatches[sortedBatches.length - 1];
    const waves = Math.ceil(plan.batches.length / mapConcurrency);
    const runSeconds = planSeconds + waves * slowestBatch + reportSeconds;
    const planBytesPerBatch = JSON.stringify(plan.batches).length / plan.batches.length;
    const largestMeasured = scaled[scaled.length - 1];
    const rssPerTarget = Math.max(1, (largestMeasured.rss - scaled[0].rss) / Math.max(1, largestMeasured.targets - scaled[0].targets));
    const limits = {
      // The run must end before the next one starts (the state machine's timeout is the schedule).
      schedule: Math.floor((SCHEDULE_HOURS * 3600 - planSeconds - reportSeconds) / (perTarget * batchSize) * mapConcurrency * batchSize),
      // One Lambda merges every batch and renders the report: its time, at the largest size measured.
      report: Math.floor((LAMBDA_MINUTES * 60 * 0.8) / (scaled[scaled.length - 1].seconds / scaled[scaled.length - 1].targets)),
      // ... and its memory (1,024 MiB, 80% used), growing with the targets' summaries (slope between the smallest and largest size measured).
      memory: scaled.length < 2 ? Infinity : Math.floor(largestMeasured.targets + (LAMBDA_MIB * 0.8 * MiB - largestMeasured.rss) / rssPerTarget),
      // The batch list travels in the state (256 KiB).
      state: Math.floor((STATE_BYTES * 0.9) / planBytesPerBatch) * batchSize,
      // A batch must finish within the function's 15 minutes: the batch size it allows at this per-target time.
      batch: Math.floor((LAMBDA_MINUTES * 60 - 90) / perTarget),
    };
    const largest = Math.min(limits.schedule, limits.report, limits.memory, limits.state);
    const lines = [
      `# Evidence reporter at scale (moto, ${new Date().toISOString().slice(0, 10)})`,
      '',
      `${accountCount} member accounts × ${regions.length} Regions (${regions.join(', ')}) = ${targets} targets (and the reporter's own account, not monitored); CIS 7.0.0, 4 scanners, Security Hub import on; batch size ${batchSize}.`,
      '',
      '| Measure | Value |',
      '|---|---|',
      `| set-up (accounts, monitoring, Security Hub, audit roles) | ${setupSeconds.toFixed(0)} s |`,
      `| plan (ListAccounts, plan.json) | ${planSeconds.toFixed(1)} s |`,
      `| audit, all ${plan.batches.length} batches one after the other | ${auditSeconds.toFixed(0)} s |`,
      `| per target (AssumeRole, 6-7 reads, evaluation, DescribeHub, GetFindings, BatchImportFindings) | mean ${summary.msPerTarget.mean} ms, p95 ${summary.msPerTarget.p95} ms, max ${summary.msPerTarget.max} ms |`,
      `| per batch of ${batchSize} | median ${sortedBatches[Math.floor(sortedBatches.length / 2)].toFixed(1)} s, max ${slowestBatch.toFixed(1)} s |`,
      `| report (merge, JSON/CSV/HTML to S3, metrics, alerts, state) | ${reportSeconds.toFixed(1)} s |`,
      `| report files | JSON ${mib(sizes.json)}, CSV ${mib(sizes.csv)}, HTML ${mib(sizes.html)} |`,
      `| findings | ${Object.entries(summary.findings).map(([k, v]) => `${k} ${v}`).join(', ')}; ${summary.audited} targets audited, ${summary.unauditable} unauditable |`,
      `| peak RSS of the function (the bundle in a child process): audit, ten batches | ${mib(auditRss)} |`,
      `| peak RSS of the function: report | ${mib(reportOut.maxRssBytes)} |`,
      `| run time with ${mapConcurrency} batches at once (plan + ${waves} waves × slowest batch + report) | ${(runSeconds / 60).toFixed(1)} min |`,
      ...scaled.slice(1).map(x => `| report phase on ${x.targets.toLocaleString('en')} targets (copies of this run's batches) | ${x.seconds.toFixed(1)} s, peak RSS ${mib(x.rss)} |`),
      '',
      'Largest organization one run covers, by limit (targets = accounts × Regions):',
      '',
      `- the ${SCHEDULE_HOURS}-hour schedule (the state machine's timeout), at ${mapConcurrency} batches at once: ${limits.schedule.toLocaleString('en')} targets`,
      `- the report phase's ${LAMBDA_MINUTES} minutes (80% used), at ${(scaled[scaled.length - 1].seconds / scaled[scaled.length - 1].targets * 1000).toFixed(2)} ms per target: ${limits.report.toLocaleString('en')} targets`,
      `- the report phase's ${LAMBDA_MIB} MiB of memory (80% used), extrapolating its peak RSS linearly: ${Number.isFinite(limits.memory) ? limits.memory.toLocaleString('en') : 'not measured (pass --scale-report)'} targets`,
      `- the state's 256 KiB (90% used) for the batch list, ${planBytesPerBatch.toFixed(0)} bytes per batch: ${limits.state.toLocaleString('en')} targets`,
      `- a batch's ${LAMBDA_MINUTES} minutes allow up to ${limits.batch} targets per batch at this per-target time (batchSize ${batchSize} is used)`,
      '',
      `**Largest organization one run covers: about ${largest.toLocaleString('en')} targets** (${Math.floor(largest / 2).toLocaleString('en')} accounts × 2 Regions, ${Math.floor(largest / 17).toLocaleString('en')} accounts × 17 Regions).`,
    ];
    const text = lines.join('\n') + '\n';
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, 'evidence.md'), text);
    process.stdout.write(text);
  } finally {
    await moto.stop();
  }
}

const BUNDLE = path.join(ROOT, 'lib', 'evidence-reporter', 'index.js');

/** Runs one phase of the bundled handler in a child process; its result and peak RSS. */
async function phase(event: Record<string, unknown>): Promise<{ result: any; maxRssBytes: number }> {
  const script = `
    const { handler } = require(${JSON.stringify(BUNDLE)});
    const context = { getRemainingTimeInMillis: () => 900000 };
    (async () => {
      const event = JSON.parse(process.env.BENCH_EVENT);
      let result;
      if (event.phase === 'audit-many') {
        const seconds = [];
        for (const batch of event.batches) {
          const s = Date.now();
          await handler({ phase: 'audit', runId: event.runId, batch }, context);
          seconds.push((Date.now() - s) / 1000);
        }
        result = { seconds };
      } else {
        result = await handler(event, context);
      }
      process.stdout.write(JSON.stringify({ result, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
    })().catch(e => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
  `;
  const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, BENCH_EVENT: JSON.stringify(event) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', c => { out += c; });
  const code: number = await new Promise(resolve => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the ${String(event.phase)} phase exited ${code}`);
  return JSON.parse(out);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Copies run `from`'s plan, summaries and batch findings `factor` times into run `to`, each copy under other account ids. */
async function replicateRun(endpoint: string, from: string, to: string, factor: number): Promise<void> {
  const { S3Client, GetObjectCommand, PutObjectCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true });
  const get = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString('utf-8');
  const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const plan = JSON.parse(await get(`runs/${from}/plan.json`));
  const batches = Math.ceil(plan.targets.length / plan.batchSize);
  // Each copy needs whole batches: pad the plan's targets to a multiple of the batch size with the last batch's.
  const rename = (text: string, copy: number) => text.replace(/\b(\d{12})\b/g, (_, id: string) => String((Number(id) + copy * 7_919) % 1e12).padStart(12, '0'));
  const targets: unknown[] = [];
  for (let copy = 0; copy < factor; copy++) {
    const own = JSON.parse(rename(JSON.stringify(plan.targets), copy));
    const padded = [...own];
    while (padded.length < batches * plan.batchSize) padded.push({ ...own[own.length - 1], region: `pad-${padded.length}` });
    targets.push(...padded);
  }
  await put(`runs/${to}/plan.json`, JSON.stringify({ ...plan, runId: to, targets }));
  const keys = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `runs/${from}/`, MaxKeys: 1000 }))).Contents!.map(o => o.Key!);
  for (const key of keys.filter(k => /\/(summaries|batches)\//.test(k))) {
    const body = await get(key);
    const index = Number(/(\d+)\.json$/.exec(key)![1]);
    for (let copy = 0; copy < factor; copy++) {
      const copied = rename(body, copy).replace(/"index":\d+/, `"index":${copy * batches + index}`);
      await put(key.replace(`runs/${from}/`, `runs/${to}/`).replace(/\d+\.json$/, `${String(copy * batches + index).padStart(6, '0')}.json`), copied);
    }
  }
}

async function reportSizes(endpoint: string, prefix: string): Promise<{ json: number; csv: number; html: number }> {
  const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const out = await new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true }).send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  const size = (suffix: string) => out.Contents?.find(o => o.Key!.endsWith(suffix))?.Size ?? 0;
  return { json: size('.json'), csv: size('.csv'), html: size('.html') };
}

main().catch(e => {
  process.stderr.write(`bench-evidence: ${e?.stack ?? e}\n`);
  process.exit(1);
});
