import { CisBenchmarkVersion, CisControl, FilterPatternEngine, Scanner, ScannerPlan } from '../../src';
import {
  PatternCandidate, chooseCover, controlCandidates, matchesOrdinaryEvents,
  planControlPatterns,
} from '../../src/scanners/planner';
import { ALL_SCANNERS, patternRule } from '../../src/scanners/rules';

/** Every subset of `items`, the empty one included. */
function powerset<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((sets, item) => [...sets, ...sets.map(set => [...set, item])], [[]]);
}

/** Every non-empty subset of the four scanners. */
function scannerSubsets(): Scanner[][] {
  return powerset(ALL_SCANNERS).filter(s => s.length > 0);
}

const ORED_UNAUTHORIZED = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }';
const BENIGN = '{"eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","sourceIPAddress":"198.51.100.7"}';

describe('planControlPatterns: every version x control x scanner subset', () => {
  for (const version of CisBenchmarkVersion.all()) {
    test(`v${version.version}`, () => {
      for (const control of version.controls()) {
        const { deployed, candidates } = controlCandidates(control, version);
        const usable = candidates.filter(c => c.unusableReason === undefined);
        expect(usable.length).toBeLessThanOrEqual(16);
        // Brute force over every subset of the usable candidates: the fewest
        // that, with the deployed text, cover each set of scanners.
        const subsets = powerset(usable).map(set => ({
          size: set.length,
          covered: new Set<Scanner>([...deployed.satisfies, ...set.flatMap(c => [...c.satisfies])]),
        }));
        const fewest = (target: Scanner[]) => Math.min(...subsets.filter(x => target.every(s => x.covered.has(s))).map(x => x.size));

        for (const scanners of scannerSubsets()) {
          const plan = planControlPatterns(control, version, scanners);
          const where = `${version.version} ${control.key} [${scanners.join(',')}]`;
          // The deployed pattern comes first, once.
          expect({ where, first: plan.patterns[0].text }).toEqual({ where, first: control.definitionIn(version).deployedPattern });
          expect(plan.patterns[0].deployed).toBe(true);
          expect(new Set(plan.patterns.map(p => p.text)).size).toBe(plan.patterns.length);
          // Nothing is unsatisfiable with the catalog and scanner texts we have.
          expect({ where, unsatisfiable: plan.unsatisfiable }).toEqual({ where, unsatisfiable: [] });
          // Every selected scanner that checks the control passes on some planned text, by its own rule.
          for (const s of scanners) {
            const rule = patternRule(s, control.key);
            if (!rule.applicable) {
              expect(plan.notApplicable.map(n => n.scanner)).toContain(s);
              continue;
            }
            expect({ where, scanner: s, passes: plan.patterns.some(p => rule.test(p.text)) }).toEqual({ where, scanner: s, passes: true });
          }
          // Minimal: no smaller set of candidates covers the applicable scanners.
          const target = scanners.filter(s => patternRule(s, control.key).applicable);
          expect({ where, count: plan.patterns.length }).toEqual({ where, count: 1 + fewest(target) });
          // Never a text that matches ordinary events, checked with the engine.
          for (const p of plan.patterns) {
            const ordinary = matchesOrdinaryEvents(FilterPatternEngine.parse(p.text));
            expect({ where, text: p.text, ordinary }).toEqual({ where, text: p.text, ordinary: [] });
            expect(p.text.length).toBeLessThanOrEqual(1024);
          }
        }
      }
    });
  }
});

describe('the ORed unauthorized-API text of CIS 1.3.0-1.5.0', () => {
  test('matches a plain benign event, by the engine', () => {
    expect(FilterPatternEngine.parse(ORED_UNAUTHORIZED).matches(BENIGN)).toBe(true);
  });

  test.each(['1.3.0', '1.4.0', '1.5.0', '2.0.0'])('is a candidate for v%s but unusable, and never planned', version => {
    const v = CisBenchmarkVersion.of(version);
    const { candidates } = controlCandidates(CisControl.UNAUTHORIZED_API_CALLS, v);
    const ored = candidates.find(c => c.text === ORED_UNAUTHORIZED)!;
    expect(ored).toBeDefined();
    expect(ored.unusableReason).toMatch(/matches ordinary events.*DescribeInstances.*almost every CloudTrail event/);
    // It would satisfy Prowler and Steampipe, but the plan uses other texts.
    expect([...ored.satisfies].sort()).toEqual([Scanner.PROWLER, Scanner.STEAMPIPE]);
    for (const subset of scannerSubsets()) {
      expect(planControlPatterns(CisControl.UNAUTHORIZED_API_CALLS, v, subset).patterns.map(p => p.text)).not.toContain(ORED_UNAUTHORIZED);
    }
  });

  test('a scanner only such a text satisfies is reported unsatisfiable, with the reason', () => {
    const v = CisBenchmarkVersion.V1_3_0;
    const { deployed, candidates } = controlCandidates(CisControl.UNAUTHORIZED_API_CALLS, v);
    // Pretend the deployed text and the sound texts did not pass Steampipe: only the ORed text is left.
    const without = (c: PatternCandidate) => ({ ...c, satisfies: new Set([...c.satisfies].filter(s => s !== Scanner.STEAMPIPE)) });
    const result = chooseCover({
      forced: without(deployed),
      candidates: candidates.map(c => (c.unusableReason ? c : without(c))),
      scanners: [Scanner.STEAMPIPE, Scanner.SECURITY_HUB],
    });
    expect(result.unsatisfiable).toHaveLength(1);
    expect(result.unsatisfiable[0].scanner).toBe(Scanner.STEAMPIPE);
    expect(result.unsatisfiable[0].reason).toMatch(/Steampipe is satisfied only by CIS 1\.3\.0 remediation .*never deployed: it matches ordinary events/);
    // The satisfiable scanner is still covered.
    expect(result.chosen.map(c => c.sources[0])).toEqual(['Security Hub CloudWatch.2 documented text']);
  });

  test('a scanner no text satisfies is reported as such', () => {
    const { deployed } = controlCandidates(CisControl.VPC_CHANGES, CisBenchmarkVersion.V7_0_0);
    const result = chooseCover({ forced: { ...deployed, satisfies: new Set() }, candidates: [], scanners: [Scanner.PROWLER] });
    expect(result.unsatisfiable).toEqual([{ scanner: Scanner.PROWLER, reason: 'No known text satisfies Prowler\'s rule for this control.' }]);
  });
});

describe('what the unions match beyond the deployed pattern', () => {
  const probes = (key: CisControl, version: CisBenchmarkVersion, scanners: Scanner[]) =>
    planControlPatterns(key, version, scanners).broaderThanIntended.map(b => `${b.source} | ${b.probe}`);

  test('Security Hub\'s unauthorized-API text lacks the HeadBucket and log-delivery exclusions (v7.0.0)', () => {
    expect(probes(CisControl.UNAUTHORIZED_API_CALLS, CisBenchmarkVersion.V7_0_0, [Scanner.SECURITY_HUB])).toEqual([
      'Security Hub CloudWatch.2 documented text | an AccessDenied error on S3 HeadBucket',
      'Security Hub CloudWatch.2 documented text | an AccessDenied error from the log delivery service (sourceIPAddress delivery.logs.amazonaws.com)',
    ]);
    // CloudSploit master's text is the v1.2 text without exclusions, too.
    expect(probes(CisControl.UNAUTHORIZED_API_CALLS, CisBenchmarkVersion.V7_0_0, [Scanner.CLOUDSPLOIT])).toEqual([
      'CloudSploit (master) expected text | an AccessDenied error on S3 HeadBucket',
      'CloudSploit (master) expected text | an AccessDenied error from the log delivery service (sourceIPAddress delivery.logs.amazonaws.com)',
    ]);
  });

  test('against the repaired 1.3.0 text, Security Hub\'s also un-excludes UnauthorizedOperation errors', () => {
    expect(probes(CisControl.UNAUTHORIZED_API_CALLS, CisBenchmarkVersion.V1_3_0, [Scanner.SECURITY_HUB])).toEqual([
      'Security Hub CloudWatch.2 documented text | an AccessDenied error on S3 HeadBucket',
      'Security Hub CloudWatch.2 documented text | an AccessDenied error from the log delivery service (sourceIPAddress delivery.logs.amazonaws.com)',
      'Security Hub CloudWatch.2 documented text | a Client.UnauthorizedOperation error from the log delivery service (sourceIPAddress delivery.logs.amazonaws.com)',
      'Security Hub CloudWatch.2 documented text | a Client.UnauthorizedOperation error on HeadBucket',
    ]);
  });

  test('Prowler\'s Organizations set adds CancelHandshake, CreateOrganization and EnableAllFeatures', () => {
    for (const version of CisControl.ORGANIZATIONS_CHANGES.versions()) {
      expect(probes(CisControl.ORGANIZATIONS_CHANGES, version, [Scanner.PROWLER]).map(p => p.split(' | ')[1])).toEqual([
        'a CancelHandshake event from organizations.amazonaws.com',
        'a CreateOrganization event from organizations.amazonaws.com',
        'an EnableAllFeatures event from organizations.amazonaws.com',
      ]);
    }
  });

  test('Steampipe needs ModifySecurityGroupRules, which CIS 1.2.0-4.0.0 do not watch', () => {
    for (const version of ['1.2.0', '1.3.0', '1.4.0', '1.5.0', '2.0.0', '3.0.0', '4.0.0']) {
      expect(probes(CisControl.SECURITY_GROUP_CHANGES, CisBenchmarkVersion.of(version), [Scanner.STEAMPIPE]))
        .toEqual(['CIS 5.0.0 remediation | a ModifySecurityGroupRules event from ec2.amazonaws.com']);
    }
    expect(probes(CisControl.SECURITY_GROUP_CHANGES, CisBenchmarkVersion.V5_0_0, ALL_SCANNERS as Scanner[])).toEqual([]);
  });

  test('every other control x version x all four scanners means what the deployed pattern means', () => {
    for (const version of CisBenchmarkVersion.all()) {
      for (const control of version.controls()) {
        const found = probes(control, version, ALL_SCANNERS as Scanner[]);
        // v1.2.0's unauthorized-API text has no exclusions, so Security Hub's adds nothing there.
        const unauthorizedWithExclusions = control === CisControl.UNAUTHORIZED_API_CALLS && version !== CisBenchmarkVersion.V1_2_0;
        if (unauthorizedWithExclusions || control === CisControl.ORGANIZATIONS_CHANGES) {
          expect(found.length).toBeGreaterThan(0);
        } else if (control === CisControl.SECURITY_GROUP_CHANGES && ['1.2.0', '1.3.0', '1.4.0', '1.5.0', '2.0.0', '3.0.0', '4.0.0'].includes(version.version)) {
          expect(found.length).toBe(1);
        } else {
          expect({ version: version.version, control: control.key, found }).toEqual({ version: version.version, control: control.key, found: [] });
        }
      }
    }
  });
});

describe('specific plans', () => {
  test('route tables for Prowler at v1.2.0 use a text with $.eventSource = ec2.amazonaws.com', () => {
    const plan = planControlPatterns(CisControl.ROUTE_TABLE_CHANGES, CisBenchmarkVersion.V1_2_0, [Scanner.PROWLER]);
    expect(plan.patterns).toHaveLength(2);
    expect(plan.patterns[1].text).toMatch(/\$\.eventSource = ec2\.amazonaws\.com/);
    expect(plan.patterns[1].satisfies).toEqual([Scanner.PROWLER]);
  });

  test('Organizations for Prowler: only the 21-name repair passes', () => {
    const plan = planControlPatterns(CisControl.ORGANIZATIONS_CHANGES, CisBenchmarkVersion.V7_0_0, [Scanner.PROWLER, Scanner.STEAMPIPE]);
    expect(plan.patterns).toHaveLength(2);
    expect(plan.patterns[1].sources[0]).toBe('repaired Organizations text with CancelHandshake, CreateOrganization and EnableAllFeatures');
    expect((plan.patterns[1].text.match(/\$\.eventName =/g) ?? []).length).toBe(21);
    expect(plan.patterns[1].satisfies).toEqual([Scanner.PROWLER, Scanner.STEAMPIPE]);
  });

  test('no scanners: the deployed pattern alone', () => {
    const plan = planControlPatterns(CisControl.ROOT_ACCOUNT_USAGE, CisBenchmarkVersion.V7_0_0, []);
    expect(plan.patterns.map(p => p.text)).toEqual([CisControl.ROOT_ACCOUNT_USAGE.definitionIn(CisBenchmarkVersion.V7_0_0).deployedPattern]);
  });

  test('the default v7.0.0 deployment with all four scanners needs 35 filters', () => {
    const counts = CisBenchmarkVersion.V7_0_0.controls().map(c => planControlPatterns(c, CisBenchmarkVersion.V7_0_0, ALL_SCANNERS).patterns.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(35);
  });

  test('bad inputs say what is wrong', () => {
    expect(() => planControlPatterns(CisControl.SECURITY_HUB_ENABLED, CisBenchmarkVersion.V7_0_0, [])).toThrow(/"security-hub-enabled" is not a metric-filter control.*Plan one of: unauthorized-api-calls/);
    expect(() => planControlPatterns(CisControl.ORGANIZATIONS_CHANGES, CisBenchmarkVersion.V1_2_0, [])).toThrow(/not part of CIS v1\.2\.0 \(it exists in 1\.3\.0/);
    expect(() => planControlPatterns(CisControl.VPC_CHANGES, CisBenchmarkVersion.V7_0_0, ['NESSUS' as Scanner])).toThrow(/Unknown scanner "NESSUS"/);
  });
});

describe('ScannerPlan (public API)', () => {
  test('forControl: patterns, sources, differences, not-applicable scanners', () => {
    const plan = ScannerPlan.forControl(CisControl.UNAUTHORIZED_API_CALLS, CisBenchmarkVersion.V7_0_0,
      [Scanner.PROWLER, Scanner.SECURITY_HUB, Scanner.PROWLER]);
    expect(plan.scanners).toEqual([Scanner.SECURITY_HUB, Scanner.PROWLER]);
    expect(plan.patterns).toEqual([
      CisControl.UNAUTHORIZED_API_CALLS.definitionIn(CisBenchmarkVersion.V7_0_0).deployedPattern,
      CisControl.UNAUTHORIZED_API_CALLS.securityHubPattern,
    ]);
    expect(plan.patternSources).toEqual(['CIS 7.0.0 deployed pattern', 'Security Hub CloudWatch.2 documented text']);
    expect(plan.unsatisfiable).toEqual([]);
    expect(plan.differences).toEqual([
      'unauthorized-api-calls: the Security Hub CloudWatch.2 documented text, added for Security Hub, also matches an AccessDenied error on S3 HeadBucket and an AccessDenied error from the log delivery service (sourceIPAddress delivery.logs.amazonaws.com), which the CIS 7.0.0 pattern does not.',
    ]);

    const orgs = ScannerPlan.forControl(CisControl.ORGANIZATIONS_CHANGES, CisBenchmarkVersion.V7_0_0, [Scanner.SECURITY_HUB]);
    expect(orgs.patterns).toHaveLength(1);
    expect(orgs.notApplicable).toEqual(['Security Hub: Security Hub has no CloudWatch control for "organizations-changes".']);
  });

  test('forVersion plans every metric-filter control in order', () => {
    const plans = ScannerPlan.forVersion(CisBenchmarkVersion.V1_2_0, [Scanner.CLOUDSPLOIT]);
    expect(plans.map(p => p.control.key)).toEqual(CisBenchmarkVersion.V1_2_0.controls().map(c => c.key));
    expect(plans.every(p => p.benchmarkVersion === CisBenchmarkVersion.V1_2_0)).toBe(true);
  });
});
