/**
 * The DuckDB side of the dialect gap (docs/athena.md): each Trino function
 * defined as a DuckDB macro gives Trino's results, and the one text rewrite
 * (`$["key"]` => `$."key"`) does only that. With TRINO_URL set, the same
 * expressions are checked on Trino itself.
 */
import { AthenaOnDuckDb, toDuckDbSql, TRINO_FUNCTION_MACROS } from '../support/duckdb-athena';
import { describeIf, requires } from '../support/requirements';
import { AthenaOnTrino, TRINO_URL } from '../support/trino-athena';

/** Expression => Trino's documented result. */
const PROBES: Array<[string, unknown]> = [
  ["json_extract_scalar('{\"a\":\"x\"}', '$.a')", 'x'],
  ["json_extract_scalar('{\"a\":true}', '$.a')", 'true'],
  ["json_extract_scalar('{\"a\":12}', '$.a')", '12'],
  ["json_extract_scalar('{\"a\":null}', '$.a')", null],
  ["json_extract_scalar('{\"a\":{\"b\":1}}', '$.a')", null],
  ["json_extract_scalar('{\"a\":[1]}', '$.a')", null],
  ["json_extract_scalar('{\"a\":1}', '$.b')", null],
  ["json_extract_scalar(CAST(NULL AS varchar), '$.b')", null],
  ["json_format(json_extract('{\"a\":\"x\"}', '$.a'))", '"x"'],
  ["json_format(json_extract('{\"a\":null}', '$.a'))", 'null'],
  ["json_format(json_extract('{\"a\":false}', '$.a'))", 'false'],
  ["json_extract('{\"a\":1}', '$.b') IS NULL", true],
  ["regexp_like('arn:aws:iam::1:root', 'iam::[0-9]+:')", true],
  ["regexp_like('abc', '^b')", false],
  ['element_at(ARRAY[1, 2], 3)', null],
  ['element_at(ARRAY[1, 2], 1)', 1],
  ["element_at(MAP(ARRAY['k'], ARRAY['v']), 'k')", 'v'],
  ["element_at(MAP(ARRAY['k'], ARRAY['v']), 'x')", null],
  ["json_extract_scalar('{\"x-y\":\"v\"}', '$[\"x-y\"]')", 'v'],
  ["'a_c' LIKE 'a\\_c' ESCAPE '\\'", true],
  ["'abc' LIKE 'a\\_c' ESCAPE '\\'", false],
  ["try_cast('+2.2e1' AS DOUBLE) = 2.2E1", true],
];

test('the macros are exactly the documented four', () => {
  expect(TRINO_FUNCTION_MACROS.map(m => m.name)).toEqual(['json_extract_scalar', 'json_format', 'regexp_like', 'element_at']);
});

test('the rewrite turns bracket keys into DuckDB quoted keys and nothing else', () => {
  expect(toDuckDbSql("json_extract_scalar(c, '$[\"x-amz-acl\"].b[0]')")).toBe("json_extract_scalar(c, '$.\"x-amz-acl\".b[0]')");
  expect(toDuckDbSql("SELECT a[1], '$.a[0]' FROM t")).toBe("SELECT a[1], '$.a[0]' FROM t");
});

describe('DuckDB with the macros gives Trino\'s results', () => {
  let db: AthenaOnDuckDb;
  beforeAll(async () => { db = await AthenaOnDuckDb.create('t', []); });
  afterAll(() => db?.close());
  // DuckDB spells array and map constructors differently; the probes use Trino's, translated here for DuckDB only.
  const duckSpelling = (e: string) => e.replace(/ARRAY\[/g, '[').replace(/MAP\(\[([^\]]*)\], \[([^\]]*)\]\)/g, 'MAP([$1], [$2])');
  test.each(PROBES)('%s => %p', async (expr, want) => {
    const rows = await db.query(`SELECT ${duckSpelling(expr)} AS v`);
    expect(rows[0].v).toEqual(want);
  });
});

describeIf(requires.trino)('Trino gives the same', () => {
  let db: AthenaOnTrino;
  beforeAll(async () => { db = await AthenaOnTrino.create(TRINO_URL!, []); }, 60_000);
  afterAll(async () => { await db?.close(); });
  test.each(PROBES)('%s => %p', async (expr, want) => {
    const rows = await db.query(`SELECT ${expr} AS v`);
    expect(rows[0].v).toEqual(want);
  });
});
