/** Renders an AuditReport as a text matrix or as JSON. */
import { auditErrorKind } from './errors';
import { AuditReport, CellStatus } from './evaluate';
import { AuditRunResult, AuditTargetError, AuditTargetResult } from './run';
import { scannerDisplayName } from '../scanners/rules';
import { Scanner } from '../scanners/scanner';

const SHORT: Record<CellStatus, string> = { PASS: 'PASS', FAIL: 'FAIL', WARN: 'WARN', NO_DATA: 'NO_DATA', NOT_APPLICABLE: 'N/A' };

/** The JSON document `audit --format json` prints: one target per audited account and Region. */
export function auditToJson(result: AuditRunResult): unknown {
  if (result.organization) return organizationToJson(result);
  return {
    targets: result.targets.map(t => ({
      account: t.environment.account ?? null,
      region: t.environment.region ?? null,
      environment: t.environmentKey,
      benchmarkFrom: t.benchmarkFrom,
      ...reportToJson(t.report),
    })),
    exitCode: result.exitCode,
  };
}

/** The human-readable matrices, one per audited account and Region, and the overall result. */
export function auditToText(result: AuditRunResult): string {
  if (result.organization) return organizationToText(result);
  const blocks = result.targets.map(t => reportToText(t.report, result.targets.length > 1 ? t.environmentKey : undefined));
  const failed = result.targets.filter(t => t.report.failed).map(t => t.environmentKey);
  const summary = result.targets.length > 1
    ? `Result: ${failed.length > 0 ? `FAIL in ${failed.join(', ')}` : `PASS in all ${result.targets.length} environments`} (exit code ${result.exitCode}).`
    : `Result: ${failed.length > 0 ? 'FAIL' : 'PASS'} (exit code ${result.exitCode}).`;
  return blocks.join('\n') + summary + '\n';
}

/** Audited and unaudited targets of an organization audit, in the order accounts × Regions. */
function organizationEntries(result: AuditRunResult): Array<{ audited?: AuditTargetResult; error?: AuditTargetError }> {
  const org = result.organization!;
  const byKey = new Map<string, { audited?: AuditTargetResult; error?: AuditTargetError }>();
  for (const t of result.targets) byKey.set(t.environmentKey, { audited: t });
  for (const e of org.errors) byKey.set(e.environmentKey, { error: e });
  const keys = [...org.order, ...[...byKey.keys()].filter(k => !org.order.includes(k))];
  return keys.filter(k => byKey.has(k)).map(k => byKey.get(k)!);
}


/** `{ targets: [...], exitCode }` as for one account; each target adds accountName and roleArn, unaudited ones `error` instead of controls. */
function organizationToJson(result: AuditRunResult): unknown {
  return {
    targets: organizationEntries(result).map(({ audited, error }) => {
      if (audited) {
        return {
          account: audited.environment.account ?? null,
          accountName: audited.accountName ?? null,
          region: audited.environment.region ?? null,
          environment: audited.environmentKey,
          roleArn: audited.roleArn ?? null,
          benchmarkFrom: audited.benchmarkFrom,
          ...reportToJson(audited.report),
        };
      }
      return {
        account: error!.environment.account ?? null,
        accountName: error!.accountName ?? null,
        region: error!.environment.region ?? null,
        environment: error!.environmentKey,
        roleArn: error!.roleArn ?? null,
        benchmark: error!.benchmark,
        error: { kind: auditErrorKind(error!.exitCode), exitCode: error!.exitCode, message: error!.message },
      };
    }),
    exitCode: result.exitCode,
  };
}

/** The worst of the selected scanners' verdicts on one control: FAIL, then WARN, then PASS, then NO_DATA, then N/A. */
function worstCell(report: AuditReport, controlIndex: number): CellStatus {
  const order: CellStatus[] = ['FAIL', 'WARN', 'PASS', 'NO_DATA', 'NOT_APPLICABLE'];
  const statuses = report.scanners.map(s => report.controls[controlIndex].results[s]!.status);
  return order.find(o => statuses.includes(o)) ?? 'NOT_APPLICABLE';
}

/** Summary table (account × Region × control), then per-target details, then the unaudited targets. */
function organizationToText(result: AuditRunResult): string {
  const org = result.organization!;
  const entries = organizationEntries(result);
  const lines: string[] = [];
  const first = result.targets[0]?.report;
  lines.push(`Organization ${org.organizationId ?? '?'} (management account ${org.managementAccount ?? '?'}), audited as ${org.callerArn}`);
  lines.push(`Accounts: ${org.accounts.length} active${org.inactive.length ? ` (${org.inactive.length} not active, skipped: ${org.inactive.map(a => `${a.id} ${a.state}`).join(', ')})` : ''}; Regions: ${org.regions.join(', ')}; role: ${org.roleName} (the caller's own account ${org.callerAccount} with its own credentials)`);
  lines.push(`Targets: ${entries.length} (${result.targets.length} audited, ${org.errors.length} not audited)${first ? `; CIS AWS Foundations Benchmark v${first.benchmark}; scanners: ${first.scanners.map(scannerDisplayName).join(', ')}` : ''}`);
  lines.push('');

  const controls = first?.controls.map(c => c.cisId) ?? [];
  const headers = ['Account', 'Name', 'Region', ...controls, 'Result'];
  const rows = entries.map(({ audited, error }) => {
    if (audited) {
      const r = audited.report;
      const cells = r.controls.map((_, i) => SHORT[worstCell(r, i)]);
      // A target where no selected scanner gives a verdict (e.g. Security Hub on a member with only the organization trail) is not a PASS.
      const verdict = r.failed ? 'FAIL' : r.controls.some((_, i) => ['PASS', 'WARN'].includes(worstCell(r, i))) ? 'PASS' : 'NO_DATA';
      return [audited.environment.account ?? '?', audited.accountName ?? '', audited.environment.region ?? '?', ...cells, verdict];
    }
    return [error!.environment.account ?? '?', error!.accountName ?? '', error!.environment.region ?? '?', ...controls.map(() => '-'), `NOT AUDITED (${auditErrorKind(error!.exitCode)})`];
  });
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((cell, i) => (cell ?? '').padEnd(widths[i])).join('  ').trimEnd();
  lines.push(fmt(headers));
  lines.push(fmt(widths.map(w => '-'.repeat(w))));
  for (const r of rows) lines.push(fmt(r));
  lines.push('');
  lines.push('Each cell: the worst verdict of the selected scanners on that control (FAIL, then WARN, then PASS, then NO_DATA, then N/A); per-scanner detail below.');

  if (org.errors.length) {
    lines.push('');
    lines.push('Not audited:');
    for (const e of org.errors) lines.push(`  ${e.environmentKey}${e.accountName ? ` (${e.accountName})` : ''}: ${e.message}`);
  }
  for (const { audited } of entries) {
    if (!audited) continue;
    lines.push('');
    lines.push(reportToText(audited.report, `${audited.environmentKey}${audited.accountName ? ` (${audited.accountName})` : ''}`, false).trimEnd());
  }
  lines.push('');
  lines.push(...LEGEND);
  const failed = result.targets.filter(t => t.report.failed).map(t => t.environmentKey);
  const parts: string[] = [];
  if (failed.length) parts.push(`FAIL in ${failed.join(', ')}`);
  if (org.errors.length) parts.push(`not audited: ${org.errors.map(e => e.environmentKey).join(', ')}`);
  lines.push('');
  lines.push(`Result: ${parts.length ? parts.join('; ') : `PASS in all ${result.targets.length} targets`} (exit code ${result.exitCode}).`);
  return lines.join('\n') + '\n';
}

const LEGEND = [
  'Legend: PASS the scanner would pass this control; FAIL it would fail (reason above); WARN passes only once',
  'an email/HTTP subscription is confirmed (Security Hub counts confirmed subscribers only); NO_DATA the scanner',
  'gives no verdict in this account and Region (reason above; e.g. Security Hub judges a trail only in its home',
  'Region and owner account); N/A the scanner has no check for this control (Security Hub has none for',
  'Organizations changes).',
];

function reportToJson(report: AuditReport): Record<string, unknown> {
  return {
    benchmark: report.benchmark,
    source: report.source,
    audited: report.description,
    scanners: report.scanners,
    controls: report.controls.map(c => ({
      key: c.key,
      cisId: c.cisId,
      title: c.title,
      results: Object.fromEntries(report.scanners.map(s => [s, { status: c.results[s]!.status, reasons: [...c.results[s]!.reasons] }])),
    })),
    summaries: report.summaries.map(s => ({ scanner: s.scanner, status: s.status, reasons: [...s.reasons] })),
    unchecked: report.unchecked.map(u => ({ scanners: [...u.scanners], condition: u.condition })),
    notes: [...report.notes],
  };
}

/** One environment's matrix with the reason for every FAIL and WARN, and a legend. */
function reportToText(report: AuditReport, environment: string | undefined, legend = true): string {
  const lines: string[] = [];
  if (environment) lines.push(`== ${environment} ==`);
  lines.push(`CIS AWS Foundations Benchmark v${report.benchmark}: audit of ${report.description} (${report.source === 'live' ? 'deployed account' : 'synthesized template'})`);
  lines.push('');
  const headers = ['CIS', 'Control', ...report.scanners.map(scannerDisplayName)];
  const rows = report.controls.map(c => [c.cisId, c.key, ...report.scanners.map(s => SHORT[c.results[s]!.status])]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const fmt = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  lines.push(fmt(headers));
  lines.push(fmt(widths.map(w => '-'.repeat(w))));
  for (const r of rows) lines.push(fmt(r));

  for (const s of report.summaries) {
    lines.push('');
    lines.push(`${scannerDisplayName(s.scanner)} per-trail result: ${SHORT[s.status]}`);
    for (const reason of s.reasons) lines.push(`  ${reason}`);
  }

  const section = (title: string, status: CellStatus) => {
    // Identical reasons of one scanner (e.g. the same topic for every control) are listed once.
    const grouped = new Map<string, { scanner: Scanner; reason: string; controls: string[] }>();
    for (const c of report.controls) {
      for (const s of report.scanners) {
        const cell = c.results[s]!;
        if (cell.status !== status) continue;
        for (const reason of cell.reasons) {
          const key = `${s}\u0000${reason}`;
          const entry = grouped.get(key) ?? { scanner: s, reason, controls: [] };
          entry.controls.push(`${c.cisId} ${c.key}`);
          grouped.set(key, entry);
        }
      }
    }
    if (grouped.size) {
      lines.push('');
      lines.push(title);
      for (const g of grouped.values()) {
        const which = g.controls.length > 3 ? `${g.controls.length} controls (${g.controls.map(x => x.split(' ')[0]).join(', ')})` : g.controls.join(', ');
        lines.push(`  ${which} / ${scannerDisplayName(g.scanner)}: ${g.reason}`);
      }
    }
  };
  section('Failures:', 'FAIL');
  section('Warnings:', 'WARN');
  section('No data (no verdict here, not counted as failures):', 'NO_DATA');

  if (report.unchecked.length) {
    lines.push('');
    lines.push('Not checked (not counted as failures):');
    for (const u of report.unchecked) lines.push(`  [${u.scanners.map(scannerDisplayName).join(', ')}] ${u.condition}`);
  }
  if (report.notes.length) {
    lines.push('');
    lines.push('Notes:');
    for (const n of report.notes) lines.push(`  ${n}`);
  }
  if (legend) {
    lines.push('');
    lines.push(...LEGEND);
  }
  return lines.join('\n') + '\n';
}

/** Counts cells per status for a one-line summary. */
export function countStatuses(report: AuditReport): Record<CellStatus, number> {
  const counts: Record<CellStatus, number> = { PASS: 0, FAIL: 0, WARN: 0, NO_DATA: 0, NOT_APPLICABLE: 0 };
  for (const c of report.controls) for (const s of report.scanners as Scanner[]) counts[c.results[s]!.status]++;
  return counts;
}
