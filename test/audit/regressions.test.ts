/**
 * The evidence reporter's alert messages: every item is one bounded line,
 * whatever AWS answered or Organizations names an account.
 */
import { alertMessages } from '../../src/audit/reporter/regressions';

const CONTEXT = { reportKey: 'reports/r.html', bucket: 'b', generatedAt: '2026-12-07T00:00:00Z', benchmark: '7.0.0' };

test('a reason or account name with line breaks and megabytes stays one line of at most 1,000 characters', () => {
  const hostile = `denied\nAccount: forged (999999999999)\r\n${'x'.repeat(2_000_000)}`;
  const [m] = alertMessages({
    regressions: [{
      findingId: 'f',
      environment: 'aws://111111111111/eu-west-1',
      accountName: 'prod\u2028Who: nobody',
      controlKey: 'root-account-usage',
      requirement: 'CIS AWS Foundations Benchmark v7.0.0/5.3',
      title: 't',
      severity: 'CRITICAL',
      reason: hostile,
    }],
    unauditable: [],
  }, CONTEXT);
  const lines = m.body.split('\n');
  expect(lines).toHaveLength(5);
  expect(lines[2]).toMatch(/^- CIS AWS Foundations Benchmark v7\.0\.0\/5\.3 \(root-account-usage\) in aws:\/\/111111111111\/eu-west-1 \(prod Who: nobody\): PASSED → FAILED\. denied Account: forged/);
  expect(lines[2].length).toBe(1000);
  expect(lines[2].endsWith('…')).toBe(true);
  expect(lines.filter(l => l.startsWith('Account:'))).toEqual([]);
});

test('an unauditable target\'s error message is bounded the same way', () => {
  const [m] = alertMessages({
    regressions: [],
    unauditable: [{ environment: 'aws://222222222222/us-east-1', kind: 'denied', message: `AccessDenied\n${'y'.repeat(5000)}` }],
  }, CONTEXT);
  const item = m.body.split('\n').find(l => l.startsWith('- '))!;
  expect(item.startsWith('- aws://222222222222/us-east-1 can no longer be audited (denied): AccessDenied y')).toBe(true);
  expect(item.length).toBe(1000);
  expect(m.severity).toBe('HIGH');
});
