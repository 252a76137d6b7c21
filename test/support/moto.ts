/**
 * A moto server (local AWS emulator) for end-to-end tests of AWS SDK code.
 *
 * `startMoto()` runs `.venv/bin/moto_server -H 127.0.0.1 -p <free port>`
 * (installing the pinned moto with scripts/setup-python-tools.sh first when
 * it is missing, outside CI), waits until it answers, and returns a handle
 * whose `stop()` ends that one process. Put the tests in `describeIfPython`
 * (test/support/requirements.ts decides: without moto they fail in CI and
 * are skipped, with the reason noted, elsewhere).
 *
 * Helpers drive moto's own API (reset, IAM enforcement) and send raw
 * requests to services we have no SDK client for (S3 CreateBucket, IAM
 * CreateUser/CreateAccessKey): while moto does not enforce IAM it only reads
 * the service name from the Authorization header's credential scope.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ensurePythonTools } from './python-tools';
import { describeIf, requires, venvTool } from './requirements';

/** `describe` for tests that need moto: they fail in CI without it, and are skipped elsewhere when python3 is missing. */
export function describeIfPython(name: string, fn: () => void): void {
  describeIf(requires.moto)(name, fn);
}

/** The moto server of .venv/, installed first when missing outside CI (downloads from PyPI the first time). */
export function ensureMotoInstalled(): string {
  ensurePythonTools();
  return venvTool('.venv', 'moto_server');
}

/**
 * moto's EventBridge pattern matcher (`moto.events.models.EventPattern`, what
 * its PutEvents uses) on each [pattern, event] pair, in one batch through the
 * venv's Python. moto's server answers TestEventPattern with an empty body
 * (a stub in 5.2.5), hence the direct call. Fails unless Python exits 0 and
 * prints one boolean per pair.
 */
export function motoEventPatternMatches(cases: ReadonlyArray<readonly [object, object]>): boolean[] {
  ensurePythonTools();
  const script = [
    'import json, sys',
    'from moto.events.models import EventPattern',
    'cases = json.load(sys.stdin)',
    'json.dump([EventPattern(None, p).matches_event(e) for p, e in cases], sys.stdout)',
  ].join('\n');
  const python = venvTool('.venv', 'python');
  const r = spawnSync(python, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`moto's matcher (${python}) exited with ${r.status}: ${r.stderr}`);
  let verdicts: unknown;
  try {
    verdicts = JSON.parse(r.stdout);
  } catch {
    throw new Error(`moto's matcher printed no JSON (exit 0): ${JSON.stringify(r.stdout.slice(0, 200))} ${r.stderr}`);
  }
  if (!Array.isArray(verdicts) || verdicts.length !== cases.length || verdicts.some(v => typeof v !== 'boolean')) {
    throw new Error(`moto's matcher gave ${JSON.stringify(verdicts).slice(0, 200)} for ${cases.length} cases: not one boolean per case`);
  }
  return verdicts;
}

/** A free TCP port on 127.0.0.1 (there is a small race until the caller binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** Deletes every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /**
   * Makes moto enforce IAM after `count` more requests (0: from now on;
   * Infinity: never, the default).
   */
  setAuthAfter(count: number): Promise<void>;
  /** Ends the server process. */
  stop(): Promise<void>;
}

/**
 * Starts a moto server on a free port and waits until it answers.
 * `organizationTrails`: members see their management account's organization
 * trails, as in AWS (test/support/moto_server_org_trails.py).
 */
export async function startMoto(options: { timeoutMs?: number; organizationTrails?: boolean } = {}): Promise<MotoServer> {
  const binary = ensureMotoInstalled();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const command = options.organizationTrails
    ? [path.join(path.dirname(binary), 'python'), path.join(__dirname, 'moto_server_org_trails.py')]
    : [binary];
  const child: ChildProcess = spawn(command[0], [...command.slice(1), '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', chunk => {
    stderr = (stderr + String(chunk)).slice(-4000);
  });
  let exited: number | null | undefined;
  child.on('exit', code => {
    exited = code;
  });

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`moto_server exited with code ${exited} before answering on ${endpoint}: ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`moto_server did not answer on ${endpoint} within ${options.timeoutMs ?? 30_000} ms: ${stderr}`);
    }
    await new Promise(r => setTimeout(r, 200));
  }

  return {
    endpoint,
    port,
    async reset() {
      await motoApi(endpoint, '/moto-api/reset', '');
    },
    async setAuthAfter(count: number) {
      await motoApi(endpoint, '/moto-api/reset-auth', count === Infinity ? 'inf' : String(count));
    },
    async stop() {
      if (exited !== undefined) return;
      await new Promise<void>(resolve => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => {
          if (exited === undefined) child.kill('SIGKILL');
        }, 5000).unref();
      });
    },
  };
}

async function motoApi(endpoint: string, route: string, body: string): Promise<void> {
  const res = await fetch(`${endpoint}${route}`, { method: 'POST', body });
  if (!res.ok) throw new Error(`POST ${route} on moto failed with HTTP ${res.status}: ${await res.text()}`);
}

/**
 * A raw request to a service we have no SDK client for. Only valid while moto
 * does not enforce IAM: the signature is a dummy; moto reads the service from the credential scope.
 */
export async function rawRequest(
  endpoint: string, service: string, method: string, pathAndQuery: string, form?: Record<string, string>,
  /** moto picks the account from the access key: one returned by AssumeRole acts in the role's account. */
  accessKeyId = 'AKIAIOSFODNN7EXAMPLE',
): Promise<string> {
  const headers: Record<string, string> = {
    Authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
  };
  let body: string | undefined;
  if (form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(`${endpoint}${pathAndQuery}`, { method, headers, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${service} ${method} ${pathAndQuery} on moto failed with HTTP ${res.status}: ${text}`);
  return text;
}

/** Creates an S3 bucket (moto's CreateTrail checks that the bucket exists). */
export async function createBucket(endpoint: string, bucket: string, accessKeyId?: string): Promise<void> {
  await rawRequest(endpoint, 's3', 'PUT', `/${bucket}`, undefined, accessKeyId);
}

/** Creates an IAM user without any policy and returns an access key of it. */
export async function createUserWithoutPermissions(endpoint: string, userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  await rawRequest(endpoint, 'iam', 'POST', '/', { Action: 'CreateUser', UserName: userName, Version: '2010-05-08' });
  const xml = await rawRequest(endpoint, 'iam', 'POST', '/', { Action: 'CreateAccessKey', UserName: userName, Version: '2010-05-08' });
  const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(xml)?.[1];
  const secretAccessKey = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(xml)?.[1];
  if (!accessKeyId || !secretAccessKey) throw new Error(`CreateAccessKey on moto returned no key: ${xml}`);
  return { accessKeyId, secretAccessKey };
}

/** The environment variables the AWS SDK reads: saved and restored around tests that point it at moto. */
const AWS_ENV_KEYS = [
  'AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE',
  'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED',
];

/** Saves the AWS SDK's environment variables; the function returned puts them back. */
export function saveAwsEnvironment(): () => void {
  const saved = Object.fromEntries(AWS_ENV_KEYS.map(k => [k, process.env[k]]));
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

let emptyConfig: string | undefined;

/**
 * Points the AWS SDK of this process (and of children that inherit its
 * environment) at `endpoint` with the given credentials, Region us-east-1
 * unless given, and no shared config or credentials file.
 */
export function pointAwsSdkAt(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = { accessKeyId: 'testing', secretAccessKey: 'testing' }, region = 'us-east-1'): void {
  if (!emptyConfig) {
    emptyConfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cis-aws-config-')), 'empty');
    fs.writeFileSync(emptyConfig, '');
  }
  for (const k of AWS_ENV_KEYS) delete process.env[k];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    AWS_REGION: region,
    AWS_CONFIG_FILE: emptyConfig,
    AWS_SHARED_CREDENTIALS_FILE: emptyConfig,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}
