import * as path from 'path';
import { Worker } from 'worker_threads';
import { HeapBounds } from './heap-bounds';
import { inThreadLauncher, WorkerLauncher } from './parallel-replay';
import { REPLAY_WORKER_MARK } from './protocol';

/** A worker thread, started before the controls were known, with what it said until a replay takes it. */
interface Prestarted {
  readonly worker: Worker;
  readonly early: Array<{ kind: 'message' | 'error' | 'exit'; value: any }>;
  /** Stops keeping what it says in `early`. */
  readonly stopKeeping: () => void;
}

/**
 * Starts workers as threads running `script`, the CLI's own entry point (it
 * serves blocks when it finds `REPLAY_WORKER_MARK` in its `workerData`).
 * `prestart` starts threads before the controls are known, so that loading
 * the CLI in them overlaps with loading the controls here; they get their
 * controls first thing when a replay takes them. Until then they are
 * unreferenced: a run that ends early (bad usage) does not wait for them.
 */
export function threadLauncher(script: string): WorkerLauncher & { prestart(count: number): void } {
  const ready: Prestarted[] = [];
  const spawn = (workerData: object): Prestarted => {
    const worker = new Worker(script, { workerData: { [REPLAY_WORKER_MARK]: true, ...workerData } });
    // its boot set V8's flags again: keep the young generation bound (see HeapBounds)
    worker.once('online', () => HeapBounds.keepBound());
    const early: Prestarted['early'] = [];
    const keep = (kind: 'message' | 'error' | 'exit') => (value: any) => early.push({ kind, value });
    const listeners = { message: keep('message'), error: keep('error'), exit: keep('exit') };
    for (const [event, listener] of Object.entries(listeners)) worker.on(event, listener);
    return { worker, early, stopKeeping: () => Object.entries(listeners).forEach(([event, listener]) => worker.off(event, listener)) };
  };
  const launch: WorkerLauncher = (init, events) => {
    const taken = ready.shift();
    const { worker, early, stopKeeping } = taken ?? spawn({ init });
    if (taken) {
      worker.ref();
      worker.postMessage({ type: 'init', init });
    }
    let ending = false;
    const deliver = (kind: 'message' | 'error' | 'exit', value: any): void => {
      if (kind === 'message') events.message(value);
      else if (kind === 'error') events.error(value);
      else if (!ending) events.error(new Error(`the thread exited with code ${value}`));
    };
    stopKeeping();
    worker.on('message', message => deliver('message', message));
    worker.on('error', e => deliver('error', e));
    worker.on('exit', code => deliver('exit', code));
    for (const e of early.splice(0)) deliver(e.kind, e.value);
    return {
      post: message => worker.postMessage(message, message.type === 'block' ? [message.bytes] : []),
      terminate: async () => {
        ending = true;
        await worker.terminate();
      },
    };
  };
  return Object.assign(launch, {
    prestart(count: number) {
      for (let i = 0; i < count; i++) {
        const p = spawn({});
        p.worker.unref();
        ready.push(p);
      }
    },
  });
}

/**
 * The file a worker thread runs: the bundled CLI (lib/bin/cis-monitoring.js)
 * itself, or lib/cli/main.js beside the compiled modules. Undefined when the
 * running code is TypeScript sources (tests): a thread cannot load them.
 * @param moduleFile `__filename` of the module asking
 */
export function workerEntry(moduleFile: string): string | undefined {
  if (!moduleFile.endsWith('.js')) return undefined;
  // compiled: this file is lib/replay/parallel/thread-launcher.js; bundled: everything is one file
  return path.basename(moduleFile) === 'thread-launcher.js' ? path.join(path.dirname(moduleFile), '..', '..', 'cli', 'main.js') : moduleFile;
}

/**
 * The workers of a replay: the first is this thread (which also reads the
 * inputs and adds up the results, but is mostly waiting: one isolate less to
 * warm up and collect than a thread of its own), the others threads running
 * this CLI, `threads` of them started at once (see `threadLauncher`). From
 * TypeScript sources, where threads cannot start, all of them run on this
 * thread (the same results, one core).
 */
export function replayLauncher(threads = 0): WorkerLauncher {
  const here = inThreadLauncher();
  const entry = workerEntry(__filename);
  let there: WorkerLauncher = here;
  if (entry) {
    const launcher = threadLauncher(entry);
    launcher.prestart(threads);
    there = launcher;
  }
  return (init, events, index) => (index === 0 ? here(init, events, index) : there(init, events, index));
}
