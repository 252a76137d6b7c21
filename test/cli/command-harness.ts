import { Command } from 'commander';

/** What a command printed and its exit code. */
export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The streams a command without stdin writes to. */
export interface OutputIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * Runs `cis-monitoring <name> <args>` in-process, as `main()` would, with
 * captured streams, for commands registered with `register(program, io)`
 * (`sql`, `member-template`).
 */
export async function runCommand(
  register: (program: Command, io: () => OutputIo) => Command, name: string, args: string[],
): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const io: OutputIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const program = new Command().name('cis-monitoring').exitOverride()
    .configureOutput({ writeOut: s => (stdout += s), writeErr: s => (stderr += s) });
  register(program, () => io);
  let code = 0;
  try {
    await program.parseAsync([name, ...args], { from: 'user' });
  } catch (e: any) {
    if (typeof e?.exitCode !== 'number') throw e;
    code = e.exitCode;
  }
  return { code, stdout, stderr };
}

/** Runs `fn` with the process's stdout and stderr discarded (for `main()`, which writes to them). */
export async function withProcessOutputDiscarded<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  const errWrite = process.stderr.write;
  process.stdout.write = (() => true) as any;
  process.stderr.write = (() => true) as any;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
}
