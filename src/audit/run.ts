/**
 * The audit as a function: read a template or an account, run every selected
 * scanner's decision logic per environment (account and Region), and pick the
 * exit code.
 */
import { environmentKey, StackEnvironment } from '../assembly/cloud-assembly';
import { CisBenchmarkVersion } from '../catalog';
import { AUDIT_EXIT_CODES } from './errors';
import { AuditReport, evaluateAudit } from './evaluate';
import { AuditModel } from './model';
import { readTemplateTargets } from './template-reader';
import { Scanner } from '../scanners/scanner';

export interface AuditRunOptions {
  /** A cdk.out directory or template file (template mode). */
  readonly input?: string;
  /** Read the deployed account instead. */
  readonly live?: boolean;
  readonly region?: string;
  readonly profile?: string;
  /**
   * The version to judge against; undefined: the version each stack was built
   * for (its labels), else the newest.
   */
  readonly benchmark?: CisBenchmarkVersion;
  readonly scanners: readonly Scanner[];
}

/** One audited account and Region. */
export interface AuditTargetResult {
  readonly environment: StackEnvironment;
  /** `aws://<account>/<region>`, `unknown-…` parts where not known. */
  readonly environmentKey: string;
  /** How the benchmark version was chosen: the --benchmark option, the stack's labels, or the newest by default. */
  readonly benchmarkFrom: 'option' | 'labels' | 'default';
  readonly model: AuditModel;
  readonly report: AuditReport;
}

export interface AuditRunResult {
  readonly targets: AuditTargetResult[];
  readonly exitCode: number;
}

/** Runs the audit; throws AuditFailure (with its exit code) for input and AWS errors. */
export async function runAudit(options: AuditRunOptions): Promise<AuditRunResult> {
  const read: Array<{ environment: StackEnvironment; model: AuditModel; labelled?: string }> = [];
  if (options.live) {
    const model = await liveReader().readLiveModel({ region: options.region, profile: options.profile });
    read.push({ environment: { region: model.region }, model });
  } else {
    for (const t of readTemplateTargets(options.input!)) read.push({ environment: t.environment, model: t.model, labelled: t.benchmark });
  }
  const targets = read.map((t): AuditTargetResult => {
    const benchmark = options.benchmark ?? (t.labelled ? CisBenchmarkVersion.of(t.labelled) : CisBenchmarkVersion.LATEST);
    const benchmarkFrom = options.benchmark ? 'option' : t.labelled ? 'labels' : 'default';
    return {
      environment: t.environment,
      environmentKey: environmentKey(t.environment),
      benchmarkFrom,
      model: t.model,
      report: evaluateAudit(t.model, benchmark, options.scanners),
    };
  });
  const failed = targets.some(t => t.report.failed);
  return { targets, exitCode: failed ? AUDIT_EXIT_CODES.NON_COMPLIANT : AUDIT_EXIT_CODES.OK };
}

/**
 * The live reader, required on first use: it loads the AWS SDK, which a
 * template audit (and the CLI's other commands) must not pay for at start-up.
 */
function liveReader(): typeof import('./live-reader') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./live-reader');
}
