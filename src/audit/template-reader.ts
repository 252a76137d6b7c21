/**
 * Reads synthesized CloudFormation templates (a cdk.out directory or one
 * template file) into an AuditModel. Resolves Ref, Fn::GetAtt, Fn::Join and
 * simple Fn::Sub within a template, which is enough to link the trail, log
 * group, metric filters, alarms, topics and subscriptions CDK writes.
 */
import { AuditInputError } from './errors';
import { AlarmActionRef, AlarmFacts, AuditModel, EventSelectorFacts, MetricFilterFacts, ResourceRef, SubscriptionFacts, SubscriptionState, TopicFacts, TrailFacts, logGroupNameFromArn } from './model';
import { AssemblyInputError, AssemblyStack, environmentKey, readCloudAssembly, StackEnvironment, stacksByEnvironment, TemplateResolver as AssemblyResolver } from '../assembly/cloud-assembly';
import { readLabel } from '../plan/labels';

/** Protocols whose subscriptions stay pending until the endpoint's owner confirms. */
const CONFIRMATION_PROTOCOLS = new Set(['email', 'email-json', 'http', 'https']);

/** One account and Region of a synthesized app: what the scanners would see there. */
export interface TemplateTarget {
  readonly environment: StackEnvironment;
  readonly model: AuditModel;
  /**
   * The benchmark version the stacks were built for, read from the labels
   * CisMonitoring writes; undefined for templates without labels.
   */
  readonly benchmark?: string;
}

/** Resolves references to the audit's resource refs, on top of the shared resolver. */
class TemplateResolver extends AssemblyResolver {
  constructor(stack: AssemblyStack, private readonly id: string) {
    super(stack);
  }

  /** A log group reference from a name (MetricFilter.LogGroupName) or an ARN (Trail.CloudWatchLogsLogGroupArn). */
  public logGroupRef(value: unknown, isArn: boolean): ResourceRef {
    const r = this.resolve(value);
    if (r.kind === 'resource') {
      const res = this.resources[r.logicalId];
      if (res?.Type === 'AWS::Logs::LogGroup') {
        const name = this.resolve(res.Properties?.LogGroupName);
        if (name.kind === 'string' && name.exact) return { key: `name:${name.value}`, display: name.value, resolved: true };
        return { key: `template:${this.id}#${r.logicalId}`, display: `${r.logicalId} (${this.id})`, resolved: true };
      }
      return { key: `unknown:${this.id}#${r.logicalId}`, display: `${r.logicalId} (not a log group)`, resolved: false };
    }
    if (r.kind === 'string') {
      const name = isArn ? logGroupNameFromArn(r.value) : r.value;
      if (name !== undefined && !name.includes('${')) return { key: `name:${name}`, display: name, resolved: true };
      return { key: `unknown:${r.value}`, display: r.value, resolved: false };
    }
    return { key: `unknown:${r.text}`, display: r.text, resolved: false };
  }

  /** A topic reference (AlarmActions entry, Subscription.TopicArn). */
  public topicRef(value: unknown): AlarmActionRef {
    const r = this.resolve(value);
    if (r.kind === 'resource') {
      const type = this.resources[r.logicalId]?.Type;
      return { key: `template:${this.id}#${r.logicalId}`, display: `${r.logicalId} (${this.id})`, resolved: true, isSnsTopic: type === 'AWS::SNS::Topic' ? true : type === undefined ? undefined : false };
    }
    if (r.kind === 'string') {
      const isSns = /^arn:[^:]*:sns:/.test(r.value) || /:sns:/.test(r.value);
      return { key: `arn:${r.value}`, display: r.value, resolved: r.exact, isSnsTopic: isSns ? true : r.exact ? false : undefined };
    }
    return { key: `unknown:${r.text}`, display: r.text, resolved: false, isSnsTopic: undefined };
  }
}

/**
 * Reads a cdk.out directory or template file into one audit target per
 * environment (account and Region): scanners judge an account and Region, so
 * stacks of two Regions are never merged into one matrix.
 */
export function readTemplateTargets(input: string): TemplateTarget[] {
  let assembly;
  try {
    assembly = readCloudAssembly(input);
  } catch (e) {
    if (e instanceof AssemblyInputError) throw new AuditInputError(e.message);
    throw e;
  }
  return stacksByEnvironment(assembly.stacks).map(group => {
    const benchmarks = new Set<string>();
    for (const stack of group.stacks) {
      for (const r of Object.values<any>(stack.template.Resources)) {
        const label = readLabel(r);
        if (label?.benchmark) benchmarks.add(label.benchmark);
      }
    }
    const notes = [...assembly.notes];
    if (benchmarks.size > 1) notes.push(`The stacks of ${environmentKey(group.environment)} were built for several benchmark versions (${[...benchmarks].join(', ')}); the newest is used for ids and selection.`);
    const benchmark = benchmarks.size === 0 ? undefined : [...benchmarks].sort(compareVersions).pop();
    return { environment: group.environment, model: readStacks(input, group.stacks, group.environment, notes), benchmark };
  });
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** Builds the audit model of the stacks of one environment. */
function readStacks(input: string, templates: AssemblyStack[], environment: StackEnvironment, notes: string[]): AuditModel {
  const trails: TrailFacts[] = [];
  const filters: MetricFilterFacts[] = [];
  const alarms: AlarmFacts[] = [];
  const topics = new Map<string, { ref: ResourceRef; exists: boolean; subscriptions: SubscriptionFacts[] }>();
  const topicEntry = (ref: ResourceRef, exists: boolean) => {
    const entry = topics.get(ref.key) ?? { ref, exists, subscriptions: [] };
    topics.set(ref.key, entry);
    return entry;
  };

  for (const t of templates) {
    const r = new TemplateResolver(t, t.name);
    for (const [id, res] of Object.entries<any>(r.resources)) {
      const p = res?.Properties ?? {};
      const name = `${id}${templates.length > 1 ? ` (${t.name})` : ''}`;
      switch (res?.Type) {
        case 'AWS::CloudTrail::Trail':
          trails.push(readTrail(r, name, p, notes));
          break;
        case 'AWS::Logs::MetricFilter': {
          const transformation = Array.isArray(p.MetricTransformations) ? p.MetricTransformations[0] : undefined;
          const pattern = r.str(p.FilterPattern);
          if (p.FilterPattern !== undefined && pattern === undefined) notes.push(`The FilterPattern of ${name} could not be resolved; it was not checked.`);
          filters.push({
            name,
            logGroup: r.logGroupRef(p.LogGroupName, false),
            pattern: p.FilterPattern === undefined ? '' : pattern,
            metricName: r.str(transformation?.MetricName),
            metricNamespace: r.str(transformation?.MetricNamespace),
          });
          break;
        }
        case 'AWS::CloudWatch::Alarm':
          alarms.push({
            name: r.str(p.AlarmName) ?? name,
            metricName: r.str(p.MetricName),
            namespace: r.str(p.Namespace),
            actions: (Array.isArray(p.AlarmActions) ? p.AlarmActions : []).map((a: unknown) => r.topicRef(a)),
          });
          break;
        case 'AWS::SNS::Topic': {
          const entry = topicEntry(r.topicRef({ Ref: id }), true);
          entry.exists = true;
          for (const s of Array.isArray(p.Subscription) ? p.Subscription : []) entry.subscriptions.push(subscription(r, s?.Protocol, s?.Endpoint));
          break;
        }
        case 'AWS::SNS::Subscription': {
          const topic = r.topicRef(p.TopicArn);
          // Subscriptions to a topic outside the template still tell us it has a subscriber.
          topicEntry(topic, false).subscriptions.push(subscription(r, p.Protocol, p.Endpoint));
          break;
        }
        default:
          break;
      }
    }
  }
  return {
    source: 'template',
    description: (templates.length === 1 ? templates[0].name : `${input} (${templates.length} templates: ${templates.map(t => t.name).join(', ')})`)
      + (environment.account || environment.region ? ` in ${environmentKey(environment)}` : ''),
    region: environment.region,
    trailsVisible: trails.length > 0,
    trails,
    metricFilters: filters,
    alarms,
    topics: [...topics.values()].map(e => ({ ref: e.ref, exists: e.exists, subscriptions: e.subscriptions } as TopicFacts)),
    notes,
  };
}

function subscription(r: TemplateResolver, protocolValue: unknown, endpointValue: unknown): SubscriptionFacts {
  const protocol = (r.str(protocolValue) ?? 'unknown').toLowerCase();
  const endpoint = r.str(endpointValue) ?? (endpointValue === undefined ? '' : JSON.stringify(endpointValue));
  const state: SubscriptionState = CONFIRMATION_PROTOCOLS.has(protocol) ? 'pending-at-deploy' : 'confirmed-at-deploy';
  return { protocol, endpoint, state };
}

function readTrail(r: TemplateResolver, name: string, p: any, notes: string[]): TrailFacts {
  const advanced = Array.isArray(p.AdvancedEventSelectors) && p.AdvancedEventSelectors.length > 0;
  let eventSelectors: EventSelectorFacts[] | undefined;
  if (p.EventSelectors === undefined) {
    // CloudTrail's default when no selector is configured: all management events, read and write.
    eventSelectors = advanced ? [] : [{ readWriteType: 'All', includeManagementEvents: true, excludeManagementEventSources: [] }];
    if (!advanced) notes.push(`Trail ${name} sets no EventSelectors; CloudTrail's default (all management events, ReadWriteType All) was assumed.`);
  } else if (Array.isArray(p.EventSelectors)) {
    eventSelectors = p.EventSelectors.map((s: any) => ({
      readWriteType: r.str(s?.ReadWriteType) ?? (s?.ReadWriteType === undefined ? 'All' : '?'),
      includeManagementEvents: r.bool(s?.IncludeManagementEvents, true) ?? false,
      excludeManagementEventSources: Array.isArray(s?.ExcludeManagementEventSources) ? s.ExcludeManagementEventSources.map((x: unknown) => r.str(x) ?? '?') : [],
    }));
  }
  return {
    name: r.str(p.TrailName) ?? name,
    isMultiRegion: r.bool(p.IsMultiRegionTrail, false),
    isLogging: r.bool(p.IsLogging, undefined),
    eventSelectors,
    usesAdvancedSelectors: advanced,
    logGroup: p.CloudWatchLogsLogGroupArn === undefined ? undefined : r.logGroupRef(p.CloudWatchLogsLogGroupArn, true),
  };
}

