import * as fs from 'fs';
import * as path from 'path';
import { compileInsightsFilter, flattenRecord } from './insights-evaluator';
import { CisBenchmarkVersion, CisControl } from '../../src/catalog';
import { FilterPatternEngine } from '../../src/filter-pattern';
import { fieldName, insightsFilterFor } from '../../src/filter-pattern/translate/insights';
import { loadControlFixtures } from '../support/fixtures';
import { PATTERN_AND_FIXTURES, controlInsightsQuery, versionControlRows } from '../support/plans';
import { hasShared, sharedPath, testIfShared } from '../support/shared';

const CORPUS = ['corpus', 'stratus-red-team'];
const corpus: Array<{ file: string; record: any }> = hasShared(...CORPUS)
  ? fs.readdirSync(sharedPath(...CORPUS)).filter(f => f.endsWith('.json')).sort()
    .flatMap(f => (JSON.parse(fs.readFileSync(path.join(sharedPath(...CORPUS), f), 'utf8')) as any[]).map(record => ({ file: f, record })))
  : [];

const allFixtureRecords = CisBenchmarkVersion.LATEST.controls()
  .flatMap(c => loadControlFixtures(c.key).all.map(f => ({ where: `${c.key}: ${f.name}`, record: f.record })));

// Versions whose deployed text and fixture expectations are the same are one input, one block.
const cases = versionControlRows(PATTERN_AND_FIXTURES.by, PATTERN_AND_FIXTURES.keyOf);

describe.each(cases)('%s: the Logs Insights filter selects what the filter pattern matches', (_label, { version: v, control }) => {
  const key = control.key;
  const definition = control.definitionIn(v);
  const translated = insightsFilterFor(definition.deployedPattern!);
  const insights = compileInsightsFilter(translated.expression);
  const engine = FilterPatternEngine.parse(definition.deployedPattern!);
  const fixtures = loadControlFixtures(key, v);

  test('exact (no caveat)', () => {
    expect(translated.caveats).toEqual([]);
  });

  test('selects every positive and no negative fixture', () => {
    expect(fixtures.positives.filter(f => !insights(f.record)).map(f => f.name)).toEqual([]);
    expect(fixtures.negatives.filter(f => insights(f.record)).map(f => f.name)).toEqual([]);
  });

  test('agrees with the filter-pattern engine on every fixture of every control', () => {
    expect(allFixtureRecords.filter(r => insights(r.record) !== engine.matchesRecord(r.record)).map(r => r.where)).toEqual([]);
  });

  testIfShared(...CORPUS)('agrees with the filter-pattern engine on the Stratus Red Team corpus', () => {
    expect(corpus.length).toBeGreaterThan(300);
    expect(corpus.filter(c => insights(c.record) !== engine.matchesRecord(c.record)).map(c => c.file)).toEqual([]);
  });
});

describe('emitted Insights syntax', () => {
  const expr = (p: string) => insightsFilterFor(p).expression;

  test.each([
    ['{ $.a = "x" }', 'a = "x"'],
    ['{ $.a != "x" }', '(ispresent(a) and a != "x")'],
    ['{ $.a = x* }', 'a like /^x/'],
    ['{ $.a = "*x.y" }', 'a like /x\\.y$/'],
    ['{ $.a = "*x/y*" }', 'a like /x\\/y/'],
    ['{ $.a != "x*" }', '(ispresent(a) and a not like /^x/)'],
    ['{ $.a NOT EXISTS }', 'not ispresent(a)'],
    ['{ $.a = "*" }', 'ispresent(a)'],
    ['{ $.a = 5 }', 'a = 5'],
    ['{ $.a >= 5 }', 'a >= 5'],
    ['{ $.a != 5 }', '(ispresent(a) and a != 5)'],
    ['{ $.a = %ab+c% }', 'a like /ab+c/'],
    ['{ $.a = "q\\"uote" }', 'a = "q\\"uote"'],
    ['{ $.a.b[0].c = "x" }', '`a.b.0.c` = "x"'],
    ['{ $.a = "x" || $.a = "y" }', 'a in ["x", "y"]'],
    ['{ $.a = "x" || $.b = "y" }', 'a = "x" or b = "y"'],
    ['{ $.s = "k" && ($.a = "x" || $.b = "y") }', 's = "k" and (a = "x" or b = "y")'],
    ['{ ($.a = "x" && $.b = "y") || $.c = "z" }', '(a = "x" and b = "y") or c = "z"'],
  ])('%s => %s', (pattern, expected) => {
    expect(expr(pattern)).toBe(expected);
    compileInsightsFilter(expected); // parses in the evaluator's grammar
  });

  test('IS NULL / TRUE / FALSE are left out, with a caveat', () => {
    const t = insightsFilterFor('{ $.a = "x" && $.b IS NULL }');
    expect(t.expression).toBe('a = "x"');
    expect(t.caveats.join(' ')).toMatch(/\$\.b IS NULL has no Logs Insights equivalent/);
    expect(insightsFilterFor('{ $.b IS TRUE }').expression).toBe('ispresent(eventName)');
    expect(insightsFilterFor('{ $.a = "x" || $.b IS FALSE }').expression).toBe('ispresent(eventName)');
  });

  test('non-JSON patterns are refused', () => {
    expect(() => insightsFilterFor('ERROR')).toThrow(/Only JSON filter patterns .*got a terms pattern: ERROR/);
  });

  test('fieldName backticks names with indexes or special characters', () => {
    expect(fieldName(['userIdentity', 'type'])).toBe('userIdentity.type');
    expect(fieldName(['a', 0, 'b'])).toBe('`a.0.b`');
    expect(fieldName(['x-y'])).toBe('`x-y`');
  });

  test('evaluator flattening mirrors Insights field discovery', () => {
    expect([...flattenRecord({ a: { b: [{ c: 1 }, 'x'] }, n: null })]).toEqual([['a.b.0.c', 1], ['a.b.1', 'x'], ['n', null]]);
  });

  test('the translated filters differ from a naive one exactly where !=/absent fields matter', () => {
    // A sign-in without additionalEventData.MFAUsed: CloudWatch does not match (false on absent fields), nor does the translation.
    const noMfaField = { eventName: 'ConsoleLogin', additionalEventData: {} };
    const t = compileInsightsFilter(insightsFilterFor('{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }').expression);
    expect(t(noMfaField)).toBe(false);
    expect(t({ eventName: 'ConsoleLogin', additionalEventData: { MFAUsed: 'No' } })).toBe(true);
  });
});

describe('insightsQueryFor (for alarm descriptions)', () => {
  test('one line, filter first, newest events first', () => {
    expect(controlInsightsQuery(CisControl.ROOT_ACCOUNT_USAGE, CisBenchmarkVersion.V7_0_0)).toBe(
      'filter userIdentity.type = "Root" and not ispresent(userIdentity.invokedBy) and (ispresent(eventType) and eventType != "AwsServiceEvent")'
      + ' | fields @timestamp, eventName, userIdentity.arn, sourceIPAddress, errorCode | sort @timestamp desc | limit 100');
  });

  test('short enough to share a 1024-character alarm description for every control and version', () => {
    const lengths = CisBenchmarkVersion.all().flatMap(v => v.controls().map(c => controlInsightsQuery(c, v).length));
    expect(Math.max(...lengths)).toBeLessThanOrEqual(700);
    for (const v of CisBenchmarkVersion.all()) {
      for (const c of v.controls()) expect(controlInsightsQuery(c, v)).not.toContain('\n');
    }
  });

  test('a control outside the version is an error naming the versions', () => {
    expect(() => controlInsightsQuery(CisControl.ORGANIZATIONS_CHANGES, CisBenchmarkVersion.V1_2_0)).toThrow(/not part of CIS v1\.2\.0/);
  });
  test('a control without a filter pattern is an error', () => {
    expect(() => controlInsightsQuery(CisControl.SECURITY_HUB_ENABLED, CisBenchmarkVersion.V5_0_0)).toThrow(/"security-hub-enabled" is not a metric-filter control/);
  });
});
