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
});
