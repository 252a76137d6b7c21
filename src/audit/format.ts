/** Renders an AuditReport as a text matrix or as JSON. */
import { AuditReport, CellStatus } from './evaluate';
import { AuditRunResult } from './run';
import { scannerDisplayName } from '../scanners/rules';
import { Scanner } from '../scanners/scanner';

const SHORT: Record<CellStatus, string> = { PASS: 'PASS', FAIL: 'FAIL', WARN: 'WARN', NOT_APPLICABLE: 'N/A' };

/** The JSON document `audit --format json` prints: one target per audited account and Region. */
export function auditToJson(result: AuditRunResult): unknown {
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
  const blocks = result.targets.map(t => reportToText(t.report, result.targets.length > 1 ? t.environmentKey : undefined));
  const failed = result.targets.filter(t => t.report.failed).map(t => t.environmentKey);
  const summary = result.targets.length > 1
    ? `Result: ${failed.length > 0 ? `FAIL in ${failed.join(', ')}` : `PASS in all ${result.targets.length} environments`} (exit code ${result.exitCode}).`
    : `Result: ${failed.length > 0 ? 'FAIL' : 'PASS'} (exit code ${result.exitCode}).`;
  return blocks.join('\n') + summary + '\n';
}

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
function reportToText(report: AuditReport, environment: string | undefined): string {
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
  lines.push('');
  lines.push('Legend: PASS the scanner would pass this control; FAIL it would fail (reason above); WARN passes only once');
  lines.push('an email/HTTP subscription is confirmed (Security Hub counts confirmed subscribers only); N/A the scanner');
  lines.push('has no check for this control (Security Hub has none for Organizations changes).');
  return lines.join('\n') + '\n';
}

/** Counts cells per status for a one-line summary. */
export function countStatuses(report: AuditReport): Record<CellStatus, number> {
  const counts: Record<CellStatus, number> = { PASS: 0, FAIL: 0, WARN: 0, NOT_APPLICABLE: 0 };
  for (const c of report.controls) for (const s of report.scanners as Scanner[]) counts[c.results[s]!.status]++;
  return counts;
}
