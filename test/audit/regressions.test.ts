/**
 * The evidence reporter's alert messages: every item is one bounded line,
 * whatever AWS answered or Organizations names an account.
 */
import { ComplianceStatus, EvidenceFinding } from '../../src/audit/findings';
import { alertMessages, compareFinding, RunState } from '../../src/audit/reporter/regressions';

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
      from: 'PASSED',
      to: 'FAILED',
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

test('bidirectional overrides and invisible tag characters in a reason or name are made spaces', () => {
  const [m] = alertMessages({
    regressions: [],
    unauditable: [{ environment: 'aws://222222222222/us-east-1', accountName: 'prod\u202Egnp.exe', kind: 'denied', message: 'filter \u{E0041}\u{E0042}x\u061Cy\u00ADz' }],
  }, CONTEXT);
  const item = m.body.split('\n').find(l => l.startsWith('- '))!;
  expect(item).toBe('- aws://222222222222/us-east-1 (prod gnp.exe) can no longer be audited (denied): filter   x y z');
  expect(m.body).not.toMatch(/[\p{Cf}]/u);
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

/** A finding of `aws://111111111111/eu-west-1`'s root-account-usage, as the report streams it. */
function finding(status: ComplianceStatus, audited = true): EvidenceFinding {
  return {
    id: 'cdk-cis-monitoring/111111111111/eu-west-1/root-account-usage',
    environment: 'aws://111111111111/eu-west-1',
    accountName: 'prod',
    controlKey: 'root-account-usage',
    requirement: 'CIS AWS Foundations Benchmark v7.0.0/5.3',
    title: 'Ensure root account usage is monitored',
    severity: 'CRITICAL',
    status,
    statusReason: `reason ${status}`,
    audited,
  } as EvidenceFinding;
}

/** Runs the statuses through compareFinding as the reporter does run after run; what each run alerts. */
function runs(sequence: Array<ComplianceStatus | 'unaudited'>): string[] {
  let previous: RunState | undefined;
  return sequence.map((s, i) => {
    const f = s === 'unaudited' ? finding('NOT_AVAILABLE', false) : finding(s);
    const change = compareFinding(previous, f, new Set(previous?.notEvaluated ?? []));
    previous = {
      runId: `r${i}`,
      generatedAt: '2026-12-07T00:00:00Z',
      statuses: change.status === undefined ? {} : { [f.id]: change.status },
      unauditable: [],
      notEvaluated: change.notEvaluated ? [f.id] : [],
    };
    const r = change.regression;
    return r ? `${r.from} → ${r.to} (${r.severity})` : '';
  });
}

describe('compareFinding: what a run alerts, given the runs before it', () => {
  test.each<[string, Array<ComplianceStatus | 'unaudited'>, string[]]>([
    ['PASSED → FAILED', ['PASSED', 'FAILED'], ['', 'PASSED → FAILED (CRITICAL)']],
    ['WARNING → FAILED is named as such, not as PASSED', ['WARNING', 'FAILED'], ['', 'WARNING → FAILED (CRITICAL)']],
    ['a first run alerts nothing, FAILED → FAILED neither', ['FAILED', 'FAILED'], ['', '']],
    ['PASSED → NOT_AVAILABLE once (HIGH), not again on the next run', ['PASSED', 'NOT_AVAILABLE', 'NOT_AVAILABLE'], ['', 'PASSED → NOT_AVAILABLE (HIGH)', '']],
    ['PASSED → NOT_AVAILABLE → FAILED: the failure is still a regression', ['PASSED', 'NOT_AVAILABLE', 'FAILED'], ['', 'PASSED → NOT_AVAILABLE (HIGH)', 'PASSED → FAILED (CRITICAL)']],
    ['evaluated again, then gone again: alerted again', ['PASSED', 'NOT_AVAILABLE', 'PASSED', 'NOT_AVAILABLE'], ['', 'PASSED → NOT_AVAILABLE (HIGH)', '', 'PASSED → NOT_AVAILABLE (HIGH)']],
    ['FAILED → NOT_AVAILABLE is no regression; NOT_AVAILABLE from the start neither', ['FAILED', 'NOT_AVAILABLE', 'FAILED'], ['', '', '']],
    ['never evaluated, then FAILED: nothing to regress from', ['NOT_AVAILABLE', 'FAILED'], ['', '']],
    ['PASSED → unaudited → FAILED: the failure is a regression; the unaudited run is alerted per target, not here', ['PASSED', 'unaudited', 'FAILED'], ['', '', 'PASSED → FAILED (CRITICAL)']],
  ])('%s', (_what, sequence, alerts) => {
    expect(runs(sequence)).toEqual(alerts);
  });

  test('state written before notEvaluated existed reads as nothing alerted yet', () => {
    const previous: RunState = { runId: 'r0', generatedAt: '2026-12-07T00:00:00Z', statuses: { [finding('PASSED').id]: 'PASSED' }, unauditable: [] };
    expect(compareFinding(previous, finding('NOT_AVAILABLE'), new Set(previous.notEvaluated ?? [])).regression?.to).toBe('NOT_AVAILABLE');
  });

  test('the alert names what changed, one message per severity, with its own subject', () => {
    const f = finding('NOT_AVAILABLE');
    const lost = compareFinding({ runId: 'r', generatedAt: 'g', statuses: { [f.id]: 'WARNING' }, unauditable: [] }, f, new Set()).regression!;
    const failed = compareFinding({ runId: 'r', generatedAt: 'g', statuses: { [f.id]: 'PASSED' }, unauditable: [] }, finding('FAILED'), new Set()).regression!;
    const messages = alertMessages({ regressions: [lost, failed], unauditable: [] }, CONTEXT);
    expect(messages.map(m => m.subject)).toEqual([
      '[CRITICAL] CIS evidence: 1 CIS control regressed to FAILED',
      '[HIGH] CIS evidence: 1 passing control no longer evaluated',
    ]);
    expect(messages[1].body).toContain('- CIS AWS Foundations Benchmark v7.0.0/5.3 (root-account-usage) in aws://111111111111/eu-west-1 (prod): WARNING → NOT_AVAILABLE. no scanner could evaluate it this run');
    expect(messages[0].body).toContain('(prod): PASSED → FAILED. reason FAILED');
  });
});
