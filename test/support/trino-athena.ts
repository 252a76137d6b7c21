/**
 * Runs the Athena SQL on a real Trino server (Athena engine v3 is Trino),
 * over a table with the documented CloudTrail columns in Trino's `memory`
 * catalog. No dialect gap: the emitted SQL runs as is.
 *
 * Set TRINO_URL (e.g. http://127.0.0.1:18080); `scripts/trino-local.sh`
 * installs and starts a local single-node server from Maven Central. .ci/run
 * starts one; in CI the Trino tests fail without it, elsewhere they are
 * skipped (test/support/requirements.ts).
 * Talks to the server's REST protocol (`POST /v1/statement`, then `nextUri`)
 * with Node's fetch: no client library.
 */
import { serdeRecord } from './duckdb-athena';
import { CLOUDTRAIL_COLUMNS } from '../../src/filter-pattern/translate/athena-sql';

type Column = (typeof CLOUDTRAIL_COLUMNS)[number];

/** The server to use, from TRINO_URL; undefined when not set. */
export const TRINO_URL: string | undefined = process.env.TRINO_URL || undefined;

function trinoType(c: Column): string {
  switch (c.kind) {
    case 'string': case 'boolean': case 'json': return 'varchar';
    case 'map': return 'map(varchar, varchar)';
    case 'struct': return `row(${c.fields!.map(f => `"${f.name}" ${trinoType(f)}`).join(', ')})`;
    case 'array': return `array(row(${c.fields!.map(f => `"${f.name}" ${trinoType(f)}`).join(', ')}))`;
  }
}

const ROW_TYPE = `row(${CLOUDTRAIL_COLUMNS.map(c => `"${c.name}" ${trinoType(c)}`).join(', ')})`;

/** A CloudTrail table in Trino's memory catalog. */
export class AthenaOnTrino {
  public static async create(url: string, records: ReadonlyArray<Record<string, unknown>>): Promise<AthenaOnTrino> {
    const db = new AthenaOnTrino(url, `cloudtrail_${process.pid}_${Date.now()}`);
    await db.query(`CREATE TABLE ${db.table} (${CLOUDTRAIL_COLUMNS.map(c => `"${c.name}" ${trinoType(c)}`).join(', ')})`);
    const rows = records.map(serdeRecord);
    for (let i = 0; i < rows.length; i += 200) {
      const json = JSON.stringify(rows.slice(i, i + 200)).replace(/'/g, "''");
      await db.query(`INSERT INTO ${db.table} SELECT * FROM UNNEST(CAST(json_parse('${json}') AS array(${ROW_TYPE})))`);
    }
    return db;
  }

  /** Table name, unique per run (memory catalog, default schema). */
  public readonly table: string;

  private constructor(private readonly url: string, table: string) {
    this.table = table;
  }

  /** Runs a statement; rows as objects keyed by column name. */
  public async query(sql: string): Promise<Array<Record<string, unknown>>> {
    const headers = { 'X-Trino-User': 'cdk-cis-monitoring-test', 'X-Trino-Catalog': 'memory', 'X-Trino-Schema': 'default' };
    let body: any = await (await fetch(`${this.url}/v1/statement`, { method: 'POST', body: sql, headers })).json();
    let columns: string[] = [];
    const out: Array<Record<string, unknown>> = [];
    for (;;) {
      if (body.error) throw new Error(`Trino: ${body.error.message}\n${sql.slice(0, 500)}`);
      if (body.columns) columns = body.columns.map((c: any) => c.name);
      for (const row of body.data ?? []) out.push(Object.fromEntries(columns.map((c, i) => [c, row[i]])));
      if (!body.nextUri) break;
      body = await (await fetch(body.nextUri, { headers })).json();
    }
    return out;
  }

  public async close(): Promise<void> {
    await this.query(`DROP TABLE IF EXISTS ${this.table}`);
  }
}
