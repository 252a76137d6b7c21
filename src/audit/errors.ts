/**
 * Exit codes of `cis-monitoring audit` and the mapping of AWS SDK errors to
 * clear messages.
 */

/** Exit codes of `cis-monitoring audit` (documented in docs/scanners.md). */
export const AUDIT_EXIT_CODES = {
  /** Every selected scanner passes (or warns) on every control. */
  OK: 0,
  /** An unexpected error. */
  ERROR: 1,
  /** Bad input: unknown option value, missing or unreadable path, not a template. */
  BAD_INPUT: 2,
  /** At least one selected scanner fails. */
  NON_COMPLIANT: 3,
  /** No AWS credentials, or credentials AWS rejects (unknown key, bad signature, expired token). */
  CREDENTIALS: 4,
  /** The AWS endpoint cannot be reached (connection refused, DNS failure, timeout). */
  UNREACHABLE: 5,
  /** The credentials lack a permission the audit needs (AccessDenied). */
  ACCESS_DENIED: 6,
  /** --security-hub: the findings of at least one target were not imported (Security Hub not enabled there, access denied, refused or throttled past the retries). */
  SECURITY_HUB: 7,
} as const;

const ERROR_KINDS: Record<number, string> = { 1: 'ERROR', 2: 'BAD_INPUT', 4: 'CREDENTIALS', 5: 'UNREACHABLE', 6: 'ACCESS_DENIED', 7: 'SECURITY_HUB' };

/** The name of an exit code for a target that could not be audited (ACCESS_DENIED, UNREACHABLE, …). */
export function auditErrorKind(exitCode: number): string {
  return ERROR_KINDS[exitCode] ?? 'ERROR';
}

/** An error that ends the audit with a specific exit code. */
export class AuditFailure extends Error {
  constructor(message: string, public readonly exitCode: number) {
    super(message);
    this.name = 'AuditFailure';
    Object.setPrototypeOf(this, AuditFailure.prototype);
  }
}

/** Thrown for input the user must fix (path, JSON, template shape, option values). */
export class AuditInputError extends AuditFailure {
  constructor(message: string) {
    super(message, AUDIT_EXIT_CODES.BAD_INPUT);
    this.name = 'AuditInputError';
    Object.setPrototypeOf(this, AuditInputError.prototype);
  }
}

/** The permissions `audit --live` needs (all read-only; the SecurityAudit managed policy has them). */
export const LIVE_AUDIT_PERMISSIONS = [
  'cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors',
  'logs:DescribeMetricFilters', 'cloudwatch:DescribeAlarms', 'sns:ListSubscriptionsByTopic',
];

const CREDENTIAL_ERRORS = new Set([
  'InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidSignatureException', 'SignatureDoesNotMatch',
  'IncompleteSignature', 'IncompleteSignatureException', 'ExpiredToken', 'ExpiredTokenException', 'InvalidAccessKeyId',
  'AuthFailure', 'InvalidToken', 'MissingAuthenticationToken', 'MissingAuthenticationTokenException', 'InvalidSecurity',
]);

const ACCESS_DENIED_ERRORS = new Set([
  'AccessDenied', 'AccessDeniedException', 'AuthorizationError', 'AuthorizationErrorException', 'UnauthorizedOperation', 'NotAuthorized',
  'UnauthorizedException', 'Forbidden',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET',
]);

/** Where the audit talked to, for messages. */
export interface AwsCallContext {
  readonly region?: string;
  readonly profile?: string;
  /** AWS_ENDPOINT_URL (or a service-specific override) when set. */
  readonly endpoint?: string;
}

/**
 * Turns an error thrown by an AWS SDK v3 call into an AuditFailure with a
 * message that says what went wrong and how to fix it, and a distinct exit code.
 *
 * @param error what the SDK threw
 * @param action the API action, e.g. `cloudtrail:DescribeTrails`
 */
export function classifyAwsError(error: unknown, action: string, ctx: AwsCallContext): AuditFailure {
  const e = (error ?? {}) as {
    name?: string; code?: string; Code?: string; message?: string; errno?: string; cause?: any; $metadata?: { httpStatusCode?: number };
  };
  // The SDK wraps values that are not Error instances of its realm ("AWS SDK error wrapper for Error: connect ECONNREFUSED ...").
  const message = (e.message ?? String(error)).replace(/^AWS SDK error wrapper for (Error: )?/, '');
  const name = e.name ?? '';
  const networkCode = /\b(E[A-Z_]{4,})\b/.exec(message)?.[1];
  const code = String(e.code ?? e.Code ?? e.cause?.code ?? (networkCode && NETWORK_CODES.has(networkCode) ? networkCode : '') ?? '');
  const where = ctx.endpoint ? `endpoint ${ctx.endpoint}` : `the ${action.split(':')[0]} endpoint of ${ctx.region ?? 'the default region'}`;
  const profile = ctx.profile ? ` (profile "${ctx.profile}")` : '';

  if (name === 'CredentialsProviderError' || /Could not (load|resolve) credentials/i.test(message)) {
    return new AuditFailure(
      `No usable AWS credentials${profile}: ${firstLine(message)}. Pass --profile, set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`,
      AUDIT_EXIT_CODES.CREDENTIALS);
  }
  if (CREDENTIAL_ERRORS.has(name) || CREDENTIAL_ERRORS.has(code)) {
    return new AuditFailure(
      `AWS rejected the credentials${profile} on ${action} (${name || code}: ${firstLine(message)}). Check the access key, secret and session token, or refresh them (aws sso login / new temporary credentials).`,
      AUDIT_EXIT_CODES.CREDENTIALS);
  }
  if (ACCESS_DENIED_ERRORS.has(name) || ACCESS_DENIED_ERRORS.has(code)) {
    return new AuditFailure(
      `Access denied on ${action}${profile} (${name || code}: ${firstLine(message)}). The audit needs read-only ${LIVE_AUDIT_PERMISSIONS.join(', ')}; attach the SecurityAudit managed policy or grant those actions.`,
      AUDIT_EXIT_CODES.ACCESS_DENIED);
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name) || name === 'TimeoutError' || name === 'RequestTimeout' || /ECONNREFUSED|ENOTFOUND|getaddrinfo|socket hang up|connect ETIMEDOUT/.test(message)) {
    return new AuditFailure(
      `Cannot reach ${where} for ${action} (${code || name}: ${firstLine(message)}). Check --region, AWS_ENDPOINT_URL and the network or proxy settings.`,
      AUDIT_EXIT_CODES.UNREACHABLE);
  }
  if (/Region is missing|region.*not.*(valid|found)/i.test(message) || name === 'InvalidRegion') {
    return new AuditFailure(`No valid AWS region for ${action}: ${firstLine(message)}. Pass --region (e.g. --region us-east-1) or set AWS_REGION.`, AUDIT_EXIT_CODES.BAD_INPUT);
  }
  const status = e.$metadata?.httpStatusCode;
  return new AuditFailure(
    `${action} failed${status ? ` with HTTP ${status}` : ''} (${name || code || 'Error'}: ${firstLine(message)}).`,
    AUDIT_EXIT_CODES.ERROR);
}

function firstLine(text: string): string {
  return text.split('\n')[0].replace(/[.\s]+$/, '');
}
