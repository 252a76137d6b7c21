/**
 * `audit --live --organization`: lists the organization's active accounts
 * (Organizations ListAccounts), assumes a role in each member (STS AssumeRole;
 * the caller's own account is read with the caller's credentials) and reads
 * every account × Region with the single-account live reader, a few targets
 * at a time. A target that cannot be read (role refused, endpoint unreachable)
 * is reported with its error; the others are still audited.
 *
 * Every organization-level call pages with the single-account reader's guard
 * (a repeated page token ends the audit with exit 5) and outlasts throttling:
 * Organizations allows a few requests per second per account, and the SDK's
 * own three attempts come within a second of each other, so a throttled call
 * is tried again after a bounded, growing wait (`THROTTLE_RETRY`).
 */
import { Account, DescribeOrganizationCommand, ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AUDIT_EXIT_CODES, AuditFailure, AuditInputError, AwsCallContext, classifyAwsError } from './errors';
import { ClientSettings, LIVE_CALL_TIMEOUTS, LiveCallTimeouts, LiveCredentials, addXmlErrorReader, readLiveModel, readPages, requestHandlerTimeouts } from './live-reader';
import { AuditModel } from './model';

/** The role OrganizationAccountAccessRole: what Organizations creates in every account it creates. */
export const DEFAULT_ORGANIZATION_ROLE = 'OrganizationAccountAccessRole';
/** Targets (account × Region) read at the same time. */
export const DEFAULT_ORGANIZATION_CONCURRENCY = 4;
/** The session name the audit's AssumeRole calls use (visible in the members' CloudTrail). */
export const AUDIT_SESSION_NAME = 'cis-monitoring-audit';

/** How long the audit keeps trying a throttled organization-level call. */
export interface ThrottleRetry {
  /** Rounds of the SDK's own attempts, the first included. */
  readonly rounds: number;
  /** Wait before the second round, in milliseconds; doubled for each further round. */
  readonly baseDelayMs: number;
  /** Longest wait between two rounds, in milliseconds. */
  readonly maxDelayMs: number;
}

/** 4 rounds, waiting about 1, 2 and 4 seconds between them (each wait between half and all of that): at most 7 s of waiting in all. */
export const THROTTLE_RETRY: ThrottleRetry = { rounds: 4, baseDelayMs: 1_000, maxDelayMs: 8_000 };

/** Error names AWS uses for throttling: Organizations, STS (query protocol) and the SDK's generic ones. */
const THROTTLING_ERRORS = new Set([
  'TooManyRequestsException', 'ThrottlingException', 'Throttling', 'ThrottledException', 'RequestLimitExceeded', 'RequestThrottled',
  'RequestThrottledException', 'SlowDown',
]);

export interface OrganizationReadOptions {
  /** Where Organizations and STS are called, and the audited Region when `regions` is not given. */
  readonly region?: string;
  readonly profile?: string;
  /** @default DEFAULT_ORGANIZATION_ROLE */
  readonly roleName?: string;
  /** @default - the caller's Region (`region`, else AWS_REGION or the profile's region) */
  readonly regions?: readonly string[];
  /** Only these accounts (each must be an active account of the organization). @default - every active account */
  readonly accounts?: readonly string[];
  /** @default DEFAULT_ORGANIZATION_CONCURRENCY */
  readonly concurrency?: number;
  readonly timeouts?: LiveCallTimeouts;
  /** @default THROTTLE_RETRY */
  readonly throttleRetry?: ThrottleRetry;
}

/** One account of the organization. */
export interface OrganizationAccount {
  readonly id: string;
  readonly name?: string;
  /** ACTIVE, SUSPENDED, PENDING_CLOSURE, … */
  readonly state: string;
}

/** One account × Region: its model, or why it could not be read. */
export interface OrganizationTarget {
  readonly account: string;
  readonly accountName?: string;
  readonly region: string;
  /** The role ARN the account was read through; undefined: the caller's own credentials. */
  readonly roleArn?: string;
  readonly model?: AuditModel;
  readonly error?: AuditFailure;
}

export interface OrganizationReadResult {
  readonly organizationId?: string;
  readonly managementAccount?: string;
  /** The caller's account and ARN (GetCallerIdentity). */
  readonly callerAccount: string;
  readonly callerArn: string;
  readonly roleName: string;
  readonly regions: readonly string[];
  /** The audited accounts, in output order (the caller's first, then by id). */
  readonly accounts: readonly OrganizationAccount[];
  /** Accounts of the organization left out because they are not ACTIVE. */
  readonly inactive: readonly OrganizationAccount[];
  /** Every account × Region, in output order (accounts, then regions in the order given). */
  readonly targets: readonly OrganizationTarget[];
}

/** The permissions the caller needs on top of the single-account ones. */
export const ORGANIZATION_AUDIT_PERMISSIONS = [
  'sts:GetCallerIdentity', 'organizations:DescribeOrganization', 'organizations:ListAccounts', 'sts:AssumeRole',
];

/**
 * Every account of the organization, once each: ListAccounts page by page
 * (a page token seen twice ends the listing with an error, never a loop),
 * each call through `call` (retries, error mapping). `State` replaces the
 * deprecated `Status`; either says ACTIVE for an account that can be
 * audited. An account listed twice (ListAccounts is eventually consistent
 * across pages) is kept once, ACTIVE if either listing says so. The
 * organization audit and the evidence reporter's plan both list through it.
 */
export async function listOrganizationAccounts(
  organizations: OrganizationsClient,
  ctx: AwsCallContext,
  call: <T>(action: string, fn: () => Promise<T>) => Promise<T>,
): Promise<OrganizationAccount[]> {
  const listed: Account[] = [];
  await readPages('organizations:ListAccounts', ctx,
    NextToken => call('organizations:ListAccounts', () => organizations.send(new ListAccountsCommand({ NextToken }))),
    page => page.NextToken,
    page => listed.push(...(page.Accounts ?? [])));
  const byId = new Map<string, OrganizationAccount>();
  for (const a of listed) {
    const account = { id: a.Id ?? '?', name: a.Name, state: String(a.State ?? a.Status ?? 'UNKNOWN') };
    const seen = byId.get(account.id);
    if (!seen || (seen.state !== 'ACTIVE' && account.state === 'ACTIVE')) byId.set(account.id, account);
  }
  return [...byId.values()];
}

/** Lists the accounts, assumes the role in each and reads every target (errors per target, never thrown). */
export async function readOrganization(options: OrganizationReadOptions): Promise<OrganizationReadResult> {
  const timeouts = options.timeouts ?? LIVE_CALL_TIMEOUTS;
  const roleName = options.roleName ?? DEFAULT_ORGANIZATION_ROLE;
  const settings: ClientSettings = { requestHandler: requestHandlerTimeouts(timeouts) };
  if (options.region) settings.region = options.region;
  if (options.profile) settings.profile = options.profile;
  const baseCtx = { profile: options.profile };
  const throttle = options.throttleRetry ?? THROTTLE_RETRY;
  /** An organization-level call, retried while throttled; its errors end the whole audit. */
  const guarded = <T>(action: string, ctx: AwsCallContext, fn: () => Promise<T>, callerAccount?: string): Promise<T> =>
    organizationCall(action, ctx, () => retryThrottled(action, fn, throttle), callerAccount);

  const sts = new STSClient(settings);
  addXmlErrorReader(sts);
  let homeRegion: string;
  try {
    homeRegion = await sts.config.region();
  } catch (e) {
    throw classifyAwsError(e, 'sts:GetCallerIdentity', baseCtx);
  }
  if (!homeRegion) throw classifyAwsError(new Error('Region is missing'), 'sts:GetCallerIdentity', baseCtx);
  const ctx = (suffix: string): AwsCallContext => ({ region: homeRegion, profile: options.profile, endpoint: process.env[`AWS_ENDPOINT_URL_${suffix}`] ?? process.env.AWS_ENDPOINT_URL });

  const identity = await guarded('sts:GetCallerIdentity', ctx('STS'), () => sts.send(new GetCallerIdentityCommand({})));
  const callerAccount = identity.Account ?? '';
  const callerArn = identity.Arn ?? '';
  const partition = /^arn:([^:]+):/.exec(callerArn)?.[1] ?? 'aws';

  const organizations = new OrganizationsClient({ ...settings, region: homeRegion });
  addXmlErrorReader(organizations);
  const org = await guarded('organizations:DescribeOrganization', ctx('ORGANIZATIONS'),
    () => organizations.send(new DescribeOrganizationCommand({})), callerAccount);
  const all = await listOrganizationAccounts(organizations, ctx('ORGANIZATIONS'),
    (action, fn) => guarded(action, ctx('ORGANIZATIONS'), fn, callerAccount));
  let accounts = all.filter(a => a.state === 'ACTIVE');
  const inactive = all.filter(a => a.state !== 'ACTIVE');
  if (options.accounts) {
    const wanted = new Set(options.accounts);
    const problems = options.accounts.filter(id => !accounts.some(a => a.id === id)).map(id => {
      const other = inactive.find(a => a.id === id);
      return other ? `${id} is ${other.state}` : `${id} is not in the organization`;
    });
    if (problems.length) {
      throw new AuditInputError(
        `--accounts: ${problems.join('; ')}. Active accounts of ${org.Organization?.Id ?? 'the organization'}: ${accounts.map(a => a.id).join(', ') || 'none'}.`);
    }
    accounts = accounts.filter(a => wanted.has(a.id));
  }
  accounts.sort((a, b) => (a.id === callerAccount ? -1 : b.id === callerAccount ? 1 : a.id.localeCompare(b.id)));
  const regions = options.regions?.length ? [...options.regions] : [homeRegion];

  // One AssumeRole per account, shared by its Regions; renewed when it would expire within 5 minutes.
  const sessions = new Map<string, { expires: number; credentials: Promise<LiveCredentials> }>();
  const credentialsFor = (account: string, roleArn: string): Promise<LiveCredentials> => {
    const cached = sessions.get(account);
    if (cached && cached.expires > Date.now() + 5 * 60_000) return cached.credentials;
    const credentials = assumeRole(sts, roleArn, callerArn, account, ctx('STS'), throttle);
    sessions.set(account, { expires: Date.now() + 55 * 60_000, credentials });
    return credentials;
  };

  const plan = accounts.flatMap(a => regions.map(region => ({ account: a, region })));
  const concurrency = options.concurrency ?? DEFAULT_ORGANIZATION_CONCURRENCY;
  const targets = await mapWithConcurrency(plan, concurrency, async ({ account, region }): Promise<OrganizationTarget> => {
    const own = account.id === callerAccount;
    const roleArn = own ? undefined : `arn:${partition}:iam::${account.id}:role/${roleName}`;
    const base = { account: account.id, accountName: account.name, region, roleArn };
    try {
      const credentials = roleArn ? await credentialsFor(account.id, roleArn) : undefined;
      const model = await readLiveModel({
        region,
        profile: own ? options.profile : undefined,
        credentials,
        accountLabel: `${account.id}${account.name ? ` (${account.name})` : ''}`,
        timeouts,
      });
      return { ...base, model };
    } catch (e) {
      const error = e instanceof AuditFailure ? e : new AuditFailure(`Unexpected error: ${(e as Error)?.message ?? e}`, AUDIT_EXIT_CODES.ERROR);
      return { ...base, error };
    }
  });

  return {
    organizationId: org.Organization?.Id,
    managementAccount: org.Organization?.MasterAccountId,
    callerAccount,
    callerArn,
    roleName,
    regions,
    accounts,
    inactive,
    targets,
  };
}

/** An organization-level call: errors end the whole audit, with organization-specific advice. */
async function organizationCall<T>(action: string, ctx: AwsCallContext, fn: () => Promise<T>, callerAccount?: string): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const name = (e as { name?: string })?.name ?? '';
    if (name === 'AWSOrganizationsNotInUseException') {
      return Promise.reject(new AuditInputError(
        `--organization: account ${callerAccount ?? '?'} is not a member of an organization (${action}: ${name}). Run it with credentials of the management account or a delegated administrator, or drop --organization to audit one account.`));
    }
    if (e instanceof AuditFailure) return Promise.reject(e);
    const failure = classifyAwsError(e, action, ctx);
    if (failure.exitCode === AUDIT_EXIT_CODES.ACCESS_DENIED && action.startsWith('organizations:')) {
      return Promise.reject(new AuditFailure(
        `Access denied on ${action} for account ${callerAccount ?? '?'} (${name}). Listing the organization's accounts needs the management account or a delegated administrator account, with ${ORGANIZATION_AUDIT_PERMISSIONS.join(', ')}.`,
        AUDIT_EXIT_CODES.ACCESS_DENIED));
    }
    return Promise.reject(failure);
  }
}

async function assumeRole(
  sts: STSClient, roleArn: string, callerArn: string, account: string, ctx: AwsCallContext, throttle: ThrottleRetry,
): Promise<LiveCredentials> {
  let out;
  try {
    out = await retryThrottled('sts:AssumeRole',
      () => sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: AUDIT_SESSION_NAME, DurationSeconds: 3600 })), throttle);
  } catch (e) {
    if (e instanceof AuditFailure) throw e;
    const failure = classifyAwsError(e, 'sts:AssumeRole', ctx);
    if (failure.exitCode === AUDIT_EXIT_CODES.ACCESS_DENIED) {
      const name = (e as { name?: string })?.name ?? 'AccessDenied';
      const message = String((e as { message?: string })?.message ?? '').split('\n')[0];
      throw new AuditFailure(
        `${callerArn || 'The caller'} cannot assume ${roleArn} (${name}: ${message}). The role must exist in account ${account}, trust the caller, and the caller needs sts:AssumeRole on it; pass --role-name if the accounts use another role (e.g. AWSControlTowerExecution).`,
        AUDIT_EXIT_CODES.ACCESS_DENIED);
    }
    throw failure;
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) {
    throw new AuditFailure(`sts:AssumeRole on ${roleArn} returned no credentials.`, AUDIT_EXIT_CODES.ERROR);
  }
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
}

/** Whether an SDK error says the caller is being throttled. */
export function isThrottling(error: unknown): boolean {
  const e = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  return THROTTLING_ERRORS.has(e.name ?? '') || e.$metadata?.httpStatusCode === 429 || e.$retryable?.throttling === true;
}

/**
 * Runs `fn` (one SDK call, which makes its own attempts) again while AWS
 * throttles it, `policy.rounds` times at most, waiting a growing, jittered,
 * bounded time in between. Other errors pass through at once. When every
 * round was throttled, fails with exit code 1 and what to do.
 */
export async function retryThrottled<T>(action: string, fn: () => Promise<T>, policy: ThrottleRetry = THROTTLE_RETRY): Promise<T> {
  for (let round = 1; ; round++) {
    try {
      return await fn();
    } catch (e) {
      if (!isThrottling(e)) throw e;
      if (round >= policy.rounds) {
        const name = (e as { name?: string })?.name ?? 'throttled';
        const message = String((e as { message?: string })?.message ?? '').split('\n')[0];
        throw new AuditFailure(
          `${action} was still throttled after ${policy.rounds} rounds of attempts (${name}: ${message}). AWS limits how fast an account may call it; try again in a few minutes, or audit fewer accounts at once (--concurrency, --accounts).`,
          AUDIT_EXIT_CODES.ERROR);
      }
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (round - 1));
      await new Promise(resolve => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
    }
  }
}

/** Maps `items` with at most `limit` calls of `fn` running at once; results keep the input order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
