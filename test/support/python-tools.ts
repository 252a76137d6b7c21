import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const VENV_BIN = path.join(REPO_ROOT, '.venv', 'bin');

/**
 * Makes sure the pinned Python tools (cfn-lint, moto server) are installed in
 * .venv/, installing them from PyPI on first use. Returns the path of a tool.
 */
export function pythonTool(name: 'cfn-lint' | 'moto_server'): string {
  const tool = path.join(VENV_BIN, name);
  if (!fs.existsSync(tool)) {
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'setup-python-tools.sh')], { stdio: 'inherit' });
  }
  return tool;
}

/** Installs the pinned Python tools into .venv (setup-python-tools.sh returns at once when they are there). */
function ensurePythonTools(): void {
  execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'setup-python-tools.sh')], { stdio: 'inherit' });
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
    const r = spawnSync(path.join(VENV_BIN, 'python'), [path.join(__dirname, 'validate-findings.py'), kind, file], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`validate-findings.py ${kind} failed (exit ${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
