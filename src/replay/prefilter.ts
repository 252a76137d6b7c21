import { ReplayControl } from './controls';
import { literalText, RequiredLiteral, RequiredText, requiredText } from '../filter-pattern/required-text';

/**
 * Decides, from a record's raw bytes, that no filter of the replay can match
 * it, so that the engine counts it without `JSON.parse` (most of a replay's
 * time, and nearly all CloudTrail records match no CIS control).
 *
 * Skipping must not change any reported number, so a record is only skipped when:
 * 1. it has no backslash, because an escape can spell a value differently
 *    from the literal (`\u0043onsoleLogin`), and no control character: inside
 *    a string `JSON.parse` rejects one, and a line break would make term
 *    patterns see `JSON.stringify`'s text rather than the record's own;
 * 2. `JSON.parse` would accept it and return a plain object without a
 *    `Records` key (which the engine reports as a broken wrapper): checked by
 *    a validator that follows the JSON grammar but builds nothing;
 * 3. for every filter, some clause of its required text (see `requiredText`)
 *    is not satisfied. Value literals are compared with the JSON string values
 *    the validator walks over (keys are not values), text literals are
 *    searched in the whole record.
 * When in doubt (nesting deeper than MAX_DEPTH) the record takes the full path.
 *
 * Bytes are looked at before any decoding: backslashes and control bytes are
 * found with `Buffer.indexOf` once per chunk, and the validator reads the
 * record as a Latin-1 string (a copy of the bytes, no UTF-8 decoding) with the
 * literals' UTF-8 bytes spelled the same way. Only records that may match are
 * decoded.
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

  /** Value literals (Latin-1 spelling), their first character, id and kind. */
  private readonly vText: string[] = [];
  private readonly vFirst: number[] = [];
  private readonly vId: number[] = [];
  /** Exact values by length: `exactBy[len]` lists indexes into vText (lengths above MAX_VALUE_LENGTH share the last slot). */
  private readonly exactBy: number[][] = Array.from({ length: MAX_VALUE_LENGTH + 1 }, () => []);
  /** Prefixes by their first character code, suffixes by their last (Latin-1: below 256). */
  private readonly startBy: number[][] = Array.from({ length: 256 }, () => []);
  private readonly endBy: number[][] = Array.from({ length: 256 }, () => []);
  /** Any text literal (null when there is none), and the id of each. */
  private readonly anyText: RegExp | null;
  private readonly textIds = new Map<string, number>();
  /** For each text literal, the ids of it and of the text literals that are prefixes of it (they occur at the same place). */
  private readonly textPrefixes: Map<string, number[]>;
  /** Filters as clauses of literal ids. */
  private readonly filters: number[][][];
  /** `seen[id] === stamp` when the literal occurs in the current record. */
  private readonly seen: Int32Array;
  private stamp = 0;
  private hit = false;

  // backslash and control bytes: next position of each in `unsafeBuf` (from `unsafeFrom` on)
  private unsafeBuf: Buffer | undefined;
  private readonly unsafeNext = new Float64Array(UNSAFE_BYTES.length);
  private nextUnsafe = -1;

  private constructor(cnfs: RequiredText[]) {
    const ids = new Map<string, number>();
    const idOf = (l: RequiredLiteral): number => {
      const text = latin1(l.text);
      const key = `${l.kind}:${text}`;
      let id = ids.get(key);
      if (id !== undefined) return id;
      id = ids.size;
      ids.set(key, id);
      const v = this.vText.length;
      const add = (table: number[][], k: number): void => {
        this.vText.push(text);
        this.vFirst.push(text.charCodeAt(0));
        this.vId.push(id!);
        table[k].push(v);
      };
      switch (l.kind) {
        case 'value': add(this.exactBy, Math.min(text.length, MAX_VALUE_LENGTH)); break;
        case 'valueStart': add(this.startBy, text.charCodeAt(0)); break;
        case 'valueEnd': add(this.endBy, text.charCodeAt(text.length - 1)); break;
        case 'text': this.textIds.set(latin1(literalText(l)), id); break;
      }
      return id;
    };
    this.filters = cnfs.map(cnf => cnf.map(clause => clause.map(idOf)));
    this.seen = new Int32Array(ids.size);
    // longest first: a match is then the longest text literal starting there (shorter ones are checked by `alsoAt`)
    const texts = [...this.textIds.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.anyText = texts.length > 0 ? new RegExp(texts.map(escapeRegExp).join('|'), 'g') : null;
    this.textPrefixes = new Map(texts.map(t => [t, texts.filter(p => t.startsWith(p)).map(p => this.textIds.get(p)!)]));
  }

  /** A new chunk of input starts: positions found in earlier buffers are forgotten. */
  public newChunk(): void {
    this.unsafeBuf = undefined;
  }

  /**
   * Whether the record in `buf[start, end)` can be counted without being
   * parsed. Call `newChunk()` whenever `buf`'s content may have changed.
   */
  public canSkip(buf: Buffer, start: number, end: number): boolean {
    if (this.hasUnsafeByte(buf, start, end)) return false;
    return this.canSkipText(buf.toString('latin1', start, end));
  }

  /** Same, for a record's bytes as a Latin-1 string that has no backslash and no control character. */
  public canSkipText(s: string): boolean {
    this.hit = false;
    if (++this.stamp === 0x7fffffff) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    if (!this.walk(s)) return false;
    if (this.anyText !== null) this.findTexts(s);
    return !this.hit || !this.mayMatch();
  }

  /** Whether `buf[start, end)` holds a backslash or a control byte (searched once per buffer, not per record). */
  private hasUnsafeByte(buf: Buffer, start: number, end: number): boolean {
    const next = this.unsafeNext;
    if (buf !== this.unsafeBuf) {
      this.unsafeBuf = buf;
      next.fill(-1);
      this.nextUnsafe = -1;
    }
    if (this.nextUnsafe < start) {
      let min = Infinity;
      for (let k = 0; k < UNSAFE_BYTES.length; k++) {
        let p = next[k];
        if (p < start) {
          p = buf.indexOf(UNSAFE_BYTES[k], start);
          next[k] = p = p < 0 ? Infinity : p;
        }
        if (p < min) min = p;
      }
      this.nextUnsafe = min;
    }
    return this.nextUnsafe < end;
  }

  private findTexts(s: string): void {
    const re = this.anyText!;
    re.lastIndex = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      for (const id of this.textPrefixes.get(m[0])!) this.seen[id] = this.stamp;
      this.hit = true;
      // overlapping occurrences (one literal's tail is another's head) must be found too
      re.lastIndex = m.index + 1;
    }
  }

  /** Notes the value literals that the string value `s[a, b)` (quotes included) satisfies. */
  private value(s: string, a: number, b: number): void {
    const len = b - a - 2;
    if (len <= 0) return;
    const first = s.charCodeAt(a + 1);
    const exact = this.exactBy[len < MAX_VALUE_LENGTH ? len : MAX_VALUE_LENGTH];
    for (let k = 0; k < exact.length; k++) {
      const v = exact[k];
      const t = this.vText[v];
      if (this.vFirst[v] === first && t.length === len && s.startsWith(t, a + 1)) this.mark(this.vId[v]);
    }
    const st = this.startBy[first];
    for (let k = 0; k < st.length; k++) {
      const t = this.vText[st[k]];
      if (t.length <= len && s.startsWith(t, a + 1)) this.mark(this.vId[st[k]]);
    }
    const en = this.endBy[s.charCodeAt(b - 2)];
    for (let k = 0; k < en.length; k++) {
      const t = this.vText[en[k]];
      if (t.length <= len && s.startsWith(t, b - 1 - t.length)) this.mark(this.vId[en[k]]);
    }
  }

  private mark(id: number): void {
    this.seen[id] = this.stamp;
    this.hit = true;
  }

  /** Whether some filter has every clause satisfied by the literals seen. */
  private mayMatch(): boolean {
    const seen = this.seen;
    const stamp = this.stamp;
    for (const cnf of this.filters) {
      let all = true;
      for (const clause of cnf) {
        let one = false;
        for (const id of clause) {
          if (seen[id] === stamp) {
            one = true;
            break;
          }
        }
        if (!one) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }

  /**
   * Whether `JSON.parse(s)` returns a plain object without an own `Records`
   * key, reporting each string value to `value()` on the way. `s` has no
   * backslash and no control character, so a string ends at the next quote.
   * Exact for such text, except that nesting deeper than MAX_DEPTH says false.
   */
  private walk(s: string): boolean {
    const n = s.length;
    let i = skipSpace(s, 0);
    if (s.charCodeAt(i) !== 0x7b) return false;
    let depth = 0;
    for (;;) {
      // a value starts at i (after blanks)
      let c = s.charCodeAt(i);
      while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = s.charCodeAt(++i);
      if (c === 0x22) {
        const e = closingQuote(s, i, n);
        if (e < 0) return false;
        this.value(s, i, e + 1);
        i = e + 1;
      } else if (c === 0x7b || c === 0x5b) {
        const j = skipSpace(s, i + 1);
        if (s.charCodeAt(j) === c + 2) { // `}` is `{` + 2, `]` is `[` + 2
          i = j + 1;
        } else {
          if (depth === MAX_DEPTH) return false;
          stack[depth++] = c;
          if (c === 0x7b) {
            i = skipKey(s, j, depth);
            if (i < 0) return false;
          } else {
            i = j;
          }
          continue;
        }
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        i = skipNumber(s, i);
        if (i < 0) return false;
      } else if (c === 0x74 && s.startsWith('true', i)) {
        i += 4;
      } else if (c === 0x66 && s.startsWith('false', i)) {
        i += 5;
      } else if (c === 0x6e && s.startsWith('null', i)) {
        i += 4;
      } else {
        return false;
      }
      // after a value: commas and closing brackets until the next value starts
      for (;;) {
        if (depth === 0) return skipSpace(s, i) === n;
        let d = s.charCodeAt(i);
        while (d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) d = s.charCodeAt(++i);
        const open = stack[depth - 1];
        if (d === 0x2c) {
          if (open === 0x7b) {
            i = skipKey(s, i + 1, depth);
            if (i < 0) return false;
          } else {
            i++;
          }
          break;
        }
        if (d !== open + 2) return false;
        depth--;
        i++;
      }
    }
  }
}

/** Backslash and the control bytes. */
const UNSAFE_BYTES = [0x5c, 0x0a, ...Array.from({ length: 32 }, (_, b) => b).filter(b => b !== 0x0a)];

const MAX_DEPTH = 256;
const MAX_VALUE_LENGTH = 128;
/** Open brackets of the value being walked (one walk at a time: JavaScript is single-threaded). */
const stack = new Uint8Array(MAX_DEPTH);

function latin1(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Index of the quote that closes the string opening at `i`, or -1 (no escapes: see `walk`). */
function closingQuote(s: string, i: number, n: number): number {
  // most strings are short: a loop beats a call to indexOf
  for (let e = i + 1; e < n; e++) if (s.charCodeAt(e) === 0x22) return e;
  return -1;
}

function skipSpace(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = s.charCodeAt(++i);
  return i;
}

/** End of the number at `i` (JSON grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`), or -1. */
function skipNumber(s: string, i: number): number {
  let c = s.charCodeAt(i);
  if (c === 0x2d) c = s.charCodeAt(++i);
  if (c === 0x30) {
    c = s.charCodeAt(++i);
  } else if (c >= 0x31 && c <= 0x39) {
    do c = s.charCodeAt(++i); while (c >= 0x30 && c <= 0x39);
  } else {
    return -1;
  }
  if (c === 0x2e) {
    c = s.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do c = s.charCodeAt(++i); while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) {
    c = s.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = s.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do c = s.charCodeAt(++i); while (c >= 0x30 && c <= 0x39);
  }
  return i;
}

/** After `{` or `,` in an object: the end of the key and colon (blanks included), or -1. A top-level `Records` key is refused. */
function skipKey(s: string, i: number, depth: number): number {
  let c = s.charCodeAt(i);
  while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = s.charCodeAt(++i);
  if (c !== 0x22) return -1;
  const e = closingQuote(s, i, s.length);
  if (e < 0) return -1;
  if (depth === 1 && e - i === 8 && s.startsWith('Records', i + 1)) return -1;
  i = e + 1;
  c = s.charCodeAt(i);
  while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = s.charCodeAt(++i);
  return c === 0x3a ? i + 1 : -1;
}
