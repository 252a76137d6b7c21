import { PrincipalCount, ReplayError, ReplayResult } from './replay-engine';

/** `name (count)`, or `name (low-high)` when the count is approximate. */
function principalCell(p: PrincipalCount): string {
  return p.error ? `${p.principal} (${p.count - p.error}-${p.count})` : `${p.principal} (${p.count})`;
}

/** The `--format json` document: exactly one JSON object. */
export function toJsonReport(result: ReplayResult, warnings: readonly string[]): string {
  const doc = {
    events: result.events,
    controls: result.controls.map(c => ({
      key: c.key,
      cisId: c.cisId,
      environment: c.environment,
      benchmark: c.benchmark,
      namespace: c.namespace,
      metricName: c.metricName,
      filters: c.filters,
      matches: c.matches,
      zeroValueMatches: c.zeroValueMatches,
      datapoints: c.datapoints,
      sum: c.sum,
      untimedMatches: c.untimedMatches,
      alarmFirings: c.alarmFirings,
      alarms: c.alarms.map(a => ({
        name: a.name,
        period: a.period,
        statistic: a.statistic,
        comparisonOperator: a.comparisonOperator,
        threshold: a.threshold,
        evaluationPeriods: a.evaluationPeriods,
        datapointsToAlarm: a.datapointsToAlarm,
        firings: a.firings,
      })),
      topPrincipals: c.topPrincipals,
      ...(c.eventIds ? { eventIds: c.eventIds } : {}),
    })),
    malformed: result.malformed,
    errors: result.errors,
    errorsOmitted: result.errorsOmitted,
    warnings,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** The default human-readable table. */
export function toTable(result: ReplayResult, inputs: number): string {
  // Metrics of different accounts or Regions are different metrics: name the environment of each row.
  const envs = new Set(result.controls.map(c => c.environment));
  const withEnv = envs.size > 1;
  // Matches without a valid eventTime are in MATCHES but in no alarm period: show them when there are any.
  const untimed = result.controls.reduce((n, c) => n + c.untimedMatches, 0);
  const withUntimed = untimed > 0;
  const header = [...(withEnv ? ['ENVIRONMENT'] : []), 'CONTROL', 'CIS', 'METRIC', 'MATCHES', ...(withUntimed ? ['UNTIMED'] : []), 'SUM', 'FIRINGS', 'TOP PRINCIPAL'];
  const rows = result.controls.map(c => [
    ...(withEnv ? [c.environment ?? '-'] : []),
    c.key,
    c.cisId ?? '-',
    c.metricName,
    String(c.matches),
    ...(withUntimed ? [String(c.untimedMatches)] : []),
    String(c.sum),
    c.alarmFirings === null ? '-' : String(c.alarmFirings),
    c.topPrincipals.length > 0 ? principalCell(c.topPrincipals[0]) : '-',
  ]);
  const numeric = [...(withEnv ? [false] : []), false, false, false, true, ...(withUntimed ? [true] : []), true, true, false];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const fmt = (r: string[]): string => r
    .map((cell, i) => (i === r.length - 1 ? cell : numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
    .join('  ')
    .trimEnd();
  const lines = [fmt(header), ...rows.map(fmt)];
  lines.push('');
  const only = envs.size === 1 ? [...envs][0] : null;
  lines.push(`${result.events} event${result.events === 1 ? '' : 's'} from ${inputs} input${inputs === 1 ? '' : 's'}; ${result.malformed} malformed.`
    + (only ? ` Metrics of ${only}.` : ''));
  if (withUntimed) {
    lines.push(`${untimed} match${untimed === 1 ? '' : 'es'} without a valid eventTime (ISO 8601, e.g. 2024-03-01T10:00:05Z): counted in MATCHES, placed in no alarm period (UNTIMED).`);
  }
  return lines.join('\n') + '\n';
}

/** Problems, one per line (`file:line: message`), for stderr. */
export function formatErrors(errors: readonly ReplayError[], omitted: number, limit = 20): string {
  const shown = errors.slice(0, limit).map(e => `${e.file}${e.line > 0 ? `:${e.line}` : ''}${e.record !== undefined ? ` (record ${e.record}, byte ${e.offset})` : ''}: ${e.message}`);
  const more = errors.length - shown.length + omitted;
  if (more > 0) shown.push(`... and ${more} more (use --format json to list up to 1000)`);
  return shown.length > 0 ? shown.join('\n') + '\n' : '';
}
