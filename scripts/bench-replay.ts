/**
 * Throughput and memory benchmark of `cis-monitoring replay`.
 *
 *   npx ts-node -P scripts/tsconfig.json scripts/bench-replay.ts [--events N] [--runs R] [--reuse]
 *
 * 1. Generates N synthetic CloudTrail events (default 1,000,000; see
 *    scripts/bench/generate.ts) into bench/out/ (gitignored), once as NDJSON
 *    and once as a single CloudTrail `{"Records":[...]}` file, plus
 *    `{"Records":[...]}` files of N/4 and N/2 events for the memory curve.
 * 2. Measures, each run in a fresh child process:
 *    (a) baseline: the replay's streaming reader + JSON.parse of every record, nothing else;
 *    (b) replay: the `replay` command with every control of CIS 7.0.0 (15).
 *    Throughput is the best of R runs (default 3; runs alternate baseline and replay
 *    so that load from other processes hits both); the ratio target is >= 0.7.
 * 3. Peak RSS (kernel maxRSS of the child) for N/4, N/2 and N events shows
 *    memory staying flat: files are streamed, never loaded whole.
 *
 * Prints a markdown report and writes it to bench/out/results.md.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CisBenchmarkVersion } from '../src/catalog';
import { BufferedWriter, generateEvents } from './bench/generate';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'bench', 'out');
const SEED = 20240301;
const BENCHMARK_VERSION = '7.0.0';
const TARGET_RATIO = 0.7;

interface Measurement {
  mode: 'baseline' | 'replay';
  file: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  cpuSeconds: number;
  eventsPerCpuSecond: number;
  startRssMiB: number;
  peakRssMiB: number;
  sampledRssMiB: number;
}

function usage(message: string): never {
  process.stderr.write(`bench-replay: ${message}\nUsage: npx ts-node -P scripts/tsconfig.json scripts/bench-replay.ts [--events N] [--runs R] [--reuse]\n`);
  process.exit(1);
}

function parseArgs(argv: string[]): { events: number; runs: number; reuse: boolean } {
  let events = 1_000_000;
  let runs = 3;
  let reuse = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--events' || a === '--runs') {
      const v = argv[++i];
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < (a === '--events' ? 4 : 1)) {
        usage(`${a} needs a whole number${a === '--events' ? ' >= 4' : ' >= 1'}, got ${JSON.stringify(v)}`);
      }
      if (a === '--events') events = n;
      else runs = n;
    } else if (a === '--reuse') {
      reuse = true;
    } else {
      usage(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  return { events, runs, reuse };
}

/** Writes the data files in one pass over the generated events. */
async function generate(n: number, sizes: number[], reuse: boolean): Promise<{ ndjson: string; records: Map<number, string> }> {
  fs.mkdirSync(OUT, { recursive: true });
  const ndjson = path.join(OUT, `events-${n}.ndjson`);
  const records = new Map(sizes.map(s => [s, path.join(OUT, `records-${s}.json`)] as [number, string]));
  const meta = path.join(OUT, `generated-${n}.json`);
  const wanted = JSON.stringify({ n, sizes, seed: SEED });
  if (reuse && fs.existsSync(meta) && fs.readFileSync(meta, 'utf8') === wanted && [ndjson, ...records.values()].every(f => fs.existsSync(f))) {
    process.stderr.write(`reusing ${ndjson} and ${[...records.values()].join(', ')}\n`);
    return { ndjson, records };
  }
  const t0 = Date.now();
  const nd = new BufferedWriter(ndjson);
  const writers = [...records.entries()].map(([size, file]) => ({ size, w: new BufferedWriter(file) }));
  for (const { w } of writers) await w.write('{"Records":[');
  let i = 0;
  for (const rec of generateEvents(n, SEED)) {
    const text = JSON.stringify(rec);
    await nd.write(text + '\n');
    for (const { size, w } of writers) {
      if (i < size) await w.write(i === 0 ? text : ',' + text);
    }
    i++;
    if (i % 250_000 === 0) process.stderr.write(`generated ${i} events\n`);
  }
  for (const { w } of writers) await w.write(']}');
  await Promise.all([nd.close(), ...writers.map(({ w }) => w.close())]);
  fs.writeFileSync(meta, wanted);
  process.stderr.write(`generated ${n} events in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return { ndjson, records };
}

function measure(mode: 'baseline' | 'replay', file: string): Measurement {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register', path.join('scripts', 'bench', 'measure.ts'), '--mode', mode, '--file', file, '--benchmark', BENCHMARK_VERSION], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: 'scripts/tsconfig.json', TS_NODE_TRANSPILE_ONLY: 'true' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`measure ${mode} ${file} failed (${r.status}): ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as Measurement;
  process.stderr.write(`  ${mode.padEnd(8)} ${path.basename(file).padEnd(24)} ${Math.round(m.eventsPerSecond).toLocaleString('en-US').padStart(9)} events/s  ${m.seconds.toFixed(2)} s  ${Math.round(m.eventsPerCpuSecond).toLocaleString('en-US').padStart(9)} events/CPU-s  peak RSS ${m.peakRssMiB.toFixed(0)} MiB\n`);
  return m;
}

const fmtInt = (x: number): string => Math.round(x).toLocaleString('en-US');
const mib = (bytes: number): string => (bytes / 1_048_576).toFixed(0);

async function run(): Promise<void> {
  const { events: n, runs, reuse } = parseArgs(process.argv.slice(2));
  const sizes = [...new Set([Math.round(n / 4), Math.round(n / 2), n])];
  const files = await generate(n, sizes, reuse);
  const full = files.records.get(n)!;

  process.stderr.write(`throughput (${runs} run(s) each, best kept):\n`);
  // best wall-clock and best CPU-time run per input format and mode
  const best = new Map<string, Measurement>();
  const bestCpu = new Map<string, Measurement>();
  const keep = (m: Measurement, fmt: string): void => {
    const k = `${fmt}:${m.mode}`;
    if (!best.has(k) || best.get(k)!.eventsPerSecond < m.eventsPerSecond) best.set(k, m);
    if (!bestCpu.has(k) || bestCpu.get(k)!.eventsPerCpuSecond < m.eventsPerCpuSecond) bestCpu.set(k, m);
  };
  for (let i = 0; i < runs; i++) {
    for (const [fmt, file] of [['NDJSON', files.ndjson], ['{"Records":[...]}', full]]) {
      for (const mode of ['baseline', 'replay'] as const) {
        const m = measure(mode, file);
        if (m.events !== n) throw new Error(`${mode} read ${m.events} events from ${file}, expected ${n}`);
        keep(m, fmt);
      }
    }
  }

  process.stderr.write('memory (one run per size):\n');
  const memory = sizes.map(size => {
    const file = files.records.get(size)!;
    const baseline = size === n ? best.get('{"Records":[...]}:baseline')! : measure('baseline', file);
    const replay = size === n ? best.get('{"Records":[...]}:replay')! : measure('replay', file);
    return { size, bytes: fs.statSync(file).size, baseline, replay };
  });

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines: string[] = [];
  lines.push(`# Replay benchmark (${fmtInt(n)} events)`);
  lines.push('');
  lines.push(`Command: \`npx ts-node -P scripts/tsconfig.json scripts/bench-replay.ts --events ${n} --runs ${runs}\``);
  lines.push('');
  lines.push(`Node ${process.version}, ${cpu}, ${os.cpus().length} cores (shared), ${new Date().toISOString().slice(0, 10)}. Replay evaluates all ${CisBenchmarkVersion.of(BENCHMARK_VERSION).controls().length} controls of CIS ${BENCHMARK_VERSION}; baseline is the same streaming reader plus \`JSON.parse\` of each record. Best of ${runs} runs, each in a fresh process. Wall-clock rates depend on what else runs on the machine; rates per CPU-second (user + system time of the measuring process) are steadier.`);
  lines.push('');
  lines.push('| input | file size (MiB) | baseline events/s | replay events/s | ratio (target ≥ 0.7) | baseline events/CPU-s | replay events/CPU-s | CPU ratio |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [fmt, file] of [['NDJSON', files.ndjson], ['{"Records":[...]}', full]]) {
    const b = best.get(`${fmt}:baseline`)!;
    const r = best.get(`${fmt}:replay`)!;
    const bc = bestCpu.get(`${fmt}:baseline`)!;
    const rc = bestCpu.get(`${fmt}:replay`)!;
    lines.push(`| ${fmt} | ${mib(fs.statSync(file).size)} | ${fmtInt(b.eventsPerSecond)} | ${fmtInt(r.eventsPerSecond)} | ${(r.eventsPerSecond / b.eventsPerSecond).toFixed(2)} `
      + `| ${fmtInt(bc.eventsPerCpuSecond)} | ${fmtInt(rc.eventsPerCpuSecond)} | ${(rc.eventsPerCpuSecond / bc.eventsPerCpuSecond).toFixed(2)} |`);
  }
  lines.push('');
  lines.push('Memory of the measuring process reading one `{"Records":[...]}` file: RSS before reading (Node, ts-node and the code loaded) and peak RSS (kernel maxRSS):');
  lines.push('');
  lines.push('| events | file size (MiB) | baseline RSS before → peak (MiB) | replay RSS before → peak (MiB) |');
  lines.push('|---:|---:|---:|---:|');
  for (const m of memory) {
    lines.push(`| ${fmtInt(m.size)} | ${mib(m.bytes)} | ${m.baseline.startRssMiB.toFixed(0)} → ${m.baseline.peakRssMiB.toFixed(0)} | ${m.replay.startRssMiB.toFixed(0)} → ${m.replay.peakRssMiB.toFixed(0)} |`);
  }
  lines.push('');
  const ratios = ['NDJSON', '{"Records":[...]}'].map(f => best.get(`${f}:replay`)!.eventsPerSecond / best.get(`${f}:baseline`)!.eventsPerSecond);
  const worst = Math.min(...ratios);
  lines.push(worst >= TARGET_RATIO
    ? `Ratio target met: the lowest ratio is ${worst.toFixed(2)} (target ${TARGET_RATIO}).`
    : `Ratio target NOT met: the lowest ratio is ${worst.toFixed(2)} (target ${TARGET_RATIO}).`);
  const report = lines.join('\n') + '\n';
  fs.writeFileSync(path.join(OUT, 'results.md'), report);
  process.stdout.write(report);
}

run().catch((e) => {
  process.stderr.write(`bench-replay: ${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
