import * as fs from 'fs';
import { README, refreshTables, renderControlsTable } from '../scripts/readme-tables';

test('README tables match the catalog (run `npx projen readme-tables` to refresh)', () => {
  const text = fs.readFileSync(README, 'utf8');
  expect(refreshTables(text)).toBe(text);
});

test('the controls table lists every control with its id per version', () => {
  const table = renderControlsTable();
  expect(table).toContain('| `root-account-usage` | `RootAccountUsage` | CloudWatch.1 | 3.3 | 4.3 | 4.3 | 4.3 | 4.3 | 4.3 | 4.3 | 4.3 | 5.3 | 5.3 |');
  expect(table).toContain('| `organizations-changes` | `OrganizationsChanges` | – | – | 4.15 |');
  expect(table).toContain('| `unauthorized-api-calls` | `UnauthorizedAPICalls` | CloudWatch.2 | 3.1 | 4.1† | 4.1† | 4.1† | 4.1 |');
});

test('refreshTables refuses a README without markers', () => {
  expect(() => refreshTables('# no markers')).toThrow(/lacks the markers <!-- controls-table:start -->/);
});
