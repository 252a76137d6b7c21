/**
 * Renders the README tables that come from the catalog, and rewrites them in
 * place between their markers. test/readme.test.ts fails when README.md is
 * out of date; fix it with:
 *
 *   npx projen readme-tables
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDemoApp, DEMO_STACK_NAME } from '../examples/demo-app';
import { CisBenchmarkVersion, CisControl, Scanner } from '../src';
import { evaluateAudit } from '../src/audit/evaluate';
import { readTemplateTargets } from '../src/audit/template-reader';
import { scannerDisplayName } from '../src/scanners/rules';

export const README = path.resolve(__dirname, '..', 'README.md');
export const CLI_DOC = path.resolve(__dirname, '..', 'docs', 'cli.md');

/** Controls x versions: the CIS id of each control in each version. */
export function renderControlsTable(): string {
  const versions = CisBenchmarkVersion.all();
  const header = ['Control key', 'Metric name', 'Security Hub', ...versions.map(v => v.version)];
  const rows = CisControl.all().map(c => [
    `\`${c.key}\``,
    c.isMetricFilter ? `\`${c.metricName}\`` : '(not a metric filter)',
    c.securityHubControlId ?? '–',
    ...versions.map(v => {
      if (!c.isIn(v)) return '–';
      const d = c.definitionIn(v);
      return d.patternDefect ? `${d.recommendationId}†` : d.recommendationId;
    }),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(header),
    line(header.map(() => '---')),
    ...rows.map(line),
    '',
    '† the CIS text of this version is defective and is not deployed verbatim (see [Known defects in the CIS texts](docs/controls.md#known-defects-in-the-cis-texts)).',
  ].join('\n');
}

/** The `cis-monitoring audit` matrix of the bundled example, computed from its synthesized template. */
export function renderDemoAuditTable(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-readme-'));
  const assembly = buildDemoApp(outdir).app.synth();
  const template = path.join(assembly.directory, assembly.getStackByName(DEMO_STACK_NAME).templateFile);
  const scanners = [Scanner.SECURITY_HUB, Scanner.PROWLER, Scanner.STEAMPIPE, Scanner.CLOUDSPLOIT];
  const report = evaluateAudit(onlyTarget(template), CisBenchmarkVersion.LATEST, scanners);
  const label = (status: string) => (status === 'NOT_APPLICABLE' ? 'N/A' : status);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['CIS', 'Control', ...scanners.map(scannerDisplayName)]),
    line(['---', '---', ...scanners.map(() => '---')]),
    ...report.controls.map(c => line([c.cisId, `\`${c.key}\``, ...scanners.map(sc => label(c.results[sc]!.status))])),
  ].join('\n');
}

/** The generated tables, by the file that holds them (between `<!-- name:start -->` and `<!-- name:end -->`). */
export const TABLES: Record<string, Record<string, () => string>> = {
  [README]: { 'controls-table': renderControlsTable },
  [CLI_DOC]: { 'demo-audit-table': renderDemoAuditTable },
};

/** Returns `text` (the content of `file`) with every marked table of that file replaced by its fresh rendering. */
export function refreshTables(text: string, file: string = README): string {
  let out = text;
  for (const [name, render] of Object.entries(TABLES[file] ?? {})) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`${path.relative(path.dirname(README), file)} lacks the markers ${start} ... ${end}`);
    out = `${out.slice(0, i + start.length)}\n${render()}\n${out.slice(j)}`;
  }
  return out;
}

if (require.main === module) {
  for (const file of Object.keys(TABLES)) {
    fs.writeFileSync(file, refreshTables(fs.readFileSync(file, 'utf8'), file));
    process.stdout.write(`${path.relative(process.cwd(), file)}: tables refreshed\n`);
  }
}

/** The audit model of a one-stack template (one environment). */
function onlyTarget(file: string) {
  const targets = readTemplateTargets(file);
  if (targets.length !== 1) throw new Error(`${file}: expected one environment, got ${targets.length}`);
  return targets[0].model;
}
