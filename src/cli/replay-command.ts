import * as os from 'os';
import * as tty from 'tty';
import { SingleBar } from 'cli-progress';
import { Command, CommanderError, Option } from 'commander';
import { AUDIT_EXIT_CODES, AuditFailure } from '../audit/errors';
import { ReplayControl } from '../replay/controls';
import { loadControls } from '../replay/controls-source';
import { InputSource, ReadOptions, readSource, ResolveReport, resolveInputs, UsageError } from '../replay/event-source';
import { Narrowing, parseNarrowing } from '../replay/narrowing';
import { ParallelReplay } from '../replay/parallel/parallel-replay';
import { replayLauncher } from '../replay/parallel/thread-launcher';
import { DEFAULT_MAX_RECORD_BYTES } from '../replay/record-splitter';
import { isS3Url, parseS3Url } from '../replay/remote/s3-url';
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
  /**
   * The process's standard input as a file descriptor (0), read straight
   * into memory blocks instead of through `stdin` (no chunk per read, no
   * copy); `stdin` is then never touched.
   */
  readonly stdinFd?: number;
  /** Whether standard input is a terminal (else `stdin.isTTY`). */
  readonly stdinIsTTY?: boolean;
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
   * Threads that evaluate the records, this one included (N - 1 worker
   * threads): a number, or "auto" (one per core). With 1, everything runs on
   * this thread. The report is the same either way. @default 1
   */
  readonly workers?: string | number;
  /** Read this CloudWatch Logs log group (through its API) instead of paths. */
  readonly logGroup?: string;
  /** Narrowing of S3 keys, local directory walks and log streams (see src/replay/narrowing.ts). */
  readonly accounts?: string;
  readonly regions?: string;
  readonly since?: string;
  readonly until?: string;
  /** The AWS Region to call (the log group's); S3 follows the bucket's. */
  readonly region?: string;
  readonly profile?: string;
  /** Seconds one AWS call may take (and its socket stay silent). @default 30 */
  readonly timeout?: string | number;
}

const HELP_AFTER = `
Inputs: CloudTrail files as delivered to S3 ({"Records":[...]}, .json or .json.gz;
gzip is detected by its magic bytes), JSON arrays of records, NDJSON (one record
per line), directories (walked recursively in sorted order; *.json, *.json.gz,
*.ndjson, *.jsonl, *.gz; CloudTrail-Digest files skipped), and standard input
("-", or no path with piped input). Files are streamed: memory does not grow
with their size.

Where the logs are: s3://BUCKET/PREFIX reads the trail's S3 archive (objects in
key order, fetched in parallel; an object that cannot be read is reported by its
key), --log-group NAME the trail's CloudWatch Logs log group (one input per log
stream). --accounts, --regions, --since and --until narrow S3 keys, local
directories and log streams in CloudTrail's layout
([prefix/]AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/) before anything is
read: files by the minute CloudTrail delivered them, log events by their time.

Records are evaluated on every core (--workers auto); the report is exactly the
one of --workers 1.

Exactly one of --template and --benchmark is required.

Exit codes (the same as audit's for the same situations):
  0  the replay ran (malformed records and unreadable objects, if any, are
     reported and counted)
  1  unexpected error, or the report cannot be written (e.g. a full disk: one
     line on stderr). A closed output (replay ... | head) ends quietly with 0.
  2  bad usage or unusable input: unknown option or --format, neither or both of
     --template and --benchmark, unknown benchmark version, unreadable template or
     template without metric filters, input path missing or unreadable, bad
     narrowing flag, bucket or log group that does not exist, nothing selected,
     or no record could be read at all
  3  --strict, and at least one record, line, file or object was malformed or
     unreadable (skipped entries of a walked directory and records over
     --max-record-size included)
  4  no AWS credentials, or credentials AWS refuses
  5  AWS unreachable: no answer within --timeout, throttled on every attempt, or
     paging that would never end (also when no object could be read for that)
  6  access denied listing the bucket or the log group (also when every object
     was denied)

Every problem is reported with its file and, for one record, its index in the
file and byte offset; it is counted in "malformed" and the rest is read.
Records that contain none of the text any filter needs are counted without being
parsed (the matches are the same): a truncated line or file is still reported,
damage inside such a record is not, unless --validate parses every record.

Examples:
  cis-monitoring replay --benchmark 7.0.0 ./AWSLogs/
  cis-monitoring replay --template cdk.out --format json --event-ids trail.json.gz
  zcat *.json.gz | cis-monitoring replay --benchmark 5.0.0 -
  cis-monitoring replay --benchmark 7.0.0 --since 7d s3://org-trail/AWSLogs/o-abc123def4/
  cis-monitoring replay --benchmark 7.0.0 --since 2024-03-01 --until 2024-03-08 --accounts 111122223333 s3://org-trail/AWSLogs/
  cis-monitoring replay --template cdk.out --log-group aws-cloudtrail-logs --region eu-west-1 --since 24h
`;

function processIo(): ReplayIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // process.stdin, once touched, turns a pipe on fd 0 non-blocking and reads it in 64 KiB chunks
    get stdin() {
      return process.stdin;
    },
    stdinFd: 0,
    stdinIsTTY: tty.isatty(0),
  };
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
    .option('--log-group <name>', 'read the CloudTrail records of this CloudWatch Logs log group through its API, instead of paths')
    .option('--accounts <ids>', 'only these accounts (12-digit ids, comma-separated): S3 keys, directory paths and log streams of CloudTrail\'s layout')
    .option('--regions <names>', 'only these Regions (comma-separated), the same way')
    .option('--since <time>', 'only log files delivered at or after this time (S3 keys, directories: the minute in the file name), or log events at or after it (--log-group): ISO 8601 (2024-03-01, 2024-03-01T10:00Z) or a time ago (30m, 12h, 7d, 2w)')
    .option('--until <time>', 'only log files delivered (log events) before this time; the same forms')
    .option('--region <region>', 'with --log-group: the Region of the log group (default: the AWS SDK\'s, e.g. AWS_REGION); S3 finds the bucket\'s Region itself')
    .option('--profile <profile>', 'with s3:// or --log-group: the AWS profile (default: the SDK\'s credential chain)')
    .option('--timeout <seconds>', 'with s3:// or --log-group: the longest one AWS call may take, and its connection stay silent, before it is retried (default 30)')
    .option('--workers <n>', 'threads that evaluate records, this one included: a number, or "auto" for one per core (1: no worker thread); the report is the same', 'auto')
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
        logGroup: opts.logGroup,
        accounts: opts.accounts,
        regions: opts.regions,
        since: opts.since,
        until: opts.until,
        region: opts.region,
        profile: opts.profile,
        timeout: opts.timeout,
        progress: opts.progress === false ? false : undefined,
      }, io());
      if (code !== EXIT_OK) {
        // main() turns this into the process exit code; the message has been printed already.
        throw new CommanderError(code, 'cis-monitoring.replay', `replay exited with code ${code}`);
      }
    });
}

/** What the replay reads, once the command line is checked. */
interface Sources {
  readonly inputs: AsyncIterable<InputSource> | InputSource[];
  /** Inputs known before reading (local files), for the progress bar; undefined when listed as they are read. */
  readonly known?: InputSource[];
  /** The remote source, for progress and for the exit code when nothing could be read. */
  readonly remote?: { readonly listed: number; readonly listedBytes?: number; readonly listingDone: boolean; readonly failures: Map<number, number> };
}

/**
 * Runs a replay and writes the report. Returns the exit code; usage errors are
 * printed to stderr (as `cis-monitoring replay: <message>`), never thrown.
 */
export async function runReplay(options: ReplayOptions, io: ReplayIo): Promise<number> {
  const fail = (message: string, code: number = EXIT_USAGE): number => {
    io.stderr.write(`cis-monitoring replay: ${message}\n`);
    return code;
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
  const timeout = options.timeout === undefined ? undefined : Number(options.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= 3600)) {
    return fail(`--timeout "${options.timeout}" is not a number of seconds from 1 to 3600 (the longest one AWS call may take).`);
  }

  // worker threads start loading the CLI now, while the controls load here
  const launcher = workers > 1 ? replayLauncher(workers - 1) : undefined;

  let controls: ReplayControl[];
  let warnings: string[] = [];
  let sources: Sources;
  const skipped: Array<{ file: string; message: string }> = [];
  try {
    const narrowing = parseNarrowing(options, Date.now());
    ({ controls, warnings } = loadControls(options));
    sources = openSources(options, narrowing, timeout, io, {
      warning: m => warnings.push(m),
      problem: (file, message) => skipped.push({ file, message }),
    });
  } catch (e: any) {
    if (e instanceof UsageError) return fail(e.message);
    throw e;
  }

  const engineOptions = { eventIds: options.eventIds, prefilter: options.validate !== true };
  const progress = (options.progress ?? io.stderr.isTTY === true) ? new ReplayProgress(io.stderr, sources) : undefined;
  let result: ReplayResult;
  try {
    if (workers === 1 && !sources.remote) {
      const engine = new ReplayEngine(controls, engineOptions);
      for (const p of skipped) engine.addError(p.file, 0, p.message);
      let inputsDone = 0;
      let bytesDone = 0;
      let bytesNow = 0;
      progress?.start(() => ({ inputsDone, bytesRead: bytesDone + bytesNow, events: engine.events }));
      for await (const source of sources.inputs) {
        await readSource(source, engine.sinkFor(source.display), { ...stdinOf(io), maxRecordBytes, onProgress: n => (bytesNow = n) });
        inputsDone++;
        bytesDone += source.size > 0 ? source.size : bytesNow;
        bytesNow = 0;
      }
      result = engine.result();
    } else {
      const tally = new ReplayTally(controls, engineOptions);
      for (const p of skipped) tally.error(p.file, 0, p.message);
      const replay = new ParallelReplay(controls, tally, {
        workers,
        // this thread evaluates blocks too; with one worker (remote inputs), it alone
        launcher: launcher ?? replayLauncher(),
        eventIds: options.eventIds === true,
        prefilter: engineOptions.prefilter,
        maxRecordBytes,
        maxErrors: DEFAULT_MAX_ERRORS,
        // S3 objects and log streams wait on the network: read more of them at once
        ...(sources.remote ? { concurrentInputs: Math.max(16, 2 * workers) } : {}),
      });
      progress?.start(() => replay.progress);
      await replay.run(sources.inputs, { ...stdinOf(io), maxRecordBytes });
      result = tally.result();
    }
  } catch (e: any) {
    progress?.stop();
    if (e instanceof UsageError) return fail(e.message);
    if (e instanceof AuditFailure) return fail(e.message, e.exitCode);
    throw e;
  }
  progress?.stop();

  const inputCount = sources.known?.length ?? sources.remote?.listed ?? 0;
  if (options.format === 'json') {
    io.stdout.write(toJsonReport(result, warnings));
  } else {
    io.stdout.write(toTable(result, inputCount));
    for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
    io.stderr.write(formatErrors(result.errors, result.errorsOmitted));
  }

  if (result.events === 0 && result.malformed > 0) {
    const message = `no CloudTrail record could be read from the input (${result.malformed} problem${result.malformed === 1 ? '' : 's'}${options.format === 'json' ? ', listed in "errors"' : ' above'}).`;
    // nothing could be read because of access, credentials or the network: that exit code, as audit --live gives it
    const failures = [...(sources.remote?.failures ?? new Map<number, number>())];
    if (failures.length === 1 && failures[0][1] === result.malformed) return fail(message, failures[0][0]);
    return fail(message);
  }
  if (options.strict && result.malformed > 0) {
    io.stderr.write(`cis-monitoring replay: --strict: the input has ${result.malformed} malformed record(s), line(s) or file(s).\n`);
    return EXIT_MALFORMED;
  }
  return EXIT_OK;
}

/**
 * The inputs of the command line: local paths, `s3://` addresses or a log
 * group (one kind per run). The SDK is loaded only for remote inputs.
 * @throws UsageError for a bad combination or a local path that cannot be read
 */
function openSources(options: ReplayOptions, narrowing: Narrowing, timeout: number | undefined, io: ReplayIo, report: ResolveReport): Sources {
  const s3 = options.paths.filter(isS3Url);
  const remote = {
    region: options.region,
    profile: options.profile,
    ...(timeout !== undefined ? { timeouts: { connectionTimeout: Math.min(5_000, timeout * 1000), requestTimeout: timeout * 1000 } } : {}),
  };
  if (options.logGroup !== undefined) {
    if (options.paths.length > 0) throw new UsageError(`--log-group reads the log group: give no paths with it (got ${options.paths.map(p => JSON.stringify(p)).join(', ')}).`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LogGroupSource } = require('../replay/remote/log-group-source') as typeof import('../replay/remote/log-group-source');
    const source = new LogGroupSource(remote);
    return { inputs: source.inputs(options.logGroup, narrowing), remote: source };
  }
  if (options.region !== undefined || options.profile !== undefined || options.timeout !== undefined) {
    if (s3.length === 0) throw new UsageError('--region, --profile and --timeout are for s3:// addresses and --log-group; local files need none.');
  }
  if (s3.length > 0) {
    if (s3.length < options.paths.length) {
      throw new UsageError(`give either s3:// addresses or local paths, not both (local: ${options.paths.filter(p => !isS3Url(p)).map(p => JSON.stringify(p)).join(', ')}); copy one side, or run replay twice.`);
    }
    const locations = s3.map(parseS3Url);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3Source } = require('../replay/remote/s3-source') as typeof import('../replay/remote/s3-source');
    const source = new S3Source(remote);
    async function* all(): AsyncGenerator<InputSource> {
      for (const location of locations) yield* source.inputs(location, narrowing);
    }
    return { inputs: all(), remote: source };
  }
  const known = resolveInputs(options.paths, io.stdinIsTTY ?? io.stdin.isTTY === true, report, narrowing);
  return { inputs: known, known };
}

/** How standard input is read: by its descriptor when there is one (the stream is then never touched). */
function stdinOf(io: ReplayIo): Pick<ReadOptions, 'stdin' | 'stdinFd'> {
  return io.stdinFd !== undefined ? { stdinFd: io.stdinFd } : { stdin: io.stdin };
}

/** The progress bar on stderr: inputs, bytes, events, events per second and the time left. */
class ReplayProgress {
  private bar?: SingleBar;
  private timer?: ReturnType<typeof setInterval>;
  private readonly started = Date.now();

  constructor(private readonly stream: NodeJS.WritableStream, private readonly sources: Sources) {}

  public start(snapshot: () => { inputsDone: number; bytesRead: number; events: number }): void {
    const known = this.sources.known;
    const remote = this.sources.remote;
    const totalBytes = (): number => (known ? known.reduce((n, s) => n + s.size, 0) : remote?.listedBytes ?? 0);
    // log streams have no size: count streams instead
    const byInputs = !known && remote?.listedBytes === undefined;
    if (known && totalBytes() === 0) return; // standard input: nothing to measure against
    const bar = new SingleBar({
      stream: this.stream,
      format: 'replay [{bar}] {percentage}% | {inputs} | {done} MiB | {events} events, {rate}/s | ETA {eta_formatted}',
      hideCursor: false,
      clearOnComplete: true,
      fps: 5,
      etaBuffer: 50,
    });
    this.bar = bar;
    const update = (): void => {
      const p = snapshot();
      const listed = known ? known.length : remote?.listed ?? 0;
      const listing = remote && !remote.listingDone ? ' (listing)' : '';
      const total = byInputs ? listed : totalBytes();
      bar.setTotal(Math.max(total, 1));
      const seconds = (Date.now() - this.started) / 1000;
      bar.update(byInputs ? p.inputsDone : Math.min(p.bytesRead, total), {
        inputs: `${p.inputsDone}/${listed}${listing} ${remote && !known ? (byInputs ? 'streams' : 'objects') : 'inputs'}`,
        done: mib(p.bytesRead),
        events: p.events,
        rate: seconds > 0 ? Math.round(p.events / seconds) : 0,
      });
    };
    bar.start(1, 0, { inputs: '', done: '0.0', events: 0, rate: 0 });
    update();
    this.timer = setInterval(update, 200);
  }

  public stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.bar?.stop();
  }
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
