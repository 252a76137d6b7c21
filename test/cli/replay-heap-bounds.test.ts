/**
 * HeapBounds (src/replay/parallel/heap-bounds.ts) makes a full collection of
 * the heap of the thread it runs in every 1024 blocks, once `bound()` has
 * been called, and in a worker thread as in the main thread. Run in a child
 * Node process (it sets V8 flags for the whole process), with V8's own
 * `--trace-gc` lines counted per isolate.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const MODULE = path.join(ROOT, 'src', 'replay', 'parallel', 'heap-bounds.ts');

/** Runs `script` (CommonJS, with `HeapBounds` in scope) in a child; returns its stdout and V8's trace lines. */
function child(script: string): { stdout: string; collections: (isolateLine: string) => number; isolates: string[] } {
  const prelude = `require('ts-node/register'); const { HeapBounds } = require(${JSON.stringify(MODULE)}); const say = (s) => process.stdout.write('SAY ' + s + '\\n');`;
  const r = spawnSync(process.execPath, ['--trace-gc', '-e', prelude + script], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', TS_NODE_TRANSPILE_ONLY: 'true' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  // a full collection asked for by `gc()` is traced as "Mark-Compact ... testing"
  const forced = r.stdout.split('\n').filter(l => /Mark-Compact/.test(l) && /testing/.test(l));
  const isolateOf = (l: string) => /^\[\d+:(0x[0-9a-f]+)\]/.exec(l)?.[1] ?? '?';
  return {
    stdout: r.stdout.split('\n').filter(l => l.startsWith('SAY ')).map(l => l.slice(4)).join('\n'),
    collections: iso => forced.filter(l => isolateOf(l) === iso).length,
    isolates: [...new Set(forced.map(isolateOf))],
  };
}

describe('HeapBounds', () => {
  test('without bound(), blockDone() never collects', () => {
    const r = child('for (let i = 0; i < 3000; i++) HeapBounds.blockDone();');
    expect(r.isolates).toEqual([]);
  });

  test.each([
    [1023, 0],
    [1024, 1],
    [2048, 2],
    [3071, 2],
  ])('after bound(), %i blocks: %i full collections', (blocks, collections) => {
    const r = child(`HeapBounds.bound(); for (let i = 0; i < ${blocks}; i++) HeapBounds.blockDone();`);
    expect(r.isolates.length).toBeLessThanOrEqual(1);
    expect(r.isolates.map(r.collections)).toEqual(collections === 0 ? [] : [collections]);
  });

  test('in a worker thread that calls bound() itself, as replay threads do: its own heap is collected', () => {
    const r = child(`
      HeapBounds.bound();
      const { Worker } = require('worker_threads');
      const w = new Worker(${JSON.stringify(`
        require('ts-node/register');
        const { HeapBounds } = require(${JSON.stringify(MODULE)});
        HeapBounds.bound();
        for (let i = 0; i < 3 * 1024; i++) HeapBounds.blockDone();
      `)}, { eval: true });
      w.on('exit', code => { say('worker ' + code); for (let i = 0; i < 1024; i++) HeapBounds.blockDone(); });
    `);
    expect(r.stdout).toBe('worker 0');
    // the main thread's one and the worker's three, each in its own isolate
    expect(r.isolates).toHaveLength(2);
    expect(r.isolates.map(r.collections).sort()).toEqual([1, 3]);
  });

  test('a parallel replay counts the blocks it adds up: one collection per 1024', () => {
    const src = (f: string) => JSON.stringify(path.join(ROOT, 'src', 'replay', f));
    const r = child(`
      const { Readable } = require('stream');
      const fs = require('fs'); const os = require('os'); const path = require('path');
      const { benchmarkControls } = require(${src('benchmark-controls.ts')});
      const { resolveInputs } = require(${src('event-source.ts')});
      const { inThreadLauncher, ParallelReplay } = require(${src('parallel/parallel-replay.ts')});
      const { ReplayTally } = require(${src('replay-engine.ts')});
      HeapBounds.bound();
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'heap-bounds-')), 'events.ndjson');
      const line = JSON.stringify({ eventVersion: '1.08', eventTime: '2024-03-01T10:00:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', userIdentity: { type: 'IAMUser' } });
      fs.writeFileSync(file, (line + '\\n').repeat(Math.ceil(2100 * 4096 / (line.length + 1))));
      const controls = benchmarkControls('7.0.0');
      const replay = new ParallelReplay(controls, new ReplayTally(controls, {}), {
        workers: 2, launcher: inThreadLauncher(), blockBytes: 4096, eventIds: false, prefilter: true, maxRecordBytes: 1 << 20, maxErrors: 10,
      });
      replay.run(resolveInputs([file], false), { stdin: Readable.from([]) }).then(() => say(replay.stats.blocks), e => say(e.stack))
        .finally(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
    `);
    expect(Number(r.stdout)).toBeGreaterThanOrEqual(2048);
    expect(r.isolates).toHaveLength(1);
    expect(r.collections(r.isolates[0])).toBe(Math.floor(Number(r.stdout) / 1024));
  });
});
