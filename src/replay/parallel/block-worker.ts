/**
 * The worker side of a parallel replay: splits and evaluates the blocks the
 * main thread hands over and sends back what each yielded (a `BlockDelta`).
 */
import { parentPort, workerData } from 'worker_threads';
import { HeapBounds } from './heap-bounds';
import { BlockResult, DeltaRecorder, FromWorker, lineMarker, REPLAY_WORKER_MARK, ToWorker, WorkerInit } from './protocol';
import { compileFilter, ReplayControl } from '../controls';
import { readFailureMessage } from '../event-source';
import { RecordSplitter } from '../record-splitter';
import { RecordEvaluator } from '../replay-engine';

/**
 * Evaluates blocks: one `RecordEvaluator` for the controls, one splitter per
 * segment of input it is reading (a segment's blocks come in order).
 */
export class BlockProcessor {
  private readonly evaluator: RecordEvaluator;
  private readonly recorder: DeltaRecorder;
  private readonly splitters = new Map<number, RecordSplitter>();
  private readonly maxRecordBytes: number;

  constructor(init: WorkerInit) {
    const controls: ReplayControl[] = init.controls.map((filters, i) => ({
      key: String(i),
      namespace: '',
      metricName: '',
      alarms: [],
      filters: filters.map(f => compileFilter(f.id, f.pattern, f.metricValue)),
    }));
    this.recorder = new DeltaRecorder(init.eventIds, init.maxErrors);
    this.evaluator = new RecordEvaluator(controls, this.recorder, { prefilter: init.prefilter });
    this.maxRecordBytes = init.maxRecordBytes;
  }

  /** Handles one message; returns the result to send back, if any. */
  public handle(message: Exclude<ToWorker, { type: 'init' }>): BlockResult | undefined {
    if (message.type === 'drop') {
      this.splitters.delete(message.segment);
      return undefined;
    }
    let splitter = this.splitters.get(message.segment);
    if (message.start === 'continue') {
      if (!splitter) throw new Error(`internal: block ${message.dispatch} continues segment ${message.segment}, which this worker does not hold`);
    } else {
      splitter = new RecordSplitter(this.evaluator.sinkFor(message.display), this.maxRecordBytes, lineMarker);
      if (message.start === 'line') splitter.startAtLine(message.base);
      this.splitters.set(message.segment, splitter);
    }
    if (message.length > 0) splitter.push(Buffer.from(message.bytes, 0, message.length));
    for (const note of message.notes ?? []) this.recorder.error(message.display, 0, note);
    let clean = false;
    if (message.abort !== undefined) {
      this.recorder.error(message.display, splitter.currentLine, readFailureMessage(message.abort, splitter.abort()));
      this.splitters.delete(message.segment);
    } else if (message.last) {
      splitter.end();
      this.splitters.delete(message.segment);
    } else {
      // the block is reused once this returns: keep a copy of an open record's bytes
      splitter.detach();
      if (message.cutAfter) {
        clean = splitter.atLineModeBoundary;
        // kept when not clean: the main thread then hands this splitter the next blocks again
        if (clean) this.splitters.delete(message.segment);
      }
    }
    return { type: 'result', dispatch: message.dispatch, bytes: message.bytes, delta: this.recorder.take(), line: splitter.currentLine, records: splitter.records, clean };
  }
}

/** Whether this thread is a replay worker started by `threadLauncher`. */
export function isReplayWorker(): boolean {
  return parentPort !== null && workerData !== null && typeof workerData === 'object' && workerData[REPLAY_WORKER_MARK] === true;
}

/** The worker thread's main loop: blocks in, results out; any failure is reported to the main thread. */
export function serveReplayBlocks(): void {
  const port = parentPort!;
  const fail = (e: any): void => port.postMessage({ type: 'failure', message: String(e?.stack ?? e?.message ?? e) } satisfies FromWorker);
  let processor: BlockProcessor | undefined;
  const start = (init: WorkerInit): void => {
    try {
      processor = new BlockProcessor(init);
    } catch (e) {
      fail(e);
    }
  };
  // started with its controls, or before they were known (they come first, in an 'init' message)
  if (workerData.init) start(workerData.init as WorkerInit);
  port.on('message', (message: ToWorker) => {
    if (message.type === 'init') {
      start(message.init);
      return;
    }
    if (!processor) return; // it could not start: reported
    try {
      const result = processor.handle(message);
      if (result) port.postMessage(result, [result.bytes, result.delta.ops.buffer as ArrayBuffer]);
      HeapBounds.blockDone();
    } catch (e) {
      fail(e);
    }
  });
}
