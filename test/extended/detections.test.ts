import * as fs from 'fs';
import * as path from 'path';
import { CisControl, CisSeverity, ExtendedDetection } from '../../src';
import { detectionEventPattern } from '../../src/extended/detection-patterns';
import { FilterPatternEngine } from '../../src/filter-pattern';
import { insightsFilterFor } from '../../src/filter-pattern/translate/insights';
import { compileInsightsFilter } from '../queries/insights-evaluator';
import { cloudTrailEvent, matches } from '../support/event-pattern-matcher';
import { describeIfShared, hasShared, sharedPath } from '../support/shared';

interface ExtendedFixture {
  readonly name: string;
  /** Result of the detection's metric filter pattern. */
  readonly expect: boolean;
  /** Result of its EventBridge rule, where it differs from `expect`. */
  readonly expectRule?: boolean;
  readonly note?: string;
  readonly source?: string;
  readonly record: any;
}

const FIXTURE_DIR = path.resolve(__dirname, '../fixtures/extended');

function fixturesOf(d: ExtendedDetection): ExtendedFixture[] {
  const doc = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, `${d.key}.json`), 'utf8'));
  expect(doc.detection).toBe(d.key);
  return doc.fixtures;
}

const CORPUS = ['corpus', 'stratus-red-team'];
const corpusFiles: Array<{ file: string; records: any[] }> = hasShared(...CORPUS)
  ? fs.readdirSync(sharedPath(...CORPUS)).filter(f => f.endsWith('.json')).sort()
    .map(file => ({ file, records: JSON.parse(fs.readFileSync(path.join(sharedPath(...CORPUS), file), 'utf8')) }))
  : [];
const describeIfCorpus = describeIfShared(...CORPUS);

describe('the ExtendedDetection catalog', () => {
  test('six detections with unique keys and metric names that no CIS control uses', () => {
    const all = ExtendedDetection.all();
    expect(all.map(d => d.key)).toEqual([
      'access-key-created', 'login-profile-created', 'public-access-block-changed',
      'security-group-open-to-world', 'assume-role-failure-burst', 'secret-value-spike',
    ]);
    const metricNames = all.map(d => d.metricName);
    expect(new Set(metricNames).size).toBe(6);
    const controlMetrics = CisControl.all().map(c => c.metricName);
    expect(metricNames.filter(m => controlMetrics.includes(m))).toEqual([]);
  });

  test.each(ExtendedDetection.all().map(d => [d.key, d] as const))('%s: a valid filter pattern within 1024 characters, without regex', (_key, d) => {
    const compiled = FilterPatternEngine.parse(d.filterPattern);
    expect(compiled.regexCount).toBe(0);
    expect(d.filterPattern.length).toBeLessThanOrEqual(1024);
    expect(d.defaultPeriod.toMinutes()).toBe(5);
    expect(d.limitations.length).toBeGreaterThan(20);
  });

  test('defaults: thresholds, severities and which have a rule', () => {
    const summary = ExtendedDetection.all().map(d => [d.key, d.defaultThreshold, d.severity, d.hasEventRule]);
    expect(summary).toEqual([
      ['access-key-created', 1, CisSeverity.HIGH, true],
      ['login-profile-created', 1, CisSeverity.HIGH, true],
      ['public-access-block-changed', 1, CisSeverity.HIGH, true],
      ['security-group-open-to-world', 1, CisSeverity.HIGH, true],
      ['assume-role-failure-burst', 5, CisSeverity.MEDIUM, false],
      ['secret-value-spike', 20, CisSeverity.MEDIUM, false],
    ]);
  });

  test('fromKey', () => {
    expect(ExtendedDetection.fromKey('secret-value-spike')).toBe(ExtendedDetection.SECRET_VALUE_SPIKE);
    expect(() => ExtendedDetection.fromKey('nope')).toThrow(/Unknown extended detection "nope"\. Known keys: access-key-created, /);
    expect(String(ExtendedDetection.ACCESS_KEY_CREATED)).toBe('access-key-created');
  });

  test('the security-group pattern fills the 1024-character budget with explicit indexes', () => {
    const p = ExtendedDetection.SECURITY_GROUP_OPEN_TO_WORLD.filterPattern;
    expect(p.length).toBeGreaterThan(900);
    expect(p).toContain('$.responseElements.securityGroupRuleSet.items[4].cidrIpv6 = "*/0"');
    expect(p).toContain('$.requestParameters.cidrIp = "*/0"');
  });

  test('only detections with a rule have an event pattern', () => {
    expect(detectionEventPattern(ExtendedDetection.ASSUME_ROLE_FAILURE_BURST)).toBeUndefined();
    expect(detectionEventPattern(ExtendedDetection.SECRET_VALUE_SPIKE)).toBeUndefined();
    expect(detectionEventPattern(ExtendedDetection.ACCESS_KEY_CREATED)).toEqual({
      source: ['aws.iam'],
      detailType: ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['iam.amazonaws.com'], eventName: ['CreateAccessKey'], errorCode: [{ exists: false }] },
    });
  });
});

describe.each(ExtendedDetection.all().map(d => [d.key, d] as const))('%s on its fixtures', (_key, d) => {
  const fixtures = fixturesOf(d);
  const engine = FilterPatternEngine.parse(d.filterPattern);
  const pattern = detectionEventPattern(d);
  const insights = compileInsightsFilter(insightsFilterFor(d.filterPattern).expression);

  test('has positives and negatives', () => {
    expect(fixtures.filter(f => f.expect).length).toBeGreaterThanOrEqual(2);
    expect(fixtures.filter(f => !f.expect).length).toBeGreaterThanOrEqual(3);
  });

  test.each(fixtures.map(f => [f.name, f] as const))('metric filter: %s', (_name, f) => {
    expect(engine.matchesRecord(f.record)).toBe(f.expect);
    expect(engine.matches(JSON.stringify(f.record))).toBe(f.expect);
  });

  test('the Logs Insights filter selects the same records as the metric filter', () => {
    expect(fixtures.filter(f => insights(f.record) !== f.expect).map(f => f.name)).toEqual([]);
  });

  if (d.hasEventRule) {
    test('the EventBridge rule matches the expected fixtures', () => {
      expect(pattern).toBeDefined();
      const wrong = fixtures.filter(f => matches({
        ...(pattern!.source ? { source: pattern!.source } : {}),
        'detail-type': pattern!.detailType,
        'detail': pattern!.detail,
      }, cloudTrailEvent(f.record)) !== (f.expectRule ?? f.expect));
      expect(wrong.map(f => f.name)).toEqual([]);
    });
  } else {
    test('no EventBridge rule: a count over a period cannot be a rule, so there is no pattern and no fixture expects one', () => {
      expect(d.defaultThreshold).toBeGreaterThan(1);
      expect(pattern).toBeUndefined();
      expect(fixtures.filter(f => f.expectRule !== undefined).map(f => f.name)).toEqual([]);
    });
  }
});

describeIfCorpus('extended detections on the Stratus Red Team corpus', () => {
  const all = corpusFiles.flatMap(f => f.records.map(record => ({ file: f.file, record })));

  test('exact hits per detection', () => {
    const hits = Object.fromEntries(ExtendedDetection.all().map(d => {
      const e = FilterPatternEngine.parse(d.filterPattern);
      const byFile: Record<string, number> = {};
      for (const { file, record } of all) if (e.matchesRecord(record)) byFile[file] = (byFile[file] ?? 0) + 1;
      return [d.key, byFile];
    }));
    expect(hits).toEqual({
      'access-key-created': { 'aws.persistence.iam-backdoor-user.json': 1, 'aws.persistence.iam-create-admin-user.json': 1 },
      'login-profile-created': { 'aws.persistence.iam-create-user-login-profile.json': 1 },
      'public-access-block-changed': {},
      'security-group-open-to-world': { 'aws.exfiltration.ec2-security-group-open-port-22-ingress.json': 1 },
      'assume-role-failure-burst': { 'aws.credential-access.ec2-get-password-data.json': 2, 'aws.discovery.ec2-download-user-data.json': 2 },
      'secret-value-spike': { 'aws.credential-access.secretsmanager-retrieve-secrets.json': 20, 'aws.credential-access.secretsmanager-batch-retrieve-secrets.json': 5 },
    });
  });

  test('the rules agree with the metric filters on every corpus record', () => {
    for (const d of ExtendedDetection.all()) {
      const p = detectionEventPattern(d);
      if (!p) continue;
      const e = FilterPatternEngine.parse(d.filterPattern);
      const rule = { ...(p.source ? { source: p.source } : {}), 'detail-type': p.detailType, 'detail': p.detail };
      expect({ d: d.key, disagree: all.filter(r => e.matchesRecord(r.record) !== matches(rule, cloudTrailEvent(r.record))).map(r => r.file) })
        .toEqual({ d: d.key, disagree: [] });
    }
  });

  /** Sum of matching events per 5-minute period (what the alarm evaluates), per detonation file. */
  function alarmingPeriods(d: ExtendedDetection): string[] {
    const e = FilterPatternEngine.parse(d.filterPattern);
    const buckets = new Map<string, number>();
    for (const { file, record } of all) {
      if (!e.matchesRecord(record)) continue;
      const t = Date.parse(record.eventTime);
      const bucket = `${file}@${new Date(t - (t % 300_000)).toISOString()}`;
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
    }
    return [...buckets].filter(([, n]) => n >= d.defaultThreshold).map(([b]) => b);
  }

  test('default thresholds: 20 secret reads in one period alarm, 5 batch reads do not', () => {
    expect(alarmingPeriods(ExtendedDetection.SECRET_VALUE_SPIKE)).toEqual([
      'aws.credential-access.secretsmanager-retrieve-secrets.json@2024-07-31T12:35:00.000Z',
    ]);
  });

  test('default thresholds: two denied AssumeRole per detonation stay below the burst threshold of 5', () => {
    expect(alarmingPeriods(ExtendedDetection.ASSUME_ROLE_FAILURE_BURST)).toEqual([]);
  });

  test('default thresholds: single-event detections alarm on their one event', () => {
    expect(alarmingPeriods(ExtendedDetection.SECURITY_GROUP_OPEN_TO_WORLD)).toHaveLength(1);
    expect(alarmingPeriods(ExtendedDetection.ACCESS_KEY_CREATED)).toHaveLength(2);
  });
});
