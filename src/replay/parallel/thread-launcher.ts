import * as path from 'path';
import { Worker } from 'worker_threads';
import { inThreadLauncher, WorkerLauncher } from './parallel-replay';
import { REPLAY_WORKER_MARK } from './protocol';

/**
 * Starts workers as threads running `script`, the CLI's own entry point (it
 * serves blocks when it finds `REPLAY_WORKER_MARK` in its `workerData`).
 */
export function threadLauncher(script: string): WorkerLauncher {
  return (init, events) => {
    const worker = new Worker(script, { workerData: { [REPLAY_WORKER_MARK]: true, init } });
    let ending = false;
    worker.on('message', message => events.message(message));
    worker.on('error', e => events.error(e));
    worker.on('exit', code => {
      if (!ending) events.error(new Error(`the thread exited with code ${code}`));
    });
    return {
      post: message => worker.postMessage(message, message.type === 'block' ? [message.bytes] : []),
      terminate: async () => {
        ending = true;
        await worker.terminate();
      },
    };
  };
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
 * this CLI. From TypeScript sources, where threads cannot start, all of them
 * run on this thread (the same results, one core).
 */
export function replayLauncher(): WorkerLauncher {
  const here = inThreadLauncher();
  const entry = workerEntry(__filename);
  const threads = entry ? threadLauncher(entry) : here;
  return (init, events, index) => (index === 0 ? here(init, events, index) : threads(init, events, index));
}
