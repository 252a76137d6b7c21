/**
 * The scanners' decision logic on hand-built models: every plan passes the
 * audit, and the live-only states (pending subscriptions, home regions, no trails).
 */
import { CisBenchmarkVersion, CisControl, Scanner } from '../../src';
import { evaluateAudit } from '../../src/audit/evaluate';
import { AuditModel, SubscriptionFacts, TrailFacts } from '../../src/audit/model';
import { planPatternTexts } from '../../src/scanners/planner';
import { ALL_SCANNERS, patternRule } from '../../src/scanners/rules';

const LG = { key: 'name:trail-logs', display: 'trail-logs', resolved: true };
const TOPIC = { key: 'arn:arn:aws:sns:us-east-1:1:t', display: 'arn:aws:sns:us-east-1:1:t', resolved: true };

function trail(over: Partial<TrailFacts> = {}): TrailFacts {
  return {
    name: 'cis',
    isMultiRegion: true,
    isLogging: true,
    homeRegion: 'us-east-1',
    eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: [] }],
    usesAdvancedSelectors: false,
    logGroup: LG,
    ...over,
  };
}

/** A live-style model: one trail, the given filters per control, one alarm per metric, one topic. */
function model(filters: { control: CisControl; texts: string[] }[], subscriptions: SubscriptionFacts[], over: Partial<AuditModel> = {}): AuditModel {
  return {
    source: 'live',
    description: 'test',
    region: 'us-east-1',
    trailsVisible: true,
    trails: [trail()],
    metricFilters: filters.flatMap(f => f.texts.map((text, i) => ({
      name: `${f.control.key}-${i}`, logGroup: LG, pattern: text, metricName: f.control.metricName, metricNamespace: 'CISBenchmark',
    }))),
    alarms: filters.map(f => ({ name: f.control.key, metricName: f.control.metricName, namespace: 'CISBenchmark', actions: [{ ...TOPIC, isSnsTopic: true }] })),
    topics: [{ ref: TOPIC, exists: true, subscriptions }],
    notes: [],
    ...over,
  };
}

const CONFIRMED: SubscriptionFacts = { protocol: 'email', endpoint: 'a@example.com', state: 'confirmed' };

function powerset<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((sets, item) => [...sets, ...sets.map(set => [...set, item])], [[]]);
}

describe('every plan passes the audit of the scanners it was planned for', () => {
  for (const version of CisBenchmarkVersion.all()) {
    test(`v${version.version}: every control x scanner subset`, () => {
      for (const scanners of powerset(ALL_SCANNERS).filter(s => s.length > 0)) {
        const filters = version.controls().map(control => ({ control, texts: planPatternTexts(control, version, scanners) }));
        const report = evaluateAudit(model(filters, [CONFIRMED]), version, scanners);
        for (const c of report.controls) {
          for (const s of scanners) {
            const expected = patternRule(s, c.key).applicable ? 'PASS' : 'NOT_APPLICABLE';
            expect({ version: version.version, scanners, control: c.key, scanner: s, status: c.results[s]!.status })
              .toEqual({ version: version.version, scanners, control: c.key, scanner: s, status: expected });
          }
        }
        // CloudSploit's per-trail verdict needs all 15 of its texts, which a v1.2.0 deployment (14 controls) cannot have.
        if (scanners.includes(Scanner.CLOUDSPLOIT)) {
          expect(report.summaries[0].status).toBe(version === CisBenchmarkVersion.V1_2_0 ? 'FAIL' : 'PASS');
        }
        expect(report.failed).toBe(version === CisBenchmarkVersion.V1_2_0 && scanners.includes(Scanner.CLOUDSPLOIT));
      }
    });
  }
});

describe('live-only states', () => {
  const v7 = CisBenchmarkVersion.V7_0_0;
  const all = () => v7.controls().map(control => ({ control, texts: planPatternTexts(control, v7, ALL_SCANNERS) }));
  const statuses = (m: AuditModel, scanner: Scanner) =>
    [...new Set(evaluateAudit(m, v7, [scanner]).controls.map(c => c.results[scanner]!.status))].sort();

  test('a subscription pending confirmation fails Security Hub but counts for Steampipe', () => {
    const m = model(all(), [{ protocol: 'email', endpoint: 'a@example.com', state: 'pending' }]);
    expect(statuses(m, Scanner.SECURITY_HUB)).toEqual(['FAIL', 'NOT_APPLICABLE']);
    expect(evaluateAudit(m, v7, [Scanner.SECURITY_HUB]).controls[0].results.SECURITY_HUB!.reasons[0])
      .toMatch(/has only subscriptions pending confirmation \(email a@example\.com\); Security Hub counts only confirmed subscribers/);
    expect(statuses(m, Scanner.STEAMPIPE)).toEqual(['PASS']);
  });

  test('a confirmed subscription passes Security Hub', () => {
    expect(statuses(model(all(), [CONFIRMED]), Scanner.SECURITY_HUB)).toEqual(['NOT_APPLICABLE', 'PASS']);
  });

  test('a topic that does not exist', () => {
    const m = { ...model(all(), []), topics: [{ ref: TOPIC, exists: false, subscriptions: [] }] };
    expect(evaluateAudit(m, v7, [Scanner.SECURITY_HUB]).controls[0].results.SECURITY_HUB!.reasons[0]).toMatch(/has no subscriber \(the topic does not exist\)/);
  });

  test('a multi-region trail homed in another region: Security Hub reports NO_DATA (fail), CloudSploit ignores it, Prowler uses it', () => {
    const m = { ...model(all(), [CONFIRMED]), trails: [trail({ homeRegion: 'eu-west-1' })] };
    expect(evaluateAudit(m, v7, [Scanner.SECURITY_HUB]).controls[0].results.SECURITY_HUB!.reasons[0]).toMatch(/has its home region in eu-west-1, not us-east-1 \(Security Hub reports NO_DATA/);
    expect(evaluateAudit(m, v7, [Scanner.CLOUDSPLOIT]).controls[0].results.CLOUDSPLOIT!.reasons[0]).toMatch(/CloudSploit reports nothing for this region: trail cis \(home region eu-west-1\)/);
    expect(statuses(m, Scanner.PROWLER)).toEqual(['PASS']);
  });

  test('no trail at all: CloudSploit passes ("No CloudTrail trails found"), the others fail', () => {
    const m = { ...model(all(), [CONFIRMED]), trails: [] };
    expect(statuses(m, Scanner.CLOUDSPLOIT)).toEqual(['PASS']);
    expect(evaluateAudit(m, v7, [Scanner.CLOUDSPLOIT]).summaries[0]).toEqual({ scanner: Scanner.CLOUDSPLOIT, status: 'PASS', reasons: ['No CloudTrail trails found (CloudSploit passes).'] });
    for (const s of [Scanner.PROWLER, Scanner.STEAMPIPE]) expect(statuses(m, s)).toEqual(['FAIL']);
    expect(evaluateAudit(m, v7, [Scanner.PROWLER]).controls[0].results.PROWLER!.reasons[0]).toBe('Prowler finds no qualifying trail: there is no CloudTrail trail.');
  });

  test('a metric-math alarm (no MetricName) does not count', () => {
    const m = model(all(), [CONFIRMED]);
    const alarms = m.alarms.map(a => ({ ...a, metricName: undefined }));
    expect(statuses({ ...m, alarms }, Scanner.PROWLER)).toEqual(['FAIL']);
  });

  test('a non-SNS alarm action does not satisfy Security Hub', () => {
    const m = model(all(), [CONFIRMED]);
    const alarms = m.alarms.map(a => ({ ...a, actions: [{ key: 'arn:x', display: 'arn:aws:automate:us-east-1:ec2:stop', resolved: true, isSnsTopic: false }] }));
    expect(evaluateAudit({ ...m, alarms }, v7, [Scanner.SECURITY_HUB]).controls[0].results.SECURITY_HUB!.reasons[0]).toMatch(/has no SNS topic action/);
  });
});
