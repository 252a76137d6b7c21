/**
 * The baseline of the replay benchmark, in its own process so that its peak
 * RSS is its own: the replay's streaming reader, then JSON.parse of each
 * record, nothing else (replay itself is measured as the bundled CLI, with
 * scripts/bench/process-stats.js). Prints one JSON line:
 * `{"mode","file","events","seconds","eventsPerSecond","cpuSeconds","eventsPerCpuSecond","startRssMiB","peakRssMiB","sampledRssMiB"}`.
 *
 *   node -r ts-node/register scripts/bench/measure.ts --mode baseline --file F
 */
import * as fs from 'fs';
import { readSource } from '../../src/replay/event-source';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { peakRssBytes } = require('./peak-rss') as { peakRssBytes: () => number };

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`measure: --${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const mode = arg('mode');
  const file = arg('file');
  if (mode !== 'baseline') throw new Error(`measure: --mode "${mode}" must be baseline (replay is measured as the bundled CLI)`);

  const startRss = process.memoryUsage.rss();
  let sampled = startRss;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage.rss());
  }, 20);

  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let events = 0;
  let errors = 0;
  const source = file === '-' ? { path: '-', display: '<stdin>', size: 0 } : { path: file, display: file, size: fs.statSync(file).size };
  await readSource(source, {
    record: (text) => {
      const o = JSON.parse(text);
      if (typeof o === 'object' && o !== null) events++;
    },
    error: () => errors++,
  }, { stdin: process.stdin, onProgress: () => { sampled = Math.max(sampled, process.memoryUsage.rss()); } });
  if (errors > 0) throw new Error(`measure: ${errors} errors reading ${file}`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(timer);
  sampled = Math.max(sampled, process.memoryUsage.rss());
  const peak = peakRssBytes();
  process.stdout.write(JSON.stringify({
    mode,
    file,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    cpuSeconds,
    eventsPerCpuSecond: events / cpuSeconds,
    startRssMiB: startRss / 1_048_576,
    peakRssMiB: Math.max(peak, sampled) / 1_048_576,
    sampledRssMiB: sampled / 1_048_576,
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exitCode = 1;
});
