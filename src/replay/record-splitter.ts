/**
 * Streaming splitter for CloudTrail inputs: turns a byte stream into the text
 * of one record at a time, in constant memory (only the record being read is
 * buffered, never the file).
 *
 * Accepted layouts, auto-detected per top-level value (they may be mixed):
 * - `{"Records":[ {...}, ... ]}`: CloudTrail files as delivered to S3. Each
 *   element of the `Records` array is a record; other keys of the wrapper are
 *   skipped. The wrapper is recognised by its `Records` key (at any position,
 *   also spelled with escapes, also after a member over the size limit), so
 *   the wrapper is never buffered. A second `Records` key is read too, and
 *   reported (`JSON.parse` would keep only the last).
 * - `[ {...}, ... ]`: a JSON array of records.
 * - NDJSON / concatenated JSON: each top-level object that is not a wrapper is
 *   one record (one per line, or pretty-printed).
 *
 * The scanner only tracks strings, escapes and bracket depth; it does not
 * validate JSON. Each record's text is handed to the sink, which `JSON.parse`s
 * it once and so reports syntax errors inside a record. Structural problems the
 * scanner can see (text that is not JSON, a file that ends inside a record, a
 * line break inside a string) are reported through `sink.error`.
 *
 * Recovery: an NDJSON line that is cut short is reported and reading resumes
 * at the next line that starts with `{`, or right after the line break when the
 * cut is inside a string. Inside an array or `Records` array, a line break
 * inside a string means the element boundaries are lost: the rest of the file
 * is skipped (reported once).
 *
 * Line numbers are 1-based and count `\n`; a record's line is where its first
 * byte is.
 */

/** Receives records and problems from a `RecordSplitter`. */
export interface RecordSink {
  /**
   * One record's text (a JSON value, not yet parsed), the line where it
   * starts, its ordinal in this input (1-based: the n-th record of the file,
   * whether it is an element of "Records", of an array, or an NDJSON line) and
   * the byte offset of its first byte (in the decompressed input).
   */
  record(text: string, line: number, index: number, offset: number): void;
  /**
   * Optional: the same record as bytes, `buf[start, end)` (UTF-8, not decoded),
   * valid only during the call. When present the splitter calls it instead of
   * `record`, so that a sink can reject records before paying for decoding.
   * `plainLine`: the record is a whole NDJSON line `{...}` with no line
   * break, `"Records"` key or backslash in it. (An NDJSON line with a
   * backslash comes through `record`: an escape can spell any text, so its
   * bytes alone never tell that it matches nothing.)
   */
  recordBytes?(buf: Buffer, start: number, end: number, line: number, index: number, offset: number, plainLine?: boolean): void;
  /** Optional: a new chunk is being split (what a sink learnt about the previous buffer's bytes no longer holds). */
  newChunk?(): void;
  /**
   * A structural problem; `line` is where the affected record or container
   * starts. `index` and `offset` are given when the problem is one record.
   */
  error(line: number, message: string, index?: number, offset?: number): void;
}

const QUOTE = 0x22;
const BSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NL = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;

/** Default size limit of one record: far above CloudTrail's (a few hundred KiB at most). */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Bytes of `Records`, the CloudTrail wrapper key. */
const RECORDS_KEY = Buffer.from('Records', 'latin1');
/**
 * What `"Records"` is searched by: `Recor`, without the opening quote (everywhere in JSON, it would
 * stop the search at every string) and short enough that Node scans for its first byte instead of
 * running a Boyer-Moore-Horspool search, several times slower on JSON; a hit is checked for `"` before
 * and `ds"` after.
 */
const RECORDS_ANCHOR = Buffer.from('Recor', 'latin1');

/** Whether `"Records"` starts at `q - 1`, given `Recor` at `q`. */
function isRecordsKeyAt(buf: Buffer, q: number): boolean {
  return buf[q - 1] === QUOTE && buf[q + 5] === 0x64 && buf[q + 6] === 0x73 && buf[q + 7] === QUOTE;
}

/** 1 for the bytes that end or interrupt a run of ordinary string content: `"`, `\\`, line feed. */
const STRING_SPECIAL = new Uint8Array(256);
STRING_SPECIAL[QUOTE] = 1;
STRING_SPECIAL[BSLASH] = 1;
STRING_SPECIAL[NL] = 1;

/** 1 for the bytes that matter between strings inside an element: `"`, brackets, line feed. */
const NESTED_SPECIAL = new Uint8Array(256);
for (const c of [0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x0a]) NESTED_SPECIAL[c] = 1;

// States
const S_START = 0; // nothing significant seen yet in this input
const S_TOP = 1; // between top-level values
const S_CONTAINER = 2; // between elements of a records container (array or Records array)
const S_VALUE = 3; // inside a value (a record being captured, or the rest of a wrapper being skipped)
const S_SKIP_LINE = 4; // skipping garbage up to the next line break
const S_SKIP_FILE = 5; // skipping everything after an unrecoverable error

// Kinds of the value being scanned
const K_NESTED = 0; // object or array: ends when depth returns to 0
const K_STRING = 1; // a bare string element
const K_BARE = 2; // a number/true/false/null (or garbage) element

// Key tracking inside a top-level object (to recognise `"Records": [`)
const KEY_EXPECT = 0; // after `{` or `,` at depth 1: next string is a key
const KEY_RECORDS = 1; // the key just read is "Records": expect `:`
const KEY_VALUE = 2; // after `"Records":`: the next byte decides
const KEY_OTHER = 3; // inside some other member

function isSpace(c: number): boolean {
  return c === SP || c === NL || c === CR || c === TAB;
}

/** Splits a byte stream into record texts. Feed it with `push()`, finish with `end()`. */
export class RecordSplitter {
  private state = S_START;
  /** Current line (1-based). */
  private line = 1;
  /** Absolute offset of the current chunk. */
  private base = 0;
  /** Absolute offset of the first byte of the current line. */
  private lineStart = 0;

  // value being scanned
  private kind = K_NESTED;
  private depth = 0;
  private inString = false;
  /** Parity of the backslashes that end the previous chunk while in a string. */
  private escCarry = 0;
  /** Whether the value's bytes are kept (records) or dropped (the tail of a wrapper). */
  private capture = false;
  /** Whether the value is a top-level value (not an element of a container). */
  private topLevel = false;
  private keyState = KEY_OTHER;
  private keyStart = 0; // absolute offset of the current key's first content byte
  private parts: Buffer[] = [];
  private recStart = 0; // absolute offset of the value's first byte
  private recLine = 1;

  // container
  private inWrapper = false; // the container is the Records array of a wrapper
  private containerLine = 0;

  /** Index of the next `\n` at or after the last lookup in the current chunk (chunk length: none; -1: not looked up). */
  private nextNl = -1;
  /** Index of the next `"Records"` at or after the last lookup in the current chunk (same convention). */
  private nextRecordsKey = -1;
  /** Index of the next backslash at or after the last lookup in the current chunk (same convention). */
  private nextBackslash = -1;
  /** Set by `wholeLineRecord`: the line it accepted holds a backslash. */
  private lineHasBackslash = false;
  /**
   * Set once a top-level record has ended at the end of its own line: the
   * input is NDJSON, and later lines that end with `}` are handed over whole
   * (JSON.parse then checks them) instead of being scanned byte by byte.
   */
  private lineMode = false;
  /** Where `scanString` found a raw line break (when it returns -2). */
  private brokenAt = 0;

  /** Records handed over (or skipped) so far in this input. */
  private recordCount = 0;
  /** Bytes of a UTF-8 byte order mark seen at the end of the previous chunk, between top-level values. */
  private bomPending = 0;

  /** Whether the value being scanned is a record over the size limit, being skipped. */
  private oversize = false;
  /**
   * Whether the value being scanned is the rest of a `{"Records":[...]}`
   * object after its array (a second `"Records"` key there is read too).
   */
  private wrapperTail = false;
  /**
   * The bytes of a top-level key that started in an earlier chunk (at most
   * `MAX_KEY_BYTES`; `keyHeadLong` when it was longer), so that a key cut by
   * a chunk boundary is recognised whether or not the value is being kept.
   */
  private keyHead: Buffer | undefined;
  private keyHeadLong = false;

  /**
   * @param maxRecordBytes records longer than this are skipped and reported,
   * so that memory stays bounded whatever the input. @default 64 MiB
   * @param lineLabel how messages write a line number (a parallel replay's
   * worker writes a marker that the main thread makes absolute)
   */
  constructor(
    private readonly sink: RecordSink,
    private readonly maxRecordBytes: number = DEFAULT_MAX_RECORD_BYTES,
    private readonly lineLabel: (line: number) => string = String,
  ) {}

  /** The line the splitter has reached (1-based). */
  public get currentLine(): number {
    return this.line;
  }

  /** Records handed over (or skipped) so far. */
  public get records(): number {
    return this.recordCount;
  }

  /**
   * Starts this splitter as if it had just read NDJSON records up to the line
   * break before absolute offset `base`: between records, at a line start, in
   * line mode. Its line numbers and record indexes then count from that point
   * (1 and 1). A parallel replay starts a block there and keeps the result
   * only when the splitter that read the bytes before `base` ends in that
   * very state (`atLineModeBoundary`).
   */
  public startAtLine(base: number): void {
    this.state = S_TOP;
    this.lineMode = true;
    this.base = base;
    this.lineStart = base;
  }

  /**
   * Whether the splitter is between NDJSON records, right after a line
   * break, in line mode: the state `startAtLine` assumes. Call it only when
   * the last byte pushed was a line break.
   */
  public get atLineModeBoundary(): boolean {
    return this.state === S_TOP && this.lineMode && this.bomPending === 0;
  }

  /**
   * Copies the bytes of a record that is still open out of the buffers
   * pushed so far, which the caller is about to reuse (a parallel replay's
   * shared blocks).
   */
  public detach(): void {
    if (this.parts.length > 0) this.parts = [Buffer.concat(this.parts)];
  }

  /** Feeds the next chunk of bytes. */
  public push(buf: Buffer): void {
    const len = buf.length;
    this.sink.newChunk?.();
    this.nextNl = -1;
    this.nextRecordsKey = -1;
    this.nextBackslash = -1;
    let i = 0;
    if (this.bomPending > 0) {
      // the rest of a byte order mark split across chunks
      const BOM = [0xef, 0xbb, 0xbf];
      while (this.bomPending < 3 && i < len && buf[i] === BOM[this.bomPending]) {
        this.bomPending++;
        i++;
      }
      if (this.bomPending === 3 || i >= len) {
        if (this.bomPending === 3) this.bomPending = 0;
      } else {
        this.bomPending = 0;
        this.sink.error(this.line, 'unexpected bytes between records (an incomplete UTF-8 byte order mark); skipped to the next line');
        this.state = S_SKIP_LINE;
      }
    }
    while (i < len) {
      switch (this.state) {
        case S_START:
        case S_TOP:
          i = this.scanTop(buf, i, len);
          break;
        case S_CONTAINER:
          i = this.scanContainer(buf, i, len);
          break;
        case S_VALUE:
          i = this.scanValue(buf, i, len);
          break;
        case S_SKIP_LINE: {
          const nl = buf.indexOf(NL, i);
          if (nl < 0) {
            i = len;
          } else {
            this.newLine(nl);
            this.state = S_TOP;
            i = nl + 1;
          }
          break;
        }
        default: // S_SKIP_FILE
          i = len;
      }
    }
    if (this.state === S_VALUE && this.topLevel && this.inString && this.keyState === KEY_EXPECT && this.depth === 1) this.keepKeyHead(buf, len);
    if (this.state === S_VALUE && this.capture) {
      if (this.base + len - this.recStart > this.maxRecordBytes) {
        this.skipOversize();
      } else {
        const from = Math.max(0, this.recStart - this.base);
        if (from < len) this.parts.push(buf.subarray(from));
      }
    }
    this.base += len;
  }

  /** Signals the end of input; reports a value or container that was left open. */
  public end(): void {
    switch (this.state) {
      case S_START:
        this.sink.error(1, 'the input is empty: expected a {"Records":[...]} object, a JSON array or NDJSON records');
        break;
      case S_CONTAINER:
        this.sink.error(this.containerLine, `truncated: the input ends before the closing ']' of the ${this.inWrapper ? '"Records" array' : 'array'} that starts on this line`);
        break;
      case S_VALUE:
        if (this.oversize) {
          // a top-level record's report waits for its end (it could still turn out to be a wrapper)
          if (this.topLevel) this.reportOversize();
        } else if (this.capture) {
          this.sink.error(this.recLine, 'truncated: the input ends inside the record that starts on this line');
        } else {
          this.sink.error(this.recLine, 'truncated: the input ends before the closing \'}\' of the {"Records":[...]} object that starts on this line');
        }
        break;
      default:
        break;
    }
    this.parts = [];
    this.state = S_SKIP_FILE;
  }

  /**
   * Stops reading after a read error, without reporting: returns what was
   * left open (for the caller's single report of the error), or undefined.
   */
  public abort(): string | undefined {
    let lost: string | undefined;
    if (this.state === S_CONTAINER) {
      lost = `the input ends inside the ${this.inWrapper ? '"Records" array' : 'array'} that starts on line ${this.lineLabel(this.containerLine)}`;
    } else if (this.state === S_VALUE && (this.capture || (this.oversize && this.topLevel))) {
      lost = `the record that starts on line ${this.lineLabel(this.recLine)} is cut short`;
    }
    this.parts = [];
    this.state = S_SKIP_FILE;
    return lost;
  }

  /**
   * The record being captured is over the limit: drop its bytes and scan on
   * to its end without keeping them. An element of an array is reported at
   * once; a top-level object when it ends, because its keys are still
   * followed: a `"Records"` key after a huge member makes it a wrapper whose
   * records are read (`{"padding":"<70 MB>","Records":[...]}`).
   */
  private skipOversize(): void {
    this.parts = [];
    this.capture = false;
    this.oversize = true;
    if (!this.topLevel) {
      this.reportOversize();
      this.keyState = KEY_OTHER;
    }
  }

  private reportOversize(): void {
    this.sink.error(this.recLine, `record skipped: it is longer than the maximum record size of ${this.maxRecordBytes} bytes (--max-record-size)`, ++this.recordCount, this.recStart);
  }

  private newLine(index: number): void {
    this.line++;
    this.lineStart = this.base + index + 1;
  }

  private scanTop(buf: Buffer, i: number, len: number): number {
    for (; i < len; i++) {
      const c = buf[i];
      if (c === NL) {
        this.newLine(i);
      } else if (c === SP || c === CR || c === TAB) {
        continue;
      } else if (c === 0xef) {
        // A UTF-8 byte order mark where a file starts: inputs concatenated (`cat a.json b.json`) may each begin with one.
        if (i + 2 < len) {
          if (buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) {
            i += 2;
            continue;
          }
        } else if (buf[i + 1] === undefined || buf[i + 1] === 0xbb) {
          this.bomPending = len - i;
          return len;
        }
        return this.unexpectedTop(buf, i, len);
      } else if (c === LBRACE) {
        if (this.lineMode) {
          const end = this.wholeLineRecord(buf, i, len);
          if (end >= 0) {
            // `plainLine`: the whole line, `{...}`, without a line break, a "Records" key or a backslash (checked above).
            // A line with a backslash is decoded here: an escape can spell any text (`\u0043onsoleLogin`), so no sink
            // can tell from its bytes alone that it matches nothing.
            const index = ++this.recordCount;
            if (this.sink.recordBytes && !this.lineHasBackslash) this.sink.recordBytes(buf, i, end, this.line, index, this.base + i, true);
            else this.sink.record(buf.toString('utf8', i, end), this.line, index, this.base + i);
            i = this.nextNl - 1; // the loop's i++ lands on the line break, which is counted there
            continue;
          }
        }
        this.startValue(i, K_NESTED, true, true);
        this.depth = 1;
        this.keyState = KEY_EXPECT;
        this.state = S_VALUE;
        return i + 1;
      } else if (c === LBRACK) {
        this.inWrapper = false;
        this.containerLine = this.line;
        this.state = S_CONTAINER;
        return i + 1;
      } else {
        return this.unexpectedTop(buf, i, len);
      }
    }
    return i;
  }

  private unexpectedTop(buf: Buffer, i: number, len: number): number {
    if (this.state === S_START) {
      this.sink.error(this.line, `not JSON: the input starts with ${JSON.stringify(preview(buf, i, len))}; expected a {"Records":[...]} object, a JSON array or NDJSON records. The rest of this input is skipped`);
      this.state = S_SKIP_FILE;
      return len;
    }
    this.sink.error(this.line, `unexpected text ${JSON.stringify(preview(buf, i, len))} between records (expected '{' or '['); skipped to the next line`);
    this.state = S_SKIP_LINE;
    return i;
  }

  private scanContainer(buf: Buffer, i: number, len: number): number {
    for (; i < len; i++) {
      const c = buf[i];
      if (c === NL) {
        this.newLine(i);
      } else if (c === SP || c === CR || c === TAB || c === COMMA) {
        continue;
      } else if (c === RBRACK) {
        if (this.inWrapper) {
          // skip the rest of the wrapper object up to its closing brace
          this.startValue(i + 1, K_NESTED, false, true);
          this.recLine = this.containerLine;
          this.depth = 1;
          this.keyState = KEY_OTHER;
          this.wrapperTail = true;
          this.state = S_VALUE;
        } else {
          this.state = S_TOP;
        }
        return i + 1;
      } else if (c === RBRACE) {
        this.sink.error(this.line, `malformed JSON: unexpected '}' in the ${this.inWrapper ? '"Records" array' : 'array'} that starts on line ${this.lineLabel(this.containerLine)}. The rest of this input is skipped`);
        this.state = S_SKIP_FILE;
        return len;
      } else {
        const kind = c === LBRACE || c === LBRACK ? K_NESTED : c === QUOTE ? K_STRING : K_BARE;
        this.startValue(i, kind, true, false);
        this.state = S_VALUE;
        if (kind === K_NESTED) {
          this.depth = 1;
          return i + 1;
        }
        if (kind === K_STRING) {
          this.inString = true;
          return i + 1;
        }
        return i;
      }
    }
    return i;
  }

  private startValue(i: number, kind: number, capture: boolean, topLevel: boolean): void {
    this.kind = kind;
    this.capture = capture;
    this.topLevel = topLevel;
    this.recStart = this.base + i;
    this.recLine = this.line;
    this.depth = 0;
    this.inString = false;
    this.escCarry = 0;
    this.keyState = KEY_OTHER;
    this.parts = [];
    this.oversize = false;
    this.wrapperTail = false;
    this.keyHead = undefined;
    this.keyHeadLong = false;
  }

  /** Emits the captured value ending before `end` (chunk index) and returns to the enclosing state. */
  private finishValue(buf: Buffer, end: number): void {
    if (this.capture && this.base + end - this.recStart > this.maxRecordBytes) this.skipOversize();
    if (this.oversize && this.topLevel) this.reportOversize();
    this.oversize = false;
    if (this.capture) {
      let bytes = buf;
      let from = this.recStart - this.base;
      let to = end;
      if (from < 0) {
        this.parts.push(buf.subarray(0, end));
        bytes = Buffer.concat(this.parts);
        from = 0;
        to = bytes.length;
      }
      this.parts = [];
      if (this.sink.recordBytes) this.sink.recordBytes(bytes, from, to, this.recLine, ++this.recordCount, this.recStart);
      else this.sink.record(bytes.toString('utf8', from, to), this.recLine, ++this.recordCount, this.recStart);
      if (this.topLevel && !this.lineMode && this.recLine === this.line && restOfLineIsBlank(buf, end)) this.lineMode = true;
    }
    this.state = this.topLevel ? S_TOP : S_CONTAINER;
  }

  /**
   * NDJSON fast path: when the line that starts at `i` (a `{`) ends, within
   * this chunk, with `}` (before optional blanks) and holds no `"Records"`
   * (which could make it a wrapper), returns the end of the record text; else -1.
   */
  private wholeLineRecord(buf: Buffer, i: number, len: number): number {
    if (this.nextNl < i && this.nextNl !== len) {
      const nl = buf.indexOf(NL, i);
      this.nextNl = nl < 0 ? len : nl;
    }
    const nl = this.nextNl;
    if (nl >= len) return -1;
    let end = nl;
    while (end > i && (buf[end - 1] === CR || buf[end - 1] === SP || buf[end - 1] === TAB)) end--;
    if (end <= i + 1 || buf[end - 1] !== RBRACE || end - i > this.maxRecordBytes) return -1;
    if (this.nextRecordsKey < i && this.nextRecordsKey !== len) {
      let k = buf.indexOf(RECORDS_ANCHOR, i + 1);
      while (k >= 0 && !isRecordsKeyAt(buf, k)) k = buf.indexOf(RECORDS_ANCHOR, k + 1);
      this.nextRecordsKey = k < 0 ? len : k - 1;
    }
    if (this.nextRecordsKey < end) return -1;
    // A line with `\u00` may spell its key `"Rec\u006frds"`: it is scanned, so that every spelling of a wrapper is
    // read the same way whatever the chunks. Backslashes are searched for, not `\u00`: the one pass also tells
    // whether the line is plain (`lineHasBackslash`), which the prefilter would otherwise search for again.
    if (this.nextBackslash < i && this.nextBackslash !== len) {
      const k = buf.indexOf(BSLASH, i + 1);
      this.nextBackslash = k < 0 ? len : k;
    }
    this.lineHasBackslash = this.nextBackslash < end;
    // each backslash of the line in turn, remembered as the next one, so that the buffer is searched once
    while (this.nextBackslash < end) {
      const k = this.nextBackslash;
      if (buf[k + 1] === 0x75 && buf[k + 2] === 0x30 && buf[k + 3] === 0x30) return -1;
      const next = buf.indexOf(BSLASH, k + 1);
      this.nextBackslash = next < 0 ? len : next;
    }
    return end;
  }

  /**
   * Scans a string starting at `i` (after the opening quote or at a chunk
   * start). Returns the index of the closing quote, or -1 when the chunk ends
   * inside the string, or -2 when a raw line break comes first (invalid JSON;
   * `this.brokenAt` then holds its index).
   */
  private scanString(buf: Buffer, i: number, len: number): number {
    let j = i;
    if (this.escCarry !== 0) {
      // the previous chunk ended with a backslash: this byte is escaped
      this.escCarry = 0;
      if (j >= len) {
        this.escCarry = 1;
        return -1;
      }
      if (buf[j] === NL) {
        this.brokenAt = j;
        return -2;
      }
      j++;
    }
    for (; j < len; j++) {
      // skip ordinary string bytes in a tight loop
      while (j < len && STRING_SPECIAL[buf[j]] === 0) j++;
      if (j >= len) break;
      const c = buf[j];
      if (c === QUOTE) return j;
      if (c === BSLASH) {
        j++;
        if (j >= len) {
          this.escCarry = 1;
          return -1;
        }
        if (buf[j] === NL) {
          this.brokenAt = j;
          return -2;
        }
      } else if (c === NL) {
        this.brokenAt = j;
        return -2;
      }
    }
    return -1;
  }

  /** A raw line break inside a string: the value is not valid JSON. */
  private brokenString(len: number): number {
    const nl = this.brokenAt;
    this.parts = [];
    this.inString = false;
    if (this.topLevel && (this.capture || this.oversize)) {
      // a record over the size limit is reported as that (once, whatever the chunks); the lines after it are read either way
      if (this.oversize || this.base + nl - this.recStart > this.maxRecordBytes) this.reportOversize();
      else this.sink.error(this.recLine, 'malformed record: a line break inside a string (the line is cut short or not JSON); resumed on the next line');
      this.oversize = false;
      this.newLine(nl);
      this.state = S_TOP;
      return nl + 1;
    }
    this.sink.error(this.recLine, 'malformed JSON: a line break inside a string, so the element boundaries are lost. The rest of this input is skipped');
    this.state = S_SKIP_FILE;
    return len;
  }

  private scanValue(buf: Buffer, i: number, len: number): number {
    if (this.inString) {
      const q = this.scanString(buf, i, len);
      if (q === -1) return len;
      if (q === -2) return this.brokenString(len);
      this.inString = false;
      if (this.kind === K_STRING) {
        this.finishValue(buf, q + 1);
        return q + 1;
      }
      if (this.keyState === KEY_EXPECT && this.depth === 1) this.checkKey(buf, q);
      i = q + 1;
    }
    if (this.kind === K_BARE) {
      for (; i < len; i++) {
        const c = buf[i];
        if (c === COMMA || c === RBRACK || c === RBRACE || isSpace(c)) {
          this.finishValue(buf, i);
          return i;
        }
      }
      return len;
    }
    if (!this.topLevel) return this.scanElement(buf, i, len);
    // K_NESTED, top level: also tracks keys (for the Records wrapper) and line starts (NDJSON recovery)
    let depth = this.depth;
    for (; i < len; i++) {
      const c = buf[i];
      if (c === QUOTE) {
        const q = this.scanString(buf, i + 1, len);
        if (q === -1) {
          this.inString = true;
          this.depth = depth;
          if (this.keyState === KEY_EXPECT && depth === 1) this.keyStart = this.base + i + 1;
          return len;
        }
        if (q === -2) return this.brokenString(len);
        if (this.keyState === KEY_EXPECT && depth === 1) {
          this.keyStart = this.base + i + 1;
          this.depth = depth;
          this.checkKey(buf, q);
        }
        i = q;
      } else if (c === LBRACE || c === LBRACK) {
        if (this.keyState !== KEY_OTHER && depth === 1) {
          if (this.keyState === KEY_VALUE && c === LBRACK) {
            // `{"Records": [`: a CloudTrail wrapper. Drop what was buffered; its elements are the records.
            if (this.wrapperTail) {
              // JSON.parse would keep only the last array; reading both loses nothing and says so
              this.sink.error(this.line, `the {"Records":[...]} object that starts on line ${this.lineLabel(this.recLine)} has a second "Records" key; its records are read as well (JSON.parse would keep only the last one)`);
            }
            this.parts = [];
            this.inWrapper = true;
            this.containerLine = this.recLine;
            this.oversize = false; // what went over the limit was another member of the wrapper, not a record
            this.state = S_CONTAINER;
            return i + 1;
          }
          this.keyState = KEY_OTHER;
        }
        if (c === LBRACE && this.topLevel && (this.capture || this.oversize) && this.base + i === this.lineStart && depth > 0) {
          // `{` at the start of a line while a top-level record is still open: the previous NDJSON line was cut short
          if (this.oversize || this.base + i - this.recStart > this.maxRecordBytes) this.reportOversize();
          else this.sink.error(this.recLine, 'malformed record: the record is not closed before the next line starting with \'{\'; resumed there');
          this.startValue(i, K_NESTED, true, true);
          depth = 0;
          this.keyState = KEY_EXPECT;
        }
        depth++;
      } else if (c === RBRACE || c === RBRACK) {
        depth--;
        if (depth <= 0) {
          this.depth = 0;
          this.finishValue(buf, i + 1);
          return i + 1;
        }
      } else if (c === NL) {
        this.newLine(i);
      } else if (this.keyState !== KEY_OTHER && depth === 1) {
        if (c === COMMA) {
          this.keyState = KEY_EXPECT;
        } else if (c === COLON) {
          if (this.keyState === KEY_RECORDS) this.keyState = KEY_VALUE;
        } else if (c !== SP && c !== CR && c !== TAB) {
          this.keyState = KEY_OTHER;
        }
      } else if (c === COMMA && depth === 1) {
        // keys are followed in a record, in a record over the size limit and in the rest of a wrapper alike
        this.keyState = KEY_EXPECT;
      }
    }
    this.depth = depth;
    return len;
  }

  /**
   * The hot loop for an object or array element of a container (CloudTrail's
   * `Records`): only strings, brackets and line breaks matter, so ordinary
   * bytes are skipped in tight table-driven loops.
   */
  private scanElement(buf: Buffer, i: number, len: number): number {
    let depth = this.depth;
    while (i < len) {
      while (i < len && NESTED_SPECIAL[buf[i]] === 0) i++;
      if (i >= len) break;
      const c = buf[i];
      if (c === QUOTE) {
        // inline string scan
        let j = i + 1;
        for (;;) {
          while (j < len && STRING_SPECIAL[buf[j]] === 0) j++;
          if (j >= len) {
            this.inString = true;
            this.escCarry = 0;
            this.depth = depth;
            return len;
          }
          const d = buf[j];
          if (d === QUOTE) break;
          if (d === NL) {
            this.brokenAt = j;
            return this.brokenString(len);
          }
          // backslash: skip the escaped byte
          if (j + 1 >= len) {
            this.inString = true;
            this.escCarry = 1;
            this.depth = depth;
            return len;
          }
          if (buf[j + 1] === NL) {
            this.brokenAt = j + 1;
            return this.brokenString(len);
          }
          j += 2;
        }
        i = j + 1;
      } else if (c === LBRACE || c === LBRACK) {
        depth++;
        i++;
      } else if (c === RBRACE || c === RBRACK) {
        depth--;
        i++;
        if (depth <= 0) {
          this.depth = 0;
          this.finishValue(buf, i);
          return i;
        }
      } else {
        // line feed
        this.newLine(i);
        i++;
      }
    }
    this.depth = depth;
    return len;
  }

  /** Called when the key that started at `this.keyStart` closes at chunk index `q`. */
  private checkKey(buf: Buffer, q: number): void {
    const length = this.base + q - this.keyStart;
    let isRecords = false;
    // Most keys are decided by their length; an escaped spelling (longer) starts with `\` or `R`.
    if (length === RECORDS_KEY.length || (length > RECORDS_KEY.length && length <= MAX_KEY_BYTES && this.keyMayBeEscapedRecords(buf))) {
      const from = this.keyStart - this.base;
      let key: Buffer;
      if (from >= 0) {
        key = buf.subarray(from, q);
      } else {
        // the key started in an earlier chunk (rare): its head was kept
        key = this.keyHeadLong || this.keyHead === undefined ? Buffer.alloc(0) : Buffer.concat([this.keyHead, buf.subarray(0, q)]);
      }
      isRecords = key.length === length && (length === RECORDS_KEY.length ? key.equals(RECORDS_KEY) : isEscapedRecordsKey(key));
    }
    this.keyHead = undefined;
    this.keyHeadLong = false;
    this.keyState = isRecords ? KEY_RECORDS : KEY_OTHER;
  }

  /** Whether the current key's first byte (in this chunk or its kept head) is `\` or `R`. */
  private keyMayBeEscapedRecords(buf: Buffer): boolean {
    const from = this.keyStart - this.base;
    const first = from >= 0 ? buf[from] : this.keyHead?.[0];
    return first === BSLASH || first === 0x52;
  }

  /** Keeps the bytes of a top-level key that the chunk ends inside of (see `keyHead`). */
  private keepKeyHead(buf: Buffer, len: number): void {
    if (this.keyHeadLong) return;
    const from = Math.max(0, this.keyStart - this.base);
    const head = this.keyHead === undefined ? Buffer.from(buf.subarray(from, len)) : Buffer.concat([this.keyHead, buf.subarray(from, len)]);
    if (head.length > MAX_KEY_BYTES) {
      this.keyHead = undefined;
      this.keyHeadLong = true;
    } else {
      this.keyHead = head;
    }
  }
}

/** Bytes per block: the unit inputs are pushed to a splitter in (one thread) and handed to a worker in (parallel). */
export const DEFAULT_BLOCK_BYTES = 1_048_576;

/**
 * Where a full block of input is cut so that the next block can start a new
 * splitter (`startAtLine`): after the last line break that ends a line with
 * `}` (before blanks) and is followed by `{`, or 0 when there is none. The
 * cut depends only on the bytes, so every reader pushes the same blocks to
 * its splitters, however many workers read them: the splitter treats a
 * damaged line differently when it is whole in one push or not, and this
 * keeps even that identical.
 */
export function blockCut(block: Buffer, fill: number): number {
  for (let nl = block.lastIndexOf(NL, fill - 2); nl > 0; nl = block.lastIndexOf(NL, nl - 1)) {
    if (block[nl + 1] !== LBRACE) continue;
    let j = nl - 1;
    while (j >= 0 && (block[j] === CR || block[j] === SP || block[j] === TAB)) j--;
    if (j >= 0 && block[j] === RBRACE) return nl + 1;
  }
  return 0;
}

/** The longest spelling of `Records` as a JSON key's content: every character escaped (`\u0052…`). */
const MAX_KEY_BYTES = 6 * RECORDS_KEY.length;

/** Whether a key's content with escapes (`Rec\u006frds`) means `Records`, as it does to `JSON.parse`. */
function isEscapedRecordsKey(key: Buffer): boolean {
  if (key.indexOf(BSLASH) < 0) return false;
  try {
    return JSON.parse(`"${key.toString('latin1')}"`) === 'Records';
  } catch {
    return false;
  }
}

/** Whether only blanks follow `end` up to the next line break (false when the chunk ends first). */
function restOfLineIsBlank(buf: Buffer, end: number): boolean {
  for (let i = end; i < buf.length; i++) {
    const c = buf[i];
    if (c === NL) return true;
    if (c !== SP && c !== CR && c !== TAB) return false;
  }
  return false;
}

/** The first characters of a line, for error messages. */
function preview(buf: Buffer, i: number, len: number): string {
  let end = i;
  while (end < len && end - i < 40 && buf[end] !== NL && buf[end] !== CR) end++;
  return buf.toString('utf8', i, end);
}
