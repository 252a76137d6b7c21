/**
 * The real compliance scanners (Prowler, checkov), each in its own venv at the
 * version pinned in scripts/setup-scanner-tools.sh, installed from PyPI on
 * first use (the `check` task installs them before jest).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SETUP_SCRIPT = path.join(REPO_ROOT, 'scripts', 'setup-scanner-tools.sh');

export type ScannerTool = 'prowler' | 'checkov';

/** The venv of a scanner: `.venv-prowler/` or `.venv-checkov/`. */
export function scannerVenv(tool: ScannerTool): string {
  return path.join(REPO_ROOT, `.venv-${tool}`);
}

/** The pinned version of a scanner, as written in the setup script. */
export function pinnedVersion(tool: ScannerTool): string {
  const script = fs.readFileSync(SETUP_SCRIPT, 'utf8');
  const m = new RegExp(`^${tool.toUpperCase()}_VERSION=(\\S+)$`, 'm').exec(script);
  if (!m) throw new Error(`${SETUP_SCRIPT} pins no ${tool} version`);
  return m[1];
}

/** Installs the pinned scanner when missing (idempotent) and returns its executable. */
export function ensureScannerInstalled(tool: ScannerTool): string {
  const exe = path.join(scannerVenv(tool), 'bin', tool);
  if (!fs.existsSync(exe)) {
    const r = spawnSync('bash', [SETUP_SCRIPT, tool], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 900_000 });
    if (r.status !== 0 || !fs.existsSync(exe)) {
      throw new Error(`Installing ${tool} with ${SETUP_SCRIPT} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
    }
  }
  return exe;
}
