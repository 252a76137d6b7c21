/**
 * `audit --security-hub` and the evidence reporter: imports each audited
 * target's findings into that target's own Security Hub (the account's
 * credentials, the target's Region, the account's default product), as
 * Security Hub requires of findings an account reports about itself.
 *
 * Per target: DescribeHub (Security Hub not enabled there is reported, not
 * thrown), GetFindings for this tool's active findings of the account and
 * Region (to keep their CreatedAt and to archive the ones of controls no
 * longer audited), then BatchImportFindings in calls of at most 100. The SDK
 * retries throttling (HTTP 429, TooManyRequestsException) with backoff; a
 * finding Security Hub still refuses is reported with its id and reason.
 */
import { AwsSecurityFinding, BatchImportFindingsCommand, DescribeHubCommand, GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { toAsff } from './asff';
import { AUDIT_EXIT_CODES, AuditFailure, classifyAwsError } from './errors';
import { EvidenceFinding, EvidenceRun, GENERATOR_PREFIX } from './findings';
import { ClientSettings, LIVE_CALL_TIMEOUTS, LiveCallTimeouts, LiveCredentials, addXmlErrorReader, requestHandlerTimeouts } from './live-reader';
import { mapWithConcurrency } from './organization';

/** BatchImportFindings takes at most 100 findings per call. */
export const MAX_FINDINGS_PER_IMPORT = 100;
/** Attempts per Security Hub call (the SDK's standard retry: exponential backoff with jitter on throttling and 5xx). */
export const SECURITY_HUB_MAX_ATTEMPTS = 8;
/** The permissions the import needs in each target account (BatchImportFindings only on the account's own default product). */
export const SECURITY_HUB_IMPORT_PERMISSIONS = ['securityhub:DescribeHub', 'securityhub:GetFindings', 'securityhub:BatchImportFindings'];
/** The session name of the AssumeRole calls the import makes. */
export const IMPORT_SESSION_NAME = 'cis-monitoring-evidence';

/** How one target's import ended. */
export type ImportOutcome = 'IMPORTED' | 'NOT_ENABLED' | 'FAILED' | 'NOT_AUDITED';

export interface FailedFinding {
  readonly id: string;
  readonly errorCode: string;
  readonly message: string;
}

export interface SecurityHubImportResult {
  readonly environment: string;
  readonly account?: string;
  readonly region?: string;
  readonly outcome: ImportOutcome;
  /** Findings of this run Security Hub accepted. */
  readonly imported: number;
  /** Findings of controls no longer audited, archived (RecordState ARCHIVED). */
  readonly archived: number;
  /** Findings of this run not imported (with why); every finding not imported is either here or counted in `notImported`. */
  readonly failed: readonly FailedFinding[];
  /** Findings of this run that never reached Security Hub (not enabled, access denied, not audited). */
  readonly notImported: number;
  /** BatchImportFindings calls made. */
  readonly calls: number;
  readonly message?: string;
  /** The exit code this target alone gives (0 imported). */
  readonly exitCode: number;
}

/** Where and as whom to import one target's findings. */
export interface SecurityHubTarget {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  /** Credentials of the target account; undefined: the default chain (or `profile`). */
  readonly credentials?: LiveCredentials;
  readonly profile?: string;
}

export interface ImportOptions {
  readonly generatedAt: string;
  readonly toolVersion: string;
  /** @default LIVE_CALL_TIMEOUTS */
  readonly timeouts?: LiveCallTimeouts;
  /** @default AWS_MAX_ATTEMPTS when set, else SECURITY_HUB_MAX_ATTEMPTS */
  readonly maxAttempts?: number;
}

/** Imports `findings` (all of `target`) into the target's Security Hub, archiving this tool's other active findings there. */
export async function importIntoSecurityHub(
  target: SecurityHubTarget, findings: readonly EvidenceFinding[], options: ImportOptions,
): Promise<SecurityHubImportResult> {
  const settings: ClientSettings & { maxAttempts: number } = {
    region: target.region,
    requestHandler: requestHandlerTimeouts(options.timeouts ?? LIVE_CALL_TIMEOUTS),
    maxAttempts: options.maxAttempts ?? (Number(process.env.AWS_MAX_ATTEMPTS) || SECURITY_HUB_MAX_ATTEMPTS),
  };
  if (target.credentials) settings.credentials = target.credentials;
  else if (target.profile) settings.profile = target.profile;
  const client = new SecurityHubClient(settings);
  addXmlErrorReader(client);
  const base = { environment: target.environment, account: target.account, region: target.region };
  const ctx = { region: target.region, profile: target.profile, endpoint: process.env.AWS_ENDPOINT_URL_SECURITYHUB ?? process.env.AWS_ENDPOINT_URL };
  const productArn = `arn:${partitionOfRegion(target.region)}:securityhub:${target.region}:${target.account}:product/${target.account}/default`;
  let calls = 0;
  const notImported = (outcome: ImportOutcome, message: string, exitCode: number): SecurityHubImportResult =>
    ({ ...base, outcome, imported: 0, archived: 0, failed: [], notImported: findings.length, calls, message, exitCode });

  try {
    await client.send(new DescribeHubCommand({}));
  } catch (e) {
    const name = (e as { name?: string })?.name ?? '';
    if (name === 'InvalidAccessException' || name === 'ResourceNotFoundException') {
      return notImported('NOT_ENABLED',
        `Security Hub is not enabled in account ${target.account}, Region ${target.region} (${name}: ${firstLine(e)}); its ${findings.length} findings were not imported. `
        + `Enable it (aws securityhub enable-security-hub --region ${target.region}, or your organization's Security Hub configuration) and run again; the report files hold them meanwhile.`,
        AUDIT_EXIT_CODES.SECURITY_HUB);
    }
    return notImported('FAILED', importFailureMessage(classifyAwsError(e, 'securityhub:DescribeHub', ctx), target, findings.length), AUDIT_EXIT_CODES.SECURITY_HUB);
  }

  // This tool's active findings of the account and Region (an aggregation Region also returns other Regions' findings).
  const existing = new Map<string, AwsSecurityFinding>();
  try {
    let nextToken: string | undefined;
    const tokens = new Set<string>();
    do {
      const page = await client.send(new GetFindingsCommand({
        Filters: {
          ProductArn: [{ Value: productArn, Comparison: 'EQUALS' }],
          AwsAccountId: [{ Value: target.account, Comparison: 'EQUALS' }],
          Region: [{ Value: target.region, Comparison: 'EQUALS' }],
          GeneratorId: [{ Value: GENERATOR_PREFIX, Comparison: 'PREFIX' }],
          RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
        },
        MaxResults: 100,
        NextToken: nextToken,
      }));
      for (const f of page.Findings ?? []) {
        // Checked here too: filters an endpoint ignores must not make us archive another product's finding.
        if (f.Id && f.ProductArn === productArn && f.AwsAccountId === target.account && (f.Region ?? target.region) === target.region
          && f.GeneratorId?.startsWith(GENERATOR_PREFIX) && (f.RecordState ?? 'ACTIVE') === 'ACTIVE') existing.set(f.Id, f);
      }
      nextToken = page.NextToken || undefined;
      if (nextToken && tokens.has(nextToken)) throw new AuditFailure('securityhub:GetFindings returned a page token it had already returned; the endpoint is not usable.', AUDIT_EXIT_CODES.UNREACHABLE);
      if (nextToken) tokens.add(nextToken);
    } while (nextToken);
  } catch (e) {
    const failure = e instanceof AuditFailure ? e : classifyAwsError(e, 'securityhub:GetFindings', ctx);
    return notImported('FAILED', importFailureMessage(failure, target, findings.length), AUDIT_EXIT_CODES.SECURITY_HUB);
  }

  const firstSeen = new Map([...existing].map(([id, f]) => [id, { createdAt: f.CreatedAt, firstObservedAt: f.FirstObservedAt }]));
  const current = findings.map(f => toAsff(f, { generatedAt: options.generatedAt, toolVersion: options.toolVersion, firstSeen }));
  const currentIds = new Set(current.map(f => f.Id));
  const retired = [...existing.values()].filter(f => !currentIds.has(f.Id)).map(f => archived(f, options.generatedAt));
  const batch = [...current, ...retired];

  const failed: FailedFinding[] = [];
  let error: AuditFailure | undefined;
  for (let i = 0; i < batch.length; i += MAX_FINDINGS_PER_IMPORT) {
    const chunk = batch.slice(i, i + MAX_FINDINGS_PER_IMPORT);
    try {
      calls++;
      const out = await client.send(new BatchImportFindingsCommand({ Findings: chunk }));
      for (const f of out.FailedFindings ?? []) failed.push({ id: f.Id ?? '?', errorCode: f.ErrorCode ?? '?', message: f.ErrorMessage ?? '' });
    } catch (e) {
      const failure = classifyAwsError(e, 'securityhub:BatchImportFindings', ctx);
      error ??= failure;
      for (const f of chunk) failed.push({ id: f.Id!, errorCode: (e as { name?: string })?.name ?? 'Error', message: failure.message });
    }
  }
  const failedIds = new Set(failed.map(f => f.id));
  const imported = current.filter(f => !failedIds.has(f.Id!)).length;
  const archivedCount = retired.filter(f => !failedIds.has(f.Id!)).length;
  if (failed.length) {
    return {
      ...base,
      outcome: 'FAILED',
      imported,
      archived: archivedCount,
      failed,
      notImported: 0,
      calls,
      exitCode: AUDIT_EXIT_CODES.SECURITY_HUB,
      message: error
        ? importFailureMessage(error, target, `${failed.length} of ${batch.length}`)
        : `Security Hub refused ${failed.length} of ${batch.length} findings in account ${target.account}, Region ${target.region}: `
          + `${failed.slice(0, 3).map(f => `${f.id} (${f.errorCode}: ${f.message})`).join('; ')}${failed.length > 3 ? '; …' : ''}.`,
    };
  }
  return { ...base, outcome: 'IMPORTED', imported, archived: archivedCount, failed, notImported: 0, calls, exitCode: AUDIT_EXIT_CODES.OK };
}

/** An existing finding, retired: same id, RecordState ARCHIVED, updated now. */
function archived(f: AwsSecurityFinding, now: string): AwsSecurityFinding {
  const copy: AwsSecurityFinding = { ...f, RecordState: 'ARCHIVED', UpdatedAt: now };
  // Fields Security Hub keeps on its own side (or the customer sets) are not the importer's to send.
  for (const k of ['ProcessedAt', 'Workflow', 'WorkflowState', 'Note', 'FindingProviderFields', 'UserDefinedFields', 'VerificationState'] as const) delete copy[k];
  return copy;
}

function importFailureMessage(failure: AuditFailure, target: SecurityHubTarget, count: number | string): string {
  const why = failure.exitCode === AUDIT_EXIT_CODES.ACCESS_DENIED
    ? `${failure.message.replace(/ The audit needs read-only .*$/, '')} The import needs ${SECURITY_HUB_IMPORT_PERMISSIONS.join(', ')} (BatchImportFindings on the account's own default product).`
    : failure.message;
  return `Security Hub import into account ${target.account}, Region ${target.region} failed; ${count} findings not imported: ${why}`;
}

function firstLine(e: unknown): string {
  return String((e as { message?: string })?.message ?? e).split('\n')[0].replace(/[.\s]+$/, '');
}

function partitionOfRegion(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}

export interface RunImportOptions extends ImportOptions {
  /** --profile: the caller's own account and the STS calls. */
  readonly profile?: string;
  /** Where STS is called (the caller's Region). */
  readonly region?: string;
  /** Targets imported at the same time. @default 4 */
  readonly concurrency?: number;
  /**
   * The role to assume per account; undefined for the caller's own account.
   * @default - each finding's target is imported with the caller's credentials
   */
  readonly roleArnOf?: (account: string) => string | undefined;
}

/**
 * Imports every audited target's findings of `run` into its Security Hub;
 * unaudited targets are reported as NOT_AUDITED. Member accounts are reached
 * through `roleArnOf` (one AssumeRole per account).
 */
export async function importRun(run: EvidenceRun, options: RunImportOptions): Promise<SecurityHubImportResult[]> {
  const settings: ClientSettings = { requestHandler: requestHandlerTimeouts(options.timeouts ?? LIVE_CALL_TIMEOUTS) };
  if (options.region) settings.region = options.region;
  if (options.profile) settings.profile = options.profile;
  const sts = new STSClient(settings);
  addXmlErrorReader(sts);
  const sessions = new Map<string, Promise<LiveCredentials>>();
  const credentialsFor = (roleArn: string): Promise<LiveCredentials> => {
    let c = sessions.get(roleArn);
    if (!c) {
      c = sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: IMPORT_SESSION_NAME, DurationSeconds: 3600 })).then(out => {
        const k = out.Credentials;
        if (!k?.AccessKeyId || !k.SecretAccessKey) throw new AuditFailure(`sts:AssumeRole on ${roleArn} returned no credentials.`, AUDIT_EXIT_CODES.ERROR);
        return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey, sessionToken: k.SessionToken, expiration: k.Expiration };
      });
      sessions.set(roleArn, c);
    }
    return c;
  };
  return mapWithConcurrency(run.targets, options.concurrency ?? 4, async (t): Promise<SecurityHubImportResult> => {
    const findings = run.findings.filter(f => f.environment === t.environment);
    const base = {
      environment: t.environment, account: t.account, region: t.region, imported: 0, archived: 0, failed: [], notImported: findings.length, calls: 0,
    };
    if (!t.audited) {
      return {
        ...base,
        outcome: 'NOT_AUDITED',
        exitCode: AUDIT_EXIT_CODES.SECURITY_HUB,
        message: `nothing imported, since the target could not be audited (${t.error?.kind ?? 'ERROR'}); its findings in Security Hub stay as they were.`,
      };
    }
    if (!t.account || !t.region) {
      return { ...base, outcome: 'FAILED', exitCode: AUDIT_EXIT_CODES.SECURITY_HUB, message: `${t.environment}: the account or Region is not known, so there is no Security Hub to import into.` };
    }
    const roleArn = options.roleArnOf?.(t.account);
    let credentials: LiveCredentials | undefined;
    if (roleArn) {
      try {
        credentials = await credentialsFor(roleArn);
      } catch (e) {
        const failure = e instanceof AuditFailure ? e : classifyAwsError(e, 'sts:AssumeRole', { region: options.region, profile: options.profile });
        return { ...base, outcome: 'FAILED', exitCode: AUDIT_EXIT_CODES.SECURITY_HUB, message: `Cannot assume ${roleArn} to import into ${t.environment}: ${failure.message}` };
      }
    }
    const target = { environment: t.environment, account: t.account, region: t.region, credentials, profile: roleArn ? undefined : options.profile };
    return importIntoSecurityHub(target, findings, options);
  });
}

/** The caller's account (GetCallerIdentity): a single-account live audit names no account otherwise. */
export async function callerAccount(options: { region?: string; profile?: string; timeouts?: LiveCallTimeouts }): Promise<string> {
  const settings: ClientSettings = { requestHandler: requestHandlerTimeouts(options.timeouts ?? LIVE_CALL_TIMEOUTS) };
  if (options.region) settings.region = options.region;
  if (options.profile) settings.profile = options.profile;
  const sts = new STSClient(settings);
  addXmlErrorReader(sts);
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return out.Account ?? '';
  } catch (e) {
    throw classifyAwsError(e, 'sts:GetCallerIdentity', { region: options.region, profile: options.profile });
  }
}
