import { AlarmSpec } from './controls';

/**
 * Offline model of a CloudWatch alarm on a metric-filter metric.
 *
 * Data points are bucketed by event time into the alarm's periods, aligned to
 * the Unix epoch (period index = floor(seconds / period)). Records may arrive in
 * any order: buckets are kept in a map (one entry per period that has data) and
 * firings are computed at the end.
 *
 * A period breaches when its statistic compares true with the threshold. A
 * period without data is missing and, as the CIS alarm sets
 * `TreatMissingData: notBreaching`, never breaches. The alarm is in ALARM at
 * period t when at least M (DatapointsToAlarm) of the N (EvaluationPeriods)
 * periods t-N+1..t breach; a firing is each OK -> ALARM transition. CloudWatch's
 * evaluation delay and re-evaluation of late data are not modelled.
 */

/** Aggregate of the data points that fell into one period. */
export interface PeriodStats {
  sum: number;
  count: number;
  min: number;
  max: number;
}

/** Period buckets of one metric, for one period length. */
export class PeriodBuckets {
  private readonly buckets = new Map<number, PeriodStats>();

  /** @param period period length in seconds */
  constructor(public readonly period: number) {}

  /** Adds a data point at `timeMs` (milliseconds since the epoch). */
  public add(timeMs: number, value: number): void {
    const index = Math.floor(timeMs / 1000 / this.period);
    const b = this.buckets.get(index);
    if (b === undefined) {
      this.buckets.set(index, { sum: value, count: 1, min: value, max: value });
    } else {
      b.sum += value;
      b.count++;
      if (value < b.min) b.min = value;
      if (value > b.max) b.max = value;
    }
  }

  /** Number of periods that hold data. */
  public get size(): number {
    return this.buckets.size;
  }

  /** The buckets, keyed by period index. */
  public entries(): IterableIterator<[number, PeriodStats]> {
    return this.buckets.entries();
  }
}

function statistic(s: PeriodStats, alarm: AlarmSpec): number {
  switch (alarm.statistic) {
    case 'Sum': return s.sum;
    case 'SampleCount': return s.count;
    case 'Average': return s.sum / s.count;
    case 'Minimum': return s.min;
    case 'Maximum': return s.max;
  }
}

function breaches(value: number, alarm: AlarmSpec): boolean {
  switch (alarm.comparisonOperator) {
    case 'GreaterThanOrEqualToThreshold': return value >= alarm.threshold;
    case 'GreaterThanThreshold': return value > alarm.threshold;
    case 'LessThanThreshold': return value < alarm.threshold;
    case 'LessThanOrEqualToThreshold': return value <= alarm.threshold;
  }
}

/** Sorted indexes of the periods that breach. */
export function breachingPeriods(buckets: PeriodBuckets, alarm: AlarmSpec): number[] {
  const out: number[] = [];
  for (const [index, stats] of buckets.entries()) {
    if (breaches(statistic(stats, alarm), alarm)) out.push(index);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Counts OK -> ALARM transitions ("M out of N" over consecutive periods,
 * missing periods not breaching).
 */
export function countFirings(buckets: PeriodBuckets, alarm: AlarmSpec): number {
  if (buckets.period !== alarm.period) {
    throw new Error(`internal: buckets of ${buckets.period}s used for an alarm with a ${alarm.period}s period`);
  }
  const b = breachingPeriods(buckets, alarm);
  const n = alarm.evaluationPeriods;
  const m = alarm.datapointsToAlarm;
  let firings = 0;
  // lo: first index with b[lo] > t - n   (window of t:   t-n+1 .. t)
  // lo2: first index with b[lo2] >= t - n (window of t-1: t-n .. t-1)
  let lo = 0;
  let lo2 = 0;
  for (let i = 0; i < b.length; i++) {
    const t = b[i];
    while (b[lo] <= t - n) lo++;
    while (b[lo2] < t - n) lo2++;
    const now = i - lo + 1; // breaching periods in the window ending at t (t itself breaches)
    const before = i - lo2; // breaching periods in the window ending at t-1
    if (now >= m && before < m) firings++;
  }
  return firings;
}
