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

/** Where the CloudTrail events of a control reach EventBridge. */
export enum EventRegionality {
  /** Every event is recorded in us-east-1 only (IAM, Organizations). */
  GLOBAL = 'GLOBAL',
  /** Some events are global (us-east-1), the rest regional. */
  MIXED = 'MIXED',
  /** Events arrive in the region of the call. */
  REGIONAL = 'REGIONAL',
}

/**
 * The region CloudTrail records calls to global services in: IAM, AWS
 * Organizations, the STS global endpoint and sign-ins through the global
 * console endpoint. A real-time rule elsewhere never sees those events.
 */
export const GLOBAL_EVENTS_REGION = 'us-east-1';

export interface Regionality {
  readonly regionality: EventRegionality;
  readonly why: string;
}

export const REGIONAL: Regionality = { regionality: EventRegionality.REGIONAL, why: 'events arrive in the region of the call' };

/** A text no source prints, written so one filter passes a scanner no catalog text passes (or two at once). */
export interface ScannerRepair {
  readonly source: string;
  readonly text: string;
}

export interface ControlMetadata {
  /** CloudWatch metric name (unique per control, stable across versions). */
  readonly metricName: string;
  /** CloudTrail eventSource of the service whose event names an event-list control watches. */
  readonly eventSource?: string;
  readonly defect?: PatternDefect;
  /** Where its events reach EventBridge. @default REGIONAL */
  readonly regionality?: Regionality;
  /**
   * The filter pattern also counts read-only calls (`Describe*`, `Get*`,
   * `List*`), which EventBridge delivers only to rules in the
   * `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` state.
   */
  readonly watchesReadOnlyCalls?: boolean;
  /** Minimal repairs the scanner planner may deploy. */
  readonly scannerRepairs?: readonly ScannerRepair[];
}

const ORGANIZATIONS_CIS_EVENT_NAMES = ['AcceptHandshake', 'AttachPolicy', 'CreateAccount', 'CreateOrganizationalUnit', 'CreatePolicy', 'DeclineHandshake',
  'DeleteOrganization', 'DeleteOrganizationalUnit', 'DeletePolicy', 'DetachPolicy', 'DisablePolicyType', 'EnablePolicyType',
  'InviteAccountToOrganization', 'LeaveOrganization', 'MoveAccount', 'RemoveAccountFromOrganization', 'UpdatePolicy', 'UpdateOrganizationalUnit'];

export const CONTROL_METADATA: Record<string, ControlMetadata> = {
  'unauthorized-api-calls': {
    metricName: 'UnauthorizedAPICalls',
    defect: {
      versions: ['1.3.0', '1.4.0', '1.5.0'],
      replacement: UNAUTHORIZED_API_INTENDED,
      reason:
        'The CIS text ORs the two exclusions (`|| $.sourceIPAddress != ... || $.eventName != "HeadBucket"`), so it matches almost every CloudTrail event and the alarm would fire constantly. The intended semantics, (A || B) && C && D, is deployed instead; the verbatim text stays available as cisPattern.',
    },
    regionality: { regionality: EventRegionality.MIXED, why: 'denied IAM, Organizations and global STS calls are recorded in us-east-1' },
    watchesReadOnlyCalls: true,
  },
  'console-signin-without-mfa': {
    metricName: 'ConsoleSigninWithoutMFA',
    regionality: { regionality: EventRegionality.MIXED, why: 'sign-ins through the global console endpoint are recorded in us-east-1' },
  },
  'root-account-usage': {
    metricName: 'RootAccountUsage',
    regionality: { regionality: EventRegionality.MIXED, why: 'root sign-ins and root IAM calls are recorded in us-east-1' },
    watchesReadOnlyCalls: true,
  },
  'iam-policy-changes': {
    metricName: 'IAMPolicyChanges',
    eventSource: 'iam.amazonaws.com',
    regionality: { regionality: EventRegionality.GLOBAL, why: 'IAM is a global service recorded in us-east-1' },
  },
  'cloudtrail-config-changes': { metricName: 'CloudTrailConfigChanges', eventSource: 'cloudtrail.amazonaws.com' },
  'console-auth-failures': {
    metricName: 'ConsoleAuthenticationFailures',
    regionality: { regionality: EventRegionality.MIXED, why: 'sign-ins through the global console endpoint are recorded in us-east-1' },
  },
  'cmk-disable-or-deletion': { metricName: 'CMKDisableOrScheduledDeletion', eventSource: 'kms.amazonaws.com' },
  's3-bucket-policy-changes': { metricName: 'S3BucketPolicyChanges', eventSource: 's3.amazonaws.com' },
  'aws-config-changes': { metricName: 'AWSConfigChanges', eventSource: 'config.amazonaws.com' },
  'security-group-changes': { metricName: 'SecurityGroupChanges', eventSource: 'ec2.amazonaws.com' },
  'nacl-changes': { metricName: 'NACLChanges', eventSource: 'ec2.amazonaws.com' },
  'network-gateway-changes': { metricName: 'NetworkGatewayChanges', eventSource: 'ec2.amazonaws.com' },
  'route-table-changes': {
    metricName: 'RouteTableChanges',
    eventSource: 'ec2.amazonaws.com',
    // Prowler requires $.eventSource = ec2.amazonaws.com; Steampipe needs the
    // seven names unquoted in this order. The clause binds to every name here,
    // unlike the CIS 3.0.0+ audit text, where it binds to CreateRoute only.
    scannerRepairs: [{
      source: 'repaired route-table text scoped to eventSource ec2.amazonaws.com',
      text: '{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }',
    }],
  },
  'vpc-changes': { metricName: 'VPCChanges', eventSource: 'ec2.amazonaws.com' },
  'organizations-changes': {
    metricName: 'OrganizationsChanges',
    eventSource: 'organizations.amazonaws.com',
    regionality: { regionality: EventRegionality.GLOBAL, why: 'AWS Organizations is recorded in us-east-1' },
    // Prowler requires 21 names (CIS's 18 plus CancelHandshake,
    // CreateOrganization, EnableAllFeatures); Steampipe requires CIS's 18 in
    // CIS order, quotes optional. The three extra names go last.
    scannerRepairs: [{
      source: 'repaired Organizations text with CancelHandshake, CreateOrganization and EnableAllFeatures',
      text: `{ ($.eventSource = organizations.amazonaws.com) && (${[...ORGANIZATIONS_CIS_EVENT_NAMES, 'CancelHandshake', 'CreateOrganization', 'EnableAllFeatures'].map(n => `($.eventName = "${n}")`).join(' || ')}) }`,
    }],
  },
  'security-hub-enabled': { metricName: 'SecurityHubEnabled' },
};

/** Severity names (the values of `CisSeverity` in ../severity, kept as strings here to avoid an import cycle). */
export type SeverityName = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL';

/**
 * What an on-call engineer needs when a control's alarm fires: the default
 * severity, why the event matters (one sentence) and the first steps (2-3 short
 * imperatives). Version-independent, like everything in this file. Used by
 * ../severity and ../alarm-description; the justification of each severity is
 * in docs/alert-quality.md.
 */
export interface ControlAlertMetadata {
  readonly defaultSeverity: SeverityName;
  readonly whyItMatters: string;
  readonly firstSteps: readonly string[];
}

export const CONTROL_ALERT_METADATA: Record<string, ControlAlertMetadata> = {
  'unauthorized-api-calls': {
    defaultSeverity: 'LOW',
    whyItMatters: 'Bursts of denied calls are how stolen credentials probe for permissions, though a misconfigured application looks the same.',
    firstSteps: [
      'Group the denied calls by userIdentity.arn and eventName',
      'Check whether the caller is a known workload whose permissions changed',
      'Rotate the credentials if the caller or source IP is unknown',
    ],
  },
  'console-signin-without-mfa': {
    defaultSeverity: 'HIGH',
    whyItMatters: 'A console sign-in protected only by a password is one phished or reused password away from account takeover.',
    firstSteps: [
      'Confirm with the user that the sign-in was theirs',
      'Enforce MFA on the IAM user or move it to IAM Identity Center',
      'Reset the password and review its recent activity if unconfirmed',
    ],
  },
  'root-account-usage': {
    defaultSeverity: 'CRITICAL',
    whyItMatters: 'The root user has unrestricted access that IAM policies cannot limit, so any use outside a planned break-glass procedure may be a compromise.',
    firstSteps: [
      'Confirm whether a planned break-glass procedure is under way',
      'If not, reset the root password and MFA device and delete any root access keys',
      'Review every event by the root user in the last 24 hours',
    ],
  },
  'iam-policy-changes': {
    defaultSeverity: 'HIGH',
    whyItMatters: 'Changing IAM policies is the most direct path to privilege escalation and persistence after a credential leak.',
    firstSteps: [
      'Identify the changed policy and the principal who changed it',
      'Diff the policy version against the previous one for new admin or wildcard grants',
      'Revert the change and revoke the session if it was not a reviewed deployment',
    ],
  },
  'cloudtrail-config-changes': {
    defaultSeverity: 'HIGH',
    whyItMatters: 'Stopping, deleting or redirecting a trail blinds every other control here and is a classic first step of an intrusion.',
    firstSteps: [
      'Check that the trail is still logging (GetTrailStatus) and restart it if stopped',
      'Identify who changed the trail and whether it was a reviewed deployment',
      'Treat an unexplained change as an incident and preserve existing logs',
    ],
  },
  'console-auth-failures': {
    defaultSeverity: 'LOW',
    whyItMatters: 'Repeated failed console sign-ins can indicate password guessing against an IAM user, though single typos are common.',
    firstSteps: [
      'Count the failures per user name and source IP',
      'Contact the user if the failures come from an unfamiliar IP or country',
      'Enforce MFA and a strong password policy for the targeted user',
    ],
  },
  'cmk-disable-or-deletion': {
    defaultSeverity: 'HIGH',
    whyItMatters: 'Data encrypted under a disabled or deleted customer managed key becomes unreadable, which attackers use for destruction and ransom.',
    firstSteps: [
      'Identify the key and the data it protects',
      'Cancel the scheduled deletion (CancelKeyDeletion) or re-enable the key unless the change is planned',
      'Identify who made the call and revoke their session if unexplained',
    ],
  },
  's3-bucket-policy-changes': {
    defaultSeverity: 'MEDIUM',
    whyItMatters: 'A bucket policy, ACL or CORS change can expose data publicly or to another account.',
    firstSteps: [
      'Identify the bucket and read its new policy and ACL',
      'Check for Principal "*" or unknown account IDs and for disabled Block Public Access',
      'Revert the change if it was not a reviewed deployment',
    ],
  },
  'aws-config-changes': {
    defaultSeverity: 'MEDIUM',
    whyItMatters: 'Stopping the AWS Config recorder or delivery channel hides configuration drift from compliance tooling.',
    firstSteps: [
      'Check that the configuration recorder is running and restart it if stopped',
      'Identify who made the change and whether it was planned',
    ],
  },
  'security-group-changes': {
    defaultSeverity: 'MEDIUM',
    whyItMatters: 'A security group change can open a port to the internet or to an unexpected network.',
    firstSteps: [
      'Identify the security group and the rule that changed',
      'Look for 0.0.0.0/0 or ::/0 on administrative or database ports',
      'Revoke the rule if it was not a reviewed deployment',
    ],
  },
  'nacl-changes': {
    defaultSeverity: 'MEDIUM',
    whyItMatters: 'Network ACL changes alter the stateless boundary of whole subnets and can open or cut off traffic.',
    firstSteps: [
      'Identify the network ACL, its subnets and the changed entry',
      'Revert the entry if it was not a reviewed deployment',
    ],
  },
  'network-gateway-changes': {
    defaultSeverity: 'MEDIUM',
    whyItMatters: 'Attaching or creating gateways can give a private network a path to the internet or to another network.',
    firstSteps: [
      'Identify the gateway and the VPC it was attached to or detached from',
      'Confirm the change with the network owner and revert it if unplanned',
    ],
  },
  'route-table-changes': {
    defaultSeverity: 'LOW',
    whyItMatters: 'Route changes can redirect traffic through an unexpected gateway or instance, though most are routine infrastructure churn.',
    firstSteps: [
      'Identify the route table and the route that changed',
      'Check that new routes target known gateways, NAT devices or peering connections',
    ],
  },
  'vpc-changes': {
    defaultSeverity: 'MEDIUM',
    whyItMatters: 'VPC and peering changes can connect your network to an unknown account or remove isolation between environments.',
    firstSteps: [
      'Identify the VPC or peering connection that changed',
      'Check peering and ClassicLink changes for unknown accounts and revert if unplanned',
    ],
  },
  'organizations-changes': {
    defaultSeverity: 'HIGH',
    whyItMatters: 'AWS Organizations changes can remove service control policies, move accounts or let an account leave, weakening guardrails for every account.',
    firstSteps: [
      'Identify the action (policy, account, OU or handshake) and its target',
      'Confirm the change with the organization administrators',
      'Reattach removed SCPs and reverse account moves if unplanned',
    ],
  },
  'security-hub-enabled': {
    defaultSeverity: 'INFORMATIONAL',
    whyItMatters: 'Security Hub aggregates findings from the other controls; it is not a metric-filter control and has no alarm.',
    firstSteps: [
      'Enable Security Hub in every region you use',
      'Enable the CIS AWS Foundations Benchmark standard',
    ],
  },
};
