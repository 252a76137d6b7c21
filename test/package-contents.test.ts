/**
 * What users install is what we test: the npm tarball holds the compiled
 * library, the jsii assembly, the docs and the bundled CLI, nothing else, and
 * stays small. Needs the build's output (lib/, .jsii, lib/bin/): `npm run
 * check` compiles and bundles before jest runs. Run alone after
 * `npx projen compile`.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as os from 'os';
import * as path from 'path';
import { describeIf, requires } from './support/requirements';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'lib', 'bin', 'cis-monitoring.js');
/** CI always builds first: a missing build there fails these tests (test/support/requirements.ts). */
const describeBuilt = describeIf(requires.jsiiAssembly, requires.bundledCli);

const MiB = 1024 * 1024;
/** The Lambda code asset of CisSecurityAccount's alert relay and heartbeat monitor: plain JavaScript files. */
const RELAY_DIR = 'lib/organization/relay-handler/';
const RELAY_FILES = ['common.js', 'heartbeat.js', 'index.js'].map(f => `${RELAY_DIR}${f}`);
const RELAY_SDK_CLIENTS = new Set(['@aws-sdk/client-sns', '@aws-sdk/client-dynamodb', '@aws-sdk/client-organizations', '@aws-sdk/client-sts']);

/** Every path the tarball may hold. */
const ALLOWED: RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^API\.md$/,
  /^\.jsii$/,
  /^docs\/[^/]+\.md$/,
  /^lib\/.+\.(js|d\.ts)$/,
  /^lib\/bin\/THIRD-PARTY-LICENSES\.txt$/,
  /^lib\/evidence-reporter\/THIRD-PARTY-LICENSES\.txt$/,
];

/** The Lambda code asset of CisEvidenceReporter: the evaluator and the AWS SDK clients it calls, bundled at build time. */
const REPORTER = 'lib/evidence-reporter/index.js';

interface PackResult {
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: { path: string; size: number; mode: number }[];
}

let pack: PackResult;

describeBuilt('npm tarball', () => {
  beforeAll(() => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * MiB,
    });
    pack = JSON.parse(out)[0];
  });

  test('holds only what a user runs: lib/, .jsii, API.md, README.md, LICENSE, docs/, package.json', () => {
    const unexpected = pack.files.map(f => f.path).filter(p => !ALLOWED.some(re => re.test(p)));
    expect(unexpected).toEqual([]);
    const paths = pack.files.map(f => f.path);
    for (const p of ['package.json', 'README.md', 'LICENSE', 'API.md', '.jsii', 'lib/index.js', 'lib/index.d.ts', 'lib/bin/cis-monitoring.js', 'lib/bin/aws-sdk.js']) {
      expect(paths).toContain(p);
    }
  });

  test('holds the alert relay\'s Lambda code as the only files of its asset directory, the same bytes as in src/', () => {
    expect(pack.files.map(f => f.path).filter(p => p.startsWith(RELAY_DIR)).sort()).toEqual(RELAY_FILES);
    for (const f of RELAY_FILES) {
      expect(fs.readFileSync(path.join(ROOT, f), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, f.replace(/^lib\//, 'src/')), 'utf8'));
    }
  });

  test('holds the evidence reporter\'s bundled Lambda code and its third-party licenses, nothing else in that asset directory', () => {
    expect(pack.files.map(f => f.path).filter(p => p.startsWith('lib/evidence-reporter/')).sort())
      .toEqual([REPORTER, 'lib/evidence-reporter/THIRD-PARTY-LICENSES.txt'].sort());
  });

  test('is at most 5 MiB packed and 10 MiB unpacked', () => {
    expect(pack.size).toBeLessThanOrEqual(5 * MiB);
    expect(pack.unpackedSize).toBeLessThanOrEqual(10 * MiB);
  });

  test('declares no runtime dependencies beyond its peers: the CLI is bundled', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.bundledDependencies ?? pkg.bundleDependencies).toBeUndefined();
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(pkg.bin).toEqual({ 'cis-monitoring': 'lib/bin/cis-monitoring.js' });
    const bin = pack.files.find(f => f.path === pkg.bin['cis-monitoring'])!;
    // eslint-disable-next-line no-bitwise
    expect(bin.mode & 0o111).not.toBe(0); // executable
    expect(fs.readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  test('every module the shipped JavaScript requires is a peer dependency or a Node.js built-in', () => {
    const builtins = new Set(builtinModules);
    // Named only inside the AWS SDK's error messages (SigV4a, which no call here uses).
    const sdkMessages = new Set(['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a']);
    const foreign: string[] = [];
    for (const file of pack.files.filter(f => f.path.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(ROOT, file.path), 'utf8');
      for (const m of text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
        const spec = m[1];
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        if (spec === 'constructs' || spec === 'aws-cdk-lib' || spec.startsWith('aws-cdk-lib/')) continue;
        if ((file.path === 'lib/bin/aws-sdk.js' || file.path === REPORTER) && sdkMessages.has(spec)) continue;
        // The alert relay runs in AWS Lambda, whose Node.js runtime provides the AWS SDK v3.
        if (RELAY_FILES.includes(file.path) && RELAY_SDK_CLIENTS.has(spec)) continue;
        foreign.push(`${file.path}: ${spec}`);
      }
    }
    expect(foreign).toEqual([]);
  });
});

/** Runs the bundled CLI, recording every module file it loaded. */
function runBundle(args: string[], env: Record<string, string | undefined> = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1' };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const trace = path.join(__dirname, 'support', 'trace-loaded-modules.js');
  const r = spawnSync(process.execPath, ['-r', trace, BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: childEnv,
    timeout: 60_000,
  });
  const loaded = /^LOADED_MODULES (.*)$/m.exec(r.stderr)?.[1];
  return { ...r, loaded: loaded === undefined ? undefined : JSON.parse(loaded) as string[] };
}

describeBuilt('the bundled CLI (lib/bin/cis-monitoring.js)', () => {
  test('--version prints package.json\'s version', () => {
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    const r = runBundle(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  test('replay runs without loading the AWS SDK bundle', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-bundle-'));
    const input = path.join(dir, 'records.json');
    fs.writeFileSync(input, JSON.stringify({
      Records: [{ eventVersion: '1.09', eventTime: '2026-11-01T10:00:00Z', eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', awsRegion: 'eu-west-1', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' } }],
    }));
    const r = runBundle(['replay', '--benchmark', '7.0.0', '--format', 'json', input]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.events).toBe(1);
    expect(json.controls.find((c: any) => c.key === 'cloudtrail-config-changes').matches).toBe(1);
    expect(r.loaded).toBeDefined();
    expect(r.loaded!.filter(f => f.startsWith(path.join(ROOT, 'lib')))).toEqual([BIN]);
  });

  test('replay s3:// loads the AWS SDK bundle and maps an unreachable endpoint to exit code 5', () => {
    const r = runBundle(['replay', '--benchmark', '7.0.0', '--timeout', '2', 's3://trail-bucket/AWSLogs/'], {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_PROFILE: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_REGION: 'us-east-1',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    });
    expect(r.stderr).toContain('Cannot reach endpoint http://127.0.0.1:9 for s3:ListObjectsV2');
    expect(r.status).toBe(5);
    expect(r.loaded).toContain(path.join(ROOT, 'lib', 'bin', 'aws-sdk.js'));
  });

  test('audit --live loads the AWS SDK bundle and maps an unreachable endpoint to exit code 5', () => {
    const r = runBundle(['audit', '--live', '--region', 'us-east-1'], {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_PROFILE: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_MAX_ATTEMPTS: '1',
      // Port 9 (discard): nothing listens on it, so the connection is refused at once.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    });
    expect(r.stderr).toContain('Cannot reach endpoint http://127.0.0.1:9');
    expect(r.status).toBe(5);
    expect(r.loaded).toContain(path.join(ROOT, 'lib', 'bin', 'aws-sdk.js'));
  });
});
