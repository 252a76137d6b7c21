/**
 * Proof on a real SQL engine: the Athena SQL of every control of every
 * benchmark version (each filter, the metric's counting filters together, and
 * the paging filters of a few exclusions) runs on DuckDB over a table with the
 * documented CloudTrail columns, loaded with every fixture record (and the
 * shared Stratus Red Team corpus when ../shared is there). Each query must
 * return exactly the event ids the filter-pattern engine matches; a query may
 * differ only where the translator reported it inexact, and the reported
 * reasons are pinned here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CisBenchmarkVersion, CisControl } from '../../src/catalog';
import { Exclusion } from '../../src/exclusions';
import { CompiledFilterPattern, FilterPatternEngine } from '../../src/filter-pattern';
import { PathSegment } from '../../src/filter-pattern/ast';
import { AthenaSqlCondition, athenaConditionFor, athenaConditionForAny, athenaQuery } from '../../src/filter-pattern/translate/athena-sql';
import { ControlPlan } from '../../src/plan/control-plan';
import { ALL_SCANNERS } from '../../src/scanners/rules';
import { AthenaOnDuckDb } from '../support/duckdb-athena';
import { fixtureControlKeys, loadControlFixtureFile } from '../support/fixtures';
import { describeIf, requires } from '../support/requirements';
import { SHARED_DIR } from '../support/shared';
import { AthenaOnTrino, TRINO_URL } from '../support/trino-athena';

const TABLE = 'cloudtrail_logs';
const SHARED = SHARED_DIR;
const CORPUS_DIR = path.join(SHARED, 'corpus', 'stratus-red-team');
const HAS_CORPUS = fs.existsSync(CORPUS_DIR);

interface Loaded { readonly id: string; readonly where: string; readonly record: Record<string, unknown> }

/** Event ids are re-keyed (`r<n>`): fixtures reuse ids, and the comparison needs one id per row. */
function rekey(items: Array<{ where: string; record: any }>, prefix: string): Loaded[] {
  return items.map((x, i) => ({ id: `${prefix}${i}`, where: x.where, record: { ...x.record, eventID: `${prefix}${i}` } }));
}

const fixtureRecords = rekey(fixtureControlKeys().flatMap(key =>
  loadControlFixtureFile(key).fixtures.map(f => ({ where: `${key}: ${f.name}`, record: f.record }))), 'f');

const corpusRecords = HAS_CORPUS
  ? rekey(fs.readdirSync(CORPUS_DIR).filter(f => f.endsWith('.json')).sort()
    .flatMap(f => (JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, f), 'utf8')) as any[]).map(record => ({ where: f, record }))), 'c')
  : [];

const realRecords = [...fixtureRecords, ...corpusRecords];

/** One query to check: what it is, the patterns it ORs, its condition. */
interface Case { readonly name: string; readonly patterns: CompiledFilterPattern[]; readonly condition: AthenaSqlCondition }

function casesOf(version: CisBenchmarkVersion, exclusions: Exclusion[] = []): Case[] {
  const plans = ControlPlan.build({ benchmarkVersion: version, provides: 'query', scanners: ALL_SCANNERS, exclusions });
  return plans.flatMap(plan => {
    const label = `CIS ${version.version} ${plan.control.key}`;
    const counting = plan.filters.filter(f => f.metricValue !== '0').map(f => f.compiled!);
    const out: Case[] = [{ name: `${label} metric ${plan.metricName}`, patterns: counting, condition: athenaConditionForAny(counting) }];
    plan.filters.forEach((f, i) => out.push({ name: `${label} ${f.role} ${i}`, patterns: [f.compiled!], condition: athenaConditionFor(f.compiled!) }));
    const paging = plan.paging?.filter.compiled;
    if (paging) out.push({ name: `${label} paging ${plan.paging!.filter.metricName}`, patterns: [paging], condition: athenaConditionFor(paging) });
    return out;
  });
}

const EXCLUSIONS = [
  Exclusion.roleName('ci-deployer', { controls: [CisControl.SECURITY_GROUP_CHANGES, CisControl.NACL_CHANGES] }),
  Exclusion.principalArn('arn:aws:iam::111122223333:role/terraform-*'),
  Exclusion.sourceIp('203.0.113.0/24', { controls: [CisControl.CONSOLE_AUTH_FAILURES] }),
  Exclusion.userAgent('*AWS Internal*', { controls: [CisControl.UNAUTHORIZED_API_CALLS] }),
];

const cases: Case[] = [
  ...CisBenchmarkVersion.all().flatMap(v => casesOf(v)),
  ...casesOf(CisBenchmarkVersion.LATEST, EXCLUSIONS).filter(c => c.name.includes(' paging ')),
];

/** A copy of the record with a JSON null where the path is missing (undefined when the path is there or not an object path). */
function withNull(record: Record<string, unknown>, p: readonly PathSegment[]): Record<string, unknown> | undefined {
  const copy = structuredClone(record);
  let cur: any = copy;
  for (const seg of p.slice(0, -1)) {
    if (typeof seg !== 'string') return undefined;
    if (cur[seg] === undefined) cur[seg] = {};
    else if (typeof cur[seg] !== 'object' || cur[seg] === null || Array.isArray(cur[seg])) return undefined;
    cur = cur[seg];
  }
  const last = p[p.length - 1];
  if (typeof last !== 'string' || cur[last] !== undefined) return undefined;
  cur[last] = null;
  return copy;
}

/**
 * For every query reported inexact because the table reads a JSON null as
 * missing: records it selects where the field is missing, with that field set
 * to JSON null, so the difference the report announces really shows.
 */
const nullRecords: Loaded[] = (() => {
  const seen = new Set<string>();
  const out: Array<{ where: string; record: any }> = [];
  for (const c of cases) {
    for (const p of c.condition.nullAsMissing) {
      const key = p.join('.');
      let n = 0;
      for (const r of realRecords) {
        if (n >= 2) break;
        if (!c.patterns.some(x => x.matchesRecord(r.record))) continue;
        const variant = withNull(r.record, p);
        if (!variant || seen.has(`${r.id} ${key}`)) continue;
        seen.add(`${r.id} ${key}`);
        out.push({ where: `${r.where} with $.${key}: null`, record: variant });
        n++;
      }
    }
  }
  return rekey(out, 'n');
})();
const allRecords = [...realRecords, ...nullRecords];

interface Outcome { readonly c: Case; readonly missing: string[]; readonly extra: string[]; readonly nullMismatch: boolean }

/** A SQL engine holding the CloudTrail table. */
interface Engine { readonly table: string; query(sql: string): Promise<Array<Record<string, unknown>>>; close(): void | Promise<void> }

const where = (ids: string[]) => ids.map(id => `${id} (${allRecords.find(r => r.id === id)!.where})`);

/** The proof on one engine. */
const proofOn = (open: () => Promise<Engine>) => () => {
  let db: Engine;
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    db = await open();
    const nullIds = new Set(nullRecords.map(r => r.id));
    for (const c of cases) {
      const rows = await db.query(athenaQuery(c.condition, db.table));
      const got = new Set(rows.map(r => String(r.eventid)));
      const want = new Set(allRecords.filter(r => c.patterns.some(p => p.matchesRecord(r.record))).map(r => r.id));
      const missing = [...want].filter(id => !got.has(id));
      const extra = [...got].filter(id => !want.has(id));
      outcomes.push({
        c,
        missing: missing.filter(id => !nullIds.has(id)),
        extra: extra.filter(id => !nullIds.has(id)),
        nullMismatch: [...missing, ...extra].some(id => nullIds.has(id)),
      });
    }
  }, 600_000);

  afterAll(async () => { await db?.close(); });

  test('every control of every version, each filter, each metric and the paging filters', () => {
    expect(cases.length).toBeGreaterThan(CisBenchmarkVersion.all().length * 14);
    const wrong = outcomes.filter(o => o.missing.length + o.extra.length > 0)
      .map(o => ({ query: o.c.name, missing: where(o.missing), extra: where(o.extra), inexact: o.c.condition.inexact }));
    expect(wrong).toEqual([]);
  });

  test('the queries are not vacuous: every control selects fixture records in every version', () => {
    const empty = outcomes.filter(o => o.c.name.includes(' metric '))
      .filter(o => !fixtureRecords.some(r => o.c.patterns.some(p => p.matchesRecord(r.record))))
      .map(o => o.c.name);
    expect(empty).toEqual([]);
  });

  test('a query differs from the engine on the JSON-null records only where it is reported inexact, and every inexact query does', () => {
    const unreported = outcomes.filter(o => o.nullMismatch && o.c.condition.inexact.length === 0).map(o => o.c.name);
    expect(unreported).toEqual([]);
    // Every inexact query here is inexact for the null/missing reason, and the null records show it.
    const inexact = outcomes.filter(o => o.c.condition.inexact.length > 0);
    expect(inexact.length).toBeGreaterThan(0);
    const silent = inexact.filter(o => !o.nullMismatch).map(o => `${o.c.name}: ${o.c.condition.inexact.join(' ')}`);
    expect(silent).toEqual([]);
  });

  test('the inexact reasons are exactly the known ones', () => {
    const reasons = [...new Set(outcomes.flatMap(o => o.c.condition.inexact))].sort();
    expect(reasons).toEqual([
      '$.sourceIPAddress NOT EXISTS: the table reads a JSON null and a missing $.sourceIPAddress both as SQL NULL, so records where it is null are selected as if it were missing.',
      '$.userAgent NOT EXISTS: the table reads a JSON null and a missing $.userAgent both as SQL NULL, so records where it is null are selected as if it were missing.',
      '$.userIdentity.invokedBy NOT EXISTS: the table reads a JSON null and a missing $.userIdentity.invokedBy both as SQL NULL, so records where it is null are selected as if it were missing.',
      '$.userIdentity.sessionContext.sessionIssuer.arn NOT EXISTS: the table reads a JSON null and a missing $.userIdentity.sessionContext.sessionIssuer.arn both as SQL NULL, so records where it is null are selected as if it were missing.',
      '$.userIdentity.sessionContext.sessionIssuer.userName NOT EXISTS: the table reads a JSON null and a missing $.userIdentity.sessionContext.sessionIssuer.userName both as SQL NULL, so records where it is null are selected as if it were missing.',
    ]);
  });

  test('the records reach both sides (fixtures and, with ../shared, the corpus)', () => {
    expect(fixtureRecords.length).toBeGreaterThan(100);
    if (!HAS_CORPUS) {
      // eslint-disable-next-line no-console
      console.warn(`Stratus Red Team corpus not found at ${CORPUS_DIR} (../shared absent): the proof ran on the fixtures only.`);
    } else {
      expect(corpusRecords.length).toBeGreaterThan(100);
    }
  });

  describeIf(requires.shared(SHARED, 'corpus', 'stratus-red-team'))('the shared corpus', () => {
    test('corpus records are among those the queries select (the main test checks they are selected identically)', () => {
      const corpusIds = new Set(corpusRecords.map(r => r.id));
      const hit = outcomes.some(o => allRecords.some(r => corpusIds.has(r.id) && o.c.patterns.some(p => p.matchesRecord(r.record))));
      expect(hit).toBe(true);
    });
  });
};

describe('Athena SQL on DuckDB (Trino functions as macros) selects exactly what the filter-pattern engine matches', proofOn(async () => {
  const d = await AthenaOnDuckDb.create(TABLE, allRecords.map(r => r.record));
  return { table: TABLE, query: sql => d.query(sql), close: () => d.close() };
}));

describeIf(requires.trino)('Athena SQL on Trino selects exactly what the filter-pattern engine matches',
  proofOn(() => AthenaOnTrino.create(TRINO_URL!, allRecords.map(r => r.record))));

test('the engine used is DuckDB with the Trino macros (a sanity check of the harness itself)', async () => {
  const probe = await AthenaOnDuckDb.create('probe', [{ eventID: 'x', requestParameters: { a: true } }]);
  try {
    const rows = await probe.query("SELECT json_extract_scalar(requestparameters, '$.a') AS s, json_format(json_extract(requestparameters, '$.a')) AS t FROM probe");
    expect(rows).toEqual([{ s: 'true', t: 'true' }]);
    expect(FilterPatternEngine.parse('{ $.requestParameters.a IS TRUE }').matchesRecord({ requestParameters: { a: true } })).toBe(true);
  } finally {
    probe.close();
  }
});
