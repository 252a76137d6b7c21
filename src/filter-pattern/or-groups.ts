import { JsonExpression, PathSegment } from './ast';

/** Operands of one `||` that compare the same selector for string equality. */
export interface EqualityGroup {
  readonly path: readonly PathSegment[];
  readonly values: string[];
}

/**
 * Splits the operands of an `||` into equality groups (`$.f = "a" || $.f = "b"`,
 * the shape of most CIS patterns, tested with one lookup and one Set) and the
 * rest. `||` has no side effects, so regrouping does not change the result.
 * Both evaluators (generated code and closures) use this one grouping.
 */
export function groupOrEqualities(operands: readonly JsonExpression[]): { groups: EqualityGroup[]; rest: JsonExpression[] } {
  const groups = new Map<string, EqualityGroup>();
  const rest: JsonExpression[] = [];
  for (const o of operands) {
    if (o.kind === 'comparison' && o.operator === '=' && o.value.kind === 'string') {
      const key = JSON.stringify(o.selector.path);
      const g = groups.get(key) ?? { path: o.selector.path, values: [] };
      g.values.push(o.value.value);
      groups.set(key, g);
    } else {
      rest.push(o);
    }
  }
  return { groups: [...groups.values()], rest };
}
