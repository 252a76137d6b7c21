import { ComparisonNode, ExistsNode, IsNode, JsonExpression, PathSegment } from '../ast';
import { CompiledFilterPattern } from '../index';
import { parseFilterPatternAst } from '../parser';

/**
 * Translation of CloudWatch Logs JSON filter patterns into CloudWatch Logs
 * Insights `filter` expressions over the same CloudTrail log group (internal).
 *
 * Logs Insights discovers the fields of JSON log events and flattens them:
 * `$.userIdentity.type` is the field `userIdentity.type`, and array elements
 * are numbered (`$.a[0].b` is `a.0.b`, written in backticks here). The
 * emitted subset, and why each piece keeps the filter pattern's meaning:
 *
 * - `f = "x"`: exact string comparison. An absent field never equals anything,
 *   as in CloudWatch.
 * - `f != "x"` => `(ispresent(f) and f != "x")`: CloudWatch's `!=` is false
 *   when the field is absent (REFERENCE.md section 4); the `ispresent` guard makes the
 *   Insights expression say the same whatever Insights does with absent fields.
 * - wildcards => `f like /^x/`, `/x$/`, `/x/` (regex-escaped); negated with
 *   `not like`, guarded by `ispresent` like `!=`.
 * - `f NOT EXISTS` => `not ispresent(f)`; `f = "*"` => `ispresent(f)`.
 * - numbers => `f = 5`, `f < 5`, ...; `%regex%` => `f like /regex/`.
 * - OR of equalities on one field => `f in ["a", "b"]` (shorter, same meaning).
 * - `IS NULL/TRUE/FALSE` have no Insights equivalent: left out (the query
 *   returns more events) with a caveat.
 *
 * `test/queries/insights-translation.test.ts` evaluates every emitted filter
 * with a small evaluator of exactly this subset and checks it against the
 * filter-pattern engine on every fixture and on the Stratus Red Team corpus.
 */

/** A translated filter. */
export interface InsightsFilter {
  /** The expression for a `filter` command (without the `filter` keyword). */
  readonly expression: string;
  /** Where the expression returns more events than the filter pattern (empty when exact). */
  readonly caveats: string[];
}

/** Fields shown by the per-control queries. */
export const CONTROL_QUERY_FIELDS: readonly string[] = [
  '@timestamp', 'eventSource', 'eventName', 'userIdentity.arn', 'sourceIPAddress', 'awsRegion', 'errorCode', 'errorMessage',
];

/**
 * The Logs Insights expression that selects the CloudTrail records a JSON
 * filter pattern matches.
 * @throws Error for term and space-delimited patterns
 */
export function insightsFilterFor(pattern: string | CompiledFilterPattern): InsightsFilter {
  const patternText = typeof pattern === 'string' ? pattern : pattern.text;
  const ast = typeof pattern === 'string' ? parseFilterPatternAst(pattern) : pattern._ast;
  if (ast.kind !== 'json') {
    throw new Error(`Only JSON filter patterns ({ $.field = ... }) can be translated into a Logs Insights filter; got a ${ast.kind} pattern: ${patternText}`);
  }
  const caveats: string[] = [];
  const expression = render(ast.expression, caveats, true);
  return { expression: expression ?? 'ispresent(eventName)', caveats };
}

/**
 * A one-line Logs Insights query that lists the CloudTrail events a filter
 * matches, newest first: short enough for an alarm description. Run it on the
 * trail's log group over the alarm's period.
 */
export function insightsQueryFor(filter: InsightsFilter, byAccount = false): string {
  if (byAccount) {
    // An organization trail's log group holds every member: count per member account first.
    return `filter ${filter.expression} | stats count(*) as events, latest(@timestamp) as lastSeen by recipientAccountId, eventName, userIdentity.arn | sort lastSeen desc | limit 100`;
  }
  return `filter ${filter.expression} | fields @timestamp, eventName, userIdentity.arn, sourceIPAddress, errorCode | sort @timestamp desc | limit 100`;
}

/** Renders an expression; undefined means "true" (the condition was left out). */
function render(e: JsonExpression, caveats: string[], top: boolean): string | undefined {
  switch (e.kind) {
    case 'and': {
      const parts = e.operands.map(o => render(o, caveats, false)).filter((p): p is string => p !== undefined);
      if (parts.length === 0) return undefined;
      const joined = parts.join(' and ');
      return top || parts.length === 1 ? joined : `(${joined})`;
    }
    case 'or': {
      const inList = asInList(e.operands);
      if (inList) return inList;
      const parts = e.operands.map(o => render(o, caveats, false));
      if (parts.some(p => p === undefined)) return undefined;
      const joined = parts.join(' or ');
      return top ? joined : `(${joined})`;
    }
    default:
      return renderLeaf(e, caveats);
  }
}

/** `f = "a" || f = "b" || ...` (exact strings, one field) => `f in ["a", "b"]`. */
function asInList(operands: readonly JsonExpression[]): string | undefined {
  if (operands.length < 2) return undefined;
  let field: string | undefined;
  const values: string[] = [];
  for (const o of operands) {
    if (o.kind !== 'comparison' || o.operator !== '=' || o.value.kind !== 'string') return undefined;
    const f = fieldName(o.selector.path);
    if (field !== undefined && f !== field) return undefined;
    field = f;
    values.push(quote(o.value.value));
  }
  return `${field} in [${values.join(', ')}]`;
}

function renderLeaf(e: ComparisonNode | ExistsNode | IsNode, caveats: string[]): string | undefined {
  const f = fieldName(e.selector.path);
  if (e.kind === 'exists') return e.exists ? `ispresent(${f})` : `not ispresent(${f})`;
  if (e.kind === 'is') {
    const c = `The test ${e.selector.text} IS ${e.test.toUpperCase()} has no Logs Insights equivalent; it is left out (the query returns more events).`;
    if (!caveats.includes(c)) caveats.push(c);
    return undefined;
  }
  const v = e.value;
  const negated = e.operator === '!=';
  const guard = (expr: string) => `(ispresent(${f}) and ${expr})`;
  switch (v.kind) {
    case 'string':
      return negated ? guard(`${f} != ${quote(v.value)}`) : `${f} = ${quote(v.value)}`;
    case 'wildcard': {
      const body = escapeRegex(v.text);
      const re = v.match === 'startsWith' ? `/^${body}/` : v.match === 'endsWith' ? `/${body}$/` : `/${body}/`;
      return negated ? guard(`${f} not like ${re}`) : `${f} like ${re}`;
    }
    case 'regex': {
      const re = `/${v.source.replace(/\//g, '\\/')}/`;
      return negated ? guard(`${f} not like ${re}`) : `${f} like ${re}`;
    }
    case 'number':
      return negated ? guard(`${f} != ${v.raw}`) : `${f} ${e.operator} ${v.raw}`;
  }
}

/** Insights field name of a selector path; backticks when a segment is not a plain identifier. */
export function fieldName(path: readonly PathSegment[]): string {
  const name = path.map(String).join('.');
  const plain = path.every(s => typeof s === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(s));
  return plain ? name : `\`${name}\``;
}

/** A double-quoted Insights string literal. */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, c => `\\${c}`)}"`;
}

/** Escapes text for use inside a `/regex/` literal. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, c => `\\${c}`);
}
