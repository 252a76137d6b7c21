import {
  ComparisonOperator,
  ComparisonValue,
  DelimitedField,
  FieldExpression,
  FilterPatternAst,
  JsonExpression,
  PathSegment,
  Term,
  TermGroup,
} from './ast';
import { generateJsonPredicate } from './codegen';
import { groupOrEqualities } from './or-groups';
import { compileRegex } from './regex';

/**
 * Evaluation of a parsed filter pattern, compiled once to closures.
 *
 * Semantics (CloudWatch Logs, see REFERENCE.md §4 and the AWS filter pattern syntax page):
 * - A comparison (`=`, `!=`, `<`, `>`, `<=`, `>=`) is false when the selector
 *   resolves to nothing, **including `!=`**, and when it resolves to an object
 *   or an array. It is also false on JSON `true`/`false`/`null` (only
 *   `IS TRUE`/`IS FALSE`/`IS NULL` and the existence tests look at those).
 * - String values (exact, wildcard, regex) compare with strings; against a
 *   JSON number they compare with its JavaScript string form (`400` => "400").
 * - Number values compare numerically with JSON numbers, and with strings that
 *   are numeric literals (`"400"`, as in space-delimited fields). A non-numeric
 *   string is never `=`, `<`, `>`, `<=`, `>=` a number, and is always `!=` it.
 * - `$.f = "*"` (exists) is true for any present value that is not an object or
 *   array (null and booleans included); `NOT EXISTS` is true only when absent.
 * - A selector step into a non-object (or an index into a non-array, or an
 *   index out of range) resolves to nothing.
 *
 * The JSON predicate does no per-event allocation except when a string value
 * is compared with a JSON number (rare; `String(number)` is built then).
 */

/** Marker for "the selector resolves to nothing". */
const MISSING: unique symbol = Symbol('missing');
type Resolved = unknown;

/** Predicate over an already-parsed JSON object (the root of a JSON log event). */
export type RecordPredicate = (root: object) => boolean;
/** Predicate over a raw log line. */
export type LinePredicate = (line: string) => boolean;
/** Predicate over one scalar value (a resolved JSON value, or a space-delimited field). */
type ValuePredicate = (v: Resolved) => boolean;

/** A compiled filter pattern. */
export interface CompiledMatcher {
  /** Evaluates a raw log line (JSON patterns parse it once; non-JSON lines never match them). */
  matchLine(line: string): boolean;
  /**
   * Evaluates an already-parsed record. JSON patterns use it directly (it must
   * be a non-array object to match). Other patterns need the raw text:
   * `rawLine` when given, else the record itself when it is a string, else
   * `JSON.stringify(record)` (which may differ from the original line in
   * whitespace and escapes).
   */
  matchRecord(record: unknown, rawLine?: string): boolean;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const hasOwn = Object.prototype.hasOwnProperty;

/** Options of `compileFilterPatternAst`. */
export interface CompileOptions {
  /**
   * Generate one JavaScript function per JSON pattern (`./codegen`) instead of
   * composing closures. Same results, several times faster when many patterns
   * run over the same records. Falls back to closures when code generation
   * from strings is disabled.
   * @default true
   */
  readonly codegen?: boolean;
}

/** Compiles an AST into a matcher. */
export function compileFilterPatternAst(ast: FilterPatternAst, options: CompileOptions = {}): CompiledMatcher {
  switch (ast.kind) {
    case 'empty':
      return { matchLine: () => true, matchRecord: () => true };
    case 'terms': {
      const pred = compileTerms(ast.groups);
      return { matchLine: pred, matchRecord: (record, rawLine) => pred(rawText(record, rawLine)) };
    }
    case 'spaceDelimited': {
      const pred = compileDelimited(ast.fields);
      return { matchLine: pred, matchRecord: (record, rawLine) => pred(rawText(record, rawLine)) };
    }
    case 'json': {
      const matchRecord = (options.codegen ?? true ? generateJsonPredicate(ast.expression) : undefined)
        ?? guardRoot(compileJsonExpression(ast.expression));
      return {
        matchRecord,
        matchLine: (line: string) => {
          const parsed = parseJsonObjectLine(line);
          return parsed !== undefined && matchRecord(parsed);
        },
      };
    }
  }
}

/** Accepts any value; only non-array objects can match a JSON pattern. */
function guardRoot(pred: RecordPredicate): (record: unknown) => boolean {
  return (record) => typeof record === 'object' && record !== null && !Array.isArray(record) && pred(record);
}

function rawText(record: unknown, rawLine: string | undefined): string {
  if (rawLine !== undefined) return rawLine;
  if (typeof record === 'string') return record;
  return JSON.stringify(record) ?? '';
}

/** Parses a log line that holds a JSON object; undefined when it is not one. */
export function parseJsonObjectLine(line: string): object | undefined {
  // cheap pre-check: skip leading whitespace, require '{'
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  if (line.charCodeAt(i) !== 123 /* { */) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ JSON

/** Compiles a JSON expression into a predicate over the root object. */
export function compileJsonExpression(e: JsonExpression): RecordPredicate {
  switch (e.kind) {
    case 'and':
      return all(e.operands.map(compileJsonExpression));
    case 'or':
      return any(compileOrOperands(e.operands));
    case 'exists': {
      const get = compilePath(e.selector.path);
      if (!e.exists) return (r) => get(r) === MISSING;
      return (r) => {
        const v = get(r);
        return v !== MISSING && (v === null || typeof v !== 'object');
      };
    }
    case 'is': {
      const get = compilePath(e.selector.path);
      const want = e.test === 'null' ? null : e.test === 'true';
      return (r) => get(r) === want;
    }
    case 'comparison': {
      const get = compilePath(e.selector.path);
      const test = compileValueTest(e.operator, e.value);
      return (r) => test(get(r));
    }
  }
}

/**
 * Compiles the operands of an `or`. Exact string equalities on the same
 * selector (`$.eventName = A || $.eventName = B || ...`, the shape of most CIS
 * patterns) are merged into one lookup and one `Set` test; `or` has no side
 * effects, so the regrouping does not change the result.
 */
function compileOrOperands(operands: readonly JsonExpression[]): RecordPredicate[] {
  const { groups, rest } = groupOrEqualities(operands);
  const out: RecordPredicate[] = [];
  for (const g of groups) {
    const get = compilePath(g.path);
    const test = g.values.length === 1 ? stringTest(false, g.values[0]) : stringSetTest(g.values);
    out.push((r) => test(get(r)));
  }
  for (const o of rest) out.push(compileJsonExpression(o));
  return out;
}

function all<T>(fs: Array<(x: T) => boolean>): (x: T) => boolean {
  if (fs.length === 1) return fs[0];
  if (fs.length === 2) {
    const [a, b] = fs;
    return (x) => a(x) && b(x);
  }
  if (fs.length === 3) {
    const [a, b, c] = fs;
    return (x) => a(x) && b(x) && c(x);
  }
  const n = fs.length;
  return (x) => {
    for (let i = 0; i < n; i++) if (!fs[i](x)) return false;
    return true;
  };
}

function any<T>(fs: Array<(x: T) => boolean>): (x: T) => boolean {
  if (fs.length === 1) return fs[0];
  if (fs.length === 2) {
    const [a, b] = fs;
    return (x) => a(x) || b(x);
  }
  if (fs.length === 3) {
    const [a, b, c] = fs;
    return (x) => a(x) || b(x) || c(x);
  }
  const n = fs.length;
  return (x) => {
    for (let i = 0; i < n; i++) if (fs[i](x)) return true;
    return false;
  };
}

/**
 * Resolves a selector path once into a getter returning the value or `MISSING`.
 * Property names that exist on `Object.prototype` (`constructor`, `toString`,
 * `__proto__`, ...) are checked with `hasOwnProperty`; others use a plain
 * lookup (JSON values are never `undefined`).
 */
function compilePath(path: readonly PathSegment[]): (root: object) => Resolved {
  const n = path.length;
  const keys = path.slice();
  // 0 = ordinary property, 1 = property shadowed by Object.prototype, 2 = array index
  const kinds = path.map((s) => (typeof s === 'number' ? 2 : s in Object.prototype ? 1 : 0));
  if (n === 1 && kinds[0] === 0) {
    const k = keys[0] as string;
    return (root) => {
      const v = (root as Record<string, unknown>)[k];
      return v === undefined ? MISSING : v;
    };
  }
  if (n === 2 && kinds[0] === 0 && kinds[1] === 0) {
    const k0 = keys[0] as string;
    const k1 = keys[1] as string;
    return (root) => {
      const a = (root as Record<string, unknown>)[k0];
      if (typeof a !== 'object' || a === null || Array.isArray(a)) return MISSING;
      const v = (a as Record<string, unknown>)[k1];
      return v === undefined ? MISSING : v;
    };
  }
  return (root) => {
    let cur: unknown = root;
    for (let i = 0; i < n; i++) {
      if (typeof cur !== 'object' || cur === null) return MISSING;
      const kind = kinds[i];
      if (kind === 2) {
        if (!Array.isArray(cur)) return MISSING;
        cur = cur[keys[i] as number];
      } else {
        if (Array.isArray(cur)) return MISSING;
        if (kind === 1 && !hasOwn.call(cur, keys[i])) return MISSING;
        cur = (cur as Record<string, unknown>)[keys[i] as string];
      }
      if (cur === undefined) return MISSING;
    }
    return cur;
  };
}

// ------------------------------------------------------------------ value tests

/**
 * Compiles `<operator> <value>` into a predicate over one resolved value
 * (`MISSING`, an object/array, or a scalar). Used for JSON selectors and for
 * space-delimited fields (always strings).
 */
function compileValueTest(op: ComparisonOperator, value: ComparisonValue): ValuePredicate {
  switch (value.kind) {
    case 'number':
      return numberTest(op, value.value);
    case 'string':
      return stringTest(op === '!=', value.value);
    case 'wildcard':
      return wildcardTest(op === '!=', value.match, value.text);
    case 'regex':
      return regexTest(op === '!=', compileRegex(value.source));
  }
}

function stringTest(negate: boolean, s: string): ValuePredicate {
  // the number whose JavaScript string form is s (NaN when there is none): avoids String(v) per event
  const asNumber = NUMBER.test(s) && String(Number(s)) === s ? Number(s) : NaN;
  if (negate) {
    return (v) => (typeof v === 'string' ? v !== s : typeof v === 'number' && v !== asNumber);
  }
  return (v) => (typeof v === 'string' ? v === s : typeof v === 'number' && v === asNumber);
}

/** `v = s1 || v = s2 || ...` for exact strings. */
function stringSetTest(values: readonly string[]): ValuePredicate {
  const strings = new Set(values);
  const numbers = new Set(values.filter((s) => NUMBER.test(s) && String(Number(s)) === s).map(Number));
  return (v) => (typeof v === 'string' ? strings.has(v) : typeof v === 'number' && numbers.has(v));
}

function wildcardTest(negate: boolean, match: 'startsWith' | 'endsWith' | 'contains', t: string): ValuePredicate {
  let f: (s: string) => boolean;
  switch (match) {
    case 'startsWith': f = (s) => s.startsWith(t); break;
    case 'endsWith': f = (s) => s.endsWith(t); break;
    case 'contains': f = t === '' ? () => true : (s) => s.includes(t); break;
  }
  return scalarStringTest(negate, f);
}

function regexTest(negate: boolean, re: RegExp): ValuePredicate {
  return scalarStringTest(negate, (s) => re.test(s));
}

/** Applies a string predicate to strings and to numbers (as their string form); false otherwise. */
function scalarStringTest(negate: boolean, f: (s: string) => boolean): ValuePredicate {
  if (negate) {
    return (v) => (typeof v === 'string' ? !f(v) : typeof v === 'number' && !f(String(v)));
  }
  return (v) => (typeof v === 'string' ? f(v) : typeof v === 'number' && f(String(v)));
}

function numberTest(op: ComparisonOperator, n: number): ValuePredicate {
  let cmp: (x: number) => boolean;
  switch (op) {
    case '=': cmp = (x) => x === n; break;
    case '!=': cmp = (x) => x !== n; break;
    case '<': cmp = (x) => x < n; break;
    case '>': cmp = (x) => x > n; break;
    case '<=': cmp = (x) => x <= n; break;
    case '>=': cmp = (x) => x >= n; break;
  }
  const nonNumericString = op === '!=';
  return (v) => {
    if (typeof v === 'number') return cmp(v);
    if (typeof v === 'string') return NUMBER.test(v) ? cmp(Number(v)) : nonNumericString;
    return false;
  };
}

// ------------------------------------------------------------------ terms

function compileTerms(groups: readonly TermGroup[]): LinePredicate {
  return any(groups.map((g) => all(g.terms.map(compileTerm))));
}

function compileTerm(t: Term): LinePredicate {
  let f: LinePredicate;
  switch (t.kind) {
    case 'matchAll': f = () => true; break;
    case 'word':
    case 'phrase': {
      const s = t.value;
      f = (line) => line.includes(s);
      break;
    }
    case 'regex': {
      const re = compileRegex(t.value);
      f = (line) => re.test(line);
      break;
    }
  }
  return t.exclude ? (line) => !f(line) : f;
}

// ------------------------------------------------------------------ space-delimited

/**
 * Splits a space-delimited log line into fields: runs of spaces/tabs separate
 * fields; a field starting with `[` runs to the next `]`, one starting with `"`
 * to the next `"` (brackets/quotes removed). An unclosed `[` or `"` starts an
 * ordinary field.
 */
export function splitDelimitedFields(line: string): string[] {
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (c === '[' || c === '"') {
      const close = line.indexOf(c === '[' ? ']' : '"', i + 1);
      if (close >= 0) {
        out.push(line.slice(i + 1, close));
        i = close + 1;
        continue;
      }
    }
    let j = i;
    while (j < n && line[j] !== ' ' && line[j] !== '\t' && line[j] !== '\r' && line[j] !== '\n') j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

interface CompiledField {
  readonly ellipsis: boolean;
  readonly test?: ValuePredicate;
}

function compileFieldExpression(e: FieldExpression): ValuePredicate {
  switch (e.kind) {
    case 'and': return all(e.operands.map(compileFieldExpression));
    case 'or': return any(e.operands.map(compileFieldExpression));
    case 'fieldComparison': return compileValueTest(e.operator, e.value);
  }
}

function compileDelimited(fields: readonly DelimitedField[]): LinePredicate {
  const compiled: CompiledField[] = fields.map((f) =>
    f.kind === 'ellipsis' ? { ellipsis: true } : { ellipsis: false, test: f.condition ? compileFieldExpression(f.condition) : undefined });
  const nf = compiled.length;
  const ellipses = compiled.filter((f) => f.ellipsis).length;
  return (line) => {
    const tokens = splitDelimitedFields(line);
    const nt = tokens.length;
    // memo only needed when several ellipses could make the search exponential
    const failed = ellipses > 1 ? new Uint8Array((nf + 1) * (nt + 1)) : undefined;
    const match = (fi: number, ti: number): boolean => {
      if (fi === nf) return ti === nt;
      if (failed && failed[fi * (nt + 1) + ti]) return false;
      const f = compiled[fi];
      let ok: boolean;
      if (f.ellipsis) {
        ok = false;
        for (let k = ti; k <= nt && !ok; k++) ok = match(fi + 1, k);
      } else {
        ok = ti < nt && (!f.test || f.test(tokens[ti])) && match(fi + 1, ti + 1);
      }
      if (!ok && failed) failed[fi * (nt + 1) + ti] = 1;
      return ok;
    };
    return match(0, 0);
  };
}
