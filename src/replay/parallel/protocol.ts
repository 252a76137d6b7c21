/**
 * Messages between the main thread of a parallel replay and its workers, and
 * the compact record of what a block of input yields (`BlockDelta`).
 *
 * The main thread cuts each input into blocks: `ArrayBuffer`s allocated
 * once and moved (transferred, not copied) to a worker and back with its
 * result, so memory does not grow with the input. (Shared memory would save
 * nothing: V8 copies into it with atomic-safe loops and Node searches
 * views of it several times slower.) A worker splits and evaluates a block and records, in order, the
 * calls an `EvaluationSink` would get; the main thread replays those calls
 * into its `ReplayTally` in input order. Every count, sum, alarm bucket,
 * Space-Saving counter and list is therefore built by the same calls in the
 * same order as on one thread.
 */
import { FilterSource } from '../controls';
import { EvaluationSink } from '../replay-engine';

/** Marks the `workerData` of a replay worker, so the CLI's entry point knows to serve blocks. */
export const REPLAY_WORKER_MARK = 'cdk-cis-monitoring:replay-worker';

/** What a worker needs to evaluate blocks. */
export interface WorkerInit {
  /** Each control's filters, to be compiled in the worker. */
  readonly controls: ReadonlyArray<ReadonlyArray<FilterSource>>;
  readonly prefilter: boolean;
  readonly eventIds: boolean;
  readonly maxErrors: number;
  readonly maxRecordBytes: number;
}

/** How a block starts. */
export type BlockStart =
  /** The first block of an input: a new splitter. */
  | 'fresh'
  /** A new splitter assumed to be at an NDJSON line start (see `RecordSplitter.startAtLine`). */
  | 'line'
  /** The splitter of `segment` reads on. */
  | 'continue';

/** Main -> worker: evaluate a block. */
export interface ProcessBlock {
  readonly type: 'block';
  /** Unique per dispatch: a result for an earlier dispatch of the same block is stale. */
  readonly dispatch: number;
  /** The block (transferred); its first `length` bytes are the input's. Sent back with the result. */
  readonly bytes: ArrayBuffer;
  readonly length: number;
  /** Which splitter: a new one for 'fresh' and 'line', the worker's own for 'continue'. */
  readonly segment: number;
  readonly start: BlockStart;
  /** Absolute offset of the block's first byte in the input (for 'line'). */
  readonly base: number;
  /** How problems name the input. */
  readonly display: string;
  /** The next block starts a new splitter at the line start after this block: report whether this one ends there. */
  readonly cutAfter: boolean;
  /** The input ends after this block. */
  readonly last: boolean;
  /** Problems of the whole input found by the reader (gzip trailing bytes), reported before the end. */
  readonly notes?: readonly string[];
  /** The input could not be read past this block: the reader's message (see `readFailureMessage`). */
  readonly abort?: string;
}

/** Main -> worker: what to evaluate, the first message to a thread started before the controls were known. */
export interface InitWorker {
  readonly type: 'init';
  readonly init: WorkerInit;
}

/** Main -> worker: forget a splitter (its blocks are read again by another). */
export interface DropSegment {
  readonly type: 'drop';
  readonly segment: number;
}

export type ToWorker = InitWorker | ProcessBlock | DropSegment;

/** Worker -> main: what a block yielded. */
export interface BlockResult {
  readonly type: 'result';
  readonly dispatch: number;
  /** The block, handed back (transferred) for reuse. */
  readonly bytes: ArrayBuffer;
  readonly delta: BlockDelta;
  /** The splitter's line (1-based, counted from its segment's start) after the block. */
  readonly line: number;
  /** Records the splitter handed over since its segment's start. */
  readonly records: number;
  /** With `cutAfter`: whether the splitter ended at an NDJSON line start (the next block's assumption holds). */
  readonly clean: boolean;
}

/** Worker -> main: the worker cannot go on. */
export interface WorkerFailure {
  readonly type: 'failure';
  readonly message: string;
}

export type FromWorker = BlockResult | WorkerFailure;

/** A problem found in a block; `line` and `record` count from the block's segment start (line 0: the whole input). */
export interface DeltaError {
  readonly line: number;
  readonly message: string;
  readonly record?: number;
  readonly offset?: number;
}

/**
 * What a block yielded, in order. `ops` holds, one after the other:
 * match `[1, control, time, principal, eventId]`, data point
 * `[2, control, time, value]`, zero-valued match `[3, control]`; principal and
 * eventId index `strings` (eventId -1: none or not collected).
 */
export interface BlockDelta {
  readonly events: number;
  readonly ops: Float64Array;
  readonly strings: string[];
  readonly errors: DeltaError[];
  /** Problems beyond `maxErrors` in this block: counted, not listed. */
  readonly errorsOmitted: number;
}

/**
 * How a worker writes a line number inside a message: it counts lines from
 * its segment's start, which only the main thread can make absolute.
 */
export function lineMarker(line: number): string {
  return `\u0000line ${line}\u0000`;
}

const LINE_MARKER = /\u0000line (\d+)\u0000/g;

const OP_MATCH = 1;
const OP_DATAPOINT = 2;
const OP_ZERO = 3;

/** An `EvaluationSink` that records what one block yields. */
export class DeltaRecorder implements EvaluationSink {
  private events = 0;
  private ops = new Float64Array(4096);
  private n = 0;
  private strings: string[] = [];
  private principalIndex = new Map<string, number>();
  private errors: DeltaError[] = [];
  private omitted = 0;

  constructor(private readonly eventIds: boolean, private readonly maxErrors: number) {}

  public event(): void {
    this.events++;
  }

  public match(control: number, principal: string, eventId: string | null, time: number): void {
    let p = this.principalIndex.get(principal);
    if (p === undefined) {
      p = this.strings.push(principal) - 1;
      this.principalIndex.set(principal, p);
    }
    const id = this.eventIds && eventId !== null ? this.strings.push(eventId) - 1 : -1;
    const o = this.room(5);
    const n = this.n;
    o[n] = OP_MATCH;
    o[n + 1] = control;
    o[n + 2] = time;
    o[n + 3] = p;
    o[n + 4] = id;
    this.n = n + 5;
  }

  public datapoint(control: number, time: number, value: number): void {
    const o = this.room(4);
    const n = this.n;
    o[n] = OP_DATAPOINT;
    o[n + 1] = control;
    o[n + 2] = time;
    o[n + 3] = value;
    this.n = n + 4;
  }

  public zeroOnly(control: number): void {
    const o = this.room(2);
    o[this.n] = OP_ZERO;
    o[this.n + 1] = control;
    this.n += 2;
  }

  public error(_file: string, line: number, message: string, record?: number, offset?: number): void {
    if (this.errors.length < this.maxErrors) {
      this.errors.push(record === undefined ? { line, message } : { line, message, record, offset });
    } else {
      this.omitted++;
    }
  }

  /** What was recorded since the last `take()`; starts afresh. */
  public take(): BlockDelta {
    const delta: BlockDelta = {
      events: this.events, ops: this.ops.slice(0, this.n), strings: this.strings, errors: this.errors, errorsOmitted: this.omitted,
    };
    this.events = 0;
    this.n = 0;
    this.strings = [];
    this.principalIndex = new Map();
    this.errors = [];
    this.omitted = 0;
    return delta;
  }

  /** The ops array, grown to hold `k` more slots. */
  private room(k: number): Float64Array {
    if (this.n + k > this.ops.length) {
      const grown = new Float64Array(this.ops.length * 2);
      grown.set(this.ops);
      this.ops = grown;
    }
    return this.ops;
  }
}

/** Where a segment's line and record numbers start in its input. */
export interface SegmentOrigin {
  /** Absolute line of the segment's first line (1-based). */
  readonly line: number;
  /** Records of the input before the segment. */
  readonly records: number;
}

/** The target of `replayDelta`: a tally (and where the input's problems go). */
export interface DeltaTarget extends EvaluationSink {
  addEvents(n: number): void;
  addOmittedErrors(n: number): void;
}

/**
 * Hands a block's recorded calls to `target` in their order, with problem
 * lines and record indexes made absolute from the segment's `origin`.
 */
export function replayDelta(delta: BlockDelta, file: string, origin: SegmentOrigin, target: DeltaTarget): void {
  target.addEvents(delta.events);
  const o = delta.ops;
  const s = delta.strings;
  for (let i = 0; i < o.length;) {
    switch (o[i]) {
      case OP_MATCH:
        target.match(o[i + 1], s[o[i + 3]], o[i + 4] < 0 ? null : s[o[i + 4]], o[i + 2]);
        i += 5;
        break;
      case OP_DATAPOINT:
        target.datapoint(o[i + 1], o[i + 2], o[i + 3]);
        i += 4;
        break;
      case OP_ZERO:
        target.zeroOnly(o[i + 1]);
        i += 2;
        break;
      default:
        throw new Error(`internal: unknown operation ${o[i]} in a block's results`);
    }
  }
  for (const e of delta.errors) {
    const line = e.line > 0 ? e.line + origin.line - 1 : 0;
    const message = e.message.includes('\u0000') ? e.message.replace(LINE_MARKER, (_, n) => String(Number(n) + origin.line - 1)) : e.message;
    if (e.record === undefined) target.error(file, line, message);
    else target.error(file, line, message, e.record + origin.records, e.offset);
  }
  target.addOmittedErrors(delta.errorsOmitted);
}
