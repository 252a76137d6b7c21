/**
 * Findings as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted
 * when they hold a comma, quote or line break), one row per target × control ×
 * scanner, with Prowler-style upper-case column names. Spreadsheet programs
 * run a cell that starts with = + - @ as a formula; such cells (account names
 * and reasons come from the audited accounts) get a leading apostrophe, as
 * OWASP recommends against CSV injection.
 */
import { EvidenceFinding, EvidenceRun } from './findings';
import { scannerDisplayName } from '../scanners/rules';

export const CSV_COLUMNS = [
  'TIMESTAMP', 'TOOL_VERSION', 'BENCHMARK', 'ACCOUNT_UID', 'ACCOUNT_NAME', 'REGION', 'CONTROL_KEY', 'REQUIREMENT_ID', 'REQUIREMENT',
  'TITLE', 'SEVERITY', 'FINDING_UID', 'STATUS', 'STATUS_EXTENDED', 'SCANNER', 'SCANNER_CHECK', 'SCANNER_STATUS', 'SCANNER_REASON',
  'RESOURCE_UIDS', 'REMEDIATION',
] as const;

/** One field, quoted when needed and defused when a spreadsheet would read it as a formula. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The header and one row per target × control × scanner (unaudited targets: every selected scanner NOT_AVAILABLE). */
export function runToCsv(run: EvidenceRun): string {
  return csvHeader() + csvRows(run, run.findings);
}

/** The header line. */
export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

/** The rows of some findings of a run (a report of any size is written a batch at a time). */
export function csvRows(run: Pick<EvidenceRun, 'generatedAt' | 'tool' | 'scanners'>, findings: readonly EvidenceFinding[]): string {
  const rows: string[][] = [];
  for (const f of findings) {
    const base = [
      run.generatedAt, run.tool.version, f.benchmark, f.account ?? '', f.accountName ?? '', f.region ?? '', f.controlKey, f.recommendationId,
      f.requirement, f.title, f.severity, f.id, f.status, f.statusReason,
    ];
    const tail = [f.resources.map(r => r.id).join(' '), f.remediation];
    const verdicts = f.audited
      ? f.verdicts.map(v => [v.scannerName, v.check ?? '', v.status, v.reasons.join(' ')])
      : run.scanners.map(s => [scannerDisplayName(s), '', 'NOT_AVAILABLE', f.statusReason]);
    for (const v of verdicts) rows.push([...base, ...v, ...tail]);
  }
  return rows.map(r => r.map(csvField).join(',') + '\r\n').join('');
}
