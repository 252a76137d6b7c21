import { countFirings, PeriodBuckets } from '../../src/replay/alarm-simulator';
import { AlarmSpec, CIS_ALARM } from '../../src/replay/controls';

const CIS: AlarmSpec = { name: 'cis', ...CIS_ALARM };
const T0 = Date.parse('2024-03-01T10:00:00Z'); // a multiple of 300 s since the epoch
const min = (m: number): number => T0 + m * 60_000;

function firings(times: number[], alarm: AlarmSpec = CIS, value = 1): number {
  const b = new PeriodBuckets(alarm.period);
  for (const t of times) b.add(t, value);
  return countFirings(b, alarm);
}

describe('alarm simulation (CIS: Sum over 300 s >= 1, 1 period, missing data not breaching)', () => {
  test('no data: no firing', () => {
    expect(firings([])).toBe(0);
  });

  test('several matches in one period fire once', () => {
    expect(firings([min(0), min(1), min(4.9)])).toBe(1);
  });

  test('periods are aligned to the epoch, not to the first event', () => {
    // 10:04:59 and 10:05:01 are 2 s apart but in two periods; both breach, back to back: still one firing
    expect(firings([min(4) + 59_000, min(5) + 1_000])).toBe(1);
    // with a gap period in between, the alarm returns to OK and fires again
    expect(firings([min(4), min(10)])).toBe(2);
  });

  test('out-of-order events give the same result as sorted ones', () => {
    const sorted = [min(0), min(1), min(12), min(13), min(40)];
    const shuffled = [min(40), min(1), min(13), min(0), min(12)];
    expect(firings(shuffled)).toBe(firings(sorted));
    expect(firings(sorted)).toBe(3);
  });

  test('threshold: a period below it does not breach', () => {
    const alarm: AlarmSpec = { ...CIS, threshold: 3 };
    expect(firings([min(0), min(1)], alarm)).toBe(0);
    expect(firings([min(0), min(1), min(2)], alarm)).toBe(1);
    const gt: AlarmSpec = { ...alarm, comparisonOperator: 'GreaterThanThreshold' };
    expect(firings([min(0), min(1), min(2)], gt)).toBe(0);
  });

  test('EvaluationPeriods 2: needs two consecutive breaching periods', () => {
    const alarm: AlarmSpec = { ...CIS, evaluationPeriods: 2, datapointsToAlarm: 2 };
    expect(firings([min(0)], alarm)).toBe(0);
    expect(firings([min(0), min(10)], alarm)).toBe(0); // gap: missing data does not breach
    expect(firings([min(0), min(5)], alarm)).toBe(1);
    // a run of 4 breaching periods stays in ALARM: one firing
    expect(firings([min(0), min(5), min(10), min(15)], alarm)).toBe(1);
    // two runs separated by a gap: two firings
    expect(firings([min(0), min(5), min(15), min(20)], alarm)).toBe(2);
  });

  test('M of N: 2 of 3 periods', () => {
    const alarm: AlarmSpec = { ...CIS, evaluationPeriods: 3, datapointsToAlarm: 2 };
    expect(firings([min(0), min(10)], alarm)).toBe(1); // periods 0 and 2 of a 3-period window
    expect(firings([min(0), min(15)], alarm)).toBe(0); // periods 0 and 3: never 2 in one window
  });

  test('statistics other than Sum', () => {
    const avg: AlarmSpec = { ...CIS, statistic: 'Average', threshold: 2 };
    expect(firings([min(0), min(1)], avg, 1)).toBe(0);
    expect(firings([min(0), min(1)], avg, 2)).toBe(1);
    const count: AlarmSpec = { ...CIS, statistic: 'SampleCount', threshold: 2 };
    expect(firings([min(0), min(1)], count, 0)).toBe(1);
    const lt: AlarmSpec = { ...CIS, statistic: 'Maximum', comparisonOperator: 'LessThanThreshold', threshold: 1 };
    expect(firings([min(0)], lt, 0)).toBe(1);
  });

  test('buckets of another period length are refused', () => {
    expect(() => countFirings(new PeriodBuckets(60), CIS)).toThrow(/60s used for an alarm with a 300s period/);
  });
});
