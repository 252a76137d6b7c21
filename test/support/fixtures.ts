/**
 * Loader for the CloudTrail event fixtures in `test/fixtures/events/`.
 *
 * One JSON file per control key (`<key>.json`, for example
 * `iam-policy-changes.json`). Each file holds realistic single CloudTrail
 * records, shaped as CloudTrail delivers them to CloudWatch Logs (one record
 * per log event), each with the result the control's filter pattern must give:
 *
 * ```json
 * {
 *   "control": "unauthorized-api-calls",
 *   "description": "what the control watches",
 *   "reviewedVersions": ["1.2.0", "...", "7.0.0"],
 *   "fixtures": [
 *     {
 *       "name": "S3 HeadBucket AccessDenied from delivery.logs.amazonaws.com",
 *       "expect": false,
 *       "expectByVersion": { "1.2.0": true },
 *       "expectByPattern": { "cis": { "1.3.0": true, "1.4.0": true, "1.5.0": true }, "securityHub": true },
 *       "knownGap": "missed",
 *       "note": "why",
 *       "source": "where the shape comes from (optional)",
 *       "record": { "eventVersion": "1.09", "eventName": "HeadBucket", "...": "..." }
 *     }
 *   ]
 * }
 * ```
 *
 * How the expected result of a fixture is resolved (`expectedMatch`):
 * - `expect`: the result of the **deployed** pattern (`CisControlDefinition.deployedPattern`)
 *   in every version, unless `expectByVersion` names that version.
 * - `expectByVersion`: per-version override of the deployed result, for example
 *   `ModifySecurityGroupRules` (in the list only from 5.0.0).
 * - `expectByPattern[role]`: the result of another text of the same control, as
 *   a boolean (every version that has that text) or a per-version map; where it
 *   says nothing, that text is expected to give the deployed result. Roles:
 *   - `cis`: the verbatim CIS text (`cisPattern`); only tested where it differs
 *     from the deployed text (unauthorized-api-calls 1.3.0-1.5.0).
 *   - `ssoVariant`: the SSO variant (`ssoVariantPattern`, console-signin-without-mfa 1.4.0+).
 *   - `ec2SourceAudit`: the audit-procedure text that puts `$.eventSource = ec2.amazonaws.com &&`
 *     in front (route-table-changes 3.0.0+; found among `otherTranscriptions`).
 *   - `securityHub`: Security Hub's documented pattern (`CisControl.securityHubPattern`),
 *     version-independent, so a boolean; defaults to `expect`.
 * - `knownGap`: the CIS text disagrees with what the control is meant to catch
 *   (in the newest version): `"missed"` (not matched, but should be: for example a
 *   sign-in record without `MFAUsed`) or `"falsePositive"` (matched, but outside the
 *   control's intent: for example API Gateway's `CreateRoute`). `intendedMatch`
 *   applies it; use it for detectors that implement the intent (EventBridge rules,
 *   exclusions) rather than the CIS text.
 *
 * `reviewedVersions` lists the benchmark versions the file's expectations were
 * checked against; the fixture tests fail for a version of the control that is
 * not listed, so adding a benchmark version forces a review of every file.
 *
 * Typical use:
 * ```ts
 * const { positives, negatives } = loadControlFixtures('iam-policy-changes');       // newest version, deployed pattern
 * const v12 = loadControlFixtures('unauthorized-api-calls', CisBenchmarkVersion.V1_2_0);
 * for (const f of positives) expect(myRuleMatches(f.record)).toBe(true);
 * ```
 */
import * as fs from 'fs';
import * as path from 'path';
import { CisBenchmarkVersion } from '../../src/catalog';
import { CompiledFilterPattern, FilterPatternEngine } from '../../src/filter-pattern';

/** Directory holding one `<control key>.json` fixture file per control. */
export const EVENT_FIXTURES_DIR = path.resolve(__dirname, '../fixtures/events');

/** The filter-pattern texts a fixture can carry an expectation for. */
export type PatternRole = 'deployed' | 'cis' | 'ssoVariant' | 'ec2SourceAudit' | 'securityHub';

/** Every role, `deployed` first. */
export const PATTERN_ROLES: readonly PatternRole[] = ['deployed', 'cis', 'ssoVariant', 'ec2SourceAudit', 'securityHub'];

/** A per-role expectation: one result for every version, or a per-version map. */
export type RoleExpectation = boolean | Readonly<Record<string, boolean>>;

/** How the CIS text disagrees with the control's intent (see the module comment). */
export type KnownGap = 'missed' | 'falsePositive';

/** One CloudTrail record with its expected results. */
export interface FixtureEvent {
  /** Unique within its control's file; used in test names. */
  readonly name: string;
  /** The CloudTrail record (a plain JSON object, as in CloudWatch Logs). */
  readonly record: any;
  /** Deployed-pattern result in every version not named in `expectByVersion`. */
  readonly expect: boolean;
  /** Deployed-pattern result per benchmark version (`"1.2.0"`), overriding `expect`. */
  readonly expectByVersion?: Readonly<Record<string, boolean>>;
  /** Results of the control's other texts, where they differ from the deployed result. */
  readonly expectByPattern?: Readonly<Partial<Record<Exclude<PatternRole, 'deployed'>, RoleExpectation>>>;
  /** The CIS text misses this event, or matches it outside the control's intent. */
  readonly knownGap?: KnownGap;
  /** Why the fixture exists or why its expectation is what it is. */
  readonly note?: string;
  /** Where the record's shape comes from, when it mirrors a public capture. */
  readonly source?: string;
}

/** The parsed content of one fixture file. */
export interface ControlFixtureFile {
  readonly control: string;
  readonly description: string;
  /** Benchmark versions whose texts the expectations were reviewed against. */
  readonly reviewedVersions: readonly string[];
  readonly fixtures: readonly FixtureEvent[];
}

/** The fixtures of one control, split by the expected result in one version. */
export interface ControlFixtures {
  readonly key: string;
  /** The version the split was made for. */
  readonly version: string;
  /** Fixtures the pattern of that role and version must match. */
  readonly positives: FixtureEvent[];
  /** Fixtures the pattern of that role and version must not match. */
  readonly negatives: FixtureEvent[];
  /** Every fixture of the file, in file order. */
  readonly all: FixtureEvent[];
}

const KNOWN_VERSIONS = CisBenchmarkVersion.all().map(v => v.version);
const ROLE_OVERRIDES: ReadonlyArray<Exclude<PatternRole, 'deployed'>> = ['cis', 'ssoVariant', 'ec2SourceAudit', 'securityHub'];
const FIXTURE_FIELDS = new Set(['name', 'record', 'expect', 'expectByVersion', 'expectByPattern', 'knownGap', 'note', 'source']);
const cache = new Map<string, ControlFixtureFile>();

/** Control keys that have a fixture file, sorted. */
export function fixtureControlKeys(): string[] {
  return fs.readdirSync(EVENT_FIXTURES_DIR)
    .filter(f => f.endsWith('.json'))
    .map(f => f.slice(0, -'.json'.length))
    .sort();
}

/** Path of a control's fixture file (it may not exist). */
export function fixtureFilePath(key: string): string {
  return path.join(EVENT_FIXTURES_DIR, `${key}.json`);
}

/**
 * Reads and validates one control's fixture file (cached).
 * @throws Error naming the file and the offending fixture when the file is missing or malformed
 */
export function loadControlFixtureFile(key: string): ControlFixtureFile {
  const hit = cache.get(key);
  if (hit) return hit;
  const file = fixtureFilePath(key);
  if (!fs.existsSync(file)) {
    throw new Error(`No event fixtures for control "${key}": expected ${path.relative(process.cwd(), file)}`);
  }
  const parsed = validateFixtureFile(JSON.parse(fs.readFileSync(file, 'utf8')), path.basename(file));
  if (parsed.control !== key) {
    throw new Error(`${path.basename(file)}: "control" is "${parsed.control}", expected "${key}"`);
  }
  cache.set(key, parsed);
  return parsed;
}

/**
 * The fixtures of a control split into positives and negatives by the expected
 * result of one pattern role in one benchmark version.
 *
 * @param key control key, for example `"root-account-usage"`
 * @param version benchmark version (default: the newest, `CisBenchmarkVersion.LATEST`)
 * @param role which text (default: the deployed pattern)
 */
export function loadControlFixtures(
  key: string,
  version: CisBenchmarkVersion | string = CisBenchmarkVersion.LATEST,
  role: PatternRole = 'deployed',
): ControlFixtures {
  const v = versionString(version);
  const all = [...loadControlFixtureFile(key).fixtures];
  return {
    key,
    version: v,
    positives: all.filter(f => expectedMatch(f, v, role)),
    negatives: all.filter(f => !expectedMatch(f, v, role)),
    all,
  };
}

/**
 * The result a pattern text must give on a fixture.
 *
 * @param version benchmark version; ignored for `securityHub` (pass undefined)
 * @param role which text (default: the deployed pattern)
 */
export function expectedMatch(fixture: FixtureEvent, version: CisBenchmarkVersion | string | undefined, role: PatternRole = 'deployed'): boolean {
  if (role === 'securityHub') {
    const o = fixture.expectByPattern?.securityHub;
    return typeof o === 'boolean' ? o : fixture.expect;
  }
  if (version === undefined) throw new Error(`expectedMatch: role "${role}" needs a benchmark version`);
  const v = versionString(version);
  const deployed = fixture.expectByVersion?.[v] ?? fixture.expect;
  if (role === 'deployed') return deployed;
  const o = fixture.expectByPattern?.[role];
  if (o === undefined) return deployed;
  if (typeof o === 'boolean') return o;
  return o[v] ?? deployed;
}

/**
 * What the control is meant to catch (newest version): the deployed result,
 * flipped where `knownGap` says the CIS text misses the event or over-matches it.
 */
export function intendedMatch(fixture: FixtureEvent): boolean {
  if (fixture.knownGap === 'missed') return true;
  if (fixture.knownGap === 'falsePositive') return false;
  return expectedMatch(fixture, CisBenchmarkVersion.LATEST);
}

/** The record as one CloudWatch Logs event line (compact JSON, as CloudTrail delivers it). */
export function fixtureLine(fixture: FixtureEvent): string {
  return JSON.stringify(fixture.record);
}

function versionString(v: CisBenchmarkVersion | string): string {
  return typeof v === 'string' ? v : v.version;
}

/**
 * Checks the shape of a parsed fixture file and returns it typed.
 * @param where file name used in error messages
 * @throws Error describing the first problem found
 */
export function validateFixtureFile(doc: any, where: string): ControlFixtureFile {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('not a JSON object');
  if (typeof doc.control !== 'string' || !doc.control) fail('"control" must be a non-empty string');
  if (typeof doc.description !== 'string') fail('"description" must be a string');
  if (!Array.isArray(doc.reviewedVersions) || doc.reviewedVersions.some((v: unknown) => typeof v !== 'string' || !KNOWN_VERSIONS.includes(v))) {
    fail(`"reviewedVersions" must list benchmark versions (${KNOWN_VERSIONS.join(', ')})`);
  }
  if (!Array.isArray(doc.fixtures) || doc.fixtures.length === 0) fail('"fixtures" must be a non-empty array');
  const names = new Set<string>();
  const checkVersionMap = (m: unknown, what: string) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) fail(`${what} must be an object of version -> boolean`);
    for (const [v, b] of Object.entries(m as object)) {
      if (!KNOWN_VERSIONS.includes(v)) fail(`${what} names unknown version "${v}"`);
      if (typeof b !== 'boolean') fail(`${what}["${v}"] must be a boolean`);
    }
  };
  doc.fixtures.forEach((f: any, i: number) => {
    const at = `fixture #${i}${typeof f?.name === 'string' ? ` ("${f.name}")` : ''}`;
    if (typeof f !== 'object' || f === null) fail(`${at} is not an object`);
    for (const k of Object.keys(f)) if (!FIXTURE_FIELDS.has(k)) fail(`${at} has unknown field "${k}"`);
    if (typeof f.name !== 'string' || !f.name) fail(`${at}: "name" must be a non-empty string`);
    if (names.has(f.name)) fail(`${at}: duplicate name`);
    names.add(f.name);
    if (typeof f.expect !== 'boolean') fail(`${at}: "expect" must be a boolean`);
    if (typeof f.record !== 'object' || f.record === null || Array.isArray(f.record)) fail(`${at}: "record" must be a JSON object`);
    if (f.expectByVersion !== undefined) checkVersionMap(f.expectByVersion, `${at}: expectByVersion`);
    if (f.expectByPattern !== undefined) {
      if (typeof f.expectByPattern !== 'object' || f.expectByPattern === null) fail(`${at}: expectByPattern must be an object`);
      for (const [role, e] of Object.entries(f.expectByPattern)) {
        if (!(ROLE_OVERRIDES as readonly string[]).includes(role)) fail(`${at}: expectByPattern has unknown role "${role}" (known: ${ROLE_OVERRIDES.join(', ')})`);
        if (role === 'securityHub' && typeof e !== 'boolean') fail(`${at}: expectByPattern.securityHub must be a boolean (the Security Hub text has no version)`);
        if (typeof e !== 'boolean') checkVersionMap(e, `${at}: expectByPattern.${role}`);
      }
    }
    if (f.knownGap !== undefined && f.knownGap !== 'missed' && f.knownGap !== 'falsePositive') fail(`${at}: knownGap must be "missed" or "falsePositive"`);
    for (const k of ['note', 'source']) if (f[k] !== undefined && typeof f[k] !== 'string') fail(`${at}: "${k}" must be a string`);
  });
  return doc as ControlFixtureFile;
}

const compiledPatterns = new Map<string, CompiledFilterPattern>();

/** Parses a filter pattern once per text (the fixture suites evaluate the same texts thousands of times). */
export function compilePattern(text: string): CompiledFilterPattern {
  let c = compiledPatterns.get(text);
  if (!c) {
    c = FilterPatternEngine.parse(text);
    compiledPatterns.set(text, c);
  }
  return c;
}
