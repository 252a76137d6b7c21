/**
 * The main thread of a parallel replay.
 *
 * Inputs are read here (files and standard input straight into memory, gzip
 * inflated on libuv's thread pool, S3 objects, log streams) into fixed-size
 * blocks and evaluated by workers: worker threads, and this thread itself
 * when the threads have enough waiting. A block's memory moves to its worker
 * and back (see ./protocol.ts); memory is bounded by the number of blocks,
 * allocated once.
 *
 * One input is read by several workers at once when it is NDJSON: a full
 * block is cut after its last line break between a `}` and a `{`
 * (`blockCut`), and the next block starts a new splitter that assumes it is
 * at an NDJSON line start (a speculative start). The worker that read the
 * bytes before the cut checks that its own splitter ended in exactly that
 * state. When it did not (records pretty-printed one after the other), the
 * blocks read on that assumption are discarded and read again, in order, by
 * that worker's splitter. Cuts depend only on the bytes, never on timing, so
 * every splitter gets the same pushes as a single thread's. Inputs without
 * such boundaries (one-line CloudTrail files) are read block after block by
 * one worker; other inputs go to other workers meanwhile.
 *
 * Results are replayed into the tally in input order and, within an input,
 * in block order, with line numbers and record indexes made absolute. So the
 * report is the one a single thread makes: the same counts, sums, alarm
 * buckets, Space-Saving counters (hence top principals), event ids and
 * problems, in the same order.
 */
import { BlockProcessor } from './block-worker';
import { HeapBounds } from './heap-bounds';
import { BlockResult, BlockStart, FromWorker, ProcessBlock, replayDelta, SegmentOrigin, ToWorker, WorkerInit } from './protocol';
import { filterSource, ReplayControl } from '../controls';
import { InputSource, OpenedInput, openSource, ReadOptions, readErrorMessage } from '../event-source';
import { blockCut, DEFAULT_BLOCK_BYTES } from '../record-splitter';
import { ReplayTally } from '../replay-engine';

/** A running worker, as the scheduler sees it. */
export interface WorkerHandle {
  /** It runs on this thread, which also reads and adds up: it gets a block only when every worker thread has LOCAL_HANDICAP more outstanding than it. */
  readonly local?: boolean;
  post(message: ToWorker): void;
  terminate(): Promise<void>;
}

/** What a worker tells the scheduler. */
export interface WorkerEvents {
  message(message: FromWorker): void;
  /** The worker failed or exited unexpectedly. */
  error(error: Error): void;
}

/** Starts one worker. */
export type WorkerLauncher = (init: WorkerInit, events: WorkerEvents, index: number) => WorkerHandle;

/** Options of a parallel replay. */
export interface ParallelReplayOptions {
  readonly workers: number;
  readonly launcher: WorkerLauncher;
  /** Bytes per block (the same as the one-thread reader's, for the same pushes). @default DEFAULT_BLOCK_BYTES */
  readonly blockBytes?: number;
  /** Inputs read at the same time (S3 objects are fetched this many at once; each holds a block). @default 2 per worker, and no more than the inputs when they are given as an array */
  readonly concurrentInputs?: number;
  readonly eventIds: boolean;
  readonly prefilter: boolean;
  readonly maxRecordBytes: number;
  readonly maxErrors: number;
}

/** Progress of a parallel replay. */
export interface ParallelProgress {
  /** Inputs fully read and added up. */
  readonly inputsDone: number;
  /** Bytes read from where the inputs are stored (compressed bytes for gzip), inputs in progress included. */
  readonly bytesRead: number;
  /** Records added up so far. */
  readonly events: number;
}


interface Segment {
  readonly id: number;
  /** The worker holding its splitter. */
  owner: number;
  /** Known once the segment's start is checked; a speculative segment found wrong is folded into the one before it. */
  valid: boolean;
  /** Where its line and record numbers start (set when valid). */
  origin?: SegmentOrigin;
}

interface Block {
  /** The block's memory while this thread holds it (not while a worker reads it; not after release). */
  bytes?: ArrayBuffer;
  readonly length: number;
  readonly base: number;
  start: BlockStart;
  segment: Segment;
  readonly cutAfter: boolean;
  readonly last: boolean;
  readonly notes?: string[];
  readonly abort?: string;
  /** The dispatch whose result counts (a re-read makes a new one); 0 while waiting to be dispatched. */
  dispatch: number;
  result?: BlockResult;
  /** Final: its result counts and its memory went back to the pool. */
  released: boolean;
}

/** How a block ends, as its reader cut it. */
interface BlockEnd {
  readonly cutAfter: boolean;
  readonly last: boolean;
  readonly notes?: string[];
  readonly abort?: string;
}

/** One input being read: its blocks not yet added up, in order. */
class InputRun {
  public readonly blocks: Block[] = [];
  /** The last block added up (its result ends the segment before a speculative start). */
  public lastMerged?: Block;
  public readDone = false;
  public bytesRead = 0;
  /** The segment the next continuation block belongs to. */
  public current?: Segment;
  public nextStart: BlockStart = 'fresh';
  /** Blocks waiting to be dispatched, in order (a re-read waits for its block's memory to come back). */
  public readonly waiting: Block[] = [];

  constructor(public readonly display: string) {}
}

/** Block memory, allocated once (`allocate`); `acquire` waits for a free block. */
class BlockPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly waiting: Array<{ resolve: (b: ArrayBuffer) => void; reject: (e: Error) => void }> = [];
  private failure?: Error;
  private allocated = 0;

  public allocate(count: number, bytes: number): void {
    this.allocated += count;
    for (let i = 0; i < count; i++) this.release(new ArrayBuffer(bytes));
  }

  /** Blocks allocated. */
  public get size(): number {
    return this.allocated;
  }

  public acquire(): Promise<ArrayBuffer> {
    if (this.failure) return Promise.reject(this.failure);
    const b = this.free.pop();
    if (b !== undefined) return Promise.resolve(b);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  public release(b: ArrayBuffer): void {
    const w = this.waiting.shift();
    if (w) w.resolve(b);
    else this.free.push(b);
  }

  public fail(e: Error): void {
    this.failure = e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }
}

/**
 * Reads inputs with worker threads into a `ReplayTally` (see the module
 * comment). `run` resolves when every input is added up, and rejects on the
 * first error of the input list or of a worker.
 */
export class ParallelReplay {
  private readonly pool = new BlockPool();
  private readonly workers: Array<{ handle: WorkerHandle; outstanding: number }> = [];
  private readonly dispatches = new Map<number, { run: InputRun; block: Block; worker: number }>();
  /** Inputs started and not yet added up, in input order. */
  private readonly runs: InputRun[] = [];
  private readonly blockBytes: number;
  private readonly concurrentInputs: number;
  private nextDispatch = 1;
  private nextSegment = 1;
  private inputsDone = 0;
  private readonly counts = { blocks: 0, speculativeStarts: 0, rereads: 0 };
  private bytesDone = 0;
  private failure?: Error;
  /** Resolves the promise `run` waits on (see `nextEvent`). */
  private wake: () => void;

  constructor(controls: readonly ReplayControl[], private readonly tally: ReplayTally, options: ParallelReplayOptions) {
    this.wake = () => undefined;
    this.blockBytes = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
    this.concurrentInputs = options.concurrentInputs ?? 2 * options.workers;
    const init: WorkerInit = {
      controls: controls.map(c => c.filters.map(filterSource)),
      prefilter: options.prefilter,
      eventIds: options.eventIds,
      maxErrors: options.maxErrors,
      maxRecordBytes: options.maxRecordBytes,
    };
    for (let i = 0; i < options.workers; i++) {
      const w = i;
      this.workers.push({
        outstanding: 0,
        handle: options.launcher(init, {
          message: m => this.onMessage(w, m),
          error: e => this.fail(new Error(`a replay worker thread failed: ${e.message}`)),
        }, i),
      });
    }
  }

  /** Blocks handed to workers, speculative starts that held, blocks read again because one did not, and the pool's blocks. */
  public get stats(): { blocks: number; speculativeStarts: number; rereads: number; poolBlocks: number } {
    return { ...this.counts, poolBlocks: this.pool.size };
  }

  public get progress(): ParallelProgress {
    const reading = this.runs.reduce((n, r) => n + (r.readDone ? 0 : r.bytesRead), 0);
    return { inputsDone: this.inputsDone, bytesRead: this.bytesDone + reading, events: this.tally.events };
  }

  /** Reads every input, in order, and adds up what they yield. Stops the workers at the end. */
  public async run(inputs: AsyncIterable<InputSource> | Iterable<InputSource>, read: ReadOptions): Promise<void> {
    const reading = new Set<Promise<void>>();
    // no more inputs at once than there are (standard input, one file), as each holds a block
    const concurrentInputs = Array.isArray(inputs) ? Math.max(1, Math.min(this.concurrentInputs, inputs.length)) : this.concurrentInputs;
    this.allocateBlocks(concurrentInputs);
    try {
      for await (const source of inputs) {
        // Inputs are added up in order: do not run far ahead of the first one not added up yet.
        while (!this.failure && (reading.size >= concurrentInputs || this.runs.length >= 4 * concurrentInputs)) await this.nextEvent();
        this.throwIfFailed();
        const run = new InputRun(source.display);
        this.runs.push(run);
        const p: Promise<void> = this.readInput(run, source, read).finally(() => {
          reading.delete(p);
          this.wake();
        });
        reading.add(p);
      }
      while (!this.failure && (reading.size > 0 || this.runs.length > 0)) await this.nextEvent();
      this.throwIfFailed();
    } catch (e: any) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      throw e;
    } finally {
      this.pool.fail(this.failure ?? new Error('the replay has ended'));
      await Promise.all(reading);
      await Promise.all(this.workers.map(w => w.handle.terminate()));
    }
  }

  /**
   * The block pool: what the replay's memory grows to, as every block of it is in use at times in a long run (by a pipe's
   * stalls, if not by a fast reader). A worker thread holds up to LOCAL_HANDICAP + 1 blocks (the one in hand included) before
   * this thread takes one, and this thread one or two (a bound, not a tally); each input being read fills one, and one more lets
   * a reader cut while the others are out.
   */
  private allocateBlocks(concurrentInputs: number): void {
    const threads = this.workers.filter(w => !w.handle.local).length;
    const local = this.workers.length - threads;
    this.pool.allocate((LOCAL_HANDICAP + 1) * threads + 2 * local + concurrentInputs + 1, this.blockBytes);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Waits until an input finishes reading or a block is added up (or anything fails). */
  private nextEvent(): Promise<void> {
    return new Promise<void>(resolve => {
      this.wake = resolve;
    });
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.pool.fail(e);
    this.wake();
  }

  /**
   * Reads one input into blocks and hands them to workers. The input's own
   * read errors are reported through its last block; never throws (it stops
   * when the replay has failed).
   */
  private async readInput(run: InputRun, source: InputSource, read: ReadOptions): Promise<void> {
    let block: Buffer;
    try {
      block = Buffer.from(await this.pool.acquire());
    } catch {
      return; // the replay has failed
    }
    const notes: string[] = [];
    let fill = 0;
    let base = 0;
    let abort: string | undefined;
    let opened: OpenedInput | undefined;
    try {
      opened = await openSource(source, read, message => notes.push(message));
      if (opened.readInto) {
        for (let n; (n = await opened.readInto(block, fill, this.blockBytes - fill)) > 0;) {
          fill += n;
          if (fill === this.blockBytes) ({ block, fill, base } = await this.cut(run, block, fill, base));
          run.bytesRead = opened.bytesRead();
        }
      } else {
        for await (const chunk of opened.chunks) {
          for (let off = 0; off < chunk.length;) {
            const n = chunk.copy(block, fill, off, Math.min(chunk.length, off + this.blockBytes - fill));
            fill += n;
            off += n;
            if (fill === this.blockBytes) ({ block, fill, base } = await this.cut(run, block, fill, base));
          }
          run.bytesRead = opened.bytesRead();
        }
      }
    } catch (e: any) {
      if (this.failure) return;
      abort = readErrorMessage(source, e);
    } finally {
      await opened?.close?.().catch(() => undefined);
    }
    this.send(run, block, fill, base, { cutAfter: false, last: true, notes, abort });
    run.readDone = true;
    this.bytesDone += source.size;
  }

  /** Hands a full block to a worker and returns the next block, holding what follows the cut. */
  private async cut(run: InputRun, block: Buffer, fill: number, base: number): Promise<{ block: Buffer; fill: number; base: number }> {
    const at = blockCut(block, fill);
    if (at === 0) {
      this.send(run, block, fill, base, { cutAfter: false, last: false });
      return { block: Buffer.from(await this.pool.acquire()), fill: 0, base: base + fill };
    }
    const tail = Buffer.from(block.subarray(at, fill));
    this.send(run, block, at, base, { cutAfter: true, last: false });
    const next = Buffer.from(await this.pool.acquire());
    tail.copy(next, 0);
    return { block: next, fill: tail.length, base: base + at };
  }

  private send(run: InputRun, bytes: Buffer, length: number, base: number, how: BlockEnd): void {
    const start = run.nextStart;
    let segment: Segment;
    if (start === 'continue') {
      segment = run.current!;
    } else {
      segment = { id: this.nextSegment++, owner: -1, valid: start === 'fresh' }; // its owner is chosen at dispatch
      if (start === 'fresh') segment.origin = { line: 1, records: 0 };
      run.current = segment;
    }
    const block: Block = {
      bytes: bytes.buffer as ArrayBuffer,
      length,
      base,
      start,
      segment,
      cutAfter: how.cutAfter,
      last: how.last,
      ...(how.notes && how.notes.length > 0 ? { notes: how.notes } : {}),
      ...(how.abort !== undefined ? { abort: how.abort } : {}),
      dispatch: 0,
      released: false,
    };
    run.blocks.push(block);
    this.counts.blocks++;
    run.nextStart = how.cutAfter ? 'line' : 'continue';
    // behind a re-read still waiting for its memory: keep the order in which a splitter gets its blocks
    run.waiting.push(block);
    this.dispatchWaiting(run);
  }

  private leastBusyWorker(): number {
    const load = (i: number): number => this.workers[i].outstanding + (this.workers[i].handle.local && this.workers.length > 1 ? LOCAL_HANDICAP : 0);
    let best = 0;
    for (let i = 1; i < this.workers.length; i++) if (load(i) < load(best)) best = i;
    return best;
  }

  /** Dispatches the input's waiting blocks in order, up to the first whose memory is still with a worker. */
  private dispatchWaiting(run: InputRun): void {
    while (run.waiting.length > 0 && run.waiting[0].bytes !== undefined) this.dispatch(run, run.waiting.shift()!);
  }

  private dispatch(run: InputRun, block: Block): void {
    const dispatch = this.nextDispatch++;
    const bytes = block.bytes!;
    block.dispatch = dispatch;
    block.result = undefined;
    block.bytes = undefined; // moved to the worker
    if (block.start !== 'continue') block.segment.owner = this.leastBusyWorker();
    const worker = block.segment.owner;
    this.dispatches.set(dispatch, { run, block, worker });
    this.workers[worker].outstanding++;
    const message: ProcessBlock = {
      type: 'block',
      dispatch,
      bytes,
      length: block.length,
      segment: block.segment.id,
      start: block.start,
      base: block.base,
      display: run.display,
      cutAfter: block.cutAfter,
      last: block.last,
      ...(block.notes ? { notes: block.notes } : {}),
      ...(block.abort !== undefined ? { abort: block.abort } : {}),
    };
    this.workers[worker].handle.post(message);
  }

  private onMessage(worker: number, message: FromWorker): void {
    if (this.failure) return;
    if (message.type === 'failure') {
      this.fail(new Error(`a replay worker thread failed: ${message.message}`));
      return;
    }
    const d = this.dispatches.get(message.dispatch);
    if (!d || d.worker !== worker) {
      this.fail(new Error(`internal: a replay worker answered dispatch ${message.dispatch}, which it was not given`));
      return;
    }
    this.dispatches.delete(message.dispatch);
    this.workers[worker].outstanding--;
    d.block.bytes = message.bytes;
    try {
      // a block re-read since this dispatch: the result was made on a wrong assumption; its memory is back
      if (d.block.dispatch === message.dispatch) {
        d.block.result = message;
        this.settle(d.run);
        this.merge();
      }
      this.dispatchWaiting(d.run);
    } catch (e: any) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
    this.wake();
  }

  /**
   * Checks the speculative starts of an input in order, re-reads the blocks of
   * a wrong one, and gives back the memory of blocks whose result is final.
   */
  private settle(run: InputRun): void {
    let prev = run.lastMerged;
    for (const block of run.blocks) {
      if (!block.segment.valid) {
        // Only a speculative start can be unchecked; its check needs the final result of the block before it.
        if (block.start !== 'line' || !prev?.result || !prev.segment.valid) return;
        const before = prev.segment;
        if (prev.result.clean) {
          this.counts.speculativeStarts++;
          block.segment.valid = true;
          block.segment.origin = { line: before.origin!.line + prev.result.line - 1, records: before.origin!.records + prev.result.records };
        } else {
          this.reread(run, block.segment, before);
        }
      }
      if (block.result && !block.released) {
        this.pool.release(block.bytes!);
        block.bytes = undefined;
        block.released = true;
      }
      prev = block;
    }
  }

  /** A speculative start was wrong: the worker holding `into`'s splitter reads `wrong`'s blocks on, in order. */
  private reread(run: InputRun, wrong: Segment, into: Segment): void {
    if (run.current === wrong) run.current = into;
    this.workers[wrong.owner].handle.post({ type: 'drop', segment: wrong.id });
    const again = run.blocks.filter(b => b.segment === wrong);
    for (const block of again) {
      if (block.released) throw new Error('internal: a block to read again was already released');
      block.segment = into;
      block.start = 'continue';
      block.result = undefined;
      block.dispatch = 0; // a result still on its way is stale
      this.counts.rereads++;
    }
    // before anything still waiting (cut after them)
    const later = run.waiting.splice(0).filter(b => !again.includes(b));
    run.waiting.push(...again, ...later);
    this.dispatchWaiting(run);
  }

  /** Adds up, in input order, every block whose result is final. */
  private merge(): void {
    while (this.runs.length > 0) {
      const run = this.runs[0];
      while (run.blocks.length > 0) {
        const block = run.blocks[0];
        if (!block.result || !block.segment.valid) return;
        run.blocks.shift();
        replayDelta(block.result.delta, run.display, block.segment.origin!, this.tally);
        HeapBounds.blockDone();
        // only its line, record count and cleanness are needed from now on (the next segment's start)
        block.result = { ...block.result, delta: EMPTY_DELTA };
        run.lastMerged = block;
      }
      if (!run.readDone) return;
      this.runs.shift();
      this.inputsDone++;
    }
  }
}

/**
 * Blocks a worker thread has waiting before a worker on this thread gets one:
 * this thread empties its queue at once (it runs it between reads), so by
 * queue length alone it would take every block while the threads wait. With
 * 2 the worker thread of a 2-core replay still ran dry while this thread
 * evaluated (idle about 30 % of the run in a CPU profile); 4 made the 1M-event
 * NDJSON benchmark about 15 % faster, and 3 to 6 measured alike.
 */
const LOCAL_HANDICAP = 4;

const EMPTY_DELTA = { events: 0, ops: new Float64Array(0), strings: [], errors: [], errorsOmitted: 0 };

/** Runs the block processor on this thread (the first worker of a replay; every worker in tests and from TypeScript sources). */
export function inThreadLauncher(): WorkerLauncher {
  return (init, events) => {
    const processor = new BlockProcessor(init);
    let stopped = false;
    return {
      local: true,
      post: message => setImmediate(() => {
        if (stopped || message.type === 'init') return;
        try {
          const result = processor.handle(message);
          if (result) events.message(result);
        } catch (e: any) {
          events.message({ type: 'failure', message: String(e?.stack ?? e) });
        }
      }),
      terminate: async () => {
        stopped = true;
      },
    };
  };
}
