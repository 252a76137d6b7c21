#!/usr/bin/env node
/**
 * `cis-monitoring`: the command-line companion of the construct library.
 * Each subcommand lives in its own module and registers itself here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { registerAudit } from './audit-command';
import { registerReplay } from './replay-command';

export function createProgram(): Command {
  const program = new Command();
  program
    .name('cis-monitoring')
    .description('Preview and audit CIS AWS Foundations Benchmark monitoring (metric filters and alarms) offline or against an account.')
    .version(packageVersion(), '-V, --version', 'print the version of cdk-cis-monitoring and exit')
    .showHelpAfterError()
    .exitOverride();
  // Subcommands: each module exports register<Name>(program).
  registerReplay(program);
  registerAudit(program);
  return program;
}

/**
 * The version in the package's package.json. The sources (src/cli/), the
 * compiled tree (lib/cli/) and the CLI bundle (lib/bin/) all sit two levels
 * below the package root.
 */
export function packageVersion(): string {
  const file = path.join(__dirname, '..', '..', 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e: any) {
    // commander has already printed usage errors; exitCode 0 means --help/--version.
    if (e && typeof e.exitCode === 'number') return e.exitCode;
    process.stderr.write(`cis-monitoring: ${e?.message ?? e}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then(code => { process.exitCode = code; });
}
