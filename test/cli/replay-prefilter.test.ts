import { hasShared, sharedPath } from '../support/shared';
import { CliRun, fixture, runCli } from './fixtures/replay/cli-harness';

/**
 * The pre-filter (src/replay/prefilter.ts) must not change any reported
 * number: every fixture and the shared corpus replay to the same report, table
 * and JSON, with it and without it (CIS_MONITORING_REPLAY_PREFILTER=off).
 */
async function both(args: string[]): Promise<{ on: CliRun; off: CliRun }> {
  const saved = process.env.CIS_MONITORING_REPLAY_PREFILTER;
  try {
    delete process.env.CIS_MONITORING_REPLAY_PREFILTER;
    const on = await runCli(args);
    process.env.CIS_MONITORING_REPLAY_PREFILTER = 'off';
    const off = await runCli(args);
    return { on, off };
  } finally {
    if (saved === undefined) delete process.env.CIS_MONITORING_REPLAY_PREFILTER;
    else process.env.CIS_MONITORING_REPLAY_PREFILTER = saved;
  }
}

const INPUTS = ['events.ndjson', 'records.json', 'array.json', 'malformed-middle.ndjson', 'truncated.json', 'empty-records.json', 'not-json.txt', 'tree'];

describe('replay output is identical with and without the pre-filter', () => {
  test.each(INPUTS)('fixture %s', async (name) => {
    for (const format of ['json', 'table']) {
      const { on, off } = await both(['--benchmark', '7.0.0', '--event-ids', '--format', format, fixture(name)]);
      expect(on).toEqual(off);
    }
  });

  test('the template controls of two-filters.template.json over every fixture at once', async () => {
    const { on, off } = await both(['--template', fixture('two-filters.template.json'), '--format', 'json', ...INPUTS.map(n => fixture(n))]);
    expect(on).toEqual(off);
    expect(JSON.parse(on.stdout).events).toBeGreaterThan(0);
  });

  (hasShared('corpus') ? test : test.skip)('the shared corpus (../shared/corpus)', async () => {
    const { on, off } = await both(['--benchmark', '7.0.0', '--event-ids', '--format', 'json', sharedPath('corpus')]);
    expect(on).toEqual(off);
    const json = JSON.parse(on.stdout);
    expect(json.events).toBeGreaterThan(0);
    expect(json.controls.some((c: any) => c.matches > 0)).toBe(true);
  });
});
