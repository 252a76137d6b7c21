/**
 * The exclusion proof on the realistic per-control CloudTrail fixtures of
 * test/fixtures/events: every fixture as recorded, as a session of the
 * excluded role, from the excluded network, and with the identity, session
 * context or source IP removed (the missing-field trap).
 */
import { ACCOUNT } from './corpus';
import { lacksField, oracleExcludes, oracleFields } from './oracle';
import { CisBenchmarkVersion, CisControl } from '../../src/catalog';
import { Exclusion } from '../../src/exclusions';
import { compileExcludedPattern } from '../../src/exclusions/compile';
import { FilterPatternEngine } from '../../src/filter-pattern';
import { fixtureControlKeys, loadControlFixtureFile } from '../support/fixtures';

const EXCLUSIONS = [Exclusion.roleName('ci-deployer'), Exclusion.sourceIp('203.0.113.0/24')];

const CI_SESSION = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLE:pipeline',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ci-deployer/pipeline`,
  accountId: ACCOUNT,
  sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/ci-deployer`, accountId: ACCOUNT, userName: 'ci-deployer' } },
};

function variants(record: any): Array<[string, any]> {
  const out: Array<[string, any]> = [['as recorded', record]];
  out.push(['as the ci-deployer role', { ...record, userIdentity: CI_SESSION }]);
  out.push(['from 203.0.113.25', { ...record, sourceIPAddress: '203.0.113.25' }]);
  out.push(['from 203.0.114.25', { ...record, sourceIPAddress: '203.0.114.25' }]);
  const { userIdentity, sourceIPAddress, ...rest } = record;
  out.push(['without userIdentity', { ...rest, ...(sourceIPAddress !== undefined ? { sourceIPAddress } : {}) }]);
  out.push(['without sourceIPAddress', { ...rest, ...(userIdentity !== undefined ? { userIdentity } : {}) }]);
  if (userIdentity && typeof userIdentity === 'object') {
    const { sessionContext, ...identity } = userIdentity;
    out.push(['without sessionContext', { ...record, userIdentity: identity }]);
    if (sessionContext !== undefined) out.push(['as the ci-deployer role, no source IP', { ...rest, userIdentity: CI_SESSION }]);
  }
  return out;
}

const cases = fixtureControlKeys().flatMap(key => {
  const control = CisControl.fromKey(key);
  const reviewed = loadControlFixtureFile(key).reviewedVersions;
  return control.versions().filter(v => reviewed.includes(v.version)).map(v => [key, v.version, control, v] as const);
});

test('every metric-filter control has fixtures', () => {
  expect(fixtureControlKeys().sort()).toEqual(CisControl.all().filter(c => c.isMetricFilter).map(c => c.key).sort());
});

test.each(cases)('%s (CIS %s): paging = compliance minus excluded on the fixtures', (key, _v, control, version: CisBenchmarkVersion) => {
  const deployed = control.definitionIn(version).deployedPattern!;
  const compliance = FilterPatternEngine.parse(deployed);
  const paging = FilterPatternEngine.parse(compileExcludedPattern(deployed, EXCLUSIONS, control));
  const mismatches: string[] = [];
  let removed = 0;
  let keptLackingField = 0;
  for (const fixture of loadControlFixtureFile(key).fixtures) {
    for (const [variant, record] of variants(fixture.record)) {
      const inBase = compliance.matches(JSON.stringify(record));
      const excluded = EXCLUSIONS.some(e => oracleExcludes(e, record));
      const want = inBase && !excluded;
      const got = paging.matches(JSON.stringify(record));
      if (got !== want) mismatches.push(`${fixture.name} / ${variant}: paging=${got}, expected ${want}`);
      if (inBase && excluded) removed++;
      if (want && EXCLUSIONS.some(e => oracleFields(e).every(f => lacksField(record, f)))) keptLackingField++;
    }
  }
  expect(mismatches).toEqual([]);
  expect(removed).toBeGreaterThan(0);
  expect(keptLackingField).toBeGreaterThan(0);
});
