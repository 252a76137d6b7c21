import { ComparisonValue, JsonExpression, PathSegment } from './ast';
import { groupOrEqualities } from './or-groups';
import { compileRegex } from './regex';

/**
 * Fast path for JSON patterns: generates one JavaScript function per pattern
 * (with `new Function`) that evaluates the whole expression inline. The
 * function takes any value and returns false unless it is a non-array object.
 *
 * Why: closures built from the same function literals share V8 feedback, so
 * with ~15 patterns their property loads and calls go megamorphic. A
 * generated function per pattern gets its own inline caches and constant
 * property names. Semantics are exactly those of `compileJsonExpression` in
 * `./evaluator` (the tests run both and compare).
 *
 * Safety: the generated source only contains fixed code, numbers that are
 * finite, and strings/property names emitted with `JSON.stringify` (a valid
 * JavaScript string literal). Sets, regexes and other numbers are passed as
 * constants, never spliced into the source.
 *
 * Returns undefined when code generation is unavailable (e.g. Node started
 * with `--disallow-code-generation-from-strings`); callers fall back to the
 * closure evaluator.
 */
export function generateJsonPredicate(expression: JsonExpression): ((record: unknown) => boolean) | undefined {
  const gen = new Generator();
  const body = gen.expr(expression);
  const constNames = gen.consts.map((_, i) => `c${i}`);
  const source = [
    '"use strict";',
    `const [${['hasOwn', 'isArray', 'NUM', ...constNames].join(', ')}] = k;`,
    'return function filterPatternPredicate(r) {',
    '  if (typeof r !== "object" || r === null || isArray(r)) return false;',
    '  let v;',
    `  return ${body};`,
    '};',
  ].join('\n');
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const factory = new Function('k', source) as (k: unknown[]) => (record: unknown) => boolean;
    return factory([Object.prototype.hasOwnProperty, Array.isArray, NUMBER, ...gen.consts]);
  } catch {
    return undefined;
  }
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;

class Generator {
  public readonly consts: unknown[] = [];

  public expr(e: JsonExpression): string {
    switch (e.kind) {
      case 'and':
        return `(${e.operands.map((o) => this.expr(o)).join(' && ')})`;
      case 'or':
        return `(${this.orOperands(e.operands).join(' || ')})`;
      case 'exists':
        return e.exists
          ? `(${this.resolve(e.selector.path)} && (v === null || typeof v !== "object"))`
          : `!${this.resolve(e.selector.path)}`;
      case 'is':
        return `(${this.resolve(e.selector.path)} && v === ${e.test})`;
      case 'comparison':
        return `(${this.resolve(e.selector.path)} && ${this.test(e.operator, e.value)})`;
    }
  }

  /** Same merging of `$.f = "a" || $.f = "b"` into one Set test as the closure evaluator. */
  private orOperands(operands: readonly JsonExpression[]): string[] {
    const { groups, rest } = groupOrEqualities(operands);
    const out: string[] = [];
    for (const g of groups) {
      if (g.values.length === 1) {
        out.push(`(${this.resolve(g.path)} && ${this.stringTest(false, g.values[0])})`);
      } else {
        const strings = this.constant(new Set(g.values));
        const nums = g.values.filter(canonicalNumber).map(Number);
        const numTest = nums.length > 0 ? `typeof v === "number" && ${this.constant(new Set(nums))}.has(v)` : 'false';
        out.push(`(${this.resolve(g.path)} && (typeof v === "string" ? ${strings}.has(v) : ${numTest}))`);
      }
    }
    for (const o of rest) out.push(this.expr(o));
    return out;
  }

  /**
   * Expression that is true when the path resolves to a value (left in `v`),
   * false when it resolves to nothing. The root is a non-array object.
   */
  private resolve(path: readonly PathSegment[]): string {
    const steps: string[] = [];
    path.forEach((seg, i) => {
      const holder = i === 0 ? 'r' : 'v';
      if (typeof seg === 'number') {
        // never the first segment (selectors start with a property name)
        steps.push(`isArray(v) && (v = v[${seg}]) !== undefined`);
        return;
      }
      const k = JSON.stringify(seg);
      const objectCheck = i === 0 ? '' : 'typeof v === "object" && v !== null && !isArray(v) && ';
      const ownCheck = seg in Object.prototype ? `hasOwn.call(${holder}, ${k}) && ` : '';
      steps.push(`${objectCheck}${ownCheck}(v = ${holder}[${k}]) !== undefined`);
    });
    return `(${steps.join(' && ')})`;
  }

  /** Test on `v` (a present value) for `<op> <value>`. */
  private test(op: string, value: ComparisonValue): string {
    const negate = op === '!=';
    switch (value.kind) {
      case 'string':
        return this.stringTest(negate, value.value);
      case 'wildcard': {
        const t = JSON.stringify(value.text);
        const f = (s: string): string => {
          if (value.text === '') return 'true';
          switch (value.match) {
            case 'startsWith': return `${s}.startsWith(${t})`;
            case 'endsWith': return `${s}.endsWith(${t})`;
            case 'contains': return `${s}.includes(${t})`;
          }
        };
        return this.scalarString(negate, f);
      }
      case 'regex': {
        const re = this.constant(compileRegex(value.source));
        return this.scalarString(negate, (s) => `${re}.test(${s})`);
      }
      case 'number': {
        const n = this.number(value.value);
        const jsOp = op === '=' ? '===' : op === '!=' ? '!==' : op;
        return `(typeof v === "number" ? v ${jsOp} ${n} : typeof v === "string" && (NUM.test(v) ? Number(v) ${jsOp} ${n} : ${negate}))`;
      }
    }
  }

  private stringTest(negate: boolean, s: string): string {
    const lit = JSON.stringify(s);
    const num = canonicalNumber(s) ? this.number(Number(s)) : undefined;
    if (!negate) {
      return num === undefined ? `v === ${lit}` : `(v === ${lit} || v === ${num})`;
    }
    return num === undefined
      ? `(typeof v === "string" ? v !== ${lit} : typeof v === "number")`
      : `(typeof v === "string" ? v !== ${lit} : typeof v === "number" && v !== ${num})`;
  }

  private scalarString(negate: boolean, f: (s: string) => string): string {
    const not = negate ? '!' : '';
    return `(typeof v === "string" ? ${not}${f('v')} : typeof v === "number" && ${not}${f('String(v)')})`;
  }

  private number(n: number): string {
    return Number.isFinite(n) && !Object.is(n, -0) ? `(${String(n)})` : this.constant(n);
  }

  private constant(c: unknown): string {
    this.consts.push(c);
    return `c${this.consts.length - 1}`;
  }
}

function canonicalNumber(s: string): boolean {
  return NUMBER.test(s) && String(Number(s)) === s;
}
