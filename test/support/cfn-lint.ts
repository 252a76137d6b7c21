/**
 * Runs cfn-lint (pinned in scripts/setup-python-tools.sh) on one template and
 * returns its findings, or throws when cfn-lint did not really lint it: an
 * exit status that is not one of its lint results, no output, output that is
 * not a JSON list of findings, or findings that disagree with the status. A
 * gate that read a crash as "no findings" would pass on anything.
 */
import { spawnSync } from 'child_process';
import { pythonTool } from './python-tools';

export interface LintMatch { Level: string; Rule: { Id: string }; Message: string; Location: { Path: string[] } }

/** cfn-lint's exit status: 0, or the bits of the levels it found (2 error, 4 warning, 8 informational). */
const LEVEL_BITS: Record<string, number> = { Error: 2, Warning: 4, Informational: 8 };

export interface CfnLintOptions {
  /** The cfn-lint executable. @default - .venv/bin/cfn-lint */
  readonly binary?: string;
  /** @default ['us-east-1', 'eu-west-1'] */
  readonly regions?: readonly string[];
}

export function runCfnLint(templateFile: string, options: CfnLintOptions = {}): LintMatch[] {
  const binary = options.binary ?? pythonTool('cfn-lint');
  const r = spawnSync(binary, ['--format', 'json', '--regions', ...(options.regions ?? ['us-east-1', 'eu-west-1']), '--', templateFile], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  const said = () => `${binary} on ${templateFile} exited with ${r.status ?? r.signal}; stderr: ${r.stderr.trim().slice(0, 1000) || '(empty)'}; stdout: ${r.stdout.trim().slice(0, 300) || '(empty)'}`;
  if (r.error) throw new Error(`cfn-lint could not run: ${r.error.message}`);
  if (r.status === null || r.status % 2 === 1 || r.status > 14) throw new Error(`cfn-lint did not lint: ${said()}`);
  let matches: unknown;
  try {
    matches = JSON.parse(r.stdout);
  } catch {
    throw new Error(`cfn-lint printed no JSON: ${said()}`);
  }
  if (!Array.isArray(matches) || matches.some(m => !(m?.Level in LEVEL_BITS) || typeof m?.Rule?.Id !== 'string')) {
    throw new Error(`cfn-lint printed something other than a list of findings: ${said()}`);
  }
  // The sum of the distinct levels' bits is their bitwise OR.
  const bits = [...new Set((matches as LintMatch[]).map(m => m.Level))].reduce((sum, level) => sum + LEVEL_BITS[level], 0);
  if (bits !== r.status) throw new Error(`cfn-lint's exit status does not match its findings (levels ${bits}): ${said()}`);
  return matches as LintMatch[];
}

/** The error-level findings as `<rule> <path>: <message>` lines. */
export function lintErrors(matches: readonly LintMatch[]): string[] {
  return matches.filter(m => m.Level === 'Error').map(m => `${m.Rule.Id} ${m.Location.Path.join('/')}: ${m.Message}`);
}
