import { execFileSync } from 'child_process';
import * as fs from 'fs';
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
