/**
 * What the audit knows about an account or a synthesized app: the trails,
 * metric filters, alarms and topics the scanners look at. Both the template
 * reader and the live reader produce this model; the scanners' decision logic
 * (evaluate.ts) only reads it.
 */

/**
 * A reference to a log group, topic or other resource. Two references with
 * the same `key` are the same resource.
 */
export interface ResourceRef {
  /** Identity for linking, e.g. `name:/aws/cloudtrail/x` or `template:App.template.json#Topic12AB`. */
  readonly key: string;
  /** For messages, e.g. the log group name or the logical id. */
  readonly display: string;
  /** False when the value could not be resolved (an import, parameter or condition). */
  readonly resolved: boolean;
}

/** A classic event selector of a trail. */
export interface EventSelectorFacts {
  /** `All`, `ReadOnly` or `WriteOnly` (CloudTrail's default is `All`). */
  readonly readWriteType: string;
  /** CloudTrail's default is true. */
  readonly includeManagementEvents: boolean;
  readonly excludeManagementEventSources: readonly string[];
}

export interface TrailFacts {
  readonly name: string;
  /** The trail's ARN (live mode); CloudSploit names its per-trail results by it. */
  readonly arn?: string;
  /**
   * The account that owns the trail, from its ARN (live mode). A member of an
   * organization sees the organization trail, owned by the management
   * account; only the owner may read its status and event selectors.
   */
  readonly ownerAccount?: string;
  /** IsOrganizationTrail (live mode). */
  readonly isOrganizationTrail?: boolean;
  /** Undefined when not known (an unresolvable template value). */
  readonly isMultiRegion: boolean | undefined;
  /** Undefined when not known (an unresolvable template value, or a trail another account owns). */
  readonly isLogging: boolean | undefined;
  /**
   * The Region the trail was created in (its home Region). A multi-Region
   * trail also shows in every other Region (a shadow trail) with this home
   * Region. Undefined in a template (it deploys to the stack's Region).
   */
  readonly homeRegion?: string;
  /**
   * Classic event selectors. A template without EventSelectors and without
   * AdvancedEventSelectors gets CloudTrail's default selector (All, management
   * events), which GetEventSelectors reports; the reader fills that in.
   * Undefined when not known (also for a trail another account owns).
   */
  readonly eventSelectors: readonly EventSelectorFacts[] | undefined;
  /** The trail uses advanced event selectors (and so reports no classic ones). */
  readonly usesAdvancedSelectors: boolean;
  /** The log group it delivers to; undefined without CloudWatchLogsLogGroupArn. */
  readonly logGroup?: ResourceRef;
}

export interface MetricFilterFacts {
  readonly name: string;
  readonly logGroup: ResourceRef;
  /** The pattern text; undefined when the template value could not be resolved. */
  readonly pattern: string | undefined;
  /** metricTransformations[0].metricName (what Prowler and Steampipe use). */
  readonly metricName: string | undefined;
  readonly metricNamespace: string | undefined;
}

export interface AlarmFacts {
  readonly name: string;
  /** Undefined for metric-math alarms. */
  readonly metricName: string | undefined;
  readonly namespace: string | undefined;
  readonly actions: readonly AlarmActionRef[];
}

export interface AlarmActionRef extends ResourceRef {
  /** Whether the action is an SNS topic (undefined: cannot tell). */
  readonly isSnsTopic: boolean | undefined;
}

/**
 * Subscription states:
 * - `confirmed`: ListSubscriptionsByTopic shows an ARN;
 * - `pending`: ListSubscriptionsByTopic shows `PendingConfirmation`;
 * - `pending-at-deploy`: a template subscription whose protocol needs the
 *   endpoint's owner to confirm (email, email-json, http, https);
 * - `confirmed-at-deploy`: a template subscription AWS confirms itself (sqs, lambda, firehose, application, sms).
 */
export type SubscriptionState = 'confirmed' | 'pending' | 'pending-at-deploy' | 'confirmed-at-deploy';

export interface SubscriptionFacts {
  readonly protocol: string;
  readonly endpoint: string;
  readonly state: SubscriptionState;
}

export interface TopicFacts {
  readonly ref: ResourceRef;
  /** Whether the topic itself exists where it was looked for (a template resource, or ListSubscriptionsByTopic succeeded). */
  readonly exists: boolean;
  readonly subscriptions: readonly SubscriptionFacts[];
}

export interface AuditModel {
  readonly source: 'template' | 'live';
  /** What was read, e.g. `cdk.out (2 templates)` or `account 123456789012, us-east-1`. */
  readonly description: string;
  /** The audited region (live mode). */
  readonly region?: string;
  /** The audited account (live mode), to tell its own trails from an organization trail it only sees. */
  readonly account?: string;
  /**
   * False when no trail was visible (a template whose construct was given an
   * existing log group): trail conditions are then reported as unchecked.
   */
  readonly trailsVisible: boolean;
  readonly trails: readonly TrailFacts[];
  readonly metricFilters: readonly MetricFilterFacts[];
  readonly alarms: readonly AlarmFacts[];
  /** Topics whose subscriptions are known. A topic referenced but absent here was not visible. */
  readonly topics: readonly TopicFacts[];
  /** Things the reader could not resolve, for the report. */
  readonly notes: readonly string[];
}

/** The log-group name in a CloudWatch Logs log-group ARN (`arn:aws:logs:r:a:log-group:NAME:*`), as Prowler and Steampipe take it. */
export function logGroupNameFromArn(arn: string): string | undefined {
  const m = /^arn:[^:]*:logs:[^:]*:[^:]*:log-group:(.+?)(?::\*)?$/.exec(arn);
  return m ? m[1] : undefined;
}
