/**
 * The evidence of one audit run as findings: one per audited target (account
 * × Region) × control, with each scanner's verdict and reason, the resources
 * the verdicts rest on (trail, log group, metric filters, alarms, topics and
 * their subscribers) and a compliance status. Every output format (ASFF,
 * OCSF, CSV, HTML) and the Security Hub import render this one model, so they
 * cannot disagree; the CLI and the evidence reporter Lambda build it the same way.
 */
import { CisBenchmarkVersion } from '../catalog';
import { auditErrorKind } from './errors';
import { CellStatus, ControlAuditResult, ScannerSummary, UncheckedCondition } from './evaluate';
import { AlarmFacts, AuditModel, MetricFilterFacts, SubscriptionFacts, TopicFacts, TrailFacts } from './model';
import { AuditRunResult, AuditTargetError, AuditTargetResult } from './run';
import { CONTROL_ALERT_METADATA } from '../catalog/control-metadata';
import { patternRule, scannerDisplayName } from '../scanners/rules';
import { Scanner } from '../scanners/scanner';

/** The name findings carry as their producer (ASFF ProductFields, OCSF metadata.product). */
export const EVIDENCE_PRODUCT_NAME = 'cdk-cis-monitoring';
/** Every finding's GeneratorId starts with this: how the import recognises its own findings (to archive them). */
export const GENERATOR_PREFIX = 'cdk-cis-monitoring/';
/** Where a reader of a finding learns what the statuses mean and how to fix a failure. */
export const EVIDENCE_DOCS_URL = 'https://github.com/cdk-cis-monitoring/cdk-cis-monitoring/blob/main/docs/evidence.md';

/**
 * The compliance status of a finding, as Security Hub names it:
 * - PASSED: every selected scanner that checks the control passes it;
 * - WARNING: none fails, but one passes only once an email/HTTP subscription is confirmed;
 * - FAILED: at least one selected scanner fails it;
 * - NOT_AVAILABLE: no selected scanner checks it, or the target could not be audited.
 */
export type ComplianceStatus = 'PASSED' | 'FAILED' | 'WARNING' | 'NOT_AVAILABLE';

export const COMPLIANCE_STATUSES: readonly ComplianceStatus[] = ['FAILED', 'WARNING', 'PASSED', 'NOT_AVAILABLE'];

/** One scanner's verdict on one control of one target. */
export interface ScannerVerdict {
  readonly scanner: Scanner;
  /** `Security Hub`, `Prowler`, … */
  readonly scannerName: string;
  /** The scanner's own check: `CloudWatch.1`, `cloudwatch_log_metric_filter_root_usage`, … (undefined: no check). */
  readonly check?: string;
  readonly status: CellStatus;
  readonly reasons: readonly string[];
}

/** A resource a finding rests on. */
export interface EvidenceResource {
  /** ASFF resource type: AwsCloudTrailTrail, AwsCloudWatchAlarm, AwsSnsTopic, AwsAccount or Other. */
  readonly type: string;
  /** What the resource is, in words: `CloudTrail trail`, `log group`, `metric filter`, `alarm`, `SNS topic`, `account`. */
  readonly kind: string;
  /** Its ARN where it has one (and is known), else a stable identifier. */
  readonly id: string;
  readonly name: string;
  /** Facts an auditor reads: the filter text, the alarm's metric, the topic's subscribers. */
  readonly details: Readonly<Record<string, string>>;
  /** SNS topics: the subscriptions (protocol, endpoint, confirmed or pending). */
  readonly subscriptions?: readonly SubscriptionFacts[];
}

/** One target × control. */
export interface EvidenceFinding {
  /** Stable across runs: the same target and control always give the same id. */
  readonly id: string;
  /** `cdk-cis-monitoring/<control key>`: the check that produced the finding. */
  readonly generatorId: string;
  readonly account?: string;
  readonly accountName?: string;
  readonly region?: string;
  /** `aws://<account>/<region>`. */
  readonly environment: string;
  readonly partition: string;
  readonly benchmark: string;
  readonly controlKey: string;
  /** The recommendation in `benchmark`, e.g. `5.3`. */
  readonly recommendationId: string;
  /** `CIS AWS Foundations Benchmark v7.0.0/5.3`. */
  readonly requirement: string;
  readonly title: string;
  /** The control's default severity (docs/alert-quality.md). */
  readonly severity: string;
  readonly status: ComplianceStatus;
  /** One sentence: why the status is what it is. */
  readonly statusReason: string;
  readonly verdicts: readonly ScannerVerdict[];
  readonly resources: readonly EvidenceResource[];
  readonly remediation: string;
  /** False for a target that could not be audited (status NOT_AVAILABLE, no verdicts). */
  readonly audited: boolean;
}

/** One target of the run, audited or not. */
export interface EvidenceTarget {
  readonly account?: string;
  readonly accountName?: string;
  readonly region?: string;
  readonly environment: string;
  readonly audited: boolean;
  /** What was read (`account 111111111111 (workloads), us-east-1`). */
  readonly description?: string;
  /** Unaudited targets: why, and the exit code that error alone gives. */
  readonly error?: { readonly kind: string; readonly exitCode: number; readonly message: string };
  /** Findings per status. */
  readonly counts: Readonly<Record<ComplianceStatus, number>>;
  readonly summaries: readonly ScannerSummary[];
  readonly unchecked: readonly UncheckedCondition[];
  readonly notes: readonly string[];
}

/** Everything one run produced, in output order (accounts, then Regions, then controls). */
export interface EvidenceRun {
  readonly tool: { readonly name: string; readonly version: string };
  /** ISO 8601 UTC, second precision. */
  readonly generatedAt: string;
  readonly benchmark: string;
  readonly scanners: readonly Scanner[];
  readonly source: 'template' | 'live';
  readonly organizationId?: string;
  readonly targets: readonly EvidenceTarget[];
  readonly findings: readonly EvidenceFinding[];
  readonly exitCode: number;
}

export interface EvidenceOptions {
  /** The tool's version (package.json). */
  readonly toolVersion: string;
  /** The time of the run. @default now */
  readonly now?: Date;
  /** The scanners selected (for unaudited targets, whose reports are missing). */
  readonly scanners: readonly Scanner[];
  /** The version unaudited targets would have been judged against. @default the audited targets' */
  readonly benchmark?: string;
}

/** The AWS partition of a Region. */
export function partitionOf(region: string | undefined): string {
  if (region?.startsWith('cn-')) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The finding id of a target and control: stable across runs and benchmark versions. */
export function findingId(account: string | undefined, region: string | undefined, controlKey: string): string {
  return `${EVIDENCE_PRODUCT_NAME}/${account ?? 'unknown-account'}/${region ?? 'unknown-region'}/${controlKey}`;
}

/** The compliance status from the selected scanners' verdicts: any FAIL, then any WARN, then any PASS. */
export function complianceStatus(statuses: readonly CellStatus[]): ComplianceStatus {
  if (statuses.includes('FAIL')) return 'FAILED';
  if (statuses.includes('WARN')) return 'WARNING';
  if (statuses.includes('PASS')) return 'PASSED';
  return 'NOT_AVAILABLE';
}

/** Builds the run's findings from an audit result (audited targets and, for an organization, the unaudited ones). */
export function buildEvidence(result: AuditRunResult, options: EvidenceOptions): EvidenceRun {
  const generatedAt = (options.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const benchmark = options.benchmark ?? result.targets[0]?.report.benchmark ?? result.organization?.errors[0]?.benchmark
    ?? CisBenchmarkVersion.LATEST.version;
  const targets: EvidenceTarget[] = [];
  const findings: EvidenceFinding[] = [];
  for (const entry of orderedEntries(result)) {
    const built = entry.audited ? auditedTarget(entry.audited) : unauditedTarget(entry.error!);
    targets.push(built.target);
    findings.push(...built.findings);
  }
  return {
    tool: { name: EVIDENCE_PRODUCT_NAME, version: options.toolVersion },
    generatedAt,
    benchmark,
    scanners: [...(result.targets[0]?.report.scanners ?? options.scanners)],
    source: result.targets[0]?.report.source ?? 'live',
    organizationId: result.organization?.organizationId,
    targets,
    findings,
    exitCode: result.exitCode,
  };
}

/** Audited and unaudited targets in the organization's order (accounts, then Regions). */
function orderedEntries(result: AuditRunResult): Array<{ audited?: AuditTargetResult; error?: AuditTargetError }> {
  const byKey = new Map<string, { audited?: AuditTargetResult; error?: AuditTargetError }>();
  for (const t of result.targets) byKey.set(t.environmentKey, { audited: t });
  for (const e of result.organization?.errors ?? []) byKey.set(e.environmentKey, { error: e });
  const order = result.organization?.order ?? [];
  const keys = [...order.filter(k => byKey.has(k)), ...[...byKey.keys()].filter(k => !order.includes(k))];
  return keys.map(k => byKey.get(k)!);
}

function countStatuses(findings: readonly EvidenceFinding[]): Record<ComplianceStatus, number> {
  const counts: Record<ComplianceStatus, number> = { PASSED: 0, FAILED: 0, WARNING: 0, NOT_AVAILABLE: 0 };
  for (const f of findings) counts[f.status]++;
  return counts;
}

function auditedTarget(t: AuditTargetResult): { target: EvidenceTarget; findings: EvidenceFinding[] } {
  const version = CisBenchmarkVersion.of(t.report.benchmark);
  const { account, region } = t.environment;
  const partition = partitionOf(region);
  const findings = t.report.controls.map(c => controlFinding(t, c, version, partition));
  return {
    target: {
      account,
      accountName: t.accountName,
      region,
      environment: t.environmentKey,
      audited: true,
      description: t.report.description,
      counts: countStatuses(findings),
      summaries: t.report.summaries,
      unchecked: t.report.unchecked,
      notes: t.report.notes,
    },
    findings,
  };
}

function controlFinding(t: AuditTargetResult, c: ControlAuditResult, version: CisBenchmarkVersion, partition: string): EvidenceFinding {
  const { account, region } = t.environment;
  const verdicts: ScannerVerdict[] = t.report.scanners.map(s => {
    const cell = c.results[s]!;
    const rule = patternRule(s, c.key);
    const check = rule.applicable ? rule.checkName : undefined;
    return { scanner: s, scannerName: scannerDisplayName(s), check, status: cell.status, reasons: cell.reasons };
  });
  const status = complianceStatus(verdicts.map(v => v.status));
  return {
    id: findingId(account, region, c.key),
    generatorId: `${GENERATOR_PREFIX}${c.key}`,
    account,
    accountName: t.accountName,
    region,
    environment: t.environmentKey,
    partition,
    benchmark: version.version,
    controlKey: c.key,
    recommendationId: c.cisId,
    requirement: requirementOf(version.version, c.cisId),
    title: c.title,
    severity: CONTROL_ALERT_METADATA[c.key]?.defaultSeverity ?? 'MEDIUM',
    status,
    statusReason: statusReason(status, verdicts),
    verdicts,
    resources: controlResources(t.model, c.key, t.report.scanners, { account, region, partition }),
    remediation: remediationText(status, verdicts),
    audited: true,
  };
}

/** `CIS AWS Foundations Benchmark v7.0.0/5.3`: the form Security Hub's own RelatedRequirements use. */
export function requirementOf(version: string, recommendationId: string): string {
  return `CIS AWS Foundations Benchmark v${version}/${recommendationId}`;
}

function unauditedTarget(e: AuditTargetError): { target: EvidenceTarget; findings: EvidenceFinding[] } {
  const version = CisBenchmarkVersion.of(e.benchmark);
  const { account, region } = e.environment;
  const kind = auditErrorKind(e.exitCode);
  const reason = `Not audited (${kind}): ${e.message}`;
  const findings: EvidenceFinding[] = version.controls().map(control => {
    const definition = control.definitionIn(version);
    return {
      id: findingId(account, region, control.key),
      generatorId: `${GENERATOR_PREFIX}${control.key}`,
      account,
      accountName: e.accountName,
      region,
      environment: e.environmentKey,
      partition: partitionOf(region),
      benchmark: version.version,
      controlKey: control.key,
      recommendationId: definition.recommendationId,
      requirement: requirementOf(version.version, definition.recommendationId),
      title: definition.title,
      severity: CONTROL_ALERT_METADATA[control.key]?.defaultSeverity ?? 'MEDIUM',
      status: 'NOT_AVAILABLE',
      statusReason: reason,
      verdicts: [],
      resources: [accountResource(account)],
      remediation: `Make the target auditable: ${e.message}`,
      audited: false,
    };
  });
  return {
    target: {
      account,
      accountName: e.accountName,
      region,
      environment: e.environmentKey,
      audited: false,
      error: { kind, exitCode: e.exitCode, message: e.message },
      counts: countStatuses(findings),
      summaries: [],
      unchecked: [],
      notes: [],
    },
    findings,
  };
}

function statusReason(status: ComplianceStatus, verdicts: readonly ScannerVerdict[]): string {
  const names = (s: CellStatus) => verdicts.filter(v => v.status === s).map(v => v.scannerName);
  switch (status) {
    case 'FAILED': return `Fails ${names('FAIL').join(', ')}: ${verdicts.find(v => v.status === 'FAIL')!.reasons[0] ?? ''}`.trim();
    case 'WARNING': return `Passes ${names('WARN').join(', ')} only once a subscription is confirmed: ${verdicts.find(v => v.status === 'WARN')!.reasons[0] ?? ''}`.trim();
    case 'PASSED': return `Passes ${names('PASS').join(', ')}${names('NOT_APPLICABLE').length ? ` (${names('NOT_APPLICABLE').join(', ')}: no check for this control)` : ''}.`;
    default: return verdicts.length
      ? `No selected scanner checks this control (${verdicts.map(v => v.scannerName).join(', ')}: ${verdicts[0].reasons[0] ?? 'not applicable'}).`
      : 'No scanner was selected.';
  }
}

function remediationText(status: ComplianceStatus, verdicts: readonly ScannerVerdict[]): string {
  if (status === 'PASSED' || status === 'NOT_AVAILABLE') {
    return 'No action needed. Keep the trail, metric filter, alarm and confirmed SNS subscription in place (CisMonitoring deploys and keeps them).';
  }
  const failing = verdicts.filter(v => v.status === (status === 'FAILED' ? 'FAIL' : 'WARN'));
  return `${failing.map(v => `${v.scannerName}: ${v.reasons.join(' ')}`).join(' ')} Deploy CisMonitoring with scanners: [${failing.map(v => `Scanner.${v.scanner}`).join(', ')}] to get what they need.`;
}

// ---------------------------------------------------------------- resources

interface Where {
  readonly account?: string;
  readonly region?: string;
  readonly partition: string;
}

function accountResource(account: string | undefined): EvidenceResource {
  return { type: 'AwsAccount', kind: 'account', id: `AWS::::Account:${account ?? 'unknown'}`, name: account ?? 'unknown account', details: {} };
}

/**
 * The resources behind a control in one target: the trails and their log
 * groups, the metric filters whose text passes any selected scanner's rule for
 * the control, the alarms on those filters' metrics, and the topics those
 * alarms notify with their subscribers. Linked the way the scanners link them
 * (metric name, and namespace where both are known); which chain decided each
 * verdict is in the verdict's reason.
 */
export function controlResources(model: AuditModel, controlKey: string, scanners: readonly Scanner[], where: Where): EvidenceResource[] {
  const resources: EvidenceResource[] = [];
  const seen = new Set<string>();
  const add = (r: EvidenceResource) => {
    if (seen.has(`${r.type}|${r.id}`)) return;
    seen.add(`${r.type}|${r.id}`);
    resources.push(r);
  };
  for (const t of model.trails) add(trailResource(t, where));
  const logGroups = new Set(model.trails.map(t => t.logGroup?.display).filter((x): x is string => x !== undefined));
  for (const name of logGroups) add(logGroupResource(name, where));

  const rules = scanners.map(s => patternRule(s, controlKey)).filter(r => r.applicable);
  const filters = model.metricFilters.filter(f => f.pattern !== undefined && rules.some(r => r.test(f.pattern!)));
  for (const f of filters) {
    add(logGroupResource(f.logGroup.display, where));
    add(filterResource(f, rules.filter(r => r.test(f.pattern!)).map(r => scannerDisplayName(r.scanner)), where));
  }
  const topics = new Map(model.topics.map(t => [t.ref.key, t]));
  for (const f of filters) {
    const alarms = model.alarms.filter(a => a.metricName !== undefined && a.metricName === f.metricName
      && (a.namespace === undefined || f.metricNamespace === undefined || a.namespace === f.metricNamespace));
    for (const a of alarms) {
      add(alarmResource(a, where));
      for (const action of a.actions.filter(x => x.isSnsTopic !== false)) add(topicResource(action.display, topics.get(action.key)));
    }
  }
  if (resources.length === 0) add(accountResource(where.account));
  return resources;
}

function arnPrefix(service: string, where: Where, region = where.region): string | undefined {
  if (!where.account || !region) return undefined;
  return `arn:${where.partition}:${service}:${region}:${where.account}`;
}

function trailResource(t: TrailFacts, where: Where): EvidenceResource {
  const prefix = arnPrefix('cloudtrail', where, t.homeRegion ?? where.region);
  const details: Record<string, string> = {};
  if (t.isMultiRegion !== undefined) details.IsMultiRegionTrail = String(t.isMultiRegion);
  if (t.isLogging !== undefined) details.IsLogging = String(t.isLogging);
  if (t.homeRegion) details.HomeRegion = t.homeRegion;
  if (t.logGroup) details.CloudWatchLogsLogGroup = t.logGroup.display;
  if (t.eventSelectors) {
    details.EventSelectors = t.usesAdvancedSelectors && t.eventSelectors.length === 0
      ? 'advanced event selectors'
      : t.eventSelectors.map(s => `ReadWriteType ${s.readWriteType}, management events ${s.includeManagementEvents ? 'included' : 'excluded'}${s.excludeManagementEventSources.length ? ` except ${s.excludeManagementEventSources.join(', ')}` : ''}`).join('; ');
  }
  return { type: 'AwsCloudTrailTrail', kind: 'CloudTrail trail', id: prefix ? `${prefix}:trail/${t.name}` : t.name, name: t.name, details };
}

function logGroupResource(name: string, where: Where): EvidenceResource {
  const prefix = arnPrefix('logs', where);
  return { type: 'Other', kind: 'log group', id: prefix ? `${prefix}:log-group:${name}` : `log-group:${name}`, name, details: { LogGroupName: name } };
}

function filterResource(f: MetricFilterFacts, passes: readonly string[], where: Where): EvidenceResource {
  const prefix = arnPrefix('logs', where);
  const group = prefix ? `${prefix}:log-group:${f.logGroup.display}` : `log-group:${f.logGroup.display}`;
  return {
    type: 'Other',
    kind: 'metric filter',
    id: `${group}:metric-filter:${f.name}`,
    name: f.name,
    details: {
      LogGroupName: f.logGroup.display,
      FilterPattern: f.pattern ?? '(unresolved)',
      Metric: `${f.metricNamespace ?? '?'}/${f.metricName ?? '?'}`,
      PatternPasses: passes.join(', '),
    },
  };
}

function alarmResource(a: AlarmFacts, where: Where): EvidenceResource {
  const prefix = arnPrefix('cloudwatch', where);
  return {
    type: 'AwsCloudWatchAlarm',
    kind: 'alarm',
    id: prefix ? `${prefix}:alarm:${a.name}` : a.name,
    name: a.name,
    details: {
      Metric: `${a.namespace ?? '?'}/${a.metricName ?? '(metric math)'}`,
      AlarmActions: a.actions.map(x => x.display).join(', ') || '(none)',
    },
  };
}

function topicResource(display: string, topic: TopicFacts | undefined): EvidenceResource {
  const subscriptions = topic?.subscriptions ?? [];
  const confirmed = subscriptions.filter(s => s.state === 'confirmed' || s.state === 'confirmed-at-deploy');
  const details: Record<string, string> = {
    Subscriptions: topic ? `${subscriptions.length} (${confirmed.length} confirmed)` : 'not visible here',
  };
  if (topic && !topic.exists) details.Exists = 'false';
  return { type: 'AwsSnsTopic', kind: 'SNS topic', id: display, name: display.split(':').pop() ?? display, details, subscriptions };
}

/** Whether a subscription counts as confirmed (Security Hub counts only those). */
export function isConfirmed(s: SubscriptionFacts): boolean {
  return s.state === 'confirmed' || s.state === 'confirmed-at-deploy';
}
