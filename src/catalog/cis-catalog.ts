import { CatalogControlEntry, CatalogVersionEntry } from './catalog-data-types';
import { CATALOG_DATA } from './catalog-data.generated';
import { CONTROL_METADATA } from './control-metadata';

/**
 * A released version of the CIS AWS Foundations Benchmark.
 *
 * @example
 * CisBenchmarkVersion.V5_0_0.controls(); // the 15 metric-filter controls of CIS v5.0.0
 */
export class CisBenchmarkVersion {
  /** CIS AWS Foundations Benchmark v1.2.0 (monitoring section 3.1-3.14). */
  public static readonly V1_2_0 = new CisBenchmarkVersion('1.2.0');
  /** CIS AWS Foundations Benchmark v1.3.0 (monitoring section 4.1-4.15). */
  public static readonly V1_3_0 = new CisBenchmarkVersion('1.3.0');
  /** CIS AWS Foundations Benchmark v1.4.0. */
  public static readonly V1_4_0 = new CisBenchmarkVersion('1.4.0');
  /** CIS AWS Foundations Benchmark v1.5.0 (adds 4.16 Security Hub enabled). */
  public static readonly V1_5_0 = new CisBenchmarkVersion('1.5.0');
  /** CIS AWS Foundations Benchmark v2.0.0. */
  public static readonly V2_0_0 = new CisBenchmarkVersion('2.0.0');
  /** CIS AWS Foundations Benchmark v3.0.0. */
  public static readonly V3_0_0 = new CisBenchmarkVersion('3.0.0');
  /** CIS AWS Foundations Benchmark v4.0.0. */
  public static readonly V4_0_0 = new CisBenchmarkVersion('4.0.0');
  /** CIS AWS Foundations Benchmark v5.0.0. */
  public static readonly V5_0_0 = new CisBenchmarkVersion('5.0.0');
  /** CIS AWS Foundations Benchmark v6.0.0 (monitoring section renumbered 5.1-5.16). */
  public static readonly V6_0_0 = new CisBenchmarkVersion('6.0.0');
  /** CIS AWS Foundations Benchmark v7.0.0. */
  public static readonly V7_0_0 = new CisBenchmarkVersion('7.0.0');

  /** The newest version in the catalog; the construct's default. */
  public static readonly LATEST = CisBenchmarkVersion.V7_0_0;

  /** Every version in the catalog, oldest first. */
  public static all(): CisBenchmarkVersion[] {
    return [
      CisBenchmarkVersion.V1_2_0, CisBenchmarkVersion.V1_3_0, CisBenchmarkVersion.V1_4_0, CisBenchmarkVersion.V1_5_0,
      CisBenchmarkVersion.V2_0_0, CisBenchmarkVersion.V3_0_0, CisBenchmarkVersion.V4_0_0, CisBenchmarkVersion.V5_0_0,
      CisBenchmarkVersion.V6_0_0, CisBenchmarkVersion.V7_0_0,
    ];
  }

  /**
   * Looks a version up by its number, for example `"5.0.0"` (a leading `v` is accepted).
   * Throws, listing the known versions, when the number is not in the catalog.
   */
  public static of(version: string): CisBenchmarkVersion {
    const wanted = version.trim().replace(/^v/i, '');
    const found = CisBenchmarkVersion.all().find(v => v.version === wanted);
    if (!found) {
      throw new Error(`Unknown CIS AWS Foundations Benchmark version "${version}". Known versions: ${CisBenchmarkVersion.all().map(v => v.version).join(', ')}.`);
    }
    return found;
  }

  /** The version number, for example `"5.0.0"`. */
  public readonly version: string;

  private constructor(version: string) {
    this.version = version;
  }

  /**
   * The controls of this version that are implemented as a metric filter and
   * alarm (14 in v1.2.0, 15 from v1.3.0), in benchmark order.
   */
  public controls(): CisControl[] {
    return CisControl.all().filter(c => c.isMetricFilter && c.isIn(this));
  }

  /** Every monitoring-section control of this version, including ones that are not metric filters. */
  public allControls(): CisControl[] {
    return CisControl.all().filter(c => c.isIn(this));
  }

  public toString(): string {
    return `CIS v${this.version}`;
  }
}

/**
 * One control of the monitoring section, identified by a stable key that does
 * not change between benchmark versions (its CIS number does: 3.3, 4.3, 5.3).
 */
export class CisControl {
  /** Unauthorized API calls (CIS 3.1 / 4.1 / 5.1, Security Hub CloudWatch.2). */
  public static readonly UNAUTHORIZED_API_CALLS = new CisControl('unauthorized-api-calls');
  /** Management Console sign-in without MFA (3.2 / 4.2 / 5.2, CloudWatch.3). */
  public static readonly CONSOLE_SIGNIN_WITHOUT_MFA = new CisControl('console-signin-without-mfa');
  /** Usage of the root user (3.3 / 4.3 / 5.3, CloudWatch.1). */
  public static readonly ROOT_ACCOUNT_USAGE = new CisControl('root-account-usage');
  /** IAM policy changes (3.4 / 4.4 / 5.4, CloudWatch.4). */
  public static readonly IAM_POLICY_CHANGES = new CisControl('iam-policy-changes');
  /** CloudTrail configuration changes (3.5 / 4.5 / 5.5, CloudWatch.5). */
  public static readonly CLOUDTRAIL_CONFIG_CHANGES = new CisControl('cloudtrail-config-changes');
  /** Management Console authentication failures (3.6 / 4.6 / 5.6, CloudWatch.6). */
  public static readonly CONSOLE_AUTH_FAILURES = new CisControl('console-auth-failures');
  /** Disabling or scheduled deletion of customer managed keys (3.7 / 4.7 / 5.7, CloudWatch.7). */
  public static readonly CMK_DISABLE_OR_DELETION = new CisControl('cmk-disable-or-deletion');
  /** S3 bucket policy changes (3.8 / 4.8 / 5.8, CloudWatch.8). */
  public static readonly S3_BUCKET_POLICY_CHANGES = new CisControl('s3-bucket-policy-changes');
  /** AWS Config configuration changes (3.9 / 4.9 / 5.9, CloudWatch.9). */
  public static readonly AWS_CONFIG_CHANGES = new CisControl('aws-config-changes');
  /** Security group changes (3.10 / 4.10 / 5.10, CloudWatch.10). */
  public static readonly SECURITY_GROUP_CHANGES = new CisControl('security-group-changes');
  /** Network ACL changes (3.11 / 4.11 / 5.11, CloudWatch.11). */
  public static readonly NACL_CHANGES = new CisControl('nacl-changes');
  /** Network gateway changes (3.12 / 4.12 / 5.12, CloudWatch.12). */
  public static readonly NETWORK_GATEWAY_CHANGES = new CisControl('network-gateway-changes');
  /** Route table changes (3.13 / 4.13 / 5.13, CloudWatch.13). */
  public static readonly ROUTE_TABLE_CHANGES = new CisControl('route-table-changes');
  /** VPC changes (3.14 / 4.14 / 5.14, CloudWatch.14). */
  public static readonly VPC_CHANGES = new CisControl('vpc-changes');
  /** AWS Organizations changes (4.15 / 5.15; from v1.3.0; no Security Hub control). */
  public static readonly ORGANIZATIONS_CHANGES = new CisControl('organizations-changes');
  /**
   * Security Hub is enabled (4.16 / 5.16; from v1.5.0). Not a metric filter:
   * the construct does not deploy it; it is listed so the catalog is complete.
   */
  public static readonly SECURITY_HUB_ENABLED = new CisControl('security-hub-enabled');

  /** Every control in the catalog, in benchmark order. */
  public static all(): CisControl[] {
    return [
      CisControl.UNAUTHORIZED_API_CALLS, CisControl.CONSOLE_SIGNIN_WITHOUT_MFA, CisControl.ROOT_ACCOUNT_USAGE,
      CisControl.IAM_POLICY_CHANGES, CisControl.CLOUDTRAIL_CONFIG_CHANGES, CisControl.CONSOLE_AUTH_FAILURES,
      CisControl.CMK_DISABLE_OR_DELETION, CisControl.S3_BUCKET_POLICY_CHANGES, CisControl.AWS_CONFIG_CHANGES,
      CisControl.SECURITY_GROUP_CHANGES, CisControl.NACL_CHANGES, CisControl.NETWORK_GATEWAY_CHANGES,
      CisControl.ROUTE_TABLE_CHANGES, CisControl.VPC_CHANGES, CisControl.ORGANIZATIONS_CHANGES,
      CisControl.SECURITY_HUB_ENABLED,
    ];
  }

  /** Looks a control up by its stable key, for example `"root-account-usage"`. */
  public static fromKey(key: string): CisControl {
    const found = CisControl.all().find(c => c.key === key);
    if (!found) {
      throw new Error(`Unknown CIS control key "${key}". Known keys: ${CisControl.all().map(c => c.key).join(', ')}.`);
    }
    return found;
  }

  /** Stable, version-independent key, for example `"root-account-usage"`. */
  public readonly key: string;
  /** Whether the control is implemented as a metric filter and alarm. */
  public readonly isMetricFilter: boolean;
  /**
   * Name of the CloudWatch metric this control publishes (unique per control, same in every version).
   */
  public readonly metricName: string;
  /**
   * The Security Hub control id (`CloudWatch.1`-`CloudWatch.14`).
   * @default - undefined for controls Security Hub does not evaluate
   */
  public readonly securityHubControlId?: string;
  /**
   * Security Hub's documented pattern for this control, byte-exact.
   * @default - undefined for controls Security Hub does not evaluate
   */
  public readonly securityHubPattern?: string;
  /**
   * The event names the control watches (derived from the newest CIS text;
   * empty where the pattern is not a list of event names).
   */
  public readonly eventNames: string[];
  /**
   * The CloudTrail `eventSource` of the service whose event names the control
   * watches, for example `iam.amazonaws.com`.
   * @default - undefined for controls that are not a list of event names
   */
  public readonly eventSource?: string;

  private constructor(key: string) {
    const entry = CATALOG_DATA.controls.find(c => c.key === key);
    const meta = CONTROL_METADATA[key];
    if (!entry || !meta) {
      throw new Error(`Catalog data has no control "${key}"`);
    }
    this.key = key;
    this.isMetricFilter = entry.isMetricFilter;
    this.metricName = meta.metricName;
    this.securityHubControlId = entry.securityHub?.controlId;
    this.securityHubPattern = entry.securityHub?.pattern;
    this.eventNames = [...entry.eventNames];
    this.eventSource = meta.eventSource;
  }

  /** Whether this control exists in the given benchmark version. */
  public isIn(version: CisBenchmarkVersion): boolean {
    return !!this.entry().versions[version.version];
  }

  /** The versions that contain this control, oldest first. */
  public versions(): CisBenchmarkVersion[] {
    return CisBenchmarkVersion.all().filter(v => this.isIn(v));
  }

  /**
   * What the benchmark says about this control in one version.
   * Throws when the control is not part of that version.
   */
  public definitionIn(version: CisBenchmarkVersion): CisControlDefinition {
    const v = this.entry().versions[version.version];
    if (!v) {
      throw new Error(`Control "${this.key}" is not part of ${version} (it exists in ${this.versions().map(x => x.version).join(', ')}). Remove it from the selection or choose another benchmark version.`);
    }
    return CisControlDefinition._fromCatalog(this, version, v);
  }

  public toString(): string {
    return this.key;
  }

  private entry(): CatalogControlEntry {
    return CATALOG_DATA.controls.find(c => c.key === this.key)!;
  }
}

/**
 * A control as one benchmark version states it: number, title, level and the
 * byte-exact filter pattern text.
 */
export class CisControlDefinition {
  /** @internal */
  public static _fromCatalog(control: CisControl, version: CisBenchmarkVersion, entry: CatalogVersionEntry): CisControlDefinition {
    return new CisControlDefinition(control, version, entry);
  }

  /** The control. */
  public readonly control: CisControl;
  /** The benchmark version. */
  public readonly benchmarkVersion: CisBenchmarkVersion;
  /** The recommendation number in this version, for example `"4.3"`. */
  public readonly recommendationId: string;
  /** The recommendation title in this version. */
  public readonly title: string;
  /** CIS profile level (1 or 2). */
  public readonly profileLevel: number;
  /** Assessment status: `Scored` (v1.2.0), `Automated` or `Manual`. */
  public readonly assessmentStatus: string;
  /**
   * The CIS remediation filter pattern, byte-exact as transcribed.
   * @default - undefined for controls that are not metric filters
   */
  public readonly cisPattern?: string;
  /**
   * The pattern the construct deploys for this version: the CIS text, except
   * where that text is known to be defective (see `patternDefect`).
   * @default - undefined for controls that are not metric filters
   */
  public readonly deployedPattern?: string;
  /**
   * Why the CIS text is not deployed verbatim.
   * @default - undefined when the CIS text is deployed as is
   */
  public readonly patternDefect?: string;
  /**
   * The CIS SSO variant (console sign-in without MFA, v1.4.0 on): it adds
   * `userIdentity.type = "IAMUser"` and `responseElements.ConsoleLogin = "Success"`.
   * @default - undefined where the version offers no variant
   */
  public readonly ssoVariantPattern?: string;
  /** Other transcriptions of the same recommendation (alternate remediation texts, audit texts). */
  public readonly otherTranscriptions: string[];

  private constructor(control: CisControl, version: CisBenchmarkVersion, entry: CatalogVersionEntry) {
    this.control = control;
    this.benchmarkVersion = version;
    this.recommendationId = entry.recommendationId;
    this.title = entry.title;
    this.profileLevel = entry.profileLevel;
    this.assessmentStatus = entry.assessmentStatus;
    this.cisPattern = entry.remediation[0];
    const defect = CONTROL_METADATA[control.key].defect;
    const defective = defect !== undefined && defect.versions.includes(version.version);
    this.deployedPattern = defective ? defect.replacement : this.cisPattern;
    this.patternDefect = defective ? defect.reason : undefined;
    this.ssoVariantPattern = entry.remediationSsoVariant[0];
    this.otherTranscriptions = [...entry.remediation.slice(1), ...entry.remediationSsoVariant.slice(1), ...entry.audit];
  }
}
