// Preloaded (`node -r`) into the bundled CLI by scripts/bench-replay.ts: on exit, one line on stderr with
// the process's wall time since start, CPU time and memory, so that replay is measured as users run it
// (lib/bin/cis-monitoring.js, start-up included).
const { peakRssBytes } = require('./peak-rss');

const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const startRss = process.memoryUsage.rss();
process.on('exit', () => {
  const cpu = process.cpuUsage(cpu0);
  process.stderr.write(`BENCH_STATS ${JSON.stringify({
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    startRssMiB: startRss / 1_048_576,
    peakRssMiB: peakRssBytes() / 1_048_576,
  })}\n`);
});
