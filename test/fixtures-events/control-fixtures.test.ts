/**
 * Proves every filter pattern of every CIS version on realistic CloudTrail
 * records (test/fixtures/events/<control>.json, loaded by test/support/fixtures.ts).
 *
 * For every version x control x fixture: the deployed pattern must give the
 * fixture's expected result; so must every other text of the control that the
 * construct or a scanner uses (verbatim CIS text where it differs, the SSO
 * variant, the route-table audit text, Security Hub's text).
 */
import { CisBenchmarkVersion, CisControl, CisControlDefinition } from '../../src/catalog';
import {
  ControlFixtureFile,
  FixtureEvent,
  PatternRole,
  compilePattern,
  expectedMatch,
  fixtureControlKeys,
  fixtureLine,
  intendedMatch,
  loadControlFixtureFile,
  validateFixtureFile,
} from '../support/fixtures';
import { versionsLabel } from '../support/plans';
import { distinctRows } from '../support/tables';

const VERSIONS = CisBenchmarkVersion.all();
const LATEST = CisBenchmarkVersion.LATEST;
const METRIC_CONTROLS = CisControl.all().filter(c => c.isMetricFilter);

const compile = compilePattern;

/** The route-table audit text (3.0.0+) that puts the eventSource clause in front. */
function ec2SourceAuditOf(d: CisControlDefinition): string | undefined {
  return d.otherTranscriptions.find(t => /^\{\s*\(\$\.eventSource = ec2\.amazonaws\.com\)\s*&&/.test(t));
}

interface VersionedPattern {
  readonly role: Exclude<PatternRole, 'securityHub'>;
  readonly text: string;
}

/** The texts of one control in one version that the fixtures are checked against. */
function patternsOf(control: CisControl, version: CisBenchmarkVersion): VersionedPattern[] {
  const d = control.definitionIn(version);
  const out: VersionedPattern[] = [{ role: 'deployed', text: d.deployedPattern! }];
  if (d.cisPattern !== d.deployedPattern) out.push({ role: 'cis', text: d.cisPattern! });
  if (d.ssoVariantPattern) out.push({ role: 'ssoVariant', text: d.ssoVariantPattern });
  const audit = ec2SourceAuditOf(d);
  if (audit) out.push({ role: 'ec2SourceAudit', text: audit });
  return out;
}

/** Versions of a control in which a role's text exists (the only versions an override may name). */
function versionsWithRole(control: CisControl, role: Exclude<PatternRole, 'deployed' | 'securityHub'>): string[] {
  return control.versions().filter(v => patternsOf(control, v).some(p => p.role === role)).map(v => v.version);
}

function evaluate(text: string, f: FixtureEvent): boolean {
  const p = compile(text);
  const viaLine = p.matches(fixtureLine(f));
  // the parsed-record fast path must agree with the raw-line path
  expect(p.matchesRecord(f.record)).toBe(viaLine);
  return viaLine;
}

type Row = [string, string, FixtureEvent, boolean];

interface VersionRow {
  readonly version: string;
  readonly control: CisControl;
  readonly role: string;
  readonly text: string;
  readonly f: FixtureEvent;
  readonly want: boolean;
}

/**
 * Each text of each version on each fixture, one test per distinct input: a
 * text that did not change between versions, with the same expected result
 * on the fixture, is one test named after all its versions.
 */
function versionRows(): Array<[string, VersionRow]> {
  const rows: VersionRow[] = [];
  for (const version of VERSIONS) {
    for (const control of version.controls()) {
      const fixtures = loadControlFixtureFile(control.key).fixtures;
      for (const p of patternsOf(control, version)) {
        for (const f of fixtures) {
          rows.push({ version: version.version, control, role: p.role, text: p.text, f, want: expectedMatch(f, version, p.role) });
        }
      }
    }
  }
  return distinctRows(rows, 'pattern text, fixture and expected result', r => JSON.stringify([r.control.key, r.text, r.f.name, r.want]),
    same => `${versionsLabel(same.map(r => r.version))} ${same[0].control.key} [${[...new Set(same.map(r => r.role))].join(', ')}] ${same[0].f.name} -> ${same[0].want ? 'match' : 'no match'}`);
}
function securityHubRows(): Row[] {
  const rows: Row[] = [];
  for (const control of METRIC_CONTROLS) {
    if (!control.securityHubPattern) continue;
    for (const f of loadControlFixtureFile(control.key).fixtures) {
      const want = expectedMatch(f, undefined, 'securityHub');
      rows.push([`${control.securityHubControlId} ${control.key} ${f.name} -> ${want ? 'match' : 'no match'}`, control.securityHubPattern, f, want]);
    }
  }
  return rows;
}

describe('fixture files', () => {
  test('there is exactly one fixture file per metric-filter control', () => {
    expect(fixtureControlKeys()).toEqual(METRIC_CONTROLS.map(c => c.key).sort());
  });

  test.each(METRIC_CONTROLS.map(c => [c.key, c] as [string, CisControl]))('%s: reviewed for exactly the versions that contain the control', (_key, control) => {
    const file = loadControlFixtureFile(control.key);
    expect([...file.reviewedVersions].sort()).toEqual(control.versions().map(v => v.version).sort());
  });

  test.each(METRIC_CONTROLS.map(c => [c.key, c] as [string, CisControl]))('%s: overrides only name versions and texts that exist', (_key, control) => {
    const file = loadControlFixtureFile(control.key);
    const controlVersions = control.versions().map(v => v.version);
    const problems: string[] = [];
    for (const f of file.fixtures) {
      for (const v of Object.keys(f.expectByVersion ?? {})) {
        if (!controlVersions.includes(v)) problems.push(`${f.name}: expectByVersion names ${v}, where the control does not exist`);
      }
      for (const [role, e] of Object.entries(f.expectByPattern ?? {})) {
        if (role === 'securityHub') {
          if (!control.securityHubPattern) problems.push(`${f.name}: securityHub expectation, but the control has no Security Hub text`);
          continue;
        }
        const withRole = versionsWithRole(control, role as 'cis' | 'ssoVariant' | 'ec2SourceAudit');
        if (withRole.length === 0) problems.push(`${f.name}: ${role} expectation, but no version of the control has that text`);
        if (typeof e !== 'boolean') {
          for (const v of Object.keys(e)) if (!withRole.includes(v)) problems.push(`${f.name}: ${role} expectation for ${v}, which has no such text`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test.each(METRIC_CONTROLS.map(c => [c.key, c] as [string, CisControl]))('%s: knownGap agrees with the newest deployed result', (_key, control) => {
    const wrong = loadControlFixtureFile(control.key).fixtures
      .filter(f => f.knownGap && intendedMatch(f) === expectedMatch(f, LATEST))
      .map(f => f.name);
    expect(wrong).toEqual([]);
  });

  test.each(METRIC_CONTROLS.map(c => [c.key, c] as [string, CisControl]))('%s: records look like CloudTrail records', (_key, control) => {
    const required = ['eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress',
      'userAgent', 'requestParameters', 'eventID', 'eventType', 'recipientAccountId'];
    const problems: string[] = [];
    const ids = new Set<string>();
    for (const f of loadControlFixtureFile(control.key).fixtures) {
      const r = f.record;
      for (const k of required) if (!(k in r)) problems.push(`${f.name}: no ${k}`);
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(r.eventTime)) problems.push(`${f.name}: eventTime ${r.eventTime}`);
      if (!/^[a-z0-9-]+\.amazonaws\.com$/.test(r.eventSource)) problems.push(`${f.name}: eventSource ${r.eventSource}`);
      if (!['AwsApiCall', 'AwsConsoleSignIn', 'AwsServiceEvent'].includes(r.eventType)) problems.push(`${f.name}: eventType ${r.eventType}`);
      if (r.recipientAccountId !== '123456789012') problems.push(`${f.name}: recipientAccountId ${r.recipientAccountId}`);
      if (ids.has(r.eventID)) problems.push(`${f.name}: duplicate eventID`);
      ids.add(r.eventID);
      if (('errorCode' in r) !== ('errorMessage' in r) && r.eventName !== 'ConsoleLogin') problems.push(`${f.name}: errorCode without errorMessage`);
    }
    expect(problems).toEqual([]);
  });

  test('the validator rejects malformed files', () => {
    const good: ControlFixtureFile = loadControlFixtureFile('root-account-usage');
    const bad = (mutate: (d: any) => void) => {
      const d = JSON.parse(JSON.stringify(good));
      mutate(d);
      return () => validateFixtureFile(d, 'x.json');
    };
    expect(bad(() => undefined)).not.toThrow();
    expect(bad(d => { d.fixtures[1].name = d.fixtures[0].name; })).toThrow(/duplicate name/);
    expect(bad(d => { d.fixtures[0].expect = 'yes'; })).toThrow(/"expect" must be a boolean/);
    expect(bad(d => { d.fixtures[0].expectByVersion = { '9.9.9': true }; })).toThrow(/unknown version "9.9.9"/);
    expect(bad(d => { d.fixtures[0].expectByPattern = { remediation: true }; })).toThrow(/unknown role "remediation"/);
    expect(bad(d => { d.fixtures[0].expectByPattern = { securityHub: { '1.2.0': true } }; })).toThrow(/securityHub must be a boolean/);
    expect(bad(d => { d.fixtures[0].expected = true; })).toThrow(/unknown field "expected"/);
    expect(bad(d => { d.fixtures[0].knownGap = 'gap'; })).toThrow(/knownGap/);
    expect(bad(d => { d.reviewedVersions = ['1.2']; })).toThrow(/reviewedVersions/);
  });
});

describe('every version x control has at least one positive and one negative per text', () => {
  interface TextRow {
    readonly label: string;
    readonly versions: string[];
    readonly fixtures: FixtureEvent[];
    readonly want: (f: FixtureEvent) => boolean;
  }
  const all: TextRow[] = [];
  for (const version of VERSIONS) {
    for (const control of version.controls()) {
      for (const p of patternsOf(control, version)) {
        all.push({ label: `${control.key} [${p.role}]`, versions: [version.version], fixtures: [...loadControlFixtureFile(control.key).fixtures], want: f => expectedMatch(f, version, p.role) });
      }
    }
  }
  for (const control of METRIC_CONTROLS) {
    if (control.securityHubPattern) {
      all.push({ label: `${control.securityHubControlId} ${control.key} [securityHub]`, versions: [], fixtures: [...loadControlFixtureFile(control.key).fixtures], want: f => expectedMatch(f, undefined, 'securityHub') });
    }
  }
  // The input is the fixtures' expected results: versions whose expectations are the same are one test.
  const rows = distinctRows(all, 'the expected result of every fixture', r => JSON.stringify([r.label, r.fixtures.map(r.want)]),
    same => `${same[0].versions.length ? `${versionsLabel(same.flatMap(r => r.versions))} ` : ''}${same[0].label}`);

  test('every version has controls and every control has a text (the table below is not empty)', () => {
    expect(VERSIONS.length).toBeGreaterThanOrEqual(10);
    expect(all.length).toBeGreaterThanOrEqual(VERSIONS.length * 14);
  });

  // The counted fixtures are the ones whose result the table-driven tests below assert, so they "really pass" when those pass.
  test.each(rows)('%s', (_label, { fixtures, want }) => {
    const positives = fixtures.filter(want).length;
    expect({ positives: positives >= 1, negatives: fixtures.length - positives >= 1 }).toEqual({ positives: true, negatives: true });
  });
});

describe('every event name a version lists has a positive fixture in that version', () => {
  interface NameRow { readonly version: CisBenchmarkVersion; readonly control: CisControl; readonly name: string }
  const all: NameRow[] = [];
  for (const version of VERSIONS) {
    for (const control of version.controls()) {
      const names = new Set<string>();
      for (const m of control.definitionIn(version).deployedPattern!.matchAll(/\$\.eventName\s*=\s*"?([A-Za-z0-9]+)"?/g)) names.add(m[1]);
      for (const name of names) all.push({ version, control, name });
    }
  }
  /** The fixtures of the name that the version's deployed text is expected to match. */
  const hitsOf = ({ version, control, name }: NameRow) =>
    loadControlFixtureFile(control.key).fixtures.filter(f => f.record.eventName === name && expectedMatch(f, version));
  // The input is the name and which of its fixtures the version expects to match.
  const rows = distinctRows(all, 'event name and the fixtures expected to match it', r => JSON.stringify([r.control.key, r.name, hitsOf(r).map(f => f.name)]),
    same => `${versionsLabel(same.map(r => r.version.version))} ${same[0].control.key} ${same[0].name}`);

  test('the deployed texts list event names (sanity: at least 100 version/name pairs)', () => {
    expect(all.length).toBeGreaterThanOrEqual(100);
  });

  test.each(rows)('%s', (_label, row) => {
    expect(hitsOf(row).map(f => f.name)).not.toEqual([]);
  });

  test.each(METRIC_CONTROLS.filter(c => c.eventNames.length > 0).map(c => [c.key, c] as [string, CisControl]))(
    '%s: every name of CisControl.eventNames has a positive fixture in the newest version', (_key, control) => {
      const fixtures = loadControlFixtureFile(control.key).fixtures;
      const missing = control.eventNames.filter(n => !fixtures.some(f => f.record.eventName === n && expectedMatch(f, LATEST)));
      expect(missing).toEqual([]);
    });
});

describe('filter patterns of every version on the event fixtures', () => {
  test.each(versionRows())('%s', (_label, { text, f, want }) => {
    expect(evaluate(text, f)).toBe(want);
  });
});

describe('Security Hub patterns on the event fixtures', () => {
  test.each(securityHubRows())('%s', (_label, text, fixture, want) => {
    expect(evaluate(text, fixture)).toBe(want);
  });
});

/**
 * The traps of REFERENCE.md, pinned by fixture name so that an edit of the
 * JSON expectations cannot silently drop them. Each asserts engine results.
 */
describe('REFERENCE.md traps', () => {
  const fixture = (key: string, name: string): FixtureEvent => {
    const f = loadControlFixtureFile(key).fixtures.find(x => x.name === name);
    if (!f) throw new Error(`fixture "${name}" missing from ${key}.json`);
    return f;
  };
  const def = (key: string, v: CisBenchmarkVersion) => CisControl.fromKey(key).definitionIn(v);
  const run = (text: string, f: FixtureEvent) => evaluate(text, f);
  const OR_VERSIONS = [CisBenchmarkVersion.V1_3_0, CisBenchmarkVersion.V1_4_0, CisBenchmarkVersion.V1_5_0];
  const AND_VERSIONS = VERSIONS.slice(VERSIONS.indexOf(CisBenchmarkVersion.V2_0_0));
  const UNAUTH = 'unauthorized-api-calls';
  const MFA = 'console-signin-without-mfa';

  test.each(OR_VERSIONS.map(v => [v.version, v] as [string, CisBenchmarkVersion]))(
    'v%s: the verbatim ORed-!= text matches a benign successful call; the deployed text does not', (_v, v) => {
      const benign = fixture(UNAUTH, 'successful EC2 DescribeInstances (benign, no errorCode)');
      expect(run(def(UNAUTH, v).cisPattern!, benign)).toBe(true);
      expect(run(def(UNAUTH, v).deployedPattern!, benign)).toBe(false);
    });

  test('HeadBucket AccessDenied from delivery.logs: matched by 1.2.0 and the verbatim 1.3-1.5 text only', () => {
    const f = fixture(UNAUTH, 'S3 HeadBucket AccessDenied from delivery.logs.amazonaws.com (log delivery probing a bucket)');
    expect(run(def(UNAUTH, CisBenchmarkVersion.V1_2_0).deployedPattern!, f)).toBe(true);
    for (const v of OR_VERSIONS) {
      expect(run(def(UNAUTH, v).deployedPattern!, f)).toBe(false);
      expect(run(def(UNAUTH, v).cisPattern!, f)).toBe(true);
    }
    for (const v of AND_VERSIONS) expect(run(def(UNAUTH, v).deployedPattern!, f)).toBe(false);
    expect(run(CisControl.fromKey(UNAUTH).securityHubPattern!, f)).toBe(true);
  });

  test.each(['EC2 RunInstances denied with Client.UnauthorizedOperation', 'KMS Decrypt denied with AccessDeniedException'])(
    '%s: matched in every version', name => {
      const f = fixture(UNAUTH, name);
      for (const v of VERSIONS) expect(run(def(UNAUTH, v).deployedPattern!, f)).toBe(true);
    });

  test('a ConsoleLogin without MFAUsed is NOT counted (missing field: != is false), a known gap', () => {
    const f = fixture(MFA, 'IAM user sign-in record without the MFAUsed field');
    expect(f.record.additionalEventData).toBeDefined();
    expect('MFAUsed' in f.record.additionalEventData).toBe(false);
    expect(f.knownGap).toBe('missed');
    for (const v of VERSIONS) expect(run(def(MFA, v).deployedPattern!, f)).toBe(false);
  });

  test('MFAUsed "YES" (uppercase) is counted: comparisons are case-sensitive', () => {
    const f = fixture(MFA, 'IAM user sign-in with MFAUsed "YES" (uppercase)');
    for (const v of VERSIONS) expect(run(def(MFA, v).deployedPattern!, f)).toBe(true);
  });

  test.each(['federated sign-in through IAM Identity Center (AssumedRole, MFAUsed No)', 'IAM user failed sign-in (MFAUsed No, Failure)'])(
    '%s: matched by the base text, not by the SSO variant', name => {
      const f = fixture(MFA, name);
      const withSso = VERSIONS.filter(v => def(MFA, v).ssoVariantPattern);
      expect(withSso.map(v => v.version)).toEqual(['1.4.0', '1.5.0', '2.0.0', '3.0.0', '4.0.0', '5.0.0', '6.0.0', '7.0.0']);
      for (const v of withSso) {
        expect(run(def(MFA, v).deployedPattern!, f)).toBe(true);
        expect(run(def(MFA, v).ssoVariantPattern!, f)).toBe(false);
      }
    });

  test.each([
    'root call made on its behalf by a service (userIdentity.invokedBy present)',
    'root-attributed AwsServiceEvent (eventType AwsServiceEvent)',
  ])('root-account-usage: %s is not counted', name => {
    const f = fixture('root-account-usage', name);
    expect(f.record.userIdentity.type).toBe('Root');
    for (const v of VERSIONS) expect(run(def('root-account-usage', v).deployedPattern!, f)).toBe(false);
  });

  test('route tables: the 3.0.0+ audit text guards only CreateRoute with the eventSource clause', () => {
    const withAudit = VERSIONS.filter(v => ec2SourceAuditOf(def('route-table-changes', v)));
    expect(withAudit.map(v => v.version)).toEqual(['3.0.0', '4.0.0', '5.0.0', '6.0.0', '7.0.0']);
    const ec2Create = fixture('route-table-changes', 'CreateRoute (default route to an internet gateway)');
    const apiCreate = fixture('route-table-changes', 'API Gateway CreateRoute (eventSource apigateway, an HTTP API route)');
    const apiDelete = fixture('route-table-changes', 'API Gateway DeleteRoute (eventSource apigateway, an HTTP API route)');
    expect([ec2Create, apiCreate, apiDelete].map(f => f.record.eventSource)).toEqual(['ec2.amazonaws.com', 'apigateway.amazonaws.com', 'apigateway.amazonaws.com']);
    for (const v of withAudit) {
      const audit = ec2SourceAuditOf(def('route-table-changes', v))!;
      const remediation = def('route-table-changes', v).deployedPattern!;
      expect([run(remediation, ec2Create), run(audit, ec2Create)]).toEqual([true, true]);
      expect([run(remediation, apiCreate), run(audit, apiCreate)]).toEqual([true, false]);
      expect([run(remediation, apiDelete), run(audit, apiDelete)]).toEqual([true, true]);
    }
  });

  test('ModifySecurityGroupRules is counted from 5.0.0 only', () => {
    const f = fixture('security-group-changes', 'ModifySecurityGroupRules (edits a rule in place)');
    expect(VERSIONS.filter(v => run(def('security-group-changes', v).deployedPattern!, f)).map(v => v.version))
      .toEqual(['5.0.0', '6.0.0', '7.0.0']);
  });

  test.each(['IAM CreatePolicy (same event name, eventSource iam)', 'IoT AttachPolicy (same event name, eventSource iot)'])(
    'organizations-changes: %s is not counted', name => {
      const f = fixture('organizations-changes', name);
      for (const v of CisControl.ORGANIZATIONS_CHANGES.versions()) expect(run(def('organizations-changes', v).deployedPattern!, f)).toBe(false);
    });
});
