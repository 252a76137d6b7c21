import * as fs from 'fs';
import * as path from 'path';
import { CisBenchmarkVersion, CisControl } from '../../src/catalog';
import { FilterPatternEngine } from '../../src/filter-pattern';
import {
  API_CALL_DETAIL_TYPE, CONSOLE_SIGN_IN_DETAIL_TYPE, toEventPatternJson, translateFilterPattern,
} from '../../src/filter-pattern/translate/event-pattern';
import { cloudTrailEvent, matches } from '../support/event-pattern-matcher';
import { loadControlFixtures } from '../support/fixtures';
import { PATTERN_AND_FIXTURES, eventPatternFor, versionControlRows } from '../support/plans';
import { sharedPath, testIfShared } from '../support/shared';

const CORPUS_DIR = ['corpus', 'stratus-red-team'];

let corpus: Array<{ file: string; record: any }> | undefined;
function corpusRecords(): Array<{ file: string; record: any }> {
  const dir = sharedPath(...CORPUS_DIR);
  return corpus ??= fs.readdirSync(dir).filter(f => f.endsWith('.json')).sort()
    .flatMap(f => (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as any[]).map(record => ({ file: f, record })));
}

const rulePattern = (text: string) => toEventPatternJson(translateFilterPattern(text));

// Versions whose deployed text and fixture expectations are the same are one input, one block.
const cases = versionControlRows(PATTERN_AND_FIXTURES.by, PATTERN_AND_FIXTURES.keyOf);

describe.each(cases)('%s: the EventBridge rule agrees with the filter pattern', (_label, { version: v, control }) => {
  const key = control.key;
  const definition = control.definitionIn(v);
  const translation = eventPatternFor(definition);
  const pattern = toEventPatternJson(translation);
  const engine = FilterPatternEngine.parse(definition.deployedPattern!);
  const fixtures = loadControlFixtures(key, v);

  test('translates exactly (no caveat beyond the general ones)', () => {
    expect(translation.caveats).toEqual([]);
  });

  test('matches every positive fixture', () => {
    expect(fixtures.positives.length).toBeGreaterThan(0);
    const missed = fixtures.positives.filter(f => !matches(pattern, cloudTrailEvent(f.record))).map(f => f.name);
    expect(missed).toEqual([]);
  });

  test('matches no negative fixture', () => {
    expect(fixtures.negatives.length).toBeGreaterThan(0);
    const wrong = fixtures.negatives.filter(f => matches(pattern, cloudTrailEvent(f.record))).map(f => f.name);
    expect(wrong).toEqual([]);
  });

  const disagreements = (records: Array<{ where: string; record: any }>) => records
    .filter(r => engine.matchesRecord(r.record) !== matches(pattern, cloudTrailEvent(r.record)))
    .map(r => `${r.where} (filter ${engine.matchesRecord(r.record)})`);

  test('gives the filter pattern\'s result on every fixture of every control', () => {
    const records = CisBenchmarkVersion.LATEST.controls().flatMap(c => loadControlFixtures(c.key).all.map(f => ({ where: `${c.key}: ${f.name}`, record: f.record })));
    expect(records.length).toBeGreaterThan(100);
    expect(disagreements(records)).toEqual([]);
  });

  testIfShared(...CORPUS_DIR)('gives the filter pattern\'s result on the Stratus Red Team corpus', () => {
    const records = corpusRecords().map(r => ({ where: r.file, record: r.record }));
    expect(records.length).toBeGreaterThan(300);
    expect(disagreements(records)).toEqual([]);
  });
});

describe('translated patterns, control by control (CIS 7.0.0 unless stated)', () => {
  const latest = (c: CisControl) => toEventPatternJson(eventPatternFor(c.definitionIn(CisBenchmarkVersion.LATEST)));

  test('unauthorized API calls 7.0.0: A || (B && C && D) becomes a $or inside detail', () => {
    expect(latest(CisControl.UNAUTHORIZED_API_CALLS)).toEqual({
      'source': [{ prefix: 'aws.' }],
      'detail-type': [API_CALL_DETAIL_TYPE, CONSOLE_SIGN_IN_DETAIL_TYPE],
      'detail': {
        $or: [
          { errorCode: [{ suffix: 'UnauthorizedOperation' }] },
          {
            errorCode: [{ prefix: 'AccessDenied' }],
            sourceIPAddress: [{ 'anything-but': 'delivery.logs.amazonaws.com' }],
            eventName: [{ 'anything-but': 'HeadBucket' }],
          },
        ],
      },
    });
  });

  test('unauthorized API calls 1.3.0 (deployed intended form): (A || B) && C && D needs no $or', () => {
    const p = toEventPatternJson(eventPatternFor(CisControl.UNAUTHORIZED_API_CALLS.definitionIn(CisBenchmarkVersion.V1_3_0)));
    expect(p.detail).toEqual({
      errorCode: [{ suffix: 'UnauthorizedOperation' }, { prefix: 'AccessDenied' }],
      sourceIPAddress: [{ 'anything-but': 'delivery.logs.amazonaws.com' }],
      eventName: [{ 'anything-but': 'HeadBucket' }],
    });
  });

  test('console sign-in without MFA: sign-in detail-type only, anything-but on MFAUsed', () => {
    expect(latest(CisControl.CONSOLE_SIGNIN_WITHOUT_MFA)).toEqual({
      'source': [{ prefix: 'aws.' }],
      'detail-type': [CONSOLE_SIGN_IN_DETAIL_TYPE],
      'detail': { eventName: ['ConsoleLogin'], additionalEventData: { MFAUsed: [{ 'anything-but': 'Yes' }] } },
    });
  });

  test('root usage: exists:false for NOT EXISTS, both detail-types', () => {
    expect(latest(CisControl.ROOT_ACCOUNT_USAGE)).toEqual({
      'source': [{ prefix: 'aws.' }],
      'detail-type': [API_CALL_DETAIL_TYPE, CONSOLE_SIGN_IN_DETAIL_TYPE],
      'detail': {
        userIdentity: { type: ['Root'], invokedBy: [{ exists: false }] },
        eventType: [{ 'anything-but': 'AwsServiceEvent' }],
      },
    });
  });

  test('KMS keys: source pinned from eventSource, event names merged', () => {
    expect(latest(CisControl.CMK_DISABLE_OR_DELETION)).toEqual({
      'source': ['aws.kms'],
      'detail-type': [API_CALL_DETAIL_TYPE],
      'detail': { eventSource: ['kms.amazonaws.com'], eventName: ['DisableKey', 'ScheduleKeyDeletion'] },
    });
  });

  test('Organizations: source aws.organizations and the 18 event names', () => {
    const p = latest(CisControl.ORGANIZATIONS_CHANGES);
    expect(p.source).toEqual(['aws.organizations']);
    expect((p.detail as any).eventName).toEqual(CisControl.ORGANIZATIONS_CHANGES.eventNames);
  });

  test('IAM policy changes: no source (the CIS text does not name one), the 16 event names', () => {
    const p = latest(CisControl.IAM_POLICY_CHANGES);
    expect(p.source).toEqual([{ prefix: 'aws.' }]); // any AWS service: no made-up source
    expect(p.detail).toEqual({ eventName: CisControl.IAM_POLICY_CHANGES.eventNames });
  });

  test('every control\'s event names equal the catalog\'s derived eventNames where it lists them', () => {
    for (const c of CisBenchmarkVersion.LATEST.controls()) {
      if (c.eventNames.length === 0) continue;
      expect({ key: c.key, names: [...((latest(c).detail as any).eventName as string[])].sort() })
        .toEqual({ key: c.key, names: [...c.eventNames].sort() });
    }
  });

  test('the route-table audit text (eventSource bound to the first OR term) keeps that binding', () => {
    const audit = CisControl.ROUTE_TABLE_CHANGES.definitionIn(CisBenchmarkVersion.V3_0_0).otherTranscriptions
      .find(t => t.includes('eventSource'))!;
    const p = rulePattern(audit) as any;
    expect(p.source).toEqual([{ prefix: 'aws.' }]); // any AWS service: no made-up source
    expect(p.detail.$or).toEqual(expect.arrayContaining([{ eventSource: ['ec2.amazonaws.com'], eventName: ['CreateRoute'] }]));
    expect(matches(p, cloudTrailEvent({ eventType: 'AwsApiCall', eventSource: 'ec2.amazonaws.com', eventName: 'CreateRoute' }))).toBe(true);
    expect(matches(p, cloudTrailEvent({ eventType: 'AwsApiCall', eventSource: 'apigateway.amazonaws.com', eventName: 'CreateRoute' }))).toBe(false);
    expect(matches(p, cloudTrailEvent({ eventType: 'AwsApiCall', eventSource: 'apigateway.amazonaws.com', eventName: 'DeleteRoute' }))).toBe(true);
  });
});

describe('translateFilterPattern: leaf by leaf', () => {
  const detail = (text: string) => translateFilterPattern(text).detail;

  test.each([
    ['{ $.a = "x" }', { a: ['x'] }],
    ['{ $.a = x* }', { a: [{ prefix: 'x' }] }],
    ['{ $.a = "*x" }', { a: [{ suffix: 'x' }] }],
    ['{ $.a = "*x*y*" }', { a: [{ wildcard: '*x\\*y*' }] }],
    ['{ $.a != "x" }', { a: [{ 'anything-but': 'x' }] }],
    ['{ $.a != "x*" }', { a: [{ 'anything-but': { prefix: 'x' } }] }],
    ['{ $.a != "*x" }', { a: [{ 'anything-but': { suffix: 'x' } }] }],
    ['{ $.a != "*x*" }', { a: [{ 'anything-but': { wildcard: '*x*' } }] }],
    ['{ $.a = "*" }', { a: [{ exists: true }] }],
    ['{ $.a NOT EXISTS }', { a: [{ exists: false }] }],
    ['{ $.a IS NULL }', { a: [null] }],
    ['{ $.a IS TRUE }', { a: [true] }],
    ['{ $.a IS FALSE }', { a: [false] }],
    ['{ $.a = 5 }', { a: [{ numeric: ['=', 5] }] }],
    ['{ $.a != 5 }', { a: [{ 'anything-but': 5 }] }],
    ['{ $.a >= 5 }', { a: [{ numeric: ['>=', 5] }] }],
    ['{ $.a < 1.5 }', { a: [{ numeric: ['<', 1.5] }] }],
    ['{ $.a = "400" }', { a: ['400', { numeric: ['=', 400] }] }],
    ['{ $.a.b.c = "x" }', { a: { b: { c: ['x'] } } }],
  ])('%s', (text, expected) => {
    expect(detail(text)).toEqual(expected);
  });

  test('OR on one field becomes one value list; OR across fields a $or', () => {
    expect(detail('{ $.a = "x" || $.a = "y" }')).toEqual({ a: ['x', 'y'] });
    expect(detail('{ $.a = "x" || $.b = "y" }')).toEqual({ $or: [{ a: ['x'] }, { b: ['y'] }] });
  });

  test('exists tests are never merged into a value list (kept as $or branches)', () => {
    expect(detail('{ $.a NOT EXISTS || $.a != "x" }')).toEqual({ $or: [{ a: [{ exists: false }] }, { a: [{ 'anything-but': 'x' }] }] });
  });

  test('conditions shared by every alternative are hoisted out of the $or', () => {
    expect(detail('{ $.s = "k" && ($.a = "x" || $.b = "y") }')).toEqual({ s: ['k'], $or: [{ a: ['x'] }, { b: ['y'] }] });
  });

  test('AND of two ORs across fields distributes into a $or of conjunctions', () => {
    const d = detail('{ ($.a = "p" || $.b = "q") && ($.c = "r" || $.d = "s") }') as any;
    expect(d.$or).toHaveLength(4);
    expect(d.$or).toEqual(expect.arrayContaining([{ a: ['p'], c: ['r'] }, { b: ['q'], d: ['s'] }]));
  });

  test('an OR that is always true given the shared conditions collapses', () => {
    expect(detail('{ $.s = "k" && ($.s = "k" || $.b = "y") }')).toEqual({ s: ['k'] });
  });

  test('two exact conditions on one field are intersected', () => {
    expect(detail('{ ($.a = "x" || $.a = "y") && ($.a = "y" || $.a = "z") }')).toEqual({ a: ['y'] });
  });

  test('two non-exact conditions on one field keep the first and say so', () => {
    const t = translateFilterPattern('{ $.a = "x*" && $.a != "xy" }');
    expect(t.detail).toEqual({ a: [{ prefix: 'x' }] });
    expect(t.caveats.join(' ')).toMatch(/Two conditions on \$\.a .*only the first is kept/);
  });

  test('an array index is left out (broader), with a caveat', () => {
    const t = translateFilterPattern('{ $.e = "x" && $.a[0].b = "y" }');
    expect(t.detail).toEqual({ e: ['x'] });
    expect(t.caveats.join(' ')).toMatch(/\$\.a\[0\]\.b indexes an array/);
  });

  test('a regex value is left out (broader), with a caveat', () => {
    const t = translateFilterPattern('{ $.e = "x" && $.a = %ab+c% }');
    expect(t.detail).toEqual({ e: ['x'] });
    expect(t.caveats.join(' ')).toMatch(/regex value %ab\+c% .*no EventBridge equivalent/);
  });

  test('a pattern that would match every event is refused', () => {
    expect(() => translateFilterPattern('{ $.a = %x% || $.e = "y" }')).toThrow(/without matching every CloudTrail event/);
  });

  test('term and space-delimited patterns are refused with the pattern shown', () => {
    expect(() => translateFilterPattern('ERROR')).toThrow(/Only JSON filter patterns .* got a terms pattern: ERROR/);
    expect(() => translateFilterPattern('[ip, user]')).toThrow(/got a spaceDelimited pattern/);
  });

  test('a field tested both as a value and as an object is refused', () => {
    expect(() => translateFilterPattern('{ $.a = "x" && $.a.b = "y" }')).toThrow(/tests both \$\.a and fields below it/);
  });

  test('an over-complex pattern is refused', () => {
    const ors = Array.from({ length: 9 }, (_, i) => `($.a${i} = "1" || $.b${i} = "2")`).join(' && ');
    expect(() => translateFilterPattern(`{ ${ors} }`)).toThrow(/too complex/);
  });

  test('sign-in detail-type follows the event names', () => {
    expect(translateFilterPattern('{ $.eventName = "ConsoleLogin" }').detailType).toEqual([CONSOLE_SIGN_IN_DETAIL_TYPE]);
    expect(translateFilterPattern('{ $.eventName = "ConsoleLogin" || $.eventName = "CreateUser" }').detailType)
      .toEqual([API_CALL_DETAIL_TYPE, CONSOLE_SIGN_IN_DETAIL_TYPE]);
    expect(translateFilterPattern('{ $.eventName = "CreateUser" }').detailType).toEqual([API_CALL_DETAIL_TYPE]);
  });

  test('source is pinned only for known services and only when every branch pins it', () => {
    expect(translateFilterPattern('{ $.eventSource = "monitoring.amazonaws.com" }').source).toBeUndefined();
    expect(translateFilterPattern('{ $.eventSource = "s3.amazonaws.com" || $.eventName = "X" }').source).toBeUndefined();
    expect(translateFilterPattern('{ $.eventSource = "s3.amazonaws.com" || $.eventSource = "iam.amazonaws.com" }').source).toEqual(['aws.s3', 'aws.iam']);
  });
});

describe('events a customer made up', () => {
  // PutEvents refuses `aws.` sources to customers, so every rule accepts AWS services' sources only: a made-up event that
  // copies CloudTrail's detail type and a real record's detail (on the default bus, or forwarded to a security account's bus) matches none.
  test.each(CisBenchmarkVersion.LATEST.controls().map(c => [c.key]))('%s: a positive fixture matches as AWS sent it and not with a custom source', key => {
    const control = CisControl.fromKey(key);
    const pattern = toEventPatternJson(eventPatternFor(control.definitionIn(CisBenchmarkVersion.LATEST)));
    const [positive] = loadControlFixtures(key).positives;
    const genuine = cloudTrailEvent(positive.record);
    expect(matches(pattern, genuine)).toBe(true);
    for (const source of ['com.example.forged', 'aws', 'AWS.iam', `x${genuine.source}`]) {
      expect(matches(pattern, { ...genuine, source })).toBe(false);
    }
  });
});
