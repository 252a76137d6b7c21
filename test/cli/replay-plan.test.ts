/**
 * `replay --benchmark V` replays exactly what a default `CisMonitoring` of V
 * deploys (one plan feeds both), and the demo's alarm metrics count each
 * event once: per metric, the records that add to it equal the Sum its alarm
 * compares, on every fixture and on the shared corpus.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { buildDemoApp } from '../../examples/demo-app';
import { CisBenchmarkVersion, CisMonitoring } from '../../src';
import { benchmarkControls } from '../../src/replay/benchmark-controls';
import { ReplayControl } from '../../src/replay/controls';
import { ReplayEngine, ReplayResult } from '../../src/replay/replay-engine';
import { readTemplates } from '../../src/replay/template-reader';
import { fixtureControlKeys, loadControlFixtureFile } from '../support/fixtures';
import { hasShared, readSharedJson, sharedPath, testIfShared } from '../support/shared';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-plan-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every fixture record of every control: positives and negatives of all controls at once. */
const FIXTURE_RECORDS: any[] = fixtureControlKeys().flatMap(k => loadControlFixtureFile(k).fixtures.map(f => f.record));

function corpusRecords(): any[] {
  const dir = 'corpus/stratus-red-team';
  if (!hasShared(dir)) return [];
  return fs.readdirSync(sharedPath(dir)).filter(f => f.endsWith('.json')).flatMap(f => readSharedJson(dir, f));
}

function replay(controls: ReplayControl[], records: any[]): ReplayResult {
  const engine = new ReplayEngine(controls);
  for (const r of records) engine.addRecord(r, JSON.stringify(r));
  return engine.result();
}

/** What replay reports per metric, without where the filters came from. */
function numbers(result: ReplayResult) {
  return result.controls.map(c => ({
    key: c.key,
    cisId: c.cisId,
    metricName: c.metricName,
    filters: c.filters,
    matches: c.matches,
    zeroValueMatches: c.zeroValueMatches,
    datapoints: c.datapoints,
    sum: c.sum,
    alarmFirings: c.alarmFirings,
  }));
}

describe.each(CisBenchmarkVersion.all().map(v => [v.version, v] as const))('CIS %s: --benchmark equals --template of a default synthesis', (_v, version) => {
  const app = new App({ outdir: path.join(tmp, version.version) });
  const stack = new Stack(app, `Default${version.version.replace(/\./g, '')}`);
  new CisMonitoring(stack, 'Cis', { benchmarkVersion: version, emailAddresses: ['a@example.com'] });
  app.synth();
  const fromTemplate = readTemplates(app.outdir).controls;
  const fromBenchmark = benchmarkControls(version.version);

  test('the same metrics, filter texts and values, and alarms', () => {
    const shape = (cs: ReplayControl[]) => cs.map(c => ({
      key: c.key,
      cisId: c.cisId,
      benchmark: c.benchmark,
      metricName: c.metricName,
      filters: c.filters.map(f => ({ text: f.pattern.text, counts: f.counts, value: f.valueOf({}) })),
      alarms: c.alarms.map(({ name: _name, ...a }) => a),
    }));
    expect(shape(fromTemplate)).toEqual(shape(fromBenchmark));
    expect(fromTemplate.length).toBe(version.controls().length);
  });

  test('the same numbers on every fixture record (and the corpus when present)', () => {
    const records = [...FIXTURE_RECORDS, ...corpusRecords()];
    const t = replay(fromTemplate, records);
    const b = replay(fromBenchmark, records);
    expect(numbers(t)).toEqual(numbers(b));
    expect(t.controls.some(c => c.matches > 0)).toBe(true);
  });
});

describe('the demo counts each event once', () => {
  const { app } = buildDemoApp(path.join(tmp, 'demo'));
  app.synth();
  const controls = readTemplates(app.outdir).controls;

  const sumEqualsMatches = (input: any[]) => {
    expect(input.length).toBeGreaterThan(100);
    const result = replay(controls, input);
    expect(result.controls).toHaveLength(15);
    for (const c of result.controls) {
      expect({ key: c.key, sum: c.sum }).toEqual({ key: c.key, sum: c.matches });
      // Scanner texts publish data points of value 0: more data points than events where texts overlap.
      expect(c.datapoints).toBeGreaterThanOrEqual(c.matches);
    }
    expect(result.controls.some(c => c.datapoints > c.sum)).toBe(true);
    expect(result.controls.reduce((n, c) => n + c.matches, 0)).toBeGreaterThan(10);
  };

  test('every fixture record: per metric, the records that add to it equal the Sum its alarm compares', () => sumEqualsMatches(FIXTURE_RECORDS));

  testIfShared('corpus', 'stratus-red-team')('the shared corpus: per metric, the records that add to it equal the Sum its alarm compares', () => sumEqualsMatches(corpusRecords()));

  test('with every filter publishing 1 (the old design) the same records are over-counted', () => {
    const ones = controls.map(c => ({ ...c, filters: c.filters.map(f => ({ ...f, counts: true, valueOf: () => 1 })) }));
    const result = replay(ones, FIXTURE_RECORDS);
    expect(result.controls.some(c => c.sum > c.matches)).toBe(true);
  });
});

describe('results per environment', () => {
  test('two Regions are two metrics: one StopLogging in each Region is one event per Region, never 2 in one', () => {
    const app = new App({ outdir: path.join(tmp, 'two-regions') });
    for (const region of ['eu-west-1', 'us-east-1']) {
      const stack = new Stack(app, `Cis-${region}`, { env: { account: '123456789012', region } });
      new CisMonitoring(stack, 'Cis', { emailAddresses: ['a@example.com'] });
    }
    app.synth();
    const controls = readTemplates(app.outdir).controls.filter(c => c.key === 'cloudtrail-config-changes');
    expect(controls.map(c => c.environment)).toEqual(['aws://123456789012/eu-west-1', 'aws://123456789012/us-east-1']);
    const stop = { eventName: 'StopLogging', eventSource: 'cloudtrail.amazonaws.com', eventTime: '2026-01-01T00:00:00Z', userIdentity: { arn: 'arn:aws:iam::123456789012:user/x' } };
    const result = replay(controls, [stop]);
    expect(result.controls.map(c => [c.environment, c.matches, c.sum, c.alarmFirings])).toEqual([
      ['aws://123456789012/eu-west-1', 1, 1, 1],
      ['aws://123456789012/us-east-1', 1, 1, 1],
    ]);
  });
});
