import { UsageError } from './event-source';
import { CisControl } from '../catalog';
import { CompiledFilterPattern, FilterPatternEngine, FilterPatternKind } from '../filter-pattern';

/** Statistics the alarm simulation can compute from metric-filter data points. */
export type AlarmStatistic = 'Sum' | 'SampleCount' | 'Average' | 'Minimum' | 'Maximum';

/** Comparison operators the alarm simulation supports (the static-threshold ones). */
export type AlarmComparison =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** The alarm settings the simulation needs. */
export interface AlarmSpec {
  /** Alarm name (or the template's logical id when the alarm has no fixed name). */
  readonly name: string;
  /** Period in seconds. */
  readonly period: number;
  readonly threshold: number;
  /** N of "M out of N". */
  readonly evaluationPeriods: number;
  /** M of "M out of N" (equals evaluationPeriods unless DatapointsToAlarm says otherwise). */
  readonly datapointsToAlarm: number;
  readonly comparisonOperator: AlarmComparison;
  readonly statistic: AlarmStatistic;
}

/** One metric filter of a control. */
export interface FilterSpec {
  /** Where it comes from: `<template>:<logical id>` or the control key. */
  readonly id: string;
  readonly pattern: CompiledFilterPattern;
  /** Whether the pattern works on the raw text (term, space-delimited) rather than on the parsed record. */
  readonly needsRawText: boolean;
  /** The MetricValue text (`1`, `0`, `$.field`). */
  readonly metricValue: string;
  /** Value of the data point published for a matching record; undefined publishes nothing. */
  readonly valueOf: (record: any) => number | undefined;
  /**
   * False for a filter whose MetricValue is the literal 0 (a scanner variant):
   * it publishes, but a record it alone matches adds nothing to the metric.
   */
  readonly counts: boolean;
}

/** What a deployment counts for one metric: its filters and the alarms on it. */
export interface ReplayControl {
  /** Control key (from the resource labels, else the catalog control publishing the metric name), else the metric name. */
  readonly key: string;
  /** Where the metric lives, e.g. `aws://123456789012/eu-west-1` (see environmentKey); undefined for --benchmark. */
  readonly environment?: string;
  /** The benchmark version the stack was built for (from its labels), when known. */
  readonly benchmark?: string;
  /** CIS recommendation number, e.g. "5.1", when known. */
  readonly cisId?: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly filters: FilterSpec[];
  readonly alarms: AlarmSpec[];
}

/** The namespace the construct publishes to by default. */
export const DEFAULT_NAMESPACE = 'CISBenchmark';

/** The CIS remediation alarm: Sum over 5 minutes >= 1, one period. */
export const CIS_ALARM = {
  period: 300,
  threshold: 1,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  comparisonOperator: 'GreaterThanOrEqualToThreshold',
  statistic: 'Sum',
} as const;

const ONE = (): number => 1;
const ZERO = (): number => 0;

/**
 * Compiles a pattern (or takes a compiled one), turning a syntax error into a
 * UsageError that names where the pattern came from.
 * @param metricValue the filter's MetricValue: a number (the literal 0 makes
 * the filter non-counting) or a `$.field` selector
 */
export function compileFilter(id: string, text: string | CompiledFilterPattern, metricValue = '1'): FilterSpec {
  let pattern: CompiledFilterPattern;
  try {
    pattern = typeof text === 'string' ? FilterPatternEngine.parse(text) : text;
  } catch (e: any) {
    throw new UsageError(`${id}: the filter pattern cannot be evaluated: ${e?.message ?? e}`);
  }
  const value = metricValueOf(metricValue, `${id}: MetricValue`);
  return {
    id,
    pattern,
    needsRawText: pattern.kind === FilterPatternKind.TERMS || pattern.kind === FilterPatternKind.SPACE_DELIMITED,
    metricValue,
    valueOf: value.valueOf,
    counts: value.counts,
  };
}

/** What a filter needs to be compiled again elsewhere (a worker thread): its id, pattern text and MetricValue. */
export interface FilterSource {
  readonly id: string;
  readonly pattern: string;
  readonly metricValue: string;
}

/** The source of a compiled filter. */
export function filterSource(f: FilterSpec): FilterSource {
  return { id: f.id, pattern: f.pattern.text, metricValue: f.metricValue };
}

/**
 * MetricValue: a number ("1"; the literal 0 publishes but counts nothing), or
 * a `$.field` selector whose numeric value is published.
 * @throws UsageError for anything else
 */
export function metricValueOf(v: string, where: string): { valueOf: (record: any) => number | undefined; counts: boolean } {
  const text = v.trim();
  if (/^[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const n = Number(text);
    return n === 0 ? { valueOf: ZERO, counts: false } : n === 1 ? { valueOf: ONE, counts: true } : { valueOf: () => n, counts: true };
  }
  const m = /^\$((?:\.[A-Za-z0-9_@-]+)+)$/.exec(text);
  if (m) {
    const keys = m[1].slice(1).split('.');
    const valueOf = (record: any) => {
      let cur = record;
      for (const k of keys) {
        if (cur === null || typeof cur !== 'object') return undefined;
        cur = cur[k];
      }
      const n = typeof cur === 'number' ? cur : typeof cur === 'string' && cur.trim() !== '' ? Number(cur) : NaN;
      return Number.isFinite(n) ? n : undefined;
    };
    return { valueOf, counts: true };
  }
  throw new UsageError(`${where} is "${text}"; replay understands a number (such as "1") or a $.field selector.`);
}

/** The catalog control that publishes `metricName`, if any. */
export function catalogControlFor(metricName: string): CisControl | undefined {
  return CisControl.all().find(c => c.isMetricFilter && c.metricName === metricName);
}
