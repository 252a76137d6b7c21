import { CompiledFilterPattern, FilterPatternEngine, FilterPatternKind } from '../../src/filter-pattern';
import { compileFilterPatternAst } from '../../src/filter-pattern/evaluator';
import { parseFilterPatternAst } from '../../src/filter-pattern/parser';

/**
 * Shorthand: does `pattern` match the raw `event` line? Also checks that the
 * record fast path and the closure evaluator (no code generation) agree.
 */
function m(pattern: string, event: string | object): boolean {
  const line = typeof event === 'string' ? event : JSON.stringify(event);
  const compiled = FilterPatternEngine.parse(pattern);
  const viaLine = compiled.matches(line);
  const closures = compileFilterPatternAst(parseFilterPatternAst(pattern), { codegen: false });
  expect(closures.matchLine(line)).toBe(viaLine);
  if (typeof event !== 'string') {
    expect(compiled.matchesRecord(event, line)).toBe(viaLine);
    expect(closures.matchRecord(event, line)).toBe(viaLine);
  }
  return viaLine;
}

/** The message parse() throws for `pattern` (fails the test when it parses). */
function syntaxError(pattern: string): string {
  try {
    FilterPatternEngine.parse(pattern);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected a syntax error for: ${pattern}`);
}

function expectSyntaxError(pattern: string, position: number, reason: RegExp | string): void {
  const message = syntaxError(pattern);
  const firstLine = message.split('\n')[0];
  expect(firstLine).toMatch(new RegExp(`^Invalid filter pattern at position ${position}: `));
  if (typeof reason === 'string') {
    expect(firstLine).toContain(reason);
  } else {
    expect(firstLine).toMatch(reason);
  }
  // validate() reports the same message
  expect(FilterPatternEngine.validate(pattern)).toBe(message);
}

describe('kinds, text and regexCount', () => {
  test.each([
    ['', FilterPatternKind.EMPTY],
    ['   ', FilterPatternKind.EMPTY],
    ['ERROR', FilterPatternKind.TERMS],
    ['"a b" ?c -d', FilterPatternKind.TERMS],
    ['%AUTH%', FilterPatternKind.TERMS],
    ['{ $.a = 1 }', FilterPatternKind.JSON],
    ['  {$.a=1}  ', FilterPatternKind.JSON],
    ['[a, b]', FilterPatternKind.SPACE_DELIMITED],
  ])('%j is %s', (pattern, kind) => {
    const p = FilterPatternEngine.parse(pattern);
    expect(p.kind).toBe(kind);
    expect(p.text).toBe(pattern);
    expect(p).toBeInstanceOf(CompiledFilterPattern);
  });

  test('regexCount counts %regex% values', () => {
    expect(FilterPatternEngine.parse('{ $.a = 1 }').regexCount).toBe(0);
    expect(FilterPatternEngine.parse('{ $.a = %x% }').regexCount).toBe(1);
    expect(FilterPatternEngine.parse('{ $.a = %x% || $.b != %^y$% }').regexCount).toBe(2);
    expect(FilterPatternEngine.parse('%AUTH%').regexCount).toBe(1);
    expect(FilterPatternEngine.parse('[a = %^1%, b]').regexCount).toBe(1);
  });

  test('validate() returns undefined for valid patterns', () => {
    expect(FilterPatternEngine.validate('{ $.a = 1 }')).toBeUndefined();
    expect(FilterPatternEngine.validate('')).toBeUndefined();
    expect(FilterPatternEngine.validate('ERROR -DEBUG')).toBeUndefined();
  });

  test('a pattern longer than 1024 characters is not a syntax error here', () => {
    const long = '{ ' + Array.from({ length: 60 }, (_, i) => `$.eventName = "SomeLongEventName${i}"`).join(' || ') + ' }';
    expect(long.length).toBeGreaterThan(1024);
    expect(FilterPatternEngine.validate(long)).toBeUndefined();
    expect(m(long, { eventName: 'SomeLongEventName59' })).toBe(true);
  });
});

describe('JSON: string equality and case sensitivity', () => {
  const e = { eventName: 'ConsoleLogin', eventSource: 'signin.amazonaws.com' };
  test('quoted and unquoted values', () => {
    expect(m('{ $.eventName = "ConsoleLogin" }', e)).toBe(true);
    expect(m('{ $.eventName = ConsoleLogin }', e)).toBe(true);
    expect(m('{$.eventName=ConsoleLogin}', e)).toBe(true);
    expect(m('{ $.eventSource = signin.amazonaws.com }', e)).toBe(true);
    expect(m('{ $.eventName = "Console" }', e)).toBe(false);
  });
  test('case-sensitive values and selectors', () => {
    expect(m('{ $.eventName = "consolelogin" }', e)).toBe(false);
    expect(m('{ $.EventName = "ConsoleLogin" }', e)).toBe(false);
  });
  test('!= on a present field', () => {
    expect(m('{ $.eventName != "ConsoleLogin" }', e)).toBe(false);
    expect(m('{ $.eventName != "GetObject" }', e)).toBe(true);
  });
  test('escaped quotes and backslashes in a quoted value', () => {
    expect(m('{ $.msg = "say \\"hi\\"" }', { msg: 'say "hi"' })).toBe(true);
    expect(m('{ $.path = "C:\\\\temp" }', { path: 'C:\\temp' })).toBe(true);
  });
  test('quoted value with spaces and symbols', () => {
    expect(m('{ $.errorMessage = "Failed authentication" }', { errorMessage: 'Failed authentication' })).toBe(true);
    expect(m('{ $.email = "John.Doe@example.com" }', { email: 'John.Doe@example.com' })).toBe(true);
  });
});

describe('JSON: a comparison on a missing field is false, != included', () => {
  test('!= on an absent field', () => {
    expect(m('{ $.userIdentity.invokedBy != "cloudfront.amazonaws.com" }', { userIdentity: { type: 'Root' } })).toBe(false);
    expect(m('{ $.x != 5 }', {})).toBe(false);
    expect(m('{ $.x != abc* }', {})).toBe(false);
    expect(m('{ $.x != %abc% }', {})).toBe(false);
  });
  test('every operator is false on an absent field', () => {
    for (const op of ['=', '!=', '<', '>', '<=', '>=']) {
      expect(m(`{ $.latency ${op} 1 }`, { other: 1 })).toBe(false);
    }
  });
  test('a path through a missing parent, a string or null is absent', () => {
    expect(m('{ $.a.b != "x" }', {})).toBe(false);
    expect(m('{ $.a.b != "x" }', { a: 'string' })).toBe(false);
    expect(m('{ $.a.b != "x" }', { a: null })).toBe(false);
    expect(m('{ $.a.b NOT EXISTS }', { a: 'string' })).toBe(true);
    expect(m('{ $.a.b NOT EXISTS }', { a: null })).toBe(true);
  });
  test('the NOT EXISTS || != rewrite accepts events without the field', () => {
    const p = '{ ($.userIdentity.invokedBy NOT EXISTS) || ($.userIdentity.invokedBy != "cloudfront.amazonaws.com") }';
    expect(m(p, { userIdentity: {} })).toBe(true);
    expect(m(p, { userIdentity: { invokedBy: 'config.amazonaws.com' } })).toBe(true);
    expect(m(p, { userIdentity: { invokedBy: 'cloudfront.amazonaws.com' } })).toBe(false);
  });
});

describe('JSON: numbers', () => {
  const e = { latency: 50, neg: -3, small: 0.001, big: 1000, str: '400', text: 'abc' };
  test.each([
    ['{ $.latency = 50 }', true], ['{ $.latency = 50.0 }', true], ['{ $.latency = 5e1 }', true],
    ['{ $.latency != 50 }', false], ['{ $.latency != 51 }', true],
    ['{ $.latency < 50 }', false], ['{ $.latency < 51 }', true],
    ['{ $.latency > 50 }', false], ['{ $.latency > 49 }', true],
    ['{ $.latency <= 50 }', true], ['{ $.latency <= 49 }', false],
    ['{ $.latency >= 50 }', true], ['{ $.latency >= 51 }', false],
    ['{ $.latency > +40 }', true], ['{ $.neg < -2 }', true], ['{ $.neg = -3 }', true],
    ['{ $.small = 1e-3 }', true], ['{ $.small < 10e-3 }', true], ['{ $.big = 1e+3 }', true], ['{ $.big = 1E3 }', true],
    ['{ $.latency > .5 }', true],
  ])('%s => %s', (pattern, expected) => {
    expect(m(pattern, e)).toBe(expected);
  });
  test('numeric string fields compare numerically', () => {
    expect(m('{ $.str = 400 }', e)).toBe(true);
    expect(m('{ $.str >= 400 }', e)).toBe(true);
    expect(m('{ $.str < 400 }', e)).toBe(false);
    expect(m('{ $.recipientAccountId = 123456789012 }', { recipientAccountId: '123456789012' })).toBe(true);
  });
  test('a non-numeric string is never =, <, > a number, and always != it', () => {
    expect(m('{ $.text = 400 }', e)).toBe(false);
    expect(m('{ $.text > 400 }', e)).toBe(false);
    expect(m('{ $.text < 400 }', e)).toBe(false);
    expect(m('{ $.text != 400 }', e)).toBe(true);
  });
  test('a string value against a number field compares with its string form', () => {
    expect(m('{ $.latency = "50" }', e)).toBe(true);
    expect(m('{ $.latency != "50" }', e)).toBe(false);
    expect(m('{ $.latency = "50.0" }', e)).toBe(false);
    expect(m('{ $.latency = 5* }', e)).toBe(true);
    expect(m('{ $.latency != 5* }', e)).toBe(false);
  });
  test('booleans and null never take part in comparisons', () => {
    expect(m('{ $.flag = true }', { flag: true })).toBe(false);
    expect(m('{ $.flag != "x" }', { flag: true })).toBe(false);
    expect(m('{ $.n = 0 }', { n: null })).toBe(false);
    expect(m('{ $.n != 0 }', { n: null })).toBe(false);
  });
});

describe('JSON: wildcards and existence', () => {
  test.each([
    ['{ $.errorCode = "*UnauthorizedOperation" }', 'Client.UnauthorizedOperation', true],
    ['{ $.errorCode = "*UnauthorizedOperation" }', 'UnauthorizedOperation', true],
    ['{ $.errorCode = "*UnauthorizedOperation" }', 'UnauthorizedOperationX', false],
    ['{ $.errorCode = "AccessDenied*" }', 'AccessDeniedException', true],
    ['{ $.errorCode = "AccessDenied*" }', 'AccessDenied', true],
    ['{ $.errorCode = "AccessDenied*" }', 'Client.AccessDenied', false],
    ['{ $.errorCode = *Denied* }', 'Client.AccessDeniedX', true],
    ['{ $.errorCode = *Denied* }', 'Client.AccessDenie', false],
    ['{ $.errorCode = Ac*ss }', 'Ac*ss', true],
    ['{ $.errorCode = Ac*ss }', 'Access', false],
    ['{ $.errorCode != 123.123.* }', '123.123.1.1', false],
    ['{ $.errorCode != 123.123.* }', '10.0.0.1', true],
  ])('%s on %j => %s', (pattern, value, expected) => {
    expect(m(pattern, { errorCode: value })).toBe(expected);
  });

  test('= "*" and = * require the field', () => {
    for (const p of ['{ $.f = "*" }', '{ $.f = * }']) {
      expect(m(p, { f: 'x' })).toBe(true);
      expect(m(p, { f: '' })).toBe(true);
      expect(m(p, { f: 0 })).toBe(true);
      expect(m(p, { f: null })).toBe(true);
      expect(m(p, { f: false })).toBe(true);
      expect(m(p, { g: 'x' })).toBe(false);
      expect(m(p, { f: { a: 1 } })).toBe(false);
      expect(m(p, { f: [1] })).toBe(false);
    }
  });

  test('NOT EXISTS', () => {
    expect(m('{ $.f NOT EXISTS }', { g: 1 })).toBe(true);
    expect(m('{ $.f NOT EXISTS }', { f: null })).toBe(false);
    expect(m('{ $.f NOT EXISTS }', { f: {} })).toBe(false);
    expect(m('{ $.a[3] NOT EXISTS }', { a: [1, 2] })).toBe(true);
  });

  test('IS NULL, IS TRUE, IS FALSE', () => {
    expect(m('{ $.f IS NULL }', { f: null })).toBe(true);
    expect(m('{ $.f IS NULL }', {})).toBe(false);
    expect(m('{ $.f IS NULL }', { f: 'null' })).toBe(false);
    expect(m('{ $.f IS TRUE }', { f: true })).toBe(true);
    expect(m('{ $.f IS TRUE }', { f: 'true' })).toBe(false);
    expect(m('{ $.f IS TRUE }', { f: false })).toBe(false);
    expect(m('{ $.f IS FALSE }', { f: false })).toBe(true);
    expect(m('{ $.f IS FALSE }', { f: 0 })).toBe(false);
    expect(m('{ $.f IS FALSE }', {})).toBe(false);
  });

  test('property names inherited from Object.prototype are not fields', () => {
    expect(m('{ $.constructor NOT EXISTS }', {})).toBe(true);
    expect(m('{ $.toString = "*" }', {})).toBe(false);
    expect(m('{ $.a.hasOwnProperty NOT EXISTS }', { a: {} })).toBe(true);
    expect(m('{ $.a.constructor = "x" }', { a: { constructor: 'x' } })).toBe(true);
    expect(m('{ $.a.length NOT EXISTS }', { a: [1, 2] })).toBe(true);
  });
});

describe('JSON: arrays and nested selectors', () => {
  const e = {
    user: { id: 1, email: 'John.Stiles@example.com' },
    users: [{ id: 2, email: 'John.Doe@example.com' }, { id: 3, email: 'Jane.Doe@example.com' }],
    actions: ['GET', 'PUT', 'DELETE'],
    coordinates: [[0, 1, 2], [4, 5, 6]],
    deep: { a: { b: { c: 'd' } } },
  };
  test.each([
    ['{ $.actions[0] = "GET" }', true],
    ['{ $.actions[2] = "DELETE" }', true],
    ['{ $.actions[3] = "DELETE" }', false],
    ['{ $.users[1].email = "Jane.Doe@example.com" }', true],
    ['{ $.users[1].id = 3 }', true],
    ['{ $.coordinates[1][2] = 6 }', true],
    ['{ $.coordinates[0][1] = 1 }', true],
    ['{ $.deep.a.b.c = d }', true],
    ['{ $.deep.a.b.c = e }', false],
    ['{ $.user.email = "John.Stiles@example.com" }', true],
    ['{ $.user[0] = 1 }', false],
    ['{ $.actions.0 = "GET" }', false],
  ])('%s => %s', (pattern, expected) => {
    expect(m(pattern, e)).toBe(expected);
  });
  test('a selector naming an object or array never matches, = or !=', () => {
    for (const p of ['{ $.actions = "GET" }', '{ $.actions != "GET" }', '{ $.user = 1 }', '{ $.user != 1 }', '{ $.users != 1 }', '{ $.actions != %x% }', '{ $.users != a* }']) {
      expect(m(p, e)).toBe(false);
    }
  });
});

describe('JSON: precedence () > && > ||', () => {
  // A true, B false, C false
  const e = { a: 1, b: 1, c: 1 };
  test.each([
    ['{ $.a = 1 || $.b = 2 && $.c = 2 }', true], // A || (B && C)
    ['{ ($.a = 1 || $.b = 2) && $.c = 2 }', false],
    ['{ $.b = 2 && $.c = 2 || $.a = 1 }', true], // (B && C) || A
    ['{ $.b = 2 && ($.c = 2 || $.a = 1) }', false],
    ['{ $.a = 1 && $.b = 2 || $.c = 1 }', true],
    ['{ $.a = 1 && ($.b = 2 || $.c = 2) }', false],
    ['{ (($.a = 1)) }', true],
    ['{ $.a = 2 || $.b = 2 || $.c = 1 }', true],
    ['{ $.a = 1 && $.b = 1 && $.c = 2 }', false],
  ])('%s => %s', (pattern, expected) => {
    expect(m(pattern, e)).toBe(expected);
  });
});

describe('JSON: regex values', () => {
  test('unanchored search unless ^/$ are used', () => {
    expect(m('{ $.eventName = %Delete% }', { eventName: 'BatchDeleteItems' })).toBe(true);
    expect(m('{ $.eventName = %^Delete% }', { eventName: 'BatchDeleteItems' })).toBe(false);
    expect(m('{ $.eventName = %^Delete% }', { eventName: 'DeleteTrail' })).toBe(true);
    expect(m('{ $.eventName = %Trail$% }', { eventName: 'DeleteTrail' })).toBe(true);
    expect(m('{ $.eventName = %Trail$% }', { eventName: 'DeleteTrails' })).toBe(false);
  });
  test('classes, quantifiers, alternation and escapes', () => {
    expect(m('{ $.ip = %^\\d{1,3}\\.\\d{1,3}\\.% }', { ip: '10.20.30.40' })).toBe(true);
    expect(m('{ $.ip = %^\\d{1,3}\\.\\d{1,3}\\.% }', { ip: 'a.b.c.d' })).toBe(false);
    expect(m('{ $.level = %[Ee]rror|[Ff]ail% }', { level: 'fail' })).toBe(true);
    expect(m('{ $.level = %[Ee]rror|[Ff]ail% }', { level: 'warn' })).toBe(false);
    expect(m('{ $.level = %colou?r% }', { level: 'color' })).toBe(true);
  });
  test('regex against a number uses its string form', () => {
    expect(m('{ $.code = %^4[0-9]+$% }', { code: 404 })).toBe(true);
  });
  test('!= regex on a present and an absent field', () => {
    expect(m('{ $.eventName != %^Get% }', { eventName: 'PutObject' })).toBe(true);
    expect(m('{ $.eventName != %^Get% }', { eventName: 'GetObject' })).toBe(false);
    expect(m('{ $.eventName != %^Get% }', {})).toBe(false);
  });
  test('regexes are case-sensitive and repeatable (no lastIndex state)', () => {
    const p = FilterPatternEngine.parse('{ $.a = %abc% }');
    for (let i = 0; i < 3; i++) {
      expect(p.matchesRecord({ a: 'xabcx' })).toBe(true);
    }
    expect(p.matchesRecord({ a: 'ABC' })).toBe(false);
  });
});

describe('JSON: raw lines and records', () => {
  const p = FilterPatternEngine.parse('{ $.a NOT EXISTS }');
  test('a line that is not a JSON object never matches a JSON pattern', () => {
    expect(p.matches('not json')).toBe(false);
    expect(p.matches('{"a": ')).toBe(false);
    expect(p.matches('[1,2]')).toBe(false);
    expect(p.matches('42')).toBe(false);
    expect(p.matches('')).toBe(false);
    expect(p.matches('  {"b":1}  ')).toBe(true);
  });
  test('matchesRecord requires a non-array object', () => {
    expect(p.matchesRecord({ b: 1 })).toBe(true);
    expect(p.matchesRecord([1])).toBe(false);
    expect(p.matchesRecord(null)).toBe(false);
    expect(p.matchesRecord('{"b":1}')).toBe(false);
  });
});

describe('terms', () => {
  const events = ['[ERROR 400] BAD REQUEST', '[ERROR 419] MISSING ARGUMENTS', '[WARN] slow', 'Exiting with ERRORCODE: -1'];
  const matching = (pattern: string) => events.filter((e) => m(pattern, e));
  test('single term: case-sensitive substring', () => {
    expect(matching('ERROR')).toEqual([events[0], events[1], events[3]]);
    expect(matching('error')).toEqual([]);
  });
  test('several terms: all must appear', () => {
    expect(matching('ERROR ARGUMENTS')).toEqual([events[1]]);
  });
  test('?term: any may appear', () => {
    expect(matching('?ARGUMENTS ?WARN')).toEqual([events[1], events[2]]);
  });
  test('-term: exclusion', () => {
    expect(matching('ERROR -ARGUMENTS')).toEqual([events[0], events[3]]);
    expect(matching('ERROR - ARGUMENTS')).toEqual([events[0], events[3]]);
    expect(matching('-ERROR')).toEqual([events[2]]);
  });
  test('quoted phrase is matched exactly, not as separate terms', () => {
    expect(matching('"BAD REQUEST"')).toEqual([events[0]]);
    expect(matching('"REQUEST BAD"')).toEqual([]);
    expect(matching('"ERRORCODE: -1"')).toEqual([events[3]]);
  });
  test('?group with several terms (aws-cdk anyTermGroup form)', () => {
    expect(matching('?"ERROR" "ARGUMENTS" ?"WARN"')).toEqual([events[1], events[2]]);
    expect(matching('?ERROR -ARGUMENTS ?WARN')).toEqual([events[0], events[2], events[3]]);
  });
  test('" " and "" match everything; -" " matches nothing', () => {
    expect(matching('" "')).toEqual(events);
    expect(m('" "', 'nospace')).toBe(true);
    expect(m('""', 'x')).toBe(true);
    expect(matching('-" "')).toEqual([]);
  });
  test('empty pattern matches everything, including non-JSON and records', () => {
    const p = FilterPatternEngine.parse('');
    expect(p.matches('anything')).toBe(true);
    expect(p.matches('')).toBe(true);
    expect(p.matchesRecord({ a: 1 })).toBe(true);
  });
  test('standalone regex', () => {
    expect(m('%AUTHORIZED%', '[ERROR 401] UNAUTHORIZED REQUEST')).toBe(true);
    expect(m('%^\\[SUCCESS%', '[ERROR 401] UNAUTHORIZED REQUEST')).toBe(false);
    expect(m('%^\\[SUCCESS%', '[SUCCESS 200] AUTHORIZED REQUEST')).toBe(true);
    expect(m('%[Ee]rror|[Ff]ail%', 'it FAILED')).toBe(false);
    expect(m('%[Ee]rror|[Ff]ail%', 'it Failed')).toBe(true);
  });
  test('matchesRecord uses rawLine, else the string itself, else JSON.stringify(record)', () => {
    const p = FilterPatternEngine.parse('"\\"eventName\\":\\"ConsoleLogin\\""');
    expect(p.matchesRecord({ eventName: 'ConsoleLogin' })).toBe(true);
    expect(p.matchesRecord({ eventName: 'Other' })).toBe(false);
    expect(p.matchesRecord({ eventName: 'Other' }, '{"eventName":"ConsoleLogin"}')).toBe(true);
    expect(FilterPatternEngine.parse('ERROR').matchesRecord('an ERROR line')).toBe(true);
  });
  test('a term pattern also sees JSON lines as text', () => {
    expect(m('ConsoleLogin', '{"eventName":"ConsoleLogin"}')).toBe(true);
  });
});

describe('space-delimited', () => {
  const line = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534';
  test.each([
    ['[ip, user, username, timestamp, request, status_code, bytes]', true],
    ['[ip, user, username, timestamp, request, status_code]', false],
    ['[ip, user, username, timestamp, request, status_code, bytes, extra]', false],
    ['[ip, user, username, timestamp, request, status_code = 404, bytes]', true],
    ['[ip, user, username, timestamp, request, status_code = 4*, bytes]', true],
    ['[ip, user, username, timestamp, request, status_code = 5*, bytes]', false],
    ['[ip, user, username, timestamp, request, status_code != 404, bytes]', false],
    ['[ip, user, username, timestamp, request, status_code, bytes > 1000]', true],
    ['[ip, user, username, timestamp, request, status_code, bytes > 2000]', false],
    ['[ip, user, username, timestamp, request = "GET /index.html HTTP/1.0", status_code, bytes]', true],
    ['[ip, user, username, timestamp = 10/Oct*, request, status_code, bytes]', true],
    ['[ip, user = -, username = frank, ...]', true],
    ['[ip, user = -, username = bob, ...]', false],
    ['[..., status_code = 404, bytes]', true],
    ['[ip, ..., bytes = 1534]', true],
    ['[..., request = *.html*, status_code = 4*,]', true],
    ['[..., status_code = 404 || status_code = 410, bytes]', true],
    ['[..., status_code = 403 || status_code = 410, bytes]', false],
    ['[..., status_code = 4* && status_code != 403, bytes]', true],
    ['[..., status_code = 4* && status_code != 404, bytes]', false],
    ['[..., status_code = %^4[0-9]{2}$%, bytes]', true],
    ['[..., ip = 127.0.0.1, ..., ...]', true],
    ['[..., (status_code = 403 || status_code = 404) && status_code != 405, bytes]', true],
    ['[..., (status_code = 403 || status_code = 410), bytes]', false],
    ['[..., ip = 10.0.0.1, ..., ...]', false],
  ])('%s => %s', (pattern, expected) => {
    expect(m(pattern, line)).toBe(expected);
  });
  test('many ellipses stay fast on a long line', () => {
    const long = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    const pattern = '[' + Array.from({ length: 20 }, () => '...').join(', ') + ', x = nomatch, ...]';
    const start = Date.now();
    expect(m(pattern, long)).toBe(false);
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe('the CIS pattern texts', () => {
  const unauthorizedOr = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }';
  const rootUsage = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }';
  const iamPolicy = '{($.eventName=DeleteGroupPolicy)||($.eventName=PutRolePolicy)}';
  const organizations = '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName ="InviteAccountToOrganization")) }';

  const successfulCall = {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', accountId: '111122223333', userName: 'alice' },
    eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets',
    sourceIPAddress: '198.51.100.7',
    eventType: 'AwsApiCall',
    readOnly: true,
  };

  test('the 1.3.0-1.5.0 unauthorized-API text (OR of exclusions) matches almost every event', () => {
    expect(m(unauthorizedOr, successfulCall)).toBe(true);
    expect(m(unauthorizedOr, { ...successfulCall, errorCode: 'AccessDenied' })).toBe(true);
    // only an event from delivery.logs on HeadBucket without an error code escapes it
    expect(m(unauthorizedOr, { ...successfulCall, sourceIPAddress: 'delivery.logs.amazonaws.com', eventName: 'HeadBucket' })).toBe(false);
    // and one that lacks every field, since != on a missing field is false
    expect(m(unauthorizedOr, { eventVersion: '1.08' })).toBe(false);
  });

  test('root-account usage', () => {
    const root = { ...successfulCall, userIdentity: { type: 'Root', accountId: '111122223333' } };
    expect(m(rootUsage, root)).toBe(true);
    expect(m(rootUsage, successfulCall)).toBe(false);
    expect(m(rootUsage, { ...root, userIdentity: { ...root.userIdentity, invokedBy: 'support.amazonaws.com' } })).toBe(false);
    expect(m(rootUsage, { ...root, eventType: 'AwsServiceEvent' })).toBe(false);
    // eventType missing: != on a missing field is false
    const { eventType: _omit, ...withoutEventType } = root;
    expect(m(rootUsage, withoutEventType)).toBe(false);
  });

  test('IAM policy changes (unquoted, no spaces)', () => {
    expect(m(iamPolicy, { eventName: 'PutRolePolicy' })).toBe(true);
    expect(m(iamPolicy, { eventName: 'DeleteGroupPolicy' })).toBe(true);
    expect(m(iamPolicy, { eventName: 'PutUserPolicy' })).toBe(false);
    expect(m(iamPolicy, { eventName: 'putrolepolicy' })).toBe(false);
  });

  test('Organizations changes', () => {
    const e = { eventSource: 'organizations.amazonaws.com', eventName: 'AcceptHandshake' };
    expect(m(organizations, e)).toBe(true);
    expect(m(organizations, { ...e, eventName: 'InviteAccountToOrganization' })).toBe(true);
    expect(m(organizations, { ...e, eventName: 'ListAccounts' })).toBe(false);
    expect(m(organizations, { ...e, eventSource: 'iam.amazonaws.com' })).toBe(false);
  });

  test('all four CIS texts parse as JSON patterns without regexes', () => {
    for (const p of [unauthorizedOr, rootUsage, iamPolicy, organizations]) {
      const c = FilterPatternEngine.parse(p);
      expect(c.kind).toBe(FilterPatternKind.JSON);
      expect(c.regexCount).toBe(0);
    }
  });
});

describe('syntax errors carry position and reason', () => {
  test('message format: reason, pattern, caret under the position', () => {
    const message = syntaxError('{ $.a == 1 }');
    expect(message).toBe([
      'Invalid filter pattern at position 6: unknown operator \'==\' (expected =, !=, <, >, <=, >=, IS or NOT EXISTS)',
      '  { $.a == 1 }',
      '        ^',
    ].join('\n'));
  });
  test('parse() throws an Error', () => {
    expect(() => FilterPatternEngine.parse('{ $.a = }')).toThrow(Error);
    expect(() => FilterPatternEngine.parse('{ $.a = }')).toThrow(/^Invalid filter pattern at position 8: missing value after '='/);
  });
  test('unbalanced parentheses: unclosed (', () => {
    expectSyntaxError('{ ($.a = 1 }', 11, 'unbalanced parentheses: the \'(\' at position 2 is not closed');
    expectSyntaxError('{ (($.a = 1) }', 13, 'unbalanced parentheses: the \'(\' at position 2 is not closed');
  });
  test('unbalanced parentheses: extra )', () => {
    expectSyntaxError('{ $.a = 1) }', 9, 'unbalanced parentheses: \')\' without a matching \'(\'');
    expectSyntaxError('{ ($.a = 1)) }', 11, 'unbalanced parentheses');
  });
  test('missing value', () => {
    expectSyntaxError('{ $.a = }', 8, 'missing value after \'=\'');
    expectSyntaxError('{ $.a != && $.b = 1 }', 9, 'missing value after \'!=\'');
    expectSyntaxError('{ ($.a >=) }', 9, 'missing value after \'>=\'');
    expectSyntaxError('{ $.a =', 7, 'missing value after \'=\'');
  });
  test('unknown operator', () => {
    expectSyntaxError('{ $.a == 1 }', 6, 'unknown operator \'==\'');
    expectSyntaxError('{ $.a => 1 }', 6, 'unknown operator \'=>\'');
    expectSyntaxError('{ $.a <> 1 }', 6, 'unknown operator \'<>\'');
    expectSyntaxError('{ $.a ~ 1 }', 6, 'unknown operator \'~\'');
    expectSyntaxError('{ $.a LIKE "x" }', 6, 'unknown operator \'LIKE\'');
    expectSyntaxError('{ $.a is null }', 6, /unknown operator 'is'.*case-sensitive/);
  });
  test('missing operator', () => {
    expectSyntaxError('{ $.a "x" }', 6, 'missing operator between \'$.a\' and the string "x"');
    expectSyntaxError('{ $.a }', 6, 'missing operator after \'$.a\'');
  });
  test('EXISTS and IS NOT are not supported', () => {
    expectSyntaxError('{ $.a EXISTS }', 6, 'EXISTS is not supported');
    expectSyntaxError('{ $.a IS NOT NULL }', 6, 'IS NOT is not supported');
    expectSyntaxError('{ $.a IS EMPTY }', 9, 'expected NULL, TRUE or FALSE after IS');
    expectSyntaxError('{ $.a NOT NULL }', 10, 'expected EXISTS after NOT');
  });
  test('trailing garbage', () => {
    expectSyntaxError('{ $.a = 1 } x', 12, 'unexpected text after the closing \'}\'');
    expectSyntaxError('{ $.a = 1 }}', 11, 'unexpected text after the closing \'}\'');
    expectSyntaxError('{ $.a = 1 $.b = 2 }', 10, 'expected \'&&\', \'||\' or \'}\' but found \'$.b\'');
    expectSyntaxError('{ $.a = 1 AND $.b = 2 }', 10, 'expected \'&&\', \'||\' or \'}\' but found \'AND\'');
    expectSyntaxError('{ ($.a = 1 $.b = 2) }', 11, 'expected \'&&\', \'||\' or \')\'');
    expectSyntaxError('[a, b] c', 7, 'unexpected text after the closing \']\'');
  });
  test('{ without }', () => {
    expectSyntaxError('{ $.a = 1', 9, 'missing \'}\': a pattern that starts with \'{\' (position 0) must end with \'}\'');
    expectSyntaxError('  { $.a = 1 && $.b = 2', 22, 'missing \'}\'');
  });
  test('[ without ]', () => {
    expectSyntaxError('[a, b', 5, 'missing \']\'');
  });
  test('empty JSON pattern and missing conditions', () => {
    expectSyntaxError('{ }', 2, 'empty JSON pattern');
    expectSyntaxError('{ $.a = 1 && }', 13, 'missing condition after \'&&\'');
    expectSyntaxError('{ $.a = 1 || || $.b = 1 }', 13, 'missing condition after \'||\'');
    expectSyntaxError('{ () }', 3, 'expected a condition but found \')\'');
    expectSyntaxError('{ ( }', 4, 'expected a condition but found \'}\'');
    expectSyntaxError('{ $.a = ( }', 8, 'expected a value after \'=\' but found \'(\'');
    expectSyntaxError('{ && $.a = 1 }', 2, 'bad selector');
  });
  test('single & or |', () => {
    expectSyntaxError('{ $.a = 1 & $.b = 2 }', 10, 'unexpected \'&\': use \'&&\'');
    expectSyntaxError('{ $.a = 1 | $.b = 2 }', 10, 'unexpected \'|\': use \'||\'');
  });
  test('bad selector', () => {
    expectSyntaxError('{ eventName = "x" }', 2, 'bad selector: expected a selector starting with \'$.\'');
    expectSyntaxError('{ $ = "x" }', 2, 'bad selector \'$\'');
    expectSyntaxError('{ $eventName = "x" }', 2, 'bad selector \'$eventName\'');
    expectSyntaxError('{ $. = "x" }', 4, 'expected a property name');
    expectSyntaxError('{ $.a..b = "x" }', 6, 'expected a property name');
    expectSyntaxError('{ $.a. = "x" }', 6, 'expected a property name');
    expectSyntaxError('{ $.a[x] = "x" }', 6, 'an array index is written [N]');
    expectSyntaxError('{ $.a[0 = "x" }', 7, 'an array index is written [N]');
    expectSyntaxError('{ $.a[-1] = "x" }', 6, 'an array index is written [N]');
    expectSyntaxError('{ $.a@b = "x" }', 5, 'character \'@\' is not allowed in a property name');
    expectSyntaxError('{ $[0] = "x" }', 2, 'bad selector \'$[0]\'');
    expectSyntaxError('{ $.a = $.b }', 8, 'comparing two selectors is not supported');
  });
  test('relational operators need a number', () => {
    expectSyntaxError('{ $.a > abc }', 8, 'operator \'>\' requires a number');
    expectSyntaxError('{ $.a <= "5" }', 9, 'operator \'<=\' requires a number');
    expectSyntaxError('{ $.a < %5% }', 8, 'operator \'<\' requires a number, not a regex');
  });
  test('unterminated string', () => {
    expectSyntaxError('{ $.a = "abc }', 8, 'unterminated string');
    expectSyntaxError('"abc', 0, 'unterminated string');
  });
  test('regex: parentheses, characters, count, termination', () => {
    expectSyntaxError('{ $.a = %(ab)% }', 9, 'cannot use parentheses');
    expectSyntaxError('{ $.a = %ab)% }', 11, 'cannot use parentheses');
    expectSyntaxError('%something!%', 10, 'character "!" is not allowed in a regex');
    expectSyntaxError('{ $.a = %a b% }', 10, 'character space is not allowed in a regex');
    expectSyntaxError('{ $.a = %é% }', 9, 'is not allowed in a regex');
    expectSyntaxError('{ $.a = %a% || $.b = %b% || $.c = %c% }', 34, 'too many regexes: a filter pattern may contain at most 2');
    expectSyntaxError('%a% %b% %c%', 8, 'too many regexes');
    expectSyntaxError('{ $.a = %abc }', 8, 'unterminated regex');
    expectSyntaxError('{ $.a = %% }', 9, 'empty regex');
    expectSyntaxError('{ $.a = %a{2,1}% }', 9, 'invalid regex');
    expectSyntaxError('{ $.a = %a\\1% }', 10, 'backreferences');
    expectSyntaxError('{ $.a = %a\\% }', 10, 'incomplete escape');
    expectSyntaxError('ERROR %abc', 6, 'unterminated regex');
  });
  test('term patterns', () => {
    expectSyntaxError('ERROR ?', 7, 'missing term after \'?\'');
    expectSyntaxError('ERROR -', 7, 'missing term after \'-\'');
    expectSyntaxError('ERR"OR', 3, 'unexpected \'"\' inside a term');
    expectSyntaxError('?? x', 1, 'unexpected \'?\'');
  });
  test('space-delimited fields', () => {
    expectSyntaxError('[a, b c]', 6, 'expected an operator (=, !=, <, >, <=, >=) after field \'b\' but found \'c\'');
    expectSyntaxError('[a, b = 1 c]', 10, 'expected \',\' or \']\' after a field but found \'c\'');
    expectSyntaxError('[a, status = 4* && bytes > 1000]', 19, 'condition on \'bytes\' inside field \'status\'');
    expectSyntaxError('[a, b IS NULL]', 6, 'expected an operator');
    expectSyntaxError('[a, b == 1]', 6, 'unknown operator \'==\'');
    expectSyntaxError('[a, b = ]', 8, 'missing value after \'=\'');
    expectSyntaxError('[a, "b" = 1]', 4, 'expected a field name');
    expectSyntaxError('[a, b@c]', 4, 'bad field name \'b@c\'');
    expectSyntaxError('[a, b)', 5, 'unbalanced parentheses: \')\' without a matching \'(\'');
    expectSyntaxError('[a, (b = 1 || b = 2]', 19, 'unbalanced parentheses: the \'(\' at position 4 is not closed');
    expectSyntaxError('[a, ... = 1]', 4, '\'...\' must be a field of its own');
  });
});
