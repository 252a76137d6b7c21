/**
 * Reads synthesized CloudFormation templates (a cdk.out directory or one
 * template file) into an AuditModel. Resolves Ref, Fn::GetAtt, Fn::Join and
 * simple Fn::Sub within a template, which is enough to link the trail, log
 * group, metric filters, alarms, topics and subscriptions CDK writes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AuditInputError } from './errors';
import { AlarmActionRef, AlarmFacts, AuditModel, EventSelectorFacts, MetricFilterFacts, ResourceRef, SubscriptionFacts, SubscriptionState, TopicFacts, TrailFacts, logGroupNameFromArn } from './model';

/** Protocols whose subscriptions stay pending until the endpoint's owner confirms. */
const CONFIRMATION_PROTOCOLS = new Set(['email', 'email-json', 'http', 'https']);

interface LoadedTemplate {
  /** Path relative to the input, for messages and keys. */
  readonly id: string;
  readonly template: any;
}

/**
 * Finds and parses the templates at `input`: a template file, or a cdk.out
 * directory (its manifest.json stacks, nested assemblies included, or else every `*.template.json`).
 */
export function loadTemplates(input: string): LoadedTemplate[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch {
    throw new AuditInputError(`"${input}" does not exist. Pass a cdk.out directory (run \`cdk synth\` first) or a CloudFormation template .json file.`);
  }
  if (stat.isDirectory()) {
    const files = templateFilesIn(input);
    if (files.length === 0) {
      throw new AuditInputError(`"${input}" contains no CloudFormation template (no manifest.json stack and no *.template.json). Pass a cdk.out directory produced by \`cdk synth\`, or a template file.`);
    }
    return files.map(f => ({ id: path.relative(input, f) || path.basename(f), template: readTemplate(f) }));
  }
  return [{ id: path.basename(input), template: readTemplate(input) }];
}

function templateFilesIn(dir: string, depth = 0): string[] {
  const manifestPath = path.join(dir, 'manifest.json');
  const out: string[] = [];
  if (fs.existsSync(manifestPath) && depth < 5) {
    let manifest: any;
    try {
      manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    } catch (e) {
      throw new AuditInputError(`${manifestPath} is not valid JSON (${oneLine((e as Error).message)}). Re-run \`cdk synth\`.`);
    }
    for (const artifact of Object.values<any>(manifest?.artifacts ?? {})) {
      if (artifact?.type === 'aws:cloudformation:stack' && typeof artifact.properties?.templateFile === 'string') {
        out.push(path.join(dir, artifact.properties.templateFile));
      } else if (artifact?.type === 'cdk:cloud-assembly' && typeof artifact.properties?.directoryName === 'string') {
        out.push(...templateFilesIn(path.join(dir, artifact.properties.directoryName), depth + 1));
      }
    }
    if (out.length > 0) return out;
  }
  return fs.readdirSync(dir).filter(f => f.endsWith('.template.json')).sort().map(f => path.join(dir, f));
}

function readTemplate(file: string): any {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new AuditInputError(`Cannot read "${file}": ${(e as Error).message}.`);
  }
  let template: any;
  try {
    template = JSON.parse(text);
  } catch (e) {
    throw new AuditInputError(`"${file}" is not valid JSON (${oneLine((e as Error).message)}). Pass a JSON CloudFormation template as \`cdk synth\` writes it (YAML is not read).`);
  }
  if (typeof template !== 'object' || template === null || Array.isArray(template) || typeof template.Resources !== 'object' || template.Resources === null || Array.isArray(template.Resources)) {
    throw new AuditInputError(`"${file}" is not a CloudFormation template: it has no "Resources" object. Pass a template such as cdk.out/<Stack>.template.json.`);
  }
  return template;
}

/** A value after resolving intrinsics: a string, a resource, or something unknown. */
type Resolved =
  | { readonly kind: 'string'; readonly value: string; readonly exact: boolean }
  | { readonly kind: 'resource'; readonly logicalId: string; readonly attribute?: string }
  | { readonly kind: 'unknown'; readonly text: string };

const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::Region', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName', 'AWS::StackId', 'AWS::NotificationARNs', 'AWS::NoValue']);

class TemplateResolver {
  constructor(private readonly t: LoadedTemplate) {}

  public get resources(): Record<string, any> {
    return this.t.template.Resources;
  }

  public resolve(value: unknown): Resolved {
    if (typeof value === 'string') return { kind: 'string', value, exact: true };
    if (typeof value === 'number' || typeof value === 'boolean') return { kind: 'string', value: String(value), exact: true };
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1) {
        const fn = keys[0];
        const arg = (value as any)[fn];
        if (fn === 'Ref' && typeof arg === 'string') return this.ref(arg);
        if (fn === 'Fn::GetAtt') {
          const [id, attribute] = Array.isArray(arg) ? arg : typeof arg === 'string' ? [arg.split('.')[0], arg.split('.').slice(1).join('.')] : [];
          if (typeof id === 'string' && this.resources[id]) return { kind: 'resource', logicalId: id, attribute: String(attribute) };
        }
        if (fn === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) return this.join(arg[0], arg[1]);
        if (fn === 'Fn::Sub' && typeof arg === 'string') return this.sub(arg);
      }
    }
    return { kind: 'unknown', text: JSON.stringify(value) };
  }

  private ref(name: string): Resolved {
    if (this.resources[name]) return { kind: 'resource', logicalId: name };
    // A placeholder without ":" so ARNs built with it still split into their parts.
    if (PSEUDO_PARAMETERS.has(name)) return { kind: 'string', value: `\${${name.replace('::', '.')}}`, exact: false };
    const parameter = this.t.template.Parameters?.[name];
    if (parameter && (typeof parameter.Default === 'string' || typeof parameter.Default === 'number')) {
      return { kind: 'string', value: String(parameter.Default), exact: true };
    }
    return { kind: 'unknown', text: `{"Ref":"${name}"}` };
  }

  private join(separator: string, parts: unknown[]): Resolved {
    const resolved = parts.map(p => this.resolve(p));
    const nonEmpty = resolved.filter(r => !(r.kind === 'string' && r.value === ''));
    if (nonEmpty.length === 1 && nonEmpty[0].kind === 'resource') return nonEmpty[0];
    if (resolved.every(r => r.kind === 'string')) {
      return { kind: 'string', value: resolved.map(r => (r as any).value).join(separator), exact: resolved.every(r => (r as any).exact) };
    }
    // Keep a readable form with placeholders so identical joins still compare equal.
    const text = resolved.map(r => (r.kind === 'string' ? r.value : r.kind === 'resource' ? `\${${r.logicalId}${r.attribute ? '.' + r.attribute : ''}}` : r.text)).join(separator);
    return { kind: 'string', value: text, exact: false };
  }

  private sub(text: string): Resolved {
    let exact = true;
    const value = text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return whole;
      const r = name.includes('.') ? this.resolve({ 'Fn::GetAtt': name }) : this.ref(name);
      if (r.kind === 'string') {
        exact = exact && r.exact;
        return r.value;
      }
      exact = false;
      return whole;
    });
    return { kind: 'string', value, exact };
  }

  /** A log group reference from a name (MetricFilter.LogGroupName) or an ARN (Trail.CloudWatchLogsLogGroupArn). */
  public logGroupRef(value: unknown, isArn: boolean): ResourceRef {
    const r = this.resolve(value);
    if (r.kind === 'resource') {
      const res = this.resources[r.logicalId];
      if (res?.Type === 'AWS::Logs::LogGroup') {
        const name = this.resolve(res.Properties?.LogGroupName);
        if (name.kind === 'string' && name.exact) return { key: `name:${name.value}`, display: name.value, resolved: true };
        return { key: `template:${this.t.id}#${r.logicalId}`, display: `${r.logicalId} (${this.t.id})`, resolved: true };
      }
      return { key: `unknown:${this.t.id}#${r.logicalId}`, display: `${r.logicalId} (not a log group)`, resolved: false };
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
      return { key: `template:${this.t.id}#${r.logicalId}`, display: `${r.logicalId} (${this.t.id})`, resolved: true, isSnsTopic: type === 'AWS::SNS::Topic' ? true : type === undefined ? undefined : false };
    }
    if (r.kind === 'string') {
      const isSns = /^arn:[^:]*:sns:/.test(r.value) || /:sns:/.test(r.value);
      return { key: `arn:${r.value}`, display: r.value, resolved: r.exact, isSnsTopic: isSns ? true : r.exact ? false : undefined };
    }
    return { key: `unknown:${r.text}`, display: r.text, resolved: false, isSnsTopic: undefined };
  }

  public bool(value: unknown, fallback: boolean | undefined): boolean | undefined {
    if (value === undefined) return fallback;
    const r = this.resolve(value);
    if (r.kind === 'string' && r.exact && (r.value === 'true' || r.value === 'false')) return r.value === 'true';
    return undefined;
  }

  public str(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    const r = this.resolve(value);
    return r.kind === 'string' && r.exact ? r.value : undefined;
  }
}

/** Builds the audit model from templates. */
export function readTemplateModel(input: string): AuditModel {
  const templates = loadTemplates(input);
  const trails: TrailFacts[] = [];
  const filters: MetricFilterFacts[] = [];
  const alarms: AlarmFacts[] = [];
  const topics = new Map<string, { ref: ResourceRef; exists: boolean; subscriptions: SubscriptionFacts[] }>();
  const notes: string[] = [];
  const topicEntry = (ref: ResourceRef, exists: boolean) => {
    const entry = topics.get(ref.key) ?? { ref, exists, subscriptions: [] };
    topics.set(ref.key, entry);
    return entry;
  };

  for (const t of templates) {
    const r = new TemplateResolver(t);
    for (const [id, res] of Object.entries<any>(r.resources)) {
      const p = res?.Properties ?? {};
      const name = `${id}${templates.length > 1 ? ` (${t.id})` : ''}`;
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
    description: templates.length === 1 ? templates[0].id : `${input} (${templates.length} templates: ${templates.map(t => t.id).join(', ')})`,
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

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
