import { ComparisonNode, JsonExpression, JsonPatternAst, SpaceDelimitedPatternAst, TermsPatternAst } from '../../src/filter-pattern/ast';
import { FilterPatternSyntaxError } from '../../src/filter-pattern/errors';
import { parseFilterPatternAst } from '../../src/filter-pattern/parser';

function json(text: string): JsonExpression {
  const ast = parseFilterPatternAst(text);
  expect(ast.kind).toBe('json');
  return (ast as JsonPatternAst).expression;
}

/** Drops spans so shapes can be compared with toEqual. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'span').map(([k, v]) => [k, strip(v)]));
  }
  return x;
}

describe('parseFilterPatternAst', () => {
  test('empty pattern', () => {
    expect(parseFilterPatternAst('')).toEqual({ kind: 'empty', span: { start: 0, end: 0 } });
    expect(parseFilterPatternAst(' \t ').kind).toBe('empty');
  });

  test('comparison with nested selector and array indexes', () => {
    const e = json('{ $.a.b[0][12].c-d_e = "x y" }') as ComparisonNode;
    expect(strip(e)).toEqual({
      kind: 'comparison',
      selector: { text: '$.a.b[0][12].c-d_e', path: ['a', 'b', 0, 12, 'c-d_e'] },
      operator: '=',
      value: { kind: 'string', value: 'x y', quoted: true, raw: '"x y"' },
    });
  });

  test('value kinds', () => {
    const value = (t: string) => strip((json(t) as ComparisonNode).value);
    expect(value('{ $.a = abc }')).toEqual({ kind: 'string', value: 'abc', quoted: false, raw: 'abc' });
    expect(value('{ $.a = Ev*ent }')).toEqual({ kind: 'string', value: 'Ev*ent', quoted: false, raw: 'Ev*ent' });
    expect(value('{ $.a = "*Op" }')).toEqual({ kind: 'wildcard', match: 'endsWith', text: 'Op', quoted: true, raw: '"*Op"' });
    expect(value('{ $.a = Acc* }')).toEqual({ kind: 'wildcard', match: 'startsWith', text: 'Acc', quoted: false, raw: 'Acc*' });
    expect(value('{ $.a = *.html* }')).toEqual({ kind: 'wildcard', match: 'contains', text: '.html', quoted: false, raw: '*.html*' });
    expect(value('{ $.a != * }')).toEqual({ kind: 'wildcard', match: 'contains', text: '', quoted: false, raw: '*' });
    expect(value('{ $.a >= -1.5e3 }')).toEqual({ kind: 'number', value: -1500, raw: '-1.5e3' });
    expect(value('{ $.a = "400" }')).toEqual({ kind: 'string', value: '400', quoted: true, raw: '"400"' });
    expect(value('{ $.a = %^x[0-9]+$% }')).toEqual({ kind: 'regex', source: '^x[0-9]+$', raw: '%^x[0-9]+$%' });
  });

  test('existence and IS tests', () => {
    expect(strip(json('{ $.a = "*" }'))).toEqual({ kind: 'exists', selector: { text: '$.a', path: ['a'] }, exists: true });
    expect(strip(json('{ $.a = * }'))).toEqual({ kind: 'exists', selector: { text: '$.a', path: ['a'] }, exists: true });
    expect(strip(json('{ $.a NOT EXISTS }'))).toEqual({ kind: 'exists', selector: { text: '$.a', path: ['a'] }, exists: false });
    expect(strip(json('{ $.a IS NULL }'))).toEqual({ kind: 'is', selector: { text: '$.a', path: ['a'] }, test: 'null' });
    expect(strip(json('{ $.a IS TRUE }'))).toMatchObject({ kind: 'is', test: 'true' });
    expect(strip(json('{ $.a IS FALSE }'))).toMatchObject({ kind: 'is', test: 'false' });
  });

  test('precedence: && groups before ||, n-ary and flattened', () => {
    const e = json('{ $.a = 1 || $.b = 2 && $.c = 3 && $.d = 4 || $.e = 5 }');
    expect(e.kind).toBe('or');
    if (e.kind !== 'or') return;
    expect(e.operands.map((o) => o.kind)).toEqual(['comparison', 'and', 'comparison']);
    const and = e.operands[1];
    expect(and.kind === 'and' && and.operands.length).toBe(3);
  });

  test('parentheses override precedence; same-kind nesting is flattened', () => {
    const e = json('{ ($.a = 1 || $.b = 2) && $.c = 3 }');
    expect(e.kind).toBe('and');
    if (e.kind !== 'and') return;
    expect(e.operands[0].kind).toBe('or');
    const flat = json('{ ($.a = 1 || ($.b = 2)) || (($.c = 3 || $.d = 4)) }');
    expect(flat.kind === 'or' && flat.operands.length).toBe(4);
  });

  test('spans slice back to the source', () => {
    const text = '{ ($.a = 1 || $.b = "x") && $.c NOT EXISTS }';
    const ast = parseFilterPatternAst(text) as JsonPatternAst;
    expect(text.slice(ast.span.start, ast.span.end)).toBe(text);
    const e = ast.expression;
    if (e.kind !== 'and') throw new Error('expected and');
    expect(text.slice(e.span.start, e.span.end)).toBe('($.a = 1 || $.b = "x") && $.c NOT EXISTS');
    expect(text.slice(e.operands[0].span.start, e.operands[0].span.end)).toBe('($.a = 1 || $.b = "x")');
    expect(text.slice(e.operands[1].span.start, e.operands[1].span.end)).toBe('$.c NOT EXISTS');
    const or = e.operands[0];
    if (or.kind !== 'or') throw new Error('expected or');
    const cmp = or.operands[1] as ComparisonNode;
    expect(text.slice(cmp.value.span.start, cmp.value.span.end)).toBe('"x"');
    expect(text.slice(cmp.selector.span.start, cmp.selector.span.end)).toBe('$.b');
  });

  test('regexCount on the AST', () => {
    expect((parseFilterPatternAst('{ $.a = %x% && $.b = %y% }') as JsonPatternAst).regexCount).toBe(2);
  });

  test('terms: groups, exclusions, phrases, regex, matchAll', () => {
    const ast = parseFilterPatternAst('ERROR -DEBUG "a b" ?WARN %x+% ?" "') as TermsPatternAst;
    expect(ast.kind).toBe('terms');
    expect(strip(ast.groups)).toEqual([
      {
        optional: false,
        terms: [
          { kind: 'word', value: 'ERROR', exclude: false, raw: 'ERROR' },
          { kind: 'word', value: 'DEBUG', exclude: true, raw: '-DEBUG' },
          { kind: 'phrase', value: 'a b', exclude: false, raw: '"a b"' },
        ],
      },
      {
        optional: true,
        terms: [
          { kind: 'word', value: 'WARN', exclude: false, raw: '?WARN' },
          { kind: 'regex', value: 'x+', exclude: false, raw: '%x+%' },
        ],
      },
      { optional: true, terms: [{ kind: 'matchAll', value: ' ', exclude: false, raw: '?" "' }] },
    ]);
    expect(ast.regexCount).toBe(1);
  });

  test('space-delimited fields', () => {
    const ast = parseFilterPatternAst('[ip, ..., status = 4* || status = 5*, , bytes > 10,]') as SpaceDelimitedPatternAst;
    expect(ast.kind).toBe('spaceDelimited');
    expect(strip(ast.fields)).toEqual([
      { kind: 'field', name: 'ip' },
      { kind: 'ellipsis' },
      {
        kind: 'field',
        name: 'status',
        condition: {
          kind: 'or',
          operands: [
            { kind: 'fieldComparison', field: 'status', operator: '=', value: { kind: 'wildcard', match: 'startsWith', text: '4', quoted: false, raw: '4*' } },
            { kind: 'fieldComparison', field: 'status', operator: '=', value: { kind: 'wildcard', match: 'startsWith', text: '5', quoted: false, raw: '5*' } },
          ],
        },
      },
      { kind: 'field' },
      { kind: 'field', name: 'bytes', condition: { kind: 'fieldComparison', field: 'bytes', operator: '>', value: { kind: 'number', value: 10, raw: '10' } } },
      { kind: 'field' },
    ]);
  });

  test('syntax errors are FilterPatternSyntaxError with position and reason', () => {
    try {
      parseFilterPatternAst('{ $.a = }');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(FilterPatternSyntaxError);
      const err = e as FilterPatternSyntaxError;
      expect(err.position).toBe(8);
      expect(err.reason).toBe('missing value after \'=\'');
      expect(err.pattern).toBe('{ $.a = }');
      expect(err.message).toBe('Invalid filter pattern at position 8: missing value after \'=\'\n  { $.a = }\n          ^');
    }
  });

  test('caret stays aligned when the pattern has tabs or newlines', () => {
    try {
      parseFilterPatternAst('{\t$.a\n== 1 }');
      throw new Error('no error');
    } catch (e) {
      expect((e as Error).message).toBe('Invalid filter pattern at position 6: unknown operator \'==\' (expected =, !=, <, >, <=, >=, IS or NOT EXISTS)\n  { $.a == 1 }\n        ^');
    }
  });
});
