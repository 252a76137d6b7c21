/**
 * Per-control facts the scanner planner needs (catalog data): small
 * CloudTrail-shaped probe events it evaluates candidate patterns against
 * with the offline filter-pattern engine: benign events no
 * control should match (to reject match-almost-everything texts) and, per
 * control, the events that tell the candidate texts apart (to measure what a
 * union matches beyond the deployed pattern).
 */
import { CisControl } from './cis-catalog';

/** A probe event with a phrase that completes "... also matches <description>". */
export interface ProbeEvent {
  readonly description: string;
  readonly event: Record<string, unknown>;
  /**
   * Probes of one group test the same event name from different services;
   * where several of a group show the same difference, only the first is reported.
   */
  readonly group?: string;
}

const ACCOUNT = '111122223333';

const IAM_USER = { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, userName: 'alice' };
const ROOT = { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT };
const ASSUMED_ROLE = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLE:alice@example.com',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com`,
  accountId: ACCOUNT,
};

/** Builds a CloudTrail management event; `extra` overrides or adds top-level fields. */
function cloudTrailEvent(eventName: string, eventSource: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: IAM_USER,
    eventTime: '2025-01-15T10:00:00Z',
    eventSource,
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    ...extra,
  };
}

/**
 * Ordinary read-only calls by an IAM user. No CIS monitoring control is meant
 * to match any of them; a text that does matches (almost) every event.
 */
export const BENIGN_EVENTS: readonly ProbeEvent[] = [
  { description: 'a successful ec2:DescribeInstances call', event: cloudTrailEvent('DescribeInstances', 'ec2.amazonaws.com') },
  { description: 'a successful s3:ListBuckets call', event: cloudTrailEvent('ListBuckets', 's3.amazonaws.com') },
  { description: 'a successful sts:GetCallerIdentity call', event: cloudTrailEvent('GetCallerIdentity', 'sts.amazonaws.com') },
  { description: 'a successful iam:ListUsers call', event: cloudTrailEvent('ListUsers', 'iam.amazonaws.com') },
  { description: 'a successful cloudtrail:DescribeTrails call', event: cloudTrailEvent('DescribeTrails', 'cloudtrail.amazonaws.com') },
];

/** An event source no control names, to see whether a text checks eventSource. */
const OTHER_SOURCE = 'unrelated.example.com';

const CURATED: Record<string, readonly ProbeEvent[]> = {
  'unauthorized-api-calls': [
    {
      description: 'an EC2 call denied with Client.UnauthorizedOperation',
      event: cloudTrailEvent('RunInstances', 'ec2.amazonaws.com', { errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' }),
    },
    {
      description: 'an S3 call denied with AccessDenied',
      event: cloudTrailEvent('GetBucketPolicy', 's3.amazonaws.com', { errorCode: 'AccessDenied', errorMessage: 'Access Denied' }),
    },
    {
      description: 'a KMS call denied with AccessDeniedException',
      event: cloudTrailEvent('Decrypt', 'kms.amazonaws.com', { errorCode: 'AccessDeniedException' }),
    },
    {
      description: 'an AccessDenied error on S3 HeadBucket',
      event: cloudTrailEvent('HeadBucket', 's3.amazonaws.com', { errorCode: 'AccessDenied', errorMessage: 'Access Denied' }),
    },
    {
      description: 'an AccessDenied error from the log delivery service (sourceIPAddress delivery.logs.amazonaws.com)',
      event: cloudTrailEvent('PutObject', 's3.amazonaws.com', {
        errorCode: 'AccessDenied', sourceIPAddress: 'delivery.logs.amazonaws.com', userAgent: 'delivery.logs.amazonaws.com',
      }),
    },
    {
      description: 'a Client.UnauthorizedOperation error from the log delivery service (sourceIPAddress delivery.logs.amazonaws.com)',
      event: cloudTrailEvent('DescribeFlowLogs', 'ec2.amazonaws.com', { errorCode: 'Client.UnauthorizedOperation', sourceIPAddress: 'delivery.logs.amazonaws.com' }),
    },
    {
      description: 'a Client.UnauthorizedOperation error on HeadBucket',
      event: cloudTrailEvent('HeadBucket', 's3.amazonaws.com', { errorCode: 'Client.UnauthorizedOperation' }),
    },
    {
      description: 'a call that failed with ThrottlingException',
      event: cloudTrailEvent('DescribeInstances', 'ec2.amazonaws.com', { errorCode: 'ThrottlingException' }),
    },
  ],
  'console-signin-without-mfa': [
    {
      description: 'a successful IAM-user console sign-in without MFA',
      event: signIn(IAM_USER, 'Success', { MFAUsed: 'No' }),
    },
    {
      description: 'a federated (SSO/SAML) console sign-in, which reports MFAUsed "No" because MFA happens at the identity provider',
      event: signIn(ASSUMED_ROLE, 'Success', { MFAUsed: 'No' }),
    },
    {
      description: 'a failed IAM-user console sign-in without MFA',
      event: signIn(IAM_USER, 'Failure', { MFAUsed: 'No' }, { errorMessage: 'Failed authentication' }),
    },
    {
      description: 'a root console sign-in without MFA',
      event: signIn(ROOT, 'Success', { MFAUsed: 'No' }),
    },
    {
      description: 'a successful IAM-user console sign-in with MFA',
      event: signIn(IAM_USER, 'Success', { MFAUsed: 'Yes' }),
    },
    {
      description: 'a console sign-in event without additionalEventData.MFAUsed',
      event: signIn(IAM_USER, 'Success', { LoginTo: 'https://console.aws.amazon.com/' }),
    },
  ],
  'root-account-usage': [
    {
      description: 'an API call by the root user',
      event: cloudTrailEvent('CreateAccessKey', 'iam.amazonaws.com', { userIdentity: ROOT }),
    },
    {
      description: 'a root console sign-in',
      event: signIn(ROOT, 'Success', { MFAUsed: 'Yes' }),
    },
    {
      description: 'a call made on the root user\'s behalf by an AWS service (invokedBy set)',
      event: cloudTrailEvent('PutObject', 's3.amazonaws.com', { userIdentity: { ...ROOT, invokedBy: 'cloudtrail.amazonaws.com' } }),
    },
    {
      description: 'an AwsServiceEvent recorded for the root user',
      event: cloudTrailEvent('SharedSnapshotCopyInitiated', 'ec2.amazonaws.com', { userIdentity: ROOT, eventType: 'AwsServiceEvent' }),
    },
    {
      description: 'an API call by an IAM user',
      event: cloudTrailEvent('CreateAccessKey', 'iam.amazonaws.com'),
    },
  ],
  'console-auth-failures': [
    {
      description: 'a console sign-in that failed with "Failed authentication"',
      event: signIn(IAM_USER, 'Failure', { MFAUsed: 'No' }, { errorMessage: 'Failed authentication' }),
    },
    {
      description: 'a console sign-in that failed with "No username found in supplied account"',
      event: signIn(IAM_USER, 'Failure', { MFAUsed: 'No' }, { errorMessage: 'No username found in supplied account' }),
    },
    {
      description: 'a successful console sign-in',
      event: signIn(IAM_USER, 'Success', { MFAUsed: 'Yes' }),
    },
  ],
};

function signIn(userIdentity: Record<string, unknown>, outcome: 'Success' | 'Failure', additional: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return cloudTrailEvent('ConsoleLogin', 'signin.amazonaws.com', {
    userIdentity,
    eventType: 'AwsConsoleSignIn',
    responseElements: { ConsoleLogin: outcome },
    additionalEventData: { MobileVersion: 'No', ...additional },
    ...extra,
  });
}

/** Event names a pattern text compares `$.eventName` with (quoted or not). */
export function eventNamesIn(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\.eventName\s*=\s*"?([A-Za-z0-9]+)"?/g)) names.add(m[1]);
  return [...names];
}

/**
 * Probe events for one control: the curated ones plus, for event-list
 * controls, one event per event name that any of `texts` mentions (from the
 * control's service) and one from another service.
 */
export function controlProbes(controlKey: string, texts: readonly string[]): ProbeEvent[] {
  const probes: ProbeEvent[] = [...(CURATED[controlKey] ?? [])];
  const source = CisControl.fromKey(controlKey).eventSource;
  if (source) {
    const names = new Set<string>();
    for (const t of texts) for (const n of eventNamesIn(t)) names.add(n);
    for (const name of [...names].sort()) {
      probes.push({ description: `${article(name)} ${name} event from ${source}`, event: cloudTrailEvent(name, source), group: name });
      probes.push({ description: `${article(name)} ${name} event from another service (eventSource ${OTHER_SOURCE})`, event: cloudTrailEvent(name, OTHER_SOURCE), group: name });
    }
  }
  return probes;
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}
