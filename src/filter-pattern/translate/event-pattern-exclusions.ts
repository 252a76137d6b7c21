import { Token } from 'aws-cdk-lib';
import {
  conditionKey, Conjunction, EventMatcher, EventPatternTranslation, FieldCondition, hoistCommon, simplify, sourceMatchers, toEventPatternJson,
} from './event-pattern';
import { CisControl } from '../../catalog';
import { Exclusion } from '../../exclusions';
import { globMatches } from '../../exclusions/compile';
import { MAX_EVENT_PATTERN_LENGTH } from '../../quotas';

/**
 * Exclusions in EventBridge patterns (internal; `CisEventRules` uses it).
 *
 * The paging filter of a control is
 * `(<base>) && ($.f NOT EXISTS || ($.f != "a" && $.f != "b*")) && ...`, one
 * guard per excluded field (`compileExcludedPattern`). The rule gets the same
 * meaning:
 *
 * - A guard is `"$or": [{ f: [{ "exists": false }] }, { f: [{ "anything-but": ... }] }]`.
 *   The `anything-but` holds every excluded value of the field: a string or a
 *   list for exact values, `prefix`/`suffix` (a string or a list) when all
 *   values are of that kind, else a `wildcard` list in which each value is
 *   written as a wildcard (`a` => `a`, `b*` => `b*`, `*c*` => `*c*`, with `*`
 *   and `\` in the text escaped). One `anything-but` takes one operator, so
 *   mixed kinds need the wildcard form (event-ruler's `JsonRuleCompiler`
 *   accepts a list for each of `prefix`, `suffix`, `wildcard`).
 * - A guard on a field the control's pattern already tests (for example an
 *   event-name exclusion on a control that lists event names) cannot be a
 *   second condition on that field: a field appears once per object, and in
 *   an expanded `$or` a later condition on the same path replaces the earlier
 *   one (event-ruler's `JsonRuleCompiler.writeRules`). Such guards are
 *   intersected with the control's condition: excluded names leave the list,
 *   `anything-but` lists are merged, and each `$or` branch of the control that
 *   lacks the field is split into "absent" and "not excluded". Combinations
 *   that one field condition cannot express (for example "starts with
 *   AccessDenied but is not AccessDeniedException") are reported, not guessed.
 * - Guards on fields the control does not test are ANDed by placing each
 *   `$or` in a different object on the field's path (the field's parent, then
 *   its ancestors up to the pattern root), the "parallel or" form of
 *   event-ruler's README: each object holds one `$or`, and `$or`s in
 *   different objects are ANDed. When every object on a path already holds
 *   one, the guard is multiplied into the smallest (distribution).
 *
 * The result must fit EventBridge's event pattern size quota (2048
 * characters by default); token values (a role's ARN) are counted at the
 * length the paging filter reserves for them.
 */

/** EventBridge's default quota on the size of an event pattern, in characters. */

/** More alternatives than this in one `$or` cannot fit the pattern size quota (each takes 16+ characters). */
const MAX_ALTERNATIVES = MAX_EVENT_PATTERN_LENGTH / 16;

/** The pattern of a control's rule with its exclusions, or why they cannot be expressed. */
export interface ExcludedEventPattern {
  /** The full event pattern (`source`, `detail-type`, `detail`, and a root `$or` when needed). */
  readonly pattern: Record<string, unknown>;
  /** The exclusions the pattern honours (empty when none apply or they cannot be expressed). */
  readonly applied: Exclusion[];
  /**
   * Why the exclusions that apply could not be expressed; the pattern is then
   * the control's pattern without them.
   */
  readonly notExpressible?: string;
}

/** One excluded value of a field, classified as CloudWatch Logs reads it (`*` only first or last). */
interface ExcludedValue {
  readonly kind: 'exact' | 'prefix' | 'suffix' | 'contains' | 'wildcard';
  /** The text without its wildcards (for `wildcard`: an EventBridge wildcard, already escaped). */
  readonly text: string;
  /** The value as the exclusion states it (or, for values from the control's pattern, a description). */
  readonly raw: string;
  /** An unresolved token (an ARN of a role in the app): compared as a whole. */
  readonly token: boolean;
  /** Characters the token may take once resolved. */
  readonly reserve: number;
}

/** The excluded values of one field. */
interface Guard {
  readonly path: string[];
  readonly key: string;
  readonly selector: string;
  readonly values: ExcludedValue[];
}

/** A set of alternatives ORed in one `$or`, with paths relative to the object that holds it. */
type Alternatives = Conjunction[];

class NotExpressible extends Error {}

/**
 * The event pattern of a control's rule with the exclusions that apply to it.
 *
 * @param translation the control's translated pattern (`eventPatternFor`)
 * @param exclusions every exclusion; those that do not apply to `control` are skipped
 * @throws Error when the exclusions remove every event the rule matches
 */
export function excludedEventPattern(translation: EventPatternTranslation, exclusions: Exclusion[], control: CisControl): ExcludedEventPattern {
  const base = toEventPatternJson(translation);
  const applied = exclusions.filter(e => e.appliesTo(control));
  if (applied.length === 0) return { pattern: base, applied: [] };
  try {
    return { pattern: buildPattern(translation, applied, control), applied };
  } catch (e) {
    if (!(e instanceof NotExpressible)) throw e;
    return { pattern: base, applied: [], notExpressible: e.message };
  }
}

function buildPattern(translation: EventPatternTranslation, exclusions: Exclusion[], control: CisControl): Record<string, unknown> {
  const guards = collectGuards(exclusions);
  let dnf = patternDnf(translation.detail, []);
  const basePaths = new Map<string, string[]>();
  for (const c of dnf) for (const cond of c.values()) basePaths.set(conditionKey(cond.path), [...cond.path]);
  checkStructure(guards, [...basePaths.values()]);

  // Guards on fields the control tests: intersect them with its conditions.
  const bound = guards.filter(g => basePaths.has(g.key));
  for (const g of bound) {
    const next: Conjunction[] = [];
    for (const c of dnf) {
      const cond = c.get(g.key);
      const lists = cond ? intersect(cond.matchers, g) : [[{ exists: false }], [anythingBut(g.values)]];
      for (const matchers of lists) next.push(withCondition(c, { path: g.path, matchers }));
    }
    if (next.length > MAX_ALTERNATIVES) {
      throw new NotExpressible(`the pattern would need more than ${MAX_ALTERNATIVES} alternatives, which cannot fit EventBridge's ${MAX_EVENT_PATTERN_LENGTH}-character pattern size quota`);
    }
    dnf = next;
  }
  if (dnf.length === 0) {
    throw new Error(`The exclusions of control "${control.key}" (${exclusions.map(e => e.description).join('; ')}) remove every event its EventBridge rule matches, so the rule could never fire (and neither could the control's paging alarm). Exclude less, or leave "${control.key}" out of the exclusions' controls.`);
  }
  const { common, branches } = hoistCommon(simplify(dnf));

  // Guards on other fields: one `$or` per object on the field's path.
  const slots = new Map<string, { path: string[]; groups: Alternatives[] }>();
  if (branches.length > 0) slots.set(conditionKey(['detail']), { path: ['detail'], groups: [branches] });
  const free = guards.filter(g => !basePaths.has(g.key)).sort((a, b) => b.path.length - a.path.length);
  for (const g of free) {
    const absolute = ['detail', ...g.path];
    const candidates = absolute.slice(0, -1).map((_, i) => absolute.slice(0, absolute.length - 1 - i)).concat([[]]);
    const open = candidates.find(p => !slots.has(conditionKey(p)));
    const target = open ?? smallestSlot(candidates, slots);
    const rel = absolute.slice(target.length);
    const alternatives: Alternatives = [
      new Map([[conditionKey(rel), { path: rel, matchers: [{ exists: false }] }]]),
      new Map([[conditionKey(rel), { path: rel, matchers: [anythingBut(g.values)] }]]),
    ];
    const slot = slots.get(conditionKey(target)) ?? { path: target, groups: [] };
    slot.groups.push(alternatives);
    slots.set(conditionKey(target), slot);
  }

  const root: Record<string, any> = {};
  root.source = sourceMatchers(translation);
  root['detail-type'] = translation.detailType;
  root.detail = {};
  renderInto(root.detail, common);
  for (const slot of slots.values()) {
    const product = slot.groups.reduce<Alternatives>((acc, group) => {
      const out: Alternatives = [];
      for (const a of acc) for (const b of group) out.push(new Map([...a, ...b]));
      if (out.length > MAX_ALTERNATIVES) {
        throw new NotExpressible(`the pattern would need more than ${MAX_ALTERNATIVES} alternatives, which cannot fit EventBridge's ${MAX_EVENT_PATTERN_LENGTH}-character pattern size quota`);
      }
      return out;
    }, [new Map()]);
    const split = hoistCommon(simplify(product));
    const node = objectAt(root, slot.path);
    renderInto(node, split.common);
    if (split.branches.length > 0) {
      node.$or = split.branches.map(b => renderInto({}, b));
    }
  }

  const length = estimatedLength(root, guards);
  if (length > MAX_EVENT_PATTERN_LENGTH) {
    throw new NotExpressible(`the pattern would be ${length} characters long${guards.some(g => g.values.some(v => v.token)) ? ' (token values counted at their maximum length)' : ''}, and EventBridge allows ${MAX_EVENT_PATTERN_LENGTH} by default`);
  }
  return root;
}

/** The guards of the exclusions, one per selector in first-seen order, without duplicate values. */
function collectGuards(exclusions: Exclusion[]): Guard[] {
  const bySelector = new Map<string, Guard>();
  for (const e of exclusions) {
    for (const cond of e._conditions) {
      const path = selectorPath(cond.selector);
      let g = bySelector.get(cond.selector);
      if (!g) {
        g = { path, key: conditionKey(path), selector: cond.selector, values: [] };
        bySelector.set(cond.selector, g);
      }
      if (!g.values.some(v => v.raw === cond.value)) g.values.push(classify(cond.value, cond.renderedLength - 2));
    }
  }
  return [...bySelector.values()];
}

function selectorPath(selector: string): string[] {
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_-]*)+$/.test(selector)) {
    throw new NotExpressible(`the exclusion on ${selector} indexes an array, which EventBridge patterns cannot address`);
  }
  return selector.slice(2).split('.');
}

function classify(value: string, reserve: number): ExcludedValue {
  if (Token.isUnresolved(value)) return { kind: 'exact', text: value, raw: value, token: true, reserve };
  const lead = value.startsWith('*');
  const trail = value.length > 1 && value.endsWith('*');
  const text = value.slice(lead ? 1 : 0, trail ? -1 : undefined);
  const kind = lead && trail ? 'contains' : lead ? 'suffix' : trail ? 'prefix' : 'exact';
  return { kind, text, raw: value, token: false, reserve: value.length };
}

/** Rejects guards whose field lies above or below a field the control (or another guard) tests. */
function checkStructure(guards: Guard[], basePaths: string[][]): void {
  const isPrefix = (a: string[], b: string[]) => a.length < b.length && a.every((s, i) => s === b[i]);
  for (const g of guards) {
    for (const p of basePaths) {
      if (isPrefix(p, g.path) || isPrefix(g.path, p)) {
        throw new NotExpressible(`the exclusion on ${g.selector} and the control's condition on $.${p.join('.')} name an object and a field inside it, which one EventBridge pattern cannot test together`);
      }
    }
    for (const h of guards) {
      if (isPrefix(h.path, g.path)) {
        throw new NotExpressible(`the exclusions on ${h.selector} and ${g.selector} name an object and a field inside it, which one EventBridge pattern cannot test together`);
      }
    }
  }
}

/** The conjunctions a pattern object stands for (`$or` anywhere, nested objects flattened to paths). */
function patternDnf(node: Record<string, unknown>, prefix: string[]): Conjunction[] {
  let acc: Conjunction[] = [new Map()];
  for (const [field, spec] of Object.entries(node)) {
    let alternatives: Conjunction[];
    if (field === '$or' && Array.isArray(spec)) {
      alternatives = spec.flatMap(sub => patternDnf(sub as Record<string, unknown>, prefix));
    } else if (Array.isArray(spec)) {
      const path = [...prefix, field];
      alternatives = [new Map([[conditionKey(path), { path, matchers: spec as EventMatcher[] }]])];
    } else {
      alternatives = patternDnf(spec as Record<string, unknown>, [...prefix, field]);
    }
    const next: Conjunction[] = [];
    for (const a of acc) for (const b of alternatives) next.push(new Map([...a, ...b]));
    acc = next;
  }
  return acc;
}

function withCondition(c: Conjunction, cond: FieldCondition): Conjunction {
  const out = new Map(c);
  out.set(conditionKey(cond.path), cond);
  return out;
}

function isObject(m: unknown): m is Record<string, unknown> {
  return typeof m === 'object' && m !== null && !Array.isArray(m);
}

/**
 * `cond AND (absent OR not excluded)` for one field the control tests, as
 * one or two matcher lists (two when both "absent" and "present" survive:
 * `exists` is kept apart from value matchers, as in the translation).
 */
function intersect(matchers: EventMatcher[], g: Guard): EventMatcher[][] {
  const present: EventMatcher[] = [];
  const absent: EventMatcher[] = [];
  const field = `$.${g.path.join('.')}`;
  const values = g.values.map(v => `"${v.raw}"`).join(', ');
  const cannot = (what: string) => new NotExpressible(`the control requires ${field} to be ${what} and the exclusions remove ${values}; EventBridge allows one condition per field, and one condition cannot say both`);
  for (const m of matchers) {
    if (isObject(m) && 'exists' in m) {
      if (m.exists === false) absent.push(m);
      else present.push(anythingBut(g.values));
      continue;
    }
    if (typeof m === 'string') {
      if (g.values.some(v => v.token)) throw cannot(`"${m}"`);
      if (!g.values.some(v => globMatches(v.raw, m))) present.push(m);
      continue;
    }
    if (isObject(m) && 'anything-but' in m) {
      present.push(anythingBut([...anythingButValues(m['anything-but'], field), ...g.values]));
      continue;
    }
    if (isObject(m) && (typeof m.prefix === 'string' || typeof m.suffix === 'string')) {
      const kind = typeof m.prefix === 'string' ? 'prefix' : 'suffix';
      const affix = (m.prefix ?? m.suffix) as string;
      const overlap = affixOverlap(kind, affix, g.values);
      if (overlap === 'partial') throw cannot(`${kind === 'prefix' ? 'starting with' : 'ending with'} "${affix}"`);
      if (overlap === 'disjoint') present.push(m);
      continue;
    }
    throw cannot(JSON.stringify(m));
  }
  const out: EventMatcher[][] = [];
  if (present.length > 0) out.push(dedupe(present));
  if (absent.length > 0) out.push(absent);
  return out;
}

function dedupe(matchers: EventMatcher[]): EventMatcher[] {
  const seen = new Set<string>();
  return matchers.filter(m => {
    const k = JSON.stringify(m);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * How the strings with a prefix (or suffix) relate to the excluded values:
 * all excluded (`covered`), none excluded (`disjoint`), or some (`partial`).
 */
function affixOverlap(kind: 'prefix' | 'suffix', affix: string, values: ExcludedValue[]): 'covered' | 'disjoint' | 'partial' {
  const starts = (s: string, t: string) => (kind === 'prefix' ? s.startsWith(t) : s.endsWith(t));
  let result: 'covered' | 'disjoint' | 'partial' = 'disjoint';
  for (const v of values) {
    let r: 'covered' | 'disjoint' | 'partial';
    if (v.token) r = 'partial';
    else if (v.kind === 'exact') r = starts(v.text, affix) ? 'partial' : 'disjoint';
    else if (v.kind === kind) r = starts(affix, v.text) ? 'covered' : starts(v.text, affix) ? 'partial' : 'disjoint';
    else if (v.kind === 'contains') r = affix.includes(v.text) ? 'covered' : 'partial';
    else r = 'partial';
    if (r === 'covered') return 'covered';
    if (r === 'partial') result = 'partial';
  }
  return result;
}

/** The values of an `anything-but` of the control's pattern, as excluded values. */
function anythingButValues(arg: unknown, field: string): ExcludedValue[] {
  const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : [x]);
  const make = (kind: ExcludedValue['kind'], text: string, raw: string): ExcludedValue => ({ kind, text, raw, token: false, reserve: raw.length });
  if (typeof arg === 'string' || (Array.isArray(arg) && arg.every(a => typeof a === 'string'))) {
    return list(arg).map(s => make('exact', s as string, s as string));
  }
  if (isObject(arg) && Object.keys(arg).length === 1) {
    const [op] = Object.keys(arg);
    const items = list(arg[op]);
    if (items.every(i => typeof i === 'string')) {
      if (op === 'prefix') return items.map(s => make('prefix', s as string, `${s}*`));
      if (op === 'suffix') return items.map(s => make('suffix', s as string, `*${s}`));
      if (op === 'wildcard') return items.map(s => make('wildcard', s as string, s as string));
    }
  }
  throw new NotExpressible(`the control's condition on ${field} (anything-but ${JSON.stringify(arg)}) cannot be merged with the exclusions`);
}

/** One `anything-but` matcher that rules out every value (see the module comment). */
function anythingBut(values: ExcludedValue[]): EventMatcher {
  const unique = values.filter((v, i) => values.findIndex(w => w.kind === v.kind && w.text === v.text) === i);
  const one = <T>(xs: T[]): T | T[] => (xs.length === 1 ? xs[0] : xs);
  const kinds = new Set(unique.map(v => v.kind));
  if (kinds.size === 1) {
    const [kind] = kinds;
    const texts = unique.map(v => v.text);
    if (kind === 'exact') return { 'anything-but': one(texts) };
    if (kind === 'prefix') return { 'anything-but': { prefix: one(texts) } };
    if (kind === 'suffix') return { 'anything-but': { suffix: one(texts) } };
  }
  return { 'anything-but': { wildcard: one(unique.map(wildcardOf)) } };
}

function wildcardOf(v: ExcludedValue): string {
  // A token is left unescaped: role ARNs, role names and IP addresses hold neither * nor \.
  const text = v.kind === 'wildcard' || v.token ? v.text : v.text.replace(/[\\*]/g, c => `\\${c}`);
  switch (v.kind) {
    case 'prefix': return `${text}*`;
    case 'suffix': return `*${text}`;
    case 'contains': return `*${text}*`;
    default: return text;
  }
}

function smallestSlot(candidates: string[][], slots: Map<string, { groups: Alternatives[] }>): string[] {
  const size = (p: string[]) => slots.get(conditionKey(p))!.groups.reduce((n, g) => n * g.length, 1);
  return candidates.reduce((best, p) => (size(p) < size(best) ? p : best));
}

/** The object at `path` below `root`, created where missing. */
function objectAt(root: Record<string, any>, path: string[]): Record<string, any> {
  let node = root;
  for (const seg of path) {
    if (node[seg] === undefined) node[seg] = {};
    if (!isObject(node[seg])) throw new Error(`Internal error: ${path.join('.')} is a field, not an object; please report this with your exclusions.`);
    node = node[seg];
  }
  return node;
}

/** Adds the conditions of a conjunction (paths relative to `node`) to `node`, and returns it. */
function renderInto(node: Record<string, any>, c: Conjunction): Record<string, any> {
  for (const cond of c.values()) {
    const parent = objectAt(node, cond.path.slice(0, -1));
    const leaf = cond.path[cond.path.length - 1];
    if (parent[leaf] !== undefined) throw new Error(`Internal error: $.${cond.path.join('.')} is tested twice; please report this with your exclusions.`);
    parent[leaf] = cond.matchers;
  }
  return node;
}

/** Length of the pattern as JSON, with token values counted at their reserve. */
function estimatedLength(pattern: Record<string, unknown>, guards: Guard[]): number {
  const json = JSON.stringify(pattern);
  let extra = 0;
  for (const g of guards) {
    for (const v of g.values) {
      if (!v.token) continue;
      const occurrences = json.split(v.text).length - 1;
      extra += occurrences * Math.max(0, v.reserve - v.text.length);
    }
  }
  return json.length + extra;
}
