/**
 * What changed since the reporter's previous run, and the alerts it sends:
 * a control that regressed from PASSED (or WARNING) to FAILED, a control no
 * scanner could evaluate any more although it had passed (its evidence is
 * gone), and a target that became unauditable (denied, unreachable). One
 * message per severity and run, so a rollback that breaks a control in a
 * thousand accounts is one page, not a thousand; each message lists the
 * first items and says how many there are.
 */
import { ComplianceStatus, EvidenceFinding, EvidenceTarget } from '../findings';

/** What the reporter keeps between runs (state/last-run.json in its bucket). */
export interface RunState {
  readonly runId: string;
  readonly generatedAt: string;
  /** Finding id → status. */
  readonly statuses: Readonly<Record<string, ComplianceStatus>>;
  /** Environments (`aws://account/region`) that could not be audited. */
  readonly unauditable: readonly string[];
  /**
   * Findings of audited targets that no scanner could evaluate (NOT_AVAILABLE)
   * in that run; `statuses` keeps their last evaluated status, so that a later
   * FAILED is still a regression. Absent in state written before it existed.
   */
  readonly notEvaluated?: readonly string[];
}

export interface Regression {
  readonly findingId: string;
  readonly environment: string;
  readonly accountName?: string;
  readonly controlKey: string;
  readonly requirement: string;
  readonly title: string;
  readonly severity: string;
  readonly reason: string;
  /** The status of the previous run (PASSED or WARNING). */
  readonly from: ComplianceStatus;
  /** FAILED, or NOT_AVAILABLE: no scanner could evaluate it any more. */
  readonly to: ComplianceStatus;
}

export interface NewlyUnauditable {
  readonly environment: string;
  readonly accountName?: string;
  readonly kind: string;
  readonly message: string;
}

export interface Changes {
  readonly regressions: readonly Regression[];
  readonly unauditable: readonly NewlyUnauditable[];
}

/** Severity of the alert for targets that became unauditable: the evidence for every control there is gone. */
export const UNAUDITABLE_SEVERITY = 'HIGH';
/** Items listed per message (the count is always given). */
export const ITEMS_PER_MESSAGE = 50;

/** What one finding of this run means against the previous run (the report streams findings and asks one at a time). */
export interface FindingChange {
  /** The status the next run compares against (undefined: none, keep nothing). */
  readonly status?: ComplianceStatus;
  /** The finding goes into the next state's `notEvaluated`. */
  readonly notEvaluated: boolean;
  readonly regression?: Regression;
}

/**
 * Compares a finding with the previous run. A target not audited this run
 * (denied, unreachable, its batch lost) keeps the status it had; so does a
 * finding no scanner could evaluate, once it has been evaluated: PASSED →
 * unaudited (or NOT_AVAILABLE) → FAILED is still a regression on the run that
 * sees the failure. PASSED or WARNING → NOT_AVAILABLE is alerted once, on the
 * run where the evidence went away.
 */
export function compareFinding(previous: RunState | undefined, f: EvidenceFinding, previouslyNotEvaluated: ReadonlySet<string>): FindingChange {
  const before = previous?.statuses[f.id];
  if (!f.audited) return { status: before, notEvaluated: false };
  const evaluatedBefore = before === 'PASSED' || before === 'WARNING' || before === 'FAILED';
  if (f.status === 'NOT_AVAILABLE' && evaluatedBefore) {
    const lost = (before === 'PASSED' || before === 'WARNING') && !previouslyNotEvaluated.has(f.id);
    return { status: before, notEvaluated: true, regression: lost ? regression(f, before, 'NOT_AVAILABLE') : undefined };
  }
  const worse = f.status === 'FAILED' && (before === 'PASSED' || before === 'WARNING');
  return { status: f.status, notEvaluated: false, regression: worse ? regression(f, before, 'FAILED') : undefined };
}

function regression(f: EvidenceFinding, from: ComplianceStatus, to: ComplianceStatus): Regression {
  return {
    findingId: f.id,
    environment: f.environment,
    accountName: f.accountName,
    controlKey: f.controlKey,
    requirement: f.requirement,
    title: f.title,
    // a control whose evidence is gone is as urgent as a target that cannot be audited, whatever the control
    severity: to === 'NOT_AVAILABLE' ? UNAUDITABLE_SEVERITY : f.severity,
    reason: f.statusReason,
    from,
    to,
  };
}

/** Targets not audited now that were audited (or unknown) in the previous run. */
export function newlyUnauditable(previous: RunState | undefined, targets: readonly EvidenceTarget[]): NewlyUnauditable[] {
  const wasUnauditable = new Set(previous?.unauditable ?? []);
  return targets
    .filter(t => !t.audited && !wasUnauditable.has(t.environment))
    .map(t => ({ environment: t.environment, accountName: t.accountName, kind: t.error?.kind ?? 'ERROR', message: t.error?.message ?? '' }));
}

export interface AlertMessage {
  readonly severity: string;
  /** At most 100 characters (SNS). */
  readonly subject: string;
  readonly body: string;
}

/** One message per severity that has something to say. */
export interface AlertContext {
  readonly reportKey: string;
  readonly bucket: string;
  readonly generatedAt: string;
  readonly benchmark: string;
}

/** Longest item line of an alert: 50 of them stay far under SNS's 256 KiB. */
const MAX_ALERT_LINE = 1000;

/**
 * One item of an alert as one bounded line: reasons and error messages quote
 * what AWS answered and what members named (a metric filter's name may hold
 * any character), and account names come from Organizations, so line breaks,
 * control and format characters (bidirectional overrides, invisible tags)
 * become spaces (no made-up lines, nothing reordered or hidden) and the line
 * is cut.
 */
function alertLine(line: string): string {
  const flat = line.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ');
  return flat.length <= MAX_ALERT_LINE ? flat : `${flat.slice(0, MAX_ALERT_LINE - 1)}…`;
}

export function alertMessages(changes: Changes, context: AlertContext): AlertMessage[] {
  const where = `Report: s3://${context.bucket}/${context.reportKey} (run of ${context.generatedAt}, CIS AWS Foundations Benchmark v${context.benchmark}).`;
  const bySeverity = new Map<string, string[]>();
  const counts = new Map<string, { failed: number; notEvaluated: number; unauditable: number }>();
  const add = (severity: string, line: string, kind: 'failed' | 'notEvaluated' | 'unauditable') => {
    bySeverity.set(severity, [...bySeverity.get(severity) ?? [], alertLine(line)]);
    const c = counts.get(severity) ?? { failed: 0, notEvaluated: 0, unauditable: 0 };
    c[kind]++;
    counts.set(severity, c);
  };
  for (const r of changes.regressions) {
    const what = r.to === 'NOT_AVAILABLE' ? 'no scanner could evaluate it this run' : r.reason;
    add(r.severity, `- ${r.requirement} (${r.controlKey}) in ${r.environment}${r.accountName ? ` (${r.accountName})` : ''}: ${r.from} → ${r.to}. ${what}`,
      r.to === 'NOT_AVAILABLE' ? 'notEvaluated' : 'failed');
  }
  for (const u of changes.unauditable) {
    add(UNAUDITABLE_SEVERITY, `- ${u.environment}${u.accountName ? ` (${u.accountName})` : ''} can no longer be audited (${u.kind}): ${u.message}`, 'unauditable');
  }
  const order = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'];
  return [...bySeverity.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b)).map(severity => {
    const lines = bySeverity.get(severity)!;
    const c = counts.get(severity)!;
    const parts = [
      c.failed ? `${c.failed} CIS control${c.failed === 1 ? '' : 's'} regressed to FAILED` : '',
      c.notEvaluated ? `${c.notEvaluated} passing control${c.notEvaluated === 1 ? '' : 's'} no longer evaluated` : '',
      c.unauditable ? `${c.unauditable} target${c.unauditable === 1 ? '' : 's'} unauditable` : '',
    ].filter(Boolean);
    const subject = `[${severity}] CIS evidence: ${parts.join(', ')}`.slice(0, 100);
    const shown = lines.slice(0, ITEMS_PER_MESSAGE);
    const body = [
      `${parts.join(' and ')} since the previous run.`,
      '',
      ...shown,
      ...(lines.length > shown.length ? [`… and ${lines.length - shown.length} more, listed in the report.`] : []),
      '',
      where,
    ].join('\n');
    return { severity, subject, body };
  });
}
