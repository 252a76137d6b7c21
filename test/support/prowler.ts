/**
 * The real Prowler, run several times from one Python process
 * (test/scanners/prowler-driver.py) by the tests that scan moto with it.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';

/**
 * One Python process (test/scanners/prowler-driver.py) that runs Prowler's
 * own CLI entry point once per `run(args)`, so Prowler loads its compliance
 * frameworks once instead of once per scan. Results come back on fd 3.
 */
export class ProwlerSession {
  private readonly child: ChildProcess;
  private readonly waiting: Array<(r: { code: number | null; error?: string }) => void> = [];
  private log = '';
  private buffered = '';
  private exited: string | undefined;

  constructor(prowlerExecutable: string, env: NodeJS.ProcessEnv, cwd: string) {
    const python = path.join(path.dirname(prowlerExecutable), 'python');
    this.child = spawn(python, [path.join(__dirname, '..', 'scanners', 'prowler-driver.py')], { env, cwd, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      this.log = (this.log + String(d)).slice(-20_000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    (this.child.stdio[3] as Readable).on('data', (d: Buffer) => {
      this.buffered += String(d);
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.waiting.shift()?.(JSON.parse(line));
      }
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `the Prowler driver exited (${code ?? signal})`;
      for (const w of this.waiting.splice(0)) w({ code: null, error: this.exited });
    });
  }

  /** Runs `prowler <args>`; resolves with its exit code (3: some check failed), or an error. */
  run(args: string[]): Promise<{ code: number | null; error?: string }> {
    if (this.exited) return Promise.resolve({ code: null, error: this.exited });
    return new Promise(resolve => {
      this.waiting.push(resolve);
      this.child.stdin!.write(`${JSON.stringify(args)}\n`);
    });
  }

  /**
   * Runs `prowler <args>` writing its OCSF JSON report to `outDir`, and reads
   * each check's status (and the Region of its finding) from it. Throws when
   * Prowler fails or writes no report, or reports a check twice.
   */
  async scan(args: string[], outDir: string): Promise<ProwlerScan> {
    const started = Date.now();
    const { code, error } = await this.run([...args, '--output-formats', 'json-ocsf', '--output-directory', outDir, '--output-filename', 'prowler', '--no-banner', '--no-color']);
    const seconds = (Date.now() - started) / 1000;
    if (error) throw new Error(`Prowler failed: ${error}\n${this.output()}`);
    const report = path.join(outDir, 'prowler.ocsf.json');
    if (!fs.existsSync(report)) throw new Error(`Prowler wrote no ${report} (exit ${code}):\n${this.output()}`);
    const findings: any[] = JSON.parse(fs.readFileSync(report, 'utf8'));
    const statuses: Record<string, string> = {};
    const regions: Record<string, string> = {};
    for (const f of findings) {
      const check = f.metadata.event_code;
      if (statuses[check] !== undefined) throw new Error(`Prowler reported ${check} twice`);
      statuses[check] = f.status_code;
      regions[check] = f.cloud?.region;
    }
    return { code, statuses, regions, version: findings[0]?.metadata.product.version, seconds };
  }

  /** The last of what Prowler printed. */
  output(): string {
    return this.log.slice(-6000);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    await new Promise<void>(resolve => {
      this.child.once('exit', () => resolve());
      this.child.stdin!.end();
      setTimeout(() => this.child.kill('SIGKILL'), 10_000).unref();
    });
  }
}

/** What one Prowler scan reported. */
export interface ProwlerScan {
  /** Prowler's exit code (3: some check failed). */
  readonly code: number | null;
  /** Check id → PASS, FAIL or MANUAL. */
  readonly statuses: Record<string, string>;
  /** Check id → the Region of its finding. */
  readonly regions: Record<string, string>;
  /** Prowler's version, from the report. */
  readonly version: string;
  readonly seconds: number;
}
