import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sharedPath, testIfShared } from '../support/shared';
import { CliRun, fixture, runCli } from './fixtures/replay/cli-harness';

/**
 * The pre-filter (src/replay/prefilter.ts) must not change what matches:
 * every fixture and the shared corpus replay to the same report, table and
 * JSON, with it and with --validate (every record parsed), except that damage
 * inside a record no filter can match is reported only with --validate.
 */
async function both(args: string[]): Promise<{ on: CliRun; off: CliRun }> {
  return { on: await runCli(args), off: await runCli(['--validate', ...args]) };
}

const INPUTS = ['events.ndjson', 'records.json', 'array.json', 'malformed-middle.ndjson', 'truncated.json', 'empty-records.json', 'not-json.txt', 'tree'];

/** The one record of the fixtures that is damaged inside and holds no text a filter needs (malformed-middle.ndjson line 5). */
const DAMAGED_INSIDE = { line: 5, record: 3 };

describe('replay output is identical with and without the pre-filter', () => {
  test.each(INPUTS.filter(n => n !== 'malformed-middle.ndjson'))('fixture %s', async (name) => {
    for (const format of ['json', 'table']) {
      const { on, off } = await both(['--benchmark', '7.0.0', '--event-ids', '--format', format, fixture(name)]);
      expect(on).toEqual(off);
    }
  });

  test('the template controls of two-filters.template.json over every fixture at once: the same but for the one record damaged inside', async () => {
    const { on, off } = await both(['--template', fixture('two-filters.template.json'), '--format', 'json', ...INPUTS.map(n => fixture(n))]);
    const fast = JSON.parse(on.stdout);
    const validated = JSON.parse(off.stdout);
    expect(fast.controls).toEqual(validated.controls);
    expect(fast.events).toBe(validated.events + 1);
    expect(validated.errors.filter((e: any) => !fast.errors.some((f: any) => JSON.stringify(f) === JSON.stringify(e))))
      .toEqual([expect.objectContaining({ file: fixture('malformed-middle.ndjson'), ...DAMAGED_INSIDE })]);
    expect(fast.events).toBeGreaterThan(0);
  });

  testIfShared('corpus')('the shared corpus (../shared/corpus)', async () => {
    const { on, off } = await both(['--benchmark', '7.0.0', '--event-ids', '--format', 'json', sharedPath('corpus')]);
    expect(on).toEqual(off);
    const json = JSON.parse(on.stdout);
    expect(json.events).toBeGreaterThan(0);
    expect(json.controls.some((c: any) => c.matches > 0)).toBe(true);
  });

  test('NDJSON lines that spell a literal with an escape (`\\/`, `\\u00..`) are matched as JSON.parse reads them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-prefilter-'));
    try {
      // `$.userIdentity.arn` holds a slash: `\/` spells it without a `\u00` escape
      const template = path.join(dir, 'arn.template.json');
      fs.writeFileSync(template, JSON.stringify({
        Resources: {
          Alice: {
            Type: 'AWS::Logs::MetricFilter',
            Properties: {
              FilterPattern: '{ $.userIdentity.arn = "arn:aws:iam::111122223333:user/alice" }',
              LogGroupName: 'trail',
              MetricTransformations: [{ MetricName: 'Alice', MetricNamespace: 'Test', MetricValue: '1' }],
            },
          },
        },
      }));
      const line = (id: string, arn: string): string =>
        `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"${arn}"},"eventTime":"2024-03-01T10:0${id}:00Z","eventName":"ListUsers","eventID":"e${id}"}`;
      const input = path.join(dir, 'escapes.ndjson');
      fs.writeFileSync(input, [
        line('1', 'arn:aws:iam::111122223333:user/alice'),
        line('2', 'arn:aws:iam::111122223333:user\\/alice'),
        line('3', 'arn:aws:iam::111122223333:user\\/bob'),
        line('4', 'arn:aws:iam::111122223333:\\u0075ser/alice'),
        line('5', 'arn:aws:iam::111122223333:user\\\\/alice'),
      ].join('\n') + '\n');
      const { on, off } = await both(['--template', template, '--format', 'json', '--event-ids', input]);
      expect(on).toEqual(off);
      const report = JSON.parse(on.stdout);
      expect(report.events).toBe(5);
      expect(report.controls[0].matches).toBe(3);
      expect(report.controls[0].eventIds).toEqual(['e1', 'e2', 'e4']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
