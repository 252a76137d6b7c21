import { ReplayControl } from './controls';
import { literalText, RequiredLiteral, RequiredText, requiredText } from '../filter-pattern/required-text';

/**
 * Decides, from a record's raw bytes, that no filter of the replay can match
 * it, so that the engine counts it without decoding or `JSON.parse` (most of
 * a replay's time: nearly all CloudTrail records match no CIS control).
 *
 * A record is skipped only when no filter can match it:
 * - it is `{...}` without a `"Records"` key (what else the engine reports as
 *   malformed), has no backslash (an escape can spell a value differently
 *   from the literal: `\u0043onsoleLogin`) and no line break (term patterns
 *   of a multi-line record see `JSON.stringify`'s text, not the record's own);
 * - for every filter, some clause of its required text (`requiredText`) has
 *   none of its literals in the record. A keyed literal (`$.eventName =
 *   "ConsoleLogin"`) is looked for only among the string values of properties
 *   of that name; a property of that name whose value is not a string (an
 *   object, an array, a number) counts as holding every literal of the key,
 *   which keeps the check sound whatever the shape. Other literals are
 *   searched as text in the whole record.
 *
 * Clauses are checked lazily (a filter refuted by its first clause never
 * looks for the others' text), on the raw bytes: a property name is searched
 * once per record, a text literal once per buffer (its next occurrence is
 * remembered), each from its cheapest suffix (`anchorNeedles`). Only a value
 * that could be a literal is decoded, as Latin-1, and compared with the
 * literals' UTF-8 bytes spelled the same way.
 *
 * What a skipped record is not checked for: whether it is valid JSON. The
 * splitter has already seen that it is `{...}` on its own line without a
 * `"Records"` key, or a balanced object inside a `Records` array; damage
 * inside such a record, which no filter could match anyway, makes it count as
 * an event rather than as a malformed record. `replay --validate` parses
 * every record and reports every malformed one.
 */
export class RecordPrefilter {
  /**
   * A prefilter for the controls' filters, or undefined when some filter
   * requires no text (it could match any record, so nothing can be skipped).
   */
  public static forControls(controls: readonly ReplayControl[]): RecordPrefilter | undefined {
    const cnfs: RequiredText[] = [];
    for (const c of controls) {
      for (const f of c.filters) {
        const r = requiredText(f.pattern._ast);
        if (r === undefined) return undefined;
        cnfs.push(r);
      }
    }
    return cnfs.length === 0 ? undefined : new RecordPrefilter(cnfs);
  }

  /** Where literals are looked for: property values (by name) or text. */
  private readonly sources: Source[];
  /**
   * Filters as clauses (a clause is its sources and the literal ids any of
   * which satisfies it), grouped by the sources of their first clause: most
   * filters start with `eventName`, and a record whose `eventName` is none of
   * their literals refutes the whole group at once.
   */
  private readonly groups: FilterGroup[];
  /** `seen[id] === stamp` when the literal occurs in the current record. */
  private readonly seen: Int32Array;
  private stamp = 0;
  /** The buffer the needles' positions refer to. */
  private buf: Buffer | undefined;
  private readonly backslash: Needle = { bytes: 0x5c, length: 1, next: -1 };
  private readonly lineBreak: Needle = { bytes: 0x0a, length: 1, next: -1 };
  private readonly records: Needle = needle('"Records"');
  private anchored = false;

  private constructor(cnfs: RequiredText[]) {
    const ids = new Map<string, number>();
    const keys = new Map<string, KeySource>();
    const texts = new Map<string, TextSource>();
    const idOf = (l: RequiredLiteral): number => {
      const name = `${l.kind}:${l.key ?? ''}:${l.text}`;
      let id = ids.get(name);
      if (id === undefined) ids.set(name, id = ids.size);
      return id;
    };
    const textSource = (l: RequiredLiteral): TextSource => {
      const t = latin1(literalText(l));
      let src = texts.get(t);
      if (!src) texts.set(t, src = { kind: 'text', needle: needle(t), ids: [], scanned: 0, hit: 0 });
      const id = idOf(l);
      if (!src.ids.includes(id)) src.ids.push(id);
      return src;
    };
    const keySource = (key: string): KeySource => {
      const k = latin1(key);
      let src = keys.get(k);
      if (!src) {
        keys.set(k, src = {
          kind: 'key',
          needle: needle(`"${k}"`),
          exact: new Map(),
          exactShape: new Uint8Array(SHAPE_LENGTHS * 256),
          starts: [],
          ends: [],
          contains: [],
          all: [],
          scanned: 0,
          hit: 0,
        });
      }
      return src;
    };
    // Literals of a property that a clause names several times (`eventName`: one of 20 names) are found by
    // reading that property's values once per record; any other literal by its own text, whose one pass over the
    // input finds all of it (`"Root"`, found by one search per buffer when it is rare).
    const manyInOneClause = new Set<string>();
    for (const cnf of cnfs) {
      for (const clause of cnf) {
        const seenKeys = new Set<string>();
        for (const l of clause) {
          if (l.key === undefined) continue;
          if (seenKeys.has(l.key)) manyInOneClause.add(l.key);
          seenKeys.add(l.key);
        }
      }
    }
    const byKey = (l: RequiredLiteral): boolean => l.key !== undefined && manyInOneClause.has(l.key);
    const addToKey = (src: KeySource, l: RequiredLiteral): void => {
      const id = idOf(l);
      if (src.all.includes(id)) return;
      src.all.push(id);
      const text = latin1(l.text);
      switch (l.kind) {
        case 'value': {
          const list = src.exact.get(text);
          if (list) list.push(id);
          else src.exact.set(text, [id]);
          src.exactShape[shapeOf(text.length, text.charCodeAt(0))] = 1;
          break;
        }
        case 'valueStart': src.starts.push({ text, id }); break;
        case 'valueEnd': src.ends.push({ text, id }); break;
        case 'text': src.contains.push({ text, id }); break;
      }
    };
    const clauseOf = (clause: readonly RequiredLiteral[]): Clause => {
      const sources = new Set<Source>();
      for (const l of clause) {
        if (byKey(l)) {
          const src = keySource(l.key!);
          addToKey(src, l);
          sources.add(src);
        } else {
          sources.add(textSource(l));
        }
      }
      return { sources: [...sources], ids: clause.map(idOf) };
    };
    // Within a filter, clauses on the most shared sources first: they are read for other filters anyway.
    const shared = new Map<Source, number>();
    const built = cnfs.map(cnf => cnf.map(clauseOf));
    for (const cnf of built) for (const c of cnf) for (const src of c.sources) shared.set(src, (shared.get(src) ?? 0) + 1);
    const cost = (c: Clause): number => c.sources.reduce((n, src) => n + 1 / shared.get(src)!, 0);
    // Scanner variants often require the same text as the CIS filter: one check serves them all.
    const distinct = new Map<string, Clause[]>();
    for (const cnf of built) {
      const sorted = [...cnf].sort((a, b) => cost(a) - cost(b));
      distinct.set(JSON.stringify(sorted.map(c => [...c.ids].sort((x, y) => x - y))), sorted);
    }
    this.sources = [...keys.values(), ...texts.values()];
    const groups = new Map<string, FilterGroup>();
    for (const cnf of distinct.values()) {
      const first = cnf[0].sources;
      const key = first.map(src => this.sources.indexOf(src)).sort((x, y) => x - y).join(',');
      let group = groups.get(key);
      if (!group) groups.set(key, group = { sources: first, filters: [] });
      group.filters.push(cnf);
    }
    this.groups = [...groups.values()];
    this.seen = new Int32Array(ids.size);
  }

  /** A new chunk of input starts: positions found in earlier buffers are forgotten. */
  public newChunk(): void {
    this.buf = undefined;
  }

  /**
   * Whether the record in `buf[start, end)` can be counted without being
   * parsed. Records of one buffer come in order; call `newChunk()` whenever
   * `buf`'s content may have changed. `plainLine`: the record is known to be
   * a whole line `{...}` without a line break, a `"Records"` key or a
   * backslash (the splitter looks for all three anyway).
   */
  public canSkip(buf: Buffer, start: number, end: number, plainLine = false): boolean {
    if (buf !== this.buf) {
      this.buf = buf;
      this.backslash.next = -1;
      this.lineBreak.next = -1;
      this.records.next = -1;
      if (!this.anchored) {
        this.anchored = true;
        anchorNeedles([this.records, ...this.sources.map(src => src.needle)], buf);
      }
      for (const src of this.sources) src.needle.next = -1;
    }
    // Only an object (a scalar or array element is a malformed record), and never a "Records" wrapper, which is
    // reported; then nothing whose text could differ from the literals.
    // (`plainLine`: the splitter has checked all of it for an NDJSON line.)
    if (!plainLine) {
      if (buf[start] !== LBRACE || buf[end - 1] !== RBRACE) return false;
      if (nextAt(buf, this.lineBreak, start) < end || nextAt(buf, this.records, start) < end) return false;
      if (nextAt(buf, this.backslash, start) < end) return false;
    }
    if (++this.stamp === 0x7fffffff) {
      this.seen.fill(0);
      for (const src of this.sources) src.scanned = src.hit = 0;
      this.stamp = 1;
    }
    // Sources are read lazily: a filter refuted by its first clause never reads the others'.
    for (const group of this.groups) {
      if (!this.anyHit(group.sources, buf, start, end)) continue;
      for (const cnf of group.filters) {
        let all = true;
        for (const clause of cnf) {
          if (!this.satisfied(clause, buf, start, end)) {
            all = false;
            break;
          }
        }
        if (all) return false;
      }
    }
    return true;
  }

  /** Reads the sources (once per record) and tells whether any holds a literal. */
  private anyHit(sources: readonly Source[], buf: Buffer, start: number, end: number): boolean {
    let any = false;
    for (let i = 0; i < sources.length; i++) {
      const src = sources[i];
      this.read(src, buf, start, end);
      if (src.hit === this.stamp) any = true;
    }
    return any;
  }

  /** Looks for the source's literals in the current record, unless it was already. */
  private read(src: Source, buf: Buffer, start: number, end: number): void {
    if (src.scanned === this.stamp) return;
    src.scanned = this.stamp;
    if (src.kind === 'text') {
      if (nextAt(buf, src.needle, start) + src.needle.length <= end) this.markAll(src, src.ids);
    } else {
      this.values(buf, src, start, end);
    }
  }

  private satisfied(clause: Clause, buf: Buffer, start: number, end: number): boolean {
    const stamp = this.stamp;
    const sources = clause.sources;
    let any = false;
    for (let i = 0; i < sources.length; i++) {
      const src = sources[i];
      this.read(src, buf, start, end);
      if (src.hit === stamp) any = true;
    }
    // Most records hold none of a clause's literals: no need to look at which.
    if (!any) return false;
    const ids = clause.ids;
    for (let i = 0; i < ids.length; i++) if (this.seen[ids[i]] === stamp) return true;
    return false;
  }

  /** Notes the literals satisfied by the values of property `k` in `buf[start, end)`. */
  private values(buf: Buffer, k: KeySource, start: number, end: number): void {
    const n = k.needle;
    for (let p = nextAt(buf, n, start); p + n.length <= end; p = nextAt(buf, n, p + 1)) {
      let i = skipBlanks(buf, p + n.length, end);
      if (buf[i] !== COLON) continue; // the name as a value, not as a key
      i = skipBlanks(buf, i + 1, end);
      if (buf[i] !== QUOTE) {
        // not a string: be conservative rather than follow the value's shape
        this.markAll(k, k.all);
        continue;
      }
      // no backslash in the record: the next quote closes the string
      const close = buf.indexOf(QUOTE, i + 1);
      if (close < 0 || close >= end) {
        this.markAll(k, k.all);
        continue;
      }
      // Decode only values that could be one of the literals: most records' values are not.
      const wildcards = k.starts.length + k.ends.length + k.contains.length;
      if (wildcards === 0 && k.exactShape[shapeOf(close - i - 1, buf[i + 1])] === 0) continue;
      const v = buf.toString('latin1', i + 1, close);
      const exact = k.exact.get(v);
      if (exact) this.markAll(k, exact);
      if (wildcards === 0) continue;
      for (const s of k.starts) if (v.startsWith(s.text)) this.markAll(k, [s.id]);
      for (const s of k.ends) if (v.endsWith(s.text)) this.markAll(k, [s.id]);
      for (const s of k.contains) if (v.includes(s.text)) this.markAll(k, [s.id]);
    }
  }

  private markAll(src: Source, ids: readonly number[]): void {
    const stamp = this.stamp;
    for (let i = 0; i < ids.length; i++) this.seen[ids[i]] = stamp;
    src.hit = stamp;
  }
}

/** Filters whose first clause reads the same sources. */
interface FilterGroup {
  readonly sources: Source[];
  readonly filters: Clause[][];
}

interface Clause {
  readonly sources: Source[];
  readonly ids: number[];
}

type Source = KeySource | TextSource;

interface TextSource {
  readonly kind: 'text';
  readonly needle: Needle;
  readonly ids: number[];
  /** The stamp of the record it was last looked for in, and of the last record it found a literal in. */
  scanned: number;
  hit: number;
}

interface KeySource {
  readonly kind: 'key';
  readonly needle: Needle;
  readonly exact: Map<string, number[]>;
  /** `exactShape[shapeOf(length, first byte)]` is 1 when some exact literal has that length and first byte. */
  readonly exactShape: Uint8Array;
  readonly starts: Array<{ text: string; id: number }>;
  readonly ends: Array<{ text: string; id: number }>;
  readonly contains: Array<{ text: string; id: number }>;
  /** Every literal of the key. */
  readonly all: number[];
  scanned: number;
  hit: number;
}

/** Bytes searched in a buffer, with the position of the next occurrence found (Infinity: none). */
interface Needle {
  readonly bytes: Buffer | number;
  readonly length: number;
  next: number;
  /**
   * The part searched for, from the needle's rarest byte on (`Root"` for
   * `"Root"`): `Buffer.indexOf` stops at every occurrence of a needle's first
   * byte, and a quote is everywhere in JSON. Its hits are then checked against
   * the whole needle.
   */
  anchor?: Buffer;
  anchorAt?: number;
}

/**
 * Longest anchor searched with `Buffer.indexOf`: from 7 or 8 bytes on, Node
 * switches to a Boyer-Moore-Horspool search, several times slower on JSON
 * (its last byte, often a quote, is everywhere) than its first-byte scan
 * with a short needle. The rest of a longer needle is checked after a hit.
 */
const MAX_ANCHOR = 6;

const QUOTE = 0x22;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
/** Value lengths told apart by the shape table; longer ones share its last row. */
const SHAPE_LENGTHS = 64;

function shapeOf(length: number, firstByte: number): number {
  return (length < SHAPE_LENGTHS ? length : SHAPE_LENGTHS - 1) * 256 + firstByte;
}
const COLON = 0x3a;

function needle(latin1Text: string): Needle {
  const bytes = Buffer.from(latin1Text, 'latin1');
  return { bytes, length: bytes.length, next: -1 };
}

/**
 * The first occurrence of `n` at or after `from` (Infinity: none in the
 * buffer). Searches only when the remembered one lies before `from`, so each
 * buffer is scanned about once per needle.
 */
function nextAt(buf: Buffer, n: Needle, from: number): number {
  if (n.next < from) n.next = search(buf, n, from);
  return n.next;
}

function search(buf: Buffer, n: Needle, from: number): number {
  const anchor = n.anchor;
  if (anchor === undefined || (n.anchorAt === 0 && anchor.length === n.length)) {
    const p = buf.indexOf(n.bytes, from);
    return p < 0 ? Infinity : p;
  }
  const at = n.anchorAt!;
  const whole = n.bytes as Buffer;
  const length = whole.length;
  for (let q = buf.indexOf(anchor, from + at); q >= 0; q = buf.indexOf(anchor, q + 1)) {
    const p = q - at;
    let k = 0;
    while (k < at && buf[p + k] === whole[k]) k++;
    if (k < at) continue;
    k += anchor.length;
    while (k < length && buf[p + k] === whole[k]) k++;
    if (k === length) return p;
  }
  return Infinity;
}

/**
 * Chooses each needle's anchor: the suffix that starts at its byte rarest in
 * `sample` (the first buffer of the input, at most 1 MiB of it).
 */
const SAMPLE_BYTES = 1024 * 1024;
/** What a hit of an anchor costs, in stops at its first byte (a call and a comparison against about a memchr step). */
const HIT_COST = 16;

function anchorNeedles(needles: Needle[], sample: Buffer): void {
  const counts = new Uint32Array(256);
  const size = Math.min(sample.length, SAMPLE_BYTES);
  for (let i = 0; i < size; i++) counts[sample[i]]++;
  const window = sample.subarray(0, size);
  for (const n of needles) {
    const bytes = n.bytes;
    if (typeof bytes === 'number' || bytes.length < 2) continue;
    // The search stops at each occurrence of the anchor's first byte, and each hit of the anchor costs a
    // check: weigh both, as counted in the sample (`Name"` is rarer as a byte than `ventName"` but has more hits).
    let best = 0;
    let bestScore = Infinity;
    for (let k = 0; k < bytes.length - 1; k++) {
      const anchor = bytes.subarray(k, k + MAX_ANCHOR);
      let score = counts[bytes[k]];
      for (let p = window.indexOf(anchor); p >= 0 && score < bestScore; p = window.indexOf(anchor, p + 1)) score += HIT_COST;
      if (score < bestScore) {
        bestScore = score;
        best = k;
      }
    }
    n.anchor = bytes.subarray(best, best + MAX_ANCHOR);
    n.anchorAt = best;
  }
}

function skipBlanks(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return i;
    i++;
  }
  return i;
}

function latin1(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
