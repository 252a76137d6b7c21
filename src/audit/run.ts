/**
 * The audit as a function: read a template or an account, run every selected
 * scanner's decision logic, and pick the exit code.
 */
import { CisBenchmarkVersion } from '../catalog';
import { AUDIT_EXIT_CODES } from './errors';
import { AuditReport, evaluateAudit } from './evaluate';
import { AuditModel } from './model';
import { readTemplateModel } from './template-reader';
import { Scanner } from '../scanners/scanner';

export interface AuditRunOptions {
  /** A cdk.out directory or template file (template mode). */
  readonly input?: string;
  /** Read the deployed account instead. */
  readonly live?: boolean;
  readonly region?: string;
  readonly profile?: string;
  readonly benchmark: CisBenchmarkVersion;
  readonly scanners: readonly Scanner[];
}

export interface AuditRunResult {
  readonly model: AuditModel;
  readonly report: AuditReport;
  readonly exitCode: number;
}

/** Runs the audit; throws AuditFailure (with its exit code) for input and AWS errors. */
export async function runAudit(options: AuditRunOptions): Promise<AuditRunResult> {
  const model = options.live
    ? await liveReader().readLiveModel({ region: options.region, profile: options.profile })
    : readTemplateModel(options.input!);
  const report = evaluateAudit(model, options.benchmark, options.scanners);
  return { model, report, exitCode: report.failed ? AUDIT_EXIT_CODES.NON_COMPLIANT : AUDIT_EXIT_CODES.OK };
}

/**
 * The live reader, required on first use: it loads the AWS SDK, which a
 * template audit (and the CLI's other commands) must not pay for at start-up.
 */
function liveReader(): typeof import('./live-reader') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./live-reader');
}
