import * as v8 from 'v8';
import * as vm from 'vm';

/**
 * Keeps each replay thread's V8 heap from growing with the input.
 *
 * Young generation: under replay's allocation rate V8 doubles the young
 * generation of each heap as it warms up, so peak memory grew with the
 * number of records (about 20 MiB between 10^5 and 10^6 on one thread) for
 * no gain in speed (scripts/bench-replay.ts measures both).
 * `--semi-space-growth-factor=1` stops the doubling; V8 reads it whenever it
 * resizes, so setting it at run time is enough. Node sets V8's flags again
 * whenever a worker thread boots, which undoes this one (measured on Node 22:
 * after one `new Worker`, the main heap's young generation grew from 2 to
 * 32 MiB with the flag set before it), so the replay's thread launcher calls
 * `keepBound` when each of its threads is online, and each thread sets it
 * again when it starts serving blocks.
 *
 * Old generation: what outlives two scavenges of that small young
 * generation (block results waiting to be added up in order, records a
 * worker held across a scavenge) is promoted, about 1.7 MB per 10^6 events
 * on the main thread (`--trace-gc-nvp`), and is garbage soon after. V8
 * collects the old generation when it reaches a limit that short runs never
 * reach, so the committed heaps went on growing with the run (one full
 * collection in a 10^7-event run: main heap 25 -> 33 MiB, the worker
 * thread's 15 -> 16 MiB).
 * Each thread now makes a full collection every COLLECT_EVERY_BLOCKS
 * blocks. One costs the thread 7 to 19 ms (`--trace-gc`, 20 MiB heaps), so
 * it is made about once a second of the thread's work, about 1 % of it.
 * `gc` is V8's own (`--expose-gc`, reached at run time through a new
 * context, as the flag only adds it to contexts made after it is set).
 */
export class HeapBounds {
  /** Bounds this thread's heap (the CLI calls this at start-up, in its main thread and in each replay thread). */
  public static bound(): void {
    HeapBounds.bounded = true;
    v8.setFlagsFromString(YOUNG_FLAG);
    if (!HeapBounds.collect) {
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as (() => void) | undefined;
      if (typeof gc === 'function') HeapBounds.collect = gc;
    }
  }

  /** Sets the young generation's flag again if this process bounded it (a worker thread has booted since). */
  public static keepBound(): void {
    if (HeapBounds.bounded) v8.setFlagsFromString(YOUNG_FLAG);
  }

  /** Counts a block this thread evaluated or added up; collects the heap every COLLECT_EVERY_BLOCKS. */
  public static blockDone(): void {
    if (HeapBounds.collect && ++HeapBounds.blocks % COLLECT_EVERY_BLOCKS === 0) HeapBounds.collect();
  }

  private static bounded = false;
  private static collect?: () => void;
  private static blocks = 0;
}

const YOUNG_FLAG = '--semi-space-growth-factor=1';

/** 1024 blocks of 1 MiB: about 870,000 CloudTrail records, a second of a thread's time. */
const COLLECT_EVERY_BLOCKS = 1024;
