/**
 * Each scanner's pass/fail decision for each control, applied to an
 * AuditModel: the pattern rules of src/scanners/rules.ts plus the linkage each
 * scanner requires (which trail, which log group, which alarm, which topic),
 * as recorded in shared/spec/checkers.json.
 */
import { CisBenchmarkVersion, CisControl } from '../catalog';
import { AlarmFacts, AuditModel, MetricFilterFacts, ResourceRef, TopicFacts, TrailFacts } from './model';
import { ALL_SCANNERS, normaliseForCloudSploit, patternRule, scannerDisplayName } from '../scanners/rules';
import { Scanner } from '../scanners/scanner';
import { CLOUDSPLOIT_MASTER_RULES } from '../scanners/scanner-data.generated';

/**
 * The outcome of one scanner for one control. `NO_DATA`: the scanner checks
 * the control but gives no verdict for this account and Region (Security Hub
 * evaluates a trail only in its home Region and owner account; CloudSploit
 * skips a trail without a log group). `NOT_APPLICABLE`: it has no check for
 * the control.
 */
export type CellStatus = 'PASS' | 'FAIL' | 'WARN' | 'NO_DATA' | 'NOT_APPLICABLE';

export interface CellResult {
  readonly status: CellStatus;
  /** Why it failed or warned; for a PASS, what it passed with and anything not checked. */
  readonly reasons: readonly string[];
}

export interface ControlAuditResult {
  readonly key: string;
  readonly cisId: string;
  readonly title: string;
  readonly results: Partial<Record<Scanner, CellResult>>;
}

/** A condition the audit could not check (and did not fail on). */
export interface UncheckedCondition {
  readonly scanners: readonly Scanner[];
  readonly condition: string;
}

/** A scanner finding that is not per control (CloudSploit reports one result per trail). */
export interface ScannerSummary {
  readonly scanner: Scanner;
  readonly status: CellStatus;
  readonly reasons: readonly string[];
}

export interface AuditReport {
  readonly benchmark: string;
  readonly source: 'template' | 'live';
  readonly description: string;
  readonly scanners: readonly Scanner[];
  readonly controls: readonly ControlAuditResult[];
  readonly summaries: readonly ScannerSummary[];
  readonly unchecked: readonly UncheckedCondition[];
  readonly notes: readonly string[];
  /** True when any selected scanner has a FAIL (per control or in a summary). */
  readonly failed: boolean;
}

/** Outcome of following one chain; `depth` ranks how far a failing chain got. */
interface Outcome {
  readonly status: 'PASS' | 'WARN' | 'FAIL';
  readonly depth: number;
  readonly reasons: string[];
}

const STATUS_RANK = { PASS: 3, WARN: 2, FAIL: 1 } as const;

function better(a: Outcome | undefined, b: Outcome): Outcome {
  if (!a) return b;
  if (STATUS_RANK[b.status] !== STATUS_RANK[a.status]) return STATUS_RANK[b.status] > STATUS_RANK[a.status] ? b : a;
  return b.depth > a.depth ? b : a;
}

/** Collects unchecked conditions, merging the scanners of identical conditions. */
class UncheckedLog {
  private readonly entries = new Map<string, Set<Scanner>>();

  public add(scanner: Scanner, condition: string): void {
    const set = this.entries.get(condition) ?? new Set<Scanner>();
    set.add(scanner);
    this.entries.set(condition, set);
  }

  public list(): UncheckedCondition[] {
    return [...this.entries.entries()].map(([condition, set]) => ({ scanners: ALL_SCANNERS.filter(s => set.has(s)), condition }));
  }
}

/**
 * Runs every selected scanner's decision logic on the model for every
 * metric-filter control of `version`.
 */
export function evaluateAudit(model: AuditModel, version: CisBenchmarkVersion, scanners: readonly Scanner[]): AuditReport {
  const selected = ALL_SCANNERS.filter(s => scanners.includes(s));
  const unchecked = new UncheckedLog();
  const ctx = new Context(model, unchecked);
  const controls: ControlAuditResult[] = version.controls().map(control => {
    const definition = control.definitionIn(version);
    const results: Partial<Record<Scanner, CellResult>> = {};
    for (const s of selected) results[s] = evaluateCell(ctx, s, control);
    return { key: control.key, cisId: definition.recommendationId, title: definition.title, results };
  });
  const summaries: ScannerSummary[] = [];
  if (selected.includes(Scanner.CLOUDSPLOIT)) summaries.push(cloudSploitSummary(ctx));
  const failed = controls.some(c => Object.values(c.results).some(r => r?.status === 'FAIL')) || summaries.some(s => s.status === 'FAIL');
  return {
    benchmark: version.version,
    source: model.source,
    description: model.description,
    scanners: selected,
    controls,
    summaries,
    unchecked: unchecked.list(),
    notes: [...model.notes],
    failed,
  };
}

/** Pre-indexed model plus the unchecked log. */
class Context {
  public readonly filtersByLogGroup = new Map<string, MetricFilterFacts[]>();
  public readonly topicsByKey = new Map<string, TopicFacts>();

  constructor(public readonly model: AuditModel, public readonly unchecked: UncheckedLog) {
    for (const f of model.metricFilters) {
      const list = this.filtersByLogGroup.get(f.logGroup.key) ?? [];
      list.push(f);
      this.filtersByLogGroup.set(f.logGroup.key, list);
    }
    for (const t of model.topics) this.topicsByKey.set(t.ref.key, t);
  }

  /**
   * The log groups a scanner searches: those of the trails that pass
   * `qualifies`, or, when no trail is visible, every log group that has
   * metric filters (recorded as unchecked). `problems` says why trails did
   * not qualify; `trails` (default: all) are those the scanner considers.
   */
  public logGroupsOf(
    scanner: Scanner, qualifies: (t: TrailFacts) => string[], requirement: string, trails = this.model.trails,
  ): { groups: ResourceRef[]; problems: string[]; trails: TrailFacts[] } {
    if (!this.model.trailsVisible) {
      const groups = uniqueRefs(this.model.metricFilters.map(f => f.logGroup));
      this.unchecked.add(scanner, `No CloudTrail trail is defined here, so whether ${requirement} delivers to ${groups.length ? groups.map(g => g.display).join(', ') : 'the log group'} could not be checked; the metric filters were judged as if it does.`);
      return { groups, problems: [], trails: [] };
    }
    const groups: ResourceRef[] = [];
    const qualified: TrailFacts[] = [];
    const problems: string[] = [];
    if (trails.length === 0) problems.push('there is no CloudTrail trail');
    for (const t of trails) {
      const issues = qualifies(t);
      if (issues.length === 0 && t.logGroup) {
        groups.push(t.logGroup);
        qualified.push(t);
      } else {
        problems.push(`trail ${t.name} ${issues.join(' and ')}`);
      }
    }
    return { groups: uniqueRefs(groups), problems, trails: qualified };
  }

  /** A trail another account owns: in a member account, the organization trail of the management account. */
  public ownedElsewhere(t: TrailFacts): boolean {
    return this.model.account !== undefined && t.ownerAccount !== undefined && t.ownerAccount !== this.model.account;
  }

  /** A multi-Region trail seen outside its home Region (a shadow trail). */
  public homedElsewhere(t: TrailFacts): boolean {
    return this.model.region !== undefined && t.homeRegion !== undefined && t.homeRegion !== this.model.region;
  }

  /** Metric filters on the given log groups (filters on unresolved log groups count, as unchecked). */
  public filtersOn(scanner: Scanner, groups: readonly ResourceRef[]): MetricFilterFacts[] {
    const keys = new Set(groups.map(g => g.key));
    const out: MetricFilterFacts[] = [];
    for (const f of this.model.metricFilters) {
      if (keys.has(f.logGroup.key)) {
        out.push(f);
      } else if (!f.logGroup.resolved && groups.length > 0) {
        this.unchecked.add(scanner, `Metric filter ${f.name} names its log group as ${f.logGroup.display}, which could not be resolved; it was assumed to be the trail's log group.`);
        out.push(f);
      }
    }
    return out;
  }

  public alarmsFor(metricName: string | undefined, namespace?: string): AlarmFacts[] {
    if (metricName === undefined) return [];
    return this.model.alarms.filter(a => a.metricName === metricName && (namespace === undefined || a.namespace === namespace));
  }

  /**
   * Prowler's link (5.46 lib/metric_filters.py): same metric name and Region
   * (the model holds one Region), and the same namespace when both set one.
   */
  public alarmsForProwler(f: MetricFilterFacts): AlarmFacts[] {
    if (f.metricName === undefined) return [];
    return this.model.alarms.filter(a => a.metricName === f.metricName && (!f.metricNamespace || !a.namespace || a.namespace === f.metricNamespace));
  }
}

function uniqueRefs(refs: readonly ResourceRef[]): ResourceRef[] {
  const seen = new Map<string, ResourceRef>();
  for (const r of refs) if (!seen.has(r.key)) seen.set(r.key, r);
  return [...seen.values()];
}

function evaluateCell(ctx: Context, scanner: Scanner, control: CisControl): CellResult {
  const rule = patternRule(scanner, control.key);
  if (!rule.applicable) return { status: 'NOT_APPLICABLE', reasons: [`${rule.notApplicableReason}.`] };
  switch (scanner) {
    case Scanner.SECURITY_HUB: return securityHub(ctx, control);
    case Scanner.PROWLER: return prowler(ctx, control);
    case Scanner.STEAMPIPE: return steampipe(ctx, control);
    case Scanner.CLOUDSPLOIT: return cloudSploit(ctx, control);
  }
  throw new Error(`Unknown scanner "${String(scanner)}"`);
}

function describeFilter(f: MetricFilterFacts): string {
  return `metric filter ${f.name} (metric ${f.metricNamespace ?? '?'}/${f.metricName ?? '?'})`;
}

function noMatchingFilter(scanner: Scanner, control: CisControl, groups: readonly ResourceRef[], candidates: readonly MetricFilterFacts[]): string {
  const rule = patternRule(scanner, control.key);
  const where = groups.length ? `log group ${groups.map(g => g.display).join(', ')}` : 'any log group';
  const unresolved = candidates.filter(f => f.pattern === undefined);
  const extra = unresolved.length ? ` (${unresolved.length} filter(s) have a pattern that could not be resolved)` : '';
  return `No metric filter on ${where} passes: ${rule.requirement}${extra}. Deploy the text ScannerPlan plans for ${scannerDisplayName(scanner)}.`;
}

/**
 * Why a scanner that reads one Region's metric filters finds none for a
 * trail it sees here but that lives elsewhere (a shadow trail, or another
 * account's organization trail); empty when no such trail was searched.
 */
function lookedUpHereOnly(ctx: Context, scanner: Scanner, trails: readonly TrailFacts[]): string {
  const name = scannerDisplayName(scanner);
  const here = ctx.model.region ?? 'this Region';
  const notes: string[] = [];
  for (const t of trails) {
    if (ctx.ownedElsewhere(t)) {
      notes.push(`Trail ${t.name} belongs to account ${t.ownerAccount}${t.isOrganizationTrail ? ' (an organization trail)' : ''}: ${name} looks for the metric filters of its log group ${t.logGroup?.display ?? '?'} in this account, where the monitoring of that trail does not live.`);
    } else if (ctx.homedElsewhere(t)) {
      notes.push(`Trail ${t.name} is based in ${t.homeRegion}: ${name} run on ${here} alone looks for the metric filters of its log group ${t.logGroup?.display ?? '?'} in ${here}; run over several Regions it judges the account as a whole, so audit ${t.homeRegion} too.`);
    }
  }
  return notes.length ? ` ${notes.join(' ')}` : '';
}

function trailRequirementsFailed(scanner: Scanner, problems: readonly string[]): CellResult {
  return {
    status: 'FAIL',
    reasons: [`${scannerDisplayName(scanner)} finds no qualifying trail: ${problems.join('; ')}.`],
  };
}

// ---------------------------------------------------------------- Prowler

/**
 * `prowler aws --region <this Region>`: every trail DescribeTrails lists here
 * (shadow and organization trails included) that has a log group, the
 * metric filters of this Region on a log group of that name, an alarm of this
 * Region on the filter's metric. Multi-Region, logging and selectors are not checked.
 */
function prowler(ctx: Context, control: CisControl): CellResult {
  const scanner = Scanner.PROWLER;
  const rule = patternRule(scanner, control.key);
  const { groups, problems, trails } = ctx.logGroupsOf(scanner, t => (t.logGroup ? [] : ['has no CloudWatchLogsLogGroupArn']), 'a trail with CloudWatchLogsLogGroupArn');
  if (groups.length === 0) return trailRequirementsFailed(scanner, problems);
  const candidates = ctx.filtersOn(scanner, groups);
  let best: Outcome | undefined;
  for (const f of candidates) {
    if (f.pattern === undefined || !rule.test(f.pattern)) continue;
    const alarms = ctx.alarmsForProwler(f);
    best = better(best, alarms.length > 0
      ? { status: 'PASS', depth: 2, reasons: [`${describeFilter(f)} matches ${rule.checkName}; alarm ${alarms[0].name} watches metric ${f.metricName}.`] }
      : { status: 'FAIL', depth: 1, reasons: [`${describeFilter(f)} matches ${rule.checkName}, but no alarm has MetricName ${f.metricName}${f.metricNamespace ? ` in namespace ${f.metricNamespace} (or none)` : ''}. Add an alarm on that metric.`] });
    if (best.status === 'PASS') break;
  }
  return best ?? { status: 'FAIL', reasons: [noMatchingFilter(scanner, control, groups, candidates) + lookedUpHereOnly(ctx, scanner, trails)] };
}

// ---------------------------------------------------------------- Steampipe

function steampipeTrailIssues(ctx: Context, t: TrailFacts): string[] {
  if (ctx.ownedElsewhere(t)) {
    // The plugin hydrates is_logging and event_selectors only for the connection account's trails; NULL never qualifies.
    return [`belongs to account ${t.ownerAccount}${t.isOrganizationTrail ? ' (an organization trail)' : ''}, and Steampipe reads the logging state and event selectors of the account's own trails only`];
  }
  const issues: string[] = [];
  if (t.isMultiRegion === false) issues.push('is not multi-region');
  if (t.isLogging === false) issues.push('is not logging');
  if (!t.logGroup) issues.push('has no CloudWatchLogsLogGroupArn');
  if (t.eventSelectors !== undefined && !t.eventSelectors.some(s => s.readWriteType === 'All')) {
    issues.push(t.usesAdvancedSelectors
      ? 'uses advanced event selectors only (Steampipe reads classic selectors and needs one with ReadWriteType All)'
      : 'has no classic event selector with ReadWriteType All');
  }
  return issues;
}

/**
 * Steampipe with a connection on this Region only: aws_cloudtrail_trail lists
 * the Region's trails, shadow trails included (their state read in their home
 * Region); the filters, alarms and subscriptions of this Region are joined by
 * log group name, metric name and topic ARN.
 */
function steampipe(ctx: Context, control: CisControl): CellResult {
  const scanner = Scanner.STEAMPIPE;
  const rule = patternRule(scanner, control.key);
  const { groups, problems, trails } = ctx.logGroupsOf(scanner, t => {
    if (!ctx.ownedElsewhere(t)) noteUnknownTrailFacts(ctx, scanner, t, true);
    return steampipeTrailIssues(ctx, t);
  }, 'a multi-region, logging trail with a classic event selector ReadWriteType All');
  if (groups.length === 0) return trailRequirementsFailed(scanner, problems);
  const candidates = ctx.filtersOn(scanner, groups);
  let best: Outcome | undefined;
  for (const f of candidates) {
    if (f.pattern === undefined || !rule.test(f.pattern)) continue;
    const alarms = ctx.alarmsFor(f.metricName);
    if (alarms.length === 0) {
      best = better(best, { status: 'FAIL', depth: 1, reasons: [`${describeFilter(f)} matches ${rule.checkName}, but no alarm has metric_name ${f.metricName}. Add an alarm on that metric.`] });
      continue;
    }
    for (const alarm of alarms) {
      best = better(best, steampipeTopic(ctx, f, alarm));
      if (best.status === 'PASS') return { status: 'PASS', reasons: best.reasons };
    }
  }
  if (!best) return { status: 'FAIL', reasons: [noMatchingFilter(scanner, control, groups, candidates) + lookedUpHereOnly(ctx, scanner, trails)] };
  return { status: best.status, reasons: best.reasons };
}

function steampipeTopic(ctx: Context, f: MetricFilterFacts, alarm: AlarmFacts): Outcome {
  // Steampipe treats every alarm action ARN as a topic ARN and needs one subscription row for it.
  if (alarm.actions.length === 0) {
    return { status: 'FAIL', depth: 2, reasons: [`alarm ${alarm.name} on ${describeFilter(f)} has no alarm action. Add an SNS topic action with a subscription.`] };
  }
  for (const action of alarm.actions) {
    const topic = ctx.topicsByKey.get(action.key);
    if (!topic) {
      ctx.unchecked.add(Scanner.STEAMPIPE, `Topic ${action.display} (alarm ${alarm.name}) is not visible here, so its subscriptions could not be checked.`);
      return { status: 'PASS', depth: 3, reasons: [`${describeFilter(f)} → alarm ${alarm.name} → topic ${action.display} (subscriptions not checked).`] };
    }
    if (topic.subscriptions.length > 0) {
      return { status: 'PASS', depth: 3, reasons: [`${describeFilter(f)} → alarm ${alarm.name} → topic ${topic.ref.display} with ${topic.subscriptions.length} subscription(s).`] };
    }
  }
  return { status: 'FAIL', depth: 2, reasons: [`alarm ${alarm.name} on ${describeFilter(f)} notifies ${alarm.actions.map(a => a.display).join(', ')}, which has no subscription. Subscribe an endpoint to the topic.`] };
}

// ---------------------------------------------------------------- Security Hub

function securityHubTrailIssues(ctx: Context, t: TrailFacts, control: CisControl): string[] {
  const issues: string[] = [];
  if (t.isMultiRegion === false) issues.push('is not multi-region');
  if (t.isLogging === false) issues.push('is not logging');
  if (!t.logGroup) issues.push('has no CloudWatchLogsLogGroupArn');
  if (t.eventSelectors !== undefined) {
    if (t.usesAdvancedSelectors && t.eventSelectors.length === 0) {
      ctx.unchecked.add(Scanner.SECURITY_HUB, `Trail ${t.name} uses advanced event selectors; whether Security Hub accepts them in place of a classic selector (IncludeManagementEvents true, ReadWriteType All) is not documented.`);
    } else {
      const ok = t.eventSelectors.filter(s => s.includeManagementEvents && s.readWriteType === 'All');
      if (ok.length === 0) {
        issues.push('has no event selector with IncludeManagementEvents true and ReadWriteType All');
      } else if (control.key === 'cmk-disable-or-deletion' && ok.every(s => s.excludeManagementEventSources.includes('kms.amazonaws.com'))) {
        issues.push('excludes kms.amazonaws.com from its management events (CloudWatch.7 fails then)');
      }
    }
  }
  return issues;
}

/**
 * The trails Security Hub evaluates here, or why it reports NO_DATA. Its
 * documented rule (cloudwatch-controls.html): FAILED when no trail is
 * configured or when the trails in the current Region owned by the current
 * account do not qualify; NO_DATA when the multi-Region trail is based in
 * another Region or belongs to another account, since findings are generated
 * only in the trail's home Region and owner account.
 */
function securityHubTrails(ctx: Context): { trails: readonly TrailFacts[]; noData?: string } {
  const all = ctx.model.trails;
  if (!ctx.model.trailsVisible || all.length === 0) return { trails: all };
  const local = all.filter(t => !ctx.ownedElsewhere(t) && !ctx.homedElsewhere(t));
  if (local.length > 0) return { trails: local };
  const where = all.map(t => ctx.ownedElsewhere(t)
    ? `trail ${t.name} belongs to account ${t.ownerAccount}${t.isOrganizationTrail ? ' (an organization trail)' : ''}, where Security Hub evaluates it in ${t.homeRegion ?? 'its home Region'}`
    : `trail ${t.name} is based in ${t.homeRegion}, where Security Hub evaluates it`);
  return {
    trails: [],
    noData: `Security Hub reports NO_DATA here: it generates findings for a trail only in the Region the trail is based in and only in the account that owns it, and here ${where.join('; ')}.`,
  };
}

function securityHub(ctx: Context, control: CisControl): CellResult {
  const scanner = Scanner.SECURITY_HUB;
  const rule = patternRule(scanner, control.key);
  const own = securityHubTrails(ctx);
  if (own.noData) return { status: 'NO_DATA', reasons: [own.noData] };
  const { groups, problems } = ctx.logGroupsOf(scanner, t => {
    noteUnknownTrailFacts(ctx, scanner, t, true);
    return securityHubTrailIssues(ctx, t, control);
  }, 'a multi-region, logging trail with management events (ReadWriteType All)', own.trails);
  if (groups.length === 0) return trailRequirementsFailed(scanner, problems);
  const candidates = ctx.filtersOn(scanner, groups);
  let best: Outcome | undefined;
  for (const f of candidates) {
    if (f.pattern === undefined || !rule.test(f.pattern)) continue;
    const alarms = ctx.alarmsFor(f.metricName, f.metricNamespace);
    if (alarms.length === 0) {
      best = better(best, { status: 'FAIL', depth: 1, reasons: [`${describeFilter(f)} has the documented ${rule.checkName} text, but no alarm watches ${f.metricNamespace}/${f.metricName}. Add an alarm on that metric.`] });
      continue;
    }
    for (const alarm of alarms) best = better(best, securityHubTopic(ctx, f, alarm));
    if (best?.status === 'PASS') break;
  }
  if (!best) {
    return { status: 'FAIL', reasons: [noMatchingFilter(scanner, control, groups, candidates) + ' Security Hub allows no added terms, different spacing or quoting.'] };
  }
  return { status: best.status, reasons: best.reasons };
}

const AUTO_CONFIRMED = 'confirmed-at-deploy';

function securityHubTopic(ctx: Context, f: MetricFilterFacts, alarm: AlarmFacts): Outcome {
  const snsActions = alarm.actions.filter(a => a.isSnsTopic !== false);
  if (snsActions.length === 0) {
    return { status: 'FAIL', depth: 2, reasons: [`alarm ${alarm.name} on ${describeFilter(f)} has no SNS topic action. Add one with a confirmed subscriber.`] };
  }
  let best: Outcome | undefined;
  for (const action of snsActions) {
    const topic = ctx.topicsByKey.get(action.key);
    const chain = `${describeFilter(f)} → alarm ${alarm.name} → topic ${action.display}`;
    if (!topic) {
      ctx.unchecked.add(Scanner.SECURITY_HUB, `Topic ${action.display} (alarm ${alarm.name}) is not visible here, so whether it has a confirmed subscriber could not be checked.`);
      best = better(best, { status: 'PASS', depth: 3, reasons: [`${chain} (subscribers not checked).`] });
      continue;
    }
    const subs = topic.subscriptions;
    const active = subs.filter(s => s.state === 'confirmed' || s.state === AUTO_CONFIRMED);
    const pendingAtDeploy = subs.filter(s => s.state === 'pending-at-deploy');
    const pending = subs.filter(s => s.state === 'pending');
    if (active.length > 0) {
      best = better(best, { status: 'PASS', depth: 3, reasons: [`${chain} with ${active.length} active subscriber(s) (${active.map(s => s.protocol).join(', ')}).`] });
    } else if (pendingAtDeploy.length > 0) {
      best = better(best, {
        status: 'WARN',
        depth: 3,
        reasons: [`Requires a confirmed subscription: topic ${topic.ref.display} has only ${pendingAtDeploy.map(s => `${s.protocol} ${s.endpoint}`).join(', ')}, which stays pending after deployment until its owner confirms, and Security Hub counts only confirmed subscribers. Confirm it after deploying, or add a subscription AWS confirms itself (SQS, Lambda).`],
      });
    } else if (pending.length > 0) {
      best = better(best, { status: 'FAIL', depth: 2, reasons: [`${chain} has only subscriptions pending confirmation (${pending.map(s => `${s.protocol} ${s.endpoint}`).join(', ')}); Security Hub counts only confirmed subscribers. Confirm one.`] });
    } else {
      best = better(best, { status: 'FAIL', depth: 2, reasons: [`${chain} has no subscriber${topic.exists ? '' : ' (the topic does not exist)'}. Subscribe an endpoint and confirm it.`] });
    }
  }
  return best!;
}

/** Records trail facts a template left unresolved. */
function noteUnknownTrailFacts(ctx: Context, scanner: Scanner, t: TrailFacts, selectors: boolean): void {
  if (t.isMultiRegion === undefined) ctx.unchecked.add(scanner, `Whether trail ${t.name} is multi-region could not be resolved.`);
  if (t.isLogging === undefined) ctx.unchecked.add(scanner, `Whether trail ${t.name} is logging could not be resolved.`);
  if (selectors && t.eventSelectors === undefined) ctx.unchecked.add(scanner, `The event selectors of trail ${t.name} could not be resolved.`);
}

// ---------------------------------------------------------------- CloudSploit

/**
 * One result of CloudSploit's monitoringMetrics plugin for the Region, as it
 * prints it (status, resource, message), and the controls it fails.
 */
interface CloudSploitResult {
  readonly status: 'OK' | 'FAIL';
  /** The trail's ARN (`trail <name>` in a template); undefined for a result about the whole Region. */
  readonly resource?: string;
  readonly message: string;
  /** The control keys the result fails: every control, or those listed as missing. */
  readonly failing: readonly string[];
}

const CLOUDSPLOIT_KEYS = Object.keys(CLOUDSPLOIT_MASTER_RULES);

function cloudSploitFound(ctx: Context, controlKey: string): MetricFilterFacts | undefined {
  const expected = normaliseForCloudSploit(CLOUDSPLOIT_MASTER_RULES[controlKey].expected);
  // Master searches the filters of every log group in the region, not only the trail's.
  return ctx.model.metricFilters.find(f => f.pattern !== undefined && f.pattern !== '' && normaliseForCloudSploit(f.pattern) === expected);
}

/**
 * What CloudSploit master (plugins/aws/cloudwatchlogs/monitoringMetrics.js,
 * 4b5bbd8) reports for this Region, step by step: no trail at all, or no
 * trail whose HomeRegion is this Region (shadow trails do not count), is OK
 * without looking at a filter; a Region without any metric filter fails as a
 * whole; then one result per trail based here (an organization trail seen
 * from a member included) that has a log group, looked up by the log group's
 * name; a trail without one gets no result. Undefined when no trail is
 * visible (a template given an existing log group).
 */
function cloudSploitResults(ctx: Context): CloudSploitResult[] | undefined {
  if (!ctx.model.trailsVisible) return undefined;
  const trails = ctx.model.trails;
  if (trails.length === 0) return [{ status: 'OK', message: 'No CloudTrail trails found', failing: [] }];
  const based = trails.filter(t => !ctx.homedElsewhere(t));
  if (based.length === 0) return [{ status: 'OK', message: 'No CloudTrail trails found in current home region', failing: [] }];
  if (ctx.model.metricFilters.length === 0) {
    return [{ status: 'FAIL', message: 'There are no CloudWatch metric filters in this region', failing: CLOUDSPLOIT_KEYS }];
  }
  const missing = CLOUDSPLOIT_KEYS.filter(key => !cloudSploitFound(ctx, key));
  const results: CloudSploitResult[] = [];
  for (const t of based) {
    if (!t.logGroup) continue;
    const resource = t.arn ?? `trail ${t.name}`;
    // Filters with an empty pattern are left out of its per-log-group index.
    const own = (ctx.filtersByLogGroup.get(t.logGroup.key) ?? []).filter(f => f.pattern !== '');
    if (own.length === 0) {
      results.push({ status: 'FAIL', resource, message: 'There are no CloudWatch metric filters for this trail', failing: CLOUDSPLOIT_KEYS });
    } else if (missing.length > 0) {
      results.push({ status: 'FAIL', resource, message: `Trail logs are missing filters for: ${missing.map(k => CLOUDSPLOIT_MASTER_RULES[k].name).join(', ')}`, failing: missing });
    } else {
      results.push({ status: 'OK', resource, message: 'Trail logs have filter patterns for all required metrics', failing: [] });
    }
  }
  return results;
}

/** A result as CloudSploit's own report shows it: status, resource (or the Region), message. */
function cloudSploitLine(ctx: Context, r: CloudSploitResult): string {
  return `${r.status} ${r.resource ?? ctx.model.region ?? 'this Region'}: ${r.message}`;
}

/** Why CloudSploit reports nothing: the trails based here have no log group, which it skips silently. */
function cloudSploitSilence(ctx: Context): string {
  const skipped = ctx.model.trails.filter(t => !ctx.homedElsewhere(t)).map(t => t.name);
  return `CloudSploit reports no result for this Region: it skips trail ${skipped.join(', ')}, which has no CloudWatch Logs log group (CloudWatchLogsLogGroupArn), without a word. Deliver the trail to CloudWatch Logs.`;
}

function cloudSploit(ctx: Context, control: CisControl): CellResult {
  const scanner = Scanner.CLOUDSPLOIT;
  const rule = patternRule(scanner, control.key);
  const results = cloudSploitResults(ctx);
  const found = cloudSploitFound(ctx, control.key);
  const foundText = found
    ? `${describeFilter(found)} equals "${rule.checkName}" once whitespace is removed and case ignored (alarms are not checked).`
    : `No metric filter equals, ignoring whitespace and case, CloudSploit's "${rule.checkName}" text ${rule.expectation}.`;
  if (results === undefined) {
    ctx.unchecked.add(scanner, 'No CloudTrail trail is defined here, so CloudSploit\'s trail lookup (home region, CloudWatchLogsLogGroupArn, at least one filter on that log group) could not be checked; the expected texts were searched in every metric filter.');
    return { status: found ? 'PASS' : 'FAIL', reasons: [foundText] };
  }
  if (results.length === 0) return { status: 'NO_DATA', reasons: [cloudSploitSilence(ctx)] };
  const failing = results.filter(r => r.failing.includes(control.key));
  if (failing.length > 0) {
    return { status: 'FAIL', reasons: failing.map(r => `CloudSploit reports ${cloudSploitLine(ctx, r)}.${r.failing.length < CLOUDSPLOIT_KEYS.length ? ` ${foundText}` : ''}`) };
  }
  if (results.every(r => r.status === 'OK' && r.resource === undefined)) {
    const elsewhere = ctx.model.trails.filter(t => ctx.homedElsewhere(t)).map(t => `${t.name} is based in ${t.homeRegion}`);
    return { status: 'PASS', reasons: [`CloudSploit reports ${cloudSploitLine(ctx, results[0])} and checks no filter here${elsewhere.length ? ` (trail ${elsewhere.join(', trail ')})` : ''}.`] };
  }
  return { status: 'PASS', reasons: [foundText] };
}

/** CloudSploit's results for the Region: one per trail based here, or one about the whole Region. */
function cloudSploitSummary(ctx: Context): ScannerSummary {
  const scanner = Scanner.CLOUDSPLOIT;
  const results = cloudSploitResults(ctx);
  if (results === undefined) {
    const missing = CLOUDSPLOIT_KEYS.filter(key => !cloudSploitFound(ctx, key)).map(key => CLOUDSPLOIT_MASTER_RULES[key].name);
    const verdict = missing.length === 0 ? 'all 15 expected filters are present' : `"Trail logs are missing filters for: ${missing.join(', ')}"`;
    return { scanner, status: missing.length ? 'FAIL' : 'PASS', reasons: [`CloudSploit reports one result per trail (trail not visible here): ${verdict}.`] };
  }
  if (results.length === 0) return { scanner, status: 'NO_DATA', reasons: [cloudSploitSilence(ctx)] };
  return {
    scanner,
    status: results.some(r => r.status === 'FAIL') ? 'FAIL' : 'PASS',
    reasons: results.map(r => cloudSploitLine(ctx, r)),
  };
}
