import * as fs from 'fs';
import * as path from 'path';
import { GzipError, GzipNotice, gunzipMembers } from './gunzip';
import { isNarrowed, Narrowing, selectsKey } from './narrowing';
import { blockCut, DEFAULT_BLOCK_BYTES, RecordSink, RecordSplitter } from './record-splitter';

/** An input the replay reads: a file, standard input (`path` = '-'), or a remote object. */
export interface InputSource {
  /** File path, or '-' for standard input; for a remote input, its address (as `display`). */
  readonly path: string;
  /** How errors name it. */
  readonly display: string;
  /** Size in bytes as stored (0 for standard input, and when unknown). */
  readonly size: number;
  /** Set for an input that is not a local file (an S3 object, a log group). */
  readonly remote?: RemoteInput;
}

/** How a remote input is read. */
export interface RemoteInput {
  /** Its bytes, as stored (gzip is detected and inflated by the reader), and how many have been read. */
  open(): Promise<{ chunks: AsyncIterable<Buffer>; bytesRead: () => number }>;
  /** A one-line message for an error thrown while opening or reading it, naming it. */
  describeError(e: unknown): string;
}

/** A problem with the command line or the inputs that makes the replay impossible (exit code 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Files a directory walk picks up: CloudTrail's `.json.gz` and plain or line-delimited JSON. */
const INPUT_FILE = /\.(json|jsonl|ndjson)(\.gz)?$|\.gz$/i;

/** CloudTrail digest files (`.../CloudTrail-Digest/...`) are signatures, not events. */
const DIGEST = /CloudTrail-Digest/;

/** Whether a directory walk (or an S3 listing) reads a file of this path: its name looks like an input, and it is not a digest file. */
export function isInputPath(p: string): boolean {
  return INPUT_FILE.test(p.slice(p.lastIndexOf('/') + 1)) && !DIGEST.test(p);
}

const STDIN: InputSource = { path: '-', display: '<stdin>', size: 0 };

/** What `resolveInputs` tells besides the inputs. */
export interface ResolveReport {
  /** Something the user should know that loses nothing (an input given twice). */
  warning(message: string): void;
  /** An entry of a walked directory that cannot be read as an input (counted as a problem). */
  problem(file: string, message: string): void;
}

/**
 * Expands the command-line paths into the list of inputs, in a deterministic
 * order: each path in the order given; a directory is walked recursively and
 * its files are taken in byte order of their relative paths. No path means
 * standard input, which must then not be a terminal.
 *
 * A file reached twice (given twice, or given and inside a given directory,
 * or through a symbolic link) is read once, where it is first reached, with a
 * warning. Entries of a walked directory that look like inputs but are not
 * regular files (dangling symbolic links, FIFOs, sockets, devices) are
 * reported as problems and skipped.
 *
 * @throws UsageError when a path does not exist or cannot be read, when a
 * directory holds no input file, or when there is no path and stdin is a terminal
 */
export function resolveInputs(paths: readonly string[], stdinIsTTY: boolean, report?: ResolveReport, narrowing: Narrowing = {}): InputSource[] {
  const narrowed = isNarrowed(narrowing);
  if (narrowed && (paths.length === 0 || paths.includes('-'))) {
    throw new UsageError('--accounts, --regions, --since and --until select log files by their place in CloudTrail\'s layout: give a directory (a copy of the bucket, e.g. ./AWSLogs/), an s3:// address or --log-group, not standard input.');
  }
  if (paths.length === 0) {
    if (stdinIsTTY) {
      throw new UsageError('no input: give CloudTrail files or directories, or pipe records to standard input (use "-" to read it explicitly).');
    }
    return [STDIN];
  }
  const out: InputSource[] = [];
  const seen = new Map<string, string>(); // real path -> how it was first reached
  const add = (source: InputSource): void => {
    const key = realPath(source.path);
    const first = seen.get(key);
    if (first !== undefined) {
      report?.warning(`"${source.display}" is the same file as "${first}", which is already read: read once`);
      return;
    }
    seen.set(key, source.display);
    out.push(source);
  };
  let stdinSeen = false;
  for (const p of paths) {
    if (p === '-') {
      if (stdinSeen) throw new UsageError('"-" (standard input) is given more than once; give it once.');
      stdinSeen = true;
      out.push(STDIN);
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e: any) {
      throw new UsageError(e?.code === 'ENOENT'
        ? `input path "${p}" does not exist. Give an existing CloudTrail file or directory.`
        : `cannot read input path "${p}": ${e?.message ?? e}`);
    }
    if (st.isDirectory()) {
      const files: InputSource[] = [];
      let skipped = 0;
      walk(p, files, (file, message) => {
        skipped++;
        report?.problem(file, message);
      });
      if (files.length === 0 && skipped === 0) {
        throw new UsageError(`directory "${p}" holds no CloudTrail file (*.json, *.json.gz, *.ndjson, *.jsonl, *.gz; CloudTrail-Digest files are ignored).`);
      }
      const selected = narrowed ? files.filter(f => selectsKey(f.path.split(path.sep).join('/'), narrowing)) : files;
      if (narrowed && selected.length === 0) {
        throw new UsageError(`no file under directory "${p}" is selected by --accounts, --regions, --since and --until (paths in CloudTrail's layout .../AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE).`);
      }
      selected.forEach(add);
    } else if (narrowed) {
      throw new UsageError(`"${p}" is a file: --accounts, --regions, --since and --until select the files of a directory (a copy of the bucket) by their place in CloudTrail's layout; give its directory, or leave the flags out.`);
    } else {
      try {
        fs.accessSync(p, fs.constants.R_OK);
      } catch (e: any) {
        throw new UsageError(`cannot read input file "${p}": ${e?.message ?? e}`);
      }
      add({ path: p, display: p, size: st.isFile() ? st.size : 0 });
    }
  }
  return out;
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function walk(dir: string, out: InputSource[], problem: (file: string, message: string) => void): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e: any) {
    throw new UsageError(`cannot read directory "${dir}": ${e?.message ?? e}`);
  }
  const names = entries.map(e => e.name).sort(byteOrder);
  const byName = new Map(entries.map(e => [e.name, e]));
  for (const name of names) {
    const entry = byName.get(name)!;
    const full = path.join(dir, name);
    if (entry.isDirectory()) {
      walk(full, out, problem);
    } else if (INPUT_FILE.test(name) && !DIGEST.test(full)) {
      let st: fs.Stats;
      try {
        st = fs.statSync(full);
      } catch (e: any) {
        problem(full, entry.isSymbolicLink() && e?.code === 'ENOENT'
          ? `skipped: a symbolic link to "${safeReadlink(full)}", which does not exist`
          : `skipped: cannot read it: ${e?.message ?? e}`);
        continue;
      }
      if (st.isFile()) {
        out.push({ path: full, display: full, size: st.size });
      } else if (!st.isDirectory()) {
        const kind = st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : 'a device';
        problem(full, `skipped: ${kind}, not a regular file (a directory walk reads regular files only; give it by name to read it)`);
      }
    }
  }
}

function safeReadlink(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '?';
  }
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where the bytes of one input come from. */
export interface ReadOptions {
  /** Standard input, used for `path` '-' (unless `stdinFd` is given). */
  readonly stdin?: NodeJS.ReadableStream;
  /** Standard input's file descriptor: when given, '-' is read from it directly and `stdin` is not used. */
  readonly stdinFd?: number;
  /** Called after each chunk with the number of bytes read from disk so far (compressed bytes for gzip). */
  readonly onProgress?: (bytesRead: number) => void;
  /** Chunk size for file reads. @default 1 MiB */
  readonly chunkSize?: number;
  /** Records longer than this are skipped and reported. @default 64 MiB */
  readonly maxRecordBytes?: number;
  /** Bytes pushed to the splitter at a time (see `blockCut`). @default DEFAULT_BLOCK_BYTES */
  readonly blockBytes?: number;
  /** Opens a file for reading (tests inject read errors). @default fs.createReadStream */
  readonly openFile?: (path: string, chunkSize: number) => NodeJS.ReadableStream & { bytesRead: number };
}

/** An opened input: its bytes (decompressed) and how many bytes have been read from where it is stored. */
export interface OpenedInput {
  /** The bytes, chunk by chunk (for a plain file, read into the chunk's memory with `readInto` instead). */
  readonly chunks: AsyncIterable<Buffer>;
  readonly bytesRead: () => number;
  /**
   * For a plain (not gzip) regular file: reads the next bytes straight into
   * `target[offset, offset + length)` (no copy) and returns how many; 0 at
   * the end. Closes the file at the end or on error.
   */
  readonly readInto?: (target: Buffer, offset: number, length: number) => Promise<number>;
  /** Releases what is still open (a reader that stops early calls it). */
  readonly close?: () => Promise<void>;
}

/**
 * Opens one input for reading, inserting a gunzip stage when it starts with
 * the gzip magic bytes (whatever its name). Errors while opening are thrown;
 * errors while reading are thrown by the iteration (`readErrorMessage` says
 * what they mean). `notice` hears about gzip defects that lose nothing.
 */
export async function openSource(source: InputSource, options: ReadOptions, notice: GzipNotice): Promise<OpenedInput> {
  if (source.remote) {
    const opened = await source.remote.open();
    return { chunks: await maybeGunzip(opened.chunks, notice), bytesRead: opened.bytesRead };
  }
  if (source.path === '-') {
    if (options.stdinFd !== undefined) return openDescriptor(options.stdinFd, notice);
    if (!options.stdin) throw new Error('internal: standard input is read, but neither its stream nor its descriptor was given');
    const counted = countBytes(options.stdin as AsyncIterable<Buffer | string>);
    return { chunks: await maybeGunzip(counted.chunks, notice), bytesRead: () => counted.bytes() };
  }
  const st = await fs.promises.stat(source.path);
  if (st.isFile() && !options.openFile && !(await startsWithGzipMagic(source.path))) return openPlainFile(source.path);
  const chunkSize = options.chunkSize ?? 1_048_576;
  const stream = options.openFile ? options.openFile(source.path, chunkSize) : fs.createReadStream(source.path, { highWaterMark: chunkSize });
  const bytesRead = (): number => stream.bytesRead;
  if (st.isFile()) {
    const gz = await startsWithGzipMagic(source.path);
    return { chunks: gz ? gunzipMembers(stream as AsyncIterable<Buffer>, notice) : stream as AsyncIterable<Buffer>, bytesRead };
  }
  // a pipe given by name (e.g. <(zcat ...)): it cannot be peeked at by position
  return { chunks: await maybeGunzip(stream as AsyncIterable<Buffer>, notice), bytesRead };
}

/**
 * Reads one input through a fresh `RecordSplitter`, in blocks cut where a
 * parallel replay cuts them (`blockCut`), so both see the same pushes. Read
 * and gzip errors are reported to `sink.error`; this function does not throw
 * for them.
 */
export async function readSource(source: InputSource, sink: RecordSink, options: ReadOptions): Promise<void> {
  const splitter = new RecordSplitter(sink, options.maxRecordBytes);
  const capacity = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
  const block = Buffer.allocUnsafe(capacity);
  let fill = 0;
  const notes: string[] = [];
  let failure: string | undefined;
  let input: OpenedInput | undefined;
  try {
    input = await openSource(source, options, message => notes.push(message));
    const full = (): void => {
      const at = blockCut(block, fill) || fill;
      splitter.push(block.subarray(0, at));
      splitter.detach(); // the block is reused
      block.copyWithin(0, at, fill);
      fill -= at;
    };
    if (input.readInto) {
      for (let n; (n = await input.readInto(block, fill, capacity - fill)) > 0;) {
        fill += n;
        if (fill === capacity) full();
        options.onProgress?.(input.bytesRead());
      }
    } else {
      for await (const chunk of input.chunks) {
        for (let off = 0; off < chunk.length;) {
          const n = chunk.copy(block, fill, off, Math.min(chunk.length, off + capacity - fill));
          fill += n;
          off += n;
          if (fill === capacity) full();
        }
        options.onProgress?.(input.bytesRead());
      }
    }
  } catch (e: any) {
    failure = readErrorMessage(source, e);
  } finally {
    await input?.close?.().catch(() => undefined);
  }
  if (fill > 0) splitter.push(block.subarray(0, fill));
  // Problems of the whole input (gzip trailing bytes) come after its records, and before what the end reveals.
  for (const note of notes) sink.error(0, note);
  if (failure !== undefined) {
    // One report per defect: the read error, naming what was lost with it.
    sink.error(splitter.currentLine, readFailureMessage(failure, splitter.abort()));
    return;
  }
  splitter.end();
}

/**
 * Standard input by its file descriptor: read into the caller's memory
 * (`readInto`), or through a gunzip stage when it starts with the gzip magic
 * bytes. A descriptor left non-blocking by someone else answers EAGAIN when
 * no data is there yet: the read is tried again after a short wait.
 */
async function openDescriptor(fd: number, notice: GzipNotice): Promise<OpenedInput> {
  let total = 0;
  const read = async (target: Buffer, offset: number, length: number): Promise<number> => {
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        const n = await new Promise<number>((resolve, reject) =>
          fs.read(fd, target, offset, length, null, (e, bytes) => (e ? reject(e) : resolve(bytes))));
        total += n;
        return n;
      } catch (e: any) {
        if (e?.code !== 'EAGAIN') throw e;
        await new Promise(r => setTimeout(r, wait));
      }
    }
  };
  // the first bytes tell gzip from the rest
  const head = Buffer.allocUnsafe(65_536);
  let headLength = 0;
  while (headLength < 2) {
    const n = await read(head, headLength, head.length - headLength);
    if (n === 0) break;
    headLength += n;
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    if (headLength > 0) yield head.subarray(0, headLength);
    for (;;) {
      const chunk = Buffer.allocUnsafe(1_048_576);
      const n = await read(chunk, 0, chunk.length);
      if (n === 0) return;
      yield chunk.subarray(0, n);
    }
  }
  if (headLength >= 2 && head[0] === 0x1f && head[1] === 0x8b) return { chunks: gunzipMembers(chunks(), notice), bytesRead: () => total };
  let pending = headLength;
  const readInto = async (target: Buffer, offset: number, length: number): Promise<number> => {
    if (pending > 0) {
      const n = head.copy(target, offset, headLength - pending, headLength - pending + Math.min(pending, length));
      pending -= n;
      return n;
    }
    return read(target, offset, length);
  };
  return { chunks: chunks(), bytesRead: () => total, readInto };
}

/** A plain regular file, read into the caller's memory (`readInto`), or by chunks of 1 MiB. */
async function openPlainFile(file: string): Promise<OpenedInput> {
  const handle = await fs.promises.open(file, 'r');
  let position = 0;
  let closed = false;
  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  const readInto = async (target: Buffer, offset: number, length: number): Promise<number> => {
    try {
      const { bytesRead } = await handle.read(target, offset, length, position);
      position += bytesRead;
      if (bytesRead === 0) await close();
      return bytesRead;
    } catch (e) {
      await close().catch(() => undefined);
      throw e;
    }
  };
  async function* chunks(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = Buffer.allocUnsafe(1_048_576);
      const n = await readInto(chunk, 0, chunk.length);
      if (n === 0) return;
      yield chunk.subarray(0, n);
    }
  }
  return { chunks: chunks(), bytesRead: () => position, readInto, close };
}

/** The one report of an input that could not be read to its end: the read error and what it cut short. */
export function readFailureMessage(error: string, lost: string | undefined): string {
  return `${error}${lost ? `; ${lost}` : ''}. The rest of this input is skipped`;
}

/** A read or gzip error, in one line that names the input. */
export function readErrorMessage(source: InputSource, e: any): string {
  if (source.remote && !(e instanceof GzipError)) return source.remote.describeError(e);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const what = source.path === '-' ? 'standard input' : `"${source.display}"`;
  if (code === 'ENOENT') return `cannot read ${what}: it no longer exists (removed after the directory was walked?)`;
  if (e instanceof GzipError) return `cannot read ${what}: ${e.message}`;
  let message = String(e?.message ?? e);
  // Node's messages repeat the syscall and path ("EIO: i/o error, read"): keep them, on one line.
  message = message.split('\n')[0];
  return `cannot read ${what}: ${message}${code && !message.includes(code) ? ` (${code})` : ''}`;
}

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fd.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fd.close();
  }
}

function countBytes(src: AsyncIterable<Buffer | string>): { chunks: AsyncIterable<Buffer>; bytes: () => number } {
  let n = 0;
  async function* gen(): AsyncGenerator<Buffer> {
    for await (const c of src) {
      const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      n += b.length;
      yield b;
    }
  }
  return { chunks: gen(), bytes: () => n };
}

/** Peeks at the first chunk of a stream and inserts a gunzip stage when it holds the gzip magic bytes. */
async function maybeGunzip(src: AsyncIterable<Buffer>, notice: GzipNotice): Promise<AsyncIterable<Buffer>> {
  const it = src[Symbol.asyncIterator]();
  let first = await it.next();
  // a single-byte first chunk cannot tell; wait for a second byte
  let head: Buffer[] = first.done ? [] : [first.value];
  while (!first.done && Buffer.concat(head).length < 2) {
    first = await it.next();
    if (!first.done) head.push(first.value);
  }
  const joined = Buffer.concat(head);
  async function* rest(): AsyncGenerator<Buffer> {
    if (joined.length > 0) yield joined;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  if (joined.length >= 2 && joined[0] === 0x1f && joined[1] === 0x8b) {
    return gunzipMembers(rest(), notice);
  }
  return rest();
}
