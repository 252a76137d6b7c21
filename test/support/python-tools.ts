import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mayInstallTools, venvTool } from './requirements';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SETUP_SCRIPT = path.join(REPO_ROOT, 'scripts', 'setup-python-tools.sh');

/**
 * Makes sure the pinned Python tools (cfn-lint, moto server) are in .venv/:
 * outside CI they are installed from PyPI on first use; in CI the check task
 * installs them before jest, and a missing one is an error.
 */
export function ensurePythonTools(): void {
  const missing = ['cfn-lint', 'moto_server', 'python'].map(t => venvTool('.venv', t)).filter(t => !fs.existsSync(t));
  if (missing.length === 0) return;
  if (!mayInstallTools()) {
    throw new Error(`${missing.join(', ')} missing; run bash scripts/setup-python-tools.sh (the check task does before jest)`);
  }
  const r = spawnSync('bash', [SETUP_SCRIPT], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || missing.some(t => !fs.existsSync(t))) {
    throw new Error(`Installing the Python tools with ${SETUP_SCRIPT} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  }
}

/** The path of a Python tool of .venv/, installed first when missing outside CI. */
export function pythonTool(name: 'cfn-lint' | 'moto_server'): string {
  ensurePythonTools();
  return venvTool('.venv', name);
}
