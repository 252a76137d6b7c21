/**
 * The parallel replay (src/replay/parallel/) gives exactly the report of one
 * thread: the same counts, sums, firings, top principals (Space-Saving
 * counters included, also when they are approximate), event ids and problems
 * in the same order, for every kind of input, however the inputs are cut into
 * blocks. The workers run on this thread here (`inThreadLauncher`), so that
 * tiny blocks can put cuts everywhere; test/cli/replay-bundle-parallel.test.ts
 * runs real worker threads from the bundled CLI.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { FIXTURES } from './fixtures/replay/cli-harness';
import { event, writeMessyInputs } from './fixtures/replay/messy-inputs';
import { benchmarkControls } from '../../src/replay/benchmark-controls';
import { compileFilter, ReplayControl } from '../../src/replay/controls';
import { InputSource, readSource, resolveInputs } from '../../src/replay/event-source';
import { BlockProcessor } from '../../src/replay/parallel/block-worker';
import { inThreadLauncher, ParallelReplay, WorkerLauncher } from '../../src/replay/parallel/parallel-replay';
import { ToWorker } from '../../src/replay/parallel/protocol';
import { DEFAULT_MAX_RECORD_BYTES } from '../../src/replay/record-splitter';
import { ReplayEngine, ReplayEngineOptions, ReplayResult, ReplayTally } from '../../src/replay/replay-engine';
import { hasShared, sharedPath } from '../support/shared';

const CONTROLS = benchmarkControls('7.0.0');

async function oneThread(
  controls: readonly ReplayControl[], inputs: InputSource[], options: ReplayEngineOptions, blockBytes: number, stdin?: Buffer,
): Promise<ReplayResult> {
  const engine = new ReplayEngine(controls, options);
  for (const source of inputs) {
    await readSource(source, engine.sinkFor(source.display), { stdin: Readable.from(stdin ? [stdin] : []), blockBytes });
  }
  return engine.result();
}

/** What the last `parallel` run did (blocks, speculative starts that held, blocks read again). */
let lastStats: ParallelReplay['stats'];

async function parallel(
  controls: readonly ReplayControl[], inputs: InputSource[], options: ReplayEngineOptions, workers: number, blockBytes: number, stdin?: Buffer,
): Promise<ReplayResult> {
  const tally = new ReplayTally(controls, options);
  const replay = new ParallelReplay(controls, tally, {
    workers,
    launcher: inThreadLauncher(),
    blockBytes,
    eventIds: options.eventIds ?? false,
    prefilter: options.prefilter ?? true,
    maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
    maxErrors: options.maxErrors ?? 1000,
  });
  await replay.run(inputs, { stdin: Readable.from(stdin ? [stdin] : []) });
  lastStats = replay.stats;
  return tally.result();
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-parallel-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

function sources(paths: string[]): InputSource[] {
  return resolveInputs(paths, false);
}

describe('parallel replay equals one thread', () => {
  test.each([
    [1, 64], [2, 64], [3, 257], [2, 4096], [4, 1_048_576],
  ])('messy inputs, %i workers, blocks of %i bytes', async (workers, blockBytes) => {
    const inputs = sources(writeMessyInputs(tmp));
    for (const options of [{ eventIds: true }, { eventIds: true, prefilter: false }] as ReplayEngineOptions[]) {
      const expected = await oneThread(CONTROLS, inputs, options, blockBytes);
      expect(expected.malformed).toBeGreaterThan(10);
      const got = await parallel(CONTROLS, inputs, options, workers, blockBytes);
      expect(got).toEqual(expected);
      if (blockBytes < 1000) {
        // cuts everywhere: many speculative starts held, and some were wrong (pretty-printed records) and read again
        expect(lastStats.speculativeStarts).toBeGreaterThan(50);
        expect(lastStats.rereads).toBeGreaterThan(0);
      }
    }
  });

  test('the replay fixtures and the directory tree', async () => {
    const inputs = sources([FIXTURES]);
    for (const [workers, blockBytes] of [[2, 100], [3, 1000]]) {
      const expected = await oneThread(CONTROLS, inputs, { eventIds: true }, blockBytes);
      expect(expected.events).toBeGreaterThan(10);
      expect(await parallel(CONTROLS, inputs, { eventIds: true }, workers, blockBytes)).toEqual(expected);
    }
  });

  test('standard input, gzip or not', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify(event(i))).join('\n');
    for (const stdin of [Buffer.from(lines), zlib.gzipSync(lines)]) {
      const expected = await oneThread(CONTROLS, sources(['-']), { eventIds: true }, 333, stdin);
      expect(expected.events).toBe(500);
      expect(await parallel(CONTROLS, sources(['-']), { eventIds: true }, 2, 333, stdin)).toEqual(expected);
    }
  });

  test('more distinct principals than counters: the same approximate top principals', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify(event(i * 7, { userIdentity: { arn: `arn:aws:iam::1:user/p${(i * 7919) % 900}` } })));
    const file = write('many-principals.ndjson', lines.join('\n'));
    const options = { principalCounters: 20, eventIds: true };
    const expected = await oneThread(CONTROLS, sources([file]), options, 500);
    expect(expected.controls.some(c => c.topPrincipals.some(p => p.error !== undefined))).toBe(true);
    expect(await parallel(CONTROLS, sources([file]), options, 3, 500)).toEqual(expected);
  });

  test('data points with fractional values sum to the same bits ($.field MetricValue)', async () => {
    const controls: ReplayControl[] = [{
      key: 'k',
      namespace: 'N',
      metricName: 'M',
      filters: [compileFilter('f', '{ $.eventName = "DescribeInstances" }', '$.requestParameters.weight')],
      alarms: [{ name: 'a', period: 300, threshold: 0.3, evaluationPeriods: 2, datapointsToAlarm: 1, comparisonOperator: 'GreaterThanThreshold', statistic: 'Average' }],
    }];
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify(event(i, { requestParameters: { weight: (i % 10) / 10 + 1e-9 * i } })));
    const file = write('weights.ndjson', lines.join('\n'));
    const expected = await oneThread(controls, sources([file]), {}, 700);
    expect(expected.controls[0].sum).not.toBe(Math.round(expected.controls[0].sum));
    expect(await parallel(controls, sources([file]), {}, 3, 700)).toEqual(expected);
  });

  test('more problems than are listed: the same first 1000 and the same count', async () => {
    const lines = Array.from({ length: 3001 }, (_, i) => (i % 2 === 1 ? `garbage ${i}` : JSON.stringify(event(i))));
    const file = write('many-problems.ndjson', lines.join('\n'));
    const expected = await oneThread(CONTROLS, sources([file]), {}, 2000);
    expect(expected.errorsOmitted).toBe(500);
    expect(expected.errors[999].line).toBe(2000);
    expect(await parallel(CONTROLS, sources([file]), {}, 2, 2000)).toEqual(expected);
  });

  (hasShared('corpus') ? test : test.skip)('the shared corpus', async () => {
    const inputs = sources([sharedPath('corpus')]);
    const expected = await oneThread(CONTROLS, inputs, { eventIds: true }, 512);
    expect(expected.events).toBeGreaterThan(300);
    expect(await parallel(CONTROLS, inputs, { eventIds: true }, 2, 512)).toEqual(expected);
  });

  test('a worker that fails ends the replay with its message, and no worker is left running', async () => {
    const tally = new ReplayTally(CONTROLS, {});
    let terminated = 0;
    const replay = new ParallelReplay(CONTROLS, tally, {
      workers: 2,
      launcher: (_init, events) => ({
        post: () => setImmediate(() => events.message({ type: 'failure', message: 'RangeError: out of memory' })),
        terminate: async () => {
          terminated++;
        },
      }),
      eventIds: false,
      prefilter: true,
      maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
      maxErrors: 1000,
    });
    await expect(replay.run(sources([path.join(FIXTURES, 'events.ndjson')]), { stdin: Readable.from([]) }))
      .rejects.toThrow('a replay worker thread failed: RangeError: out of memory');
    expect(terminated).toBe(2);
  });

  test('an error of the input list (a listing that fails) ends the replay with it', async () => {
    const tally = new ReplayTally(CONTROLS, {});
    const replay = new ParallelReplay(CONTROLS, tally, {
      workers: 2, launcher: inThreadLauncher(), eventIds: false, prefilter: true, maxRecordBytes: DEFAULT_MAX_RECORD_BYTES, maxErrors: 1000,
    });
    async function* inputs(): AsyncGenerator<InputSource> {
      yield* sources([path.join(FIXTURES, 'events.ndjson')]);
      throw new Error('listing failed');
    }
    await expect(replay.run(inputs(), { stdin: Readable.from([]) })).rejects.toThrow('listing failed');
  });
});

describe('memory is a pool of blocks sized by the workers and the inputs read at once', () => {
  /**
   * Worker 0 runs on this thread as in the CLI; worker 1 stands for a worker thread that stalls: it holds every block it
   * is given until none has come for 100 ms (the reader is waiting for memory), then evaluates them, so that the pool's
   * blocks are all out at once. Workers on this thread get the pool's own ArrayBuffers, so the distinct ones seen are
   * the blocks the replay used.
   */
  async function stalled(inputs: InputSource[] | AsyncIterable<InputSource>): Promise<{ used: number; result: ReplayResult }> {
    const seen = new Set<ArrayBuffer>();
    const here = inThreadLauncher();
    const launcher: WorkerLauncher = (init, events, index) => {
      const see = (m: ToWorker): void => {
        if (m.type === 'block') seen.add(m.bytes);
      };
      if (index === 0) {
        const handle = here(init, events, index);
        return { ...handle, post: m => (see(m), handle.post(m)) };
      }
      const processor = new BlockProcessor(init);
      const held: Array<Exclude<ToWorker, { type: 'init' }>> = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        for (const m of held.splice(0)) {
          const r = processor.handle(m);
          if (r) events.message(r);
        }
      };
      return {
        post: m => {
          if (m.type === 'init') return;
          see(m);
          held.push(m);
          clearTimeout(timer);
          timer = setTimeout(flush, 100);
        },
        terminate: async () => clearTimeout(timer),
      };
    };
    const tally = new ReplayTally(CONTROLS, {});
    const replay = new ParallelReplay(CONTROLS, tally, {
      workers: 2, launcher, blockBytes: 4096, eventIds: false, prefilter: true, maxRecordBytes: DEFAULT_MAX_RECORD_BYTES, maxErrors: 1000,
    });
    await replay.run(inputs, { stdin: Readable.from([]) });
    expect(seen.size).toBe(replay.stats.poolBlocks);
    return { used: seen.size, result: tally.result() };
  }

  /** NDJSON of `records` events (400 of them fill about 35 blocks of 4 KiB). */
  function ndjson(name: string, records: number): string {
    const lines = Array.from({ length: records }, (_, i) => JSON.stringify(event(i, { eventID: `${name}-${i}` })));
    return write(name, lines.join('\n') + '\n');
  }

  test('one input: 5 for the worker thread, 2 for this thread, 1 being filled and 1 more', async () => {
    const inputs = sources([ndjson('pool-one.ndjson', 400)]);
    const { used, result } = await stalled(inputs);
    expect(used).toBe(9);
    expect(result).toEqual(await oneThread(CONTROLS, inputs, {}, 4096));
  });

  test.each([
    [3, 11],
    [6, 12], // at most 2 per worker at once
  ])('%i inputs given as an array: %i', async (count, blocks) => {
    const inputs = sources(Array.from({ length: count }, (_, i) => ndjson(`pool-${count}-${i}.ndjson`, 400)));
    expect((await stalled(inputs)).used).toBe(blocks);
  });

  test('inputs listed as they are read (S3): the most that can be read at once', async () => {
    const listed = sources([ndjson('pool-listed.ndjson', 400)]);
    async function* inputs(): AsyncGenerator<InputSource> {
      yield* listed;
    }
    expect((await stalled(inputs())).used).toBe(12);
  });
});
