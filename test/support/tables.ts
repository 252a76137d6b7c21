/**
 * Table-driven tests say how many distinct inputs they check.
 *
 * `distinctRows` collapses the rows of a table whose input is the same (a
 * control whose pattern and fixture expectations did not change between
 * benchmark versions is one input, not ten): one test per distinct input,
 * named after every row it stands for (test/support/plans.ts `versionsLabel` writes their versions).
 *
 * `recordTables` (installed for every test file by test/support/jest-setup.ts)
 * notes each `describe.each` / `test.each` block: its rows, and how many of
 * them are distinct (as `distinctRows` declared, else rows with equal values);
 * scripts/test-summary.ts prints them after the jest summary.
 */
import { writeNote } from './test-notes';

const COLLAPSED = new WeakMap<object, { from: number; by: string }>();

/**
 * One row per distinct input: rows with the same `keyOf` become one row,
 * `[label(rows), first row]` (the rows in table order), for
 * `test.each(table)('%s', (_label, row) => ...)`.
 * @param by what makes two inputs the same, for the summary
 */
export function distinctRows<R>(rows: readonly R[], by: string, keyOf: (row: R) => string, label: (same: R[]) => string): Array<[string, R]> {
  const groups = new Map<string, R[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  const out = [...groups.values()].map(g => [label(g), g[0]] as [string, R]);
  COLLAPSED.set(out, { from: rows.length, by });
  return out;
}

/** A text that is equal for rows with equal values (class instances by their fields, functions by their source). */
function fingerprint(value: unknown, depth = 0, seen: Set<object> = new Set()): string {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return `${typeof value}:${String(value)}`;
  if (typeof value === 'function') return `fn:${value.toString()}`;
  if (seen.has(value) || depth > 8) return `ref:${identity(value)}`;
  seen.add(value);
  const inner = Array.isArray(value)
    ? `[${value.map(v => fingerprint(v, depth + 1, seen)).join(',')}]`
    : `${value.constructor?.name ?? ''}{${Object.keys(value).sort().map(k => `${k}:${fingerprint((value as any)[k], depth + 1, seen)}`).join(',')}}`;
  seen.delete(value);
  return inner;
}

const ids = new WeakMap<object, number>();
let lastId = 0;
function identity(o: object): number {
  if (!ids.has(o)) ids.set(o, ++lastId);
  return ids.get(o)!;
}

type Each = (table: any, ...rest: any[]) => (title: any, fn: any, timeout?: number) => void;
type Describe = ((title: any, fn: any) => void) & Record<string, any>;

/** The titles of the describe blocks being collected (templates for `describe.each`), outermost first. */
const path: string[] = [];

/** `fn` with `title` on the path while it runs (describe bodies run synchronously, at collection). */
function inPath<F extends (...args: any[]) => any>(title: unknown, fn: F): F {
  if (typeof fn !== 'function') return fn;
  return function (this: unknown, ...args: any[]) {
    path.push(String(title));
    try {
      return fn.apply(this, args);
    } finally {
      path.pop();
    }
  } as F;
}

function recorder(kind: 'describe' | 'test', each: Each): Each {
  return function (this: unknown, table: any, ...rest: any[]) {
    const bound = each.call(this, table, ...rest);
    return (title: any, fn: any, timeout?: number) => {
      if (Array.isArray(table) && !('raw' in table)) {
        const collapsed = COLLAPSED.get(table);
        writeNote({
          type: 'table',
          title: [...path, String(title)].join(' › '),
          each: kind,
          rows: table.length,
          distinct: collapsed ? table.length : new Set(table.map(row => fingerprint(row))).size,
          ...(collapsed ? { distinctBy: collapsed.by, collapsedFrom: collapsed.from } : {}),
        });
      }
      return bound(title, kind === 'describe' ? inPath(title, fn) : fn, timeout);
    };
  };
}

function describeInPath(original: Describe): Describe {
  const wrapped = Object.assign(function (this: unknown, title: any, fn: any) {
    return original.call(this, title, inPath(title, fn));
  }, original) as Describe;
  for (const variant of ['skip', 'only']) {
    const v = original[variant];
    if (typeof v === 'function') wrapped[variant] = Object.assign((title: any, fn: any) => v(title, inPath(title, fn)), v);
  }
  wrapped.each = recorder('describe', original.each);
  return wrapped;
}

/**
 * Wraps the global `describe` (to know the enclosing titles) and the
 * `describe.each` and `test.each` (`it` is `test`) so that every table is noted.
 */
export function recordTables(): void {
  const g = globalThis as any;
  g.describe = describeInPath(g.describe);
  g.test.each = recorder('test', g.test.each);
  if (g.it !== g.test && g.it?.each) g.it.each = recorder('test', g.it.each);
}
