/**
 * Reads a deployed account into an AuditModel with the AWS SDK v3:
 * DescribeTrails, GetCallerIdentity (which trails are the account's own),
 * GetTrailStatus, GetEventSelectors, DescribeMetricFilters, DescribeAlarms
 * and ListSubscriptionsByTopic. The SDK honours
 * AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) by itself.
 */
import { CloudTrailClient, DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand, Trail } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, DescribeAlarmsCommand, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeMetricFiltersCommand, MetricFilter } from '@aws-sdk/client-cloudwatch-logs';
import { ListSubscriptionsByTopicCommand, SNSClient, Subscription } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AUDIT_EXIT_CODES, AuditFailure, AwsCallContext, classifyAwsError } from './errors';
import { AlarmFacts, AuditModel, MetricFilterFacts, TopicFacts, TrailFacts, logGroupNameFromArn } from './model';

export interface LiveReadOptions {
  /** The region to audit. @default - the SDK's default (AWS_REGION, the profile's region) */
  readonly region?: string;
  /** The shared-config profile. @default - the SDK's default credential chain */
  readonly profile?: string;
  /**
   * Credentials to use instead of the default chain (e.g. from AssumeRole
   * into an organization member account).
   */
  readonly credentials?: LiveCredentials;
  /** Named in the model's description, e.g. `111111111111 (workloads)`. */
  readonly accountLabel?: string;
  /** Timeouts of every AWS call. @default LIVE_CALL_TIMEOUTS */
  readonly timeouts?: LiveCallTimeouts;
}

/** Static credentials (what STS AssumeRole returns). */
export interface LiveCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Per-call timeouts, in milliseconds. */
export interface LiveCallTimeouts {
  /** Until the TCP connection is open. */
  readonly connectionTimeout: number;
  /** The longest a call may take until its answer (and the longest silence on its socket). */
  readonly requestTimeout: number;
}

/**
 * No AWS call of the audit waits forever: 5 s to connect, 30 s for the
 * answer (the SDK then retries, 3 attempts in all, and the audit exits 5).
 */
export const LIVE_CALL_TIMEOUTS: LiveCallTimeouts = { connectionTimeout: 5_000, requestTimeout: 30_000 };

/** SDK client settings shared by every client. */
export interface ClientSettings {
  region?: string;
  profile?: string;
  credentials?: LiveCredentials;
  requestHandler?: SdkRequestHandlerTimeouts;
}

/**
 * The SDK's request handler options for `timeouts`. @smithy/node-http-handler
 * 4.x only logs an exceeded requestTimeout unless throwOnRequestTimeout is
 * set; socketTimeout also ends a connection that goes silent.
 */
export interface SdkRequestHandlerTimeouts {
  connectionTimeout: number;
  requestTimeout: number;
  socketTimeout: number;
  throwOnRequestTimeout: true;
}

/** The request handler options that make every call end within `timeouts`. */
export function requestHandlerTimeouts(timeouts: LiveCallTimeouts): SdkRequestHandlerTimeouts {
  return {
    connectionTimeout: timeouts.connectionTimeout,
    requestTimeout: timeouts.requestTimeout,
    socketTimeout: timeouts.requestTimeout,
    throwOnRequestTimeout: true,
  };
}

/** Most pages the audit reads from one paginated call: far more than any account has. */
const MAX_PAGES = 10_000;

/**
 * Reads every page of a paginated call. An endpoint that hands back a page
 * token it has already given (or never stops) would make this loop forever
 * and fill memory: it fails with exit code 5, as an endpoint that cannot be
 * used.
 */
export async function readPages<P>(
  action: string,
  ctx: AwsCallContext,
  page: (token: string | undefined) => Promise<P>,
  nextOf: (p: P) => string | undefined,
  each: (p: P) => void,
): Promise<void> {
  const seen = new Set<string>();
  let token: string | undefined;
  for (let n = 1; ; n++) {
    const p = await page(token);
    each(p);
    token = nextOf(p);
    if (!token) return;
    const where = ctx.endpoint ? `endpoint ${ctx.endpoint}` : `the ${action.split(':')[0]} endpoint of ${ctx.region ?? 'the default region'}`;
    if (seen.has(token)) {
      throw new AuditFailure(`${action}: ${where} returned a page token it had already returned (page ${n}), so paging would never end. The endpoint is not usable: check AWS_ENDPOINT_URL.`, AUDIT_EXIT_CODES.UNREACHABLE);
    }
    if (n >= MAX_PAGES) {
      throw new AuditFailure(`${action}: ${where} still returns page tokens after ${MAX_PAGES} pages; stopped. The endpoint is not usable: check AWS_ENDPOINT_URL.`, AUDIT_EXIT_CODES.UNREACHABLE);
    }
    seen.add(token);
  }
}

/** Endpoint override the SDK will use for a service, for messages only. */
function endpointFor(serviceEnvSuffix: string): string | undefined {
  return process.env[`AWS_ENDPOINT_URL_${serviceEnvSuffix}`] ?? process.env.AWS_ENDPOINT_URL;
}

/**
 * Some emulators answer JSON-protocol calls with an XML error document
 * (`<Code>InvalidClientTokenId</Code>`), which the SDK cannot parse and
 * reports as a SyntaxError. This middleware reads such bodies and throws an
 * error named after `<Code>` instead, so the mapping to exit codes works.
 * Real AWS JSON services answer with JSON errors and are left alone.
 */
export function addXmlErrorReader(client: { middlewareStack: any }): void {
  client.middlewareStack.addRelativeTo((next: any) => async (args: any) => {
    const out = await next(args);
    const response = out?.response;
    const type = String(response?.headers?.['content-type'] ?? '');
    if (response && response.statusCode >= 400 && /xml|html/i.test(type) && response.body) {
      const text = await readBody(response.body);
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
      if (code) {
        const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? code;
        const error = new Error(message) as Error & { $metadata: unknown; $fault: string };
        error.name = code;
        error.$metadata = { httpStatusCode: response.statusCode };
        error.$fault = response.statusCode >= 500 ? 'server' : 'client';
        throw error;
      }
      response.body = Buffer.from(text, 'utf8');
    }
    return out;
  }, { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'cisMonitoringXmlErrorReader', override: true });
}

async function readBody(body: any): Promise<string> {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs one SDK call, mapping its errors to AuditFailure. */
export async function call<T>(action: string, ctx: AwsCallContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw classifyAwsError(e, action, ctx);
  }
}

/** Reads the account and region into an AuditModel. */
export async function readLiveModel(options: LiveReadOptions): Promise<AuditModel> {
  const timeouts = options.timeouts ?? LIVE_CALL_TIMEOUTS;
  const settings: ClientSettings = {
    requestHandler: requestHandlerTimeouts(timeouts),
  };
  if (options.region) settings.region = options.region;
  if (options.credentials) settings.credentials = options.credentials;
  else if (options.profile) settings.profile = options.profile;

  const cloudTrail = new CloudTrailClient(settings);
  addXmlErrorReader(cloudTrail);
  const baseCtx = { profile: options.profile };
  let region: string;
  try {
    region = await cloudTrail.config.region();
  } catch (e) {
    throw classifyAwsError(e, 'cloudtrail:DescribeTrails', baseCtx);
  }
  if (!region) {
    throw classifyAwsError(new Error('Region is missing'), 'cloudtrail:DescribeTrails', baseCtx);
  }
  const ctx = (suffix: string): AwsCallContext => ({ region, profile: options.profile, endpoint: endpointFor(suffix) });
  const notes: string[] = [];

  // Trails as every scanner lists them: DescribeTrails includes shadow trails,
  // i.e. multi-Region trails homed in another Region and, in a member account,
  // the organization trail the management account owns.
  const trailList: Trail[] = (await call('cloudtrail:DescribeTrails', ctx('CLOUDTRAIL'), () =>
    cloudTrail.send(new DescribeTrailsCommand({ includeShadowTrails: true })))).trailList ?? [];
  // Which trails are the account's own: only those can be read further, and
  // Security Hub and Steampipe judge only those.
  let account: string | undefined;
  if (trailList.length > 0) {
    const sts = new STSClient(settings);
    addXmlErrorReader(sts);
    account = (await call('sts:GetCallerIdentity', ctx('STS'), () => sts.send(new GetCallerIdentityCommand({})))).Account;
  }
  const trailClients = new Map<string, CloudTrailClient>([[region, cloudTrail]]);
  const trailClient = (r: string) => {
    let c = trailClients.get(r);
    if (!c) {
      c = new CloudTrailClient({ ...settings, region: r });
      addXmlErrorReader(c);
      trailClients.set(r, c);
    }
    return c;
  };
  const trails: TrailFacts[] = [];
  for (const t of trailList) {
    const id = t.TrailARN ?? t.Name ?? '?';
    const home = t.HomeRegion ?? region;
    const ownerAccount = t.TrailARN?.split(':')[4] || undefined;
    const lgName = t.CloudWatchLogsLogGroupArn ? logGroupNameFromArn(t.CloudWatchLogsLogGroupArn) : undefined;
    const facts: TrailFacts = {
      name: t.Name ?? id,
      arn: t.TrailARN,
      ownerAccount,
      isOrganizationTrail: t.IsOrganizationTrail ?? false,
      isMultiRegion: t.IsMultiRegionTrail ?? false,
      isLogging: undefined,
      homeRegion: home,
      eventSelectors: undefined,
      usesAdvancedSelectors: false,
      logGroup: t.CloudWatchLogsLogGroupArn
        ? (lgName ? { key: `name:${lgName}`, display: lgName, resolved: true } : { key: `unknown:${t.CloudWatchLogsLogGroupArn}`, display: t.CloudWatchLogsLogGroupArn, resolved: false })
        : undefined,
    };
    if (ownerAccount !== undefined && account !== undefined && ownerAccount !== account) {
      // Another account's trail (an organization trail seen from a member):
      // AWS refuses its status and selectors to anyone but the owner
      // (TrailNotFoundException or CloudTrailARNInvalidException).
      trails.push(facts);
      continue;
    }
    // A shadow trail's status and selectors are read in its home Region.
    const client = trailClient(home);
    const status = await call('cloudtrail:GetTrailStatus', ctx('CLOUDTRAIL'), () => client.send(new GetTrailStatusCommand({ Name: id })));
    const selectors = await call('cloudtrail:GetEventSelectors', ctx('CLOUDTRAIL'), () => client.send(new GetEventSelectorsCommand({ TrailName: id })));
    trails.push({
      ...facts,
      isLogging: status.IsLogging ?? false,
      eventSelectors: (selectors.EventSelectors ?? []).map(s => ({
        readWriteType: s.ReadWriteType ?? 'All',
        includeManagementEvents: s.IncludeManagementEvents ?? true,
        excludeManagementEventSources: s.ExcludeManagementEventSources ?? [],
      })),
      usesAdvancedSelectors: (selectors.AdvancedEventSelectors ?? []).length > 0,
    });
  }

  // Metric filters of the region.
  const logs = new CloudWatchLogsClient(settings);
  addXmlErrorReader(logs);
  const filters: MetricFilter[] = [];
  await readPages('logs:DescribeMetricFilters', ctx('CLOUDWATCH_LOGS'),
    nextToken => call('logs:DescribeMetricFilters', ctx('CLOUDWATCH_LOGS'), () => logs.send(new DescribeMetricFiltersCommand({ nextToken }))),
    page => page.nextToken,
    page => filters.push(...(page.metricFilters ?? [])));
  const metricFilters: MetricFilterFacts[] = filters.map(f => ({
    name: f.filterName ?? '?',
    logGroup: { key: `name:${f.logGroupName}`, display: f.logGroupName ?? '?', resolved: true },
    pattern: f.filterPattern ?? '',
    metricName: f.metricTransformations?.[0]?.metricName,
    metricNamespace: f.metricTransformations?.[0]?.metricNamespace,
  }));

  // Metric alarms of the region.
  const cloudWatch = new CloudWatchClient(settings);
  addXmlErrorReader(cloudWatch);
  const metricAlarms: MetricAlarm[] = [];
  await readPages('cloudwatch:DescribeAlarms', ctx('CLOUDWATCH'),
    NextToken => call('cloudwatch:DescribeAlarms', ctx('CLOUDWATCH'), () => cloudWatch.send(new DescribeAlarmsCommand({ NextToken }))),
    page => page.NextToken,
    page => metricAlarms.push(...(page.MetricAlarms ?? [])));
  const alarms: AlarmFacts[] = metricAlarms.map(a => ({
    name: a.AlarmName ?? '?',
    metricName: a.MetricName,
    namespace: a.Namespace,
    actions: (a.AlarmActions ?? []).map(arn => ({ key: `arn:${arn}`, display: arn, resolved: true, isSnsTopic: /^arn:[^:]+:sns:/.test(arn) })),
  }));

  // Subscriptions of every topic an alarm notifies.
  const topicArns = [...new Set(alarms.flatMap(a => a.actions.filter(x => x.isSnsTopic).map(x => x.display)))];
  const snsClients = new Map<string, SNSClient>();
  const topics: TopicFacts[] = [];
  for (const arn of topicArns) {
    const topicRegion = arn.split(':')[3] || region;
    let sns = snsClients.get(topicRegion);
    if (!sns) {
      sns = new SNSClient({ ...settings, region: topicRegion });
      snsClients.set(topicRegion, sns);
    }
    const subscriptions: Subscription[] = [];
    let exists = true;
    try {
      const client = sns;
      await readPages('sns:ListSubscriptionsByTopic', ctx('SNS'),
        NextToken => client.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken })),
        page => page.NextToken,
        page => subscriptions.push(...(page.Subscriptions ?? [])));
    } catch (e) {
      if (e instanceof AuditFailure) throw e;
      if ((e as { name?: string }).name === 'NotFoundException' || (e as { name?: string }).name === 'NotFound') {
        exists = false;
        notes.push(`Topic ${arn} does not exist.`);
      } else {
        throw classifyAwsError(e, 'sns:ListSubscriptionsByTopic', ctx('SNS'));
      }
    }
    topics.push({
      ref: { key: `arn:${arn}`, display: arn, resolved: true },
      exists,
      subscriptions: subscriptions.map(s => ({
        protocol: s.Protocol ?? '?',
        endpoint: s.Endpoint ?? '',
        state: s.SubscriptionArn === 'PendingConfirmation' ? 'pending' : 'confirmed',
      })),
    });
  }

  return {
    source: 'live',
    description: `${options.accountLabel ? `account ${options.accountLabel}, ` : ''}${region}${options.profile && !options.credentials ? ` (profile ${options.profile})` : ''}${process.env.AWS_ENDPOINT_URL ? ` via ${process.env.AWS_ENDPOINT_URL}` : ''}`,
    region,
    account,
    trailsVisible: true,
    trails,
    metricFilters,
    alarms,
    topics,
    notes,
  };
}

export { AuditFailure };
