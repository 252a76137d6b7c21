/**
 * Issue #12, "Nothing lost": every per-file and per-record problem is
 * reported (file and record), counted, and the rest of the input is processed.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { fixture, runCli, runJson } from './fixtures/replay/cli-harness';
import { benchmarkControls } from '../../src/replay/benchmark-controls';
import * as eventSource from '../../src/replay/event-source';
import { parseEventTime } from '../../src/replay/event-time';
import { ReplayEngine } from '../../src/replay/replay-engine';
import { SpaceSaving } from '../../src/replay/top-k';
import { requires, testIf } from '../support/requirements';

const BENCH = ['--benchmark', '7.0.0'];

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-robust-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  jest.restoreAllMocks();
});

function dir(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

describe('case 1: files that vanish or fail to read are reported, the rest is read', () => {
  test('a file removed between the directory walk and its read', async () => {
    const d = dir('vanish');
    fs.copyFileSync(fixture('records.json'), path.join(d, 'a.json'));
    fs.copyFileSync(fixture('records.json'), path.join(d, 'b.json'));
    fs.copyFileSync(fixture('records.json'), path.join(d, 'c.json'));
    const real = eventSource.resolveInputs;
    jest.spyOn(eventSource, 'resolveInputs').mockImplementation((paths, tty) => {
      const inputs = real(paths, tty);
      fs.rmSync(path.join(d, 'b.json'));
      return inputs;
    });
    const r = await runJson([...BENCH, d]);
    expect(r.code).toBe(0);
    expect(r.json.events).toBe(12);
    expect(r.json.malformed).toBe(1);
    expect(r.json.errors).toHaveLength(1);
    expect(r.json.errors[0].file).toBe(path.join(d, 'b.json'));
    expect(r.json.errors[0].message).toMatch(/cannot read ".*b\.json": it no longer exists/);
  });

  test('an EIO in the middle of a file: the records before it count, the error names the file, the next file is read', async () => {
    const d = dir('eio');
    const bad = path.join(d, 'a.ndjson');
    fs.copyFileSync(fixture('events.ndjson'), bad);
    fs.copyFileSync(fixture('records.json'), path.join(d, 'b.json'));
    const lines = fs.readFileSync(fixture('events.ndjson'), 'utf8').split('\n');
    const engine = new ReplayEngine(benchmarkControls('7.0.0'));
    const openFile = (p: string, chunkSize: number): any => {
      if (p !== bad) return fs.createReadStream(p, { highWaterMark: chunkSize });
      const s = Readable.from((async function* () {
        yield Buffer.from(lines.slice(0, 2).join('\n') + '\n' + lines[2].slice(0, 20));
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5, syscall: 'read' });
      })());
      return Object.assign(s, { bytesRead: 0 });
    };
    for (const source of eventSource.resolveInputs([d], false)) {
      await eventSource.readSource(source, engine.sinkFor(source.display), { stdin: Readable.from([]), openFile });
    }
    const r = engine.result();
    expect(r.events).toBe(2 + 6);
    expect(r.malformed).toBe(1);
    expect(r.errors[0].file).toBe(bad);
    expect(r.errors[0].message).toMatch(/^cannot read ".*a\.ndjson": EIO: i\/o error, read; the record that starts on line 3 is cut short/);
  });
});

describe('case 3: inputs reached twice are read once; {"Records": null} is malformed', () => {
  test('the same file twice, and a directory and a file inside it: read once, with a warning', async () => {
    const d = dir('twice');
    fs.copyFileSync(fixture('records.json'), path.join(d, 'a.json'));
    const twice = await runJson([...BENCH, path.join(d, 'a.json'), path.join(d, 'a.json')]);
    expect(twice.code).toBe(0);
    expect(twice.json.events).toBe(6);
    expect(twice.json.warnings).toEqual([expect.stringMatching(/a\.json" is the same file as ".*a\.json", which is already read: read once/)]);
    const nested = await runJson([...BENCH, d, path.join(d, '.', 'a.json')]);
    expect(nested.json.events).toBe(6);
    expect(nested.json.warnings).toHaveLength(1);
  });

  test('{"Records": null} is a malformed file with 0 events', async () => {
    const f = path.join(dir('null'), 'null.json');
    fs.writeFileSync(f, '{"Records": null}');
    const r = await runJson([...BENCH, f, fixture('records.json')]);
    expect(r.json.events).toBe(6);
    expect(r.json.malformed).toBe(1);
    expect(r.json.errors[0]).toMatchObject({ file: f, line: 1, message: expect.stringContaining('"Records" must be an array of records, got null') });
  });
});

describe('case 2: output errors end in one line, never a stack trace', () => {
  const ROOT = path.resolve(__dirname, '..', '..');
  const ENV = { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', TS_NODE_TRANSPILE_ONLY: 'true' };
  const ARGS = ['-r', 'ts-node/register', 'src/cli/main.ts', 'replay', ...BENCH, '--format', 'json', '--event-ids'];

  test('a closed stdout (replay ... | head): EPIPE ends quietly with 0', async () => {
    const big = path.join(dir('epipe'), 'big.ndjson');
    const line = fs.readFileSync(fixture('events.ndjson'), 'utf8').split('\n')[0];
    fs.writeFileSync(big, (line + '\n').repeat(20_000));
    const child = spawn(process.execPath, [...ARGS, big], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', d => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy()); // the reader goes away after its first bytes
    const code = await new Promise<number | null>(resolve => child.on('close', c => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(code).toBe(0);
  }, 60_000);

  testIf(requires.platform('/dev/full', fs.existsSync('/dev/full'), 'this system has no /dev/full to simulate a full disk'))('a full disk (ENOSPC, /dev/full): one line, exit 1', async () => {
    const out = fs.openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [...ARGS, fixture('records.json')], { cwd: ROOT, env: ENV, stdio: ['ignore', out, 'pipe'], encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('cis-monitoring: cannot write the output: ENOSPC: no space left on device, write\n');
      expect(r.status).toBe(1);
    } finally {
      fs.closeSync(out);
    }
  }, 60_000);
});

describe('case 4: gzip as zcat reads it', () => {
  const body = (): Buffer => fs.readFileSync(fixture('records.json'));

  test('a valid gzip followed by trailing bytes: every record is read, the trailing bytes are reported once', async () => {
    const f = path.join(dir('gz'), 'trailing.json.gz');
    fs.writeFileSync(f, Buffer.concat([zlib.gzipSync(body()), Buffer.from('garbage\n')]));
    const r = await runJson([...BENCH, f]);
    expect(r.json.events).toBe(6);
    expect(r.json.malformed).toBe(1);
    expect(r.json.errors).toEqual([{ file: f, line: 0, message: expect.stringMatching(/^8 trailing byte\(s\) after the gzip data \(from byte \d+\) are not gzip and were ignored/) }]);
  });

  test('zero padding after the gzip data is ignored silently', async () => {
    const f = path.join(dir('gz'), 'padded.json.gz');
    fs.writeFileSync(f, Buffer.concat([zlib.gzipSync(body()), Buffer.alloc(512)]));
    const r = await runJson([...BENCH, f]);
    expect(r.json.events).toBe(6);
    expect(r.json.malformed).toBe(0);
  });

  test('concatenated gzip members (cat a.gz b.gz), from a file and from stdin, with trailing bytes', async () => {
    const two = Buffer.concat([zlib.gzipSync(body()), zlib.gzipSync(fs.readFileSync(fixture('events.ndjson'))), Buffer.from('x')]);
    const f = path.join(dir('gz'), 'two.gz');
    fs.writeFileSync(f, two);
    for (const r of [await runJson([...BENCH, f]), await runJson([...BENCH, '-'], { stdin: two })]) {
      expect(r.json.events).toBe(12);
      expect(r.json.malformed).toBe(1);
      expect(r.json.errors[0].message).toMatch(/1 trailing byte\(s\) after the gzip data/);
    }
  });

  test('a 10-byte truncated gzip is reported as truncated gzip, once (not as an empty input)', async () => {
    const f = path.join(dir('gz'), 'ten.json.gz');
    fs.writeFileSync(f, zlib.gzipSync(body()).subarray(0, 10));
    const r = await runJson([...BENCH, f, fixture('records.json')]);
    expect(r.json.events).toBe(6);
    expect(r.json.malformed).toBe(1);
    expect(r.json.errors[0].message).toMatch(/the gzip data is truncated \(it ends inside member 1 at byte 10\)/);
    expect(r.json.errors[0].message).not.toMatch(/empty/);
  });

  test('a gzip cut inside its data counts one problem; the records before the cut count', async () => {
    const lines = fs.readFileSync(fixture('events.ndjson'));
    const gz = zlib.gzipSync(lines);
    const f = path.join(dir('gz'), 'cut.ndjson.gz');
    fs.writeFileSync(f, gz.subarray(0, gz.length - 8)); // the trailer is missing
    const r = await runJson([...BENCH, f]);
    expect(r.json.events).toBe(6);
    expect(r.json.malformed).toBe(1);
    expect(r.json.errors[0].message).toMatch(/truncated \(it ends inside the trailer of member 1/);
  });

  test('a corrupt member is one problem', async () => {
    const gz = Buffer.from(zlib.gzipSync(body()));
    gz[2] = 7; // compression method
    const f = path.join(dir('gz'), 'method.json.gz');
    fs.writeFileSync(f, gz);
    const r = await runJson([...BENCH, f, fixture('records.json')]);
    expect(r.json.malformed).toBe(1);
    expect(r.json.errors[0].message).toMatch(/unknown gzip compression method 7/);
  });
});

test('case 4: a damaged gzip trailer (CRC) is reported', async () => {
  const gz = Buffer.from(zlib.gzipSync(fs.readFileSync(fixture('records.json'))));
  gz[gz.length - 8] = 255 - gz[gz.length - 8];
  const f = path.join(dir('gz'), 'crc.json.gz');
  fs.writeFileSync(f, gz);
  const r = await runJson([...BENCH, f]);
  expect(r.json.events).toBe(6); // the records were decoded before the trailer
  expect(r.json.malformed).toBe(1);
  expect(r.json.errors[0].message).toMatch(/CRC mismatch|length/);
});

describe('case 5: byte order marks of concatenated files; errors name the record', () => {
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

  test('a BOM at the start of each concatenated file (cat a.json b.json | replay -) is not part of the JSON', async () => {
    const a = Buffer.concat([BOM, fs.readFileSync(fixture('records.json'))]);
    const b = Buffer.concat([BOM, fs.readFileSync(fixture('events.ndjson'))]);
    const all = Buffer.concat([a, Buffer.from('\n'), b, a]);
    const r = await runJson([...BENCH, '-'], { stdin: all });
    expect(r.json.malformed).toBe(0);
    expect(r.json.events).toBe(18);
  });

  test('a BOM split across chunks is still skipped', () => {
    const { RecordSplitter } = jest.requireActual('../../src/replay/record-splitter');
    const input = Buffer.concat([Buffer.from('{"a":1}\n'), BOM, Buffer.from('{"b":2}\n')]);
    for (let cut = 1; cut < input.length; cut++) {
      const records: string[] = [];
      const errors: string[] = [];
      const s = new RecordSplitter({ record: (t: string) => records.push(t), error: (_l: number, m: string) => errors.push(m) });
      s.push(input.subarray(0, cut));
      s.push(input.subarray(cut));
      s.end();
      expect([cut, records, errors]).toEqual([cut, ['{"a":1}', '{"b":2}'], []]);
    }
  });

  test('an error inside a one-line CloudTrail file names the record (its index in the file and byte offset)', async () => {
    const records = JSON.parse(fs.readFileSync(fixture('records.json'), 'utf8')).Records;
    const texts = records.map((x: any) => JSON.stringify(x));
    texts[3] = texts[3].replace('"eventName":', '"eventName"');
    const line = '{"Records":[' + texts.join(',') + ']}';
    const f = path.join(dir('oneline'), 'oneline.json');
    fs.writeFileSync(f, line);
    const r = await runJson([...BENCH, f]);
    expect(r.json.events).toBe(5);
    expect(r.json.errors).toEqual([{
      file: f,
      line: 1,
      record: 4,
      offset: line.indexOf(texts[3]),
      message: expect.stringMatching(/^malformed record: .* at character \d+ of the record/),
    }]);
    const table = await runCli([...BENCH, f]);
    expect(table.stderr).toContain(`${f}:1 (record 4, byte ${line.indexOf(texts[3])}): malformed record:`);
  });
});

describe('case 6: dangling symlinks and FIFOs in a walked directory are reported', () => {
  const testIfFifo = testIf(requires.platform('named pipes (mkfifo)', process.platform !== 'win32', `${process.platform} has no mkfifo`));
  testIfFifo('reported against the entry, counted (exit 3 with --strict); the files are read', async () => {
    const d = dir('special');
    fs.copyFileSync(fixture('records.json'), path.join(d, 'a.json'));
    fs.symlinkSync(path.join(d, 'gone.json'), path.join(d, 'dangling.json'));
    spawnSync('mkfifo', [path.join(d, 'pipe.json')]);
    expect(fs.statSync(path.join(d, 'pipe.json')).isFIFO()).toBe(true);
    const r = await runJson([...BENCH, '--strict', d]);
    expect(r.code).toBe(3);
    expect(r.json.events).toBe(6);
    expect(r.json.malformed).toBe(2);
    expect(r.json.errors).toEqual([
      { file: path.join(d, 'dangling.json'), line: 0, message: expect.stringMatching(/^skipped: a symbolic link to ".*gone\.json", which does not exist/) },
      { file: path.join(d, 'pipe.json'), line: 0, message: expect.stringMatching(/^skipped: a FIFO \(named pipe\), not a regular file/) },
    ]);
    const table = await runCli([...BENCH, d]);
    expect(table.code).toBe(0);
    expect(table.stderr).toContain(`${path.join(d, 'dangling.json')}: skipped: a symbolic link`);
  });

  test('a directory that holds only a dangling symlink: reported, and no record could be read (exit 2)', async () => {
    const d = dir('only-dangling');
    fs.symlinkSync(path.join(d, 'gone.json'), path.join(d, 'x.json'));
    const r = await runJson([...BENCH, d]);
    expect(r.code).toBe(2);
    expect(r.json.malformed).toBe(1);
  });

  testIfFifo('a FIFO given by name is read (process substitution: replay <(zcat ...))', async () => {
    const fifo = path.join(dir('named-fifo'), 'in.json');
    spawnSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `gzip -c < "${fixture('records.json')}" > "${fifo}"`], { stdio: 'ignore' });
    const closed = new Promise(resolve => writer.on('close', resolve));
    const r = await runJson([...BENCH, fifo]);
    await closed;
    expect(r.json.events).toBe(6);
    expect(r.json.malformed).toBe(0);
  });
});

describe('case 7: eventTime is parsed strictly; untimed matches are shown', () => {
  test('ISO 8601 with Z or an offset, as CloudTrail writes it', () => {
    expect(parseEventTime('2024-03-01T10:00:05Z')).toBe(Date.UTC(2024, 2, 1, 10, 0, 5));
    expect(parseEventTime('2024-03-01T10:00:05.123Z')).toBe(Date.UTC(2024, 2, 1, 10, 0, 5, 123));
    expect(parseEventTime('2024-03-01T12:00:05+02:00')).toBe(Date.UTC(2024, 2, 1, 10, 0, 5));
    expect(parseEventTime('2024-03-01T05:30:05-0430')).toBe(Date.UTC(2024, 2, 1, 10, 0, 5));
    expect(parseEventTime('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  test('not a time: NaN (untimed), where Date.parse guesses', () => {
    for (const bad of ['1', '2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-03-01', '2024-03-01T24:00:00Z', '2024-13-01T00:00:00Z',
      'March 1, 2024', '2024-03-01 10:00:05Z', ' 2024-03-01T10:00:05Z', '2024-03-01T10:00:05+25:00', 1709287205000, null]) {
      expect([bad, parseEventTime(bad)]).toEqual([bad, NaN]);
    }
    expect(Number.isNaN(Date.parse('1'))).toBe(false); // what the replay used to accept: 2001-01-01
  });

  test('a time without a zone is UTC, whatever TZ says', () => {
    const saved = process.env.TZ;
    try {
      const seen = new Set<number>();
      for (const tz of ['UTC', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Chatham']) {
        process.env.TZ = tz;
        seen.add(parseEventTime('2024-03-01T10:00:05'));
      }
      expect([...seen]).toEqual([Date.UTC(2024, 2, 1, 10, 0, 5)]);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  test('matches with an invalid eventTime are counted as untimed, and the table shows them', async () => {
    const lines = fs.readFileSync(fixture('events.ndjson'), 'utf8').trim().split('\n').map(l => JSON.parse(l));
    lines.forEach((l: any) => (l.eventTime = '2024-02-30T10:00:00Z'));
    const f = path.join(dir('untimed'), 'untimed.ndjson');
    fs.writeFileSync(f, lines.map((l: any) => JSON.stringify(l)).join('\n') + '\n');
    const r = await runJson([...BENCH, f]);
    const c = r.json.controls.find((x: any) => x.key === 'cloudtrail-config-changes');
    expect(c.matches).toBe(1);
    expect(c.untimedMatches).toBe(1);
    expect(c.alarmFirings).toBe(0);
    const table = await runCli([...BENCH, f]);
    expect(table.stdout).toMatch(/CONTROL\s+CIS\s+METRIC\s+MATCHES\s+UNTIMED\s+SUM/);
    expect(table.stdout).toMatch(/4 matches without a valid eventTime/);
    const clean = await runCli([...BENCH, fixture('records.json')]);
    expect(clean.stdout).not.toContain('UNTIMED');
  });
});

test('case 8: a record nested 5,000 (here 100,000) deep with a term pattern is reported and skipped; the next records are evaluated', async () => {
  const d = dir('deep');
  const t = JSON.parse(fs.readFileSync(fixture('two-filters.template.json'), 'utf8'));
  t.Resources.CisUnauthorizedApiCallsMetricFilter2B1C0FFEE.Properties.FilterPattern = '"AccessDenied"'; // a term pattern: needs the record's text
  const template = path.join(d, 'term.template.json');
  fs.writeFileSync(template, JSON.stringify(t));
  // pretty-printed, so the text is rebuilt from the parsed record (JSON.stringify)
  const depth = 100_000; // the issue saw it at 5,000; deeper so that it overflows on any stack size
  let deep = '1';
  for (let i = 0; i < depth; i++) deep = `{\n"a": ${deep}\n}`;
  const next = JSON.stringify({ errorCode: 'AccessDenied', eventTime: '2024-03-01T10:00:05Z', userIdentity: { arn: 'arn:aws:iam::1:user/x' } }, null, 1);
  const input = `{"errorCode": "AccessDenied", "n": ${deep}}\n${next}\n`;
  const f = path.join(d, 'deep.json');
  fs.writeFileSync(f, input);
  const r = await runJson(['--template', template, f]);
  expect(r.code).toBe(0);
  expect(r.json.events).toBe(1);
  expect(r.json.malformed).toBe(1);
  expect(r.json.errors).toEqual([{ file: f, line: 1, record: 1, offset: 0, message: expect.stringContaining('record skipped: it is nested too deeply to evaluate') }]);
  expect(r.json.controls.find((c: any) => c.metricName === 'UnauthorizedAPICalls').matches).toBe(1);
});

describe('case 9: bounded memory: top principals, record size', () => {
  test('Space-Saving is exact while distinct keys fit, and within N/k after', () => {
    const exact = new SpaceSaving(10);
    for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) exact.add(k);
    expect(exact.top(2)).toEqual([{ key: 'a', count: 3, error: 0 }, { key: 'b', count: 2, error: 0 }]);

    const k = 1000;
    const ss = new SpaceSaving(k);
    const truth = new Map<string, number>();
    let x = 12345;
    const rand = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 400_000; i++) {
      // 5 heavy hitters among 400k distinct one-off principals
      const key = i % 10 === 0 ? `heavy-${Math.floor(rand() * 5)}` : `p-${i}`;
      truth.set(key, (truth.get(key) ?? 0) + 1);
      ss.add(key);
    }
    const top = ss.top(5);
    expect(top.map(t => t.key).sort()).toEqual(['heavy-0', 'heavy-1', 'heavy-2', 'heavy-3', 'heavy-4']);
    for (const t of top) {
      const real = truth.get(t.key)!;
      expect(real).toBeLessThanOrEqual(t.count);
      expect(real).toBeGreaterThanOrEqual(t.count - t.error);
      expect(t.error).toBeLessThanOrEqual(ss.total / k);
    }
    expect((ss as any).index.size).toBe(k); // memory: k counters, not 360k
  });

  test('the engine keeps top principals in bounded memory; an approximate count says so', () => {
    const engine = new ReplayEngine(benchmarkControls('7.0.0'), { principalCounters: 50 });
    const stop = (arn: string): any => ({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', eventTime: '2024-03-01T10:00:05Z', userIdentity: { arn } });
    for (let i = 0; i < 20_000; i++) engine.addRecord(stop(i % 4 === 0 ? 'arn:aws:iam::1:user/heavy' : `arn:aws:iam::1:user/u${i}`));
    const c = engine.result().controls.find(x => x.key === 'cloudtrail-config-changes')!;
    expect(c.matches).toBe(20_000);
    expect(c.topPrincipals[0].principal).toBe('arn:aws:iam::1:user/heavy');
    expect(c.topPrincipals[0].count - (c.topPrincipals[0].error ?? 0)).toBeLessThanOrEqual(5000);
    expect(c.topPrincipals[0].count).toBeGreaterThanOrEqual(5000);
  });

  test('--max-record-size: a longer record is skipped and reported with its index; the rest is read', async () => {
    const records = JSON.parse(fs.readFileSync(fixture('records.json'), 'utf8')).Records;
    records.splice(2, 0, { eventName: 'Huge', blob: 'x'.repeat(5000) }, 'y'.repeat(3000));
    const wrapper = JSON.stringify({ Records: records }, null, 1);
    const d = dir('maxsize');
    const f = path.join(d, 'huge.json');
    fs.writeFileSync(f, wrapper);
    const ndjson = path.join(d, 'huge.ndjson');
    fs.writeFileSync(ndjson, records.map((x: any) => JSON.stringify(x)).join('\n') + '\n');
    for (const file of [f, ndjson]) {
      const r = await runJson([...BENCH, '--max-record-size', '1KiB', file]);
      expect(r.code).toBe(0);
      expect(r.json.events).toBe(6);
      expect(r.json.malformed).toBe(2);
      expect(r.json.errors.map((e: any) => [e.record, e.message])).toEqual([
        [3, 'record skipped: it is longer than the maximum record size of 1024 bytes (--max-record-size)'],
        file === f
          ? [4, 'record skipped: it is longer than the maximum record size of 1024 bytes (--max-record-size)']
          // a bare string is not an NDJSON record at all: skipped to the next line, whatever its size
          : [undefined, expect.stringContaining('unexpected text')],
      ]);
    }
    // the default (64 MiB) reads them: the string element is then malformed (not an object), the object an event
    const dflt = await runJson([...BENCH, f]);
    expect(dflt.json.events).toBe(7);
    expect(dflt.json.malformed).toBe(1);
  });

  test('--max-record-size: a record over the limit across many chunks keeps memory bounded (chunks are dropped)', async () => {
    const { RecordSplitter } = jest.requireActual('../../src/replay/record-splitter');
    const got: string[] = [];
    const errors: any[] = [];
    const s = new RecordSplitter({
      record: (t: string) => got.push(t),
      error: (line: number, m: string, i: number, o: number) => errors.push([line, m, i, o]),
    }, 100);
    s.push(Buffer.from('{"Records":[{"a":1},"'));
    for (let i = 0; i < 1000; i++) {
      s.push(Buffer.from('z'.repeat(1000)));
      expect((s as any).parts.length).toBe(0);
    }
    s.push(Buffer.from('",{"b":2}]}'));
    s.end();
    expect(got).toEqual(['{"a":1}', '{"b":2}']);
    expect(errors).toEqual([[1, expect.stringContaining('maximum record size of 100 bytes'), 2, 20]]);
  });

  test('--max-record-size takes units; a bad value is bad usage (exit 2)', async () => {
    const { parseSize } = jest.requireActual('../../src/cli/replay-command');
    expect(parseSize('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('1G')).toBe(1024 ** 3);
    expect(parseSize('100')).toBe(100);
    expect(parseSize('0')).toBeUndefined();
    expect(parseSize('lots')).toBeUndefined();
    const r = await runCli([...BENCH, '--max-record-size', 'lots', fixture('records.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-record-size "lots" is not a size');
  });
});

describe('case 10: wrappers that JSON.parse reads differently from a byte scan lose no record', () => {
  const records = (): any[] => JSON.parse(fs.readFileSync(fixture('records.json'), 'utf8')).Records;

  /** The report of one file, on one thread and on two: both must be the same. */
  async function bothWays(file: string, extra: string[] = []): Promise<any> {
    const one = await runJson([...BENCH, '--workers', '1', ...extra, file]);
    const two = await runJson([...BENCH, '--workers', '2', ...extra, file]);
    expect(one.code).toBe(0);
    expect(two.json).toEqual({ ...one.json, workers: two.json.workers });
    return one.json;
  }
  const matchesOf = (json: any): number => json.controls.reduce((n: number, c: any) => n + c.matches, 0);

  test('an escaped "Records" key, on an NDJSON line and pretty-printed, reads every element', async () => {
    const all = records();
    const reference = await runJson([...BENCH, fixture('records.json')]);
    const escaped = (x: unknown) => JSON.stringify({ Records: x }).replace('"Records"', '"Rec\\u006frds"');
    const f = path.join(dir('escaped'), 'escaped.ndjson');
    // line mode (handed over whole, expanded after parsing) and a pretty-printed object (seen by the splitter)
    fs.writeFileSync(f, `${JSON.stringify(all[0])}\n${escaped(all.slice(1, 3))}\n${JSON.stringify({ Records: all.slice(3) }, null, 1).replace('"Records"', '"Rec\\u006frds"')}\n`);
    const json = await bothWays(f);
    expect(json.events).toBe(6);
    expect(json.malformed).toBe(0);
    expect(matchesOf(json)).toBe(matchesOf(reference.json));
    expect(matchesOf(json)).toBeGreaterThan(0);
  });

  test('a second "Records" key: both arrays are read, and it is reported', async () => {
    const all = records();
    const f = path.join(dir('duplicate'), 'duplicate.json');
    fs.writeFileSync(f, `{"Records":${JSON.stringify(all.slice(0, 2))},\n"Records":${JSON.stringify(all.slice(2))}}\n`);
    const json = await bothWays(f);
    expect(json.events).toBe(6);
    expect(json.errors.map((e: any) => [e.line, e.message])).toEqual([
      [2, 'the {"Records":[...]} object that starts on line 1 has a second "Records" key; its records are read as well (JSON.parse would keep only the last one)'],
    ]);
  });

  test('a wrapper nested in an array is reported, not read as records', async () => {
    const f = path.join(dir('nested'), 'nested.json');
    fs.writeFileSync(f, JSON.stringify([{ Records: records().slice(0, 2) }, records()[2]]));
    const json = await bothWays(f);
    expect(json.events).toBe(1);
    expect(json.errors.map((e: any) => e.message)).toEqual([
      'malformed record: a {"Records":[...]} wrapper inside an array or another wrapper; its records are not read (CloudTrail never nests them)',
    ]);
  });

  test('a wrapper member over --max-record-size before "Records" does not hide its records', async () => {
    const f = path.join(dir('padding'), 'padding.json');
    fs.writeFileSync(f, JSON.stringify({ padding: 'x'.repeat(5000), Records: records() }));
    const json = await bothWays(f, ['--max-record-size', '1KiB']);
    expect(json.events).toBe(6);
    expect(json.malformed).toBe(0);
    expect(json.errors).toEqual([]);
  });
});
