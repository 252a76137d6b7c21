/**
 * The real CloudSploit (aquasecurity/cloudsploit at the commit pinned in
 * scripts/setup-scanner-tools.sh) for tests. It is on no package registry, so
 * its source comes from ../shared/tools/cloudsploit/ and is unpacked into
 * .tools/cloudsploit/ with its npm dependencies (the `check` task does that
 * before jest; `ensureCloudSploitInstalled()` does it on first use). A test
 * tool: never copied into the repository.
 *
 * Against moto: CloudSploit's AWS SDK v2 ignores AWS_ENDPOINT_URL and only
 * speaks https. `TlsFront` puts a TLS listener with a fresh self-signed
 * certificate in front of the moto server (moto keeps one state, reached over
 * http by everything else); CloudSploit trusts the certificate through
 * NODE_EXTRA_CA_CERTS, and test/support/cloudsploit-driver.js sets the SDK's
 * global endpoint before CloudSploit loads.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as tls from 'tls';
import { describeIf, Requirement } from './requirements';
import { REPO_ROOT } from './scanner-tools';
import { hasShared, sharedPath } from './shared';

const SETUP_SCRIPT = path.join(REPO_ROOT, 'scripts', 'setup-scanner-tools.sh');
/** Where scripts/setup-scanner-tools.sh unpacks CloudSploit and its dependencies (ignored by git). */
export const CLOUDSPLOIT_DIR = path.join(REPO_ROOT, '.tools', 'cloudsploit');

/** The pinned aquasecurity/cloudsploit commit, as written in the setup script. */
export function pinnedCloudSploitCommit(): string {
  const m = /^CLOUDSPLOIT_COMMIT=([0-9a-f]{40})$/m.exec(fs.readFileSync(SETUP_SCRIPT, 'utf8'));
  if (!m) throw new Error(`${SETUP_SCRIPT} pins no CloudSploit commit`);
  return m[1];
}

/** The pinned source tarball's path under ../shared. */
export function cloudSploitTarball(): string[] {
  return ['tools', 'cloudsploit', `cloudsploit-${pinnedCloudSploitCommit().slice(0, 7)}.tar.gz`];
}

/**
 * The pinned CloudSploit source under ../shared. A real tool: in CI (which has
 * ../shared) its absence fails the tests that need it; on a user's fresh clone
 * (no ../shared) they are skipped with the reason noted (test/support/requirements.ts).
 */
export function cloudSploitSource(): Requirement {
  return {
    what: 'the pinned CloudSploit source (../shared/tools/cloudsploit/)',
    kind: 'tool',
    available: hasShared(...cloudSploitTarball()),
    missing: `${sharedPath(...cloudSploitTarball())} is missing; CI provides ../shared/tools/cloudsploit/ and scripts/setup-scanner-tools.sh installs it`,
  };
}

/** `describe` when the pinned CloudSploit source is there; otherwise as `describeIf` decides. */
export function describeIfCloudSploit(name: string, fn: () => void): void {
  describeIf(cloudSploitSource())(name, fn);
}

/** Installs the pinned CloudSploit into .tools/cloudsploit/ when missing or stale; returns that directory. */
export function ensureCloudSploitInstalled(): string {
  const marker = path.join(CLOUDSPLOIT_DIR, '.cis-commit');
  const current = () => (fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : '');
  if (current() !== pinnedCloudSploitCommit() || !fs.existsSync(path.join(CLOUDSPLOIT_DIR, 'node_modules', 'aws-sdk'))) {
    const r = spawnSync('bash', [SETUP_SCRIPT, 'cloudsploit'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0 || current() !== pinnedCloudSploitCommit()) {
      throw new Error(`Installing CloudSploit with ${SETUP_SCRIPT} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
    }
  }
  return CLOUDSPLOIT_DIR;
}

/**
 * A TLS listener on 127.0.0.1 that pipes every connection to a plain TCP
 * port (the moto server), with a self-signed certificate for 127.0.0.1
 * made by openssl.
 */
export class TlsFront {
  /** Starts the front; `dir` receives the key and the certificate (`caFile`). */
  static async start(targetPort: number, dir: string): Promise<TlsFront> {
    const key = path.join(dir, 'tls-front.key');
    const caFile = path.join(dir, 'tls-front.crt');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', caFile, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`openssl could not make the TLS front's certificate (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}. Install openssl.`);
    }
    const sockets = new Set<net.Socket>();
    const server = tls.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(caFile) }, client => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    return new TlsFront(server, sockets, `https://127.0.0.1:${address.port}`, caFile);
  }

  private constructor(
    private readonly server: tls.Server,
    private readonly sockets: Set<net.Socket>,
    /** `https://127.0.0.1:<port>`. */
    public readonly endpoint: string,
    /** The certificate to trust (NODE_EXTRA_CA_CERTS). */
    public readonly caFile: string,
  ) {}

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

/** One result of a CloudSploit plugin, as its `--json` file lists it. */
export interface CloudSploitFinding {
  readonly plugin: string;
  readonly region: string;
  /** OK, WARN, FAIL or UNKNOWN. */
  readonly status: string;
  /** The resource's ARN, or `N/A` for a result about a whole Region. */
  readonly resource: string;
  readonly message: string;
}

export interface CloudSploitRunOptions {
  readonly dir: string;
  readonly front: TlsFront;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Where the JSON report and an empty AWS config file are written. */
  readonly workDir: string;
  /** @default 'monitoringMetrics' */
  readonly plugin?: string;
}

/**
 * Runs `node index.js --plugin <plugin> --json <file> --console none` (every
 * Region CloudSploit knows; it always exits 0) and returns its results, or
 * throws with its output when it wrote no report.
 */
export async function runCloudSploit(options: CloudSploitRunOptions): Promise<{ findings: CloudSploitFinding[]; seconds: number }> {
  const plugin = options.plugin ?? 'monitoringMetrics';
  const report = path.join(options.workDir, `cloudsploit-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const empty = path.join(options.workDir, 'empty-aws-config');
  fs.writeFileSync(empty, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: options.workDir,
    AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    ...(options.credentials.sessionToken ? { AWS_SESSION_TOKEN: options.credentials.sessionToken } : {}),
    AWS_CONFIG_FILE: empty,
    AWS_SHARED_CREDENTIALS_FILE: empty,
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_EXTRA_CA_CERTS: options.front.caFile,
    CLOUDSPLOIT_ENDPOINT: options.front.endpoint,
    NODE_NO_WARNINGS: '1',
  };
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    // Asynchronous: the TLS front runs in this process and must keep serving.
    const child = spawn(process.execPath, [path.join(__dirname, 'cloudsploit-driver.js'), '--plugin', plugin, '--json', report, '--console', 'none'],
      { cwd: options.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => {
      out = (out + String(d)).slice(-10_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', c => {
      clearTimeout(timer);
      resolve({ code: c, output: out });
    });
  });
  const seconds = (Date.now() - started) / 1000;
  if (!fs.existsSync(report)) throw new Error(`CloudSploit wrote no ${report} (exit ${code}):\n${output}`);
  const findings: CloudSploitFinding[] = JSON.parse(fs.readFileSync(report, 'utf8'));
  if (!Array.isArray(findings)) throw new Error(`CloudSploit's report ${report} is not a list:\n${output}`);
  return { findings, seconds };
}
