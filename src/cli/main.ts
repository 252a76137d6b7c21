#!/usr/bin/env node
/**
 * `cis-monitoring`: the command-line companion of the construct library.
 * Each subcommand lives in its own module and registers itself here.
 */
import { Command } from 'commander';
import { registerAudit } from './audit-command';
import { registerReplay } from './replay-command';
import { registerSql } from './sql-command';

export function createProgram(): Command {
  const program = new Command();
  program
    .name('cis-monitoring')
    .description('Preview and audit CIS AWS Foundations Benchmark monitoring (metric filters and alarms) offline or against an account.')
    .showHelpAfterError()
    .exitOverride();
  // Subcommands: each module exports register<Name>(program).
  registerReplay(program);
  registerAudit(program);
  registerSql(program);
  return program;
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
