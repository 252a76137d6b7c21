import { Duration } from 'aws-cdk-lib';
import { CisSeverity } from '../severity';
import { RESPONSE_RULES, securityGroupOpenToWorldPattern } from './security-group-pattern';

interface DetectionSpec {
  readonly key: string;
  readonly title: string;
  readonly description: string;
  readonly filterPattern: string;
  readonly metricName: string;
  readonly defaultPeriod: Duration;
  readonly defaultThreshold: number;
  readonly severity: CisSeverity;
  readonly hasEventRule: boolean;
  readonly limitations: string;
}

/**
 * A detection beyond the CIS monitoring section (opt-in, see
 * `CisExtendedDetections`): persistence, exposure and credential-access
 * signals taken from CloudTrail, each with a metric filter pattern, a metric
 * name, default alarm settings and a severity hint. The ones that make sense
 * per event also get an EventBridge rule.
 *
 * @example
 * new CisExtendedDetections(this, 'Extended', {
 *   logGroup, topic,
 *   detections: [ExtendedDetection.ACCESS_KEY_CREATED, ExtendedDetection.SECURITY_GROUP_OPEN_TO_WORLD],
 * });
 */
export class ExtendedDetection {
  /**
   * An IAM access key was created (persistence: a long-lived credential for
   * an existing or new user). Successful `iam:CreateAccessKey` calls.
   */
  public static readonly ACCESS_KEY_CREATED = new ExtendedDetection({
    key: 'access-key-created',
    title: 'IAM access key created',
    description: 'A new long-lived access key is a common persistence step after a compromise.',
    filterPattern: '{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateAccessKey") && ($.errorCode NOT EXISTS) }',
    metricName: 'IAMAccessKeyCreated',
    defaultPeriod: Duration.minutes(5),
    defaultThreshold: 1,
    severity: CisSeverity.HIGH,
    hasEventRule: true,
    limitations: 'Counts every new key, including planned rotations; failed attempts are left to the unauthorized-API-calls control.',
  });

  /**
   * A console password was given to an IAM user (persistence: console access
   * for a user that may have had none). Successful `iam:CreateLoginProfile` calls.
   */
  public static readonly LOGIN_PROFILE_CREATED = new ExtendedDetection({
    key: 'login-profile-created',
    title: 'IAM console password (login profile) created',
    description: 'Giving a user a console password opens a new way in; attackers use it to persist.',
    filterPattern: '{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateLoginProfile") && ($.errorCode NOT EXISTS) }',
    metricName: 'IAMLoginProfileCreated',
    defaultPeriod: Duration.minutes(5),
    defaultThreshold: 1,
    severity: CisSeverity.HIGH,
    hasEventRule: true,
    limitations: 'UpdateLoginProfile (resetting an existing password) is not included.',
  });

  /**
   * S3 Block Public Access settings were changed or removed, on a bucket
   * (`PutBucketPublicAccessBlock`, `DeleteBucketPublicAccessBlock`, the
   * CloudTrail names of s3:PutPublicAccessBlock/DeletePublicAccessBlock) or
   * account-wide through S3 Control (`PutAccountPublicAccessBlock`,
   * `DeleteAccountPublicAccessBlock`).
   */
  public static readonly PUBLIC_ACCESS_BLOCK_CHANGED = new ExtendedDetection({
    key: 'public-access-block-changed',
    title: 'S3 Block Public Access changed',
    description: 'Turning Block Public Access off is the step before making a bucket or its objects public.',
    filterPattern: '{ (($.eventName = "PutBucketPublicAccessBlock") || ($.eventName = "DeleteBucketPublicAccessBlock") || ($.eventName = "PutAccountPublicAccessBlock") || ($.eventName = "DeleteAccountPublicAccessBlock")) && ($.errorCode NOT EXISTS) }',
    metricName: 'S3PublicAccessBlockChanged',
    defaultPeriod: Duration.minutes(5),
    defaultThreshold: 1,
    severity: CisSeverity.HIGH,
    hasEventRule: true,
    limitations: 'Any change counts, also one that turns protections on; the event source is not pinned, so S3 Control calls are matched whichever endpoint records them.',
  });

  /**
   * A security group rule was opened to every address: successful
   * `AuthorizeSecurityGroupIngress` allowing `0.0.0.0/0` or `::/0` (any
   * CIDR with prefix length 0).
   */
  public static readonly SECURITY_GROUP_OPEN_TO_WORLD = new ExtendedDetection({
    key: 'security-group-open-to-world',
    title: 'Security group ingress opened to 0.0.0.0/0 or ::/0',
    description: 'An ingress rule open to the internet exposes whatever the group protects.',
    filterPattern: securityGroupOpenToWorldPattern(),
    metricName: 'SecurityGroupOpenToWorld',
    defaultPeriod: Duration.minutes(5),
    defaultThreshold: 1,
    severity: CisSeverity.HIGH,
    hasEventRule: true,
    limitations: `Metric filters cannot search arrays, so the filter checks the first ${RESPONSE_RULES} rules CloudTrail reports as created and the first entry of the request; a call that opens the world only in a later rule is missed by the alarm (the EventBridge rule checks every rule). ModifySecurityGroupRules is not covered.`,
  });

  /**
   * A burst of denied `sts:AssumeRole` calls (errorCode `AccessDenied`):
   * someone probing which roles they can assume.
   */
  public static readonly ASSUME_ROLE_FAILURE_BURST = new ExtendedDetection({
    key: 'assume-role-failure-burst',
    title: 'Burst of denied AssumeRole calls',
    description: 'Repeated denied role assumptions point at credential misuse or role enumeration.',
    filterPattern: '{ ($.eventSource = "sts.amazonaws.com") && ($.eventName = "AssumeRole") && ($.errorCode = "AccessDenied") }',
    metricName: 'AssumeRoleDeniedBurst',
    defaultPeriod: Duration.minutes(5),
    defaultThreshold: 5,
    severity: CisSeverity.MEDIUM,
    hasEventRule: false,
    limitations: 'A threshold over all principals: one noisy misconfigured job can trip it, and a slow probe below the threshold is missed. No EventBridge rule: a per-event notification would defeat the threshold.',
  });

  /**
   * A spike of Secrets Manager reads (`GetSecretValue`, `BatchGetSecretValue`)
   * above a threshold.
   */
  public static readonly SECRET_VALUE_SPIKE = new ExtendedDetection({
    key: 'secret-value-spike',
    title: 'Spike of Secrets Manager secret reads',
    description: 'Bulk secret retrieval is a typical credential-access step.',
    filterPattern: '{ ($.eventSource = "secretsmanager.amazonaws.com") && (($.eventName = "GetSecretValue") || ($.eventName = "BatchGetSecretValue")) }',
    metricName: 'SecretValueReadSpike',
    defaultPeriod: Duration.minutes(5),
    defaultThreshold: 20,
    severity: CisSeverity.MEDIUM,
    hasEventRule: false,
    limitations: 'The intent, "reads by unusual principals", cannot be expressed in a metric filter (no per-principal baseline); this is a plain count of reads by everyone, so set the threshold above your normal rate (see the metric) or use the Logs Insights query per principal. BatchGetSecretValue counts once however many secrets it returns.',
  });

  /** Every detection, in a fixed order. */
  public static all(): ExtendedDetection[] {
    return [
      ExtendedDetection.ACCESS_KEY_CREATED, ExtendedDetection.LOGIN_PROFILE_CREATED, ExtendedDetection.PUBLIC_ACCESS_BLOCK_CHANGED,
      ExtendedDetection.SECURITY_GROUP_OPEN_TO_WORLD, ExtendedDetection.ASSUME_ROLE_FAILURE_BURST, ExtendedDetection.SECRET_VALUE_SPIKE,
    ];
  }

  /** Looks a detection up by its key, for example `"access-key-created"`. */
  public static fromKey(key: string): ExtendedDetection {
    const found = ExtendedDetection.all().find(d => d.key === key);
    if (!found) {
      throw new Error(`Unknown extended detection "${key}". Known keys: ${ExtendedDetection.all().map(d => d.key).join(', ')}.`);
    }
    return found;
  }

  /** Stable key, for example `"access-key-created"`; construct IDs and alarm names derive from it. */
  public readonly key: string;
  /** Short title. */
  public readonly title: string;
  /** Why it matters, one sentence. */
  public readonly description: string;
  /** The CloudWatch Logs filter pattern, deployed verbatim. */
  public readonly filterPattern: string;
  /** The metric the filter publishes (unique among detections and CIS controls). */
  public readonly metricName: string;
  /** Default alarm period. */
  public readonly defaultPeriod: Duration;
  /** Default alarm threshold: matching events per period. */
  public readonly defaultThreshold: number;
  /** How urgent an alarm is, as a hint for routing. */
  public readonly severity: CisSeverity;
  /** Whether `CisExtendedDetections` also creates an EventBridge rule (per-event notification) for it. */
  public readonly hasEventRule: boolean;
  /** What the detection cannot see, or sees too much of. */
  public readonly limitations: string;

  private constructor(spec: DetectionSpec) {
    this.key = spec.key;
    this.title = spec.title;
    this.description = spec.description;
    this.filterPattern = spec.filterPattern;
    this.metricName = spec.metricName;
    this.defaultPeriod = spec.defaultPeriod;
    this.defaultThreshold = spec.defaultThreshold;
    this.severity = spec.severity;
    this.hasEventRule = spec.hasEventRule;
    this.limitations = spec.limitations;
  }

  public toString(): string {
    return this.key;
  }
}
