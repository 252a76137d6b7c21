import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations, App, BootstraplessSynthesizer, CfnStackSet, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { alertDeadLetterQueue } from './dead-letters';
import { checkHeartbeatInterval } from './heartbeat-monitor';
import { createAlertPathAlarm } from '../alarm-factory';
import { CisControl } from '../catalog';
import { addEvidenceAuditRole } from './evidence-reporter';
import { compactJoins } from './template-size';
import { describeValue } from '../catalog/selection';
import { CisMonitoring, CisMonitoringProps } from '../cis-monitoring';
import { LABEL_METADATA_KEY } from '../plan/labels';

/** Who creates the StackSet: the management account, or a delegated StackSets administrator. */
export enum StackSetCallAs {
  /** The stack is deployed in the organization's management account. */
  SELF = 'SELF',
  /** The stack is deployed in a member account registered as delegated administrator for CloudFormation StackSets. */
  DELEGATED_ADMIN = 'DELEGATED_ADMIN',
}

/** How `accountIds` narrows the accounts of the organizational units. */
export enum StackSetAccountFilter {
  /** Only the listed accounts of the organizational units. */
  INTERSECTION = 'INTERSECTION',
  /** Every account of the organizational units except the listed ones. */
  DIFFERENCE = 'DIFFERENCE',
  /** Every account of the organizational units, and the listed accounts too. */
  UNION = 'UNION',
}

/** How the rollout proceeds across Regions. */
export enum StackSetRegionConcurrency {
  /** One Region at a time. */
  SEQUENTIAL = 'SEQUENTIAL',
  /** All Regions at once. */
  PARALLEL = 'PARALLEL',
}

/** How the member template reaches CloudFormation. */
export enum MemberTemplateDelivery {
  /** `TemplateBody` when it fits in 51,200 bytes, otherwise an S3 asset of the management stack. */
  AUTO = 'AUTO',
  /** Always `TemplateBody`; a template over 51,200 bytes is an error. */
  TEMPLATE_BODY = 'TEMPLATE_BODY',
  /** Always `TemplateURL` of an S3 asset in the management stack (the management account must be bootstrapped). */
  S3_ASSET = 'S3_ASSET',
}

/** Properties of `CisOrganizationRollout`. */
export interface CisOrganizationRolloutProps {
  /**
   * Organizational units (`ou-...`) or the organization root (`r-...`) whose
   * accounts get the member stack. The management account never does:
   * service-managed StackSets skip it, so give it an ordinary stack.
   */
  readonly organizationalUnitIds: string[];

  /** Regions the member stack is deployed to, in every target account. */
  readonly regions: string[];

  /**
   * What each member stack deploys: the `CisMonitoring` options, as plain
   * data. Nothing that is a construct of your app (log group, topic, keys,
   * buckets, alarm actions, severity-route topics, chat delivery) can cross
   * into a StackSet template; each member gets its own encrypted topic.
   * @default - `CisMonitoring` defaults, except `dashboard: false` and
   * `alarmDescription.includeInsightsQuery: false` (so the template fits
   * inline); set either to override
   */
  readonly monitoring?: CisMonitoringProps;

  /**
   * Name of a CloudTrail log group that already exists in every target
   * account and Region (for example one your landing zone creates). The
   * member stack's metric filters go on it.
   * @default - each member creates its own CIS trail and log group (`monitoring.trailOptions`); then `regions` must hold one Region
   */
  readonly memberLogGroupName?: string;

  /**
   * Accounts that narrow (or extend) the organizational units, see `accountFilter`.
   * @default - every account of the organizational units
   */
  readonly accountIds?: string[];

  /**
   * How `accountIds` combines with the organizational units.
   * @default StackSetAccountFilter.INTERSECTION when `accountIds` is given
   */
  readonly accountFilter?: StackSetAccountFilter;

  /**
   * The organization's management account (12 digits). The rollout refuses
   * to target it, and when `callAs` is `SELF` the stack must be deployed in it.
   * Give it when the stack's account is not known at synth time.
   * @default - the stack's account when `callAs` is `SELF`, otherwise unknown
   */
  readonly managementAccountId?: string;

  /**
   * Whether the stack is deployed in the management account or in a delegated StackSets administrator.
   * @default StackSetCallAs.SELF
   */
  readonly callAs?: StackSetCallAs;

  /**
   * Deploy the member stack to accounts that join a target organizational unit later.
   * @default true
   */
  readonly autoDeployment?: boolean;

  /**
   * Keep the member stack's resources when an account leaves a target
   * organizational unit (with auto-deployment). Alarm history, metric
   * filters and the topic's subscriptions are the member's data.
   * @default true
   */
  readonly retainStacksOnAccountRemoval?: boolean;

  /**
   * Largest share of accounts deployed at once per Region, 1-100.
   * @default 25
   */
  readonly maxConcurrentPercentage?: number;

  /**
   * Share of accounts per Region that may fail before CloudFormation stops the operation, 0-100.
   * @default 0
   */
  readonly failureTolerancePercentage?: number;

  /**
   * Deploy the Regions one after the other or all at once.
   * @default StackSetRegionConcurrency.SEQUENTIAL
   */
  readonly regionConcurrency?: StackSetRegionConcurrency;

  /**
   * Name of the StackSet: a letter, then letters, digits and hyphens, at most 128 characters.
   * @default - `<stack name>-<construct id>`
   */
  readonly stackSetName?: string;

  /**
   * How the member template reaches CloudFormation.
   * @default MemberTemplateDelivery.AUTO
   */
  readonly templateDelivery?: MemberTemplateDelivery;

  /**
   * The security account that receives what members forward (see
   * `CisSecurityAccount`): every member sends its CIS alarms' state changes,
   * and with `monitoring.realtimeRules` the CloudTrail events its rules
   * matched, to `securityEventBusName` in this account, in the member's own
   * Region, through a cross-account EventBridge target. Members keep their
   * own topic, which Security Hub needs.
   * @default - nothing is forwarded
   */
  readonly securityAccountId?: string;

  /**
   * Name of the security account's event bus (`CisSecurityAccount` `eventBusName`).
   * @default 'cis-monitoring' when `securityAccountId` is given
   */
  readonly securityEventBusName?: string;

  /**
   * How often each member account sends a heartbeat to the security
   * account's bus, through the same role and target as its alarms (a
   * scheduled rule; with `securityAccountId` only). Give
   * `CisSecurityAccount` `memberHeartbeats` the same value: it reports every
   * member account whose heartbeat stops. Whole minutes, 1 minute to 1 day.
   * @default Duration.minutes(15)
   */
  readonly heartbeatInterval?: Duration;

  /**
   * The account of `CisEvidenceReporter` (usually the security account):
   * every member gets the read-only audit role
   * `CisEvidenceReporter.AUDIT_ROLE_NAME`, which only the reporter's role of
   * that account may assume, and only from within `organizationId`.
   * @default - no audit role
   */
  readonly evidenceReporterAccountId?: string;

  /**
   * The organization's id (`o-…`): the audit role trusts the reporter only
   * within it (`aws:PrincipalOrgID`). Required with `evidenceReporterAccountId`.
   * @default - none
   */
  readonly organizationId?: string;
}

/** CloudFormation's limit on an inline `TemplateBody`, in bytes. */
const MAX_TEMPLATE_BODY_BYTES = 51_200;

const OU_OR_ROOT = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const STACK_SET_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/** Props of `CisMonitoring` that hold constructs of the app, and what to do instead. */
const CONSTRUCT_PROPS: { [prop: string]: string } = {
  logGroup: 'use memberLogGroupName',
  topic: 'each member creates its own encrypted topic; subscribe with emailAddresses',
  complianceTopic: 'leave it out; compliance alarms notify the member topic',
  subscriptions: 'use emailAddresses',
  additionalAlarmActions: 'leave it out',
  chatDelivery: 'configure chat delivery in the account that receives the alerts',
  severityRoutes: 'leave it out; routes need topics of the member account',
};

/**
 * Rolls CIS monitoring out to every account of an AWS Organization with a
 * CloudFormation StackSet (service-managed permissions): a member stack,
 * synthesized here from `CisMonitoring` in its own environment-agnostic,
 * asset-free app, deployed to organizational units × Regions, with
 * auto-deployment to accounts that join.
 *
 * Each member then owns its trail or log group, metric filters, alarms and
 * topic, which is what Security Hub needs to report CloudWatch.1-14 PASSED in
 * that member (an organization trail alone leaves members at NO_DATA).
 *
 * Deploy it in the management account (or a delegated StackSets
 * administrator with `callAs: DELEGATED_ADMIN`). The management account
 * itself is never a StackSet target: give it an ordinary stack
 * (`CisTrail` with `isOrganizationTrail` and `CisMonitoring`).
 *
 * Built on aws-cdk-lib's `CfnStackSet` rather than cdklabs' cdk-stacksets:
 * no extra runtime dependency, no 0.0.x API, and the member template must be
 * asset-free anyway.
 *
 * @example
 * new CisOrganizationRollout(this, 'Members', {
 *   organizationalUnitIds: ['ou-ab12-cdef3456'],
 *   regions: ['eu-west-1'],
 *   monitoring: { emailAddresses: ['security@example.com'] },
 * });
 */
export class CisOrganizationRollout extends Construct {
  /** The StackSet. */
  public readonly stackSet: CfnStackSet;
  /** The member template, as deployed (minified JSON). */
  public readonly memberTemplateBody: string;
  /** Size of the member template in bytes (UTF-8). */
  public readonly memberTemplateSize: number;
  /** Whether the template is passed inline (`TemplateBody`) rather than through an S3 asset (`TemplateURL`). */
  public readonly inlineTemplate: boolean;
  /** The controls every member monitors, in benchmark order. */
  public readonly memberControls: CisControl[];

  constructor(scope: Construct, id: string, props: CisOrganizationRolloutProps) {
    super(scope, id);
    if (props === null || typeof props !== 'object' || Array.isArray(props)) {
      throw new Error(`CisOrganizationRollout props must be an object (CisOrganizationRolloutProps), got ${describeValue(props)}.`);
    }
    const stack = Stack.of(this);
    const ous = checkList(props.organizationalUnitIds, 'organizationalUnitIds', OU_OR_ROOT,
      'an organizational unit id ("ou-" then two groups of lower-case letters and digits, for example "ou-ab12-cdef3456") or the root id ("r-ab12")');
    const regions = checkList(props.regions, 'regions', REGION, 'a Region name (for example "eu-west-1")');
    const accountIds = props.accountIds === undefined ? undefined
      : checkList(props.accountIds, 'accountIds', ACCOUNT_ID, 'a 12-digit AWS account id');
    const filter = props.accountFilter;
    if (filter !== undefined && !Object.values(StackSetAccountFilter).includes(filter)) {
      throw new Error(`accountFilter is ${JSON.stringify(filter)}; use StackSetAccountFilter.INTERSECTION, DIFFERENCE or UNION.`);
    }
    if (filter !== undefined && accountIds === undefined) {
      throw new Error(`accountFilter ${filter} needs accountIds: list the accounts it applies to, or remove accountFilter.`);
    }
    const callAs = props.callAs ?? StackSetCallAs.SELF;
    if (!Object.values(StackSetCallAs).includes(callAs)) {
      throw new Error(`callAs is ${JSON.stringify(callAs)}; use StackSetCallAs.SELF or StackSetCallAs.DELEGATED_ADMIN.`);
    }
    const management = this.managementAccount(props.managementAccountId, callAs, stack);
    const excludesListed = filter === StackSetAccountFilter.DIFFERENCE;
    if (accountIds && management && !excludesListed && accountIds.includes(management)) {
      throw new Error(`accountIds lists ${management}, the organization's management account: service-managed StackSets never deploy there. Monitor it with an ordinary stack (CisTrail with isOrganizationTrail and CisMonitoring) and remove it from accountIds.`);
    }
    const maxConcurrent = checkPercentage(props.maxConcurrentPercentage, 'maxConcurrentPercentage', 1, 25);
    const tolerance = checkPercentage(props.failureTolerancePercentage, 'failureTolerancePercentage', 0, 0);
    const regionConcurrency = props.regionConcurrency ?? StackSetRegionConcurrency.SEQUENTIAL;
    if (!Object.values(StackSetRegionConcurrency).includes(regionConcurrency)) {
      throw new Error(`regionConcurrency is ${JSON.stringify(regionConcurrency)}; use StackSetRegionConcurrency.SEQUENTIAL or PARALLEL.`);
    }
    const autoDeployment = checkBoolean(props.autoDeployment, 'autoDeployment', true);
    const retain = checkBoolean(props.retainStacksOnAccountRemoval, 'retainStacksOnAccountRemoval', true);
    if (!autoDeployment && props.retainStacksOnAccountRemoval !== undefined) {
      throw new Error('retainStacksOnAccountRemoval only applies with autoDeployment (an account that leaves an organizational unit is only removed by auto-deployment). Remove it or turn autoDeployment on.');
    }
    const stackSetName = props.stackSetName ?? defaultStackSetName(stack, id);
    if (!Token.isUnresolved(stackSetName) && !STACK_SET_NAME.test(stackSetName)) {
      throw new Error(`stackSetName "${stackSetName}" is invalid: start with a letter and use letters, digits and hyphens, at most 128 characters (for example "cis-monitoring-members").`);
    }
    const delivery = props.templateDelivery ?? MemberTemplateDelivery.AUTO;
    if (!Object.values(MemberTemplateDelivery).includes(delivery)) {
      throw new Error(`templateDelivery is ${JSON.stringify(delivery)}; use MemberTemplateDelivery.AUTO, TEMPLATE_BODY or S3_ASSET.`);
    }

    const monitoring = checkMemberMonitoring(props.monitoring, props.memberLogGroupName, regions);
    const forward = checkForwarding(props.securityAccountId, props.securityEventBusName, management, props.heartbeatInterval);
    const audit = checkEvidenceAudit(props.evidenceReporterAccountId, props.organizationId);
    const member = this.synthesizeMember(monitoring, props.memberLogGroupName, forward, audit);
    this.memberControls = member.controls;
    this.memberTemplateBody = member.body;
    this.memberTemplateSize = Buffer.byteLength(member.body, 'utf8');

    const fits = this.memberTemplateSize <= MAX_TEMPLATE_BODY_BYTES;
    if (delivery === MemberTemplateDelivery.TEMPLATE_BODY && !fits) {
      throw new Error(`The member template is ${this.memberTemplateSize} bytes; CloudFormation takes at most ${MAX_TEMPLATE_BODY_BYTES} inline (TemplateBody). Shrink the member configuration (dashboard: false, fewer scanners or controls, alarmDescription.includeInsightsQuery: false) or use templateDelivery: MemberTemplateDelivery.S3_ASSET.`);
    }
    this.inlineTemplate = delivery === MemberTemplateDelivery.TEMPLATE_BODY || (delivery === MemberTemplateDelivery.AUTO && fits);

    let templateUrl: string | undefined;
    if (!this.inlineTemplate) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-member-template-'));
      const file = path.join(dir, 'member.template.json');
      fs.writeFileSync(file, member.body);
      templateUrl = new s3assets.Asset(this, 'MemberTemplate', { path: file }).httpUrl;
    }

    this.stackSet = new CfnStackSet(this, 'StackSet', {
      stackSetName,
      description: `CIS AWS Foundations Benchmark monitoring (${member.controls.length} controls) in every member account`,
      permissionModel: 'SERVICE_MANAGED',
      callAs,
      autoDeployment: { enabled: autoDeployment, retainStacksOnAccountRemoval: autoDeployment ? retain : undefined },
      capabilities: member.capabilities.length > 0 ? member.capabilities : undefined,
      managedExecution: { Active: true },
      operationPreferences: {
        maxConcurrentPercentage: maxConcurrent,
        failureTolerancePercentage: tolerance,
        regionConcurrencyType: regionConcurrency,
      },
      stackInstancesGroup: [{
        regions,
        deploymentTargets: {
          organizationalUnitIds: ous,
          accounts: accountIds,
          accountFilterType: accountIds ? (filter ?? StackSetAccountFilter.INTERSECTION) : undefined,
        },
      }],
      templateBody: this.inlineTemplate ? member.body : undefined,
      templateUrl,
    });
  }

  /** The management account, checked against where the stack is deployed. */
  private managementAccount(given: string | undefined, callAs: StackSetCallAs, stack: Stack): string | undefined {
    if (given !== undefined && (typeof given !== 'string' || Token.isUnresolved(given) || !ACCOUNT_ID.test(given))) {
      throw new Error(`managementAccountId must be the 12-digit id of the organization's management account, got ${describeValue(given)}.`);
    }
    const here = Token.isUnresolved(stack.account) ? undefined : stack.account;
    if (given && here && callAs === StackSetCallAs.SELF && here !== given) {
      throw new Error(`The stack is in account ${here}, not in the management account ${given}: with callAs SELF the StackSet must be created in the management account. Deploy the stack there, or from a delegated StackSets administrator with callAs: StackSetCallAs.DELEGATED_ADMIN.`);
    }
    if (given && here && callAs === StackSetCallAs.DELEGATED_ADMIN && here === given) {
      throw new Error(`callAs is DELEGATED_ADMIN but the stack is in the management account ${given}, which cannot be a delegated administrator. Use callAs: StackSetCallAs.SELF.`);
    }
    return given ?? (callAs === StackSetCallAs.SELF ? here : undefined);
  }

  /** The member stack in an app of its own: environment-agnostic and asset-free. */
  private synthesizeMember(
    monitoring: CisMonitoringProps, logGroupName: string | undefined, forward: Forwarding | undefined, audit: EvidenceAudit | undefined,
  ) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-member-'));
    const app = new App({
      outdir,
      analyticsReporting: false,
      context: { 'aws:cdk:enable-path-metadata': false, 'aws:cdk:disable-stack-trace': true },
    });
    // No bootstrap stack in the members: any asset is an error here.
    const member = new Stack(app, 'CisMonitoringMember', { synthesizer: new BootstraplessSynthesizer() });
    const cis = new CisMonitoring(member, 'Cis', {
      ...monitoring,
      logGroup: logGroupName ? logs.LogGroup.fromLogGroupName(member, 'TrailLogGroup', logGroupName) : undefined,
    });
    if (forward) forwardToSecurityAccount(member, cis, forward);
    if (audit) addEvidenceAuditRole(member, audit.reporterAccountId, audit.organizationId);
    let assembly;
    try {
      assembly = app.synth();
    } catch (e) {
      throw new Error(`The member stack cannot be synthesized for a StackSet: ${(e as Error).message}`);
    }
    const artifact = assembly.getStackArtifact(member.artifactId);
    for (const m of artifact.messages) {
      const text = String(m.entry.data);
      if (m.level === 'error') throw new Error(`The member stack has an error: ${text}`);
      if (m.level === 'warning') {
        const ack = /\[ack: ([^\]]+)\]$/.exec(text);
        Annotations.of(this).addWarningV2(ack ? ack[1] : 'cdk-cis-monitoring:memberStack', `Member stack: ${text.replace(/\s*\[ack: [^\]]+\]$/, '')}`);
      }
    }
    const template = artifact.template;
    fs.rmSync(outdir, { recursive: true, force: true });
    stripNagMetadata(template);
    compactLabels(template);
    compactJoins(template);
    const body = JSON.stringify(template);
    const problems = memberTemplateProblems(body);
    if (problems.length > 0) {
      throw new Error(`The member template cannot be deployed by a StackSet: ${problems.join('; ')}. Remove the option that brings it in.`);
    }
    const resources = Object.values((template.Resources ?? {}) as { [id: string]: { Type: string; Properties?: { [p: string]: unknown } } });
    const iamResources = resources.filter(r => r.Type.startsWith('AWS::IAM::'));
    const capabilities = iamResources.length === 0 ? [] : iamResources.some(r => r.Properties?.RoleName !== undefined) ? ['CAPABILITY_NAMED_IAM'] : ['CAPABILITY_IAM'];
    return { body, controls: cis.controls, capabilities };
  }
}

/** What keeps a template from being deployed by a StackSet (internal; empty when none). */
function memberTemplateProblems(body: string): string[] {
  const problems: string[] = [];
  if (/AssetParameters|"aws:asset:/.test(body)) problems.push('it refers to assets (Lambda code or Docker images), which do not travel with a StackSet; use inline code');
  if (body.includes('Fn::ImportValue')) problems.push('it imports values of other stacks (Fn::ImportValue), which do not exist in member accounts');
  if (/BootstrapVersion/.test(body)) problems.push('it needs the CDK bootstrap stack');
  return problems;
}

function checkList(value: unknown, prop: string, pattern: RegExp, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`${prop} must be a non-empty list, got ${describeValue(value)}.`);
  }
  const seen = new Set<string>();
  value.forEach((v, i) => {
    if (typeof v !== 'string' || Token.isUnresolved(v) || !pattern.test(v)) {
      throw new Error(`${prop}[${i}] must be ${what}, got ${describeValue(v)}.`);
    }
    if (seen.has(v)) throw new Error(`${prop} lists "${v}" twice; remove one.`);
    seen.add(v);
  });
  return [...value];
}

function checkPercentage(value: unknown, prop: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 100) {
    throw new Error(`${prop} must be a whole number from ${min} to 100, got ${describeValue(value)}.`);
  }
  return value;
}

function checkBoolean(value: unknown, prop: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`${prop} must be true or false, got ${describeValue(value)}.`);
  return value;
}

function defaultStackSetName(stack: Stack, id: string): string {
  const base = Token.isUnresolved(stack.stackName) ? id : `${stack.stackName}-${id}`;
  return base.replace(/[^A-Za-z0-9-]/g, '-').replace(/^[^A-Za-z]+/, '').slice(0, 128) || 'cis-monitoring-members';
}

/** The member's CisMonitoring options: plain data only; the dashboard off unless asked for. */
function checkMemberMonitoring(monitoring: CisMonitoringProps | undefined, logGroupName: string | undefined, regions: string[]): CisMonitoringProps {
  const m = monitoring ?? {};
  if (m === null || typeof m !== 'object' || Array.isArray(m)) {
    throw new Error(`monitoring must be CisMonitoringProps (plain data), got ${describeValue(m)}.`);
  }
  for (const [prop, fix] of Object.entries(CONSTRUCT_PROPS)) {
    const v = (m as { [k: string]: unknown })[prop];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) {
      throw new Error(`monitoring.${prop} cannot be used in a StackSet member stack: it refers to resources of this app, which do not exist in member accounts; ${fix}.`);
    }
  }
  findConstruct(m, 'monitoring');
  if (m.organizationTrail || m.trailOptions?.isOrganizationTrail) {
    throw new Error('monitoring.organizationTrail / trailOptions.isOrganizationTrail cannot be used in member stacks: the organization trail is created once, in the management account. Members monitor their own trail or memberLogGroupName.');
  }
  if (logGroupName !== undefined) {
    if (typeof logGroupName !== 'string' || Token.isUnresolved(logGroupName) || !LOG_GROUP_NAME.test(logGroupName)) {
      throw new Error(`memberLogGroupName must be a literal log group name (1-512 letters, digits and . - _ / #), got ${describeValue(logGroupName)}.`);
    }
    if (m.trailOptions) {
      throw new Error('trailOptions only apply when each member creates its own trail; remove monitoring.trailOptions or memberLogGroupName.');
    }
  } else if (regions.length > 1) {
    throw new Error(`Each member creates its own multi-Region trail, so deploying to ${regions.length} Regions (${regions.join(', ')}) would create ${regions.length} trails in every account. Give regions one Region (the trail's home Region), or give memberLogGroupName to monitor an existing log group in each Region.`);
  }
  // Members default to what keeps the template inline (TemplateBody, no S3
  // asset): no dashboard and no Insights query in the alarm descriptions.
  return {
    dashboard: false,
    ...m,
    alarmDescription: { includeInsightsQuery: false, ...m.alarmDescription },
  };
}

/** Throws when a construct hides anywhere in the options (it cannot cross into another app). */
function findConstruct(value: unknown, where: string, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 6) return;
  if (Construct.isConstruct(value)) {
    throw new Error(`${where} is a construct of this app (${value.node.path}); a StackSet member stack cannot refer to it. Use plain values.`);
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => findConstruct(v, `${where}[${i}]`, depth + 1));
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return; // class instances (controls, durations, exclusions) are data
  for (const [k, v] of Object.entries(value)) findConstruct(v, `${where}.${k}`, depth + 1);
}

/** Who may audit members for evidence. */
interface EvidenceAudit {
  readonly reporterAccountId: string;
  readonly organizationId: string;
}

function checkEvidenceAudit(accountId: unknown, organizationId: unknown): EvidenceAudit | undefined {
  if (accountId === undefined) {
    if (organizationId !== undefined) throw new Error('organizationId is only used for the evidence audit role: add evidenceReporterAccountId, or remove organizationId.');
    return undefined;
  }
  if (typeof accountId !== 'string' || Token.isUnresolved(accountId) || !ACCOUNT_ID.test(accountId)) {
    throw new Error(`evidenceReporterAccountId must be the 12-digit id of the account of CisEvidenceReporter, got ${describeValue(accountId)}.`);
  }
  if (typeof organizationId !== 'string' || Token.isUnresolved(organizationId) || !/^o-[a-z0-9]{10,32}$/.test(organizationId)) {
    throw new Error(`evidenceReporterAccountId needs organizationId, the organization's id ("o-" and 10-32 lower-case letters or digits): the audit role trusts the reporter only within it. Got ${describeValue(organizationId)}.`);
  }
  return { reporterAccountId: accountId, organizationId };
}

/** Where members forward to. */
interface Forwarding {
  readonly accountId: string;
  readonly eventBusName: string;
  readonly heartbeatInterval: Duration;
}

function checkForwarding(
  accountId: unknown, busName: unknown, management: string | undefined, heartbeatInterval: Duration | undefined,
): Forwarding | undefined {
  if (accountId === undefined) {
    if (busName !== undefined) throw new Error(`securityEventBusName ${JSON.stringify(busName)} needs securityAccountId, the account that owns the bus. Add it or remove securityEventBusName.`);
    if (heartbeatInterval !== undefined) throw new Error('heartbeatInterval needs securityAccountId: heartbeats go to the security account\'s bus. Add securityAccountId or remove heartbeatInterval.');
    return undefined;
  }
  if (typeof accountId !== 'string' || Token.isUnresolved(accountId) || !ACCOUNT_ID.test(accountId)) {
    throw new Error(`securityAccountId must be the 12-digit id of the security account, got ${describeValue(accountId)}.`);
  }
  if (accountId === management) {
    throw new Error(`securityAccountId ${accountId} is the management account; central alerting belongs in a separate security (audit) account. Deploy CisSecurityAccount there and give its id.`);
  }
  const name = busName ?? 'cis-monitoring';
  if (typeof name !== 'string' || Token.isUnresolved(name) || !/^[A-Za-z0-9._-]{1,256}$/.test(name) || name === 'default') {
    throw new Error(`securityEventBusName must be the name of the security account's bus (1-256 letters, digits or . - _, not "default"), got ${describeValue(name)}.`);
  }
  return { accountId, eventBusName: name, heartbeatInterval: checkHeartbeatInterval(heartbeatInterval, 'heartbeatInterval') };
}

/**
 * In the member stack: one rule that sends the state changes of this stack's
 * CIS alarms, the real-time rules' matched events, and a heartbeat on a
 * schedule, to the security account's bus in the same Region (Region and
 * partition stay tokens). What EventBridge cannot deliver (a wrong account or
 * bus name, a bus policy that refuses it) ends in a dead-letter queue whose
 * alarm notifies the member's own topic; the security account notices the
 * missing heartbeats.
 */
function forwardToSecurityAccount(member: Stack, cis: CisMonitoring, forward: Forwarding): void {
  // Fn::Sub and an inline role policy: the same template, about 400 bytes shorter than
  // Fn::Join ARNs and a separate AWS::IAM::Policy (the 51,200 bytes of a TemplateBody are tight).
  const arn = Fn.sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:${forward.accountId}:event-bus/${forward.eventBusName}`);
  const bus = events.EventBus.fromEventBusArn(member, 'SecurityAccountBus', arn);
  const role = new iam.Role(member, 'ForwardRole', {
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
    inlinePolicies: { PutEvents: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [arn] })] }) },
  });
  const deadLetters = alertDeadLetterQueue(member, 'ForwardDeadLetters');
  const target = new targets.EventBus(bus, { role: role.withoutPolicyUpdates(), deadLetterQueue: deadLetters.forTargets });
  const first = cis.alarms[0].node.defaultChild as cloudwatch.CfnAlarm;
  const prefix = String(first.alarmName).slice(0, -cis.controls[0].key.length);
  new events.Rule(member, 'ForwardAlarmStateChanges', {
    description: 'CIS alarm state changes to the security account',
    eventPattern: {
      source: ['aws.cloudwatch'],
      detailType: ['CloudWatch Alarm State Change'],
      detail: { alarmName: [{ prefix }] },
    },
    targets: [target],
  });
  for (const rule of cis.eventRules?.rules ?? []) rule.addTarget(target);
  new events.Rule(member, 'Heartbeat', {
    description: 'CIS heartbeat to the security account',
    schedule: events.Schedule.rate(forward.heartbeatInterval),
    targets: [target],
  });
  // Its name starts with the prefix above, so its own state changes are forwarded too when the path works again.
  createAlertPathAlarm(member, 'ForwardDeadLettersAlarm', {
    alarmName: `${prefix}forward-dead-letters`,
    description: `CIS alerts could not be forwarded to the security account ${forward.accountId} (bus ${forward.eventBusName}). Fix the cause, then redrive this stack's dead-letter queue.`,
    metric: deadLetters.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    topic: cis.topic,
  });
}

/**
 * Shortens the labels (`cdk-cis-monitoring` metadata) to what readers need:
 * the control and role everywhere, the benchmark version on the alarms only
 * (`audit --template` reads it from any one resource), no CIS id (the
 * catalog has it). About 1.4 KB of the 51,200 a `TemplateBody` may have.
 */
function compactLabels(template: { Resources?: { [id: string]: { Type?: string; Metadata?: { [key: string]: unknown } } } }): void {
  for (const resource of Object.values(template.Resources ?? {})) {
    const label = resource.Metadata?.[LABEL_METADATA_KEY] as { [k: string]: unknown } | undefined;
    if (!label || typeof label !== 'object') continue;
    delete label.cisId;
    if (resource.Type !== 'AWS::CloudWatch::Alarm') delete label.benchmark;
  }
}

/**
 * Drops the `cdk_nag` suppression metadata: only cdk-nag reads it, at synth
 * time, and in a StackSet template it costs bytes of the 51,200 a
 * `TemplateBody` may have (about 2.7 KB for the default member).
 */
function stripNagMetadata(template: { Resources?: { [id: string]: { Metadata?: { [key: string]: unknown } } } }): void {
  for (const resource of Object.values(template.Resources ?? {})) {
    if (!resource.Metadata || !('cdk_nag' in resource.Metadata)) continue;
    delete resource.Metadata.cdk_nag;
    if (Object.keys(resource.Metadata).length === 0) delete resource.Metadata;
  }
}
