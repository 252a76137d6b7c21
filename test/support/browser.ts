/**
 * A real headless browser for tests of the HTML outputs: Debian's chromium
 * (scripts/setup-browser.sh installs it; the check task runs that script),
 * driven by playwright-core, which never downloads a browser of its own.
 * CHROMIUM_PATH overrides where it is. Without a browser the tests skip with
 * a message, except under CI=true, where a missing browser is an error.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';

/** The chromium executable, or undefined when there is none. */
export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return fs.existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined;
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (fs.existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

/** `describe` when chromium is there; else skip (or, under CI=true, fail: CI installs it). */
export function describeIfBrowser(name: string, fn: () => void): void {
  if (chromiumPath()) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      test('chromium is installed', () => {
        throw new Error('No chromium on this CI machine: scripts/setup-browser.sh (run by the check task) should have installed it.');
      });
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`Skipping "${name}": no chromium (run scripts/setup-browser.sh as root, or set CHROMIUM_PATH).`);
    describe.skip(name, fn);
  }
}
