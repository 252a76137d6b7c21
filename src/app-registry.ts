import { Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { MAX_METRIC_FILTERS_PER_LOG_GROUP, MAX_REGEX_FILTERS_PER_LOG_GROUP } from './quotas';

/**
 * Tracks, per CDK app, what every CisMonitoring instance publishes, so that
 * two instances cannot silently merge their metrics or overflow a log group.
 * Keyed on the app root so separate apps (and separate tests) never interfere.
 */
interface AppState {
  readonly metrics: Map<string, string>;
  readonly filtersPerLogGroup: Map<string, { count: number; regex: number }>;
}

const STATE = new WeakMap<IConstruct, AppState>();

/**
 * Set on a stack whose registry is its own rather than the app's: a StackSet
 * member stack stands for every member account, not for the app's
 * environment-agnostic stacks (internal).
 */
export const SEPARATE_REGISTRY = Symbol.for('cdk-cis-monitoring.separateRegistry');

function state(scope: IConstruct): AppState {
  const stack = Stack.of(scope);
  const root = (stack as unknown as { [k: symbol]: unknown })[SEPARATE_REGISTRY] === true ? stack : scope.node.root;
  let s = STATE.get(root);
  if (!s) {
    s = { metrics: new Map(), filtersPerLogGroup: new Map() };
    STATE.set(root, s);
  }
  return s;
}

/**
 * Where a metric or log group lives: metrics and log groups are per account
 * and region. Environment-agnostic stacks all resolve to the same pseudo
 * references, so they are (conservatively) treated as one environment.
 */
function environmentOf(scope: IConstruct): string {
  const stack = Stack.of(scope);
  return JSON.stringify([stack.resolve(stack.account), stack.resolve(stack.region)]);
}

/** Claims namespace/metricName for `owner`; throws when another construct already published it in the same account and region. */
export function claimMetric(owner: IConstruct, namespace: string, metricName: string): void {
  if (Token.isUnresolved(namespace) || Token.isUnresolved(metricName)) return;
  const key = `${environmentOf(owner)}\u0000${namespace}\u0000${metricName}`;
  const metrics = state(owner).metrics;
  const holder = metrics.get(key);
  if (holder !== undefined && holder !== owner.node.path) {
    throw new Error(`Metric "${metricName}" in namespace "${namespace}" is already published by ${holder}; ${owner.node.path} would merge its counts into the same metric and both alarms would fire for each other's events. Give one of them a different metricNamespace (for example "CISBenchmark/${owner.node.id}").`);
  }
  metrics.set(key, owner.node.path);
}

/** Identifies a log group across constructs: by name when known, else by its resolved reference. */
function logGroupKey(logGroup: logs.ILogGroup): string {
  return `${environmentOf(logGroup)} ${JSON.stringify(Stack.of(logGroup).resolve(logGroup.logGroupName))}`;
}

/** Counts metric filters (and regex-bearing ones) on a log group against the CloudWatch Logs quotas. */
export function addMetricFilters(owner: IConstruct, logGroup: logs.ILogGroup, count: number, regexBearing: number): void {
  const key = logGroupKey(logGroup);
  const perGroup = state(owner).filtersPerLogGroup;
  const current = perGroup.get(key) ?? { count: 0, regex: 0 };
  const next = { count: current.count + count, regex: current.regex + regexBearing };
  if (next.count > MAX_METRIC_FILTERS_PER_LOG_GROUP) {
    throw new Error(`${owner.node.path} would put ${next.count} metric filters on log group ${key}; CloudWatch Logs allows ${MAX_METRIC_FILTERS_PER_LOG_GROUP} per log group (not adjustable). Select fewer controls or exclusions, or use another log group.`);
  }
  if (next.regex > MAX_REGEX_FILTERS_PER_LOG_GROUP) {
    throw new Error(`${owner.node.path} would put ${next.regex} metric filters with %regex% patterns on log group ${key}; CloudWatch Logs allows ${MAX_REGEX_FILTERS_PER_LOG_GROUP}. Replace some regex values with wildcards.`);
  }
  perGroup.set(key, next);
}
