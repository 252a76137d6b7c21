/**
 * The DuckDB side of the replay benchmark, in its own process: DuckDB (all
 * cores, its default) reads the NDJSON file into a table with the columns of
 * the Athena CloudTrail table (src/filter-pattern/translate/athena-sql.ts),
 * then runs `cis-monitoring sql`'s own query for each metric and counts what
 * it selects. The Trino functions DuckDB lacks are the same macros and
 * rewrite the tests use (test/support/duckdb-athena.ts).
 *
 *   node -r ts-node/register scripts/bench/duckdb.ts --file F --queries Q.json
 *
 * Q.json is `cis-monitoring sql --format json`'s output. Prints one JSON line:
 * `{"seconds","loadSeconds","querySeconds","rows","counts":{metric:count},"threads","version","peakRssMiB"}`.
 * The time is the whole run after start-up: creating the database, loading
 * the table, running every query.
 */
import * as fs from 'fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLOUDTRAIL_COLUMNS } from '../../src/filter-pattern/translate/athena-sql';
import { toDuckDbSql, TRINO_FUNCTION_MACROS } from '../../test/support/duckdb-athena';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { peakRssBytes } = require('./peak-rss') as { peakRssBytes: () => number };

type Column = (typeof CLOUDTRAIL_COLUMNS)[number];

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`duckdb bench: --${name} is required`);
  return v;
}

/**
 * The DuckDB type `read_json` reads a column as, named by the record's own
 * keys (CloudTrail's camelCase): DuckDB resolves the queries' lower-case
 * names case-insensitively, as the CloudTrail SerDe does. JSON-text columns
 * (requestparameters & co.) keep their JSON.
 */
function readType(c: Column): string {
  switch (c.kind) {
    case 'string': case 'boolean': return 'VARCHAR';
    case 'json': return 'JSON';
    case 'map': return 'MAP(VARCHAR, VARCHAR)';
    case 'struct': return `STRUCT(${c.fields!.map(f => `"${f.key}" ${readType(f)}`).join(', ')})`;
    case 'array': return `STRUCT(${c.fields!.map(f => `"${f.key}" ${readType(f)}`).join(', ')})[]`;
  }
}

async function main(): Promise<void> {
  const file = arg('file');
  const queries: Record<string, string> = JSON.parse(fs.readFileSync(arg('queries'), 'utf8')).queries;
  const t0 = process.hrtime.bigint();
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  for (const m of TRINO_FUNCTION_MACROS) await db.run(m.macro);
  const columns = `{${CLOUDTRAIL_COLUMNS.map(c => `'${c.key}': '${readType(c).replace(/'/g, "''")}'`).join(', ')}}`;
  await db.run(`CREATE TABLE cloudtrail_logs AS SELECT * FROM read_json('${file.replace(/'/g, "''")}', format = 'newline_delimited', columns = ${columns}, maximum_object_size = 67108864)`);
  const t1 = process.hrtime.bigint();
  const counts: Record<string, number> = {};
  for (const [metric, sql] of Object.entries(queries)) {
    // the query as `sql` prints it, counted (its ORDER BY is kept: the sort is part of what it asks for)
    const reader = await db.runAndReadAll(`SELECT count(*) AS n FROM (${toDuckDbSql(sql)})`);
    counts[metric] = Number(reader.getRowObjectsJson()[0].n);
  }
  const t2 = process.hrtime.bigint();
  const rows = Number((await db.runAndReadAll('SELECT count(*) AS n FROM cloudtrail_logs')).getRowObjectsJson()[0].n);
  const threads = Number((await db.runAndReadAll("SELECT current_setting('threads') AS t")).getRowObjectsJson()[0].t);
  const version = String((await db.runAndReadAll('SELECT version() AS v')).getRowObjectsJson()[0].v);
  db.closeSync();
  instance.closeSync();
  process.stdout.write(JSON.stringify({
    seconds: Number(t2 - t0) / 1e9,
    loadSeconds: Number(t1 - t0) / 1e9,
    querySeconds: Number(t2 - t1) / 1e9,
    rows,
    counts,
    threads,
    version,
    peakRssMiB: peakRssBytes() / 1_048_576,
  }) + '\n');
}

main().catch(e => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
