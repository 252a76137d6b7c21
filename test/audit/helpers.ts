/**
 * Shared fixtures of the audit tests: templates synthesized by the real
 * construct (with or without the planner's extra filters), small template
 * mutations, and an in-process runner of the `cis-monitoring` CLI.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CisMonitoring, CisMonitoringProps } from '../../src';
import { AuditFailure } from '../../src/audit/errors';
import { main } from '../../src/cli/main';
import { Scanner } from '../../src/scanners/scanner';

export const ENV = { account: '123456789012', region: 'us-east-1' };

/**
 * Synthesizes a stack with `CisMonitoring` and returns its template. The
 * construct plans the scanner filters itself; `planned: false` deploys only
 * the CIS text per control (`scanners: []`), as a baseline that fails some scanners.
 */
export function synthTemplate(props: CisMonitoringProps = { emailAddresses: ['security@example.com'] }, options: { planned?: boolean; scanners?: Scanner[]; extend?: (stack: Stack, cis: CisMonitoring) => void } = {}): any {
  const app = new App();
  const stack = new Stack(app, 'AuditStack', { env: ENV });
  const scanners = options.planned === false ? [] : options.scanners ?? props.scanners;
  const cis = new CisMonitoring(stack, 'Cis', { ...props, scanners });
  options.extend?.(stack, cis);
  return Template.fromStack(stack).toJSON();
}

/** A deep copy, so tests can mutate templates freely. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/** The [logicalId, resource] pairs of one type. */
export function resourcesOfType(template: any, type: string): [string, any][] {
  return Object.entries<any>(template.Resources).filter(([, r]) => r.Type === type);
}

const tmpDirs: string[] = [];

/** A fresh temporary directory, removed by `cleanTmp()`. */
export function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-audit-'));
  tmpDirs.push(dir);
  return dir;
}

export function cleanTmp(): void {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Writes a template to a temporary file and returns its path. */
export function writeTemplate(template: unknown, name = 'AuditStack.template.json'): string {
  const file = path.join(tmpDir(), name);
  fs.writeFileSync(file, typeof template === 'string' ? template : JSON.stringify(template));
  return file;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cis-monitoring <args>` in process, capturing its output and exit code. */
export async function runCli(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

/**
 * Runs the audit with `--format json` and returns the parsed document with the
 * exit code: `doc` is the whole document (`{ targets, exitCode }`), `json` its
 * only target with `exitCode` (most tests audit one account and Region; it
 * fails when there are several).
 */
export async function auditJson(args: string[]): Promise<{ code: number; json: any; doc: any; stderr: string }> {
  const r = await runCli(['audit', ...args, '--format', 'json']);
  const doc = r.stdout ? JSON.parse(r.stdout) : undefined;
  if (doc && (!Array.isArray(doc.targets) || Object.keys(doc).join() !== 'targets,exitCode')) {
    throw new Error(`audit --format json printed a document that is not { targets, exitCode }: ${r.stdout.slice(0, 200)}`);
  }
  const json = doc?.targets.length === 1 ? { ...doc.targets[0], exitCode: doc.exitCode } : undefined;
  return { code: r.code, json, doc, stderr: r.stderr };
}

/** The AuditFailure `p` rejects with; fails when it resolves or rejects with anything else. */
export async function auditFailure(p: Promise<unknown>): Promise<AuditFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AuditFailure) return e;
    throw e;
  }
  throw new Error('the audit did not fail');
}

/** `{ controlKey: { SCANNER: status } }` of a JSON report. */
export function statusMatrix(json: any): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const c of json.controls) out[c.key] = Object.fromEntries(Object.entries<any>(c.results).map(([s, r]) => [s, r.status]));
  return out;
}

/** The statuses of one scanner across all controls, deduplicated. */
export function statusesOf(json: any, scanner: string): string[] {
  return [...new Set<string>(json.controls.map((c: any) => c.results[scanner].status))].sort();
}
