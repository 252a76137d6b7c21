/**
 * Notes the tests leave for the CI summary (scripts/test-summary.ts): why a
 * test was skipped, and how many distinct inputs a table-driven block has.
 * jest-junit's report (test-reports/junit.xml) says which tests were skipped,
 * never why; these notes say why, written by the code that decided to skip.
 *
 * One JSON line per note in `<reports>/notes/<test file>.jsonl`, where
 * `<reports>` is CIS_TEST_REPORT_DIR or test-reports/. The jest global setup
 * (test/support/jest-global-setup.ts) empties the folder before each run, so
 * no note outlives its run.
 */
import * as fs from 'fs';
import * as path from 'path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type SkipKind = 'tool' | 'build' | 'data' | 'platform' | 'variant' | 'opt-in';

export interface SkipNote {
  readonly type: 'skip';
  /** The test file, relative to the repository. */
  readonly file: string;
  /** The title given to the skipped `describe` or `test` (one segment of the skipped tests' full names). */
  readonly title: string;
  readonly kind: SkipKind;
  readonly reason: string;
}

export interface TableNote {
  readonly type: 'table';
  readonly file: string;
  /** The title template of the `describe.each` or `test.each` block. */
  readonly title: string;
  readonly each: 'describe' | 'test';
  /** Rows of the table: tests (or describe blocks) it makes. */
  readonly rows: number;
  /** Rows with a distinct input. */
  readonly distinct: number;
  /** What makes two inputs the same, when the test declared it; otherwise the rows' own values. */
  readonly distinctBy?: string;
  /** Rows before identical inputs were collapsed into one, when they were. */
  readonly collapsedFrom?: number;
}

export type TestNote = SkipNote | TableNote;

/** The folder of the notes of this run. */
export function notesDir(): string {
  return path.join(path.resolve(REPO_ROOT, process.env.CIS_TEST_REPORT_DIR ?? 'test-reports'), 'notes');
}

/** The running test file, relative to the repository (jest sets it before it loads the file). */
export function currentTestFile(): string {
  const testPath: string | undefined = (expect as any).getState?.().testPath;
  return testPath ? path.relative(REPO_ROOT, testPath) : '(unknown test file)';
}

/** Appends a note of the running test file. */
export function writeNote(note: Omit<SkipNote, 'file'> | Omit<TableNote, 'file'>): void {
  const file = currentTestFile();
  const dir = notesDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(path.join(dir, `${file.replace(/[^A-Za-z0-9._-]+/g, '_')}.jsonl`), `${JSON.stringify({ ...note, file })}\n`);
}
