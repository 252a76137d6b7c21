/**
 * What the jest run did not run, and what its tables stand for: printed by
 * .ci/run after `npm run check` (task `test-summary`).
 *
 * Reads jest-junit's report (test-reports/junit.xml: every test, its file, and
 * whether it was skipped, failed or passed) and the notes the tests left in
 * test-reports/notes/ (test/support/test-notes.ts): the reason of each skip,
 * written by test/support/requirements.ts where it decided to skip, and each
 * table-driven block's rows and distinct inputs (test/support/tables.ts).
 *
 * Prints every table-driven block with its rows and distinct inputs, every
 * skipped test by name under its reason, and the closing count line. Exits 1
 * when a skipped test has no noted reason (a skip that bypassed the helper),
 * or when the report is missing.
 *
 *   npx projen test-summary            # after a jest run
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const REPORTS = path.resolve(ROOT, process.env.CIS_TEST_REPORT_DIR ?? 'test-reports');
const SEPARATOR = ' › ';

interface TestCase { file: string; classname: string; name: string; status: 'passed' | 'failed' | 'skipped' }
interface SkipNote { type: 'skip'; file: string; title: string; kind: string; reason: string }
interface TableNote {
  type: 'table'; file: string; title: string; each: string; rows: number; distinct: number; distinctBy?: string; collapsedFrom?: number;
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e.toLowerCase()];
  });
}

function attributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]] = unescapeXml(m[2]);
  return out;
}

/** The test cases of jest-junit's report (a file this project's jest config writes; its layout is jest-junit 17's). */
function readJunit(file: string): { cases: TestCase[]; totals: Record<string, string> } {
  const xml = fs.readFileSync(file, 'utf8');
  const root = /<testsuites\b([^>]*)>/.exec(xml);
  if (!root) throw new Error(`${file} has no <testsuites> element`);
  const cases: TestCase[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const a = attributes(m[1]);
    const body = m[2] ?? '';
    const status = /<skipped\b/.test(body) ? 'skipped' : /<(failure|error)\b/.test(body) ? 'failed' : 'passed';
    cases.push({ file: a.file ?? '(no file attribute)', classname: a.classname ?? '', name: a.name ?? '', status });
  }
  return { cases, totals: attributes(root[1]) };
}

function readNotes(dir: string): Array<SkipNote | TableNote> {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter(f => f.endsWith('.jsonl')).sort()
    .flatMap(f => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line)));
}

function main(): number {
  const junit = path.join(REPORTS, 'junit.xml');
  if (!fs.existsSync(junit)) {
    console.log(`test-summary: ${path.relative(ROOT, junit)} is missing: jest did not run or did not finish.`);
    return 1;
  }
  const { cases, totals } = readJunit(junit);
  const notes = readNotes(path.join(REPORTS, 'notes'));

  // Tables: one line per block (a block inside another table's rows is summed over them).
  const tables = new Map<string, TableNote & { blocks: number }>();
  for (const n of notes) {
    if (n.type !== 'table') continue;
    const key = `${n.file}\u0000${n.each}\u0000${n.title}`;
    const t = tables.get(key);
    if (!t) {
      tables.set(key, { ...n, blocks: 1 });
    } else {
      t.rows += n.rows;
      t.distinct += n.distinct;
      if (n.collapsedFrom !== undefined) t.collapsedFrom = (t.collapsedFrom ?? 0) + n.collapsedFrom;
      t.blocks++;
    }
  }
  const byFile = new Map<string, Array<TableNote & { blocks: number }>>();
  for (const t of tables.values()) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t]);
  const allTables = [...tables.values()];
  const sum = (list: typeof allTables, f: (t: TableNote) => number) => list.reduce((n, t) => n + f(t), 0);
  const collapsed = allTables.filter(t => t.collapsedFrom !== undefined);
  console.log(`\nTable-driven blocks: ${allTables.length}, ${sum(allTables, t => t.rows)} rows, ${sum(allTables, t => t.distinct)} distinct inputs`
    + (collapsed.length ? `; ${collapsed.length} blocks hold one row per distinct input of ${sum(collapsed, t => t.collapsedFrom!)} rows` : ''));
  for (const file of [...byFile.keys()].sort()) {
    console.log(`  ${file}`);
    for (const t of byFile.get(file)!) {
      const times = t.blocks > 1 ? ` (in ${t.blocks} blocks)` : '';
      const distinct = t.distinctBy
        ? `${t.distinct} distinct inputs by ${t.distinctBy}, collapsed from ${t.collapsedFrom} rows`
        : `${t.distinct} distinct`;
      console.log(`    ${t.each}.each ${JSON.stringify(t.title)}${times}: ${t.rows} rows, ${distinct}`);
    }
  }

  // Skipped tests, under their reason.
  const skipNotes = notes.filter((n): n is SkipNote => n.type === 'skip');
  const skipped = cases.filter(c => c.status === 'skipped');
  const byReason = new Map<string, string[]>();
  const unexplained: string[] = [];
  for (const c of skipped) {
    const segments = [...(c.classname ? c.classname.split(SEPARATOR) : []), c.name];
    // The outermost skipped block is what skipped the test (a block inside it may have been skipped for a reason of its own too).
    const note = skipNotes.filter(n => n.file === c.file && segments.includes(n.title))
      .sort((a, b) => segments.indexOf(a.title) - segments.indexOf(b.title))[0];
    const name = `${c.file}${SEPARATOR}${segments.join(SEPARATOR)}`;
    if (!note) {
      unexplained.push(name);
      continue;
    }
    const reason = `[${note.kind}] ${note.reason}`;
    byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  }
  console.log(`\nSkipped tests: ${skipped.length}${skipped.length ? ', by reason:' : ''}`);
  for (const [reason, names] of [...byReason].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`  ${reason} (${names.length})`);
    for (const n of names) console.log(`    - ${n}`);
  }
  if (unexplained.length) {
    console.log(`  NO REASON NOTED (${unexplained.length}): skip through test/support/requirements.ts (describeIf/testIf), which notes why`);
    for (const n of unexplained) console.log(`    - ${n}`);
  }

  const total = Number(totals.tests ?? cases.length);
  const failed = Number(totals.failures ?? 0) + Number(totals.errors ?? 0);
  console.log(`\njest: ${total - failed - skipped.length} passed, ${failed} failed, ${skipped.length} skipped`);
  return unexplained.length ? 1 : 0;
}

process.exitCode = main();
