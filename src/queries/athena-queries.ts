import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { labelResource } from '../alarm-factory';
import { CisBenchmarkVersion, CisControl } from '../catalog';
import { asControl, asVersion, controlConstructId } from '../catalog/selection';
import { Exclusion } from '../exclusions';
import { S3_EXPOSURE_EVENT_NAMES } from './investigation-filters';
import { athenaConditionFor, athenaQuery, cloudTrailGlueColumns, quoteTableName, sqlString } from '../filter-pattern/translate/athena-sql';
import { escapeRegex } from '../filter-pattern/translate/insights';
import { ControlPlan, ResourceRole } from '../plan/control-plan';

/**
 * The partition-projected CloudTrail table over the trail's bucket (the table
 * the Athena documentation describes, with projection on region and day).
 */
export interface CisAthenaTableOptions {
  /** The bucket the trail delivers to. */
  readonly bucket: s3.IBucket;

  /**
   * The trail's S3 key prefix, without leading or trailing `/`.
   * @default - no prefix (`AWSLogs/...` at the bucket root)
   */
  readonly prefix?: string;

  /**
   * Accounts whose logs the table reads (12 digits each). Without
   * `organizationId` exactly one (the path is `AWSLogs/<account>/CloudTrail/...`);
   * with it, any number, projected as the `account` partition.
   */
  readonly accountIds: string[];

  /**
   * The organization id of an organization trail (`o-` and 10 to 32 lower-case
   * letters or digits): the layout becomes `AWSLogs/<org-id>/<account-id>/CloudTrail/...`
   * and the table gets an `account` partition.
   * @default - a single-account trail layout
   */
  readonly organizationId?: string;

  /** Regions the trail logs (projected as the `region` partition), e.g. `['eu-west-1', 'us-east-1']`. */
  readonly regions: string[];

  /**
   * First day of the `day` partition projection, `yyyy/MM/dd`.
   * @default '2020/01/01'
   */
  readonly startDay?: string;
}

/** Properties of `CisAthenaQueries`. */
export interface CisAthenaQueriesProps {
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
   * Exclusions, as given to `CisMonitoring`: each control they apply to gets a
   * second query selecting what its paging alarm counts.
   * @default - no paging queries
   */
  readonly exclusions?: Exclusion[];

  /**
   * Glue database of the CloudTrail table (lower-case letters, digits, `_`).
   * @default 'default'
   */
  readonly databaseName?: string;

  /**
   * Name of the CloudTrail table the queries read (lower-case letters, digits, `_`).
   * @default 'cloudtrail_logs'
   */
  readonly tableName?: string;

  /**
   * Create the partition-projected table `databaseName.tableName` over the trail's bucket.
   * @default - no table is created: one with the documented CloudTrail columns must exist
   */
  readonly table?: CisAthenaTableOptions;

  /**
   * Athena workgroup the queries are saved in.
   * @default 'primary'
   */
  readonly workGroup?: string;

  /**
   * Role names the "powerful role assumptions" query looks for, case-insensitively,
   * anywhere in the assumed role's ARN after `:role/` (IAM role-name characters).
   * @default ['OrganizationAccountAccessRole', 'AdministratorAccess', 'Admin']
   */
  readonly powerfulRoleNames?: string[];

  /**
   * Also save the three investigation queries the CloudTrail monitoring
   * guidance keeps at hand: new principals assuming powerful roles, any root
   * usage, and S3 public exposure (ACL, policy and public-access-block changes
   * next to PutObject counts).
   * @default true
   */
  readonly includeInvestigationQueries?: boolean;
}

const DEFAULT_POWERFUL_ROLES = ['OrganizationAccountAccessRole', 'AdministratorAccess', 'Admin'];
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const GLUE_NAME = /^[a-z_][a-z0-9_]{0,254}$/;
const WORKGROUP = /^[a-zA-Z0-9._-]{1,128}$/;
const ACCOUNT = /^\d{12}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const DAY = /^\d{4}\/\d{2}\/\d{2}$/;
const PREFIX = /^[^/](.*[^/])?$/;
const MAX_NAME = 128;

/**
 * Saved Athena queries (`AWS::Athena::NamedQuery`) for backtesting the CIS
 * controls over the CloudTrail archive in S3: one per control, selecting the
 * records its metric filter counts (the filter pattern compiled to Athena SQL
 * over the CloudTrail table documented by Athena), one per control with
 * exclusions for its paging filter, and three investigation queries:
 * principals assuming powerful roles (newest first appearance first), any root
 * usage, and S3 public exposure next to PutObject counts per bucket.
 *
 * Optionally creates the table itself (`table`): an `AWS::Glue::Table` with
 * the documented columns and partition projection on region and day (and
 * account, for an organization trail), so no crawler or `MSCK REPAIR` is needed.
 *
 * Where SQL over that table cannot say exactly what the filter pattern says
 * (a JSON null reads as missing on its typed columns), the query description
 * says so.
 *
 * @example
 * new CisAthenaQueries(this, 'Backtest', {
 *   table: { bucket: trailBucket, accountIds: ['123456789012'], regions: ['eu-west-1'] },
 * });
 */
export class CisAthenaQueries extends Construct {
  /** The benchmark version in use. */
  public readonly benchmarkVersion: CisBenchmarkVersion;
  /** The controls that have a query, in benchmark order. */
  public readonly controls: CisControl[];
  /** The table the queries read, `database.table`. */
  public readonly qualifiedTableName: string;
  /** Every saved query: the controls' (each followed by its paging query, if any), then the investigation queries. */
  public readonly namedQueries: athena.CfnNamedQuery[];
  /**
   * The CloudTrail table.
   * @default - undefined unless `table` was given
   */
  public readonly table?: glue.CfnTable;

  private readonly byControl = new Map<string, athena.CfnNamedQuery>();

  constructor(scope: Construct, id: string, props: CisAthenaQueriesProps = {}) {
    super(scope, id);
    const version = props.benchmarkVersion === undefined ? CisBenchmarkVersion.LATEST : asVersion(props.benchmarkVersion, 'benchmarkVersion');
    const database = props.databaseName ?? 'default';
    const tableName = props.tableName ?? 'cloudtrail_logs';
    checkName(database, 'databaseName', GLUE_NAME, 'lower-case letters, digits and _, not starting with a digit, at most 255 characters');
    checkName(tableName, 'tableName', GLUE_NAME, 'lower-case letters, digits and _, not starting with a digit, at most 255 characters');
    const workGroup = props.workGroup ?? 'primary';
    checkName(workGroup, 'workGroup', WORKGROUP, 'letters, digits, . _ -, at most 128 characters');
    const roleNames = props.powerfulRoleNames ?? DEFAULT_POWERFUL_ROLES;
    if (!Array.isArray(roleNames) || roleNames.length === 0 || roleNames.some(n => typeof n !== 'string' || !ROLE_NAME.test(n))) {
      throw new Error(`powerfulRoleNames must be a non-empty list of IAM role names (letters, digits, +=,.@_-; 1 to 64 characters), got ${JSON.stringify(roleNames)}.`);
    }
    const noControls = Array.isArray(props.controls) && props.controls.length === 0;
    if (noControls && props.includeInvestigationQueries === false) {
      throw new Error('Nothing to save: controls is empty and includeInvestigationQueries is false. Select at least one control or keep the investigation queries.');
    }
    const plans = noControls ? [] : ControlPlan.build({
      benchmarkVersion: version, controls: props.controls, provides: 'Athena query', exclusions: props.exclusions,
    });
    this.benchmarkVersion = version;
    this.controls = plans.map(p => p.control);
    this.qualifiedTableName = `${database}.${tableName}`;

    if (props.table) this.table = this.createTable(database, tableName, props.table);

    const queries: athena.CfnNamedQuery[] = [];
    const save = (constructId: string, name: string, description: string, sql: string): athena.CfnNamedQuery => {
      const q = new athena.CfnNamedQuery(this, constructId, {
        database,
        workGroup,
        name: name.length <= MAX_NAME ? name : `${name.slice(0, MAX_NAME - 3)}...`,
        description: description.length <= 1024 ? description : `${description.slice(0, 1021)}...`,
        queryString: sql,
      });
      // The construct-level dependency: CfnResource#addDependency is deprecated in newer aws-cdk-lib (addResourceDependency is not in the floor).
      if (this.table) q.node.addDependency(this.table);
      queries.push(q);
      return q;
    };

    for (const plan of plans) {
      const d = plan.definition;
      const condition = athenaConditionFor(plan.compliance.compiled!);
      const header = [`CIS ${version.version} ${d.recommendationId} ${d.title}: the records the ${plan.metricName} metric filter counts.`];
      const q = save(controlConstructId(plan.control.key), `CIS ${d.recommendationId} ${d.title}`,
        describe(`Records the CIS ${d.recommendationId} metric filter (${plan.metricName}) counts.`, condition.inexact),
        athenaQuery(condition, this.qualifiedTableName, header));
      labelResource(q, plan.label(ResourceRole.COMPLIANCE));
      this.byControl.set(plan.control.key, q);
      const paging = plan.paging;
      if (paging) {
        if (!paging.filter.compiled) {
          throw new Error(`The exclusions of "${plan.control.key}" hold values known only at deploy time (a role's ARN); CisAthenaQueries needs literal values (Exclusion.roleName(), principalArn('arn:...')).`);
        }
        const pc = athenaConditionFor(paging.filter.compiled);
        const pq = save(`${controlConstructId(plan.control.key)}Paging`, `CIS ${d.recommendationId} ${d.title} (paging)`,
          describe(`Records the ${paging.filter.metricName} filter counts: CIS ${d.recommendationId} without ${paging.exclusions.length} exclusion(s).`, pc.inexact),
          athenaQuery(pc, this.qualifiedTableName, [`CIS ${version.version} ${d.recommendationId} paging: without the exclusions ${paging.exclusions.map(e => e.description).join('; ')}.`]));
        labelResource(pq, plan.label(ResourceRole.PAGING));
      }
    }

    if (props.includeInvestigationQueries ?? true) {
      const t = quoteTableName(this.qualifiedTableName);
      save('PowerfulRoleAssumptions', 'Investigation - principals assuming powerful roles',
        'Principals that assumed a role whose name contains one of the powerful role names, with first and last time seen; newest first appearance first.',
        powerfulRoleSql(t, roleNames));
      save('RootUsage', 'Investigation - any root user activity', 'Every call made as the root user, newest first.',
        `SELECT eventid, eventtime, eventsource, eventname, eventtype, awsregion, recipientaccountid, sourceipaddress, useragent, useridentity.invokedby AS invokedby, errorcode\nFROM ${t}\nWHERE useridentity.type = 'Root'\nORDER BY eventtime DESC`);
      save('S3PublicExposure', 'Investigation - S3 public exposure and uploads per bucket',
        'S3 ACL, policy and public-access-block changes and PutObject counts per bucket (PutObject needs S3 data events in the trail).',
        `SELECT json_extract_scalar(requestparameters, '$.bucketName') AS bucket, eventname, count(*) AS events, min(eventtime) AS first_seen, max(eventtime) AS last_seen\nFROM ${t}\nWHERE eventsource = 's3.amazonaws.com' AND eventname IN (${[...S3_EXPOSURE_EVENT_NAMES, 'PutObject'].map(sqlString).join(', ')})\nGROUP BY 1, 2\nORDER BY 1, 2`);
    }
    this.namedQueries = queries;
  }

  /** The saved query of a control. */
  public queryFor(control: CisControl): athena.CfnNamedQuery {
    const q = this.byControl.get(asControl(control, 'control').key);
    if (!q) {
      throw new Error(`Control "${control.key}" has no query in ${this.node.path}; controls with queries: ${this.controls.map(c => c.key).join(', ')}.`);
    }
    return q;
  }

  private createTable(database: string, tableName: string, options: CisAthenaTableOptions): glue.CfnTable {
    if (!options || typeof options.bucket?.bucketName !== 'string') throw new Error('table.bucket must be the trail\'s IBucket.');
    const accounts = options.accountIds;
    if (!Array.isArray(accounts) || accounts.length === 0 || accounts.some(a => typeof a !== 'string' || !ACCOUNT.test(a))) {
      throw new Error(`table.accountIds must be a non-empty list of 12-digit account ids, got ${JSON.stringify(accounts)}.`);
    }
    if (options.organizationId !== undefined && !ORG_ID.test(options.organizationId)) {
      throw new Error(`table.organizationId "${options.organizationId}" is not an organization id (o- and 10 to 32 lower-case letters or digits).`);
    }
    if (options.organizationId === undefined && accounts.length !== 1) {
      throw new Error(`table.accountIds: a single-account trail layout (AWSLogs/<account>/CloudTrail/...) holds one account, got ${accounts.length}. Give organizationId for an organization trail.`);
    }
    const regions = options.regions;
    if (!Array.isArray(regions) || regions.length === 0 || regions.some(r => typeof r !== 'string' || !REGION.test(r))) {
      throw new Error(`table.regions must be a non-empty list of Region names such as eu-west-1, got ${JSON.stringify(regions)}.`);
    }
    const startDay = options.startDay ?? '2020/01/01';
    if (!DAY.test(startDay)) throw new Error(`table.startDay "${startDay}" is not a yyyy/MM/dd date.`);
    if (options.prefix !== undefined && (options.prefix === '' || !PREFIX.test(options.prefix))) {
      throw new Error(`table.prefix "${options.prefix}" must be non-empty and must not start or end with "/".`);
    }
    const org = options.organizationId !== undefined;
    const root = `s3://${options.bucket.bucketName}/${options.prefix ? `${options.prefix}/` : ''}AWSLogs/`;
    const base = org ? `${root}${options.organizationId}/` : `${root}${accounts[0]}/CloudTrail/`;
    const template = org ? `${base}\${account}/CloudTrail/\${region}/\${day}` : `${base}\${region}/\${day}`;
    return new glue.CfnTable(this, 'Table', {
      catalogId: Stack.of(this).account,
      databaseName: database,
      tableInput: {
        name: tableName,
        description: 'CloudTrail logs (the table documented by Athena), partition-projected on region and day',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          ...(org ? [{ name: 'account', type: 'string' }] : []),
          { name: 'region', type: 'string' },
          { name: 'day', type: 'string' },
        ],
        parameters: {
          'EXTERNAL': 'TRUE',
          'classification': 'cloudtrail',
          'projection.enabled': 'true',
          ...(org ? { 'projection.account.type': 'enum', 'projection.account.values': accounts.join(',') } : {}),
          'projection.region.type': 'enum',
          'projection.region.values': regions.join(','),
          'projection.day.type': 'date',
          'projection.day.format': 'yyyy/MM/dd',
          'projection.day.range': `${startDay},NOW`,
          'projection.day.interval': '1',
          'projection.day.interval.unit': 'DAYS',
          'storage.location.template': template,
        },
        storageDescriptor: {
          columns: cloudTrailGlueColumns(),
          location: base,
          inputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
        },
      },
    });
  }
}

function checkName(value: unknown, prop: string, re: RegExp, rule: string): void {
  if (typeof value !== 'string' || !re.test(value)) throw new Error(`${prop} ${JSON.stringify(value)} is not valid: ${rule}.`);
}

function describe(text: string, inexact: readonly string[]): string {
  return inexact.length === 0 ? text : `${text} Inexact: ${inexact.join(' ')}`;
}

function powerfulRoleSql(table: string, roleNames: readonly string[]): string {
  const roleArn = "json_extract_scalar(requestparameters, '$.roleArn')";
  const names = roleNames.map(escapeRegex).join('|');
  return `SELECT useridentity.arn AS principal, ${roleArn} AS role_arn, count(*) AS assumptions, min(eventtime) AS first_seen, max(eventtime) AS last_seen\n`
    + `FROM ${table}\n`
    + "WHERE eventsource = 'sts.amazonaws.com' AND eventname IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity')\n"
    + "  AND errorcode IS NULL AND (useridentity.type IS NULL OR useridentity.type <> 'AWSService')\n"
    + `  AND regexp_like(${roleArn}, ${sqlString(`(?i):role/.*(${names})`)})\n`
    + 'GROUP BY 1, 2\nORDER BY first_seen DESC';
}
