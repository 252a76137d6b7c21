import { ComparisonNode, FilterPatternAst, JsonExpression, TermGroup } from './ast';

/**
 * Text a log event must contain for a pattern to be able to match it, derived
 * from the parsed pattern so that a replay can reject most records with a
 * substring search instead of `JSON.parse`.
 *
 * The result is a conjunction of clauses; a clause is a list of alternative
 * literals, at least one of which must occur in the event text. `undefined`
 * means nothing can be required (the pattern may match any event).
 *
 * Soundness is the whole point: a literal is only derived where a match
 * forces the event text to contain it. Two conditions are left to the caller,
 * because they depend on the event rather than on the pattern:
 *
 * - JSON-derived literals (`"ConsoleLogin"` for `$.eventName = ConsoleLogin`)
 *   hold for the raw text only when the event has no backslash: an escape
 *   (`\u0043onsoleLogin`, `\/`) can spell a value differently. Callers must
 *   not reject an event that contains a backslash.
 * - Term literals hold for the text the term pattern is evaluated on, which in
 *   a replay is the record's own line only when the record is a single line.
 *
 * Negations (`!=`, `NOT EXISTS`, `-term`), existence and `IS` tests, numeric
 * comparisons, regexes and space-delimited patterns require nothing: their
 * matches are not tied to a literal (a number can be written `1e2` or `100.0`).
 */
export type RequiredText = ReadonlyArray<readonly RequiredLiteral[]>;

/**
 * One literal and where it must occur:
 * - `text`: anywhere in the event text (term patterns; JSON `*x*` wildcards);
 * - `value`: as a whole JSON string value, `"x"` (an exact `=`);
 * - `valueStart` / `valueEnd`: at the start / end of a JSON string value (`x*` / `*x`).
 * The value kinds are also plain text: `"x"`, `"x`, `x"` (see `literalText`).
 */
export interface RequiredLiteral {
  readonly kind: 'text' | 'value' | 'valueStart' | 'valueEnd';
  readonly text: string;
  /**
   * For a JSON comparison, the last property name of its selector: the string
   * value must then be the value of some property of that name (`$.a.eventName`
   * needs `"eventName": "<value>"` somewhere), which lets a scanner look only
   * at those properties' values. A `text` literal with a key must occur inside
   * that value (`*x*`).
   */
  readonly key?: string;
}

/** The literal as text the raw event must contain (the quotes of JSON string values included). */
export function literalText(l: RequiredLiteral): string {
  switch (l.kind) {
    case 'text': return l.text;
    case 'value': return `"${l.text}"`;
    case 'valueStart': return `"${l.text}`;
    case 'valueEnd': return `${l.text}"`;
  }
}

/** Above this many clauses, a disjunction keeps one clause per operand instead of the full product. */
const MAX_CLAUSES = 16;

/** Characters of `String(n)` for any number a JSON text can hold (`-1.5e+21`, `Infinity`). */
const NUMBER_TEXT_CHARS = /^[0-9.eE+\-Infity]*$/;

export function requiredText(ast: FilterPatternAst): RequiredText | undefined {
  switch (ast.kind) {
    case 'empty':
    case 'spaceDelimited':
      return undefined;
    case 'terms':
      return anyOf(ast.groups.map(termGroup));
    case 'json':
      return json(ast.expression);
  }
}

function termGroup(g: TermGroup): RequiredText | undefined {
  const clauses: RequiredLiteral[][] = [];
  for (const t of g.terms) {
    // a term matches by substring of the event text, so its own text is required
    if (!t.exclude && (t.kind === 'word' || t.kind === 'phrase') && usable(t.value)) clauses.push([{ kind: 'text', text: t.value }]);
  }
  return clauses.length > 0 ? clauses : undefined;
}

function json(e: JsonExpression): RequiredText | undefined {
  switch (e.kind) {
    case 'and': {
      // every operand must hold, so every operand's clauses are required
      const clauses = e.operands.map(json).filter((r): r is RequiredText => r !== undefined).flat();
      return clauses.length > 0 ? clauses : undefined;
    }
    case 'or':
      return anyOf(e.operands.map(json));
    case 'comparison':
      return comparison(e);
    case 'exists':
    case 'is':
      return undefined;
  }
}

function comparison(e: ComparisonNode): RequiredText | undefined {
  if (e.operator !== '=') return undefined;
  const v = e.value;
  // String tests match string values only: the value of the selector's last property (an index selects inside an array: no key).
  const last = e.selector.path[e.selector.path.length - 1];
  const key = typeof last === 'string' && usable(last) ? { key: last } : {};
  // A string value also matches a JSON number whose string form it is (or, for
  // wildcards, contains), and numbers have many spellings: require nothing.
  switch (v.kind) {
    case 'string':
      return NUMBER_TEXT_CHARS.test(v.value) || !usable(v.value) ? undefined : [[{ kind: 'value', text: v.value, ...key }]];
    case 'wildcard': {
      if (NUMBER_TEXT_CHARS.test(v.text) || !usable(v.text)) return undefined;
      const kind = v.match === 'startsWith' ? 'valueStart' : v.match === 'endsWith' ? 'valueEnd' : 'text';
      return [[{ kind, text: v.text, ...key }]];
    }
    default:
      return undefined;
  }
}

/**
 * Only non-empty text that survives UTF-8 unchanged: U+FFFD also stands for
 * invalid bytes in the decoded event, and a lone surrogate has no UTF-8 form.
 */
function usable(s: string): boolean {
  return s !== '' && !s.includes('\ufffd') && !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
}

/**
 * A disjunction needs one of its operands: (a1 ∧ a2) ∨ b = (a1 ∨ b) ∧ (a2 ∨ b).
 * Any operand without a requirement makes the whole disjunction free.
 */
function anyOf(operands: Array<RequiredText | undefined>): RequiredText | undefined {
  if (operands.length === 0 || operands.some(o => o === undefined)) return undefined;
  const ops = operands as RequiredText[];
  const size = ops.reduce((n, o) => n * o.length, 1);
  let clauses: RequiredLiteral[][];
  if (size <= MAX_CLAUSES) {
    clauses = [[]];
    for (const o of ops) clauses = clauses.flatMap(c => o.map(alt => [...c, ...alt]));
  } else {
    // still sound: each operand implies its chosen clause, so the disjunction implies their union
    clauses = [ops.flatMap(o => best(o))];
  }
  return clauses.map(simplify);
}

/** The clause most likely to reject: fewest alternatives, then the longest shortest literal. */
function best(r: RequiredText): readonly RequiredLiteral[] {
  const score = (c: readonly RequiredLiteral[]): number => c.length * 1e6 - Math.min(...c.map(l => l.text.length));
  return r.reduce((a, b) => (score(b) < score(a) ? b : a));
}

/** Removes duplicate alternatives. */
function simplify(clause: readonly RequiredLiteral[]): RequiredLiteral[] {
  const seen = new Set<string>();
  return clause.filter(l => {
    const id = `${l.kind}:${l.key ?? ''}:${l.text}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
