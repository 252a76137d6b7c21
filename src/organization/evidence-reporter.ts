import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Aws, CfnCondition, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { newestNodeRuntime } from './handler-function';
import { CisSecurityAccount } from './security-account';
import { CisAlarmTopic } from '../alarm-topic';
import { CisBenchmarkVersion } from '../catalog';
import { describeValue } from '../catalog/selection';
import { COMPLIANCE_PACKS, forPacks, suppressNagFindings } from '../nag-suppressions';
import { ALL_SCANNERS, scannerCliName } from '../scanners/rules';
import { Scanner } from '../scanners/scanner';
import { CisSeverity } from '../severity';

/** Properties of `CisEvidenceReporter`. */
export interface CisEvidenceReporterProps {
  /** Regions audited in every account (for example every Region the organization uses). */
  readonly regions: string[];

  /**
   * The organization whose accounts are audited (`o-` and 10-32 lower-case
   * letters or digits). The reporter lists its active accounts each run
   * (Organizations `ListAccounts`: the security account must be a delegated
   * administrator, or give `organizationsRoleArn`) and audits them through
   * the audit role `CisOrganizationRollout` creates in every member
   * (`evidenceReporterAccountId`), which trusts only the reporter's role.
   * @default - single-account mode: only `accounts`, by default this stack's own account
   */
  readonly organizationId?: string;

  /**
   * Audit only these accounts (12-digit ids) instead of every active account
   * of the organization. The stack's own account is read with the reporter's
   * own credentials; any other through the audit role.
   * @default - every active account of the organization; this stack's account without `organizationId`
   */
  readonly accounts?: string[];

  /**
   * A role the reporter assumes to list the organization's accounts,
   * typically in the management account, trusting this account and allowing
   * `organizations:DescribeOrganization` and `organizations:ListAccounts`.
   * @default - the reporter calls Organizations with its own role (the security account must be a delegated administrator)
   */
  readonly organizationsRoleArn?: string;

  /**
   * The CIS AWS Foundations Benchmark version the evidence is for (control
   * selection and recommendation ids).
   * @default CisBenchmarkVersion.LATEST
   */
  readonly benchmarkVersion?: CisBenchmarkVersion;

  /**
   * The scanners whose judgement the findings record.
   * @default - all four
   */
  readonly scanners?: Scanner[];

  /**
   * How often a run starts (EventBridge Scheduler); whole hours from 1 to 24.
   * Start a run on demand with `aws stepfunctions start-execution --state-machine-arn <stateMachine>`.
   * @default Duration.hours(12)
   */
  readonly schedule?: Duration;

  /**
   * Import each target's findings into that account's own Security Hub, in that Region.
   * @default true
   */
  readonly securityHub?: boolean;

  /**
   * How long the reports (and every version of them) are kept in the bucket.
   * @default Duration.days(400)
   */
  readonly retention?: Duration;

  /**
   * S3 Object Lock in compliance mode for `retention`: no one, the root user
   * included, can delete or overwrite a report before then. Can only be
   * chosen when the bucket is created.
   * @default false
   */
  readonly objectLock?: boolean;

  /**
   * Alerts (a control that regressed from PASSED to FAILED, a target that
   * became unauditable, a run that failed) go to this security account's
   * topic of each alert's severity.
   * @default - give `alertTopic` instead
   */
  readonly securityAccount?: CisSecurityAccount;

  /**
   * Every alert goes to this topic (single-account mode, or no security account).
   * @default - give `securityAccount` instead
   */
  readonly alertTopic?: CisAlarmTopic;

  /**
   * Targets (account × Region) one Lambda invocation audits. A target takes a
   * few seconds (docs/evidence.md measures it); a batch must finish within the
   * function's 15 minutes, and targets it cannot start in time are reported
   * unauditable, never skipped silently.
   * @default 20
   */
  readonly batchSize?: number;

  /**
   * Batches audited at the same time (the distributed map's MaxConcurrency).
   * @default 40
   */
  readonly maxConcurrency?: number;

  /**
   * Publish FailedControls and Auditable per target (dimensions Account and
   * Region), two custom metrics per account × Region; the run totals are
   * always published.
   * @default true
   */
  readonly targetMetrics?: boolean;
}

// Why the findings of cdk-nag's packs that remain do not apply (docs/cdk-nag.md lists them).
const ACCESS_LOGS_REASON = 'S3 server access logging delivers only to a target bucket whose default encryption is SSE-S3 (AES256); with SSE-KMS the access logs of the report bucket would not be delivered. The reports themselves are KMS-encrypted.';
const REPLICATION_REASON = 'Replication needs a destination bucket, usually in a separate log-archive account or Region, that only the user can choose; versioning, retention and Object Lock keep the reports here.';
const LOGS_REASON = 'The reporter and its runs log progress and errors (targets, counts, messages), not the findings; CloudWatch Logs encrypts them at rest with its own key.';
const VPC_REASON = 'The reporter calls only AWS APIs (STS, Organizations, CloudTrail, CloudWatch, SNS, Security Hub, S3) in many accounts and Regions; a VPC would add endpoints and NAT without reducing what it can reach.';
const CONCURRENCY_REASON = 'The distributed map bounds the reporter\'s concurrency (maxConcurrency); reserved concurrency would take capacity from the account\'s pool and could make the deployment fail in accounts with a low limit.';
const DLQ_REASON = 'Step Functions invokes the reporter synchronously and retries and catches its failures (a failed batch becomes unauditable targets in the report and an alert); an asynchronous dead-letter queue would never receive anything.';
const RUN_POLICY_REASON = 'Step Functions invokes a function version or alias through the function ARN with a qualifier (:*); CloudWatch Logs delivery and X-Ray actions take no resource ARN.';
const CHILD_POLICY_REASON = 'A distributed map runs its items as child executions of the state machine, whose execution ARNs are only known at run time (execution:<state machine>/*).';
const POLICY_REASON = 'The audit reads (Describe/Get/List) and PutMetricData take no resource ARN (PutMetricData is limited to its namespace by a condition); the audit role is the same name in every account of the organization (limited by aws:ResourceOrgID); GenerateDataKey* covers the data-key calls of S3 and SNS on the reporter\'s and the topics\' own keys; the report objects are every key of the reporter\'s own bucket.';

const NIST_AND_HIPAA = ['NIST.800.53.R5', 'HIPAA.Security'];

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
// INFORMATIONAL too: the security account maps it to its LOW topic, and a severity without a topic would fail every report.
const SEVERITIES: CisSeverity[] = [CisSeverity.CRITICAL, CisSeverity.HIGH, CisSeverity.MEDIUM, CisSeverity.LOW, CisSeverity.INFORMATIONAL];
/** The Lambda code, bundled at build time (scripts/bundle-cli.ts); two levels below the package root from src/ and from lib/. */
const CODE_DIR = path.join(__dirname, '..', '..', 'lib', 'evidence-reporter');

/** The permissions of the audit role in each member (and of the reporter for its own account). */
const AUDIT_READ_ACTIONS = [
  'cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors', 'logs:DescribeMetricFilters',
  'cloudwatch:DescribeAlarms', 'sns:ListSubscriptionsByTopic', 'securityhub:DescribeHub', 'securityhub:GetFindings',
];

/**
 * Continuous CIS monitoring evidence, from a security (or audit) account, or
 * for one account: a scheduled run (EventBridge Scheduler, every 12 hours by
 * default) of a Step Functions state machine that
 *
 * - lists the targets (the organization's active accounts × `regions`),
 * - audits them in batches on a distributed map (one Lambda function, the
 *   same evaluator as `cis-monitoring audit`), each account through the
 *   read-only audit role the member template creates,
 * - imports one finding per target × control into that account's own Security
 *   Hub (stable ids; controls no longer audited are archived),
 * - writes each run's JSON, CSV and HTML report to a versioned, KMS-encrypted
 *   bucket kept for `retention` (Object Lock optional),
 * - publishes per-target compliance metrics (`CISMonitoring/Evidence`),
 * - alerts through the severity topics when a control regresses from PASSED
 *   to FAILED or a target becomes unauditable, and when a run fails or no run
 *   succeeded for a day.
 *
 * Members get the audit role from `CisOrganizationRollout` with
 * `evidenceReporterAccountId` (and `organizationId`). See docs/evidence.md.
 *
 * @example
 * const security = new CisSecurityAccount(this, 'Security', { organizationId: 'o-a1b2c3d4e5' });
 * new CisEvidenceReporter(this, 'Evidence', {
 *   organizationId: 'o-a1b2c3d4e5',
 *   regions: ['us-east-1', 'eu-west-1'],
 *   securityAccount: security,
 * });
 */
export class CisEvidenceReporter extends Construct {
  /** The name of the reporter's role: the members' audit roles trust exactly this role of the reporter's account. */
  public static readonly REPORTER_ROLE_NAME = 'CisMonitoringEvidenceReporter';
  /** The name of the read-only audit role in each member account (`CisOrganizationRollout` creates it). */
  public static readonly AUDIT_ROLE_NAME = 'CisMonitoringEvidenceAudit';
  /** The name of the state machine of one run (`aws stepfunctions start-execution` runs it on demand). */
  public static readonly STATE_MACHINE_NAME = 'CisMonitoringEvidence';

  /** The bucket of the reports. */
  public readonly bucket: s3.IBucket;
  /** The key that encrypts the bucket. */
  public readonly encryptionKey: kms.IKey;
  /** The state machine of one run: start an execution to run on demand. */
  public readonly stateMachine: sfn.StateMachine;
  /** The Lambda function (plan, audit and report phases). */
  public readonly function: lambda.IFunction;
  /** The alarm on failed, timed-out or aborted runs. */
  public readonly runFailedAlarm: cloudwatch.IAlarm;
  /** The alarm on no successful run within a day. */
  public readonly noRecentRunAlarm: cloudwatch.IAlarm;
  /** The alarm on findings that a run could not import into a target's Security Hub (undefined with `securityHub: false`). */
  public readonly securityHubImportAlarm?: cloudwatch.IAlarm;

  constructor(scope: Construct, id: string, props: CisEvidenceReporterProps) {
    super(scope, id);
    if (props === null || typeof props !== 'object' || Array.isArray(props)) {
      throw new Error(`CisEvidenceReporter props must be an object (CisEvidenceReporterProps), got ${describeValue(props)}.`);
    }
    const stack = Stack.of(this);
    const regions = checkList(props.regions, 'regions', REGION, 'a Region name (for example "eu-west-1")');
    const org = props.organizationId;
    if (org !== undefined && (typeof org !== 'string' || (!Token.isUnresolved(org) && !ORGANIZATION_ID.test(org)))) {
      throw new Error(`organizationId must be an AWS Organizations id ("o-" followed by 10-32 lower-case letters or digits, for example "o-a1b2c3d4e5"), got ${describeValue(org)}.`);
    }
    const accounts = props.accounts === undefined ? undefined : checkList(props.accounts, 'accounts', ACCOUNT_ID, 'a 12-digit AWS account id');
    if (org === undefined && accounts?.some(a => a !== stack.account) && !Token.isUnresolved(stack.account)) {
      throw new Error(`accounts lists ${accounts.filter(a => a !== stack.account).join(', ')}, other than this stack's account: auditing other accounts needs organizationId (their audit roles trust the reporter within the organization).`);
    }
    const orgRole = props.organizationsRoleArn;
    if (orgRole !== undefined && (typeof orgRole !== 'string' || (!Token.isUnresolved(orgRole) && !ROLE_ARN.test(orgRole)))) {
      throw new Error(`organizationsRoleArn must be an IAM role ARN (for example "arn:aws:iam::111111111111:role/CisEvidenceListAccounts"), got ${describeValue(orgRole)}.`);
    }
    if (orgRole !== undefined && (org === undefined || accounts !== undefined)) {
      throw new Error('organizationsRoleArn is only used to list the organization\'s accounts: give organizationId and no accounts, or remove it.');
    }
    const benchmark = props.benchmarkVersion ?? CisBenchmarkVersion.LATEST;
    if (!(benchmark instanceof CisBenchmarkVersion)) throw new Error(`benchmarkVersion must be a CisBenchmarkVersion (for example CisBenchmarkVersion.V5_0_0), got ${describeValue(benchmark)}.`);
    const scanners = props.scanners ?? [...ALL_SCANNERS];
    if (!Array.isArray(scanners) || scanners.length === 0 || scanners.some(s => !ALL_SCANNERS.includes(s))) {
      throw new Error(`scanners must be a non-empty list of Scanner values (for example [Scanner.SECURITY_HUB, Scanner.PROWLER]), got ${describeValue(scanners)}.`);
    }
    const scheduleHours = checkHours(props.schedule);
    const retention = props.retention ?? Duration.days(400);
    const retentionDays = retention instanceof Duration ? retention.toDays({ integral: false }) : NaN;
    if (Token.isUnresolved(retentionDays) || !Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new Error(`retention must be a whole number of days, at least 1 (for example Duration.days(400)), got ${describeValue(retention)}.`);
    }
    const objectLock = checkBoolean(props.objectLock, 'objectLock', false);
    const securityHub = checkBoolean(props.securityHub, 'securityHub', true);
    const targetMetrics = checkBoolean(props.targetMetrics, 'targetMetrics', true);
    const batchSize = checkInteger(props.batchSize, 'batchSize', 1, 200, 20);
    const maxConcurrency = checkInteger(props.maxConcurrency, 'maxConcurrency', 1, 1000, 40);
    if ((props.securityAccount === undefined) === (props.alertTopic === undefined)) {
      throw new Error('Give exactly one of securityAccount (alerts routed by severity to its topics) and alertTopic (every alert to one topic): regressions and unauditable targets must reach someone.');
    }
    if (props.securityAccount !== undefined && !(props.securityAccount instanceof CisSecurityAccount)) {
      throw new Error(`securityAccount must be a CisSecurityAccount, got ${describeValue(props.securityAccount)}.`);
    }
    if (props.alertTopic !== undefined && !(props.alertTopic instanceof CisAlarmTopic)) {
      throw new Error(`alertTopic must be a CisAlarmTopic (an encrypted topic whose key the reporter is granted), got ${describeValue(props.alertTopic)}.`);
    }
    if (!fs.existsSync(path.join(CODE_DIR, 'index.js'))) {
      throw new Error(`The evidence reporter's Lambda code is missing (${CODE_DIR}/index.js): it is bundled at build time. Run \`npx projen bundle-cli\` (or the build) first.`);
    }

    // Alert destinations: by severity, or one topic.
    const alertTopics = new Map<string, CisAlarmTopic>();
    if (props.securityAccount) {
      for (const s of SEVERITIES) alertTopics.set(s, props.securityAccount._alarmTopicFor(s));
    } else {
      alertTopics.set('DEFAULT', props.alertTopic!);
    }
    const topicArns: Record<string, string> = {};
    for (const [severity, t] of alertTopics) topicArns[severity] = t.topic.topicArn;
    const highTopic = alertTopics.get(CisSeverity.HIGH) ?? alertTopics.get('DEFAULT')!;

    // The reports: versioned, encrypted, kept for `retention`.
    this.encryptionKey = new kms.Key(this, 'Key', {
      description: 'Encrypts the CIS evidence reports',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Who read or wrote which report: S3 server access logs (delivered only to an SSE-S3 bucket).
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: retention, noncurrentVersionExpiration: retention }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (accessLogs.node.defaultChild as s3.CfnBucket).addMetadata('checkov', {
      skip: [{ id: 'CKV_AWS_18', comment: 'This bucket receives the server access logs of the report bucket; logging it as well would need yet another bucket, and logging it into itself loops.' }],
    });
    suppressNagFindings(accessLogs.node.defaultChild as s3.CfnBucket, [
      ...forPacks(COMPLIANCE_PACKS, 'S3DefaultEncryptionKMS', ACCESS_LOGS_REASON),
      ...forPacks(COMPLIANCE_PACKS, 'S3BucketReplicationEnabled', REPLICATION_REASON),
    ]);
    const bucket = new s3.Bucket(this, 'Reports', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'reports-bucket/',
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      objectLockEnabled: objectLock ? true : undefined,
      objectLockDefaultRetention: objectLock ? s3.ObjectLockRetention.compliance(retention) : undefined,
      lifecycleRules: [
        { id: 'retention', expiration: retention, noncurrentVersionExpiration: retention },
        // Each run's working files (plan and batch results); the report holds everything they held.
        { id: 'working-files', prefix: 'runs/', expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = bucket;
    suppressNagFindings(bucket.node.defaultChild as s3.CfnBucket, forPacks(COMPLIANCE_PACKS, 'S3BucketReplicationEnabled', REPLICATION_REASON));

    // The function's one role: named, because every member's audit role trusts it by name.
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    suppressNagFindings(logGroup.node.defaultChild as logs.CfnLogGroup, forPacks(COMPLIANCE_PACKS, 'CloudWatchLogGroupEncrypted', LOGS_REASON));
    const partition = stack.partition;
    const statements = [
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [bucket.arnForObjects('*')] }),
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
      new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: [this.encryptionKey.keyArn, ...[...alertTopics.values()].map(t => t.encryptionKey.keyArn)] }),
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [...alertTopics.values()].map(t => t.topic.topicArn) }),
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': 'CISMonitoring/Evidence' } },
      }),
      // Its own account is read with its own credentials, like any member through the audit role.
      new iam.PolicyStatement({ actions: AUDIT_READ_ACTIONS, resources: ['*'] }),
      new iam.PolicyStatement({
        actions: ['securityhub:BatchImportFindings'],
        resources: [`arn:${partition}:securityhub:*:${stack.account}:product/${stack.account}/default`],
      }),
    ];
    if (org !== undefined) {
      statements.push(new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: accounts
          ? accounts.map(a => `arn:${partition}:iam::${a}:role/${CisEvidenceReporter.AUDIT_ROLE_NAME}`)
          : [`arn:${partition}:iam::*:role/${CisEvidenceReporter.AUDIT_ROLE_NAME}`],
        conditions: { StringEquals: { 'aws:ResourceOrgID': org } },
      }));
      if (accounts === undefined) {
        statements.push(orgRole
          ? new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [orgRole] })
          : new iam.PolicyStatement({ actions: ['organizations:DescribeOrganization', 'organizations:ListAccounts'], resources: ['*'] }));
      }
    }
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'CIS evidence reporter: reads the audited accounts, writes reports, findings, metrics and alerts',
      statements,
    });
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    suppressNagFindings(policy.node.defaultChild as iam.CfnManagedPolicy, [{
      id: 'AwsSolutions-IAM5',
      appliesTo: [
        'Action::kms:GenerateDataKey*',
        'Resource::*',
        `Resource::<${stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`,
        `Resource::arn:<AWS::Partition>:securityhub:*:${account}:product/${account}/default`,
        ...(org !== undefined && accounts === undefined ? [`Resource::arn:<AWS::Partition>:iam::*:role/${CisEvidenceReporter.AUDIT_ROLE_NAME}`] : []),
      ],
      reason: POLICY_REASON,
    }]);
    const role = new iam.Role(this, 'Role', {
      roleName: CisEvidenceReporter.REPORTER_ROLE_NAME,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'CIS evidence reporter (AWS Lambda); member audit roles trust this role',
      managedPolicies: [policy],
    });

    const fn = new lambda.Function(this, 'Function', {
      description: 'CIS evidence reporter: plans a run, audits a batch of accounts × Regions, writes the report and alerts',
      runtime: newestNodeRuntime(),
      handler: 'index.handler',
      code: lambda.Code.fromAsset(CODE_DIR),
      role: role.withoutPolicyUpdates(),
      logGroup,
      timeout: Duration.minutes(15),
      memorySize: 2048,
      environment: {
        REPORT_BUCKET: bucket.bucketName,
        REGIONS: regions.join(','),
        ACCOUNTS: (accounts ?? (org === undefined ? [stack.account] : [])).join(','),
        AUDIT_ROLE_NAME: CisEvidenceReporter.AUDIT_ROLE_NAME,
        SELF_ACCOUNT: stack.account,
        ...(orgRole ? { ORGANIZATIONS_ROLE_ARN: orgRole } : {}),
        BENCHMARK: benchmark.version,
        SCANNERS: scanners.map(scannerCliName).join(','),
        SECURITY_HUB: String(securityHub),
        ALERT_TOPICS: stack.toJsonString(topicArns),
        TOOL_VERSION: packageVersion(),
        BATCH_SIZE: String(batchSize),
        TARGET_METRICS: String(targetMetrics),
      },
    });
    fn.node.addDependency(policy);
    suppressNagFindings(fn.node.defaultChild as lambda.CfnFunction, [
      ...forPacks(COMPLIANCE_PACKS, 'LambdaInsideVPC', VPC_REASON),
      ...forPacks(NIST_AND_HIPAA, 'LambdaConcurrency', CONCURRENCY_REASON),
      ...forPacks(NIST_AND_HIPAA, 'LambdaDLQ', DLQ_REASON),
    ]);
    this.function = fn;

    // One run: plan → audit the batches (distributed map) → report.
    const plan = new tasks.LambdaInvoke(this, 'Plan', {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({ phase: 'plan', runId: sfn.JsonPath.executionName, time: sfn.JsonPath.executionStartTime }),
      payloadResponseOnly: true,
    });
    // A throttled or briefly unreachable Organizations should not cost the whole run (a failed run still alarms).
    plan.addRetry({ errors: ['States.ALL'], maxAttempts: 2, interval: Duration.seconds(30), backoffRate: 2 });
    const audit = new tasks.LambdaInvoke(this, 'AuditBatch', { lambdaFunction: fn, payloadResponseOnly: true });
    audit.addRetry({ errors: ['States.ALL'], maxAttempts: 2, interval: Duration.seconds(30), backoffRate: 2 });
    // A batch that still fails leaves no result; the report makes its targets unauditable and alerts on them.
    audit.addCatch(new sfn.Pass(this, 'BatchFailed'), { resultPath: '$.error' });
    const map = new sfn.DistributedMap(this, 'AuditBatches', {
      itemsPath: '$.batches',
      maxConcurrency,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      itemSelector: { phase: 'audit', runId: sfn.JsonPath.stringAt('$.runId'), batch: sfn.JsonPath.objectAt('$$.Map.Item.Value') },
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(audit);
    const report = new tasks.LambdaInvoke(this, 'Report', {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({ phase: 'report', runId: sfn.JsonPath.stringAt('$.runId') }),
      payloadResponseOnly: true,
    });
    report.addRetry({ errors: ['States.ALL'], maxAttempts: 3, interval: Duration.minutes(1), backoffRate: 2 });
    const machineLogs = new logs.LogGroup(this, 'RunLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    suppressNagFindings(machineLogs.node.defaultChild as logs.CfnLogGroup, forPacks(COMPLIANCE_PACKS, 'CloudWatchLogGroupEncrypted', LOGS_REASON));
    // Every permission in customer-managed policies (the compliance packs refuse inline ones): what the
    // state machine needs when it is created (log delivery, X-Ray, the function) on the role, and what
    // names the state machine itself (its distributed map's child executions) attached afterwards.
    const runPolicy = new iam.ManagedPolicy(this, 'RunPolicy', {
      description: 'CIS evidence run: invokes the reporter function, delivers its logs and traces',
      statements: [
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn, `${fn.functionArn}:*`] }),
        new iam.PolicyStatement({
          // Log delivery and X-Ray actions take no resource ARN.
          actions: [
            'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries',
            'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
            'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
          ],
          resources: ['*'],
        }),
      ],
    });
    suppressNagFindings(runPolicy.node.defaultChild as iam.CfnManagedPolicy, [{
      id: 'AwsSolutions-IAM5',
      appliesTo: [`Resource::<${stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*`, 'Resource::*'],
      reason: RUN_POLICY_REASON,
    }]);
    const runRole = new iam.Role(this, 'RunRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'CIS evidence run (AWS Step Functions)',
      managedPolicies: [runPolicy],
    });
    this.stateMachine = new sfn.StateMachine(this, 'Run', {
      // Named like the reporter's role: one reporter per account and Region, and its executions' ARNs are known.
      stateMachineName: CisEvidenceReporter.STATE_MACHINE_NAME,
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(map).next(report)),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: Duration.hours(Math.max(1, scheduleHours)),
      tracingEnabled: true,
      role: runRole.withoutPolicyUpdates(),
      logs: { destination: machineLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.stateMachine.node.addDependency(runPolicy);
    // aws-cdk-lib attaches an inline policy for the distributed map; the managed one below replaces it.
    this.stateMachine.node.tryRemoveChild('DistributedMapPolicy');
    const childPolicy = new iam.ManagedPolicy(this, 'ChildExecutionsPolicy', {
      description: 'CIS evidence run: starts and follows its distributed map\'s child executions',
      roles: [runRole],
      statements: [
        new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: [
            `arn:${partition}:states:${stack.region}:${stack.account}:execution:${CisEvidenceReporter.STATE_MACHINE_NAME}/*`,
            `${this.stateMachine.stateMachineArn}:*`,
          ],
        }),
      ],
    });
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    suppressNagFindings(childPolicy.node.defaultChild as iam.CfnManagedPolicy, [{
      id: 'AwsSolutions-IAM5',
      appliesTo: [
        `Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${CisEvidenceReporter.STATE_MACHINE_NAME}/*`,
        `Resource::<${stack.getLogicalId(this.stateMachine.node.defaultChild as sfn.CfnStateMachine)}>:*`,
      ],
      reason: CHILD_POLICY_REASON,
    }]);

    // Every `schedule`, and on demand (start-execution).
    const schedulerRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'Starts the CIS evidence reporter\'s runs',
    });
    new iam.ManagedPolicy(this, 'SchedulePolicy', {
      description: 'CIS evidence schedule: starts a run',
      roles: [schedulerRole],
      statements: [new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] })],
    });
    new scheduler.CfnSchedule(this, 'Schedule', {
      description: `CIS evidence run every ${scheduleHours} hour${scheduleHours === 1 ? '' : 's'}`,
      scheduleExpression: `rate(${scheduleHours} hour${scheduleHours === 1 ? '' : 's'})`,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: this.stateMachine.stateMachineArn,
        roleArn: schedulerRole.roleArn,
        input: JSON.stringify({ trigger: 'schedule' }),
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
      },
    });

    // A run that fails, or no run at all, is an alert too.
    const action = new cloudwatchActions.SnsAction(highTopic.topic);
    const failedRuns = new cloudwatch.MathExpression({
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
        timedOut: this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
        aborted: this.stateMachine.metricAborted({ period: Duration.minutes(5), statistic: 'Sum' }),
      },
      label: 'Failed, timed-out and aborted runs',
      period: Duration.minutes(5),
    });
    const runFailed = failedRuns.createAlarm(this, 'RunFailed', {
      alarmDescription: `[${CisSeverity.HIGH}] A CIS evidence run failed: no report, findings or alerts for that run. See the state machine's executions.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    runFailed.addAlarmAction(action);
    this.runFailedAlarm = runFailed;
    const noRun = this.stateMachine.metricSucceeded({ period: Duration.days(1), statistic: 'Sum' }).createAlarm(this, 'NoRecentRun', {
      alarmDescription: `[${CisSeverity.HIGH}] No CIS evidence run succeeded in the last day (the schedule runs every ${scheduleHours} h): the evidence is getting stale.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    noRun.addAlarmAction(action);
    this.noRecentRunAlarm = noRun;
    if (securityHub) {
      // Security Hub not enabled, access denied, findings refused: the run succeeds and its report says so, but the
      // evidence where auditors look goes stale; the run's metric raises this alarm straight from CloudWatch.
      const importFailures = new cloudwatch.Metric({
        namespace: 'CISMonitoring/Evidence',
        metricName: 'SecurityHubImportFailures',
        statistic: 'Maximum',
        period: Duration.hours(1),
      }).createAlarm(this, 'SecurityHubImportFailures', {
        alarmDescription: `[${CisSeverity.HIGH}] A CIS evidence run could not import findings into the Security Hub of some targets (not enabled, denied or refused): see securityHub in the run's JSON report.`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      importFailures.addAlarmAction(action);
      this.securityHubImportAlarm = importFailures;
    }

    if (scheduleHours > 12) {
      Annotations.of(this).addWarningV2('cdk-cis-monitoring:evidenceSchedule',
        `schedule is ${scheduleHours} hours: the "no run in a day" alarm may fire between two successful runs. Use 12 hours or less.`);
    }
  }
}

/**
 * The read-only role the evidence reporter audits a member through, in the
 * member template (asset-free, a few hundred bytes): it trusts only the
 * reporter's role of the reporter's account, within the organization, and
 * may import findings only under the account's own default product.
 */
export function addEvidenceAuditRole(member: Stack, reporterAccountId: string, organizationId: string, regions: readonly string[]): iam.CfnRole {
  const p = member.partition;
  const role = new iam.CfnRole(member, 'EvidenceAuditRole', {
    roleName: CisEvidenceReporter.AUDIT_ROLE_NAME,
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { AWS: `arn:${p}:iam::${reporterAccountId}:root` },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: {
            'aws:PrincipalArn': `arn:${p}:iam::${reporterAccountId}:role/${CisEvidenceReporter.REPORTER_ROLE_NAME}`,
            'aws:PrincipalOrgID': organizationId,
          },
        },
      }],
    },
    policies: [{
      policyName: 'audit',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: AUDIT_READ_ACTIONS, Resource: '*' },
          { Effect: 'Allow', Action: 'securityhub:BatchImportFindings', Resource: `arn:${p}:securityhub:*:${member.account}:product/${member.account}/default` },
        ],
      },
    }],
  });
  if (regions.length > 1) {
    // A role name is account-wide and the StackSet deploys this template to every Region: only the first Region's stack
    // instance creates the role (a second would fail with "already exists"); the reporter uses it for every Region.
    role.cfnOptions.condition = new CfnCondition(member, 'EvidenceAuditRoleRegion', {
      expression: Fn.conditionEquals(Aws.REGION, regions[0]),
    });
  }
  // The member template is nagged like any stack of the app (the member stack is part of it).
  suppressNagFindings(role, [
    ...forPacks(COMPLIANCE_PACKS, 'IAMNoInlinePolicy', AUDIT_ROLE_INLINE_REASON),
    {
      id: 'AwsSolutions-IAM5',
      appliesTo: ['Resource::*', 'Resource::arn:<AWS::Partition>:securityhub:*:<AWS::AccountId>:product/<AWS::AccountId>/default'],
      reason: AUDIT_ROLE_WILDCARD_REASON,
    },
  ]);
  return role;
}

const AUDIT_ROLE_INLINE_REASON = 'The audit role of a StackSet member template keeps its read-only statements inline: one resource instead of a role and a managed policy, in a template that must stay under the 51,200 bytes of an inline TemplateBody; the role is used only by the evidence reporter.';
const AUDIT_ROLE_WILDCARD_REASON = 'DescribeTrails, GetTrailStatus, GetEventSelectors, DescribeMetricFilters, DescribeAlarms, ListSubscriptionsByTopic, DescribeHub and GetFindings are the read calls of the audit over every trail, log group, alarm and topic of the account, which it must all see; BatchImportFindings is limited to the account\'s own default product, in any Region the audit covers.';

function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
}

function checkList(value: unknown, prop: string, pattern: RegExp, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${prop} must be a non-empty list, got ${describeValue(value)}.`);
  const seen = new Set<string>();
  value.forEach((v, i) => {
    if (typeof v !== 'string' || Token.isUnresolved(v) || !pattern.test(v)) throw new Error(`${prop}[${i}] must be ${what}, got ${describeValue(v)}.`);
    if (seen.has(v)) throw new Error(`${prop} lists "${v}" twice; remove one.`);
    seen.add(v);
  });
  return [...value];
}

function checkBoolean(value: unknown, prop: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`${prop} must be true or false, got ${describeValue(value)}.`);
  return value;
}

function checkInteger(value: unknown, prop: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be a whole number from ${min} to ${max}, got ${describeValue(value)}.`);
  }
  return value;
}

function checkHours(value: Duration | undefined): number {
  if (value === undefined) return 12;
  if (!(value instanceof Duration) || Token.isUnresolved(value.toHours({ integral: false }))) {
    throw new Error(`schedule must be a Duration of whole hours from 1 to 24 (for example Duration.hours(12)), got ${describeValue(value)}.`);
  }
  const hours = value.toHours({ integral: false });
  if (hours % 1 !== 0 || hours < 1 || hours > 24) throw new Error(`schedule must be whole hours from 1 to 24 (for example Duration.hours(12)), got ${value.toHumanString()}.`);
  return hours;
}
