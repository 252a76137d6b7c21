import * as fs from 'fs';
import { CLI_DOC, README, refreshTables, renderControlsTable, TABLES } from '../scripts/readme-tables';

test.each(Object.keys(TABLES).map(f => [f]))('the generated tables of %s match the catalog and the example (run `npx projen readme-tables` to refresh)', file => {
  const text = fs.readFileSync(file, 'utf8');
  expect(refreshTables(text, file)).toBe(text);
});

test('the tables live in the README (controls) and docs/cli.md (the example audited)', () => {
  expect(Object.keys(TABLES[README])).toEqual(['controls-table']);
  expect(Object.keys(TABLES[CLI_DOC])).toEqual(['demo-audit-table']);
});

test('the controls table lists every control with its id per version', () => {
  const table = renderControlsTable();
  expect(table).toContain('| `root-account-usage` | `RootAccountUsage` | CloudWatch.1 | 3.3 | 4.3 | 4.3 | 4.3 | 4.3 | 4.3 | 4.3 | 4.3 | 5.3 | 5.3 |');
  expect(table).toContain('| `organizations-changes` | `OrganizationsChanges` | – | – | 4.15 |');
  expect(table).toContain('| `unauthorized-api-calls` | `UnauthorizedAPICalls` | CloudWatch.2 | 3.1 | 4.1† | 4.1† | 4.1† | 4.1 |');
});

test('refreshTables refuses a README without markers', () => {
  expect(() => refreshTables('# no markers')).toThrow(/README.md lacks the markers <!-- controls-table:start -->/);
});
