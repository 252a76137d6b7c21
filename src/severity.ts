import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CisControl } from './catalog';
import { CONTROL_ALERT_METADATA } from './catalog/control-metadata';
import { asControl, includesControl } from './catalog/selection';

/**
 * How urgently an alarm needs a human. Each control has a documented default
 * (see `CisSeverityDefaults`); override it per control and route each
 * severity to its own topic or alarm actions.
 */
export enum CisSeverity {
  /** Page immediately, day or night (default: root user activity). */
  CRITICAL = 'CRITICAL',
  /** Page during the day, investigate within the hour (default: CloudTrail, KMS, IAM, Organizations, sign-in without MFA). */
  HIGH = 'HIGH',
  /** Review within a working day (default: S3 policies, AWS Config, security groups, NACLs, gateways, VPCs). */
  MEDIUM = 'MEDIUM',
  /** Review in a batch; the signal is mostly in trends (default: denied API calls, failed sign-ins, route tables). */
  LOW = 'LOW',
  /** Record only; nobody is notified unless a route says otherwise. */
  INFORMATIONAL = 'INFORMATIONAL',
}

/** Sets one control's severity instead of its default. */
export interface SeverityOverrideOptions {
  /** The control. */
  readonly control: CisControl;
  /** Its severity. */
  readonly severity: CisSeverity;
}

/**
 * Where alarms of one severity go. Give a topic, alarm actions (a Lambda
 * function with `LambdaAction`, an OpsItem with `SsmAction`, ...), or both.
 *
 * A route replaces the construct's default actions for that severity unless
 * `includeDefaultActions` is set. Security Hub (CloudWatch.1-14) only passes
 * an alarm that notifies an SNS topic with a confirmed subscriber, so a route
 * for a compliance alarm should include a topic.
 *
 * @example
 * const routes: SeverityRouteOptions[] = [
 *   { severity: CisSeverity.CRITICAL, topic: pagerTopic, includeDefaultActions: true },
 *   { severity: CisSeverity.LOW, alarmActions: [new cloudwatchActions.SsmAction(OpsItemSeverity.LOW, OpsItemCategory.SECURITY)] },
 * ];
 */
export interface SeverityRouteOptions {
  /** The severity this route applies to. Each severity may be routed once. */
  readonly severity: CisSeverity;

  /**
   * SNS topic that alarms of this severity notify (an HTTPS endpoint, chat
   * channel or pager subscribes to it). If it is encrypted, its key must let
   * `cloudwatch.amazonaws.com` use it (not `alias/aws/sns`).
   * @default - no topic
   */
  readonly topic?: sns.ITopic;

  /**
   * Other actions alarms of this severity take in ALARM state, for example
   * `new LambdaAction(fn)` or `new SsmAction(OpsItemSeverity.HIGH, OpsItemCategory.SECURITY)`.
   * @default - none
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * Also take the construct's default actions (its topic and
   * `additionalAlarmActions`), not only this route's.
   * @default false
   */
  readonly includeDefaultActions?: boolean;
}

/** The documented default severity of each control. */
export class CisSeverityDefaults {
  /**
   * The default severity of a control (see docs/alert-quality.md for the reasoning).
   */
  public static forControl(control: CisControl): CisSeverity {
    const meta = CONTROL_ALERT_METADATA[control.key];
    if (!meta) {
      throw new Error(`No default severity is defined for control "${control.key}".`);
    }
    return toSeverity(meta.defaultSeverity);
  }

  private constructor() {}
}

/**
 * Input of `resolveSeverityActions` (internal; CisMonitoring fills it from its props).
 * @jsii ignore
 */
export interface SeverityRoutingInput {
  /** The deployed controls (overrides must name one of them). */
  readonly controls: CisControl[];
  /** Per-control severities; empty or undefined keeps the defaults. */
  readonly overrides?: SeverityOverrideOptions[];
  /** Routes per severity; a severity without a route uses the default actions. */
  readonly routes?: SeverityRouteOptions[];
}

/**
 * What one control's (paging) alarm should do (internal).
 * @jsii ignore
 */
export interface ResolvedSeverityActions {
  /** The control's effective severity. */
  readonly severity: CisSeverity;
  /** Actions for ALARM state, in order: route topic, route actions, then default actions when included. */
  readonly alarmActions: cloudwatch.IAlarmAction[];
  /** True when a route for the severity exists (false: the default actions were returned). */
  readonly routed: boolean;
  /** True when at least one action is an SNS topic notification (Security Hub requires one). */
  readonly notifiesSnsTopic: boolean;
}

const SEVERITY_VALUES = Object.values(CisSeverity) as string[];

/**
 * Checks overrides and routes once; throws on the first problem with what was
 * wrong, the value and how to fix it. `resolveSeverityActions` calls it too.
 * @jsii ignore
 */
export function validateSeverityRouting(input: SeverityRoutingInput): void {
  const seenControls = new Set<string>();
  (input.overrides ?? []).forEach((o, i) => {
    const control = asControl(o?.control, `severityOverrides[${i}].control`);
    checkSeverity(o.severity, `severityOverrides entry for "${control.key}"`);
    if (!includesControl(input.controls, control)) {
      throw new Error(`severityOverrides names "${control.key}", which is not deployed (deployed: ${input.controls.map(c => c.key).join(', ')}). Remove the override or select the control.`);
    }
    if (seenControls.has(control.key)) {
      throw new Error(`severityOverrides lists "${control.key}" twice; keep one entry per control.`);
    }
    seenControls.add(control.key);
  });
  const seenSeverities = new Set<string>();
  for (const r of input.routes ?? []) {
    checkSeverity(r.severity, 'severityRoutes entry');
    if (seenSeverities.has(r.severity)) {
      throw new Error(`severityRoutes has two routes for ${r.severity}; merge them into one route (a route takes a topic and any number of alarmActions).`);
    }
    seenSeverities.add(r.severity);
    const hasOwn = r.topic !== undefined || (r.alarmActions ?? []).length > 0;
    if (!hasOwn) {
      throw new Error(`severityRoutes entry for ${r.severity} has no topic and no alarmActions${r.includeDefaultActions ? ' (includeDefaultActions alone changes nothing)' : ''}. Give it a topic or alarmActions, or remove it to use the default actions.`);
    }
  }
}

/**
 * The effective severity of a control: its override, else its default.
 * Does not validate (call `validateSeverityRouting` first).
 * @jsii ignore
 */
export function severityOf(control: CisControl, overrides: SeverityOverrideOptions[] = []): CisSeverity {
  return overrides.find(o => o.control.key === control.key)?.severity ?? CisSeverityDefaults.forControl(control);
}

/**
 * The alarm actions of one control, from its planned severity and route:
 * the route's topic and actions (plus the default actions when the route
 * includes them), or `defaultActions` when the severity has no route.
 *
 * Pure apart from creating `SnsAction` objects (which are bound to an alarm
 * only when the alarm adds them).
 *
 * @param planned the control's severity and the route of that severity (ControlPlan)
 * @param defaultActions the construct's actions without routing (its topic and additionalAlarmActions)
 * @jsii ignore
 */
export function resolveSeverityActions(
  planned: { readonly severity: CisSeverity; readonly route?: SeverityRouteOptions },
  defaultActions: cloudwatch.IAlarmAction[],
): ResolvedSeverityActions {
  const route = planned.route;
  const actions = !route ? [...defaultActions] : [
    ...(route.topic ? [new cloudwatchActions.SnsAction(route.topic)] : []),
    ...(route.alarmActions ?? []),
    ...(route.includeDefaultActions ? defaultActions : []),
  ];
  return {
    severity: planned.severity,
    alarmActions: actions,
    routed: route !== undefined,
    notifiesSnsTopic: actions.some(a => a instanceof cloudwatchActions.SnsAction),
  };
}

/**
 * The topics a control's real-time rule notifies, following the same route
 * as its alarm: the route's topic (plus `defaultTopic` when the route
 * includes the default actions), or `defaultTopic` without a route. A route
 * with alarm actions only (Lambda, SSM) has no topic a rule could use:
 * `undefined` then tells the caller to fall back and warn.
 * @jsii ignore
 */
export function routeTopics(
  planned: { readonly route?: SeverityRouteOptions },
  defaultTopic: sns.ITopic,
): sns.ITopic[] | undefined {
  const route = planned.route;
  if (!route) return [defaultTopic];
  const topics = [...(route.topic ? [route.topic] : []), ...(route.includeDefaultActions ? [defaultTopic] : [])];
  return topics.length > 0 ? [...new Set(topics)] : undefined;
}

function checkSeverity(value: unknown, where: string): void {
  if (typeof value !== 'string' || !SEVERITY_VALUES.includes(value)) {
    throw new Error(`${where}: severity ${JSON.stringify(value)} is not a CisSeverity. Use one of ${SEVERITY_VALUES.map(v => `CisSeverity.${v}`).join(', ')}.`);
  }
}

function toSeverity(name: string): CisSeverity {
  checkSeverity(name, 'control metadata');
  return name as CisSeverity;
}
