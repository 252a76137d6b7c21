/**
 * What `replay s3://...` and `replay --log-group` share: AWS SDK client
 * settings (per-call timeouts, bounded retries), the mapping of errors to
 * messages and exit codes (the same numbers as `audit --live`), a guard
 * against paging that never ends, and a rate limiter. Loaded only when a
 * remote input is given (it brings in the AWS SDK bundle).
 */
import { AUDIT_EXIT_CODES, AuditFailure, AwsCallContext, classifyAwsError } from '../../audit/errors';
import { LIVE_CALL_TIMEOUTS, LiveCallTimeouts, requestHandlerTimeouts, SdkRequestHandlerTimeouts } from '../../audit/live-reader';

/** How remote inputs are read. */
export interface RemoteOptions {
  /** The Region to call (the log group's; S3 follows the bucket's own). @default - the SDK's default chain */
  readonly region?: string;
  /** The shared-config profile. @default - the SDK's default credential chain */
  readonly profile?: string;
  /** Per-call timeouts. @default LIVE_CALL_TIMEOUTS (5 s to connect, 30 s for an answer or of silence) */
  readonly timeouts?: LiveCallTimeouts;
}

/**
 * Attempts per call, the first included, unless AWS_MAX_ATTEMPTS (the SDK's
 * own setting) says otherwise: the SDK retries throttling, 5xx answers,
 * timeouts and broken connections with exponential backoff and jitter, at
 * most 20 s between attempts (its standard retry mode).
 */
export const REMOTE_MAX_ATTEMPTS = 5;

/** The attempts per call: AWS_MAX_ATTEMPTS when it is a whole number from 1 on, else REMOTE_MAX_ATTEMPTS. */
export function remoteMaxAttempts(): number {
  const v = Number(process.env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(v) && v >= 1 ? v : REMOTE_MAX_ATTEMPTS;
}

/** Settings every client of a remote replay gets. */
export interface RemoteClientSettings {
  region?: string;
  profile?: string;
  maxAttempts: number;
  retryMode: 'standard';
  requestHandler: SdkRequestHandlerTimeouts;
}

export function remoteClientSettings(options: RemoteOptions): RemoteClientSettings {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: remoteMaxAttempts(),
    retryMode: 'standard',
    requestHandler: requestHandlerTimeouts(options.timeouts ?? LIVE_CALL_TIMEOUTS),
  };
}

/** The endpoint override the SDK uses for a service (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL), for messages and S3 path-style addressing. */
export function endpointOverride(service: 'S3' | 'CLOUDWATCH_LOGS'): string | undefined {
  return process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL;
}

const THROTTLING = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottledException', 'TooManyRequestsException', 'SlowDown',
  'RequestLimitExceeded', 'RequestThrottled', 'RateExceeded', 'LimitExceededException', 'ProvisionedThroughputExceededException',
]);

function errorName(e: any): string {
  return String(e?.name ?? e?.Code ?? e?.code ?? '');
}

function firstLine(text: unknown): string {
  return String(text).split('\n')[0].replace(/[.\s]+$/, '');
}

/** Whether the SDK gave up on a call because it was throttled. */
export function isThrottling(e: unknown): boolean {
  return THROTTLING.has(errorName(e)) || (e as any)?.$metadata?.httpStatusCode === 429;
}

/**
 * A call that the replay cannot do without (listing the bucket, reading the
 * log group) failed: the message says what and how to fix it, with the exit
 * code `audit --live` uses for the same situation.
 * @param permissions the IAM actions the call needs (for access denied)
 */
export function remoteFailure(e: unknown, action: string, what: string, permissions: string, ctx: AwsCallContext): AuditFailure {
  if (e instanceof AuditFailure) return e;
  const name = errorName(e);
  const detail = `${name || 'Error'}: ${firstLine((e as any)?.message ?? e)}`;
  if (isThrottling(e)) {
    return new AuditFailure(`${action} on ${what} was throttled (${detail}) on each of ${remoteMaxAttempts()} attempts, with backoff between them. Try again later, or when fewer clients read it at once.`, AUDIT_EXIT_CODES.UNREACHABLE);
  }
  const f = classifyAwsError(e, action, ctx);
  if (f.exitCode === AUDIT_EXIT_CODES.ACCESS_DENIED) {
    const profile = ctx.profile ? ` (profile "${ctx.profile}")` : '';
    return new AuditFailure(`Access denied on ${action} for ${what}${profile} (${detail}). Replay needs ${permissions}.`, AUDIT_EXIT_CODES.ACCESS_DENIED);
  }
  return f;
}

/** An input that could not be read: the message (naming it) and the exit code of its kind of failure. */
export function readFailure(e: unknown, address: string, permissions: string): { message: string; exitCode: number } {
  const name = errorName(e);
  const detail = `${name || 'Error'}: ${firstLine((e as any)?.message ?? e)}`;
  const what = `cannot read "${address}"`;
  if (isThrottling(e)) return { message: `${what}: throttled on each of ${remoteMaxAttempts()} attempts (${detail})`, exitCode: AUDIT_EXIT_CODES.UNREACHABLE };
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'ResourceNotFoundException') {
    return { message: `${what}: it no longer exists (${detail})`, exitCode: AUDIT_EXIT_CODES.BAD_INPUT };
  }
  if (name === 'PreconditionFailed') {
    return { message: `${what}: it changed while it was read (${detail}); replay it again`, exitCode: AUDIT_EXIT_CODES.BAD_INPUT };
  }
  const f = classifyAwsError(e, 'read', {});
  if (f.exitCode === AUDIT_EXIT_CODES.ACCESS_DENIED) return { message: `${what}: access denied (${detail}); replay needs ${permissions}`, exitCode: f.exitCode };
  if (f.exitCode === AUDIT_EXIT_CODES.CREDENTIALS) return { message: `${what}: the credentials were refused (${detail})`, exitCode: f.exitCode };
  if (f.exitCode === AUDIT_EXIT_CODES.UNREACHABLE) return { message: `${what}: no answer or a broken connection on each of ${remoteMaxAttempts()} attempts (${detail})`, exitCode: f.exitCode };
  return { message: `${what}: ${detail}`, exitCode: AUDIT_EXIT_CODES.ERROR };
}

/** Most pages read from one paginated call before it is taken for a loop. */
export const MAX_PAGES = 1_000_000;

/**
 * Guards a paginated call: an endpoint that hands back a token it already
 * gave (or never stops) would make a replay loop forever; this throws
 * instead (exit code 5, as an endpoint that cannot be used).
 */
export class PageGuard {
  private readonly seen = new Set<string>();
  private pages = 0;

  constructor(private readonly action: string, private readonly what: string, private readonly endpoint: string | undefined) {}

  /** Checks the token of the next page. */
  public next(token: string): void {
    this.pages++;
    const where = this.endpoint ? ` (endpoint ${this.endpoint})` : '';
    if (this.seen.has(token)) {
      throw new AuditFailure(`${this.action} on ${this.what}${where} returned a page token it had already returned (page ${this.pages}), so paging would never end. The endpoint is not usable.`, AUDIT_EXIT_CODES.UNREACHABLE);
    }
    if (this.pages >= MAX_PAGES) {
      throw new AuditFailure(`${this.action} on ${this.what}${where} still returns page tokens after ${MAX_PAGES} pages; stopped. The endpoint is not usable.`, AUDIT_EXIT_CODES.UNREACHABLE);
    }
    this.seen.add(token);
  }
}

/** At most `perSecond` calls a second, spread evenly, shared by everyone calling `take`. */
export class RateLimiter {
  private next = 0;

  constructor(private readonly perSecond: number) {}

  /** Resolves when the next call may go. */
  public async take(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    if (at > now) await new Promise(resolve => setTimeout(resolve, at - now));
  }
}
