import { RecordSplitter } from '../../src/replay/record-splitter';

interface Split {
  records: Array<{ text: string; line: number }>;
  errors: Array<{ line: number; message: string }>;
}

/** Runs the splitter over `input`, cut into chunks of the given sizes (cycled). */
function split(input: string | Buffer, chunkSizes: number[] = [1_048_576]): Split {
  const out: Split = { records: [], errors: [] };
  const s = new RecordSplitter({
    record: (text, line) => out.records.push({ text, line }),
    error: (line, message) => out.errors.push({ line, message }),
  });
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let i = 0;
  let k = 0;
  while (i < buf.length) {
    const n = chunkSizes[k++ % chunkSizes.length];
    s.push(buf.subarray(i, i + n));
    i += n;
  }
  s.end();
  return out;
}

/** The splitter with a size limit, over `input` cut into chunks of `size` bytes. */
function splitLimited(input: string, size: number, maxRecordBytes: number): Split {
  const out: Split = { records: [], errors: [] };
  const s = new RecordSplitter({
    record: (text, line) => out.records.push({ text, line }),
    error: (line, message) => out.errors.push({ line, message }),
  }, maxRecordBytes);
  const buf = Buffer.from(input, 'utf8');
  for (let i = 0; i < buf.length; i += size) s.push(buf.subarray(i, i + size));
  s.end();
  return out;
}

const texts = (r: Split): string[] => r.records.map(x => x.text);
const parsed = (r: Split): any[] => r.records.map(x => JSON.parse(x.text));

/** Tricky but valid records: escaped quotes and backslashes, braces in strings, unicode, nesting. */
const TRICKY = [
  { eventName: 'A', s: 'quote " inside', b: 'ends with backslash \\', x: '\\"', y: 'braces } ] { [ in a string' },
  { eventName: 'B', unicode: 'héllo — 日本 🎉', nested: { a: [1, { b: [] }], c: {} }, Records: 'not an array' },
  { eventName: 'C', empty: '', n: -1.5e3, t: true, f: false, z: null, esc: '\u0000\t\n\r\\/' },
];

describe('RecordSplitter: layouts', () => {
  test('{"Records":[...]} yields each element, with its line', () => {
    const r = split('{"Records":[{"a":1},\n{"b":2}]}');
    expect(texts(r)).toEqual(['{"a":1}', '{"b":2}']);
    expect(r.records.map(x => x.line)).toEqual([1, 2]);
    expect(r.errors).toEqual([]);
  });

  test('the Records key need not come first; other wrapper keys are skipped', () => {
    const r = split('{"meta":{"x":[1,2,{"y":"]"}]},"Records":[{"a":1}],"tail":"}"}\n{"Records":[{"b":2}]}');
    expect(texts(r)).toEqual(['{"a":1}', '{"b":2}']);
    expect(r.errors).toEqual([]);
  });

  test('an empty Records array yields nothing and no error', () => {
    expect(split('{"Records":[]}')).toEqual({ records: [], errors: [] });
  });

  test('a JSON array (pretty-printed) yields each element at its starting line', () => {
    const r = split('[\n  {\n    "a": 1\n  },\n  {\n    "b": 2\n  }\n]\n');
    expect(parsed(r)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(r.records.map(x => x.line)).toEqual([2, 5]);
  });

  test('NDJSON yields one record per line; blank lines and CRLF are fine', () => {
    const r = split('{"a":1}\r\n\r\n{"b":2}\n{"c":3}');
    expect(parsed(r)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(r.records.map(x => x.line)).toEqual([1, 3, 4]);
  });

  test('NDJSON lines after the first are handed over whole; a wrapper line is still expanded', () => {
    const r = split('{"a":1}\n{"b":"}"}\n{"Records":[{"c":3},{"d":4}]}\n{"e":5}  \r\n');
    expect(texts(r)).toEqual(['{"a":1}', '{"b":"}"}', '{"c":3}', '{"d":4}', '{"e":5}']);
    expect(r.records.map(x => x.line)).toEqual([1, 2, 3, 3, 4]);
    // a broken line that still ends with } is handed over as is; JSON.parse reports it
    expect(texts(split('{"a":1}\n{"b": }\n{"c":3}\n'))).toEqual(['{"a":1}', '{"b": }', '{"c":3}']);
  });

  test('a single pretty-printed record object is one record', () => {
    const r = split('{\n  "eventName": "X",\n  "userIdentity": {\n    "type": "Root"\n  }\n}\n');
    expect(parsed(r)).toEqual([{ eventName: 'X', userIdentity: { type: 'Root' } }]);
  });

  test('a record with a "Records" key that is not an array stays one record', () => {
    const r = split('{"Records":"x","eventName":"Y"}');
    expect(parsed(r)).toEqual([{ Records: 'x', eventName: 'Y' }]);
  });

  test('a UTF-8 byte order mark is ignored', () => {
    const r = split(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"Records":[{"a":1}]}')]));
    expect(parsed(r)).toEqual([{ a: 1 }]);
    expect(r.errors).toEqual([]);
  });

  test('scalar array elements are handed over as text (the engine rejects them)', () => {
    const r = split('[1, "two", null, {"a":1}]');
    expect(texts(r)).toEqual(['1', '"two"', 'null', '{"a":1}']);
  });
});

describe('RecordSplitter: chunk boundaries', () => {
  const wrapper = JSON.stringify({ Records: TRICKY });
  const array = JSON.stringify(TRICKY, null, 2);
  const ndjson = TRICKY.map(r => JSON.stringify(r)).join('\n') + '\n';

  test.each([
    ['wrapper', wrapper],
    ['pretty array', array],
    ['ndjson', ndjson],
  ])('%s: every chunking gives the same records as one chunk', (_name, input) => {
    const whole = split(input);
    expect(parsed(whole)).toEqual(TRICKY);
    expect(whole.errors).toEqual([]);
    for (const sizes of [[1], [2], [3], [7], [13, 1, 5], [64]]) {
      const r = split(input, sizes);
      expect(r).toEqual(whole);
    }
  });

  test('a backslash run split across chunks keeps escapes right', () => {
    // `"a\\\\"` then `}`: the quote after four backslashes closes the string
    const input = '{"Records":[{"k":"a\\\\\\\\"},{"k":"b\\"c"}]}';
    expect(parsed(split(input))).toEqual([{ k: 'a\\\\' }, { k: 'b"c' }]);
    for (let cut = 1; cut < input.length; cut++) {
      const r = split(input, [cut, input.length]);
      expect(parsed(r)).toEqual([{ k: 'a\\\\' }, { k: 'b"c' }]);
    }
  });

  test('the "Records" key is recognised when split across chunks', () => {
    const input = '{"Records":[{"a":1},{"b":2}]}';
    for (let cut = 1; cut < 14; cut++) {
      expect(texts(split(input, [cut, 100]))).toEqual(['{"a":1}', '{"b":2}']);
    }
  });

  test('a multi-byte UTF-8 character split across chunks is decoded whole', () => {
    const input = '{"Records":[{"s":"日本"}]}';
    const r = split(input, [1]);
    expect(parsed(r)).toEqual([{ s: '日本' }]);
  });
});

describe('RecordSplitter: problems', () => {
  test('an empty or whitespace-only input is reported', () => {
    for (const input of ['', '  \n\t\n']) {
      const r = split(input);
      expect(r.records).toEqual([]);
      expect(r.errors).toEqual([{ line: 1, message: expect.stringMatching(/^the input is empty/) }]);
    }
  });

  test('a non-JSON input is reported once and skipped', () => {
    const r = split('eventName,eventTime\nStopLogging,2024\n{"a":1}\n');
    expect(r.records).toEqual([]);
    expect(r.errors).toEqual([{ line: 1, message: expect.stringContaining('not JSON: the input starts with "eventName,eventTime"') }]);
  });

  test('a truncated wrapper reports the record it ends in; earlier records survive', () => {
    const r = split('{"Records":[{"a":1},\n{"b":{"c":"x');
    expect(texts(r)).toEqual(['{"a":1}']);
    expect(r.errors).toEqual([{ line: 2, message: expect.stringMatching(/^truncated: the input ends inside the record/) }]);
  });

  test('a wrapper or array that is not closed is reported at the line it opens', () => {
    const r1 = split('\n{"Records":[{"a":1}');
    expect(texts(r1)).toEqual(['{"a":1}']);
    expect(r1.errors).toEqual([{ line: 2, message: expect.stringContaining('before the closing \']\' of the "Records" array') }]);
    const r2 = split('{"Records":[{"a":1}]');
    expect(r2.errors).toEqual([{ line: 1, message: expect.stringContaining('before the closing \'}\'') }]);
    const r3 = split('[{"a":1},');
    expect(r3.errors).toEqual([{ line: 1, message: expect.stringContaining('of the array') }]);
  });

  test('NDJSON: garbage lines are reported and skipped', () => {
    const r = split('{"a":1}\nnot json\n{"b":2}\n');
    expect(parsed(r)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(r.errors).toEqual([{ line: 2, message: expect.stringContaining('unexpected text "not json"') }]);
  });

  test('NDJSON: a line cut inside a string is reported and reading resumes on the next line', () => {
    const r = split('{"a":1}\n{"b":"cut\n{"c":3}\n');
    expect(parsed(r)).toEqual([{ a: 1 }, { c: 3 }]);
    expect(r.errors).toEqual([{ line: 2, message: expect.stringContaining('a line break inside a string') }]);
    expect(r.records[1].line).toBe(3);
  });

  test('NDJSON: a line cut outside a string is reported at the next line starting with {', () => {
    const r = split('{"a":{"x":1}\n{"c":3}\n{"d":4}\n');
    expect(parsed(r)).toEqual([{ c: 3 }, { d: 4 }]);
    expect(r.errors).toEqual([{ line: 1, message: expect.stringContaining('not closed before the next line') }]);
    expect(r.records.map(x => x.line)).toEqual([2, 3]);
  });

  test('inside an array, a line break in a string skips the rest of the input', () => {
    const r = split('[{"a":1},\n{"b":"cut\n},{"c":3}]');
    expect(parsed(r)).toEqual([{ a: 1 }]);
    expect(r.errors).toEqual([{ line: 2, message: expect.stringContaining('The rest of this input is skipped') }]);
  });

  test('an unexpected } between array elements skips the rest of the input', () => {
    const r = split('{"Records":[{"a":1}}, {"b":2}]}');
    expect(parsed(r)).toEqual([{ a: 1 }]);
    expect(r.errors).toEqual([{ line: 1, message: expect.stringContaining('unexpected \'}\'') }]);
  });

  test('syntax errors inside a balanced record are left to JSON.parse (the text is handed over)', () => {
    const r = split('[{"a": }, {"b":2}]');
    expect(texts(r)).toEqual(['{"a": }', '{"b":2}']);
    expect(r.errors).toEqual([]);
  });
});

describe('RecordSplitter: randomised round trip', () => {
  /** Small deterministic PRNG (Park-Miller), so failures reproduce. */
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a * 48271) % 2147483647;
      return a / 2147483647;
    };
  }
  const ALPHABET = ['a', 'Z', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', 'é', '日', '🎉', 'Records', '\\"', '\u0001'];

  function randomValue(r: () => number, depth: number): unknown {
    const k = Math.floor(r() * (depth > 2 ? 4 : 6));
    switch (k) {
      case 0: return Array.from({ length: Math.floor(r() * 8) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join('');
      case 1: return Math.floor(r() * 1e6) / 100;
      case 2: return r() < 0.5;
      case 3: return null;
      case 4: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
      default: return randomRecord(r, depth + 1);
    }
  }
  function randomRecord(r: () => number, depth = 0): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    const n = 1 + Math.floor(r() * 5);
    for (let i = 0; i < n; i++) o[String(randomValue(r, 3)) + i] = randomValue(r, depth);
    return o;
  }

  test.each([1, 2, 3, 4, 5])('seed %i: all layouts and chunkings give the records back', (seed) => {
    const r = rng(seed);
    const recs = Array.from({ length: 20 }, () => randomRecord(r));
    const layouts = [
      JSON.stringify({ Records: recs }),
      JSON.stringify({ Records: recs }, null, 2),
      JSON.stringify(recs, null, 1),
      recs.map(x => JSON.stringify(x)).join('\n'),
    ];
    for (const input of layouts) {
      const sizes = Array.from({ length: 5 }, () => 1 + Math.floor(r() * 40));
      const out = split(input, sizes);
      expect(out.errors).toEqual([]);
      expect(parsed(out)).toEqual(recs);
    }
  });
});

describe('RecordSplitter: wrappers JSON.parse reads differently from a byte scan', () => {
  const CHUNKS = [1, 2, 3, 7, 1_048_576];

  test.each(CHUNKS)('a second "Records" key: both arrays are read and the duplicate is reported (chunks of %i bytes)', size => {
    const r = split('{"Records":[{"a":1}],\n"Records":[{"b":2},{"c":3}]}\n{"d":4}\n', [size]);
    expect(texts(r)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']);
    expect(r.errors).toEqual([{ line: 2, message: 'the {"Records":[...]} object that starts on line 1 has a second "Records" key; its records are read as well (JSON.parse would keep only the last one)' }]);
  });

  test.each(CHUNKS)('a "Records" key spelled with escapes is the wrapper JSON.parse sees (chunks of %i bytes)', size => {
    const r = split('{"x":1}  \n{\n"Rec\\u006frds":[{"a":1},{"b":2}]}\n{"\\u0052\\u0065\\u0063\\u006f\\u0072\\u0064\\u0073":[{"c":3}]}', [size]);
    expect(texts(r)).toEqual(['{"x":1}', '{"a":1}', '{"b":2}', '{"c":3}']);
    expect(r.errors).toEqual([]);
  });

  test.each(CHUNKS)('an escaped wrapper on a whole NDJSON line is read as the splitter reads any wrapper, both keys and all (chunks of %i bytes)', size => {
    const r = split('{"x":1}\n{"Rec\\u006frds":[{"a":1}],"Rec\\u006frds":[{"b":2}]}\n{"y":2}\n', [size]);
    expect(texts(r)).toEqual(['{"x":1}', '{"a":1}', '{"b":2}', '{"y":2}']);
    expect(r.errors.map(e => e.message)).toEqual([expect.stringContaining('has a second "Records" key')]);
  });

  test.each(CHUNKS)('an escaped wrapper key after other backslashes on its NDJSON line is still the wrapper (chunks of %i bytes)', size => {
    // `\\u006f` is an escaped backslash and a `u`, not an escape: only the key's own `\u006f` spells "Records"
    const r = split('{"x":"a\\"b"}\n{"p":"c:\\\\u006f\\\\","Rec\\u006frds":[{"a":1}]}\n{"y":"\\/"}\n', [size]);
    expect(texts(r)).toEqual(['{"x":"a\\"b"}', '{"a":1}', '{"y":"\\/"}']);
    expect(r.errors).toEqual([]);
  });

  test('a second "Records" key whose value is not an array is not reported as read', () => {
    const r = split('{"Records":[{"a":1}],"Records":null}\n');
    expect(texts(r)).toEqual(['{"a":1}']);
    expect(r.errors).toEqual([]);
  });

  test.each(CHUNKS)('keys that only look like "Records" are not it (chunks of %i bytes)', size => {
    const input = '{"Rec\\u006fords":[{"a":1}]}\n{"Records\\u0000":[1]}\n{"\\"Records":[2]}\n';
    expect(texts(split(input, [size]))).toEqual(['{"Rec\\u006fords":[{"a":1}]}', '{"Records\\u0000":[1]}', '{"\\"Records":[2]}']);
  });

  test.each([1, 5, 64, 1_048_576])('a member over the size limit before "Records" does not lose the records (chunks of %i bytes)', size => {
    const pad = 'x'.repeat(300);
    const r = splitLimited(`{"padding":"${pad}","Records":[{"a":1},{"b":2}]}\n{"big":"${pad}"}\n{"c":3}\n`, size, 100);
    expect(texts(r)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    // only the plain record over the limit is skipped, reported once, where it starts
    expect(r.errors).toEqual([{ line: 2, message: 'record skipped: it is longer than the maximum record size of 100 bytes (--max-record-size)' }]);
  });

  test('a record over the size limit that the input cuts short is reported once', () => {
    const r = splitLimited(`{"a":1}\n{"big":"${'x'.repeat(300)}`, 64, 100);
    expect(texts(r)).toEqual(['{"a":1}']);
    expect(r.errors).toEqual([{ line: 2, message: 'record skipped: it is longer than the maximum record size of 100 bytes (--max-record-size)' }]);
  });
});

describe('RecordSplitter: an NDJSON line over the size limit that is cut short', () => {
  const OVERSIZE = { line: 2, message: 'record skipped: it is longer than the maximum record size of 100 bytes (--max-record-size)' };

  test.each([1, 7, 64, 1_048_576])('cut inside a string: reported once, the next lines are read (chunks of %i bytes)', size => {
    const r = splitLimited(`{"a":1}\n{"big":"${'x'.repeat(300)}\n{"c":3}\n{"d":4}\n`, size, 100);
    expect(texts(r)).toEqual(['{"a":1}', '{"c":3}', '{"d":4}']);
    expect(r.errors).toEqual([OVERSIZE]);
  });

  test.each([1, 7, 64, 1_048_576])('cut between members: reported once, the next lines are read (chunks of %i bytes)', size => {
    const r = splitLimited(`{"a":1}\n{"big":"${'x'.repeat(300)}",\n{"c":3}\n{"d":4}\n`, size, 100);
    expect(texts(r)).toEqual(['{"a":1}', '{"c":3}', '{"d":4}']);
    expect(r.errors).toEqual([OVERSIZE]);
  });
});
