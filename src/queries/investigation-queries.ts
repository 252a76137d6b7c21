import { Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { labelResource } from '../alarm-factory';
import { CisBenchmarkVersion, CisControl } from '../catalog';
import { asControl, asVersion, controlConstructId } from '../catalog/selection';
import { CONTROL_QUERY_FIELDS } from '../filter-pattern/translate/insights';
import { ControlPlan, ResourceRole } from '../plan/control-plan';
import { MAX_QUERY_FOLDER_LENGTH as MAX_FOLDER, MAX_QUERY_NAME_LENGTH as MAX_NAME } from '../quotas';
import { powerfulRoleFilter, s3ExposureFilter } from './investigation-filters';

/** Properties of `CisInvestigationQueries`. */
export interface CisInvestigationQueriesProps {
  /** The CloudTrail log group the queries run on. */
  readonly logGroup: logs.ILogGroup;

  /**
   * CIS AWS Foundations Benchmark version whose patterns, ids and titles are used.
   * @default CisBenchmarkVersion.LATEST
   */
  readonly benchmarkVersion?: CisBenchmarkVersion;

  /**
   * Controls to save a query for. Every one must be a metric-filter control of `benchmarkVersion`.
   * @default - every metric-filter control of `benchmarkVersion`
   */
  readonly controls?: CisControl[];

  /**
   * Folder of the saved queries in the Logs Insights console (`a/b` nests).
   * Letters, digits, spaces and `. _ - /`; no leading, trailing or double `/`; at most 150 characters.
   * @default - the construct's path, e.g. `MyStack/Queries`
   */
  readonly folderName?: string;

  /**
   * Role names the "powerful role assumptions" query looks for: each matches,
   * case-insensitively, anywhere in the name (path included) of the assumed
   * role, so `Admin` also finds `AWSReservedSSO_AdministratorAccess_1a2b` and
   * `team-admin`. Use IAM role-name characters (letters, digits, `+=,.@_-`).
   * @default ['OrganizationAccountAccessRole', 'AdministratorAccess', 'Admin']
   */
  readonly powerfulRoleNames?: string[];

  /**
   * Also save the three queries the CloudTrail monitoring guidance asks to keep
   * at hand: powerful role assumptions, any root usage, and S3 public exposure
   * (ACL, policy and public-access-block changes next to PutObject counts).
   * @default true
   */
  readonly includeInvestigationQueries?: boolean;

  /**
   * The log group receives an organization trail, so every query breaks its
   * results down by member account: the control queries show
   * `recipientAccountId` first, and the investigation queries count `by recipientAccountId, ...`.
   * @default false
   */
  readonly organizationTrail?: boolean;
}

/** Plans handed over by `CisMonitoring` (never set from outside the package). */
const PLANS = Symbol('cdk-cis-monitoring.plans');

const DEFAULT_POWERFUL_ROLES = ['OrganizationAccountAccessRole', 'AdministratorAccess', 'Admin'];
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const FOLDER = /^[A-Za-z0-9 ._-]+(\/[A-Za-z0-9 ._-]+)*$/;

/**
 * Saved CloudWatch Logs Insights queries (query definitions, free of charge)
 * on the CloudTrail log group: one per CIS control, listing the CloudTrail
 * events its metric filter counts (the filter pattern translated into an
 * Insights `filter`), plus three investigation queries: principals assuming
 * powerful roles (sorted by first appearance, so new ones come first), any
 * root usage, and S3 public exposure next to PutObject counts per bucket.
 *
 * Query names carry the CIS number and title of the chosen version, so they
 * change with the version; construct IDs derive from control keys only, so a
 * version change updates the queries in place.
 *
 * @example
 * new CisInvestigationQueries(this, 'Queries', { logGroup: trailLogGroup });
 */
export class CisInvestigationQueries extends Construct {
  /**
   * The queries of controls `CisMonitoring` has already planned, so both read one plan.
   * @internal
   */
  public static _fromPlans(scope: Construct, id: string, plans: ControlPlan[], props: CisInvestigationQueriesProps): CisInvestigationQueries {
    return new CisInvestigationQueries(scope, id, { ...props, [PLANS]: plans } as CisInvestigationQueriesProps);
  }

  /** The benchmark version in use. */
  public readonly benchmarkVersion: CisBenchmarkVersion;
  /** The controls that have a query, in benchmark order. */
  public readonly controls: CisControl[];
  /** The folder the queries are saved in. */
  public readonly folderName: string;
  /** Every query definition created: the controls' in benchmark order, then the investigation queries. */
  public readonly queryDefinitions: logs.QueryDefinition[];
  /**
   * Principals that assumed a powerful role, with first and last time seen.
   * @default - undefined when `includeInvestigationQueries` is false
   */
  public readonly powerfulRoleAssumptionsQuery?: logs.QueryDefinition;
  /**
   * Every call made as the root user.
   * @default - undefined when `includeInvestigationQueries` is false
   */
  public readonly rootUsageQuery?: logs.QueryDefinition;
  /**
   * S3 ACL, policy and public-access-block changes and PutObject counts per bucket.
   * @default - undefined when `includeInvestigationQueries` is false
   */
  public readonly s3PublicExposureQuery?: logs.QueryDefinition;

  private readonly byControl = new Map<string, logs.QueryDefinition>();

  constructor(scope: Construct, id: string, props: CisInvestigationQueriesProps) {
    super(scope, id);
    if (!props || typeof (props as { logGroup?: { logGroupName?: unknown } }).logGroup?.logGroupName !== 'string') {
      throw new Error('CisInvestigationQueries needs logGroup: an ILogGroup (the CloudTrail log group).');
    }
    const version = props.benchmarkVersion === undefined ? CisBenchmarkVersion.LATEST : asVersion(props.benchmarkVersion, 'benchmarkVersion');
    const noControls = Array.isArray(props.controls) && props.controls.length === 0;
    const plans = (props as { [PLANS]?: ControlPlan[] })[PLANS]
      ?? (noControls ? [] : ControlPlan.build({ benchmarkVersion: version, controls: props.controls, provides: 'query' }));
    this.benchmarkVersion = plans[0]?.version ?? version;
    this.controls = plans.map(p => p.control);
    this.folderName = props.folderName ?? this.node.path.replace(/[^A-Za-z0-9 ._/-]/g, '-').slice(0, MAX_FOLDER);
    validateFolderName(this.folderName);
    if (this.controls.length === 0 && props.includeInvestigationQueries === false) {
      throw new Error('Nothing to save: controls is empty and includeInvestigationQueries is false. Select at least one control or keep the investigation queries.');
    }
    const roleNames = props.powerfulRoleNames ?? DEFAULT_POWERFUL_ROLES;
    validateRoleNames(roleNames);

    const logGroups = [props.logGroup];
    if (props.organizationTrail !== undefined && typeof props.organizationTrail !== 'boolean') {
      throw new Error(`organizationTrail must be true or false, got ${JSON.stringify(props.organizationTrail)}.`);
    }
    const org = props.organizationTrail === true;
    // An organization trail's log group holds every member account: group by it.
    const by = (fields: string) => (org ? `recipientAccountId, ${fields}` : fields);
    const defs: logs.QueryDefinition[] = [];
    for (const plan of plans) {
      const control = plan.control;
      const d = plan.definition;
      const { expression } = plan.insightsFilter;
      // Construct IDs derive from the stable key only; the name follows the version.
      const q = new logs.QueryDefinition(this, controlConstructId(control.key), {
        queryDefinitionName: this.queryName(`CIS ${d.recommendationId} ${d.title}`),
        queryString: new logs.QueryString({
          fields: org ? ['recipientAccountId', ...CONTROL_QUERY_FIELDS] : [...CONTROL_QUERY_FIELDS],
          filterStatements: [expression],
          sort: '@timestamp desc',
          limit: 1000,
        }),
        logGroups,
      });
      labelResource(q, plan.label(ResourceRole.COMPLIANCE));
      this.byControl.set(control.key, q);
      defs.push(q);
    }

    if (props.includeInvestigationQueries ?? true) {
      this.powerfulRoleAssumptionsQuery = new logs.QueryDefinition(this, 'PowerfulRoleAssumptions', {
        queryDefinitionName: this.queryName('Investigation - principals assuming powerful roles'),
        queryString: queryString({
          filterStatements: [powerfulRoleFilter(roleNames)],
          stats: `count(*) as assumptions, earliest(@timestamp) as firstSeen, latest(@timestamp) as lastSeen by ${by('userIdentity.arn, requestParameters.roleArn')}`,
          sort: 'firstSeen desc',
          limit: 1000,
        }),
        logGroups,
      });
      this.rootUsageQuery = new logs.QueryDefinition(this, 'RootUsage', {
        queryDefinitionName: this.queryName('Investigation - any root user activity'),
        queryString: new logs.QueryString({
          fields: [...(org ? ['recipientAccountId'] : []), '@timestamp', 'eventSource', 'eventName', 'eventType', 'sourceIPAddress', 'userAgent', 'userIdentity.invokedBy', 'awsRegion', 'errorCode'],
          filterStatements: ['userIdentity.type = "Root"'],
          sort: '@timestamp desc',
          limit: 1000,
        }),
        logGroups,
      });
      this.s3PublicExposureQuery = new logs.QueryDefinition(this, 'S3PublicExposure', {
        queryDefinitionName: this.queryName('Investigation - S3 public exposure and uploads per bucket'),
        queryString: queryString({
          filterStatements: [s3ExposureFilter()],
          stats: `count(*) as events, earliest(@timestamp) as firstSeen, latest(@timestamp) as lastSeen by ${by('requestParameters.bucketName, eventName')}`,
          sort: 'requestParameters.bucketName asc',
          limit: 1000,
        }),
        logGroups,
      });
      defs.push(this.powerfulRoleAssumptionsQuery, this.rootUsageQuery, this.s3PublicExposureQuery);
    }
    this.queryDefinitions = defs;
  }

  /** The query definition of a control. */
  public queryFor(control: CisControl): logs.QueryDefinition {
    const q = this.byControl.get(asControl(control, 'control').key);
    if (!q) {
      throw new Error(`Control "${control.key}" has no query in ${this.node.path}; controls with queries: ${this.controls.map(c => c.key).join(', ')}.`);
    }
    return q;
  }

  private queryName(title: string): string {
    const name = `${this.folderName}/${title.replace(/\//g, '-')}`;
    return name.length <= MAX_NAME ? name : `${name.slice(0, MAX_NAME - 3)}...`;
  }
}

function validateFolderName(folder: string): void {
  if (Token.isUnresolved(folder)) {
    throw new Error('folderName must be a literal string, not a token: it is part of every query name.');
  }
  if (folder.length === 0 || folder.length > MAX_FOLDER || !FOLDER.test(folder)) {
    throw new Error(`folderName "${folder}" is invalid: use 1-${MAX_FOLDER} letters, digits, spaces or . _ - with "/" between folder levels (no leading, trailing or double "/"), for example "security/cis".`);
  }
}

function validateRoleNames(names: string[]): void {
  if (names.length === 0) {
    throw new Error('powerfulRoleNames is empty: list at least one role name (the default is OrganizationAccountAccessRole, AdministratorAccess, Admin).');
  }
  for (const n of names) {
    if (Token.isUnresolved(n) || !ROLE_NAME.test(n)) {
      throw new Error(`powerfulRoleNames: "${n}" is not a role name: use 1-64 letters, digits or + = , . @ _ - (for example "BreakGlassAdmin").`);
    }
  }
}

let statsStatementsSupported: boolean | undefined;

/**
 * A `QueryString` with one `stats` command, written the way the installed
 * aws-cdk-lib wants it: `statsStatements` where it exists (newer releases
 * deprecate `stats` and warn at every synth), `stats` at the floor (2.176,
 * which has no `statsStatements`). Decided once, by rendering a probe.
 */
function queryString(props: logs.QueryStringProps & { readonly stats: string }): logs.QueryString {
  if (statsStatementsSupported === undefined) {
    const probe = new logs.QueryString({ statsStatements: ['count(*)'] } as logs.QueryStringProps);
    statsStatementsSupported = probe.toString().includes('stats count(*)');
  }
  if (!statsStatementsSupported) return new logs.QueryString(props);
  const { stats, ...rest } = props;
  return new logs.QueryString({ ...rest, statsStatements: [stats] } as logs.QueryStringProps);
}
