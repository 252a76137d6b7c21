import { UsageError } from './event-source';
import { CisBenchmarkVersion, CisControl } from '../../catalog';
import { CompiledFilterPattern, FilterPatternEngine, FilterPatternKind } from '../../filter-pattern';

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
  /** Value of the data point published for a matching record; undefined publishes nothing. */
  readonly valueOf: (record: any) => number | undefined;
}

/** What a deployment counts for one metric: its filters and the alarms on it. */
export interface ReplayControl {
  /** Catalog key when the metric name is a catalog control's, else the metric name. */
  readonly key: string;
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

/** Compiles a pattern, turning a syntax error into a UsageError that names where the pattern came from. */
export function compileFilter(id: string, text: string, valueOf: (record: any) => number | undefined = ONE): FilterSpec {
  let pattern: CompiledFilterPattern;
  try {
    pattern = FilterPatternEngine.parse(text);
  } catch (e: any) {
    throw new UsageError(`${id}: the filter pattern cannot be evaluated: ${e?.message ?? e}`);
  }
  return {
    id,
    pattern,
    needsRawText: pattern.kind === FilterPatternKind.TERMS || pattern.kind === FilterPatternKind.SPACE_DELIMITED,
    valueOf,
  };
}

/**
 * The controls of one benchmark version as the construct deploys them by
 * default: the catalog's deployed pattern per control, the CIS alarm values.
 *
 * @throws UsageError for a version that is not in the catalog
 */
export function benchmarkControls(version: string): ReplayControl[] {
  let v: CisBenchmarkVersion;
  try {
    v = CisBenchmarkVersion.of(version);
  } catch (e: any) {
    throw new UsageError(`--benchmark: ${e?.message ?? e}`);
  }
  return v.controls().map((c: CisControl) => {
    const d = c.definitionIn(v);
    return {
      key: c.key,
      cisId: d.recommendationId,
      namespace: DEFAULT_NAMESPACE,
      metricName: c.metricName,
      filters: [compileFilter(`CIS v${v.version} ${d.recommendationId} ${c.key}`, d.deployedPattern!)],
      alarms: [{ name: c.key, ...CIS_ALARM }],
    };
  });
}

/** The catalog control that publishes `metricName`, if any. */
export function catalogControlFor(metricName: string): CisControl | undefined {
  return CisControl.all().find(c => c.isMetricFilter && c.metricName === metricName);
}
