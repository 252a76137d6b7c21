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

  test('only a multi-region trail based in another Region (a shadow trail): Security Hub NO_DATA, CloudSploit OK without a check, Prowler and Steampipe look here', () => {
    const m = { ...model(all(), [CONFIRMED]), trails: [trail({ homeRegion: 'eu-west-1' })] };
    const sh = evaluateAudit(m, v7, [Scanner.SECURITY_HUB]);
    expect(statuses(m, Scanner.SECURITY_HUB)).toEqual(['NOT_APPLICABLE', 'NO_DATA']);
    expect(sh.controls[0].results.SECURITY_HUB!.reasons[0]).toBe('Security Hub reports NO_DATA here: it generates findings for a trail only in the Region the trail is based in and only in the account that owns it, and here trail cis is based in eu-west-1, where Security Hub evaluates it.');
    expect(sh.failed).toBe(false);
    const cs = evaluateAudit(m, v7, [Scanner.CLOUDSPLOIT]);
    expect(statuses(m, Scanner.CLOUDSPLOIT)).toEqual(['PASS']);
    expect(cs.summaries[0]).toEqual({ scanner: Scanner.CLOUDSPLOIT, status: 'PASS', reasons: ['OK us-east-1: No CloudTrail trails found in current home region'] });
    expect(cs.controls[0].results.CLOUDSPLOIT!.reasons[0]).toBe('CloudSploit reports OK us-east-1: No CloudTrail trails found in current home region and checks no filter here (trail cis is based in eu-west-1).');
    // The filters of this model sit on a log group of the trail's log-group name in this Region, so Prowler and Steampipe pass.
    expect(statuses(m, Scanner.PROWLER)).toEqual(['PASS']);
    expect(statuses(m, Scanner.STEAMPIPE)).toEqual(['PASS']);
    // Without them here, they fail and say where the trail lives.
    const empty = { ...m, metricFilters: [] };
    expect(statuses(empty, Scanner.PROWLER)).toEqual(['FAIL']);
    expect(evaluateAudit(empty, v7, [Scanner.PROWLER]).controls[0].results.PROWLER!.reasons[0])
      .toMatch(/Trail cis is based in eu-west-1: Prowler run on us-east-1 alone looks for the metric filters of its log group trail-logs in us-east-1; run over several Regions it judges the account as a whole, so audit eu-west-1 too\.$/);
    expect(evaluateAudit(empty, v7, [Scanner.CLOUDSPLOIT]).summaries[0].status).toBe('PASS');
  });

  test('a shadow trail beside a trail based here: Security Hub and CloudSploit judge only the one based here', () => {
    const m = { ...model(all(), [CONFIRMED]), trails: [trail({ name: 'other', homeRegion: 'eu-west-1', logGroup: undefined }), trail()] };
    expect(statuses(m, Scanner.SECURITY_HUB)).toEqual(['NOT_APPLICABLE', 'PASS']);
    expect(evaluateAudit(m, v7, [Scanner.CLOUDSPLOIT]).summaries[0].reasons).toEqual(['OK trail cis: Trail logs have filter patterns for all required metrics']);
    const failing = { ...m, trails: [trail({ name: 'other', homeRegion: 'eu-west-1' }), trail({ isLogging: false })] };
    expect(evaluateAudit(failing, v7, [Scanner.SECURITY_HUB]).controls[0].results.SECURITY_HUB!.reasons[0]).toBe('Security Hub finds no qualifying trail: trail cis is not logging.');
  });

  test('an organization trail seen from a member: Security Hub NO_DATA, Steampipe never qualifies it, Prowler and CloudSploit look up its log group here by name', () => {
    const org = trail({ name: 'org', arn: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org', ownerAccount: '111111111111', isOrganizationTrail: true, isLogging: undefined, eventSelectors: undefined, logGroup: { key: 'name:org-logs', display: 'org-logs', resolved: true } });
    const m = { ...model(all(), [CONFIRMED]), account: '222222222222', trails: [org] };
    expect(statuses(m, Scanner.SECURITY_HUB)).toEqual(['NOT_APPLICABLE', 'NO_DATA']);
    expect(evaluateAudit(m, v7, [Scanner.SECURITY_HUB]).controls[0].results.SECURITY_HUB!.reasons[0]).toMatch(/here trail org belongs to account 111111111111 \(an organization trail\), where Security Hub evaluates it in us-east-1\.$/);
    const sp = evaluateAudit(m, v7, [Scanner.STEAMPIPE]);
    expect(statuses(m, Scanner.STEAMPIPE)).toEqual(['FAIL']);
    expect(sp.controls[0].results.STEAMPIPE!.reasons[0]).toBe('Steampipe finds no qualifying trail: trail org belongs to account 111111111111 (an organization trail), and Steampipe reads the logging state and event selectors of the account\'s own trails only.');
    expect(sp.unchecked).toEqual([]);
    expect(statuses(m, Scanner.PROWLER)).toEqual(['FAIL']);
    expect(evaluateAudit(m, v7, [Scanner.PROWLER]).controls[0].results.PROWLER!.reasons[0]).toMatch(/No metric filter on log group org-logs passes: .* Trail org belongs to account 111111111111 \(an organization trail\): Prowler looks for the metric filters of its log group org-logs in this account/);
    expect(evaluateAudit(m, v7, [Scanner.CLOUDSPLOIT]).summaries[0]).toEqual({
      scanner: Scanner.CLOUDSPLOIT, status: 'FAIL', reasons: ['FAIL arn:aws:cloudtrail:us-east-1:111111111111:trail/org: There are no CloudWatch metric filters for this trail'],
    });
    // The member's own trail beside it: Security Hub, Prowler and Steampipe pass on it; CloudSploit still fails the organization trail.
    const both = { ...m, trails: [org, trail({ arn: 'arn:aws:cloudtrail:us-east-1:222222222222:trail/cis', ownerAccount: '222222222222' })] };
    expect(statuses(both, Scanner.SECURITY_HUB)).toEqual(['NOT_APPLICABLE', 'PASS']);
    expect(statuses(both, Scanner.PROWLER)).toEqual(['PASS']);
    expect(statuses(both, Scanner.STEAMPIPE)).toEqual(['PASS']);
    expect(statuses(both, Scanner.CLOUDSPLOIT)).toEqual(['FAIL']);
    expect(evaluateAudit(both, v7, [Scanner.CLOUDSPLOIT]).summaries[0].reasons).toEqual([
      'FAIL arn:aws:cloudtrail:us-east-1:111111111111:trail/org: There are no CloudWatch metric filters for this trail',
      'OK arn:aws:cloudtrail:us-east-1:222222222222:trail/cis: Trail logs have filter patterns for all required metrics',
    ]);
  });

  test('no trail at all: CloudSploit passes ("No CloudTrail trails found"), the others fail', () => {
    const m = { ...model(all(), [CONFIRMED]), trails: [] };
    expect(statuses(m, Scanner.CLOUDSPLOIT)).toEqual(['PASS']);
    expect(evaluateAudit(m, v7, [Scanner.CLOUDSPLOIT]).summaries[0]).toEqual({ scanner: Scanner.CLOUDSPLOIT, status: 'PASS', reasons: ['OK us-east-1: No CloudTrail trails found'] });
    for (const s of [Scanner.PROWLER, Scanner.STEAMPIPE]) expect(statuses(m, s)).toEqual(['FAIL']);
    expect(statuses(m, Scanner.SECURITY_HUB)).toEqual(['FAIL', 'NOT_APPLICABLE']);
    expect(evaluateAudit(m, v7, [Scanner.PROWLER]).controls[0].results.PROWLER!.reasons[0]).toBe('Prowler finds no qualifying trail: there is no CloudTrail trail.');
  });

  test('CloudSploit: a Region without any metric filter fails as a whole; a trail based here without a log group gets no result', () => {
    expect(evaluateAudit({ ...model(all(), [CONFIRMED]), metricFilters: [] }, v7, [Scanner.CLOUDSPLOIT]).summaries[0])
      .toEqual({ scanner: Scanner.CLOUDSPLOIT, status: 'FAIL', reasons: ['FAIL us-east-1: There are no CloudWatch metric filters in this region'] });
    const silent = evaluateAudit({ ...model(all(), [CONFIRMED]), trails: [trail({ logGroup: undefined })] }, v7, [Scanner.CLOUDSPLOIT]);
    expect(silent.summaries[0].status).toBe('NO_DATA');
    expect(silent.controls.map(c => c.results.CLOUDSPLOIT!.status)).toEqual(v7.controls().map(() => 'NO_DATA'));
    expect(silent.failed).toBe(false);
  });

  test('Prowler links an alarm by metric name, and namespace when both set one', () => {
    const m = model(all(), [CONFIRMED]);
    expect(statuses({ ...m, alarms: m.alarms.map(a => ({ ...a, namespace: 'Other' })) }, Scanner.PROWLER)).toEqual(['FAIL']);
    expect(statuses({ ...m, alarms: m.alarms.map(a => ({ ...a, namespace: undefined })) }, Scanner.PROWLER)).toEqual(['PASS']);
    expect(statuses({ ...m, metricFilters: m.metricFilters.map(f => ({ ...f, metricNamespace: undefined })), alarms: m.alarms.map(a => ({ ...a, namespace: 'Other' })) }, Scanner.PROWLER)).toEqual(['PASS']);
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
