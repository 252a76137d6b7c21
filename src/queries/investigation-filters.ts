import { escapeRegex } from '../filter-pattern/translate/insights';

/** Filters of the investigation queries (internal; the tests evaluate them). */

/** CloudTrail event names of S3 (and S3 Control) calls that change who can read a bucket. */
export const S3_EXPOSURE_EVENT_NAMES: readonly string[] = [
  'PutBucketAcl', 'PutBucketPolicy', 'DeleteBucketPolicy',
  'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock',
  'PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock',
];

/** AssumeRole* calls (successful, not by AWS services) into a role whose name contains one of the given names. */
export function powerfulRoleFilter(roleNames: string[]): string {
  const names = roleNames.map(escapeRegex).join('|');
  return 'eventSource = "sts.amazonaws.com" and eventName in ["AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"]'
    + ' and not ispresent(errorCode) and (not ispresent(userIdentity.type) or userIdentity.type != "AWSService")'
    + ` and requestParameters.roleArn like /(?i):role\\/.*(${names})/`;
}

/** S3 exposure changes and PutObject (PutObject needs S3 data events in the trail). */
export function s3ExposureFilter(): string {
  return `eventSource = "s3.amazonaws.com" and eventName in [${[...S3_EXPOSURE_EVENT_NAMES, 'PutObject'].map(n => `"${n}"`).join(', ')}]`;
}

