// The peak resident memory of this process, in bytes: VmHWM from /proc/self/status where there is one
// (Linux). `process.resourceUsage().maxRSS` is no measure of a spawned process: Linux carries the
// spawning parent's high-water mark across fork and exec into the child's, so a child of the
// benchmark runner (about 140 MiB) never reports less than that. VmHWM belongs to the address space,
// which exec replaces.
const fs = require('fs');

function peakRssBytes() {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

module.exports = { peakRssBytes };
