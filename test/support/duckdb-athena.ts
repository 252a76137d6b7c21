/**
 * Runs the Athena (Trino) SQL that `src/filter-pattern/translate/athena-sql.ts`
 * emits on DuckDB, over a table with the columns of the documented Athena
 * CloudTrail table, loaded the way the CloudTrail SerDe reads records.
 *
 * The dialect gap is kept to a list (docs/athena.md, "Proof on a real SQL
 * engine"), each item unit-tested in test/athena/duckdb-dialect.test.ts:
 * - four Trino functions DuckDB does not have (or has with another meaning)
 *   are defined as DuckDB macros with Trino's name and meaning
 *   (`TRINO_FUNCTION_MACROS`), so the emitted SQL runs unchanged;
 * - one text rewrite (`toDuckDbSql`): a JSONPath key in Trino's bracket
 *   notation `$["a b"]` becomes DuckDB's `$."a b"`.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { CLOUDTRAIL_COLUMNS } from '../../src/filter-pattern/translate/athena-sql';

type Column = (typeof CLOUDTRAIL_COLUMNS)[number];

/** Trino functions as DuckDB macros: name, what Trino does, the macro. */
export const TRINO_FUNCTION_MACROS: ReadonlyArray<{ name: string; trino: string; macro: string }> = [
  {
    name: 'json_extract_scalar',
    trino: 'the value at a JSONPath as varchar when it is a string, number or boolean; NULL when missing, null, an object or an array',
    macro: "CREATE MACRO json_extract_scalar(j, p) AS CASE WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(j, p) END",
  },
  {
    name: 'json_format',
    trino: 'the JSON text of a JSON value (a string keeps its quotes; JSON null is the text null)',
    macro: 'CREATE MACRO json_format(j) AS CAST(j AS VARCHAR)',
  },
  {
    name: 'regexp_like',
    trino: 'true when the regex matches anywhere in the string (unanchored search)',
    macro: 'CREATE MACRO regexp_like(s, r) AS regexp_matches(s, r)',
  },
  {
    name: 'element_at',
    trino: 'the 1-based array element or the map value; NULL when out of range or absent',
    macro: 'CREATE MACRO element_at(x, k) AS x[k]',
  },
];

/** The one text rewrite: Trino's `$["key"]` JSONPath steps become DuckDB's `$."key"`. */
export function toDuckDbSql(sql: string): string {
  return sql.replace(/\[("(?:[^"\\]|\\.)*")\]/g, '.$1');
}

function duckType(c: Column): string {
  switch (c.kind) {
    case 'string': case 'boolean': case 'json': return 'VARCHAR';
    case 'map': return 'MAP(VARCHAR, VARCHAR)';
    case 'struct': return `STRUCT(${c.fields!.map(f => `"${f.name}" ${duckType(f)}`).join(', ')})`;
    case 'array': return `STRUCT(${c.fields!.map(f => `"${f.name}" ${duckType(f)}`).join(', ')})[]`;
  }
}

/** The DuckDB DDL of the documented table. */
export function duckDbTableDdl(table: string): string {
  return `CREATE TABLE ${table} (${CLOUDTRAIL_COLUMNS.map(c => `"${c.name}" ${duckType(c)}`).join(', ')})`;
}

/** The SerDe reads keys case-insensitively. */
function field(obj: Record<string, unknown>, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  const k = Object.keys(obj).find(x => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : obj[k];
}

/** One CloudTrail value as the SerDe puts it in a column (null for a missing key and for JSON null). */
function serdeValue(c: Column, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  switch (c.kind) {
    case 'string':
    case 'boolean':
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'json':
      return typeof v === 'string' ? v : JSON.stringify(v);
    case 'struct':
      return typeof v === 'object' && !Array.isArray(v) ? serdeRow(c.fields!, v as Record<string, unknown>) : null;
    case 'array':
      return Array.isArray(v)
        ? v.map(e => (typeof e === 'object' && e !== null && !Array.isArray(e) ? serdeRow(c.fields!, e as Record<string, unknown>) : null))
        : null;
    case 'map':
      return typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, x === null ? null : typeof x === 'string' ? x : JSON.stringify(x)]))
        : null;
  }
}

function serdeRow(columns: readonly Column[], record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(columns.map(c => [c.name, serdeValue(c, field(record, c.key))]));
}

/** A CloudTrail record as the documented table holds it (lower-case column names). */
export function serdeRecord(record: Record<string, unknown>): Record<string, unknown> {
  return serdeRow(CLOUDTRAIL_COLUMNS, record);
}

/** An in-memory DuckDB with the Trino macros and a loaded CloudTrail table. */
export class AthenaOnDuckDb {
  public static async create(table: string, records: ReadonlyArray<Record<string, unknown>>): Promise<AthenaOnDuckDb> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    for (const m of TRINO_FUNCTION_MACROS) await connection.run(m.macro);
    await connection.run(duckDbTableDdl(table));
    const db = new AthenaOnDuckDb(instance, connection);
    if (records.length > 0) await db.load(table, records);
    return db;
  }

  private constructor(private readonly instance: DuckDBInstance, public readonly connection: DuckDBConnection) {}

  /** Runs Trino SQL (after `toDuckDbSql`) and returns the rows as JSON-friendly objects. */
  public async query(trinoSql: string): Promise<Array<Record<string, unknown>>> {
    const reader = await this.connection.runAndReadAll(toDuckDbSql(trinoSql));
    return reader.getRowObjectsJson() as Array<Record<string, unknown>>;
  }

  public close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async load(table: string, records: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    // Rows go in as one JSON array cast to the table's row type: no file, no per-row statements.
    const rows = JSON.stringify(records.map(serdeRecord)).replace(/'/g, "''");
    const rowType = `STRUCT(${CLOUDTRAIL_COLUMNS.map(c => `"${c.name}" ${duckType(c)}`).join(', ')})[]`;
    await this.connection.run(`INSERT INTO ${table} SELECT r.* FROM (SELECT unnest(CAST('${rows}'::JSON AS ${rowType})) AS r)`);
  }
}
