#!/usr/bin/env node
/**
 * `cis-monitoring`: the command-line companion of the construct library.
 * Each subcommand lives in its own module and registers itself here.
 */
import * as nodeModule from 'module';
import { Command } from 'commander';
import { registerAudit } from './audit-command';
import { registerMemberTemplate } from './member-template-command';
import { registerReplay } from './replay-command';
import { registerSql } from './sql-command';
import { packageVersion } from './version';
import { isReplayWorker, serveReplayBlocks } from '../replay/parallel/block-worker';
import { HeapBounds } from '../replay/parallel/heap-bounds';

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
  registerSql(program);
  registerMemberTemplate(program);
  return program;
}

export { packageVersion };

export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e: any) {
    // commander has already printed usage errors; exitCode 0 means --help/--version.
    if (e && typeof e.exitCode === 'number') return e.exitCode;
    const out = outputErrorExit(e);
    if (out !== undefined) return out;
    process.stderr.write(`cis-monitoring: ${firstLine(e?.message ?? e)}\n`);
    return 1;
  }
}

function firstLine(message: unknown): string {
  return String(message).split('\n')[0];
}

/**
 * The exit code for an error writing the output, or undefined for other
 * errors: a closed reader (EPIPE, as in `cis-monitoring replay ... | head`)
 * ends quietly with 0; any other write error (ENOSPC: a full disk) is
 * reported in one line with 1.
 */
export function outputErrorExit(e: any, stderr: { write(text: string): unknown } = process.stderr): number | undefined {
  const code = e?.code;
  if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') return 0;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG' || (e?.syscall === 'write' && typeof code === 'string')) {
    stderr.write(`cis-monitoring: cannot write the output: ${firstLine(e?.message ?? e)}\n`);
    return 1;
  }
  return undefined;
}

/** Errors of the process's own output streams end the process with one line, never a stack trace. */
export function guardOutputStreams(): void {
  process.stdout.on('error', (e: any) => {
    let code = outputErrorExit(e);
    if (code === undefined) {
      process.stderr.write(`cis-monitoring: cannot write the output: ${firstLine(e?.message ?? e)}\n`);
      code = 1;
    }
    process.exit(code);
  });
  // stderr carries the progress bar and problems; if it is closed there is no one to tell.
  process.stderr.on('error', () => undefined);
}

/**
 * Lets Node keep the compiled code of the CLI and of what it loads (the
 * controls' plan loads aws-cdk-lib) in its compile cache, in the temporary
 * directory, as npm does: every run after the first starts about 40 ms
 * sooner, which a replay spends before it can read anything.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off; where the cache cannot be
 * written, Node goes on without it.
 */
export function enableCompileCache(): void {
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
}

if (isReplayWorker()) {
  // `replay --workers N` runs this same file in its worker threads; this thread's boot set V8's flags again.
  HeapBounds.bound();
  serveReplayBlocks();
} else if (require.main === module) {
  enableCompileCache();
  HeapBounds.bound();
  guardOutputStreams();
  void main(process.argv.slice(2)).then(code => { process.exitCode = code; });
}
