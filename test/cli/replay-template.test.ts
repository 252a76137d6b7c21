import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fixture } from './fixtures/replay/cli-harness';
import { UsageError } from '../../src/replay/event-source';
import { ReplayEngine } from '../../src/replay/replay-engine';
import { readTemplates } from '../../src/replay/template-reader';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-template-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
function template(resources: Record<string, any>): string {
  const file = path.join(tmp, `t${n++}.template.json`);
  fs.writeFileSync(file, JSON.stringify({ Resources: resources }));
  return file;
}

function filter(pattern: unknown, metricName = 'M', extra: Record<string, unknown> = {}): any {
  return {
    Type: 'AWS::Logs::MetricFilter',
    Properties: { FilterPattern: pattern, LogGroupName: 'lg', MetricTransformations: [{ MetricName: metricName, MetricNamespace: 'NS', MetricValue: '1', ...extra }] },
  };
}

function alarm(props: Record<string, unknown> = {}): any {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      MetricName: 'M',
      Namespace: 'NS',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      ...props,
    },
  };
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('readTemplates', () => {
  test('the two-filter fixture: one control per metric, in catalog order, alarms linked', () => {
    const t = readTemplates(fixture('two-filters.template.json'));
    expect(t.controls.map(c => [c.key, c.metricName, c.filters.length, c.alarms.length])).toEqual([
      ['unauthorized-api-calls', 'UnauthorizedAPICalls', 2, 1],
      ['cloudtrail-config-changes', 'CloudTrailConfigChanges', 1, 1],
      ['BreakGlassSignIns', 'BreakGlassSignIns', 1, 0],
    ]);
  });

  test('Fn::Join of literals is resolved; any other function is refused with the property named', () => {
    const ok = readTemplates(template({ F: filter({ 'Fn::Join': ['', ['{ $.eventName', ' = "X" }']] }) }));
    expect(ok.controls[0].filters[0].pattern.text).toBe('{ $.eventName = "X" }');
    const msg = usageError(() => readTemplates(template({ F: filter({ 'Fn::GetAtt': ['X', 'Y'] }) })));
    expect(msg).toMatch(/metric filter F: FilterPattern is \{"Fn::GetAtt":\["X","Y"\]\}, which depends on values only known at deploy time/);
  });

  test('an invalid pattern names the filter and the parser error', () => {
    const msg = usageError(() => readTemplates(template({ Broken: filter('{ $.eventName = }') })));
    expect(msg).toMatch(/metric filter Broken: the filter pattern cannot be evaluated: Invalid filter pattern at position/);
  });

  test('a filter without MetricTransformations is refused', () => {
    const msg = usageError(() => readTemplates(template({ F: { Type: 'AWS::Logs::MetricFilter', Properties: { FilterPattern: '' } } })));
    expect(msg).toContain('metric filter F has no MetricTransformations');
  });

  test('MetricValue: a number or a $.field selector; anything else is refused', () => {
    const t = readTemplates(template({ F: filter('', 'M', { MetricValue: '$.requestParameters.count' }) }));
    const valueOf = t.controls[0].filters[0].valueOf;
    expect(valueOf({ requestParameters: { count: 3 } })).toBe(3);
    expect(valueOf({ requestParameters: { count: '4' } })).toBe(4);
    expect(valueOf({ requestParameters: {} })).toBeUndefined();
    expect(readTemplates(template({ F: filter('', 'M', { MetricValue: '2.5' }) })).controls[0].filters[0].valueOf({})).toBe(2.5);
    expect(usageError(() => readTemplates(template({ F: filter('', 'M', { MetricValue: 'lots' }) })))).toContain('MetricValue is "lots"');
  });

  test('a selector MetricValue feeds the alarm with the field value (no data point when absent)', () => {
    const t = readTemplates(template({ F: filter('{ $.eventName = "X" }', 'M', { MetricValue: '$.n' }), A: alarm({ Threshold: 5 }) }));
    const e = new ReplayEngine(t.controls);
    e.addRecord({ eventName: 'X', eventTime: '2024-01-01T00:00:00Z', n: 2 });
    e.addRecord({ eventName: 'X', eventTime: '2024-01-01T00:01:00Z' });
    expect(e.result().controls[0]).toMatchObject({ matches: 2, datapoints: 1, alarmFirings: 0 });
    e.addRecord({ eventName: 'X', eventTime: '2024-01-01T00:02:00Z', n: 3 });
    expect(e.result().controls[0]).toMatchObject({ matches: 3, datapoints: 2, alarmFirings: 1 });
  });

  test('alarms that cannot be simulated are skipped with a warning naming the reason', () => {
    const t = readTemplates(template({
      F: filter('{ $.a = 1 }'),
      Dim: alarm({ Dimensions: [{ Name: 'x', Value: 'y' }] }),
      P99: alarm({ Statistic: undefined, ExtendedStatistic: 'p99' }),
      Band: alarm({ ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' }),
      NoPeriod: alarm({ Period: undefined }),
      Bad: alarm({ DatapointsToAlarm: 3 }),
      Good: alarm({ AlarmName: 'good', TreatMissingData: 'breaching' }),
    }));
    expect(t.controls[0].alarms.map(a => a.name)).toEqual(['good']);
    const w = t.warnings.join('\n');
    expect(w).toContain('alarm Dim on NS/M is not simulated: it watches the metric with dimensions');
    expect(w).toContain('alarm P99 on NS/M is not simulated: statistic "p99"');
    expect(w).toContain('alarm Band on NS/M is not simulated: ComparisonOperator "LessThanLowerOrGreaterThanUpperThreshold"');
    expect(w).toContain('alarm NoPeriod on NS/M is not simulated: Period undefined');
    expect(w).toContain('alarm Bad on NS/M is not simulated: DatapointsToAlarm 3');
    expect(w).toContain('alarm Good: TreatMissingData is "breaching"; replay treats missing data as not breaching');
  });

  test('metric math alarms and alarms on other metrics are not linked', () => {
    const t = readTemplates(template({
      F: filter('{ $.a = 1 }'),
      Math: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ Id: 'e', Expression: 'm1*2' }], Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold' } },
      Other: alarm({ MetricName: 'Other' }),
    }));
    expect(t.controls[0].alarms).toEqual([]);
  });

  test('a file that is not a CloudFormation template, a directory without templates', () => {
    const notTemplate = path.join(tmp, 'x.json');
    fs.writeFileSync(notTemplate, '{"Records":[]}');
    expect(usageError(() => readTemplates(notTemplate))).toContain('is not a CloudFormation template: it has none of AWSTemplateFormatVersion, Resources, Parameters, Outputs');
    const dir = fs.mkdtempSync(path.join(tmp, 'cdkout-'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{}');
    expect(usageError(() => readTemplates(dir))).toContain('lists no CloudFormation stack');
  });
});
