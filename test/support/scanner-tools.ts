/**
 * The real compliance scanners (Prowler, checkov), each in its own venv at the
 * version pinned in scripts/setup-scanner-tools.sh, installed from PyPI on
 * first use outside CI (the `check` task installs them before jest).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mayInstallTools, venvTool } from './requirements';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SETUP_SCRIPT = path.join(REPO_ROOT, 'scripts', 'setup-scanner-tools.sh');

export type ScannerTool = 'prowler' | 'checkov';


/** The pinned version of a scanner, as written in the setup script. */
export function pinnedVersion(tool: ScannerTool): string {
  const script = fs.readFileSync(SETUP_SCRIPT, 'utf8');
  const m = new RegExp(`^${tool.toUpperCase()}_VERSION=(\\S+)$`, 'm').exec(script);
  if (!m) throw new Error(`${SETUP_SCRIPT} pins no ${tool} version`);
  return m[1];
}

/** Installs the pinned scanner when missing outside CI (idempotent; in CI the check task installs it) and returns its executable. */
export function ensureScannerInstalled(tool: ScannerTool): string {
  const exe = venvTool(`.venv-${tool}`, tool);
  if (!fs.existsSync(exe)) {
    if (!mayInstallTools()) throw new Error(`${exe} is missing; run bash ${path.relative(REPO_ROOT, SETUP_SCRIPT)} ${tool} (the check task does before jest)`);
    const r = spawnSync('bash', [SETUP_SCRIPT, tool], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 900_000 });
    if (r.status !== 0 || !fs.existsSync(exe)) {
      throw new Error(`Installing ${tool} with ${SETUP_SCRIPT} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
    }
  }
  return exe;
}
