/**
 * Hand-written, version-independent facts about each control that the CIS
 * text does not carry: the metric name we publish, the severity we page
 * with, and where the verbatim CIS text must not be deployed.
 *
 * Keys are the stable keys of cis-controls.json. Nothing here may depend on
 * the benchmark version, because construct IDs, metric names and alarm names
 * derive from it and must survive a version change without replacement.
 */

/** Intended semantics of the 1.3.0-1.5.0 unauthorized-API text (see REFERENCE.md §2). */
export const UNAUTHORIZED_API_INTENDED =
  '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }';

export interface PatternDefect {
  /** Versions whose primary CIS text is defective. */
  readonly versions: string[];
  /** What we deploy instead. */
  readonly replacement: string;
  readonly reason: string;
}

export interface ControlMetadata {
  /** CloudWatch metric name (unique per control, stable across versions). */
  readonly metricName: string;
  readonly defect?: PatternDefect;
}

export const CONTROL_METADATA: Record<string, ControlMetadata> = {
  'unauthorized-api-calls': {
    metricName: 'UnauthorizedAPICalls',
    defect: {
      versions: ['1.3.0', '1.4.0', '1.5.0'],
      replacement: UNAUTHORIZED_API_INTENDED,
      reason:
        'The CIS text ORs the two exclusions (`|| $.sourceIPAddress != ... || $.eventName != "HeadBucket"`), so it matches almost every CloudTrail event and the alarm would fire constantly. The intended semantics, (A || B) && C && D, is deployed instead; the verbatim text stays available as cisPattern.',
    },
  },
  'console-signin-without-mfa': { metricName: 'ConsoleSigninWithoutMFA' },
  'root-account-usage': { metricName: 'RootAccountUsage' },
  'iam-policy-changes': { metricName: 'IAMPolicyChanges' },
  'cloudtrail-config-changes': { metricName: 'CloudTrailConfigChanges' },
  'console-auth-failures': { metricName: 'ConsoleAuthenticationFailures' },
  'cmk-disable-or-deletion': { metricName: 'CMKDisableOrScheduledDeletion' },
  's3-bucket-policy-changes': { metricName: 'S3BucketPolicyChanges' },
  'aws-config-changes': { metricName: 'AWSConfigChanges' },
  'security-group-changes': { metricName: 'SecurityGroupChanges' },
  'nacl-changes': { metricName: 'NACLChanges' },
  'network-gateway-changes': { metricName: 'NetworkGatewayChanges' },
  'route-table-changes': { metricName: 'RouteTableChanges' },
  'vpc-changes': { metricName: 'VPCChanges' },
  'organizations-changes': { metricName: 'OrganizationsChanges' },
  'security-hub-enabled': { metricName: 'SecurityHubEnabled' },
};
