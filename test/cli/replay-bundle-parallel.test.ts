/**
 * The bundled CLI (lib/bin/cis-monitoring.js, what users install) runs replay
 * on real worker threads, started from the bundle itself: the report is the
 * one of a single thread, for every kind of input and for an NDJSON file
 * large enough to be cut into many blocks read by different threads; and
 * `replay s3://...` from the bundle (its SDK in lib/bin/aws-sdk.js) gives
 * what the sources give. Needs the build's lib/bin/ (and python3 for moto).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describeIfPython, MotoServer, pointAwsSdkAt, saveAwsEnvironment, startMoto } from '../support/moto';
import { runJson } from './fixtures/replay/cli-harness';
import { event, writeMessyInputs } from './fixtures/replay/messy-inputs';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'lib', 'bin', 'cis-monitoring.js');
const built = fs.existsSync(BIN);
if (!built) {
  if (process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0') {
    throw new Error('lib/bin/cis-monitoring.js is missing: the build (post-compile) bundles it');
  }
  // eslint-disable-next-line no-console
  console.warn('SKIPPED test/cli/replay-bundle-parallel.test.ts: lib/bin/cis-monitoring.js is missing; run `npx projen bundle-cli` first');
}

function bundle(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [BIN, 'replay', '--benchmark', '7.0.0', '--format', 'json', '--event-ids', ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' }, timeout: 120_000, maxBuffer: 256 * 1024 * 1024, input,
  });
  return { code: r.status, stderr: r.stderr, json: r.stdout ? JSON.parse(r.stdout) : undefined };
}

(built ? describe : describe.skip)('bundled CLI: replay on worker threads', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-bundle-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every kind of input: 3 threads give the report of 1', () => {
    const inputs = writeMessyInputs(dir);
    const one = bundle(['--workers', '1', ...inputs]);
    expect(one.code).toBe(0);
    expect(one.json.malformed).toBeGreaterThan(10);
    const three = bundle(['--workers', '3', ...inputs]);
    expect(three.stderr).toBe(one.stderr);
    expect(three.code).toBe(0);
    expect(three.json).toEqual(one.json);
  });

  test('an NDJSON file of 12 MiB, cut into blocks that different threads read, plain, gzip and on standard input', () => {
    const lines: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 12 * 1024 * 1024; i++) {
      // damage now and then, so that line numbers and record indexes across blocks are checked too
      const line = i % 997 === 0 ? '{"eventName": "StopLogging", "cut short' : JSON.stringify(event(i, { userIdentity: { arn: `arn:aws:iam::1:user/p${(i * 7919) % 1500}` } }));
      lines.push(line);
      bytes += line.length + 1;
    }
    const file = path.join(dir, 'big.ndjson');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    fs.writeFileSync(`${file}.gz`, zlib.gzipSync(fs.readFileSync(file)));
    const one = bundle(['--workers', '1', file]);
    expect(one.json.events).toBeGreaterThan(9000);
    expect(one.json.malformed).toBeGreaterThan(5);
    // more distinct principals than counters: the approximate top principals must match too
    expect(one.json.controls.some((c: any) => c.topPrincipals.some((p: any) => p.error !== undefined))).toBe(true);
    expect(bundle(['--workers', '2', file]).json).toEqual(one.json);
    expect(bundle(['--workers', '4', file]).json).toEqual(one.json);
    const gzOne = bundle(['--workers', '1', `${file}.gz`]);
    expect(bundle(['--workers', '3', `${file}.gz`]).json).toEqual(gzOne.json);
    const stdinOne = bundle(['--workers', '1', '-'], fs.readFileSync(file));
    expect(bundle(['--workers', '2', '-'], fs.readFileSync(file)).json).toEqual(stdinOne.json);
    expect(stdinOne.json.controls).toEqual(one.json.controls);
  });
});

(built ? describeIfPython : describe.skip)('bundled CLI: replay s3:// against moto on worker threads', () => {
  let moto: MotoServer;
  let restoreEnvironment = (): void => undefined;
  beforeAll(async () => {
    restoreEnvironment = saveAwsEnvironment();
    moto = await startMoto();
    pointAwsSdkAt(moto.endpoint);
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'trail' }));
    for (let i = 0; i < 40; i++) {
      const account = i % 2 === 0 ? '111111111111' : '222222222222';
      const key = `AWSLogs/o-abcdefghij/${account}/CloudTrail/us-east-1/2024/03/0${1 + (i % 3)}/${account}_CloudTrail_us-east-1_2024030${1 + (i % 3)}T${String(1000 + i)}Z_${i}.json.gz`;
      const records = Array.from({ length: 50 }, (_, k) => event(i * 50 + k));
      await s3.send(new PutObjectCommand({ Bucket: 'trail', Key: key, Body: zlib.gzipSync(JSON.stringify({ Records: records })) }));
    }
  });
  afterAll(async () => {
    await moto?.stop();
    restoreEnvironment();
  });

  test('the bundle on 2 threads reports what the sources report on one', async () => {
    for (const args of [['s3://trail/AWSLogs/'], ['--accounts', '222222222222', '--since', '2024-03-02', 's3://trail/AWSLogs/']]) {
      const source = await runJson(['--benchmark', '7.0.0', '--event-ids', '--workers', '1', ...args]);
      expect(source.code).toBe(0);
      expect(source.json.events).toBeGreaterThan(100);
      const b = bundle(['--workers', '2', ...args]);
      expect(b.stderr).toBe('');
      expect(b.code).toBe(0);
      expect(b.json).toEqual(source.json);
    }
  });
});
