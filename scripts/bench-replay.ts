/**
 * Throughput and memory benchmark of `cis-monitoring replay`.
 *
 *   npx ts-node -P scripts/tsconfig.json scripts/bench-replay.ts [--events N] [--runs R] [--reuse] [--no-jq]
 *
 * 1. Generates N synthetic CloudTrail events (default 1,000,000; see
 *    scripts/bench/generate.ts) into bench/out/ (gitignored), once as NDJSON
 *    and once as a single CloudTrail `{"Records":[...]}` file, plus gzipped NDJSON.
 * 2. Measures, each run in a fresh child process:
 *    (a) parse-only: the replay's streaming reader + JSON.parse of every record, nothing else, on one thread;
 *    (b) replay on one thread (`--workers 1`) and on every core (`--workers auto`, the default): the bundled
 *        CLI as users run it (lib/bin/cis-monitoring.js, start-up included; run `npx projen bundle-cli`
 *        first) with every control of CIS 7.0.0 (15);
 *    (c) DuckDB on every core (scripts/bench/duckdb.ts): the NDJSON read into a table with the Athena
 *        CloudTrail table's columns, then `cis-monitoring sql --benchmark 7.0.0`'s 15 queries; its counts
 *        must equal replay's matches;
 *    (d) jq: `jq -n -f scripts/bench/cis-7.0.0.jq` over the NDJSON (the 15 CIS patterns as jq; --no-jq skips it).
 *    Throughput is the best of R runs (default 3; runs alternate so that load from other processes hits all).
 *    Goals: issue #12 (one thread): >= 1.5x parse-only on NDJSON, >= 1.2x on .gz, >= 10x jq;
 *    issue #19 (every core, NDJSON): >= 3x parse-only, >= 1.5x DuckDB.
 * 3. Peak RSS (VmHWM of the process, worker threads included; see scripts/bench/peak-rss.js) of replay on every core reading
 *    10^5, 10^6 and 10^7 events from standard input (the NDJSON file, cut or repeated, piped in, so that
 *    10^7 events need no 12 GB file): R runs per size, the sizes alternating; goal: the medians within 10 MiB.
 *    (One run per size varies by up to 13 MiB at 10^5 events, where the heaps are still warming up: hence
 *    the medians, with the range printed.)
 *
 * Prints a markdown report and writes it to bench/out/results.md.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import * as zlib from 'zlib';
import { CisBenchmarkVersion } from '../src/catalog';
import { BufferedWriter, generateEvents } from './bench/generate';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'lib', 'bin', 'cis-monitoring.js');
const OUT = path.join(ROOT, 'bench', 'out');
const SEED = 20240301;
const BENCHMARK_VERSION = '7.0.0';
const GOAL_NDJSON = 1.5;
const GOAL_GZIP = 1.2;
const GOAL_JQ = 10;
const GOAL_ALL_CORES = 3;
const GOAL_DUCKDB = 1.5;
const MEMORY_SIZES = [100_000, 1_000_000, 10_000_000];
/** The 1-minute load average when the benchmark starts (other processes on a shared VM skew every figure). */
const LOAD_BEFORE = os.loadavg()[0];

type Mode = 'baseline' | 'replay-1' | 'replay-all';

interface Measurement {
  mode: Mode;
  file: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  cpuSeconds: number;
  eventsPerCpuSecond: number;
  startRssMiB: number;
  peakRssMiB: number;
  sampledRssMiB: number;
  /** replay: matches per metric name. */
  matches?: Record<string, number>;
}

function usage(message: string): never {
  process.stderr.write(`bench-replay: ${message}\nUsage: npx ts-node -P scripts/tsconfig.json scripts/bench-replay.ts [--events N] [--runs R] [--reuse] [--no-jq]\n`);
  process.exit(1);
}

function parseArgs(argv: string[]): { events: number; runs: number; reuse: boolean; jq: boolean } {
  let events = 1_000_000;
  let runs = 3;
  let reuse = false;
  let jq = true;
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
    } else if (a === '--no-jq') {
      jq = false;
    } else {
      usage(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  return { events, runs, reuse, jq };
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

function measure(mode: Mode, file: string): Measurement {
  if (mode !== 'baseline') {
    const r = spawnSync(process.execPath, cliArgs(file, mode === 'replay-1' ? '1' : 'auto'), { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`replay ${file} failed (${r.status}): ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    const matches = Object.fromEntries(report.controls.map((c: any) => [c.metricName, c.matches]));
    return logMeasurement({ ...toMeasurement(file, report.events, r.stderr), mode, matches });
  }
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register', path.join('scripts', 'bench', 'measure.ts'), '--mode', mode, '--file', file], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: 'scripts/tsconfig.json', TS_NODE_TRANSPILE_ONLY: 'true' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`measure ${mode} ${file} failed (${r.status}): ${r.stderr}`);
  return logMeasurement(JSON.parse(r.stdout.trim().split('\n').pop()!) as Measurement);
}

/** The bundled CLI as users run it, with scripts/bench/process-stats.js preloaded to measure it. */
function cliArgs(file: string, workers: string): string[] {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx projen bundle-cli\` first`);
  return ['-r', path.join(__dirname, 'bench', 'process-stats.js'), CLI, 'replay', '--benchmark', BENCHMARK_VERSION, '--format', 'json', '--no-progress', '--workers', workers, file];
}

interface DuckDbRun {
  seconds: number;
  loadSeconds: number;
  querySeconds: number;
  rows: number;
  counts: Record<string, number>;
  threads: number;
  version: string;
  peakRssMiB: number;
}

/** DuckDB over the NDJSON with `cis-monitoring sql`'s queries (scripts/bench/duckdb.ts). */
function measureDuckDb(ndjson: string, queries: string): DuckDbRun {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register', path.join('scripts', 'bench', 'duckdb.ts'), '--file', ndjson, '--queries', queries], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: 'scripts/tsconfig.json', TS_NODE_TRANSPILE_ONLY: 'true' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`DuckDB on ${ndjson} failed (${r.status}): ${r.stderr}`);
  const d = JSON.parse(r.stdout.trim().split('\n').pop()!) as DuckDbRun;
  process.stderr.write(`  duckdb   ${path.basename(ndjson).padEnd(24)} ${fmtInt(d.rows / d.seconds).padStart(9)} events/s  ${d.seconds.toFixed(2)} s (load ${d.loadSeconds.toFixed(2)} s)  peak RSS ${d.peakRssMiB.toFixed(0)} MiB\n`);
  return d;
}

function toMeasurement(file: string, events: number, stderr: string): Measurement {
  const line = /^BENCH_STATS (.*)$/m.exec(stderr);
  if (!line) throw new Error(`replay printed no BENCH_STATS line: ${stderr}`);
  const s = JSON.parse(line[1]);
  return {
    mode: 'replay-all',
    file,
    events,
    seconds: s.seconds,
    eventsPerSecond: events / s.seconds,
    cpuSeconds: s.cpuSeconds,
    eventsPerCpuSecond: events / s.cpuSeconds,
    startRssMiB: s.startRssMiB,
    peakRssMiB: s.peakRssMiB,
    sampledRssMiB: s.peakRssMiB,
  };
}

function logMeasurement(m: Measurement): Measurement {
  process.stderr.write(`  ${m.mode.padEnd(8)} ${path.basename(m.file).padEnd(24)} ${Math.round(m.eventsPerSecond).toLocaleString('en-US').padStart(9)} events/s  ${m.seconds.toFixed(2)} s  peak RSS ${m.peakRssMiB.toFixed(0)} MiB\n`);
  return m;
}

/** Replay reading `events` NDJSON events from stdin: the first lines of `ndjson`, or the whole file repeated. */
async function measureStdin(ndjson: string, n: number, events: number): Promise<Measurement> {
  const child = spawn(process.execPath, cliArgs('-', 'auto'), { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  // one writable end for all the copies piped in (a pipeline per copy would add listeners to it each time)
  child.stdin.setMaxListeners(0);
  const done = new Promise<number>((resolve) => child.on('close', resolve));
  if (events <= n) {
    // the byte offset just past the events-th line
    const fd = fs.openSync(ndjson, 'r');
    const buf = Buffer.alloc(1_048_576);
    let lines = 0;
    let pos = 0;
    let end = -1;
    while (end < 0) {
      const got = fs.readSync(fd, buf, 0, buf.length, pos);
      if (got === 0) throw new Error(`${ndjson} has fewer than ${events} lines`);
      for (let i = 0; i < got; i++) if (buf[i] === 10 && ++lines === events) { end = pos + i; break; }
      pos += got;
    }
    fs.closeSync(fd);
    await pipeline(fs.createReadStream(ndjson, { end }), child.stdin);
  } else {
    if (events % n !== 0) throw new Error(`${events} is not a multiple of ${n}`);
    for (let k = 0; k < events / n; k++) await pipeline(fs.createReadStream(ndjson), child.stdin, { end: k === events / n - 1 });
  }
  const code = await done;
  if (code !== 0) throw new Error(`measure replay <stdin> (${events} events) failed (${code})`);
  const m = toMeasurement('<stdin>', JSON.parse(out).events, err);
  if (m.events !== events) throw new Error(`replay read ${m.events} events from stdin, expected ${events}`);
  process.stderr.write(`  replay   <stdin> ${fmtInt(events).padStart(12)} events  ${m.seconds.toFixed(1)} s  peak RSS ${m.peakRssMiB.toFixed(0)} MiB\n`);
  return m;
}

/** jq over the NDJSON with the 15 controls: seconds, and its counts per control. */
function measureJq(ndjson: string): { seconds: number; counts: Record<string, number>; version: string } | undefined {
  const version = spawnSync('jq', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return undefined;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('jq', ['-n', '-c', '-f', path.join(ROOT, 'scripts', 'bench', 'cis-7.0.0.jq'), ndjson], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`jq failed: ${r.stderr}`);
  process.stderr.write(`  jq       ${path.basename(ndjson).padEnd(24)} ${seconds.toFixed(2)} s\n`);
  return { seconds, counts: JSON.parse(r.stdout), version: version.stdout.trim() };
}

async function gzipFile(src: string, reuse: boolean): Promise<string> {
  const gz = `${src}.gz`;
  if (reuse && fs.existsSync(gz) && fs.statSync(gz).mtimeMs >= fs.statSync(src).mtimeMs) return gz;
  await pipeline(fs.createReadStream(src), zlib.createGzip({ level: 6 }), fs.createWriteStream(gz));
  return gz;
}

const fmtInt = (x: number): string => Math.round(x).toLocaleString('en-US');
const mib = (bytes: number): string => (bytes / 1_048_576).toFixed(0);

async function run(): Promise<void> {
  const { events: n, runs, reuse, jq: withJq } = parseArgs(process.argv.slice(2));
  const files = await generate(n, [n], reuse);
  const full = files.records.get(n)!;
  const gz = await gzipFile(files.ndjson, reuse);
  const inputs: Array<[string, string]> = [['NDJSON', files.ndjson], ['{"Records":[...]}', full], ['NDJSON, gzip', gz]];
  // `cis-monitoring sql`'s own queries, from the same bundle
  const queries = path.join(OUT, `queries-${BENCHMARK_VERSION}.json`);
  const sql = spawnSync(process.execPath, [CLI, 'sql', '--benchmark', BENCHMARK_VERSION, '--format', 'json'], { cwd: ROOT, encoding: 'utf8' });
  if (sql.status !== 0) throw new Error(`cis-monitoring sql failed: ${sql.stderr}`);
  fs.writeFileSync(queries, sql.stdout);
  const inexact = Object.keys(JSON.parse(sql.stdout).inexact);

  process.stderr.write(`throughput (${runs} run(s) each, best kept):\n`);
  const best = new Map<string, Measurement>();
  let jq: ReturnType<typeof measureJq>;
  let duck: DuckDbRun | undefined;
  for (let i = 0; i < runs; i++) {
    for (const [fmt, file] of inputs) {
      for (const mode of ['baseline', 'replay-1', 'replay-all'] as const) {
        const m = measure(mode, file);
        if (m.events !== n) throw new Error(`${mode} read ${m.events} events from ${file}, expected ${n}`);
        const k = `${fmt}:${mode}`;
        if (!best.has(k) || best.get(k)!.eventsPerSecond < m.eventsPerSecond) best.set(k, m);
      }
    }
    const d = measureDuckDb(files.ndjson, queries);
    if (d.rows !== n) throw new Error(`DuckDB loaded ${d.rows} rows, expected ${n}`);
    if (!duck || d.seconds < duck.seconds) duck = d;
    const j = withJq ? measureJq(files.ndjson) : undefined;
    if (j && (!jq || j.seconds < jq.seconds)) jq = j;
  }

  // DuckDB must select what replay counts, metric by metric
  const replayMatches = best.get('NDJSON:replay-all')!.matches!;
  const oneThreadMatches = best.get('NDJSON:replay-1')!.matches!;
  if (JSON.stringify(replayMatches) !== JSON.stringify(oneThreadMatches)) throw new Error('replay on every core and on one thread counted differently');
  const differ = Object.keys(replayMatches).filter(m => duck!.counts[m] !== replayMatches[m]);
  if (differ.some(m => !inexact.includes(m))) {
    throw new Error(`DuckDB and replay count differently for ${differ.map(m => `${m} (${duck!.counts[m]} vs ${replayMatches[m]})`).join(', ')}`);
  }

  process.stderr.write(`memory (replay on every core reading standard input, ${runs} run(s) per size):\n`);
  const memoryRuns: Measurement[][] = MEMORY_SIZES.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < MEMORY_SIZES.length; i++) memoryRuns[i].push(await measureStdin(files.ndjson, n, MEMORY_SIZES[i]));
  }
  const peaks = memoryRuns.map(ms => ms.map(m => m.peakRssMiB).sort((a, b) => a - b));
  // the middle run, or the mean of the middle two for an even number of runs
  const medianPeak = peaks.map(p => (p[Math.floor((p.length - 1) / 2)] + p[Math.ceil((p.length - 1) / 2)]) / 2);

  const cores = os.cpus().length;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const eps = (fmt: string, mode: Mode): number => best.get(`${fmt}:${mode}`)!.eventsPerSecond;
  const ratio = (fmt: string, mode: Mode): number => eps(fmt, mode) / eps(fmt, 'baseline');
  const duckEps = n / duck!.seconds;
  const vsDuck = eps('NDJSON', 'replay-all') / duckEps;
  const jqRatio = jq ? jq.seconds / best.get('NDJSON:replay-1')!.seconds : NaN;
  const lines: string[] = [];
  lines.push(`# Replay benchmark (${fmtInt(n)} events)`);
  lines.push('');
  lines.push(`Command: \`npx ts-node -P scripts/tsconfig.json scripts/bench-replay.ts --events ${n} --runs ${runs}${withJq ? '' : ' --no-jq'}\``);
  lines.push('');
  lines.push(`Node ${process.version}, ${cpu}, ${cores} cores (shared), ${new Date().toISOString().slice(0, 10)}, load average before the run ${LOAD_BEFORE.toFixed(1)}. Replay evaluates all ${CisBenchmarkVersion.of(BENCHMARK_VERSION).controls().length} controls of CIS ${BENCHMARK_VERSION}; parse-only is the same streaming reader plus \`JSON.parse\` of each record, on one thread. Best of ${runs} run(s), each in a fresh process; replay is the bundled CLI (lib/bin/cis-monitoring.js) and its time includes start-up and loading the controls. DuckDB ${duck!.version} (${duck!.threads} threads) loads the NDJSON into a table with the Athena CloudTrail table's columns and runs \`cis-monitoring sql\`'s ${Object.keys(replayMatches).length} queries (its time excludes Node's start-up; counts equal to replay's for ${Object.keys(replayMatches).length - differ.length} of ${Object.keys(replayMatches).length} metrics${differ.length > 0 ? `, the others are marked inexact by \`sql\`: ${differ.join(', ')}` : ''}).`);
  lines.push('');
  lines.push(`| input | file size (MiB) | parse-only events/s | replay, 1 thread | replay, ${cores} cores | ${cores} cores / parse-only | goal |`);
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const [fmt, file] of inputs) {
    lines.push(`| ${fmt} | ${mib(fs.statSync(file).size)} | ${fmtInt(eps(fmt, 'baseline'))} | ${fmtInt(eps(fmt, 'replay-1'))} (${ratio(fmt, 'replay-1').toFixed(2)}×) | ${fmtInt(eps(fmt, 'replay-all'))} | ${ratio(fmt, 'replay-all').toFixed(2)} | ${fmt === 'NDJSON' ? `≥ ${GOAL_ALL_CORES}` : ''} |`);
  }
  lines.push('');
  lines.push(`| NDJSON, ${fmtInt(n)} events | events/s | replay on ${cores} cores is | goal |`);
  lines.push('|---|---:|---:|---:|');
  lines.push(`| DuckDB, ${duck!.threads} threads (load ${duck!.loadSeconds.toFixed(1)} s + 15 queries ${duck!.querySeconds.toFixed(1)} s; peak RSS ${duck!.peakRssMiB.toFixed(0)} MiB) | ${fmtInt(duckEps)} | ${vsDuck.toFixed(2)}× faster | ≥ ${GOAL_DUCKDB} |`);
  if (jq) lines.push(`| ${jq.version}, 1 thread (scripts/bench/cis-7.0.0.jq) | ${fmtInt(n / jq.seconds)} | ${(jq.seconds / best.get('NDJSON:replay-all')!.seconds).toFixed(1)}× faster (1 thread: ${jqRatio.toFixed(1)}×) | ≥ ${GOAL_JQ} (1 thread) |`);
  lines.push('');
  lines.push(`Peak memory of replay on ${cores} cores reading NDJSON from standard input (RSS before reading → peak RSS, VmHWM, worker threads included; median of ${runs} run(s) per size, and their range):`);
  lines.push('');
  lines.push('| events | RSS before → peak (MiB), median | peak, lowest – highest |');
  lines.push('|---:|---:|---:|');
  MEMORY_SIZES.forEach((size, i) => lines.push(`| ${fmtInt(size)} | ${memoryRuns[i][0].startRssMiB.toFixed(0)} → ${medianPeak[i].toFixed(0)} | ${peaks[i][0].toFixed(0)} – ${peaks[i][peaks[i].length - 1].toFixed(0)} |`));
  const spread = Math.max(...medianPeak) - Math.min(...medianPeak);
  lines.push('');
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  lines.push(`Goals: on ${cores} cores, NDJSON ≥ ${GOAL_ALL_CORES}× parse-only ${verdict(ratio('NDJSON', 'replay-all') >= GOAL_ALL_CORES)} (${ratio('NDJSON', 'replay-all').toFixed(2)}), `
    + `≥ ${GOAL_DUCKDB}× DuckDB ${verdict(vsDuck >= GOAL_DUCKDB)} (${vsDuck.toFixed(2)}); `
    + `one thread: NDJSON ≥ ${GOAL_NDJSON}× parse-only ${verdict(ratio('NDJSON', 'replay-1') >= GOAL_NDJSON)} (${ratio('NDJSON', 'replay-1').toFixed(2)}), `
    + `gzip ≥ ${GOAL_GZIP}× ${verdict(ratio('NDJSON, gzip', 'replay-1') >= GOAL_GZIP)} (${ratio('NDJSON, gzip', 'replay-1').toFixed(2)}), `
    + (jq ? `≥ ${GOAL_JQ}× jq ${verdict(jqRatio >= GOAL_JQ)} (${jqRatio.toFixed(1)}); ` : 'jq not run; ')
    + `median peak RSS from 10^5 to 10^7 events within 10 MiB ${verdict(spread <= 10)} (spread ${spread.toFixed(1)} MiB).`);
  const report = lines.join('\n') + '\n';
  fs.writeFileSync(path.join(OUT, 'results.md'), report);
  process.stdout.write(report);
}

run().catch((e) => {
  process.stderr.write(`bench-replay: ${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
