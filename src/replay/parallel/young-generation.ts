import * as v8 from 'v8';

/**
 * Keeps V8's young generation from growing with the input. Under replay's
 * allocation rate V8 doubles the young generation of each heap as it warms
 * up, so peak memory grew with the number of records (about 20 MiB between
 * 10^5 and 10^6 on one thread) for no gain in speed (scripts/bench-replay.ts
 * measures both). `--semi-space-growth-factor=1` stops the doubling; V8 reads
 * it whenever it resizes, so setting it at run time is enough.
 *
 * Node sets V8's flags again whenever a worker thread boots, which undoes
 * this one (measured on Node 22: after one `new Worker`, the main heap's
 * young generation grew from 2 to 32 MiB with the flag set before it), so
 * the replay's thread launcher calls `keepBound` when each of its threads
 * is online, and each thread sets it again when it starts serving blocks.
 */
export class YoungGeneration {
  /** Bounds it for this process (the CLI calls this at start-up, in its main thread and in each replay thread). */
  public static bound(): void {
    YoungGeneration.bounded = true;
    v8.setFlagsFromString(FLAG);
  }

  /** Sets the flag again if this process bounded it (a worker thread has booted since). */
  public static keepBound(): void {
    if (YoungGeneration.bounded) v8.setFlagsFromString(FLAG);
  }

  private static bounded = false;
}

const FLAG = '--semi-space-growth-factor=1';
