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
import type { OrganizationReadResult } from './organization';
import { readTemplateTargets } from './template-reader';
import { Scanner } from '../scanners/scanner';

export interface AuditRunOptions {
  /** A cdk.out directory or template file (template mode). */
  readonly input?: string;
  /** Read the deployed account instead. */
  readonly live?: boolean;
  /** With `live`: time limit of each AWS request in milliseconds. @default 30000 */
  readonly requestTimeoutMs?: number;
  readonly region?: string;
  readonly profile?: string;
  /** --live: seconds without an answer before an AWS call fails (exit 5). @default 30 */
  readonly callTimeoutSeconds?: number;
  /**
   * The version to judge against; undefined: the version each stack was built
   * for (its labels), else the newest.
   */
  readonly benchmark?: CisBenchmarkVersion;
  readonly scanners: readonly Scanner[];
  /** With `live`: audit every active account of the organization (see docs/organizations.md). */
  readonly organization?: {
    /** @default OrganizationAccountAccessRole */
    readonly roleName?: string;
    /** @default - the caller's Region */
    readonly regions?: readonly string[];
    /** @default - every active account */
    readonly accounts?: readonly string[];
    /** @default 4 */
    readonly concurrency?: number;
  };
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
  /** --organization: the account's name in the organization. */
  readonly accountName?: string;
  /** --organization: the role the account was read through (undefined: the caller's own credentials). */
  readonly roleArn?: string;
}

/** --organization: an account and Region that could not be audited (role refused, endpoint unreachable, …). */
export interface AuditTargetError {
  readonly environment: StackEnvironment;
  readonly environmentKey: string;
  readonly accountName?: string;
  readonly roleArn?: string;
  /** The benchmark version the target would have been judged against. */
  readonly benchmark: string;
  readonly message: string;
  /** The exit code this error alone would give (4 credentials, 5 unreachable, 6 access denied, 1 other). */
  readonly exitCode: number;
}

/** --organization: what was listed (the reader's result without its targets) and where each target ended. */
export interface OrganizationRunSummary extends Omit<OrganizationReadResult, 'targets'> {
  /** Targets that could not be audited. */
  readonly errors: readonly AuditTargetError[];
  /** Every target's environment key in output order (accounts, then Regions), audited or not. */
  readonly order: readonly string[];
}

export interface AuditRunResult {
  readonly targets: AuditTargetResult[];
  readonly exitCode: number;
  /** Present for `--live --organization`. */
  readonly organization?: OrganizationRunSummary;
}

/**
 * The exit code of an organization audit, the first that applies: 6 a target
 * denied access (the role could not be assumed, or lacks a read permission),
 * 4 a target's credentials were rejected, 5 a target was unreachable, 1 a
 * target failed unexpectedly, 3 an audited target fails a selected scanner,
 * 0 every target audited and passing. Errors come first: the audit is
 * incomplete, so "compliant" cannot be claimed.
 */
export const ORGANIZATION_EXIT_PRECEDENCE: readonly number[] = [
  AUDIT_EXIT_CODES.ACCESS_DENIED, AUDIT_EXIT_CODES.CREDENTIALS, AUDIT_EXIT_CODES.UNREACHABLE, AUDIT_EXIT_CODES.ERROR, AUDIT_EXIT_CODES.NON_COMPLIANT,
];

/** Picks the exit code from the targets' outcomes by ORGANIZATION_EXIT_PRECEDENCE. */
export function organizationExitCode(errorCodes: readonly number[], anyFailed: boolean): number {
  const present = new Set<number>(errorCodes);
  if (anyFailed) present.add(AUDIT_EXIT_CODES.NON_COMPLIANT);
  for (const code of ORGANIZATION_EXIT_PRECEDENCE) if (present.has(code)) return code;
  return errorCodes.length > 0 ? AUDIT_EXIT_CODES.ERROR : AUDIT_EXIT_CODES.OK;
}

/** Runs the audit; throws AuditFailure (with its exit code) for input and AWS errors. */
export async function runAudit(options: AuditRunOptions): Promise<AuditRunResult> {
  if (options.live && options.organization) return runOrganizationAudit(options);
  const read: Array<{ environment: StackEnvironment; model: AuditModel; labelled?: string }> = [];
  if (options.live) {
    const model = await liveReader().readLiveModel({ region: options.region, profile: options.profile, timeouts: liveTimeouts(options) });
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

async function runOrganizationAudit(options: AuditRunOptions): Promise<AuditRunResult> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readOrganization } = require('./organization') as typeof import('./organization');
  const org = options.organization!;
  const read = await readOrganization({
    region: options.region,
    profile: options.profile,
    roleName: org.roleName,
    regions: org.regions,
    accounts: org.accounts,
    concurrency: org.concurrency,
    timeouts: liveTimeouts(options),
  });
  const benchmark = options.benchmark ?? CisBenchmarkVersion.LATEST;
  const targets: AuditTargetResult[] = [];
  const errors: AuditTargetError[] = [];
  for (const t of read.targets) {
    const environment: StackEnvironment = { account: t.account, region: t.region };
    const key = environmentKey(environment);
    if (t.model) {
      targets.push({
        environment,
        environmentKey: key,
        benchmarkFrom: options.benchmark ? 'option' : 'default',
        model: t.model,
        report: evaluateAudit(t.model, benchmark, options.scanners),
        accountName: t.accountName,
        roleArn: t.roleArn,
      });
    } else {
      errors.push({
        environment,
        environmentKey: key,
        accountName: t.accountName,
        roleArn: t.roleArn,
        benchmark: benchmark.version,
        message: t.error?.message ?? 'not audited',
        exitCode: t.error?.exitCode ?? AUDIT_EXIT_CODES.ERROR,
      });
    }
  }
  return {
    targets,
    exitCode: organizationExitCode(errors.map(e => e.exitCode), targets.some(t => t.report.failed)),
    organization: {
      organizationId: read.organizationId,
      managementAccount: read.managementAccount,
      callerAccount: read.callerAccount,
      callerArn: read.callerArn,
      roleName: read.roleName,
      regions: read.regions,
      accounts: read.accounts,
      inactive: read.inactive,
      errors,
      order: read.targets.map(t => environmentKey({ account: t.account, region: t.region })),
    },
  };
}

/** --timeout as the SDK's timeouts (connect: at most 5 s); undefined: the reader's defaults. */
export function liveTimeouts(options: AuditRunOptions): { connectionTimeout: number; requestTimeout: number } | undefined {
  if (options.callTimeoutSeconds === undefined) return undefined;
  const ms = options.callTimeoutSeconds * 1000;
  return { connectionTimeout: Math.min(ms, 5_000), requestTimeout: ms };
}

/**
 * The live reader, required on first use: it loads the AWS SDK, which a
 * template audit (and the CLI's other commands) must not pay for at start-up.
 */
function liveReader(): typeof import('./live-reader') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./live-reader');
}
