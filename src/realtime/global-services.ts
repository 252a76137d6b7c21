/**
 * Where the CloudTrail events of each control reach EventBridge (internal).
 *
 * CloudTrail puts an event on the default bus of the region where the call was
 * recorded. Calls to global services are recorded in us-east-1: IAM, AWS
 * Organizations, the STS global endpoint (sts.amazonaws.com) and sign-ins
 * through the global console endpoint. A rule for such a control catches
 * nothing (or only part) when it is deployed in another region alone.
 */

/** Where a control's events arrive. */
export enum EventRegionality {
  /** Every event of the control is recorded in us-east-1 only (IAM, Organizations). */
  GLOBAL = 'GLOBAL',
  /** Some events are global (us-east-1), the rest regional. */
  MIXED = 'MIXED',
  /** Events arrive in the region of the call. */
  REGIONAL = 'REGIONAL',
}

/** The region global-service events are delivered to. */
export const GLOBAL_EVENTS_REGION = 'us-east-1';

/** Annotation id of the warning about a missing us-east-1 counterpart. */
export const GLOBAL_EVENTS_WARNING_ID = 'cdk-cis-monitoring:globalEventsRegion';

interface Regionality {
  readonly regionality: EventRegionality;
  readonly why: string;
}

const CONTROLS: Readonly<Record<string, Regionality>> = {
  'unauthorized-api-calls': { regionality: EventRegionality.MIXED, why: 'denied IAM, Organizations and global STS calls are recorded in us-east-1' },
  'console-signin-without-mfa': { regionality: EventRegionality.MIXED, why: 'sign-ins through the global console endpoint are recorded in us-east-1' },
  'root-account-usage': { regionality: EventRegionality.MIXED, why: 'root sign-ins and root IAM calls are recorded in us-east-1' },
  'iam-policy-changes': { regionality: EventRegionality.GLOBAL, why: 'IAM is a global service recorded in us-east-1' },
  'console-auth-failures': { regionality: EventRegionality.MIXED, why: 'sign-ins through the global console endpoint are recorded in us-east-1' },
  'organizations-changes': { regionality: EventRegionality.GLOBAL, why: 'AWS Organizations is recorded in us-east-1' },
};

const DETECTIONS: Readonly<Record<string, Regionality>> = {
  'access-key-created': { regionality: EventRegionality.GLOBAL, why: 'IAM is a global service recorded in us-east-1' },
  'login-profile-created': { regionality: EventRegionality.GLOBAL, why: 'IAM is a global service recorded in us-east-1' },
  'assume-role-failure-burst': { regionality: EventRegionality.MIXED, why: 'calls to the global STS endpoint are recorded in us-east-1' },
};

/** Where a CIS control's events arrive (REGIONAL for controls not listed). */
export function controlRegionality(controlKey: string): Regionality {
  return CONTROLS[controlKey] ?? { regionality: EventRegionality.REGIONAL, why: 'events arrive in the region of the call' };
}

/** Where an extended detection's events arrive (REGIONAL for detections not listed). */
export function detectionRegionality(detectionKey: string): Regionality {
  return DETECTIONS[detectionKey] ?? { regionality: EventRegionality.REGIONAL, why: 'events arrive in the region of the call' };
}
