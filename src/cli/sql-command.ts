import { Command, CommanderError, Option } from 'commander';
import { AUDIT_EXIT_CODES } from '../audit/errors';
import { ATHENA_TABLE_NAME, athenaConditionForAny, athenaQuery, AthenaSqlCondition } from '../filter-pattern/translate/athena-sql';
import { ReplayControl } from '../replay/controls';
import { loadControls } from '../replay/controls-source';
import { UsageError } from '../replay/event-source';

/** Exit codes of `cis-monitoring sql` (the numbers replay and audit use). */
export const SQL_EXIT_OK = AUDIT_EXIT_CODES.OK;
export const SQL_EXIT_USAGE = AUDIT_EXIT_CODES.BAD_INPUT;

/** The table name used when --table is not given (the name in the Athena documentation's example). */
export const DEFAULT_ATHENA_TABLE = 'cloudtrail_logs';

/** Streams `sql` writes to. */
export interface SqlIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Parsed options of `sql`. */
export interface SqlOptions {
  readonly template?: string;
  readonly benchmark?: string;
  readonly table?: string;
  readonly format: string;
}

/**
 * `--format json` output. `queries` maps each metric to its SQL; a metric
 * listed in `inexact` has a query that can select other records than its
 * filters match, for the reasons given (a metric not listed there is exact).
 */
export interface SqlJsonReport {
  readonly table: string;
  readonly queries: Record<string, string>;
  readonly inexact: Record<string, string[]>;
  /** Metric => control key (from the template's labels, else the catalog), and CIS id when known. */
  readonly controls: Record<string, { readonly control: string; readonly cisId?: string }>;
  readonly warnings: string[];
}

const HELP_AFTER = `
Prints one Athena (Trino) query per metric: the CloudTrail records that the
metric's counting filters match (exclusions' paging metrics included), over the
CloudTrail table documented by Athena (lower-case columns, useridentity a
STRUCT, requestparameters & co. JSON text). Each query selects eventid first.
A query that cannot say exactly what the filter pattern says is marked
"inexact" with the reason (text: "-- inexact:" comment lines; json: "inexact").
See docs/athena.md for the table DDL.

Exactly one of --template and --benchmark is required.

Exit codes:
  0  the queries were printed
  1  unexpected error
  2  bad usage: unknown option or --format, neither or both of --template and
     --benchmark, unknown benchmark version, bad --table name, unreadable
     template or template without metric filters

Examples:
  cis-monitoring sql --benchmark 7.0.0 --table security.cloudtrail_logs
  cis-monitoring sql --template cdk.out --format json > queries.json
`;

function processIo(): SqlIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** Adds `sql` to the `cis-monitoring` program. */
export function registerSql(program: Command, io: () => SqlIo = processIo): Command {
  return program
    .command('sql')
    .description('Print the Athena SQL that selects, from the CloudTrail table, the records each metric filter counts (backtesting over the S3 archive).')
    .option('--template <file|dir>', 'synthesized CloudFormation template (JSON) or cdk.out directory: its metric filters')
    .option('--benchmark <version>', 'the patterns the construct deploys for this CIS version (e.g. 7.0.0)')
    .option('--table <name>', `Athena table: table, db.table or catalog.db.table (default: ${DEFAULT_ATHENA_TABLE})`)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', HELP_AFTER)
    .exitOverride(err => {
      if (err.exitCode !== 0 && err.code.startsWith('commander.')) throw new CommanderError(SQL_EXIT_USAGE, err.code, err.message);
      throw err;
    })
    .action((opts: any) => {
      const code = runSql({ template: opts.template, benchmark: opts.benchmark, table: opts.table, format: opts.format }, io());
      if (code !== SQL_EXIT_OK) throw new CommanderError(code, 'cis-monitoring.sql', `sql exited with code ${code}`);
    });
}

interface MetricQuery {
  readonly name: string;
  readonly control: ReplayControl;
  readonly condition: AthenaSqlCondition;
}

/** Prints the queries. Returns the exit code; usage errors go to stderr, never thrown. */
export function runSql(options: SqlOptions, io: SqlIo): number {
  const fail = (message: string): number => {
    io.stderr.write(`cis-monitoring sql: ${message}\n`);
    return SQL_EXIT_USAGE;
  };
  if (options.format !== 'text' && options.format !== 'json') {
    return fail(`--format "${options.format}" is not supported; use "text" or "json".`);
  }
  const table = options.table ?? DEFAULT_ATHENA_TABLE;
  if (!ATHENA_TABLE_NAME.test(table)) {
    return fail(`--table "${table}" is not an Athena table name: give table, db.table or catalog.db.table, each part letters, digits and _ (not starting with a digit).`);
  }

  let controls: ReplayControl[];
  let warnings: string[] = [];
  try {
    const source = loadControls(options);
    controls = source.controls;
    // Alarms do not matter to SQL.
    warnings = source.warnings.filter(w => !w.startsWith('no alarm watches'));
  } catch (e: any) {
    if (e instanceof UsageError) return fail(e.message);
    throw e;
  }

  const queries = nameMetrics(controls).map(({ name, control }): MetricQuery => {
    const counting = control.filters.filter(f => f.counts).map(f => f.pattern);
    if (counting.length === 0) warnings.push(`metric ${name} has no filter that adds to it (every MetricValue is 0): its query selects nothing.`);
    return { name, control, condition: athenaConditionForAny(counting) };
  });

  if (options.format === 'json') {
    const report: SqlJsonReport = {
      table,
      queries: Object.fromEntries(queries.map(q => [q.name, athenaQuery(q.condition, table, false)])),
      inexact: Object.fromEntries(queries.filter(q => q.condition.inexact.length > 0).map(q => [q.name, q.condition.inexact])),
      controls: Object.fromEntries(queries.map(q => [q.name, { control: q.control.key, ...(q.control.cisId ? { cisId: q.control.cisId } : {}) }])),
      warnings,
    };
    io.stdout.write(`${JSON.stringify(report, undefined, 2)}\n`);
  } else {
    const blocks = queries.map(q => {
      const header = [`${q.name}: ${q.control.key}${q.control.cisId ? ` (CIS ${q.control.cisId})` : ''}${q.control.environment ? ` in ${q.control.environment}` : ''}`];
      return `${athenaQuery(q.condition, table, header)};\n`;
    });
    io.stdout.write(blocks.join('\n'));
    for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
  }
  return SQL_EXIT_OK;
}

/** Metric names as keys: the name alone when unique, else namespace/name, else environment namespace/name. */
function nameMetrics(controls: ReplayControl[]): Array<{ name: string; control: ReplayControl }> {
  const count = (f: (c: ReplayControl) => string) => {
    const m = new Map<string, number>();
    for (const c of controls) m.set(f(c), (m.get(f(c)) ?? 0) + 1);
    return m;
  };
  const byName = count(c => c.metricName);
  const byNs = count(c => `${c.namespace}/${c.metricName}`);
  return controls.map(control => {
    const ns = `${control.namespace}/${control.metricName}`;
    const name = byName.get(control.metricName) === 1 ? control.metricName
      : byNs.get(ns) === 1 ? ns : `${control.environment ?? 'unknown-environment'} ${ns}`;
    return { name, control };
  });
}
