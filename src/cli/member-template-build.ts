/**
 * `cis-monitoring member-template`: the StackSet member template of
 * `CisOrganizationRollout`, as plain CloudFormation for Customizations for
 * Control Tower (CfCT) and Landing Zone Accelerator (LZA), which deploy
 * templates from S3 themselves. Kept apart from the command module because it
 * loads aws-cdk-lib (a peer dependency), which the other commands do not need.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CisBenchmarkVersion, CisControl } from '../catalog';
import { describeValue } from '../catalog/selection';
import { CisMonitoringProps, ControlOverrideOptions } from '../cis-monitoring';
import { Exclusion } from '../exclusions';
import { CisOrganizationRollout, CisOrganizationRolloutProps } from '../organization';
import { UsageError } from '../replay/event-source';
import { Scanner } from '../scanners';
import { CisSeverity } from '../severity';

/** Which template: the member stack, or the rules-only us-east-1 member of `globalServiceEventRules`. */
export type MemberTemplatePart = 'member' | 'global-events';

/** What the command was asked for: a props file, flags, or both (flags win). */
export interface MemberTemplateRequest {
  /** A JSON file of `CisOrganizationRolloutProps`. */
  readonly propsFile?: string;
  readonly benchmark?: string;
  readonly logGroup?: string;
  readonly emails?: string[];
  readonly securityAccount?: string;
  readonly securityBus?: string;
  readonly heartbeatMinutes?: string;
  readonly securityAccountSubscription?: boolean;
  readonly memberTopicName?: string;
  readonly realtimeRules?: boolean;
  readonly globalServiceEventRules?: boolean;
  readonly alarmNamePrefix?: string;
  readonly part: MemberTemplatePart;
}

/** The template and what synthesis said about it. */
export interface MemberTemplateResult {
  /** Minified JSON: exactly what the StackSet would deploy. */
  readonly body: string;
  readonly size: number;
  /** Warnings of the rollout (its member stack's included), without their `[ack: ...]` tag. */
  readonly warnings: string[];
  /** The control keys every member monitors. */
  readonly controls: string[];
}

/** Placeholders for what only says where the template goes (CfCT's manifest and LZA's config say that). */
const PLACEHOLDER_OU = 'r-cfct';

/** Builds the template in an app of its own (a temporary cloud assembly, removed afterwards). */
export function buildMemberTemplate(request: MemberTemplateRequest): MemberTemplateResult {
  const fromFile: Partial<CisOrganizationRolloutProps> = request.propsFile === undefined ? {} : readPropsFile(request.propsFile);
  const props = withFlags(fromFile, request);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-member-template-'));
  try {
    const app = new App({ outdir, analyticsReporting: false, context: { 'aws:cdk:disable-stack-trace': true } });
    // Environment-agnostic: the member template never names the management account or a Region.
    const stack = new Stack(app, 'CisMemberTemplate');
    let rollout: CisOrganizationRollout;
    try {
      rollout = new CisOrganizationRollout(stack, 'Members', props);
    } catch (e: any) {
      throw new UsageError(e?.message ?? String(e));
    }
    let assembly;
    try {
      assembly = app.synth();
    } catch (e: any) {
      throw new UsageError(e?.message ?? String(e));
    }
    const artifact = assembly.getStackArtifact(stack.artifactId);
    const errors = artifact.messages.filter(m => m.level === 'error').map(m => String(m.entry.data));
    if (errors.length > 0) throw new UsageError(`the member stack has errors: ${errors.join('; ')}`);
    const warnings = artifact.messages.filter(m => m.level === 'warning').map(m => String(m.entry.data).replace(/\s*\[ack: [^\]]+\]$/, ''));
    const body = request.part === 'global-events' ? rollout.globalEventsTemplateBody : rollout.memberTemplateBody;
    if (body === undefined) {
      throw new UsageError('--part global-events needs the rules-only us-east-1 member: give --global-service-event-rules (or "globalServiceEventRules": true) with --realtime-rules and regions without us-east-1.');
    }
    return { body, size: Buffer.byteLength(body, 'utf8'), warnings, controls: rollout.memberControls.map(c => c.key) };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function readPropsFile(file: string): Partial<CisOrganizationRolloutProps> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e: any) {
    throw new UsageError(`--props: cannot read ${file}: ${e?.code ?? e?.message ?? e}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e: any) {
    throw new UsageError(`--props: ${file} is not JSON: ${e?.message ?? e}`);
  }
  return rolloutPropsFromJson(json, `--props ${path.basename(file)}`);
}

/** The flags over the file's props, with placeholders for where the template goes when neither says. */
function withFlags(base: Partial<CisOrganizationRolloutProps>, r: MemberTemplateRequest): CisOrganizationRolloutProps {
  const monitoring: { -readonly [K in keyof CisMonitoringProps]: CisMonitoringProps[K] } = { ...base.monitoring };
  if (r.benchmark !== undefined) monitoring.benchmarkVersion = version(r.benchmark, '--benchmark');
  if (r.emails !== undefined && r.emails.length > 0) monitoring.emailAddresses = [...(monitoring.emailAddresses ?? []), ...r.emails];
  if (r.realtimeRules) monitoring.realtimeRules = true;
  if (r.alarmNamePrefix !== undefined) monitoring.alarmNamePrefix = r.alarmNamePrefix;
  let heartbeatInterval = base.heartbeatInterval;
  if (r.heartbeatMinutes !== undefined) {
    if (!/^\d+$/.test(r.heartbeatMinutes)) throw new UsageError(`--heartbeat-minutes must be a whole number of minutes, got "${r.heartbeatMinutes}".`);
    heartbeatInterval = Duration.minutes(Number(r.heartbeatMinutes));
  }
  const globalEvents = r.globalServiceEventRules || base.globalServiceEventRules;
  return {
    ...base,
    organizationalUnitIds: base.organizationalUnitIds ?? [PLACEHOLDER_OU],
    // A member with its own trail needs one Region; the rules-only member needs one other than us-east-1.
    regions: base.regions ?? [globalEvents ? 'eu-west-1' : 'us-east-1'],
    monitoring,
    ...(r.logGroup !== undefined ? { memberLogGroupName: r.logGroup } : {}),
    ...(r.securityAccount !== undefined ? { securityAccountId: r.securityAccount } : {}),
    ...(r.securityBus !== undefined ? { securityEventBusName: r.securityBus } : {}),
    ...(heartbeatInterval !== undefined ? { heartbeatInterval } : {}),
    ...(r.securityAccountSubscription ? { securityAccountSubscription: true } : {}),
    ...(r.memberTopicName !== undefined ? { memberTopicName: r.memberTopicName } : {}),
    ...(r.globalServiceEventRules ? { globalServiceEventRules: true } : {}),
  };
}

// ---------------------------------------------------------------------------
// CisOrganizationRolloutProps from JSON: plain values as the construct takes
// them; benchmark versions, controls, scanners and severities by name;
// durations as ISO 8601 ("PT15M"); exclusions as { "roleName": "..." } objects.
// ---------------------------------------------------------------------------

type Json = { [key: string]: unknown };

/** Rollout properties whose JSON value is the construct's value as it is (the construct checks it). */
const PLAIN_ROLLOUT_KEYS = [
  'organizationalUnitIds', 'regions', 'memberLogGroupName', 'accountIds', 'accountFilter', 'managementAccountId', 'callAs',
  'autoDeployment', 'retainStacksOnAccountRemoval', 'maxConcurrentPercentage', 'failureTolerancePercentage', 'regionConcurrency',
  'stackSetName', 'templateDelivery', 'securityAccountId', 'securityEventBusName', 'globalServiceEventRules',
  'securityAccountSubscription', 'memberTopicName', 'evidenceReporterAccountId', 'organizationId',
];
const PLAIN_MONITORING_KEYS = [
  'metricNamespace', 'alarmNamePrefix', 'emailAddresses', 'notifyOnOk', 'precisePagingAlarms', 'dashboard', 'realtimeRules', 'investigationQueries',
];
/** Monitoring properties that hold constructs of an app: a member stack refuses them (the construct says why). */
const CONSTRUCT_MONITORING_KEYS = ['logGroup', 'topic', 'complianceTopic', 'subscriptions', 'additionalAlarmActions', 'chatDelivery', 'severityRoutes', 'dashboardOptions', 'extendedDetections'];
const EXCLUSION_KINDS = ['roleName', 'principalArn', 'userAgent', 'sourceIp', 'eventName'] as const;

/** `CisOrganizationRolloutProps` from a parsed JSON value; throws UsageError naming the property, the value and the fix. */
export function rolloutPropsFromJson(value: unknown, where: string): Partial<CisOrganizationRolloutProps> {
  const json = object(value, where);
  const out: Json = {};
  for (const [key, v] of Object.entries(json)) {
    const at = `${where}: ${key}`;
    if (PLAIN_ROLLOUT_KEYS.includes(key)) out[key] = v;
    else if (key === 'heartbeatInterval') out[key] = duration(v, at);
    else if (key === 'monitoring') out[key] = monitoringFromJson(v, at);
    else throw new UsageError(`${where}: unknown property "${key}"; CisOrganizationRolloutProps has ${[...PLAIN_ROLLOUT_KEYS, 'heartbeatInterval', 'monitoring'].join(', ')}.`);
  }
  return out as Partial<CisOrganizationRolloutProps>;
}

function monitoringFromJson(value: unknown, where: string): CisMonitoringProps {
  const json = object(value, where);
  const out: Json = {};
  for (const [key, v] of Object.entries(json)) {
    const at = `${where}.${key}`;
    if (PLAIN_MONITORING_KEYS.includes(key)) {out[key] = v;} else if (key === 'benchmarkVersion') {out[key] = version(v, at);} else if (key === 'controls' || key === 'excludeControls') {out[key] = list(v, at).map((c, i) => control(c, `${at}[${i}]`));} else if (key === 'scanners') {out[key] = list(v, at).map((s, i) => enumValue(s, Object.values(Scanner), `${at}[${i}]`));} else if (key === 'severityOverrides') {out[key] = list(v, at).map((o, i) => severityOverride(o, `${at}[${i}]`));} else if (key === 'controlOverrides') {out[key] = list(v, at).map((o, i) => controlOverride(o, `${at}[${i}]`));} else if (key === 'exclusions') {out[key] = list(v, at).map((e, i) => exclusion(e, `${at}[${i}]`));} else if (key === 'alarmDescription') {out[key] = fields(v, at, ['tags', 'runbookUrl', 'includeInsightsQuery']);} else if (key === 'trailOptions') {out[key] = trailOptions(v, at);} else if (CONSTRUCT_MONITORING_KEYS.includes(key)) {
      throw new UsageError(`${at}: a member stack cannot use it (it refers to resources of an app, which do not exist in member accounts); leave it out.`);
    } else {
      throw new UsageError(`${where}: unknown property "${key}" of CisMonitoringProps in a JSON file; supported: ${[...PLAIN_MONITORING_KEYS, 'benchmarkVersion', 'controls', 'excludeControls', 'scanners', 'severityOverrides', 'controlOverrides', 'exclusions', 'alarmDescription', 'trailOptions'].join(', ')}.`);
    }
  }
  return out as CisMonitoringProps;
}

function trailOptions(value: unknown, where: string): Json {
  const json = fields(value, where, ['trailName', 'logRetention']);
  if (json.logRetention !== undefined && !(Object.values(RetentionDays) as unknown[]).includes(json.logRetention)) {
    throw new UsageError(`${where}.logRetention must be a number of days CloudWatch Logs offers (for example 365), got ${describeValue(json.logRetention)}.`);
  }
  return json;
}

function severityOverride(value: unknown, where: string) {
  const json = fields(value, where, ['control', 'severity']);
  return { control: control(json.control, `${where}.control`), severity: enumValue(json.severity, Object.values(CisSeverity), `${where}.severity`) };
}

function controlOverride(value: unknown, where: string): ControlOverrideOptions {
  const json = fields(value, where, ['control', 'period', 'threshold', 'evaluationPeriods']);
  return {
    control: control(json.control, `${where}.control`),
    ...(json.period !== undefined ? { period: duration(json.period, `${where}.period`) } : {}),
    ...(json.threshold !== undefined ? { threshold: json.threshold as number } : {}),
    ...(json.evaluationPeriods !== undefined ? { evaluationPeriods: json.evaluationPeriods as number } : {}),
  };
}

function exclusion(value: unknown, where: string): Exclusion {
  const json = fields(value, where, [...EXCLUSION_KINDS, 'jsonField', 'controls']);
  const kinds = [...EXCLUSION_KINDS, 'jsonField'].filter(k => json[k] !== undefined);
  if (kinds.length !== 1) {
    throw new UsageError(`${where} must have exactly one of ${[...EXCLUSION_KINDS, 'jsonField'].join(', ')} (for example { "roleName": "ci-deployer" }), got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}.`);
  }
  const options = json.controls === undefined ? {} : { controls: list(json.controls, `${where}.controls`).map((c, i) => control(c, `${where}.controls[${i}]`)) };
  try {
    if (kinds[0] === 'jsonField') {
      const f = fields(json.jsonField, `${where}.jsonField`, ['selector', 'value']);
      return Exclusion.jsonField(f.selector as string, f.value as string, options);
    }
    return (Exclusion as unknown as Record<string, (v: string, o: object) => Exclusion>)[kinds[0]](json[kinds[0]] as string, options);
  } catch (e: any) {
    throw new UsageError(`${where}: ${e?.message ?? e}`);
  }
}

function object(value: unknown, where: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${where} must be a JSON object, got ${describeValue(value)}.`);
  return value as Json;
}

function fields(value: unknown, where: string, allowed: readonly string[]): Json {
  const json = object(value, where);
  const unknown = Object.keys(json).filter(k => !allowed.includes(k));
  if (unknown.length > 0) throw new UsageError(`${where}: unknown property "${unknown[0]}"; allowed: ${allowed.join(', ')}.`);
  return json;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new UsageError(`${where} must be a JSON array, got ${describeValue(value)}.`);
  return value;
}

function version(value: unknown, where: string): CisBenchmarkVersion {
  if (typeof value !== 'string') throw new UsageError(`${where} must be a CIS benchmark version such as "7.0.0", got ${describeValue(value)}.`);
  try {
    return CisBenchmarkVersion.of(value);
  } catch (e: any) {
    throw new UsageError(`${where}: ${e?.message ?? e}`);
  }
}

function control(value: unknown, where: string): CisControl {
  if (typeof value !== 'string') throw new UsageError(`${where} must be a control key such as "root-account-usage", got ${describeValue(value)}.`);
  try {
    return CisControl.fromKey(value);
  } catch (e: any) {
    throw new UsageError(`${where}: ${e?.message ?? e}`);
  }
}

function enumValue<T extends string>(value: unknown, values: T[], where: string): T {
  if (typeof value !== 'string' || !(values as string[]).includes(value)) {
    throw new UsageError(`${where} must be one of ${values.join(', ')}, got ${describeValue(value)}.`);
  }
  return value as T;
}

function duration(value: unknown, where: string): Duration {
  if (typeof value !== 'string') throw new UsageError(`${where} must be an ISO 8601 duration such as "PT15M", got ${describeValue(value)}.`);
  try {
    return Duration.parse(value);
  } catch (e: any) {
    throw new UsageError(`${where} must be an ISO 8601 duration such as "PT15M", got ${describeValue(value)}.`);
  }
}
