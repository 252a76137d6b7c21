import * as os from 'os';
import { SingleBar } from 'cli-progress';
import { Command, CommanderError, Option } from 'commander';
import { AUDIT_EXIT_CODES } from '../audit/errors';
import { ReplayControl } from '../replay/controls';
import { loadControls } from '../replay/controls-source';
import { InputSource, readSource, resolveInputs, UsageError } from '../replay/event-source';
import { DEFAULT_MAX_RECORD_BYTES } from '../replay/record-splitter';
import { ParallelReplay } from '../replay/parallel/parallel-replay';
import { defaultLauncher } from '../replay/parallel/thread-launcher';
import { DEFAULT_MAX_ERRORS, ReplayEngine, ReplayResult, ReplayTally } from '../replay/replay-engine';
import { formatErrors, toJsonReport, toTable } from '../replay/report';

/** Exit codes of `cis-monitoring replay`: the same numbers `audit` uses for the same situations. */
export const EXIT_OK = AUDIT_EXIT_CODES.OK;
export const EXIT_USAGE = AUDIT_EXIT_CODES.BAD_INPUT;
/** --strict and malformed input: the check failed, like a failing scanner in `audit`. */
export const EXIT_MALFORMED = AUDIT_EXIT_CODES.NON_COMPLIANT;

/** Streams the replay writes to and reads from (process streams by default; tests pass their own). */
export interface ReplayIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Parsed options of `replay`. */
export interface ReplayOptions {
  readonly paths: string[];
  readonly template?: string;
  readonly benchmark?: string;
  readonly format: 'table' | 'json';
  readonly eventIds?: boolean;
  readonly strict?: boolean;
  /** Records longer than this many bytes are skipped and reported. @default 64 MiB */
  readonly maxRecordSize?: string | number;
  /** Show a progress bar; undefined: only when stderr is a TTY. */
  readonly progress?: boolean;
  /**
   * Parse every record, so that every malformed one is reported. By default
   * records that provably match no filter are counted without being parsed
   * (see src/replay/prefilter.ts): the same matches, much faster, but damage
   * inside such a record goes unreported.
   */
  readonly validate?: boolean;
  /**
   * Worker threads that evaluate the records: a number, or "auto" (one per
   * core). With 1, everything runs on this thread. The report is the same
   * either way. @default 1
   */
  readonly workers?: string | number;
}

const HELP_AFTER = `
Inputs: CloudTrail files as delivered to S3 ({"Records":[...]}, .json or .json.gz;
gzip is detected by its magic bytes), JSON arrays of records, NDJSON (one record
per line), directories (walked recursively in sorted order; *.json, *.json.gz,
*.ndjson, *.jsonl, *.gz; CloudTrail-Digest files skipped), and standard input
("-", or no path with piped input). Files are streamed: memory does not grow
with their size.

Exactly one of --template and --benchmark is required.

Exit codes (the same as audit's for the same situations):
  0  the replay ran (malformed records, if any, are reported and counted)
  1  unexpected error, or the report cannot be written (e.g. a full disk: one
     line on stderr). A closed output (replay ... | head) ends quietly with 0.
  2  bad usage or unusable input: unknown option or --format, neither or both of
     --template and --benchmark, unknown benchmark version, unreadable template or
     template without metric filters, input path missing or unreadable, or no
     record could be read at all
  3  --strict, and at least one record, line or file was malformed or unreadable
     (skipped entries of a walked directory and records over --max-record-size
     included)

Every problem is reported with its file and, for one record, its index in the
file and byte offset; it is counted in "malformed" and the rest is read.
Records that contain none of the text any filter needs are counted without being
parsed (the matches are the same): a truncated line or file is still reported,
damage inside such a record is not, unless --validate parses every record.

Examples:
  cis-monitoring replay --benchmark 7.0.0 ./AWSLogs/
  cis-monitoring replay --template cdk.out --format json --event-ids trail.json.gz
  zcat *.json.gz | cis-monitoring replay --benchmark 5.0.0 -
`;

function processIo(): ReplayIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}

/** Adds `replay` to the `cis-monitoring` program. */
export function registerReplay(program: Command, io: () => ReplayIo = processIo): Command {
  return program
    .command('replay')
    .description('Replay CloudTrail records through the CIS metric filters and alarms offline: matches, simulated alarm firings and top principals per control.')
    .argument('[paths...]', 'CloudTrail files or directories; "-" or nothing (with piped input) reads standard input')
    .option('--template <file|dir>', 'synthesized CloudFormation template (JSON) or cdk.out directory: evaluate its metric filters and alarms')
    .option('--benchmark <version>', 'evaluate the patterns the construct deploys for this CIS version (e.g. 7.0.0), with the CIS alarm defaults')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--event-ids', 'with --format json: list the eventID of every matching record per control')
    .option('--strict', 'exit with code 3 when any record, line or file is malformed')
    .option('--max-record-size <size>', 'skip (and report) any record longer than this: bytes, or with a unit (KiB, MiB, GiB; K, M, G)', '64MiB')
    .option('--validate', 'parse every record, also those no filter can match, to report every malformed one (slower)')
    .option('--workers <n>', 'worker threads that evaluate records: a number, or "auto" for one per core (1: no worker thread); the report is the same', 'auto')
    .option('--no-progress', 'never show the progress bar (shown on stderr only when it is a terminal)')
    .addHelpText('after', HELP_AFTER)
    // commander's own usage errors (unknown option, bad choice) are bad input too.
    .exitOverride(err => {
      if (err.exitCode !== 0 && err.code.startsWith('commander.')) throw new CommanderError(EXIT_USAGE, err.code, err.message);
      throw err;
    })
    .action(async (paths: string[], opts: any) => {
      const code = await runReplay({
        paths,
        template: opts.template,
        benchmark: opts.benchmark,
        format: opts.format,
        eventIds: opts.eventIds === true,
        strict: opts.strict === true,
        maxRecordSize: opts.maxRecordSize,
        validate: opts.validate === true,
        workers: opts.workers,
        progress: opts.progress === false ? false : undefined,
      }, io());
      if (code !== EXIT_OK) {
        // main() turns this into the process exit code; the message has been printed already.
        throw new CommanderError(code, 'cis-monitoring.replay', `replay exited with code ${code}`);
      }
    });
}

/**
 * Runs a replay and writes the report. Returns the exit code; usage errors are
 * printed to stderr (as `cis-monitoring replay: <message>`), never thrown.
 */
export async function runReplay(options: ReplayOptions, io: ReplayIo): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`cis-monitoring replay: ${message}\n`);
    return EXIT_USAGE;
  };
  if (options.format !== 'table' && options.format !== 'json') {
    return fail(`--format "${options.format}" is not supported; use "table" or "json".`);
  }
  const maxRecordBytes = parseSize(options.maxRecordSize ?? DEFAULT_MAX_RECORD_BYTES);
  if (maxRecordBytes === undefined) {
    return fail(`--max-record-size "${options.maxRecordSize}" is not a size: give bytes (e.g. 67108864) or a number with KiB, MiB or GiB (e.g. 64MiB).`);
  }

  const workers = parseWorkers(options.workers ?? 1);
  if (workers === undefined) {
    return fail(`--workers "${options.workers}" is not a number of threads: give a whole number from 1 to ${MAX_WORKERS}, or "auto" (one per core, here ${os.availableParallelism()}).`);
  }

  let controls: ReplayControl[];
  let warnings: string[] = [];
  let inputs: InputSource[];
  const skipped: Array<{ file: string; message: string }> = [];
  try {
    ({ controls, warnings } = loadControls(options));
    inputs = resolveInputs(options.paths, io.stdin.isTTY === true, {
      warning: m => warnings.push(m),
      problem: (file, message) => skipped.push({ file, message }),
    });
  } catch (e: any) {
    if (e instanceof UsageError) return fail(e.message);
    throw e;
  }

  const engineOptions = { eventIds: options.eventIds, prefilter: options.validate !== true };
  const showProgress = options.progress ?? io.stderr.isTTY === true;
  const totalBytes = inputs.reduce((n, s) => n + s.size, 0);
  const bar = showProgress && totalBytes > 0 ? new SingleBar({
    stream: io.stderr,
    format: 'replay [{bar}] {percentage}% | {done}/{size} MiB | {events} events | ETA {eta_formatted}',
    hideCursor: false,
    clearOnComplete: true,
    fps: 5,
  }) : undefined;
  bar?.start(totalBytes, 0, { done: '0.0', size: mib(totalBytes), events: 0 });

  let result: ReplayResult;
  if (workers === 1) {
    const engine = new ReplayEngine(controls, engineOptions);
    for (const p of skipped) engine.addError(p.file, 0, p.message);
    let doneBytes = 0;
    for (const source of inputs) {
      await readSource(source, engine.sinkFor(source.display), {
        stdin: io.stdin,
        maxRecordBytes,
        onProgress: bar ? (n) => bar.update(doneBytes + n, { done: mib(doneBytes + n), events: engine.events }) : undefined,
      });
      doneBytes += source.size;
    }
    result = engine.result();
  } else {
    const tally = new ReplayTally(controls, engineOptions);
    for (const p of skipped) tally.error(p.file, 0, p.message);
    const replay = new ParallelReplay(controls, tally, {
      workers,
      launcher: defaultLauncher(),
      eventIds: options.eventIds === true,
      prefilter: engineOptions.prefilter,
      maxRecordBytes,
      maxErrors: DEFAULT_MAX_ERRORS,
    });
    const timer = bar ? setInterval(() => {
      const p = replay.progress;
      bar.update(p.bytesRead, { done: mib(p.bytesRead), events: p.events });
    }, 200) : undefined;
    try {
      await replay.run(inputs, { stdin: io.stdin, maxRecordBytes });
    } finally {
      if (timer) clearInterval(timer);
    }
    result = tally.result();
  }
  bar?.update(totalBytes, { done: mib(totalBytes), events: result.events });
  bar?.stop();

  if (options.format === 'json') {
    io.stdout.write(toJsonReport(result, warnings));
  } else {
    io.stdout.write(toTable(result, inputs.length));
    for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
    io.stderr.write(formatErrors(result.errors, result.errorsOmitted));
  }

  if (result.events === 0 && result.malformed > 0) {
    return fail(`no CloudTrail record could be read from the input (${result.malformed} problem${result.malformed === 1 ? '' : 's'}${options.format === 'json' ? ', listed in "errors"' : ' above'}).`);
  }
  if (options.strict && result.malformed > 0) {
    io.stderr.write(`cis-monitoring replay: --strict: the input has ${result.malformed} malformed record(s), line(s) or file(s).\n`);
    return EXIT_MALFORMED;
  }
  return EXIT_OK;
}

/** Most worker threads `--workers` accepts: more only costs memory. */
const MAX_WORKERS = 256;

/** Worker threads from `--workers`: a whole number from 1 to MAX_WORKERS, or "auto" (one per core); undefined when neither. */
export function parseWorkers(value: string | number): number | undefined {
  if (value === 'auto') return Math.min(os.availableParallelism(), MAX_WORKERS);
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS ? n : undefined;
}

/** Bytes from `123`, `64MiB`, `512k`, `1G` (units are binary); undefined when not a positive size. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const m = /^\s*(\d+)\s*(?:(k|m|g)(?:i?b)?|b)?\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] === undefined ? 1 : 1024 ** (' kmg'.indexOf(m[2].toLowerCase())));
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function mib(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}
