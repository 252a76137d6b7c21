import { ComparisonNode, ExistsNode, IsNode, JsonExpression } from '../ast';
import { CompiledFilterPattern } from '../index';
import { parseFilterPatternAst } from '../parser';

/**
 * Translation of CloudWatch Logs JSON filter patterns (as run on CloudTrail
 * records) into Amazon EventBridge event patterns (as run on the
 * "AWS API Call via CloudTrail" / "AWS Console Sign In via CloudTrail" events
 * CloudTrail puts on the default bus, whose `detail` is the CloudTrail record).
 *
 * Internal: not part of the jsii API.
 *
 * How it works: the filter-pattern AST is brought into disjunctive normal form
 * (an OR of conjunctions of field conditions); conjunctions that differ in one
 * field only are merged into one value list (EventBridge's arrays-as-OR),
 * conditions shared by every conjunction are hoisted, and what remains becomes
 * a `$or` inside `detail`. `$or` needs no escape hatch: `EventPattern.detail`
 * is an untyped map in aws-cdk-lib 2.176, and `$or` is only ever emitted there.
 *
 * Semantics, leaf by leaf (CloudWatch => EventBridge):
 * - `f = "x"` => `["x"]`; `f = "x*"` => `[{prefix}]`; `f = "*x"` => `[{suffix}]`;
 *   `f = "*x*"` => `[{wildcard: "*x*"}]` (inner `*` and `\` escaped).
 * - `f != ...` => `[{"anything-but": ...}]` (with prefix/suffix/wildcard inside).
 *   Both are false when `f` is absent: CloudWatch reports `!=` on a missing
 *   field as false (REFERENCE.md section 4), and EventBridge only matches an event that
 *   contains every field its pattern names, `exists: false` excepted (EventBridge
 *   user guide, "Event patterns"). So `!=` translates 1:1, absent fields included.
 * - `f NOT EXISTS` => `[{exists: false}]`; `f = "*"` => `[{exists: true}]`.
 * - `IS NULL/TRUE/FALSE` => `[null]` / `[true]` / `[false]`.
 * - numbers => `numeric` (`=` also for string values that are numeric
 *   literals, since CloudWatch compares a string value with a JSON number's text).
 * - `%regex%` values and selectors with an array index (`$.a[0].b`) cannot be
 *   expressed; the condition is dropped (the rule matches MORE events), and a
 *   caveat says so. A translation that would match every CloudTrail event is
 *   refused.
 *
 * Differences that remain (documented as caveats of every translation):
 * - EventBridge matches an array field when any element matches; CloudWatch
 *   never matches a selector that names an array.
 * - `exists: false` is also true when the field is an object; CloudWatch's
 *   `NOT EXISTS` is false then.
 * - Number/string crossings: CloudWatch compares `"4*"` with the text of a JSON
 *   number and `= 5` with numeric strings; EventBridge keeps types apart.
 */

/** One EventBridge value matcher (an element of a field's value list). */
export type EventMatcher = string | number | boolean | null | { readonly [op: string]: unknown };

/** The result of translating one filter pattern. */
export interface EventPatternTranslation {
  /** The pattern for the event's `detail` (the CloudTrail record). */
  readonly detail: Record<string, unknown>;
  /** `detail-type` values the rule must accept. */
  readonly detailType: string[];
  /**
   * Top-level `source` values, when every branch pins `$.eventSource` to a
   * service whose EventBridge source is known (`kms.amazonaws.com` => `aws.kms`).
   */
  readonly source?: string[];
  /** Where the EventBridge pattern is broader than the filter pattern (empty when exact). */
  readonly caveats: string[];
}

/** `detail-type` of CloudTrail management events on the default bus. */
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
/** `detail-type` of console sign-in events (`ConsoleLogin`, `CheckMfa`, ...). */
export const CONSOLE_SIGN_IN_DETAIL_TYPE = 'AWS Console Sign In via CloudTrail';

/** CloudTrail `eventName`s delivered as "AWS Console Sign In via CloudTrail". */
const SIGN_IN_EVENT_NAMES: ReadonlySet<string> = new Set([
  'ConsoleLogin', 'CheckMfa', 'ExitRole', 'RenewRole', 'SwitchRole', 'UserAuthentication',
  'CredentialChallenge', 'CredentialVerification', 'PasswordUpdated', 'PasswordRecoveryRequested', 'PasswordRecoveryCompleted',
]);

/**
 * CloudTrail `eventSource` => EventBridge `source` for the services whose
 * mapping is the plain `aws.<prefix>` form (not true for every service:
 * `monitoring.amazonaws.com` is `aws.cloudwatch`), so only these are pinned.
 */
const KNOWN_SOURCES: Readonly<Record<string, string>> = {
  'cloudtrail.amazonaws.com': 'aws.cloudtrail',
  'config.amazonaws.com': 'aws.config',
  'ec2.amazonaws.com': 'aws.ec2',
  'iam.amazonaws.com': 'aws.iam',
  'kms.amazonaws.com': 'aws.kms',
  'organizations.amazonaws.com': 'aws.organizations',
  's3.amazonaws.com': 'aws.s3',
  'secretsmanager.amazonaws.com': 'aws.secretsmanager',
  'signin.amazonaws.com': 'aws.signin',
  'sts.amazonaws.com': 'aws.sts',
};

/** The caveats every translation carries (see the module comment). */
export const GENERAL_TRANSLATION_CAVEATS: readonly string[] = [
  'An array-valued field matches when any element matches (CloudWatch never matches a selector that names an array).',
  '`exists: false` is also true when the field is an object (CloudWatch NOT EXISTS is false then).',
  'Strings and numbers are not compared across types (CloudWatch compares a string value with the text of a JSON number).',
];

/** Most conjunctions a translation may produce before it is refused. */
const MAX_CONJUNCTIONS = 64;

/** A field condition: path below `detail` and the matchers, any of which must hold. */
export interface FieldCondition {
  readonly path: readonly string[];
  readonly matchers: EventMatcher[];
}

/** AND of field conditions, keyed by the path joined with NUL (see `conditionKey`). */
export type Conjunction = Map<string, FieldCondition>;

class TranslationContext {
  public readonly caveats: string[] = [];

  constructor(public readonly text: string) {}

  public caveat(message: string): void {
    if (!this.caveats.includes(message)) this.caveats.push(message);
  }
}

/**
 * Translates a JSON filter pattern into the parts of an EventBridge pattern.
 *
 * @throws Error when the pattern is not a JSON pattern, or when the translation
 * would match every CloudTrail event (every condition untranslatable).
 */
export function translateFilterPattern(pattern: string | CompiledFilterPattern): EventPatternTranslation {
  const text = typeof pattern === 'string' ? pattern : pattern.text;
  const ast = typeof pattern === 'string' ? parseFilterPatternAst(pattern) : pattern._ast;
  if (ast.kind !== 'json') {
    throw new Error(`Only JSON filter patterns ({ $.field = ... }) can be translated into an EventBridge pattern; got a ${ast.kind} pattern: ${text}`);
  }
  const ctx = new TranslationContext(text);
  const dnf = simplify(toDnf(ast.expression, ctx));
  if (dnf.some(c => c.size === 0)) {
    throw new Error(`The filter pattern ${text} cannot be translated into an EventBridge pattern without matching every CloudTrail event (${ctx.caveats.join(' ')}). Use the metric filter and alarm for it.`);
  }
  const hoisted = hoistCommon(dnf);
  const detail = renderConjunction(hoisted.common, text);
  if (hoisted.branches.length > 0) {
    detail.$or = hoisted.branches.map(b => renderConjunction(b, text));
  }
  return {
    detail,
    detailType: detailTypesFor(dnf),
    source: sourcesFor(dnf),
    caveats: ctx.caveats,
  };
}

/**
 * The `source` a rule matches: the services the pattern pins, or else any AWS
 * service (`aws.` prefix). CloudTrail events on EventBridge always come from
 * `aws.<service>`, and PutEvents refuses `aws.` sources to customers, so a
 * made-up event with CloudTrail's detail type and a copied detail never
 * matches, on the default bus or on a bus that receives other accounts' events.
 */
export function sourceMatchers(t: EventPatternTranslation): EventMatcher[] {
  return t.source ?? [{ prefix: 'aws.' }];
}

/** The translation as a plain EventBridge pattern object (`source`, `detail-type`, `detail`). */
export function toEventPatternJson(t: EventPatternTranslation): Record<string, unknown> {
  return {
    'source': sourceMatchers(t),
    'detail-type': t.detailType,
    'detail': t.detail,
  };
}

function toDnf(e: JsonExpression, ctx: TranslationContext): Conjunction[] {
  switch (e.kind) {
    case 'or': {
      const out: Conjunction[] = [];
      for (const op of e.operands) out.push(...toDnf(op, ctx));
      guardSize(out.length, ctx);
      return out;
    }
    case 'and': {
      let acc: Conjunction[] = [new Map()];
      for (const op of e.operands) {
        const next: Conjunction[] = [];
        for (const left of acc) {
          for (const right of toDnf(op, ctx)) next.push(andMerge(left, right, ctx));
        }
        guardSize(next.length, ctx);
        acc = next;
      }
      return acc;
    }
    default: {
      const cond = translateLeaf(e, ctx);
      return [cond ? new Map([[key(cond.path), cond]]) : new Map()];
    }
  }
}

function guardSize(n: number, ctx: TranslationContext): void {
  if (n > MAX_CONJUNCTIONS) {
    throw new Error(`The filter pattern ${ctx.text} expands to more than ${MAX_CONJUNCTIONS} alternatives; it is too complex to translate into an EventBridge pattern.`);
  }
}

/** AND of two conjunctions; two conditions on one field are intersected where possible, else the second is dropped (broader). */
function andMerge(a: Conjunction, b: Conjunction, ctx: TranslationContext): Conjunction {
  const out: Conjunction = new Map(a);
  for (const [k, cond] of b) {
    const existing = out.get(k);
    if (!existing) {
      out.set(k, cond);
      continue;
    }
    if (existing.matchers.every(isExact) && cond.matchers.every(isExact)) {
      const keep = existing.matchers.filter(m => cond.matchers.some(n => sameMatcher(m, n)));
      out.set(k, { path: cond.path, matchers: keep });
      continue;
    }
    ctx.caveat(`Two conditions on $.${cond.path.join('.')} are ANDed; EventBridge allows one condition per field, so only the first is kept (the rule matches more events).`);
  }
  return out;
}

function translateLeaf(e: ComparisonNode | ExistsNode | IsNode, ctx: TranslationContext): FieldCondition | undefined {
  const sel = e.selector;
  if (sel.path.some(s => typeof s === 'number')) {
    ctx.caveat(`The selector ${sel.text} indexes an array, which EventBridge patterns cannot do; the condition is left out (the rule matches more events).`);
    return undefined;
  }
  const path = sel.path as string[];
  if (e.kind === 'exists') return { path, matchers: [{ exists: e.exists }] };
  if (e.kind === 'is') return { path, matchers: [e.test === 'null' ? null : e.test === 'true'] };

  const v = e.value;
  const negated = e.operator === '!=';
  const wrap = (m: EventMatcher): EventMatcher => (negated ? { 'anything-but': m } : m);
  switch (v.kind) {
    case 'regex':
      ctx.caveat(`The regex value ${v.raw} on ${sel.text} has no EventBridge equivalent; the condition is left out (the rule matches more events).`);
      return undefined;
    case 'string': {
      const matchers: EventMatcher[] = [wrap(v.value)];
      if (!negated && NUMERIC.test(v.value)) matchers.push({ numeric: ['=', Number(v.value)] });
      return { path, matchers };
    }
    case 'wildcard': {
      const m = v.match === 'startsWith' ? { prefix: v.text }
        : v.match === 'endsWith' ? { suffix: v.text }
          : { wildcard: `*${escapeWildcard(v.text)}*` };
      return { path, matchers: [wrap(m)] };
    }
    case 'number':
      if (negated) return { path, matchers: [{ 'anything-but': v.value }] };
      return { path, matchers: [{ numeric: [e.operator, v.value] }] };
  }
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function escapeWildcard(s: string): string {
  return s.replace(/[\\*]/g, c => `\\${c}`);
}

/** The key of a field path in a `Conjunction`. */
export function conditionKey(path: readonly string[]): string {
  return key(path);
}

function key(path: readonly string[]): string {
  return path.join('\u0000');
}

function isExact(m: EventMatcher): boolean {
  return m === null || typeof m !== 'object';
}

function isExists(m: EventMatcher): boolean {
  return m !== null && typeof m === 'object' && 'exists' in m;
}

function sameMatcher(a: EventMatcher, b: EventMatcher): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameCondition(a: FieldCondition, b: FieldCondition): boolean {
  return a.matchers.length === b.matchers.length && a.matchers.every((m, i) => sameMatcher(m, b.matchers[i]));
}

/**
 * Merges conjunctions that differ in exactly one field (neither side an
 * `exists` test) into one with a longer value list, until nothing changes,
 * and drops duplicates.
 */
export function simplify(dnf: Conjunction[]): Conjunction[] {
  let list = [...dnf];
  let changed = true;
  while (changed) {
    changed = false;
    outer:
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const merged = mergeIfOneFieldDiffers(list[i], list[j]);
        if (merged) {
          list = [...list.slice(0, i), merged, ...list.slice(i + 1, j), ...list.slice(j + 1)];
          changed = true;
          break outer;
        }
      }
    }
  }
  return list;
}

function mergeIfOneFieldDiffers(a: Conjunction, b: Conjunction): Conjunction | undefined {
  if (a.size !== b.size) return undefined;
  let differing: string | undefined;
  for (const [k, ca] of a) {
    const cb = b.get(k);
    if (!cb) return undefined;
    if (sameCondition(ca, cb)) continue;
    if (differing !== undefined) return undefined;
    differing = k;
  }
  if (differing === undefined) return new Map(a); // identical
  const ca = a.get(differing)!;
  const cb = b.get(differing)!;
  if (ca.matchers.some(isExists) || cb.matchers.some(isExists)) return undefined;
  const matchers = [...ca.matchers];
  for (const m of cb.matchers) if (!matchers.some(x => sameMatcher(x, m))) matchers.push(m);
  const out = new Map(a);
  out.set(differing, { path: ca.path, matchers });
  return out;
}

/** Splits off the conditions every conjunction shares. */
export function hoistCommon(dnf: Conjunction[]): { common: Conjunction; branches: Conjunction[] } {
  if (dnf.length === 1) return { common: dnf[0], branches: [] };
  const common: Conjunction = new Map();
  for (const [k, c] of dnf[0]) {
    if (dnf.every(d => d.has(k) && sameCondition(d.get(k)!, c))) common.set(k, c);
  }
  const branches = dnf.map(d => {
    const rest: Conjunction = new Map(d);
    for (const k of common.keys()) rest.delete(k);
    return rest;
  });
  // A branch left empty means "common alone suffices": the OR is then always true.
  if (branches.some(b => b.size === 0)) return { common, branches: [] };
  return { common, branches };
}

function renderConjunction(c: Conjunction, text: string): Record<string, any> {
  const out: Record<string, any> = {};
  for (const cond of c.values()) {
    let node = out;
    cond.path.forEach((seg, i) => {
      const last = i === cond.path.length - 1;
      const existing = node[seg];
      if (last) {
        if (existing !== undefined) throw new Error(`The filter pattern ${text} tests both $.${cond.path.join('.')} and fields below it; EventBridge cannot express that.`);
        node[seg] = cond.matchers;
      } else {
        if (Array.isArray(existing)) throw new Error(`The filter pattern ${text} tests both $.${cond.path.slice(0, i + 1).join('.')} and fields below it; EventBridge cannot express that.`);
        node[seg] = existing ?? {};
        node = node[seg];
      }
    });
  }
  return out;
}

/** Exact `eventName` values a conjunction pins, or undefined when it does not pin them. */
function eventNamesOf(c: Conjunction): string[] | undefined {
  const cond = c.get(key(['eventName']));
  if (!cond || !cond.matchers.every(m => typeof m === 'string')) return undefined;
  return cond.matchers as string[];
}

function detailTypesFor(dnf: Conjunction[]): string[] {
  let apiCall = false;
  let signIn = false;
  for (const c of dnf) {
    const names = eventNamesOf(c);
    if (!names) {
      apiCall = true;
      signIn = true;
      continue;
    }
    for (const n of names) {
      if (SIGN_IN_EVENT_NAMES.has(n)) signIn = true;
      else apiCall = true;
    }
  }
  const out: string[] = [];
  if (apiCall) out.push(API_CALL_DETAIL_TYPE);
  if (signIn) out.push(CONSOLE_SIGN_IN_DETAIL_TYPE);
  return out;
}

function sourcesFor(dnf: Conjunction[]): string[] | undefined {
  const out: string[] = [];
  for (const c of dnf) {
    const cond = c.get(key(['eventSource']));
    if (!cond || !cond.matchers.every(m => typeof m === 'string' && KNOWN_SOURCES[m] !== undefined)) return undefined;
    for (const m of cond.matchers as string[]) if (!out.includes(KNOWN_SOURCES[m])) out.push(KNOWN_SOURCES[m]);
  }
  return out.length > 0 ? out : undefined;
}
