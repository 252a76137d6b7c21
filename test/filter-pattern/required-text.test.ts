import { FilterPatternEngine } from '../../src/filter-pattern';
import { requiredText } from '../../src/filter-pattern/required-text';
import { compileFilter, ReplayControl } from '../../src/replay/controls';
import { RecordPrefilter } from '../../src/replay/prefilter';
import { RecordSplitter } from '../../src/replay/record-splitter';
import { ReplayEngine } from '../../src/replay/replay-engine';

/** Park-Miller, seeded: the same cases on every run. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed;
  }
  public next(): number {
    this.s = (this.s * 48271) % 2147483647;
    return this.s / 2147483647;
  }
  public int(n: number): number {
    return Math.floor(this.next() * n);
  }
  public pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  public chance(p: number): boolean {
    return this.next() < p;
  }
}

const WORDS = ['ConsoleLogin', 'AccessDenied', 'Client.UnauthorizedOperation', 'Root', 'Yes', 'x*y', 'a b', 'é', '日本', '😀', 'Records', 'q"t', 'b\\s', 'sl/ash', '400', '4e2', 'Infinity', '-', 'true', ''];
const KEYS = ['eventName', 'errorCode', 'a', 'b', 'n', 'userIdentity', 'type', 'arn'];
const NUMBERS = ['400', '4e2', '400.0', '4.00E+2', '-0', '0', '1e400', '12.5', '-7'];

/** A JSON value as text, with the spellings JSON allows: escapes, number forms, blanks. */
function genValue(r: Rng, depth: number): string {
  const k = r.int(depth > 2 ? 4 : 7);
  switch (k) {
    case 0:
    case 1: return genString(r, r.pick(WORDS));
    case 2: return r.pick(NUMBERS);
    case 3: return r.pick(['true', 'false', 'null']);
    case 4:
    case 5: return genObject(r, depth + 1);
    default: return `[${Array.from({ length: r.int(3) }, () => genValue(r, depth + 1)).join(r.pick([',', ' , ']))}]`;
  }
}

function genString(r: Rng, s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (r.chance(0.08) && code < 0x10000) out += '\\u' + code.toString(16).padStart(4, '0');
    else if (ch === '/' && r.chance(0.5)) out += '\\/';
    else out += ch;
  }
  if (r.chance(0.02)) out += '\\n';
  if (r.chance(0.003)) out += '\t'; // a raw tab: invalid JSON
  return out + '"';
}

function genObject(r: Rng, depth: number): string {
  const n = r.int(depth === 0 ? 5 : 3) + (depth === 0 ? 1 : 0);
  const key = (): string => (depth === 0 && r.chance(0.02) ? 'Records' : r.pick(KEYS));
  const members = Array.from({ length: n }, () => `${genString(r, key())}${r.pick([':', ' : '])}${genValue(r, depth)}`);
  return `{${members.join(r.pick([',', ', ']))}}`;
}

/** Text damage that JSON.parse may or may not accept. */
function damage(r: Rng, line: string): string {
  const i = r.int(line.length + 1);
  switch (r.int(4)) {
    case 0: return line.slice(0, i) + line.slice(i + 1);
    case 1: return line.slice(0, i) + r.pick([',', '}', ']', '"', '0', ':', ' ', '{', '[', 'e', '-', '.']) + line.slice(i);
    case 2: return line + r.pick(['', ' ', '}', ',']);
    default: return line.slice(0, i);
  }
}

const SELECTORS = ['$.eventName', '$.errorCode', '$.a', '$.b.type', '$.userIdentity.type', '$.n', '$.b[0]', '$.Records'];

function genPatternValue(r: Rng): string {
  const w = r.pick(WORDS.filter(x => x !== ''));
  switch (r.int(6)) {
    case 0: return JSON.stringify(w);
    case 1: return `"*${w.replace(/["\\]/g, '')}"`;
    case 2: return `"${w.replace(/["\\]/g, '')}*"`;
    case 3: return `"*${w.replace(/["\\]/g, '')}*"`;
    case 4: return r.pick(NUMBERS.filter(x => x !== '1e400'));
    default: return /^[A-Za-z]+$/.test(w) ? w : JSON.stringify(w);
  }
}

function genCondition(r: Rng, depth: number): string {
  if (depth < 2 && r.chance(0.35)) {
    const n = 2 + r.int(2);
    return `(${Array.from({ length: n }, () => genCondition(r, depth + 1)).join(r.chance(0.5) ? ' && ' : ' || ')})`;
  }
  const sel = r.pick(SELECTORS);
  switch (r.int(10)) {
    case 0: return `${sel} NOT EXISTS`;
    case 1: return `${sel} IS ${r.pick(['NULL', 'TRUE', 'FALSE'])}`;
    case 2: return `${sel} = *`;
    case 3: return `${sel} != ${genPatternValue(r)}`;
    case 4: return `${sel} ${r.pick(['<', '>', '<=', '>=', '='])} ${r.pick(['400', '0', '-1', '1e3'])}`;
    default: return `${sel} = ${genPatternValue(r)}`;
  }
}

function genPattern(r: Rng): string {
  if (r.chance(0.75)) return `{ ${genCondition(r, 0)} }`;
  const term = (): string => {
    const w = r.pick(WORDS.filter(x => x !== ''));
    return /^[A-Za-z0-9]+$/.test(w) ? w : JSON.stringify(w);
  };
  const groups = 1 + r.int(2);
  return Array.from({ length: groups }, () => {
    const terms = Array.from({ length: 1 + r.int(2) }, () => (r.chance(0.2) ? '-' : '') + term());
    return (groups > 1 ? '?' : '') + terms.join(' ');
  }).join(' ');
}

function controlFor(pattern: string): ReplayControl {
  return { key: 'k', namespace: 'N', metricName: 'M', filters: [compileFilter('t', pattern)], alarms: [] };
}

function plainObject(line: string): boolean {
  try {
    const v = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.prototype.hasOwnProperty.call(v, 'Records');
  } catch {
    return false;
  }
}

describe('required text of a pattern (pre-filter)', () => {
  test('derivation: || unions, && keeps every operand, negations and numbers give nothing', () => {
    const req = (p: string): unknown => requiredText(FilterPatternEngine.parse(p)._ast);
    expect(req('{ $.eventName = "ConsoleLogin" }')).toEqual([[{ kind: 'value', text: 'ConsoleLogin', key: 'eventName' }]]);
    expect(req('{ $.a = "x" || $.a = "*zz" }')).toEqual([[{ kind: 'value', text: 'x', key: 'a' }, { kind: 'valueEnd', text: 'zz', key: 'a' }]]);
    expect(req('{ $.a = "*y" }')).toBeUndefined(); // "y" ends "Infinity", the string form of 1e400
    expect(req('{ $.a = "x" && $.b.c = z* }')).toEqual([[{ kind: 'value', text: 'x', key: 'a' }], [{ kind: 'valueStart', text: 'z', key: 'c' }]]);
    expect(req('{ $.b[0] = "x" }')).toEqual([[{ kind: 'value', text: 'x' }]]); // inside an array: found as text, not by property
    expect(req('{ $.a != "x" }')).toBeUndefined();
    expect(req('{ $.a NOT EXISTS }')).toBeUndefined();
    expect(req('{ $.a = "400" }')).toBeUndefined(); // also matches the number 4e2
    expect(req('{ $.a = "x" || $.b NOT EXISTS }')).toBeUndefined();
    expect(req('ERROR -DEBUG')).toEqual([[{ kind: 'text', text: 'ERROR' }]]);
    expect(req('[a, b = x]')).toBeUndefined();
  });

  test('property: a record the pre-filter skips is one the pattern does not match', () => {
    const r = new Rng(20240611);
    const PATTERNS = 1000;
    const EVENTS = 60;
    let checked = 0;
    let skipped = 0;
    let matchedKept = 0;
    let skippedValid = 0;
    let withPrefilter = 0;
    for (let p = 0; p < PATTERNS; p++) {
      const text = genPattern(r);
      if (FilterPatternEngine.validate(text) !== undefined) continue;
      const compiled = FilterPatternEngine.parse(text);
      const pf = RecordPrefilter.forControls([controlFor(text)]);
      if (pf === undefined) continue;
      withPrefilter++;
      for (let e = 0; e < EVENTS; e++) {
        let line = genObject(r, 0);
        if (r.chance(0.15)) line = damage(r, line);
        const buf = Buffer.from(`  ${line}\n`, 'utf8');
        pf.newChunk();
        const skip = pf.canSkip(buf, 2, buf.length - 1);
        checked++;
        const valid = plainObject(line);
        const matches = valid && compiled.matchesRecord(JSON.parse(line), line);
        if (skip) {
          skipped++;
          if (matches) throw new Error(`skipped ${JSON.stringify(line)} for ${text}, which it matches`);
          if (valid) skippedValid++;
        } else if (matches) {
          matchedKept++;
        }
      }
    }
    // not vacuous: most patterns have a pre-filter, it skips a lot, and matching records were seen and kept
    expect(withPrefilter).toBeGreaterThan(300);
    expect(skipped).toBeGreaterThan(checked / 8); // events with escapes (most, here) are never skipped
    expect(matchedKept).toBeGreaterThan(100);
    expect(skippedValid).toBeGreaterThan(skipped / 2);
  });

  test('property: a skipped record is an object without a "Records" key: scalars, arrays and wrappers always take the full path', () => {
    const r = new Rng(7);
    const pf = RecordPrefilter.forControls([controlFor('{ $.eventName = "NeverPresentAnywhere" }')])!;
    let skipped = 0;
    for (let i = 0; i < 20000; i++) {
      const line = r.chance(0.3) ? genValue(r, 0) : genObject(r, 0);
      const buf = Buffer.from(line, 'utf8');
      pf.newChunk();
      if (!pf.canSkip(buf, 0, buf.length)) continue;
      skipped++;
      if (!line.startsWith('{') || !line.endsWith('}') || line.includes('"Records"') || /[\\\n]/.test(line)) {
        throw new Error(`skipped ${JSON.stringify(line)}`);
      }
    }
    expect(skipped).toBeGreaterThan(1500);
  });

  test('literals are found by their rarest byte, then checked whole; property values only where the name is a key', () => {
    const pf = RecordPrefilter.forControls([controlFor('{ $.userIdentity.type = "Root" }'), controlFor('{ $.eventName = "A1" || $.eventName = "B2" }')])!;
    // the first buffer decides the anchors: here "R" is rare, so `Root"` is searched and its hits checked for the quote before
    const lines = [
      '{"userIdentity":{"type":"NotRoot"},"eventName":"C3"}',
      '{"userIdentity":{"type":"Root"},"eventName":"C3"}',
      '{"userIdentity":{"type" : "Root" },"eventName":"C3"}',
      '{"eventName":"B2"}',
      '{"note":"eventName","x":"A1"}',
      '{"eventName":{"nested":"A1"}}',
      '{"eventName" :"A1"}',
    ];
    const buf = Buffer.from(lines.join('\n'), 'utf8');
    const skips: boolean[] = [];
    let start = 0;
    for (const l of lines) {
      const end = start + Buffer.byteLength(l);
      skips.push(pf.canSkip(buf, start, end));
      start = end + 1;
    }
    // an object as the value of a searched name is not looked into: kept, to be sure
    expect(skips).toEqual([true, false, false, false, true, false, false]);
  });

  test('engine: the same matches with and without the pre-filter, every record counted once (NDJSON and {"Records":[...]})', () => {
    const r = new Rng(99);
    const patterns = ['{ $.eventName = "ConsoleLogin" && $.b.type != "Yes" }', '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" }', 'Root', '{ $.a = "é" || $.a = 日本 }'];
    const controls: ReplayControl[] = patterns.map((p, i) => ({ ...controlFor(p), key: `k${i}`, metricName: `M${i}` }));
    const lines = Array.from({ length: 3000 }, () => (r.chance(0.1) ? damage(r, genObject(r, 0)) : genObject(r, 0)).replace(/\n/g, ''));
    const inputs = [lines.join('\n') + '\n', `{"Records":[${lines.filter(plainObject).join(',')}]}`];
    for (const input of inputs) {
      const run = (prefilter: boolean): unknown => {
        const engine = new ReplayEngine(controls, { prefilter, eventIds: true });
        const splitter = new RecordSplitter(engine.sinkFor('in'));
        const bytes = Buffer.from(input, 'utf8');
        for (let i = 0; i < bytes.length; i += 4096) splitter.push(bytes.subarray(i, i + 4096));
        splitter.end();
        return engine.result();
      };
      const on = run(true) as any;
      const off = run(false) as any;
      // the same matches, every record counted once; only damage inside skipped records goes unreported
      expect(on.controls).toEqual(off.controls);
      expect(on.events + on.malformed).toBe(off.events + off.malformed);
      expect(on.errors.every((e: any) => off.errors.some((o: any) => JSON.stringify(o) === JSON.stringify(e)))).toBe(true);
      expect(on.events).toBeGreaterThan(1000);
      expect(on.controls.some((c: any) => c.matches > 0)).toBe(true);
    }
  });
});
