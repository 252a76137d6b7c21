/**
 * A small offline evaluator of Amazon EventBridge event patterns, for tests.
 *
 * No well-kept npm library does this (the ones found are tiny and
 * unmaintained), so this follows the documented semantics, checked in
 * `test/realtime/event-pattern-matcher.test.ts` against the examples of the
 * EventBridge user guide ("Event patterns", "Content filtering",
 * "Comparison operators", "Matching null values", "Arrays") and of
 * aws/event-ruler's README (the library behind EventBridge):
 *
 * - Fields named in a pattern are ANDed; the values in a field's array are ORed.
 * - An event must contain every field the pattern names; the only matcher
 *   that matches an absent field is `{"exists": false}`. So `anything-but`
 *   on an absent field does NOT match.
 * - Matching works on leaf values: a field whose value is an object is not a
 *   leaf (`exists: true` is false for it, `exists: false` true).
 * - Arrays in the event: a field matches if any element matches. Objects in
 *   arrays are "crushed" into their parent, but fields matched in different
 *   elements of one array do not combine (`rulesForJSONEvent` semantics).
 * - Value matchers: exact string/number/`null`/boolean (types never cross:
 *   `"5"` does not equal `5`), `prefix`, `suffix`, `equals-ignore-case`
 *   (also inside prefix/suffix), `wildcard` (`*` any run, `\*` a star, `\\` a
 *   backslash), `anything-but` (a value, a list of values, or an object with
 *   `prefix`/`suffix`/`wildcard`/`equals-ignore-case`), `numeric` (pairs of
 *   operator and number, all must hold; JSON numbers only), `cidr` (IPv4 and
 *   IPv6), `exists`.
 * - `$or`: an array of two or more sub-patterns evaluated at the same level,
 *   at least one of which must match; it may be nested.
 *
 * Not covered: `$or` inside value arrays, `equals-ignore-case` for non-ASCII
 * case folding, the numeric range and precision limits.
 */

export type EventPattern = { readonly [field: string]: unknown };

/** Raised for patterns EventBridge would reject (malformed operators). */
export class InvalidEventPatternError extends Error {}

/** Tests one event (a parsed JSON object) against one pattern. */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) {
    throw new InvalidEventPatternError('An event pattern must be a JSON object');
  }
  validatePattern(pattern);
  return matchObject(pattern, event);
}

/** Alias kept short for tests. */
export const matches = matchesEventPattern;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Matches a pattern object against an event node (object, array of objects, or anything else = no fields). */
function matchObject(pattern: EventPattern, node: unknown): boolean {
  if (Array.isArray(node)) {
    // Array consistency: the whole sub-pattern must hold within one element.
    const elements = flattenArrays(node).filter(isPlainObject);
    if (elements.length === 0) return matchObject(pattern, undefined);
    return elements.some(e => matchObject(pattern, e));
  }
  const obj = isPlainObject(node) ? node : {};
  for (const [field, spec] of Object.entries(pattern)) {
    if (field === '$or' && Array.isArray(spec) && spec.length >= 2 && spec.every(isPlainObject)) {
      if (!spec.some(sub => matchObject(sub as EventPattern, obj))) return false;
      continue;
    }
    const value = Object.prototype.hasOwnProperty.call(obj, field) ? obj[field] : undefined;
    if (Array.isArray(spec)) {
      if (!matchLeaf(spec, value)) return false;
    } else if (isPlainObject(spec)) {
      if (!matchObject(spec, value)) return false;
    } else {
      throw new InvalidEventPatternError(`The value of "${field}" must be an array of matchers or an object, got ${JSON.stringify(spec)}`);
    }
  }
  return true;
}

/** Checks every matcher up front, so a malformed pattern fails whatever the event. */
function validatePattern(pattern: Record<string, unknown>): void {
  for (const [field, spec] of Object.entries(pattern)) {
    if (field === '$or' && Array.isArray(spec) && spec.length >= 2 && spec.every(isPlainObject)) {
      spec.forEach(sub => validatePattern(sub as Record<string, unknown>));
    } else if (Array.isArray(spec)) {
      if (spec.length === 0) throw new InvalidEventPatternError(`The matcher array of "${field}" must not be empty`);
      for (const m of spec) {
        if (isPlainObject(m) && 'exists' in m) {
          if (typeof m.exists !== 'boolean') throw new InvalidEventPatternError('"exists" takes true or false');
        } else {
          // Evaluate against probes of every JSON type: argument checks throw before any type test.
          for (const probe of ['', 0, null, true]) matchValue(m, probe);
        }
      }
    } else if (isPlainObject(spec)) {
      validatePattern(spec);
    } else {
      throw new InvalidEventPatternError(`The value of "${field}" must be an array of matchers or an object, got ${JSON.stringify(spec)}`);
    }
  }
}

function flattenArrays(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (Array.isArray(v)) out.push(...flattenArrays(v));
    else out.push(v);
  }
  return out;
}

/** The leaf (non-object) values of an event field: none when absent, an object, or an array without scalars. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return flattenArrays(value).filter(v => !isPlainObject(v));
  if (isPlainObject(value)) return [];
  return [value];
}

function matchLeaf(matchers: unknown[], value: unknown): boolean {
  if (matchers.length === 0) throw new InvalidEventPatternError('A field\'s matcher array must not be empty');
  const leaves = leafValues(value);
  return matchers.some(m => {
    if (isPlainObject(m) && 'exists' in m) {
      if (typeof m.exists !== 'boolean') throw new InvalidEventPatternError('"exists" takes true or false');
      return m.exists ? leaves.length > 0 : leaves.length === 0;
    }
    return leaves.some(v => matchValue(m, v));
  });
}

function matchValue(m: unknown, v: unknown): boolean {
  if (!isPlainObject(m)) {
    if (Array.isArray(m)) throw new InvalidEventPatternError('Nested arrays are not matchers');
    return exactEquals(m, v);
  }
  const ops = Object.keys(m);
  if (ops.length !== 1) throw new InvalidEventPatternError(`A matcher object has exactly one operator, got ${JSON.stringify(m)}`);
  const op = ops[0];
  const arg = m[op];
  switch (op) {
    case 'prefix':
      return stringOp(arg, v, (a, s) => s.startsWith(a));
    case 'suffix':
      return stringOp(arg, v, (a, s) => s.endsWith(a));
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new InvalidEventPatternError('"equals-ignore-case" takes a string');
      return typeof v === 'string' && v.toLowerCase() === arg.toLowerCase();
    case 'wildcard':
      if (typeof arg !== 'string') throw new InvalidEventPatternError('"wildcard" takes a string');
      return wildcardMatches(arg, v);
    case 'anything-but':
      return !anythingButExcludes(arg, v);
    case 'numeric':
      return numeric(arg, v);
    case 'cidr':
      if (typeof arg !== 'string') throw new InvalidEventPatternError('"cidr" takes a string');
      return inCidr(arg, v);
    default:
      throw new InvalidEventPatternError(`Unknown matcher "${op}"`);
  }
}

/** JSON equality for scalars, with numbers compared numerically (`3.018e2` equals `301.8`). */
function exactEquals(m: unknown, v: unknown): boolean {
  if (typeof m === 'number' && typeof v === 'number') return m === v;
  return m === v;
}

/** `prefix`/`suffix` take a string or `{ "equals-ignore-case": string }`. */
function stringOp(arg: unknown, v: unknown, test: (a: string, s: string) => boolean): boolean {
  if (typeof arg === 'string') return typeof v === 'string' && test(arg, v);
  if (isPlainObject(arg) && typeof arg['equals-ignore-case'] === 'string' && Object.keys(arg).length === 1) {
    return typeof v === 'string' && test((arg['equals-ignore-case'] as string).toLowerCase(), v.toLowerCase());
  }
  throw new InvalidEventPatternError(`prefix/suffix take a string or {"equals-ignore-case": string}, got ${JSON.stringify(arg)}`);
}

/** True when `anything-but: arg` rules `v` out. */
function anythingButExcludes(arg: unknown, v: unknown): boolean {
  if (Array.isArray(arg)) {
    const allStrings = arg.every(a => typeof a === 'string');
    const allNumbers = arg.every(a => typeof a === 'number');
    if (!allStrings && !allNumbers) throw new InvalidEventPatternError('An anything-but list holds only strings or only numbers');
    return arg.some(a => exactEquals(a, v));
  }
  if (typeof arg === 'string' || typeof arg === 'number') return exactEquals(arg, v);
  if (isPlainObject(arg)) {
    const ops = Object.keys(arg);
    if (ops.length !== 1) throw new InvalidEventPatternError(`anything-but takes one operator, got ${JSON.stringify(arg)}`);
    const op = ops[0];
    const inner = arg[op];
    const list = Array.isArray(inner) ? inner : [inner];
    if (list.some(x => typeof x !== 'string')) throw new InvalidEventPatternError(`anything-but ${op} takes strings`);
    if (!['prefix', 'suffix', 'wildcard', 'equals-ignore-case'].includes(op)) throw new InvalidEventPatternError(`anything-but does not take "${op}"`);
    if (op === 'wildcard') list.forEach(x => wildcardRegex(x as string));
    if (typeof v !== 'string') return false;
    switch (op) {
      case 'prefix': return list.some(x => v.startsWith(x as string));
      case 'suffix': return list.some(x => v.endsWith(x as string));
      case 'wildcard': return list.some(x => wildcardRegex(x as string).test(v));
      case 'equals-ignore-case': return list.some(x => (x as string).toLowerCase() === v.toLowerCase());
      default: throw new InvalidEventPatternError(`anything-but does not take "${op}"`);
    }
  }
  throw new InvalidEventPatternError(`anything-but takes a string, a number, a list or an operator object, got ${JSON.stringify(arg)}`);
}

function wildcardMatches(w: string, v: unknown): boolean {
  const re = wildcardRegex(w);
  return typeof v === 'string' && re.test(v);
}

function wildcardRegex(w: string): RegExp {
  if (/\*\*/.test(w.replace(/\\[\\*]/g, ''))) throw new InvalidEventPatternError(`Consecutive wildcard characters are not allowed: ${w}`);
  let re = '';
  for (let i = 0; i < w.length; i++) {
    const c = w[i];
    if (c === '\\') {
      const n = w[i + 1];
      if (n !== '*' && n !== '\\') throw new InvalidEventPatternError(`A backslash may only escape * or \\ in a wildcard: ${w}`);
      re += n === '*' ? '\\*' : '\\\\';
      i++;
    } else if (c === '*') {
      re += '[\\s\\S]*';
    } else {
      re += c.replace(/[.+?^${}()|[\]\\/]/g, m => `\\${m}`);
    }
  }
  return new RegExp(`^${re}$`);
}

function numeric(arg: unknown, v: unknown): boolean {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0) {
    throw new InvalidEventPatternError(`numeric takes operator/number pairs, got ${JSON.stringify(arg)}`);
  }
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1];
    if (typeof n !== 'number') throw new InvalidEventPatternError(`numeric: ${JSON.stringify(n)} is not a number`);
    if (!['=', '<', '<=', '>', '>='].includes(op)) throw new InvalidEventPatternError(`numeric: unknown operator ${JSON.stringify(op)}`);
  }
  if (typeof v !== 'number') return false;
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1] as number;
    const ok = op === '=' ? v === n
      : op === '<' ? v < n
        : op === '<=' ? v <= n
          : op === '>' ? v > n
            : v >= n;
    if (!ok) return false;
  }
  return true;
}

function inCidr(cidr: string, ip: unknown): boolean {
  const [base, bitsText] = cidr.split('/');
  const a = ipBits(base);
  if (a === undefined) throw new InvalidEventPatternError(`Invalid CIDR ${cidr}`);
  if (typeof ip !== 'string') return false;
  const b = ipBits(ip);
  if (b === undefined || a.length !== b.length) return false;
  const bits = bitsText === undefined ? a.length : Number(bitsText);
  return a.slice(0, bits) === b.slice(0, bits);
}

/** An IPv4 or IPv6 address as a string of 32 or 128 '0'/'1' characters. */
function ipBits(s: string): string | undefined {
  const bin = (n: number, width: number) => n.toString(2).padStart(width, '0');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    return parts.every(p => p <= 255) ? parts.map(p => bin(p, 8)).join('') : undefined;
  }
  if (!s.includes(':') || s.split('::').length > 2) return undefined;
  const [head, tail] = s.split('::');
  const groups = (x: string | undefined) => (x ? x.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? h.length !== 8 : missing < 0) return undefined;
  const all = [...h, ...Array(tail === undefined ? 0 : missing).fill('0'), ...t];
  if (!all.every(g => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.map(g => bin(parseInt(g, 16), 16)).join('');
}

/**
 * Wraps a CloudTrail record as the EventBridge event CloudTrail puts on the
 * default bus: `source` is `aws.` + the service prefix of `eventSource`, the
 * `detail-type` depends on `eventType`, and `detail` is the record itself.
 */
export function cloudTrailEvent(record: any): Record<string, unknown> {
  const service = String(record.eventSource ?? 'unknown.amazonaws.com').replace(/\.amazonaws\.com$/, '');
  const detailType = record.eventType === 'AwsConsoleSignIn' ? 'AWS Console Sign In via CloudTrail'
    : record.eventType === 'AwsServiceEvent' ? 'AWS Service Event via CloudTrail'
      : record.eventType === 'AwsConsoleAction' ? 'AWS Console Action via CloudTrail'
        : 'AWS API Call via CloudTrail';
  return {
    'version': '0',
    'id': record.eventID ?? '00000000-0000-0000-0000-000000000000',
    'detail-type': detailType,
    'source': `aws.${service}`,
    'account': record.recipientAccountId ?? record.userIdentity?.accountId ?? '111122223333',
    'time': record.eventTime ?? '2024-01-01T00:00:00Z',
    'region': record.awsRegion ?? 'us-east-1',
    'resources': [],
    'detail': record,
  };
}
