/**
 * Exclusions in the real-time rules: for every control, the rule's pattern
 * (as synthesized by CisEventRules, evaluated by the offline EventBridge
 * matcher on the CloudTrail fixtures wrapped as EventBridge events) matches
 * exactly the records the control's paging filter
 * (`compileExcludedPattern`, evaluated by the filter-pattern engine) matches.
 *
 * Each fixture is tried as recorded and as variants: a session of an excluded
 * role, a caller in the excluded account, excluded and other user agents,
 * source IPs and event names, and with `userIdentity`, `sessionContext`,
 * `sourceIPAddress`, `userAgent` or `eventName` removed (the missing-field
 * trap: such events must still match).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CisAlarmTopic, CisBenchmarkVersion, CisControl, CisEventRules, Exclusion } from '../../src';
import { compileExcludedPattern } from '../../src/exclusions/compile';
import { FilterPatternEngine } from '../../src/filter-pattern';
import { toEventPatternJson, translateFilterPattern } from '../../src/filter-pattern/translate/event-pattern';
import { excludedEventPattern } from '../../src/filter-pattern/translate/event-pattern-exclusions';
import { MAX_EVENT_PATTERN_LENGTH } from '../../src/quotas';
import { cloudTrailEvent, EventPattern, matches } from '../support/event-pattern-matcher';
import { loadControlFixtureFile } from '../support/fixtures';
import { motoEventPatternMatches } from '../support/moto';
import { eventPatternFor } from '../support/plans';
import { describeIf, requires } from '../support/requirements';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const NOT_EXPRESSIBLE = 'cdk-cis-monitoring:ruleExclusionsNotExpressible';

function roleSession(account: string, roleName: string): any {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${roleName}-session`,
    arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${roleName}-session`,
    accountId: account,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: `arn:aws:iam::${account}:role/${roleName}`, accountId: account, userName: roleName },
      attributes: { creationDate: '2024-05-01T10:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

const ROOT = { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT };
const IAM_USER = { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, userName: 'alice' };

function without(record: any, field: string): any {
  const { [field]: _dropped, ...rest } = record;
  return rest;
}

/** The record as recorded and in the variants the exclusions are about. */
function variants(record: any): Array<[string, any]> {
  const out: Array<[string, any]> = [
    ['as recorded', record],
    ['as the ci-deployer role', { ...record, userIdentity: roleSession(ACCOUNT, 'ci-deployer') }],
    ['as the terraform-apply role', { ...record, userIdentity: roleSession(ACCOUNT, 'terraform-apply') }],
    ['as terraform-apply in another account', { ...record, userIdentity: roleSession(OTHER_ACCOUNT, 'terraform-apply') }],
    ['as an IAM user of the account', { ...record, userIdentity: IAM_USER }],
    ['as the root user of the account', { ...record, userIdentity: ROOT }],
    ['with a Terraform user agent', { ...record, userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.40.0' }],
    ['with an AWS CLI user agent', { ...record, userAgent: 'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux' }],
    ['with a console user agent', { ...record, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)' }],
    ['from 203.0.113.25', { ...record, sourceIPAddress: '203.0.113.25' }],
    ['from 203.0.114.25', { ...record, sourceIPAddress: '203.0.114.25' }],
    ['renamed DeleteTrail', { ...record, eventName: 'DeleteTrail' }],
    ['renamed DescribeInstances', { ...record, eventName: 'DescribeInstances' }],
    ['as the ci-deployer role from 203.0.113.25', { ...record, userIdentity: roleSession(ACCOUNT, 'ci-deployer'), sourceIPAddress: '203.0.113.25' }],
    ['without userIdentity', without(record, 'userIdentity')],
    ['without sourceIPAddress', without(record, 'sourceIPAddress')],
    ['without userAgent', without(record, 'userAgent')],
    ['without eventName', without(record, 'eventName')],
    ['as the ci-deployer role, without sourceIPAddress', { ...without(record, 'sourceIPAddress'), userIdentity: roleSession(ACCOUNT, 'ci-deployer') }],
  ];
  if (record.userIdentity && typeof record.userIdentity === 'object') {
    out.push(['without sessionContext', { ...record, userIdentity: without(record.userIdentity, 'sessionContext') }]);
    out.push(['without userIdentity.arn', { ...record, userIdentity: without(record.userIdentity, 'arn') }]);
  }
  return out;
}

/** Exclusion sets, and the controls none of whose events (or variants) they can remove. */
const SETS: Array<[string, () => Exclusion[], string[]]> = [
  // Root usage: a role session is never the root user.
  ['principal ARN with a trailing wildcard', () => [Exclusion.principalArn(`arn:aws:iam::${ACCOUNT}:role/terraform-*`)], ['root-account-usage']],
  ['role name', () => [Exclusion.roleName('ci-deployer')], ['root-account-usage']],
  ['user agents with wildcards', () => [Exclusion.userAgent('*terraform*'), Exclusion.userAgent('aws-cli/*')], []],
  ['source IP /24', () => [Exclusion.sourceIp('203.0.113.0/24')], []],
  // The sign-in controls watch ConsoleLogin only; the key control DisableKey and ScheduleKeyDeletion.
  ['event names', () => [Exclusion.eventName('Delete*'), Exclusion.eventName('StopLogging'), Exclusion.eventName('Describe*')], ['console-signin-without-mfa', 'console-auth-failures', 'cmk-disable-or-deletion']],
  ['an account-wide principal ARN (two fields)', () => [Exclusion.principalArn(`arn:aws:iam::${ACCOUNT}:*`)], []],
  ['role name and source IP together', () => [Exclusion.roleName('ci-deployer'), Exclusion.sourceIp('203.0.113.0/24')], []],
  ['JSON fields', () => [
    Exclusion.jsonField('$.userIdentity.accountId', OTHER_ACCOUNT),
    Exclusion.jsonField('$.eventType', 'AwsConsoleSignIn', { controls: [CisControl.ROOT_ACCOUNT_USAGE] }),
  ], []],
  ['every kind at once', () => [
    Exclusion.principalArn(`arn:aws:iam::${ACCOUNT}:role/terraform-*`),
    Exclusion.roleName('ci-deployer'),
    Exclusion.userAgent('*terraform*'),
    Exclusion.userAgent('aws-cli/*'),
    Exclusion.sourceIp('203.0.113.0/24'),
    Exclusion.eventName('Delete*'),
    Exclusion.eventName('Describe*'),
    Exclusion.principalArn(`arn:aws:iam::${ACCOUNT}:*`),
  ], []],
];

function stackIn(region = 'us-east-1'): Stack {
  return new Stack(new App(), 'S', { env: { account: ACCOUNT, region } });
}

function rulesWith(stack: Stack, props: Partial<ConstructorParameters<typeof CisEventRules>[2]>): CisEventRules {
  return new CisEventRules(stack, 'RealTime', { ...props, topic: props.topic ?? new CisAlarmTopic(stack, 'Topic').topic });
}

/** The EventPattern of a control's rule, as it is synthesized. */
function synthesizedPattern(rules: CisEventRules, control: CisControl): EventPattern {
  const cfn = rules.ruleFor(control).node.defaultChild as events.CfnRule;
  return Stack.of(rules).resolve(cfn.eventPattern);
}

/**
 * The pattern expanded as EventBridge compiles it (every `$or` forks the
 * sub-rules built so far): the field paths of each combination. A path
 * named twice in one combination would not be ANDed by EventBridge (the
 * later condition replaces the earlier), so this fails on it.
 */
function combinations(pattern: Record<string, unknown>, prefix = ''): string[][] {
  let acc: string[][] = [[]];
  for (const [field, spec] of Object.entries(pattern)) {
    const alternatives = field === '$or'
      ? (spec as Array<Record<string, unknown>>).flatMap(sub => combinations(sub, prefix))
      : Array.isArray(spec) ? [[`${prefix}${field}`]] : combinations(spec as Record<string, unknown>, `${prefix}${field}.`);
    const next: string[][] = [];
    for (const a of acc) {
      for (const b of alternatives) {
        const twice = b.find(p => a.includes(p));
        if (twice) throw new Error(`${twice} is tested twice in one combination of ${JSON.stringify(pattern)}`);
        next.push([...a, ...b]);
      }
    }
    acc = next;
  }
  return acc;
}

/** Every `$or` has at least two alternatives, and every matcher list is non-empty. */
function checkShape(node: unknown): void {
  if (Array.isArray(node)) {
    expect(node.length).toBeGreaterThan(0);
    return;
  }
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === '$or') {
      expect(Array.isArray(v) && v.length >= 2).toBe(true);
      (v as unknown[]).forEach(checkShape);
    } else {
      checkShape(v);
    }
  }
}

interface Comparison {
  mismatches: string[];
  /** Records the compliance pattern matches and the paging pattern does not. */
  removed: number;
  /** Records the paging pattern matches although they lack an excluded field. */
  keptLackingField: number;
  evaluated: number;
}

function get(record: any, selector: string): unknown {
  let v = record;
  for (const part of selector.slice(2).split('.')) {
    if (v === null || typeof v !== 'object' || !(part in v)) return undefined;
    v = v[part];
  }
  return v;
}

/**
 * The paging filter of a control as the filter-pattern engine runs it. When
 * the compiled pattern exceeds CloudWatch Logs' 1024 characters (many
 * exclusions on a control with a long pattern), it is evaluated as the AND of
 * the one-exclusion paging filters, which is the same condition:
 * `base && (f NOT EXISTS || (f != a && f != b))` equals
 * `(base && (f NOT EXISTS || f != a)) && (base && (f NOT EXISTS || f != b))`.
 */
function pagingFilter(control: CisControl, version: CisBenchmarkVersion, exclusions: Exclusion[]): (line: string) => boolean {
  const deployed = control.definitionIn(version).deployedPattern!;
  let full: string | undefined;
  try {
    full = compileExcludedPattern(deployed, exclusions, control);
  } catch (e) {
    if (!/CloudWatch Logs allows 1024/.test((e as Error).message)) throw e;
  }
  const singles = exclusions.filter(e => e.appliesTo(control)).map(e => FilterPatternEngine.parse(compileExcludedPattern(deployed, [e], control)));
  const conjunction = (line: string) => singles.every(p => p.matches(line));
  if (full === undefined) return conjunction;
  const parsed = FilterPatternEngine.parse(full);
  return line => {
    const result = parsed.matches(line);
    if (singles.length > 0 && result !== conjunction(line)) throw new Error(`The paging filter and the AND of its one-exclusion filters disagree on ${line}`);
    return result;
  };
}

/** Compares a rule's pattern with the control's paging filter on every fixture variant. */
function compare(control: CisControl, version: CisBenchmarkVersion, exclusions: Exclusion[], pattern: EventPattern): Comparison {
  const compliance = FilterPatternEngine.parse(control.definitionIn(version).deployedPattern!);
  const paging = pagingFilter(control, version, exclusions);
  const selectors = exclusions.filter(e => e.appliesTo(control)).flatMap(e => e._conditions.map(c => c.selector));
  const out: Comparison = { mismatches: [], removed: 0, keptLackingField: 0, evaluated: 0 };
  for (const fixture of loadControlFixtureFile(control.key).fixtures) {
    for (const [variant, record] of variants(fixture.record)) {
      const line = JSON.stringify(record);
      const want = paging(line);
      const got = matches(pattern, cloudTrailEvent(record));
      out.evaluated++;
      if (got !== want) out.mismatches.push(`${control.key} (${version.version}): ${fixture.name} / ${variant}: rule ${got}, paging filter ${want}`);
      if (compliance.matches(line) && !want) out.removed++;
      if (want && selectors.some(s => get(record, s) === undefined)) out.keptLackingField++;
    }
  }
  return out;
}

describe('the rule matches exactly what the paging filter matches (CIS 7.0.0, every control)', () => {
  test.each(SETS)('%s', (_name, make, removesNothing) => {
    const exclusions = make();
    const stack = stackIn();
    const rules = rulesWith(stack, { exclusions });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(NOT_EXPRESSIBLE))).toEqual([]);

    const total: Comparison = { mismatches: [], removed: 0, keptLackingField: 0, evaluated: 0 };
    const removedBy: Record<string, number> = {};
    for (const control of CisBenchmarkVersion.LATEST.controls()) {
      const pattern = synthesizedPattern(rules, control);
      expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(MAX_EVENT_PATTERN_LENGTH);
      checkShape(pattern);
      expect(() => combinations(pattern)).not.toThrow();
      expect(rules.exclusionsFor(control)).toEqual(exclusions.filter(e => e.appliesTo(control)));
      const c = compare(control, CisBenchmarkVersion.LATEST, exclusions, pattern);
      total.mismatches.push(...c.mismatches);
      total.removed += c.removed;
      total.keptLackingField += c.keptLackingField;
      total.evaluated += c.evaluated;
      removedBy[control.key] = c.removed;
    }
    expect(total.mismatches).toEqual([]);
    expect(total.evaluated).toBeGreaterThan(3000);
    expect(total.removed).toBeGreaterThan(0);
    expect(total.keptLackingField).toBeGreaterThan(0);
    expect(Object.entries(removedBy).filter(([, n]) => n === 0).map(([k]) => k)).toEqual(removesNothing);
  });
});

describe('every kind at once, in every benchmark version', () => {
  const every = SETS.find(([n]) => n === 'every kind at once')![1];
  test.each(CisBenchmarkVersion.all().map(v => [v.version, v] as const))('CIS %s', (_v, version) => {
    const exclusions = every();
    const stack = stackIn();
    const rules = rulesWith(stack, { exclusions, benchmarkVersion: version });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(NOT_EXPRESSIBLE))).toEqual([]);
    const mismatches = version.controls().flatMap(c => compare(c, version, exclusions, synthesizedPattern(rules, c)).mismatches);
    expect(mismatches).toEqual([]);
  });
});

describe('the patterns', () => {
  test('a control whose pattern does not test the excluded field gets one $or guard, keeping events without the field', () => {
    const stack = stackIn();
    const rules = rulesWith(stack, { exclusions: [Exclusion.roleName('ci-deployer')], controls: [CisControl.VPC_CHANGES] });
    const base = toEventPatternJson(eventPatternFor(CisControl.VPC_CHANGES.definitionIn(CisBenchmarkVersion.LATEST))) as any;
    expect(synthesizedPattern(rules, CisControl.VPC_CHANGES)).toEqual({
      'source': [{ prefix: 'aws.' }],
      'detail-type': ['AWS API Call via CloudTrail'],
      'detail': {
        eventName: base.detail.eventName,
        userIdentity: {
          sessionContext: {
            sessionIssuer: {
              $or: [
                { userName: [{ exists: false }] },
                { userName: [{ 'anything-but': 'ci-deployer' }] },
              ],
            },
          },
        },
      },
    });
  });

  test('prefix values use anything-but prefix; mixed kinds use one anything-but wildcard list', () => {
    const stack = stackIn();
    const rules = rulesWith(stack, {
      controls: [CisControl.VPC_CHANGES],
      exclusions: [Exclusion.userAgent('aws-cli/*'), Exclusion.userAgent('*terraform*'), Exclusion.userAgent('back\\slash'), Exclusion.sourceIp('203.0.113.0/24'), Exclusion.sourceIp('198.51.100.0/24')],
    });
    const p = synthesizedPattern(rules, CisControl.VPC_CHANGES) as any;
    const guards = [p.detail.$or, p.$or];
    expect(guards).toEqual([
      [{ userAgent: [{ exists: false }] }, { userAgent: [{ 'anything-but': { wildcard: ['aws-cli/*', '*terraform*', 'back\\\\slash'] } }] }],
      [{ detail: { sourceIPAddress: [{ exists: false }] } }, { detail: { sourceIPAddress: [{ 'anything-but': { prefix: ['203.0.113.', '198.51.100.'] } }] } }],
    ]);
    // The escaped \ is literal: that user agent is excluded, a longer one is not.
    const event = (ua: string) => cloudTrailEvent({ eventName: 'CreateVpc', eventType: 'AwsApiCall', eventSource: 'ec2.amazonaws.com', userAgent: ua });
    expect(matches(p, event('back\\slash'))).toBe(false);
    expect(matches(p, event('back\\slash2'))).toBe(true);
  });

  test('an event-name exclusion on a control that lists event names removes them from the list (no second condition)', () => {
    const stack = stackIn();
    const rules = rulesWith(stack, { controls: [CisControl.CLOUDTRAIL_CONFIG_CHANGES], exclusions: [Exclusion.eventName('DeleteTrail'), Exclusion.eventName('Start*')] });
    expect(synthesizedPattern(rules, CisControl.CLOUDTRAIL_CONFIG_CHANGES)).toEqual({
      'source': [{ prefix: 'aws.' }],
      'detail-type': ['AWS API Call via CloudTrail'],
      'detail': { eventName: ['CreateTrail', 'UpdateTrail', 'StopLogging'] },
    });
  });

  test('an exclusion on a field the control negates merges into its anything-but; branches without the field are split', () => {
    const stack = stackIn();
    const rules = rulesWith(stack, { controls: [CisControl.UNAUTHORIZED_API_CALLS], exclusions: [Exclusion.eventName('Describe*')] });
    expect(synthesizedPattern(rules, CisControl.UNAUTHORIZED_API_CALLS)).toEqual({
      'source': [{ prefix: 'aws.' }],
      'detail-type': ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'],
      'detail': {
        $or: [
          { errorCode: [{ suffix: 'UnauthorizedOperation' }], eventName: [{ exists: false }] },
          { errorCode: [{ suffix: 'UnauthorizedOperation' }], eventName: [{ 'anything-but': { prefix: 'Describe' } }] },
          {
            errorCode: [{ prefix: 'AccessDenied' }],
            sourceIPAddress: [{ 'anything-but': 'delivery.logs.amazonaws.com' }],
            eventName: [{ 'anything-but': { wildcard: ['HeadBucket', 'Describe*'] } }],
          },
        ],
      },
    });
  });

  test('guards on several fields go into different objects (one $or each), the pattern root included', () => {
    const stack = stackIn();
    const rules = rulesWith(stack, {
      controls: [CisControl.ROOT_ACCOUNT_USAGE],
      exclusions: [Exclusion.sourceIp('203.0.113.0/24'), Exclusion.userAgent('*terraform*')],
    });
    const p = synthesizedPattern(rules, CisControl.ROOT_ACCOUNT_USAGE) as any;
    expect(p.detail.$or).toEqual([{ sourceIPAddress: [{ exists: false }] }, { sourceIPAddress: [{ 'anything-but': { prefix: '203.0.113.' } }] }]);
    expect(p.$or).toEqual([{ detail: { userAgent: [{ exists: false }] } }, { detail: { userAgent: [{ 'anything-but': { wildcard: '*terraform*' } }] } }]);
    expect(combinations(p)).toHaveLength(4);
  });

  test('controls an exclusion does not apply to keep their pattern', () => {
    const stack = stackIn();
    const rules = rulesWith(stack, { exclusions: [Exclusion.roleName('ci-deployer', { controls: [CisControl.VPC_CHANGES] })] });
    for (const c of CisBenchmarkVersion.LATEST.controls().filter(x => x !== CisControl.VPC_CHANGES)) {
      expect(synthesizedPattern(rules, c)).toEqual(toEventPatternJson(eventPatternFor(c.definitionIn(CisBenchmarkVersion.LATEST))));
      expect(rules.exclusionsFor(c)).toEqual([]);
    }
    expect(rules.exclusionsFor(CisControl.VPC_CHANGES).map(e => e.description)).toEqual(['role name ci-deployer']);
  });
});

describe('synthesis', () => {
  test('CisEventRules with exclusions renders valid EventPattern JSON for every rule', () => {
    const stack = stackIn();
    rulesWith(stack, { exclusions: SETS.find(([n]) => n === 'every kind at once')![1]() });
    const rules = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')) as any[];
    expect(rules).toHaveLength(15);
    for (const r of rules) {
      const pattern = r.Properties.EventPattern;
      const text = JSON.stringify(pattern);
      expect(JSON.parse(text)).toEqual(pattern);
      expect(text.length).toBeLessThanOrEqual(MAX_EVENT_PATTERN_LENGTH);
      checkShape(pattern);
      expect(() => combinations(pattern)).not.toThrow();
      // The matcher rejects malformed operators whatever the event.
      expect(() => matches(pattern, cloudTrailEvent({ eventName: 'X' }))).not.toThrow();
      expect(text).toContain('"exists":false');
    }
  });

  test('a role of the app (token ARN) renders as Fn::GetAtt inside the anything-but, also next to wildcard values', () => {
    const stack = stackIn();
    const role = new iam.Role(stack, 'Deployer', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    rulesWith(stack, {
      controls: [CisControl.SECURITY_GROUP_CHANGES, CisControl.VPC_CHANGES],
      exclusions: [
        Exclusion.role(role, { controls: [CisControl.SECURITY_GROUP_CHANGES] }),
        Exclusion.role(role, { controls: [CisControl.VPC_CHANGES] }),
        Exclusion.principalArn(`arn:aws:iam::${ACCOUNT}:role/terraform-*`, { controls: [CisControl.VPC_CHANGES] }),
      ],
    });
    const descriptionOf = (c: CisControl) => Match.stringLikeRegexp(`^CIS ${c.definitionIn(CisBenchmarkVersion.LATEST).recommendationId.replace(/\./g, '\\.')} `);
    const arn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Deployer'), 'Arn'] };
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', {
      Description: descriptionOf(CisControl.SECURITY_GROUP_CHANGES),
      EventPattern: { detail: { userIdentity: { sessionContext: { sessionIssuer: { $or: [{ arn: [{ exists: false }] }, { arn: [{ 'anything-but': arn }] }] } } } } },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      Description: descriptionOf(CisControl.VPC_CHANGES),
      EventPattern: { detail: { userIdentity: { sessionContext: { sessionIssuer: { $or: [{ arn: [{ exists: false }] }, { arn: [{ 'anything-but': { wildcard: [arn, `arn:aws:iam::${ACCOUNT}:role/terraform-*`] } }] }] } } } } },
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(NOT_EXPRESSIBLE))).toEqual([]);
  });
});

describe('exclusions EventBridge cannot express', () => {
  function warnings(stack: Stack) {
    return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(NOT_EXPRESSIBLE)).map(w => String(w.entry.data));
  }

  test('"starts with AccessDenied but is not AccessDeniedException": the rule keeps its full pattern, with a warning naming the control', () => {
    const stack = stackIn();
    const exclusion = Exclusion.jsonField('$.errorCode', 'AccessDeniedException', { controls: [CisControl.UNAUTHORIZED_API_CALLS] });
    const rules = rulesWith(stack, { exclusions: [exclusion, Exclusion.roleName('ci-deployer')] });
    const w = warnings(stack);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/rule of control "unauthorized-api-calls" ignores its exclusions \(\$\.errorCode = AccessDeniedException; role name ci-deployer\)/);
    expect(w[0]).toMatch(/requires \$\.errorCode to be starting with "AccessDenied" and the exclusions remove "AccessDeniedException"; EventBridge allows one condition per field/);
    expect(w[0]).toMatch(/A CisMonitoring paging alarm with the same exclusions still honours them\.\) To tune the rule too, limit the exclusions that cause this to other controls \(Exclusion options controls: \[\.\.\.\]\), or acknowledge this warning/);
    expect(synthesizedPattern(rules, CisControl.UNAUTHORIZED_API_CALLS))
      .toEqual(toEventPatternJson(eventPatternFor(CisControl.UNAUTHORIZED_API_CALLS.definitionIn(CisBenchmarkVersion.LATEST))));
    expect(rules.exclusionsFor(CisControl.UNAUTHORIZED_API_CALLS)).toEqual([]);
    // The other controls still honour the role-name exclusion.
    expect(rules.exclusionsFor(CisControl.VPC_CHANGES).map(e => e.description)).toEqual(['role name ci-deployer']);
  });

  test('a selector with an array index', () => {
    const stack = stackIn();
    rulesWith(stack, { controls: [CisControl.VPC_CHANGES], exclusions: [Exclusion.jsonField('$.resources[0].ARN', 'arn:aws:ec2:*')] });
    expect(warnings(stack)).toEqual([expect.stringMatching(/the exclusion on \$\.resources\[0\]\.ARN indexes an array, which EventBridge patterns cannot address/)]);
  });

  test('an object and a field inside it', () => {
    const stack = stackIn();
    rulesWith(stack, { controls: [CisControl.ROOT_ACCOUNT_USAGE], exclusions: [Exclusion.jsonField('$.userIdentity.type.x', 'y')] });
    expect(warnings(stack)).toEqual([expect.stringMatching(/\$\.userIdentity\.type\.x and the control's condition on \$\.userIdentity\.type name an object and a field inside it/)]);
  });

  test('a pattern longer than EventBridge\'s 2048-character quota', () => {
    const stack = stackIn();
    const many = Array.from({ length: 40 }, (_, i) => Exclusion.principalArn(`arn:aws:iam::${ACCOUNT}:role/some-long-role-name-for-pipeline-${i}`));
    rulesWith(stack, { controls: [CisControl.VPC_CHANGES], exclusions: many });
    expect(warnings(stack)).toEqual([expect.stringMatching(/the pattern would be \d{4} characters long, and EventBridge allows 2048 by default/)]);
  });

  test('token values count at their maximum length', () => {
    const stack = stackIn();
    const roles = Array.from({ length: 12 }, (_, i) => Exclusion.role(new iam.Role(stack, `R${i}`, { assumedBy: new iam.AccountRootPrincipal() })));
    rulesWith(stack, { controls: [CisControl.VPC_CHANGES], exclusions: roles });
    expect(warnings(stack)).toEqual([expect.stringMatching(/characters long \(token values counted at their maximum length\)/)]);
  });

  test('an exact value outside the control\'s prefix and suffix changes nothing, and is honoured', () => {
    const stack = stackIn();
    const exclusion = Exclusion.jsonField('$.errorCode', 'ThrottlingException', { controls: [CisControl.UNAUTHORIZED_API_CALLS] });
    const rules = rulesWith(stack, { controls: [CisControl.UNAUTHORIZED_API_CALLS], exclusions: [exclusion] });
    expect(warnings(stack)).toEqual([]);
    expect(rules.exclusionsFor(CisControl.UNAUTHORIZED_API_CALLS)).toEqual([exclusion]);
    expect(synthesizedPattern(rules, CisControl.UNAUTHORIZED_API_CALLS))
      .toEqual(toEventPatternJson(eventPatternFor(CisControl.UNAUTHORIZED_API_CALLS.definitionIn(CisBenchmarkVersion.LATEST))));
  });
});

describe('intersections with the control\'s conditions (on a pattern of its own)', () => {
  const text = '{ ($.errorCode = "AccessDenied*") || ($.eventName = "ConsoleLogin" && $.errorMessage = "Failed*") || ($.userIdentity.type = "Root" && $.eventType != "AwsServiceEvent") }';
  const translation = translateFilterPattern(text);
  const records = [
    { errorCode: 'AccessDenied' }, { errorCode: 'AccessDeniedException' }, { errorCode: 'AccessDeniedException', eventName: 'ConsoleLogin', errorMessage: 'Failed authentication' },
    { eventName: 'ConsoleLogin', errorMessage: 'Failed' }, { eventName: 'ConsoleLogin', errorMessage: 'Failed authentication', errorCode: 'Throttling' },
    { eventName: 'ConsoleLogin', errorMessage: 'nothing' },
    { userIdentity: { type: 'Root' }, eventType: 'AwsApiCall' }, { userIdentity: { type: 'Root' }, eventType: 'AwsConsoleSignIn' },
    { userIdentity: { type: 'Root' } }, { userIdentity: { type: 'Root' }, eventType: 'AwsServiceEvent' }, { userIdentity: { type: 'Root' }, eventType: 'AwsApiCall', errorCode: 'AccessFoo' },
  ];
  test.each([
    ['a prefix the exclusion covers drops that branch', [Exclusion.jsonField('$.errorCode', 'Access*')]],
    ['anything-but lists merge', [Exclusion.jsonField('$.eventType', 'AwsConsoleSignIn'), Exclusion.jsonField('$.eventType', '*Sign*')]],
    ['values outside every condition', [Exclusion.jsonField('$.errorCode', 'Throttling'), Exclusion.jsonField('$.errorMessage', 'nothing')]],
  ])('%s', (_name, exclusions) => {
    const { pattern, notExpressible } = excludedEventPattern(translation, exclusions, CisControl.UNAUTHORIZED_API_CALLS);
    expect(notExpressible).toBeUndefined();
    expect(() => combinations(pattern)).not.toThrow();
    const paging = FilterPatternEngine.parse(compileExcludedPattern(text, exclusions));
    const verdicts = records.map(r => ({ r, rule: matches(pattern, cloudTrailEvent({ eventType: 'AwsApiCall', ...r })), paging: paging.matches(JSON.stringify({ eventType: 'AwsApiCall', ...r })) }));
    expect(verdicts.filter(v => v.rule !== v.paging)).toEqual([]);
    expect(verdicts.some(v => v.paging)).toBe(true);
  });

  test('the covered prefix is gone from the pattern, and branches without the field are split', () => {
    const { pattern } = excludedEventPattern(translation, [Exclusion.jsonField('$.errorCode', 'Access*')], CisControl.UNAUTHORIZED_API_CALLS);
    expect(JSON.stringify(pattern)).not.toContain('AccessDenied');
    expect(JSON.stringify(pattern).match(/"errorCode":\[\{"exists":false\}\]/g)).toHaveLength(2);
  });

  test('a prefix the exclusion covers only in part cannot be expressed', () => {
    const r = excludedEventPattern(translation, [Exclusion.jsonField('$.errorCode', 'AccessDeniedEx*')], CisControl.UNAUTHORIZED_API_CALLS);
    expect(r.notExpressible).toMatch(/requires \$\.errorCode to be starting with "AccessDenied" and the exclusions remove "AccessDeniedEx\*"/);
    expect(r.pattern).toEqual(toEventPatternJson(translation));
    expect(r.applied).toEqual([]);
  });
});

describe('bad input', () => {
  test('an exclusion limited to a control that has no rule: the error of validateExclusions', () => {
    expect(() => rulesWith(stackIn(), { controls: [CisControl.VPC_CHANGES], exclusions: [Exclusion.roleName('ci', { controls: [CisControl.IAM_POLICY_CHANGES] })] }))
      .toThrow(/The exclusion of role name ci names control "iam-policy-changes", which is not deployed \(deployed: vpc-changes\)\. Remove it from the exclusion's controls or select the control\./);
  });

  test('an event-name exclusion that removes every event of a control', () => {
    expect(() => rulesWith(stackIn(), { controls: [CisControl.CMK_DISABLE_OR_DELETION], exclusions: [Exclusion.eventName('*Key*')] }))
      .toThrow(/removes every event control "cmk-disable-or-deletion" watches \(DisableKey, ScheduleKeyDeletion\)/);
  });

  test('exclusions that remove every event the rule matches by other fields', () => {
    expect(() => rulesWith(stackIn(), { controls: [CisControl.CMK_DISABLE_OR_DELETION], exclusions: [Exclusion.jsonField('$.eventSource', 'kms.amazonaws.com')] }))
      .toThrow(/The exclusions of control "cmk-disable-or-deletion" \(\$\.eventSource = kms\.amazonaws\.com\) remove every event its EventBridge rule matches, so the rule could never fire.*Exclude less, or leave "cmk-disable-or-deletion" out of the exclusions' controls/);
  });

  test('something that is not an Exclusion', () => {
    expect(() => rulesWith(stackIn(), { exclusions: [{ kind: 'ROLE_NAME', value: 'x' } as any] })).toThrow(/create exclusions with the Exclusion factories/);
  });
});

describeIf(requires.moto)('moto\'s EventBridge matcher agrees on the excluded patterns (nested $or, anything-but lists)', () => {
  test('every control, every kind at once, every fixture variant', () => {
    const stack = stackIn();
    const rules = rulesWith(stack, { exclusions: SETS.find(([n]) => n === 'every kind at once')![1]() });
    const cases: Array<[string, EventPattern, object]> = [];
    for (const control of CisBenchmarkVersion.LATEST.controls()) {
      const pattern = synthesizedPattern(rules, control);
      for (const fixture of loadControlFixtureFile(control.key).fixtures) {
        for (const [variant, record] of variants(fixture.record)) cases.push([`${control.key}: ${fixture.name} / ${variant}`, pattern, cloudTrailEvent(record)]);
      }
    }
    const theirs = motoEventPatternMatches(cases.map(([, p, e]) => [p, e] as const));
    const disagreements = cases
      .map(([where, p, e], i) => ({ where, ours: matches(p, e), theirs: theirs[i] }))
      .filter(d => d.ours !== d.theirs)
      .map(d => `${d.where}: matcher ${d.ours}, moto ${d.theirs}`);
    expect(cases.length).toBeGreaterThan(3000);
    expect(disagreements).toEqual([]);
  }, 120_000);
});
