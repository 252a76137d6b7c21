/**
 * Labels: what each metric filter, alarm, rule and query the constructs
 * create is for, written into its CloudFormation metadata (internal). The CLI
 * reads them back, so this module imports nothing.
 */

/**
 * What a metric filter, alarm, rule or query is for. Written into each
 * resource's CloudFormation metadata (see `readLabel`), so `audit` and
 * `replay` know what they read instead of guessing from names.
 */
export enum ResourceRole {
  /**
   * The control's CIS pattern (the version's deployed text) and the alarm on
   * its metric: each matching event adds 1.
   */
  COMPLIANCE = 'compliance',
  /**
   * An extra text a scanner compares, publishing to the control's metric with
   * the value 0: it exists for the scanner and adds nothing to the count.
   */
  SCANNER_VARIANT = 'scanner-variant',
  /** The tuned pattern (exclusions) and the paging alarm on its own metric. */
  PAGING = 'paging',
  /** An extended detection beyond CIS. */
  EXTENDED = 'extended',
}

/** Suffix of the metric name a paging filter publishes to (`RootAccountUsage` => `RootAccountUsagePaging`). */
export const PAGING_METRIC_SUFFIX = 'Paging';

/** The CloudFormation metadata key of the label. */
export const LABEL_METADATA_KEY = 'cdk-cis-monitoring';

/** The label in a resource's metadata. */
export interface ResourceLabel {
  /** Control key (CIS controls) or detection key (extended detections). */
  readonly control: string;
  readonly role: ResourceRole;
  /** CIS recommendation id in `benchmark`, e.g. "5.3"; absent for extended detections. */
  readonly cisId?: string;
  /** Benchmark version, e.g. "7.0.0"; absent for extended detections. */
  readonly benchmark?: string;
}

/**
 * The label in a template resource's metadata, if it carries one. A label
 * without `role` is a `compliance` one: StackSet member templates leave the
 * most common role out to stay within an inline `TemplateBody`.
 */
export function readLabel(resource: unknown): ResourceLabel | undefined {
  const metadata = (resource as { Metadata?: Record<string, unknown> } | undefined)?.Metadata;
  const label = metadata?.[LABEL_METADATA_KEY] as Partial<ResourceLabel> | undefined;
  if (!label || typeof label !== 'object' || typeof label.control !== 'string') return undefined;
  if (label.role === undefined) return { ...label, role: ResourceRole.COMPLIANCE } as ResourceLabel;
  if (typeof label.role !== 'string') return undefined;
  return label as ResourceLabel;
}
