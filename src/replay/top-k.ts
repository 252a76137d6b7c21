/**
 * Bounded-memory heavy hitters: the Space-Saving algorithm (Metwally, Agrawal
 * and El Abbadi, 2005) with `capacity` counters kept in a min-heap.
 *
 * While at most `capacity` distinct keys have been seen, every count is exact.
 * After that, a new key takes over the counter of the smallest count `min`
 * and starts at `min + 1`, remembering `min` as its possible overcount. For
 * each reported key the true count lies in `[count - error, count]`, and
 * `error <= N / capacity` (N: the number of `add` calls). Every key whose true
 * count exceeds N / capacity is guaranteed to be in the summary.
 */
export class SpaceSaving {
  private readonly index = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly counts: number[] = [];
  private readonly errors: number[] = [];
  private n = 0;

  constructor(public readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Number of `add` calls. */
  public get total(): number {
    return this.n;
  }

  public add(key: string): void {
    this.n++;
    const i = this.index.get(key);
    if (i !== undefined) {
      this.counts[i]++;
      this.siftDown(i);
      return;
    }
    if (this.keys.length < this.capacity) {
      const j = this.keys.length;
      this.keys.push(key);
      this.counts.push(1);
      this.errors.push(0);
      this.index.set(key, j);
      this.siftUp(j);
      return;
    }
    // replace the smallest counter
    this.index.delete(this.keys[0]);
    this.keys[0] = key;
    this.errors[0] = this.counts[0];
    this.counts[0]++;
    this.index.set(key, 0);
    this.siftDown(0);
  }

  /** The `n` largest counts (ties by key), with their overcount bound (0: exact). */
  public top(n: number): Array<{ key: string; count: number; error: number }> {
    return this.keys
      .map((key, i) => ({ key, count: this.counts[i], error: this.errors[i] }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, n);
  }

  private less(a: number, b: number): boolean {
    return this.counts[a] < this.counts[b];
  }

  private swap(a: number, b: number): void {
    const k = this.keys[a];
    const c = this.counts[a];
    const e = this.errors[a];
    this.keys[a] = this.keys[b];
    this.counts[a] = this.counts[b];
    this.errors[a] = this.errors[b];
    this.keys[b] = k;
    this.counts[b] = c;
    this.errors[b] = e;
    this.index.set(this.keys[a], a);
    this.index.set(this.keys[b], b);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = Math.floor((i - 1) / 2);
      if (!this.less(i, p)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private siftDown(i: number): void {
    const size = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      const r = l + 1;
      const m = r < size && this.less(r, l) ? r : l;
      if (!this.less(m, i)) return;
      this.swap(i, m);
      i = m;
    }
  }
}
