/**
 * A tiny evaluator of the CloudWatch Logs Insights `filter` subset that
 * `src/queries/insights-translation.ts` emits, for tests:
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | "ispresent(" field ")" | field op literal
 *            | field ["not"] "like" /regex/ | field "in" "[" string ("," string)* "]"
 *   field   := name ("." name)* | `dotted.name.0.with.digits`
 *
 * Records are flattened the way Logs Insights discovers JSON fields: nested
 * objects join with ".", array elements are numbered (`a.0.b`). A field that
 * is absent makes every comparison false; `ispresent` is true for any present
 * leaf (null included). The translation never relies on how Insights treats
 * absent fields in `!=` / `not like`: it always guards them with `ispresent`.
 */

type Leaf = string | number | boolean | null;

export function flattenRecord(record: unknown, prefix = '', out = new Map<string, Leaf>()): Map<string, Leaf> {
  if (Array.isArray(record)) {
    record.forEach((v, i) => flattenRecord(v, prefix ? `${prefix}.${i}` : String(i), out));
  } else if (typeof record === 'object' && record !== null) {
    for (const [k, v] of Object.entries(record)) flattenRecord(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, record as Leaf);
  }
  return out;
}

type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; operand: Node }
  | { kind: 'ispresent'; field: string }
  | { kind: 'cmp'; field: string; op: string; value: string | number }
  | { kind: 'like'; field: string; negated: boolean; re: RegExp }
  | { kind: 'in'; field: string; values: string[] };

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  public parse(): Node {
    const n = this.or();
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected text');
    return n;
  }

  private fail(msg: string): never {
    throw new Error(`Insights subset: ${msg} at ${this.i} in: ${this.s}`);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private peekWord(w: string): boolean {
    this.ws();
    return this.s.startsWith(w, this.i) && !/[A-Za-z0-9_]/.test(this.s[this.i + w.length] ?? '');
  }

  private word(w: string): boolean {
    if (!this.peekWord(w)) return false;
    this.i += w.length;
    return true;
  }

  private expect(c: string): void {
    this.ws();
    if (!this.s.startsWith(c, this.i)) this.fail(`expected ${c}`);
    this.i += c.length;
  }

  private or(): Node {
    let n = this.and();
    while (this.word('or')) n = { kind: 'or', left: n, right: this.and() };
    return n;
  }

  private and(): Node {
    let n = this.unary();
    while (this.word('and')) n = { kind: 'and', left: n, right: this.unary() };
    return n;
  }

  private unary(): Node {
    if (this.word('not')) return { kind: 'not', operand: this.unary() };
    this.ws();
    if (this.s[this.i] === '(') {
      this.i++;
      const n = this.or();
      this.expect(')');
      return n;
    }
    if (this.word('ispresent')) {
      this.expect('(');
      const field = this.field();
      this.expect(')');
      return { kind: 'ispresent', field };
    }
    const field = this.field();
    if (this.word('like')) return { kind: 'like', field, negated: false, re: this.regex() };
    if (this.word('not')) {
      if (!this.word('like')) this.fail('expected like after not');
      return { kind: 'like', field, negated: true, re: this.regex() };
    }
    if (this.word('in')) {
      this.expect('[');
      const values = [this.string()];
      for (this.ws(); this.s[this.i] === ','; this.ws()) {
        this.i++;
        values.push(this.string());
      }
      this.expect(']');
      return { kind: 'in', field, values };
    }
    this.ws();
    const op = ['!=', '<=', '>=', '=', '<', '>'].find(o => this.s.startsWith(o, this.i));
    if (!op) this.fail('expected an operator');
    this.i += op.length;
    this.ws();
    const value = this.s[this.i] === '"' ? this.string() : this.number();
    return { kind: 'cmp', field, op, value };
  }

  private field(): string {
    this.ws();
    if (this.s[this.i] === '`') {
      const end = this.s.indexOf('`', this.i + 1);
      if (end < 0) this.fail('unterminated backtick');
      const f = this.s.slice(this.i + 1, end);
      this.i = end + 1;
      return f;
    }
    const m = /^[A-Za-z_@][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected a field');
    this.i += m[0].length;
    return m[0];
  }

  private string(): string {
    this.ws();
    if (this.s[this.i] !== '"') this.fail('expected a string');
    let out = '';
    for (this.i++; this.i < this.s.length; this.i++) {
      const c = this.s[this.i];
      if (c === '\\') {
        out += this.s[++this.i];
      } else if (c === '"') {
        this.i++;
        return out;
      } else {
        out += c;
      }
    }
    return this.fail('unterminated string');
  }

  private number(): number {
    const m = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected a number');
    this.i += m[0].length;
    return Number(m[0]);
  }

  private regex(): RegExp {
    this.ws();
    if (this.s[this.i] !== '/') this.fail('expected /regex/');
    let body = '';
    for (this.i++; this.i < this.s.length; this.i++) {
      const c = this.s[this.i];
      if (c === '\\') {
        body += c + this.s[++this.i];
      } else if (c === '/') {
        this.i++;
        const ci = body.startsWith('(?i)');
        return new RegExp(ci ? body.slice(4) : body, ci ? 'i' : '');
      } else {
        body += c;
      }
    }
    return this.fail('unterminated regex');
  }
}

/** Compiles a filter expression (without the `filter` keyword) into a predicate over CloudTrail records. */
export function compileInsightsFilter(expression: string): (record: unknown) => boolean {
  const ast = new Parser(expression).parse();
  return record => evaluate(ast, flattenRecord(record));
}

function evaluate(n: Node, rec: Map<string, Leaf>): boolean {
  switch (n.kind) {
    case 'and': return evaluate(n.left, rec) && evaluate(n.right, rec);
    case 'or': return evaluate(n.left, rec) || evaluate(n.right, rec);
    case 'not': return !evaluate(n.operand, rec);
    case 'ispresent': return rec.has(n.field);
    case 'in': {
      const v = rec.get(n.field);
      return rec.has(n.field) && typeof v === 'string' && n.values.includes(v);
    }
    case 'like': {
      if (!rec.has(n.field)) return false;
      const v = rec.get(n.field);
      if (typeof v !== 'string' && typeof v !== 'number') return false;
      return n.re.test(String(v)) !== n.negated;
    }
    case 'cmp': {
      if (!rec.has(n.field)) return false;
      const v = rec.get(n.field);
      if (typeof n.value === 'string') {
        if (typeof v !== 'string' && typeof v !== 'number') return false;
        const eq = String(v) === n.value;
        if (n.op === '=') return eq;
        if (n.op === '!=') return !eq;
        throw new Error(`Insights subset: ${n.op} with a string`);
      }
      const num = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v)) ? Number(v) : undefined;
      if (num === undefined) return n.op === '!=';
      switch (n.op) {
        case '=': return num === n.value;
        case '!=': return num !== n.value;
        case '<': return num < n.value;
        case '<=': return num <= n.value;
        case '>': return num > n.value;
        default: return num >= n.value;
      }
    }
  }
}
