import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
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
  if (!mayInstallTools()) {
    if (missing.length === 0) return;
    throw new Error(`${missing.join(', ')} missing; run bash scripts/setup-python-tools.sh (the check task does before jest)`);
  }
  // Outside CI the script runs once per process: it returns at once when every pinned package (py-ocsf-models too) is there.
  if (setUp) return;
  const r = spawnSync('bash', [SETUP_SCRIPT], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || missing.some(t => !fs.existsSync(t))) {
    throw new Error(`Installing the Python tools with ${SETUP_SCRIPT} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  }
  setUp = true;
}

let setUp = false;

/** The path of a Python tool of .venv/, installed first when missing outside CI. */
export function pythonTool(name: 'cfn-lint' | 'moto_server'): string {
  ensurePythonTools();
  return venvTool('.venv', name);
}

/**
 * Validates findings with the formats' reference libraries
 * (test/support/validate-findings.py): `asff` with botocore's request
 * validation of BatchImportFindings, `ocsf` with py-ocsf-models'
 * ComplianceFinding. Returns how many were checked and the errors.
 */
export function validateFindings(kind: 'asff' | 'ocsf', items: unknown[]): { checked: number; errors: string[] } {
  ensurePythonTools();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-validate-'));
  try {
    const file = path.join(dir, `${kind}.json`);
    fs.writeFileSync(file, JSON.stringify(items));
    const r = spawnSync(venvTool('.venv', 'python'), [path.join(__dirname, 'validate-findings.py'), kind, file], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`validate-findings.py ${kind} failed (exit ${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
