/**
 * Previewing exclusions before deploying: replay a synthesized template that
 * has an exclusion; the paging metric loses exactly the excluded principal's
 * matches and the compliance metric is unchanged.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { CisMonitoring, Exclusion } from '../../src';
import { describeIfShared, sharedPath } from '../support/shared';
import { runCli } from './fixtures/replay/cli-harness';

const EXCLUDED = 'arn:aws:iam::143434273843:user/christophe';

function synthWithExclusion(dir: string): string {
  const app = new App({ outdir: dir });
  const stack = new Stack(app, 'Preview');
  new CisMonitoring(stack, 'Cis', { emailAddresses: ['a@example.com'], exclusions: [Exclusion.principalArn(EXCLUDED)] });
  app.synth();
  return dir;
}

function record(eventID: string, eventName: string, arn: string | undefined, eventSource = 'cloudtrail.amazonaws.com'): any {
  return {
    eventVersion: '1.10',
    eventID,
    eventName,
    eventSource,
    eventTime: '2026-11-01T10:00:00Z',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2',
    eventType: 'AwsApiCall',
    recipientAccountId: '143434273843',
    userIdentity: arn ? { type: 'IAMUser', arn, accountId: '143434273843', userName: arn.split('/').pop() } : { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' },
  };
}

type Row = { key: string; matches: number; eventIds: string[] };
async function replay(template: string, input: string): Promise<Map<string, Row>> {
  const run = await runCli(['--template', template, '--format', 'json', '--event-ids', input]);
  expect(run.code).toBe(0);
  return new Map((JSON.parse(run.stdout).controls as Row[]).map(c => [c.key, c]));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-exclusions-'));
const template = synthWithExclusion(path.join(tmp, 'cdk.out'));

test('own fixtures: the excluded principal disappears from paging only, events without the field still page', async () => {
  const input = path.join(tmp, 'events.json');
  fs.writeFileSync(input, JSON.stringify({
    Records: [
      record('e1', 'StopLogging', EXCLUDED),
      record('e2', 'StopLogging', 'arn:aws:iam::143434273843:user/mallory'),
      record('e3', 'DeleteTrail', undefined), // no userIdentity.arn: a bare != would drop it
      record('e4', 'DescribeTrails', EXCLUDED),
    ],
  }));
  const rows = await replay(template, input);
  expect(rows.get('cloudtrail-config-changes')!.eventIds).toEqual(['e1', 'e2', 'e3']);
  expect(rows.get('cloudtrail-config-changes (paging)')!.eventIds).toEqual(['e2', 'e3']);
});

describeIfShared('corpus', 'stratus-red-team')('on the shared CloudTrail corpus', () => {
  test('an exclusion for one principal removes its matches and changes nothing else', async () => {
    const rows = await replay(template, sharedPath('corpus', 'stratus-red-team'));
    const corpus = fs.readdirSync(sharedPath('corpus', 'stratus-red-team')).filter(f => f.endsWith('.json'))
      .flatMap(f => JSON.parse(fs.readFileSync(sharedPath('corpus', 'stratus-red-team', f), 'utf8')) as any[]);
    const byExcluded = new Set(corpus.filter(r => r.userIdentity?.arn === EXCLUDED).map(r => r.eventID));
    let removed = 0;
    for (const [key, compliance] of rows) {
      if (key.endsWith('(paging)')) continue;
      const paging = rows.get(`${key} (paging)`)!;
      expect(paging.eventIds).toEqual(compliance.eventIds.filter(id => !byExcluded.has(id)));
      removed += compliance.matches - paging.matches;
    }
    // The principal stopped and deleted a trail in the corpus: its StopLogging is one of the removed matches.
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(rows.get('cloudtrail-config-changes')!.matches - rows.get('cloudtrail-config-changes (paging)')!.matches).toBe(1);
  });
});
