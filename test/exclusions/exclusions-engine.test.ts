/**
 * Proves the compiled exclusions with the offline filter-pattern engine: for
 * every control of every benchmark version, the paging pattern matches exactly
 * the events the compliance pattern matches minus the excluded ones (decided by
 * an independent oracle), and keeps events that lack the excluded field.
 */
import { ACCOUNT, controlCorpus, CorpusRecord, NASTY_USER_AGENT } from './corpus';
import { lacksField, oracleExcludes, oracleFields } from './oracle';
import { CisBenchmarkVersion, CisControl } from '../../src/catalog';
import { Exclusion } from '../../src/exclusions';
import { compileExcludedPattern } from '../../src/exclusions/compile';
import { FilterPatternEngine } from '../../src/filter-pattern';
import { planOf, versionControlRows } from '../support/plans';

interface Scenario {
  readonly name: string;
  readonly exclusions: (control: CisControl) => Exclusion[];
  /** Controls where no corpus event can be excluded (documented reason). */
  readonly nothingToExclude?: string[];
  /** Controls whose base pattern is too long for these exclusions (the compiler must refuse). */
  readonly tooLongFor?: string[];
  /** False when every event has the field (eventName), so there is no missing-field case. */
  readonly fieldCanBeMissing?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'role name',
    exclusions: () => [Exclusion.roleName('ci-deployer')],
    // Root events never come from a role session.
    nothingToExclude: ['root-account-usage'],
  },
  {
    name: 'role ARN prefix + IPv4 /24',
    exclusions: () => [Exclusion.principalArn(`arn:aws:iam::${ACCOUNT}:role/terraform-*`), Exclusion.sourceIp('203.0.113.0/24')],
  },
  {
    name: 'user agent fragment + IAM user ARN',
    exclusions: () => [Exclusion.userAgent('*terraform*'), Exclusion.principalArn(`arn:aws:iam::${ACCOUNT}:user/alice`)],
  },
  {
    name: 'exact user agent with quotes, backslash and operators',
    exclusions: () => [Exclusion.userAgent(NASTY_USER_AGENT)],
  },
  {
    name: 'two role names on one field + /32',
    exclusions: () => [Exclusion.roleName('ci-deployer'), Exclusion.roleName('terraform-*'), Exclusion.sourceIp('198.51.100.7/32')],
    // 758 characters of event names leave no room for three guards.
    tooLongFor: ['organizations-changes'],
  },
  {
    name: 'first event name',
    exclusions: (c) => (c.eventNames.length > 1 ? [Exclusion.eventName(c.eventNames[0])] : [Exclusion.eventName('GetObject')]),
    // Only the unauthorized-API corpus has GetObject events; the others have one event name or none to spare.
    nothingToExclude: ['console-signin-without-mfa', 'root-account-usage', 'console-auth-failures'],
    fieldCanBeMissing: false,
  },
];

const corpora = new Map<string, CorpusRecord[]>();
function corpusOf(control: CisControl): CorpusRecord[] {
  let c = corpora.get(control.key);
  if (!c) {
    c = controlCorpus(control);
    corpora.set(control.key, c);
  }
  return c;
}

// The input is the control and its deployed text (the scenarios and the corpus are per control): versions that share the text are one block.
const cases = versionControlRows('deployed pattern', ({ version, control }) => control.definitionIn(version).deployedPattern);

describe.each(cases)('%s', (_label, { version, control }) => {
  const base = FilterPatternEngine.parse(control.definitionIn(version).deployedPattern!);

  test.each(SCENARIOS.map(s => [s.name, s] as const))('paging pattern = compliance matches minus excluded (%s)', (_n, scenario) => {
    const exclusions = scenario.exclusions(control);
    if (scenario.tooLongFor?.includes(control.key)) {
      expect(() => compileExcludedPattern(control.definitionIn(version).deployedPattern!, exclusions, control))
        .toThrow(new RegExp(`control "${control.key}" make its paging filter pattern \\d+ characters long; CloudWatch Logs allows 1024`));
      return;
    }
    const pattern = compileExcludedPattern(control.definitionIn(version).deployedPattern!, exclusions, control);
    expect(pattern.length).toBeLessThanOrEqual(1024);
    const paging = FilterPatternEngine.parse(pattern);

    const mismatches: string[] = [];
    let baseMatches = 0;
    let removed = 0;
    let keptLackingField = 0;
    corpusOf(control).forEach(({ name, record }, i) => {
      const inBase = base.matchesRecord(record);
      const excluded = exclusions.some(e => oracleExcludes(e, record));
      const want = inBase && !excluded;
      const got = paging.matchesRecord(record);
      // Also through the raw-line path CloudWatch Logs uses (a sample, to keep the suite fast).
      const gotLine = i % 5 === 0 ? paging.matches(JSON.stringify(record)) : got;
      if (got !== want || gotLine !== want) mismatches.push(`${name}: paging=${got}/${gotLine}, expected ${want}`);
      if (inBase) baseMatches++;
      if (inBase && excluded) removed++;
      if (want && exclusions.some(e => oracleFields(e).every(f => lacksField(record, f)))) keptLackingField++;
    });
    expect(mismatches).toEqual([]);
    // The corpus exercises the control, the exclusion and the missing-field trap.
    expect(baseMatches).toBeGreaterThan(0);
    if (scenario.fieldCanBeMissing !== false) expect(keptLackingField).toBeGreaterThan(0);
    if (scenario.nothingToExclude?.includes(control.key)) {
      expect(removed).toBe(0);
    } else {
      expect(removed).toBeGreaterThan(0);
    }
  });

  test('compliance pattern stays byte-exact; paging goes to <metricName>Paging', () => {
    const exclusions = [Exclusion.roleName('ci-deployer')];
    const plan = planOf(control, version, { exclusions });
    expect(plan.compliance.text).toBe(control.definitionIn(version).deployedPattern);
    expect(plan.paging!.filter.metricName).toBe(`${control.metricName}Paging`);
    expect(plan.paging!.filter.text).toBe(compileExcludedPattern(plan.compliance.text, exclusions, control));
  });
});

describe('the missing-field trap', () => {
  const control = CisControl.SECURITY_GROUP_CHANGES;
  const deployed = control.definitionIn(CisBenchmarkVersion.LATEST).deployedPattern!;
  const record = (identity: any) => ({
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    sourceIPAddress: '198.51.100.7',
    ...(identity ? { userIdentity: identity } : {}),
  });
  const rootEvent = record({ type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root` });
  const ciEvent = record({ type: 'AssumedRole', sessionContext: { sessionIssuer: { type: 'Role', userName: 'ci-deployer' } } });
  const noIdentity = record(undefined);

  test('a bare != would silently drop events without the field', () => {
    const naive = FilterPatternEngine.parse(`{ (${deployed.slice(1, -1).trim()}) && $.userIdentity.sessionContext.sessionIssuer.userName != "ci-deployer" }`);
    expect(naive.matchesRecord(rootEvent)).toBe(false);
    expect(naive.matchesRecord(noIdentity)).toBe(false);
  });

  test('the compiled guard keeps them and still excludes the role', () => {
    const pattern = compileExcludedPattern(deployed, [Exclusion.roleName('ci-deployer')], control);
    expect(pattern).toContain('($.userIdentity.sessionContext.sessionIssuer.userName NOT EXISTS || $.userIdentity.sessionContext.sessionIssuer.userName != "ci-deployer")');
    expect(pattern).not.toMatch(/&& \$\.userIdentity\.sessionContext\.sessionIssuer\.userName !=/);
    const paging = FilterPatternEngine.parse(pattern);
    expect(paging.matchesRecord(rootEvent)).toBe(true);
    expect(paging.matchesRecord(noIdentity)).toBe(true);
    expect(paging.matchesRecord(ciEvent)).toBe(false);
  });

  test('a JSON null in the field is treated like a value (documented limitation: such an event is excluded)', () => {
    const paging = FilterPatternEngine.parse(compileExcludedPattern(deployed, [Exclusion.userAgent('*terraform*')], control));
    expect(paging.matchesRecord({ ...noIdentity, userAgent: null })).toBe(false);
    expect(paging.matchesRecord({ ...noIdentity })).toBe(true);
  });
});

describe('values are quoted and escaped', () => {
  const deployed = CisControl.IAM_POLICY_CHANGES.definitionIn(CisBenchmarkVersion.LATEST).deployedPattern!;
  const event = (userAgent: string) => ({ eventSource: 'iam.amazonaws.com', eventName: 'PutRolePolicy', userAgent });

  test.each([
    ['quotes', 'say "hi"'],
    ['backslashes', 'C:\\tools\\agent\\'],
    ['a trailing backslash before the closing quote', 'agent\\'],
    ['pattern operators and braces', 'x" || $.eventName = "PutRolePolicy'],
    ['a unicode string', 'agent/1.0 (ünïcødé; 日本)'],
  ])('%s', (_n, value) => {
    const pattern = compileExcludedPattern(deployed, [Exclusion.userAgent(value)]);
    const paging = FilterPatternEngine.parse(pattern);
    expect(paging.matchesRecord(event(value))).toBe(false);
    expect(paging.matches(JSON.stringify(event(value)))).toBe(false);
    expect(paging.matchesRecord(event(`${value}.`))).toBe(true);
    expect(paging.matchesRecord(event(value.slice(1)))).toBe(true);
  });

  test('an injected operator stays inside the string', () => {
    const pattern = compileExcludedPattern(deployed, [Exclusion.userAgent('x" || $.eventName = "PutRolePolicy')]);
    expect(pattern).toContain('$.userAgent != "x\\" || $.eventName = \\"PutRolePolicy"');
  });
});

describe('the worked example of docs/alert-quality.md', () => {
  const control = CisControl.SECURITY_GROUP_CHANGES;
  const deployed = control.definitionIn(CisBenchmarkVersion.V7_0_0).deployedPattern!;
  const pattern = compileExcludedPattern(deployed, [Exclusion.roleName('ci-deployer'), Exclusion.sourceIp('203.0.113.0/24')], control);
  const compliance = FilterPatternEngine.parse(deployed);
  const paging = FilterPatternEngine.parse(pattern);
  const role = (name: string) => ({ type: 'AssumedRole', sessionContext: { sessionIssuer: { type: 'Role', userName: name } } });
  const call = (eventName: string, userIdentity: any, sourceIPAddress: string) => ({ eventSource: 'ec2.amazonaws.com', eventName, userIdentity, sourceIPAddress });

  test('the paging pattern is the one printed', () => {
    expect(pattern).toHaveLength(526);
    expect(pattern.endsWith('&& ($.userIdentity.sessionContext.sessionIssuer.userName NOT EXISTS || $.userIdentity.sessionContext.sessionIssuer.userName != "ci-deployer") '
      + '&& ($.sourceIPAddress NOT EXISTS || $.sourceIPAddress != "203.0.113.*") }')).toBe(true);
  });

  test.each([
    ['ci-deployer role', call('AuthorizeSecurityGroupIngress', role('ci-deployer'), '198.51.100.7'), true, false],
    ['Admin role from the excluded network', call('AuthorizeSecurityGroupIngress', role('Admin'), '203.0.113.10'), true, false],
    ['root user', call('AuthorizeSecurityGroupIngress', { type: 'Root', arn: 'arn:aws:iam::123456789012:root' }, '198.51.100.7'), true, true],
    ['ci-deployer-2 role', call('AuthorizeSecurityGroupIngress', role('ci-deployer-2'), '198.51.100.7'), true, true],
    ['DescribeSecurityGroups', call('DescribeSecurityGroups', role('Admin'), '198.51.100.7'), false, false],
  ])('%s', (_n, record, inCompliance, inPaging) => {
    expect(compliance.matchesRecord(record)).toBe(inCompliance);
    expect(paging.matchesRecord(record)).toBe(inPaging);
  });
});
