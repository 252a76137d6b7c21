/**
 * Internals of the exclusions module (not exported from the package index).
 */

/**
 * One field test of an exclusion: the event is excluded when the field is
 * present and equals `value` (wildcards at the start/end). Internal.
 */
export interface ExclusionCondition {
  /** JSON selector, e.g. `$.userIdentity.arn`. */
  readonly selector: string;
  /** The comparison value as the filter pattern states it (unescaped; `*` only first/last). */
  readonly value: string;
  /** Characters the quoted value takes in the pattern; tokens count as their reserve. */
  readonly renderedLength: number;
}

/** Selectors the factories use. */
export const SELECTORS = {
  userArn: '$.userIdentity.arn',
  sessionIssuerArn: '$.userIdentity.sessionContext.sessionIssuer.arn',
  sessionIssuerUserName: '$.userIdentity.sessionContext.sessionIssuer.userName',
  userAgent: '$.userAgent',
  sourceIp: '$.sourceIPAddress',
  eventName: '$.eventName',
} as const;

/** Length reserved for a token value in the pattern (its real length is only known at deploy time). */
export const TOKEN_RESERVE = {
  /** An IAM role ARN: arn:<partition>:iam::<12 digits>:role/<path><name>; paths up to ~80 characters fit. */
  arn: 160,
  /** An IAM role name (IAM allows 64 characters). */
  roleName: 64,
  /** An IPv4 or IPv6 address (at most 45 characters). */
  ip: 45,
} as const;

/** Quotes a value for a filter pattern: `"` and `\` are backslash-escaped. */
export function quoteFilterValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

