import { Annotations, CfnResource, CfnStackSet, Duration, Fn, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { registerRollout } from './cross-checks';
import { alertDeadLetterQueue } from './dead-letters';
import { addEvidenceAuditRole } from './evidence-reporter';
import { checkHeartbeatInterval } from './heartbeat-monitor';
import { MemberTemplateDelivery, StackSetMemberStack } from './member-stack';
import { checkRegionName } from './region-names';
import { createAlertPathAlarm } from '../alarm-factory';
import { CisAlarmTopic } from '../alarm-topic';
import { CisControl } from '../catalog';
import { CONTROL_METADATA, EventRegionality, GLOBAL_EVENTS_REGION } from '../catalog/control-metadata';
import { describeValue } from '../catalog/selection';
import { CisMonitoring, CisMonitoringProps } from '../cis-monitoring';
import { Exclusion } from '../exclusions';
import { COMPLIANCE_PACKS, forPacks, suppressNagFindings } from '../nag-suppressions';
import { CisEventRules } from '../realtime';

export { MemberTemplateDelivery } from './member-stack';

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

  /**
   * Real-time rules for global-service events in us-east-1. IAM, AWS
   * Organizations, STS (global endpoint) and console sign-in events reach
   * EventBridge in us-east-1 only, so members whose `regions` leave out
   * us-east-1 never see them in their `monitoring.realtimeRules`. This adds a
   * second StackSet that deploys, to us-east-1 of the same accounts, only the
   * real-time rules of the controls whose events are recorded there (IAM
   * policy changes, Organizations changes, root usage, console sign-in
   * without MFA and its failures, unauthorized calls), with a topic of its own
   * (`emailAddresses`) and, with `securityAccountId`, the same forwarding and
   * heartbeat as the members (so the security account needs a
   * `CisSecurityAccount` in us-east-1 too). Asset-free, no trail, no metric
   * filter: the members' own trail records the events, and its alarms already
   * count them. Needs `monitoring.realtimeRules` and `regions` without us-east-1.
   * @default false (a warning says what is missed when `monitoring.realtimeRules` runs outside us-east-1)
   */
  readonly globalServiceEventRules?: boolean;

  /**
   * Let the security account subscribe a queue of its own to each member's
   * alarm topic, which Security Hub needs (CloudWatch.1-14 in a member count
   * only confirmed subscribers) and which SNS confirms by itself because the
   * queue's owner subscribes: no email confirmation in every member account.
   * Each member's topic gets the fixed name `memberTopicName` and a policy
   * statement that lets `securityAccountId` (only) subscribe SQS queues of
   * its own in the same Region; the security account's `CisSecurityAccount`
   * with `memberTopicSubscriptions` subscribes on each member's first
   * heartbeat (so it needs `memberHeartbeats`). Turning it on for existing
   * members replaces their topic (the name changes): email subscribers
   * confirm again. Needs `securityAccountId`.
   * @default false
   */
  readonly securityAccountSubscription?: boolean;

  /**
   * Name of each member's alarm topic with `securityAccountSubscription`
   * (give `CisSecurityAccount` `memberTopicSubscriptions` the same name):
   * 1-256 letters, digits, `-` and `_`, unique in every member account and Region.
   * @default 'cis-monitoring-alarms'
   */
  readonly memberTopicName?: string;
}

const OU_OR_ROOT = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
const ACCOUNT_ID = /^\d{12}$/;
const STACK_SET_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
/** The member stack's name: every member alarm name starts with `<it>-Cis-` unless `monitoring.alarmNamePrefix` says otherwise. */
const MEMBER_STACK_NAME = 'CisMonitoringMember';
const FORWARD_ROLE_REASON = 'The role allows one action (events:PutEvents) on one resource (the security account\'s bus) and belongs to this stack alone; inline, it keeps the StackSet member template within the 51,200 bytes CloudFormation takes inline.';
const FORWARD_DLQ_REASON = 'The queue is the dead-letter queue of the forward rules\' EventBridge targets (their DeadLetterConfig); cdk-nag recognizes only SQS redrive policies as dead-letter use. Its depth raises the forward-dead-letters alarm.';
/** Controls whose CloudTrail events reach EventBridge (also) in us-east-1 only. */
const GLOBAL_REGIONALITIES = [EventRegionality.GLOBAL, EventRegionality.MIXED];

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
 * CloudFormation StackSet (service-managed permissions): a member stack
 * built from `CisMonitoring`, deployed to organizational units × Regions,
 * with auto-deployment to accounts that join.
 *
 * The member stack (`memberStack`) is a stack of your app, a child of this
 * construct, environment-agnostic and asset-free, that no `cdk deploy`
 * deploys (it has no cloud-assembly artifact): the app's Aspects (permission
 * boundaries, mandatory tags, cdk-nag 2) and cdk-nag 3's validation plugins
 * see its resources like any other stack's, and its template becomes the
 * StackSet's when the app is synthesized (`memberTemplateBody`).
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
 * At synthesis it is checked against the app's `CisSecurityAccount`s (account,
 * bus name, Regions, heartbeats) and other rollouts (alarm names, metrics and
 * topic names in accounts both reach): see docs/organizations.md.
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
  /**
   * The member stack: a stack of this app (a child of this construct) whose
   * template every member account deploys. Aspects, tags and cdk-nag applied
   * to the app or to this construct reach it; apply them here to reach the
   * members only (`Aspects.of(rollout.memberStack).add(...)`). It is
   * environment-agnostic, refuses assets, and is not deployed by `cdk deploy`.
   */
  public readonly memberStack: Stack;
  /**
   * The StackSet of the rules-only us-east-1 member.
   * @default - none without `globalServiceEventRules`
   */
  public readonly globalEventsStackSet?: CfnStackSet;
  /**
   * The rules-only us-east-1 member stack (see `memberStack`).
   * @default - none without `globalServiceEventRules`
   */
  public readonly globalEventsMemberStack?: Stack;
  /** The controls every member monitors, in benchmark order. */
  public readonly memberControls: CisControl[];

  private readonly member: StackSetMemberStack;
  private readonly globalMember?: StackSetMemberStack;

  constructor(scope: Construct, id: string, props: CisOrganizationRolloutProps) {
    super(scope, id);
    if (props === null || typeof props !== 'object' || Array.isArray(props)) {
      throw new Error(`CisOrganizationRollout props must be an object (CisOrganizationRolloutProps), got ${describeValue(props)}.`);
    }
    const stack = Stack.of(this);
    const ous = checkList(props.organizationalUnitIds, 'organizationalUnitIds', OU_OR_ROOT,
      'an organizational unit id ("ou-" then two groups of lower-case letters and digits, for example "ou-ab12-cdef3456") or the root id ("r-ab12")');
    const regions = checkRegions(this, props.regions);
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
    const memberTopicName = checkSubscription(props.securityAccountSubscription, props.memberTopicName, forward);
    const globalEvents = checkGlobalEvents(this, props.globalServiceEventRules, monitoring, regions);

    this.member = new StackSetMemberStack(this, 'MemberStack', { stackName: MEMBER_STACK_NAME, owner: this, what: 'member stack', delivery });
    this.memberStack = this.member;
    if (memberTopicName) {
      // The security account's queue is the topic's confirmed subscriber (at run time, after the first heartbeat).
      const why = 'securityAccountSubscription: the security account subscribes a queue of its own, which SNS confirms by itself.';
      Annotations.of(this.member).acknowledgeWarning('cdk-cis-monitoring:emailOnly', why);
      Annotations.of(this.member).acknowledgeWarning('cdk-cis-monitoring:noSubscriber', why);
    }
    const cis = new CisMonitoring(this.member, 'Cis', {
      ...monitoring,
      logGroup: props.memberLogGroupName ? logs.LogGroup.fromLogGroupName(this.member, 'TrailLogGroup', props.memberLogGroupName) : undefined,
    });
    this.memberControls = cis.controls;
    const first = cis.alarms[0].node.defaultChild as cloudwatch.CfnAlarm;
    // Every alarm name of the member starts with it; the forward dead-letter alarm too.
    const alarmPrefix = String(first.alarmName).slice(0, -cis.controls[0].key.length);
    if (memberTopicName) {
      (cis.topic.node.defaultChild as sns.CfnTopic).topicName = memberTopicName;
      allowSecurityAccountToSubscribe(cis.topic, forward!.accountId);
    }
    if (forward) forwardToSecurityAccount(this.member, { forward, alarmPrefix, topic: cis.topic, rules: cis.eventRules?.rules ?? [] });
    if (audit) addEvidenceAuditRole(this.member, audit.reporterAccountId, audit.organizationId, regions);

    const deploymentTargets = {
      organizationalUnitIds: ous,
      accounts: accountIds,
      accountFilterType: accountIds ? (filter ?? StackSetAccountFilter.INTERSECTION) : undefined,
    };
    const common = {
      permissionModel: 'SERVICE_MANAGED',
      callAs,
      autoDeployment: { enabled: autoDeployment, retainStacksOnAccountRemoval: autoDeployment ? retain : undefined },
      managedExecution: { Active: true },
      operationPreferences: {
        maxConcurrentPercentage: maxConcurrent,
        failureTolerancePercentage: tolerance,
        regionConcurrencyType: regionConcurrency,
      },
    };
    this.stackSet = new CfnStackSet(this, 'StackSet', {
      stackSetName,
      description: `CIS AWS Foundations Benchmark monitoring (${cis.controls.length} controls) in every member account`,
      ...common,
      ...templateProperties(this.member),
      stackInstancesGroup: [{ regions, deploymentTargets }],
    });

    if (globalEvents) {
      const controls = cis.controls.filter(c => isGlobalServiceControl(c.key));
      this.globalMember = new StackSetMemberStack(this, 'GlobalEventsMemberStack', {
        stackName: `${MEMBER_STACK_NAME}GlobalEvents`, owner: this, what: `${GLOBAL_EVENTS_REGION} member stack`, delivery,
      });
      this.globalEventsMemberStack = this.globalMember;
      const topic = new CisAlarmTopic(this.globalMember, 'Topic', { displayName: 'CIS real-time alerts (global services)' }).topic;
      if (memberTopicName) {
        // The security account's us-east-1 heartbeat monitor subscribes to this topic as to the members' (no failure to report).
        (topic.node.defaultChild as sns.CfnTopic).topicName = memberTopicName;
        allowSecurityAccountToSubscribe(topic, forward!.accountId);
      }
      for (const email of monitoring.emailAddresses ?? []) topic.addSubscription(new subscriptions.EmailSubscription(email));
      const rules = new CisEventRules(this.globalMember, 'RealTime', {
        topic,
        benchmarkVersion: monitoring.benchmarkVersion,
        controls,
        exclusions: narrowExclusions(monitoring, controls),
        severityOverrides: monitoring.severityOverrides?.filter(o => controls.some(c => c.key === o.control.key)),
      });
      if (forward) forwardToSecurityAccount(this.globalMember, { forward, alarmPrefix, topic, rules: rules.rules });
      this.globalEventsStackSet = new CfnStackSet(this, 'GlobalEventsStackSet', {
        stackSetName: Token.isUnresolved(stackSetName) ? Fn.join('', [stackSetName, '-global-events']) : `${stackSetName.slice(0, 128 - '-global-events'.length)}-global-events`,
        description: `CIS real-time rules for global-service events (${controls.length} controls) in ${GLOBAL_EVENTS_REGION} of every member account`,
        ...common,
        ...templateProperties(this.globalMember),
        stackInstancesGroup: [{ regions: [GLOBAL_EVENTS_REGION], deploymentTargets }],
      });
    }

    registerRollout({
      construct: this,
      organizationalUnitIds: ous,
      accountIds,
      accountFilter: accountIds ? (filter ?? StackSetAccountFilter.INTERSECTION) : undefined,
      regions,
      globalEventsRegion: globalEvents ? GLOBAL_EVENTS_REGION : undefined,
      forward,
      alarmNamePrefix: alarmPrefix,
      metricNamespace: cis.metricNamespace,
      memberTopicName,
    });
  }

  /**
   * The member template, as the StackSet deploys it (minified JSON). Known
   * once the app is synthesized (`app.synth()`, or `Template.fromStack` of any
   * of its stacks): the member stack is synthesized with the app, after the
   * app's Aspects ran. It is also written to the cloud assembly as
   * `<member stack artifact id>.template.json` for review.
   */
  public get memberTemplateBody(): string {
    return this.member.template.body;
  }

  /** Size of the member template in bytes (UTF-8); known once the app is synthesized. */
  public get memberTemplateSize(): number {
    return this.member.template.size;
  }

  /** Whether the member template is passed inline (`TemplateBody`) rather than through an S3 asset (`TemplateURL`); known once the app is synthesized. */
  public get inlineTemplate(): boolean {
    return this.member.template.inline;
  }

  /**
   * The rules-only us-east-1 member template (minified JSON); known once the app is synthesized.
   * @default - none without `globalServiceEventRules`
   */
  public get globalEventsTemplateBody(): string | undefined {
    return this.globalMember?.template.body;
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
}

/**
 * The StackSet's template properties, filled in when the management stack is
 * synthesized: the member stack, its descendant, is synthesized before it.
 * Uncached: the app also resolves them earlier (to find references), before
 * the member template exists.
 */
function templateProperties(member: StackSetMemberStack) {
  const known = () => (member.synthesized ? member.template : undefined);
  return {
    templateBody: Lazy.uncachedString({ produce: () => (known()?.inline ? known()!.body : undefined) }),
    templateUrl: Lazy.uncachedString({ produce: () => (known()?.inline === false ? known()!.templateUrl : undefined) }),
    capabilities: Lazy.uncachedList({ produce: () => known()?.capabilities ?? [] }, { omitEmpty: true }),
  };
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

/** What a member stack forwards, and where. */
interface ForwardWiring {
  readonly forward: Forwarding;
  /** Every alarm name of this rollout's members starts with it. */
  readonly alarmPrefix: string;
  /** The member's own topic: the dead-letter alarm notifies it. */
  readonly topic: sns.ITopic;
  /** Real-time rules whose matched events are forwarded too. */
  readonly rules: events.Rule[];
}

/**
 * In a member stack: one rule that sends the state changes of the rollout's
 * CIS alarms, the real-time rules' matched events, and a heartbeat on a
 * schedule, to the security account's bus in the same Region (Region and
 * partition stay tokens). What EventBridge cannot deliver (a wrong account or
 * bus name, a bus policy that refuses it) ends in a dead-letter queue whose
 * alarm notifies the member's own topic; the security account notices the
 * missing heartbeats.
 */
function forwardToSecurityAccount(member: Stack, wiring: ForwardWiring): void {
  const { forward, alarmPrefix: prefix } = wiring;
  // Fn::Sub and an inline role policy: the same template, about 400 bytes shorter than
  // Fn::Join ARNs and a separate AWS::IAM::Policy (the 51,200 bytes of a TemplateBody are tight).
  const arn = Fn.sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:${forward.accountId}:event-bus/${forward.eventBusName}`);
  const bus = events.EventBus.fromEventBusArn(member, 'SecurityAccountBus', arn);
  const role = new iam.Role(member, 'ForwardRole', {
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
    inlinePolicies: { PutEvents: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [arn] })] }) },
  });
  suppressNagFindings(role.node.defaultChild as CfnResource, forPacks(COMPLIANCE_PACKS, 'IAMNoInlinePolicy',
    FORWARD_ROLE_REASON));
  const deadLetters = alertDeadLetterQueue(member, 'ForwardDeadLetters');
  suppressNagFindings(deadLetters.queue.node.defaultChild as CfnResource, [{ id: 'AwsSolutions-SQS3', reason: FORWARD_DLQ_REASON }]);
  const target = new targets.EventBus(bus, { role: role.withoutPolicyUpdates(), deadLetterQueue: deadLetters.forTargets });
  new events.Rule(member, 'ForwardAlarmStateChanges', {
    description: 'CIS alarm state changes to the security account',
    eventPattern: {
      source: ['aws.cloudwatch'],
      detailType: ['CloudWatch Alarm State Change'],
      detail: { alarmName: [{ prefix }] },
    },
    targets: [target],
  });
  for (const rule of wiring.rules) rule.addTarget(target);
  new events.Rule(member, 'Heartbeat', {
    description: 'CIS heartbeat to the security account',
    schedule: events.Schedule.rate(forward.heartbeatInterval),
    targets: [target],
  });
  // Its name starts with the prefix above, so its own state changes are forwarded too when the path works again.
  createAlertPathAlarm(member, 'ForwardDeadLettersAlarm', {
    alarmName: `${prefix}forward-dead-letters`,
    description: `CIS alerts not forwarded to security account ${forward.accountId} (bus ${forward.eventBusName}): fix, then inspect this stack's dead-letter queue.`,
    metric: deadLetters.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    topic: wiring.topic,
  });
}

/**
 * The member topic's policy lets the security account, and only it, subscribe
 * SQS queues of its own in the same Region (`sns:Endpoint`; an SQS ARN is an
 * endpoint of the `sqs` protocol only): a subscription its queue's owner
 * makes is confirmed by SNS at once. The account id as principal (IAM reads
 * it as the account's root) and no protocol condition keep the statement
 * short: the member template's 51,200 bytes are tight.
 */
function allowSecurityAccountToSubscribe(topic: sns.ITopic, securityAccountId: string): void {
  topic.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowSecurityAccountQueueToSubscribe',
    principals: [new iam.ArnPrincipal(securityAccountId)],
    actions: ['sns:Subscribe'],
    resources: [topic.topicArn],
    conditions: { ArnLike: { 'sns:Endpoint': Fn.sub(`arn:\${AWS::Partition}:sqs:\${AWS::Region}:${securityAccountId}:*`) } },
  }));
}

/** The Regions, checked against aws-cdk-lib's region facts; a Region it does not know is a warning. */
function checkRegions(scope: Construct, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`regions must be a non-empty list, got ${describeValue(value)}.`);
  }
  const seen = new Set<string>();
  value.forEach((v, i) => {
    if (typeof v === 'string' && Token.isUnresolved(v)) {
      throw new Error(`regions[${i}] must be a literal Region name (for example "eu-west-1"), not a token: the StackSet's Regions are fixed at synthesis.`);
    }
    const { known, nearest } = checkRegionName(v, `regions[${i}]`);
    if (!known) {
      const near = nearest && nearest.length > 0 ? ` (did you mean ${nearest.map(n => `"${n}"`).join(' or ')}?)` : '';
      Annotations.of(scope).addWarningV2('cdk-cis-monitoring:unknownRegion',
        `regions[${i}] "${v}" is not a Region the installed aws-cdk-lib knows (its region facts)${near}. If it is a new Region, acknowledge this warning; otherwise correct it (the StackSet operation would fail in it).`);
    }
    if (seen.has(v)) throw new Error(`regions lists "${v}" twice; remove one.`);
    seen.add(v);
  });
  return [...value];
}

/** The member topic's fixed name with `securityAccountSubscription`, else undefined. */
function checkSubscription(on: unknown, name: unknown, forward: Forwarding | undefined): string | undefined {
  const enabled = checkBoolean(on, 'securityAccountSubscription', false);
  if (!enabled) {
    if (name !== undefined) throw new Error('memberTopicName only applies with securityAccountSubscription: remove it, or set securityAccountSubscription: true.');
    return undefined;
  }
  if (!forward) {
    throw new Error('securityAccountSubscription needs securityAccountId: the security account is who subscribes to each member\'s topic. Add securityAccountId, or remove securityAccountSubscription.');
  }
  const topicName = name ?? 'cis-monitoring-alarms';
  if (typeof topicName !== 'string' || Token.isUnresolved(topicName) || !TOPIC_NAME.test(topicName)) {
    throw new Error(`memberTopicName must be 1-256 letters, digits, - and _ (for example "cis-monitoring-alarms"), got ${describeValue(topicName)}.`);
  }
  return topicName;
}

/** Whether the rules-only us-east-1 member is deployed; warns when member real-time rules miss global-service events. */
function checkGlobalEvents(scope: Construct, on: unknown, monitoring: CisMonitoringProps, regions: string[]): boolean {
  const enabled = checkBoolean(on, 'globalServiceEventRules', false);
  const outside = !regions.includes(GLOBAL_EVENTS_REGION);
  if (enabled) {
    if (!monitoring.realtimeRules) {
      throw new Error('globalServiceEventRules deploys the real-time rules of the global-service controls to us-east-1, but monitoring.realtimeRules is off: set monitoring.realtimeRules: true, or remove globalServiceEventRules.');
    }
    if (!outside) {
      throw new Error(`globalServiceEventRules adds a rules-only member in ${GLOBAL_EVENTS_REGION}, but regions already holds ${GLOBAL_EVENTS_REGION}, where the members run every real-time rule: remove globalServiceEventRules.`);
    }
    return true;
  }
  if (monitoring.realtimeRules && outside) {
    const global = Object.keys(CONTROL_METADATA).filter(isGlobalServiceControl);
    Annotations.of(scope).addWarningV2('cdk-cis-monitoring:memberGlobalEvents',
      `Members run real-time rules in ${regions.join(', ')}, but events of IAM, AWS Organizations, the STS global endpoint and console sign-in reach EventBridge in ${GLOBAL_EVENTS_REGION} only, so the rules of ${global.join(', ')} never see them (their alarms, fed by the multi-Region trail, still do). Set globalServiceEventRules: true to add a rules-only ${GLOBAL_EVENTS_REGION} member, or acknowledge this warning.`);
  }
  return false;
}

/** Whether a control's CloudTrail events reach EventBridge (also) in us-east-1 only. */
function isGlobalServiceControl(key: string): boolean {
  return GLOBAL_REGIONALITIES.includes(CONTROL_METADATA[key]?.regionality?.regionality ?? EventRegionality.REGIONAL);
}

/** The members' exclusions that concern the given controls, narrowed to them (an exclusion must name only deployed controls). */
function narrowExclusions(monitoring: CisMonitoringProps, controls: CisControl[]): Exclusion[] | undefined {
  if (!monitoring.exclusions) return undefined;
  const keys = new Set(controls.map(c => c.key));
  return monitoring.exclusions.flatMap(e => {
    if (!e.controls) return [e];
    const kept = e.controls.filter(c => keys.has(c.key));
    return kept.length === 0 ? [] : [e.forControls(...kept)];
  });
}
