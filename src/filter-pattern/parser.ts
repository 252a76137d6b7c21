import {
  AndNode,
  ComparisonNode,
  ComparisonOperator,
  ComparisonValue,
  DelimitedField,
  ExistsNode,
  FieldComparisonNode,
  FieldExpression,
  FilterPatternAst,
  IsNode,
  JsonExpression,
  OrNode,
  PathSegment,
  Selector,
  Span,
  Term,
  TermGroup,
} from './ast';
import { FilterPatternSyntaxError } from './errors';
import { Lexer, Token } from './lexer';
import { checkRegexSource } from './regex';
import { MAX_REGEX_PER_PATTERN } from '../quotas';


const OPERATORS: ReadonlySet<string> = new Set(['=', '!=', '<', '>', '<=', '>=']);
const RELATIONAL: ReadonlySet<string> = new Set(['<', '>', '<=', '>=']);
const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const PROPERTY_CHAR = /^[A-Za-z0-9_-]$/;
const FIELD_NAME = /^[A-Za-z0-9_-]+$/;
const WS = /[ \t\r\n]/;

/**
 * Parses a CloudWatch Logs filter pattern into an AST.
 *
 * The form is chosen by the first non-whitespace character: none => empty
 * pattern, `{` => JSON pattern, `[` => space-delimited pattern, anything else
 * => term pattern. Length (1024) is not checked here.
 *
 * @throws FilterPatternSyntaxError (message: `Invalid filter pattern at position N: <reason>` + pattern + caret)
 */
export function parseFilterPatternAst(text: string): FilterPatternAst {
  let i = 0;
  while (i < text.length && WS.test(text[i])) i++;
  if (i >= text.length) {
    return { kind: 'empty', span: { start: 0, end: text.length } };
  }
  const parser = new Parser(text);
  if (text[i] === '{') return parser.parseJsonPattern(i);
  if (text[i] === '[') return parser.parseDelimitedPattern(i);
  return parser.parseTermsPattern(i);
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'the end of the pattern';
    case 'string': return `the string ${t.raw}`;
    case 'regex': return `the regex ${t.raw}`;
    default: return `'${t.raw}'`;
  }
}

class Parser {
  private regexCount = 0;
  private lexer!: Lexer;
  /** End offset of the last ')' consumed by expectCloseParen. */
  private lastEnd = 0;

  constructor(private readonly text: string) {}

  // ---------------------------------------------------------------- JSON

  public parseJsonPattern(open: number): FilterPatternAst {
    this.lexer = new Lexer(this.text, 'json', open + 1);
    if (this.lexer.peek().kind === 'rbrace') {
      this.fail(this.lexer.peek().start, 'empty JSON pattern: expected a condition such as $.field = "value" between \'{\' and \'}\'');
    }
    const expression = this.parseOr<JsonExpression>(() => this.parseJsonPrimary());
    const t = this.lexer.next();
    if (t.kind === 'eof') {
      this.fail(t.start, `missing '}': a pattern that starts with '{' (position ${open}) must end with '}'`);
    }
    if (t.kind === 'rparen') {
      this.fail(t.start, 'unbalanced parentheses: \')\' without a matching \'(\'');
    }
    if (t.kind !== 'rbrace') {
      this.fail(t.start, `expected '&&', '||' or '}' but found ${describe(t)}`);
    }
    this.expectNothingAfter(t.end, '}');
    return { kind: 'json', expression, regexCount: this.regexCount, span: { start: open, end: t.end } };
  }

  private parseOr<T>(primary: () => T): T {
    const first = this.parseAnd(primary);
    if (this.lexer.peek().kind !== 'or') return first;
    const operands: T[] = [];
    this.pushFlat(operands, first, 'or');
    while (this.lexer.peek().kind === 'or') {
      const op = this.lexer.next();
      this.expectOperandAfter(op);
      this.pushFlat(operands, this.parseAnd(primary), 'or');
    }
    return this.logical('or', operands) as unknown as T;
  }

  private parseAnd<T>(primary: () => T): T {
    const first = primary();
    if (this.lexer.peek().kind !== 'and') return first;
    const operands: T[] = [];
    this.pushFlat(operands, first, 'and');
    while (this.lexer.peek().kind === 'and') {
      const op = this.lexer.next();
      this.expectOperandAfter(op);
      this.pushFlat(operands, primary(), 'and');
    }
    return this.logical('and', operands) as unknown as T;
  }

  private pushFlat<T>(operands: T[], node: T, kind: 'and' | 'or'): void {
    const n = node as unknown as { kind: string; operands?: readonly T[] };
    if (n.kind === kind && n.operands) {
      operands.push(...n.operands);
    } else {
      operands.push(node);
    }
  }

  private logical<T>(kind: 'and' | 'or', operands: T[]): AndNode<T> | OrNode<T> {
    const spans = operands as unknown as Array<{ span: Span }>;
    const span = { start: spans[0].span.start, end: spans[spans.length - 1].span.end };
    return { kind, operands, span };
  }

  private expectOperandAfter(op: Token): void {
    const t = this.lexer.peek();
    if (t.kind === 'eof' || t.kind === 'rbrace' || t.kind === 'rparen' || t.kind === 'rbracket' || t.kind === 'comma'
      || t.kind === 'and' || t.kind === 'or') {
      this.fail(t.start, `missing condition after '${op.raw}'`);
    }
  }

  private parseJsonPrimary(): JsonExpression {
    const t = this.lexer.next();
    if (t.kind === 'lparen') {
      const inner = this.parseOr<JsonExpression>(() => this.parseJsonPrimary());
      this.expectCloseParen(t);
      return this.widen(inner, t.start, this.lastEnd);
    }
    if (t.kind === 'selector') {
      return this.parseJsonCondition(t);
    }
    if (t.kind === 'rparen') {
      this.fail(t.start, 'expected a condition but found \')\'');
    }
    if (t.kind === 'eof' || t.kind === 'rbrace') {
      this.fail(t.start, `expected a condition but found ${describe(t)}`);
    }
    return this.fail(t.start, `bad selector: expected a selector starting with '$.' (such as $.eventName) but found ${describe(t)}`);
  }

  private expectCloseParen(open: Token): void {
    const t = this.lexer.next();
    if (t.kind === 'rparen') {
      this.lastEnd = t.end;
      return;
    }
    if (t.kind === 'eof' || t.kind === 'rbrace' || t.kind === 'rbracket' || t.kind === 'comma') {
      this.fail(t.start, `unbalanced parentheses: the '(' at position ${open.start} is not closed`);
    }
    this.fail(t.start, `expected '&&', '||' or ')' but found ${describe(t)}`);
  }

  /** Parenthesised expressions keep their node but take the span of the parentheses. */
  private widen<T>(node: T, start: number, end: number): T {
    return { ...(node as unknown as object), span: { start, end } } as unknown as T;
  }

  private parseJsonCondition(selTok: Token): JsonExpression {
    const selector = this.parseSelector(selTok);
    const t = this.lexer.next();
    if (t.kind === 'op') {
      if (!OPERATORS.has(t.raw)) {
        this.fail(t.start, `unknown operator '${t.raw}' (expected =, !=, <, >, <=, >=, IS or NOT EXISTS)`);
      }
      const operator = t.raw as ComparisonOperator;
      const vTok = this.lexer.peek();
      if (operator === '=' && (vTok.kind === 'word' || vTok.kind === 'string') && vTok.value === '*') {
        this.lexer.next();
        const node: ExistsNode = { kind: 'exists', selector, exists: true, span: { start: selTok.start, end: vTok.end } };
        return node;
      }
      const value = this.parseValue(t);
      const node: ComparisonNode = { kind: 'comparison', selector, operator, value, span: { start: selTok.start, end: value.span.end } };
      return node;
    }
    if (t.kind === 'word') {
      if (t.raw === 'IS') {
        const k = this.lexer.next();
        if (k.kind === 'word' && (k.raw === 'NULL' || k.raw === 'TRUE' || k.raw === 'FALSE')) {
          const node: IsNode = { kind: 'is', selector, test: k.raw.toLowerCase() as IsNode['test'], span: { start: selTok.start, end: k.end } };
          return node;
        }
        if (k.kind === 'word' && k.raw === 'NOT') {
          this.fail(t.start, 'IS NOT is not supported: use NOT EXISTS, or != with a value');
        }
        this.fail(k.start, `expected NULL, TRUE or FALSE after IS but found ${describe(k)}`);
      }
      if (t.raw === 'NOT') {
        const k = this.lexer.next();
        if (k.kind === 'word' && k.raw === 'EXISTS') {
          const node: ExistsNode = { kind: 'exists', selector, exists: false, span: { start: selTok.start, end: k.end } };
          return node;
        }
        this.fail(k.start, `expected EXISTS after NOT but found ${describe(k)}`);
      }
      if (t.raw === 'EXISTS') {
        this.fail(t.start, 'EXISTS is not supported: use $.field = "*" to require a field, or $.field NOT EXISTS');
      }
      const hint = ['is', 'not', 'exists'].includes(t.raw.toLowerCase()) ? ' (keywords are case-sensitive: IS NULL, IS TRUE, IS FALSE, NOT EXISTS)' : '';
      this.fail(t.start, `unknown operator '${t.raw}' (expected =, !=, <, >, <=, >=, IS or NOT EXISTS)${hint}`);
    }
    if (t.kind === 'string' || t.kind === 'regex' || t.kind === 'selector') {
      this.fail(t.start, `missing operator between '${selTok.raw}' and ${describe(t)}`);
    }
    return this.fail(t.start, `missing operator after '${selTok.raw}': expected =, !=, <, >, <=, >=, IS or NOT EXISTS but found ${describe(t)}`);
  }

  private parseSelector(t: Token): Selector {
    const s = t.raw;
    if (s.length < 2 || s[1] !== '.') {
      this.fail(t.start, `bad selector '${s}': a selector starts with '$.' followed by a property name`);
    }
    const path: PathSegment[] = [];
    let i = 2;
    for (;;) {
      // property name
      const nameStart = i;
      while (i < s.length && PROPERTY_CHAR.test(s[i])) i++;
      if (i === nameStart) {
        const what = i < s.length ? `'${s[i]}'` : 'the end of the selector';
        const reason = i < s.length && s[i] !== '.' && s[i] !== '['
          ? `character '${s[i]}' is not allowed in a property name (letters, digits, '-' and '_')`
          : `expected a property name but found ${what}`;
        this.fail(t.start + i, `bad selector '${s}': ${reason}`);
      }
      path.push(s.slice(nameStart, i));
      // indexes
      while (i < s.length && s[i] === '[') {
        const digitsStart = i + 1;
        let j = digitsStart;
        while (j < s.length && s[j] >= '0' && s[j] <= '9') j++;
        if (j === digitsStart || s[j] !== ']') {
          this.fail(t.start + (j === digitsStart ? digitsStart : j), `bad selector '${s}': an array index is written [N] with a non-negative integer N`);
        }
        path.push(Number(s.slice(digitsStart, j)));
        i = j + 1;
      }
      if (i >= s.length) break;
      if (s[i] !== '.') {
        const reason = PROPERTY_CHAR.test(s[i]) || s[i] === ']'
          ? `unexpected '${s[i]}'`
          : `character '${s[i]}' is not allowed in a property name (letters, digits, '-' and '_')`;
        this.fail(t.start + i, `bad selector '${s}': ${reason}`);
      }
      i++;
    }
    return { text: s, path, span: { start: t.start, end: t.end } };
  }

  /** Parses the value after operator token `opTok` (already consumed). */
  private parseValue(opTok: Token): ComparisonValue {
    const operator = opTok.raw;
    const t = this.lexer.peek();
    const span = { start: t.start, end: t.end };
    if (t.kind === 'eof' || t.kind === 'rbrace' || t.kind === 'rparen' || t.kind === 'rbracket' || t.kind === 'comma'
      || t.kind === 'and' || t.kind === 'or') {
      this.fail(t.start, `missing value after '${operator}'`);
    }
    if (t.kind === 'selector') {
      this.fail(t.start, 'comparing two selectors is not supported: the value must be a string, a number or a %regex%');
    }
    if (t.kind !== 'word' && t.kind !== 'string' && t.kind !== 'regex') {
      this.fail(t.start, `expected a value after '${operator}' but found ${describe(t)}`);
    }
    this.lexer.next();
    const relational = RELATIONAL.has(operator);
    if (t.kind === 'regex') {
      if (relational) {
        this.fail(t.start, `operator '${operator}' requires a number, not a regex`);
      }
      this.countRegex(t.start);
      return { kind: 'regex', source: t.value, raw: t.raw, span };
    }
    if (t.kind === 'word' && NUMBER.test(t.raw)) {
      return { kind: 'number', value: Number(t.raw), raw: t.raw, span };
    }
    if (relational) {
      this.fail(t.start, `operator '${operator}' requires a number but found ${describe(t)}`);
    }
    const quoted = t.kind === 'string';
    const s = t.value;
    if (s === '*') {
      return { kind: 'wildcard', match: 'contains', text: '', quoted, raw: t.raw, span };
    }
    const leading = s.startsWith('*');
    const trailing = s.length > 1 && s.endsWith('*');
    if (leading && trailing) return { kind: 'wildcard', match: 'contains', text: s.slice(1, -1), quoted, raw: t.raw, span };
    if (leading) return { kind: 'wildcard', match: 'endsWith', text: s.slice(1), quoted, raw: t.raw, span };
    if (trailing) return { kind: 'wildcard', match: 'startsWith', text: s.slice(0, -1), quoted, raw: t.raw, span };
    return { kind: 'string', value: s, quoted, raw: t.raw, span };
  }

  private countRegex(position: number): void {
    this.regexCount++;
    if (this.regexCount > MAX_REGEX_PER_PATTERN) {
      this.fail(position, `too many regexes: a filter pattern may contain at most ${MAX_REGEX_PER_PATTERN} %regex% values`);
    }
  }

  // ---------------------------------------------------------------- space-delimited

  public parseDelimitedPattern(open: number): FilterPatternAst {
    this.lexer = new Lexer(this.text, 'delimited', open + 1);
    const fields: DelimitedField[] = [];
    for (;;) {
      fields.push(this.parseDelimitedField());
      const t = this.lexer.next();
      if (t.kind === 'comma') continue;
      if (t.kind === 'rbracket') {
        this.expectNothingAfter(t.end, ']');
        return { kind: 'spaceDelimited', fields, regexCount: this.regexCount, span: { start: open, end: t.end } };
      }
      if (t.kind === 'eof') {
        this.fail(t.start, `missing ']': a pattern that starts with '[' (position ${open}) must end with ']'`);
      }
      if (t.kind === 'rparen') {
        this.fail(t.start, 'unbalanced parentheses: \')\' without a matching \'(\'');
      }
      this.fail(t.start, `expected ',' or ']' after a field but found ${describe(t)}`);
    }
  }

  private parseDelimitedField(): DelimitedField {
    const t = this.lexer.peek();
    if (t.kind === 'comma' || t.kind === 'rbracket') {
      return { kind: 'field', span: { start: t.start, end: t.start } };
    }
    if (t.kind === 'word' && t.raw === '...' && this.isBareName()) {
      this.lexer.next();
      return { kind: 'ellipsis', span: { start: t.start, end: t.end } };
    }
    if (t.kind === 'word' && this.isBareName()) {
      this.checkFieldName(t);
      this.lexer.next();
      return { kind: 'field', name: t.raw, span: { start: t.start, end: t.end } };
    }
    const condition = this.parseOr<FieldExpression>(() => this.parseFieldPrimary());
    const name = this.firstFieldName(condition);
    this.checkSameField(condition, name);
    return { kind: 'field', name, condition, span: condition.span };
  }

  /** True when the peeked word is followed by ',' / ']' / ')' / end (a field without condition). */
  private isBareName(): boolean {
    const t = this.lexer.peek();
    // look at the raw text after the word, skipping whitespace
    let i = t.end;
    while (i < this.text.length && WS.test(this.text[i])) i++;
    const c = this.text[i];
    return c === undefined || c === ',' || c === ']' || c === ')';
  }

  private checkFieldName(t: Token): void {
    if (!FIELD_NAME.test(t.raw)) {
      this.fail(t.start, `bad field name '${t.raw}': use letters, digits, '-' and '_'`);
    }
  }

  private parseFieldPrimary(): FieldExpression {
    const t = this.lexer.next();
    if (t.kind === 'lparen') {
      const inner = this.parseOr<FieldExpression>(() => this.parseFieldPrimary());
      this.expectCloseParen(t);
      return this.widen(inner, t.start, this.lastEnd);
    }
    if (t.kind !== 'word') {
      this.fail(t.start, `expected a field name but found ${describe(t)}`);
    }
    if (t.raw === '...') {
      this.fail(t.start, '\'...\' must be a field of its own, without conditions');
    }
    this.checkFieldName(t);
    const op = this.lexer.next();
    if (op.kind !== 'op') {
      this.fail(op.start, `expected an operator (=, !=, <, >, <=, >=) after field '${t.raw}' but found ${describe(op)}`);
    }
    if (!OPERATORS.has(op.raw)) {
      this.fail(op.start, `unknown operator '${op.raw}' (expected =, !=, <, >, <=, >=)`);
    }
    const value = this.parseValue(op);
    const node: FieldComparisonNode = {
      kind: 'fieldComparison',
      field: t.raw,
      operator: op.raw as ComparisonOperator,
      value,
      span: { start: t.start, end: value.span.end },
    };
    return node;
  }

  private firstFieldName(e: FieldExpression): string {
    return e.kind === 'fieldComparison' ? e.field : this.firstFieldName(e.operands[0]);
  }

  private checkSameField(e: FieldExpression, name: string): void {
    if (e.kind === 'fieldComparison') {
      if (e.field !== name) {
        this.fail(e.span.start, `condition on '${e.field}' inside field '${name}': the conditions of a field must all name that field`);
      }
      return;
    }
    for (const o of e.operands) this.checkSameField(o, name);
  }

  // ---------------------------------------------------------------- terms

  public parseTermsPattern(start: number): FilterPatternAst {
    const text = this.text;
    const groups: Array<{ optional: boolean; terms: Term[] }> = [];
    let current: { optional: boolean; terms: Term[] } | undefined;
    let i = start;
    let end = start;
    while (i < text.length) {
      if (WS.test(text[i])) {
        i++;
        continue;
      }
      const termStart = i;
      let optional = false;
      let exclude = false;
      if (text[i] === '?') {
        optional = true;
        i++;
      }
      if (text[i] === '-') {
        exclude = true;
        i++;
        // documented older form: "ERROR" - "Exiting"
        if (i < text.length && WS.test(text[i])) {
          while (i < text.length && WS.test(text[i])) i++;
        }
      }
      if (i >= text.length || WS.test(text[i])) {
        this.fail(i, `missing term after '${text[i - 1] === '?' ? '?' : '-'}'`);
      }
      if (text[i] === '?' || (text[i] === '-' && exclude)) {
        this.fail(i, `unexpected '${text[i]}': write ?term, -term or ?-term`);
      }
      let kind: Term['kind'];
      let value: string;
      if (text[i] === '"') {
        const close = this.findClosingQuote(i);
        value = text.slice(i + 1, close).replace(/\\(["\\])/g, '$1');
        kind = value.trim() === '' ? 'matchAll' : 'phrase';
        i = close + 1;
      } else if (text[i] === '%') {
        const close = text.indexOf('%', i + 1);
        if (close < 0) {
          this.fail(i, 'unterminated regex: missing closing \'%\'');
        }
        value = text.slice(i + 1, close);
        const problem = checkRegexSource(value);
        if (problem) {
          this.fail(i + 1 + problem.offset, problem.reason);
        }
        this.countRegex(i);
        kind = 'regex';
        i = close + 1;
      } else {
        const wordStart = i;
        while (i < text.length && !WS.test(text[i])) {
          if (text[i] === '"') {
            this.fail(i, 'unexpected \'"\' inside a term: put the whole term in double quotes');
          }
          i++;
        }
        value = text.slice(wordStart, i);
        kind = 'word';
      }
      const term: Term = { kind, value, exclude, raw: text.slice(termStart, i), span: { start: termStart, end: i } };
      if (optional || !current) {
        current = { optional, terms: [] };
        groups.push(current);
      }
      current.terms.push(term);
      end = i;
    }
    const typed: TermGroup[] = groups;
    return { kind: 'terms', groups: typed, regexCount: this.regexCount, span: { start, end } };
  }

  private findClosingQuote(open: number): number {
    const text = this.text;
    let i = open + 1;
    while (i < text.length) {
      if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        i += 2;
        continue;
      }
      if (text[i] === '"') return i;
      i++;
    }
    return this.fail(open, 'unterminated string: missing closing \'"\'');
  }

  // ---------------------------------------------------------------- helpers

  private expectNothingAfter(end: number, closer: string): void {
    let i = end;
    while (i < this.text.length && WS.test(this.text[i])) i++;
    if (i < this.text.length) {
      this.fail(i, `unexpected text after the closing '${closer}'`);
    }
  }

  private fail(position: number, reason: string): never {
    throw new FilterPatternSyntaxError(this.text, position, reason);
  }
}
