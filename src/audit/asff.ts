/**
 * Findings in the AWS Security Finding Format (ASFF), the format
 * `BatchImportFindings` takes: the account's own findings, under its default
 * product (`arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`), one
 * per target × control. Field limits are Security Hub's (Title 256,
 * Description 1024, Remediation text 512, ProductFields values 2048,
 * Resources 32, Details.Other values 1024 characters); longer text is cut with
 * an ellipsis, never dropped silently: the full text is in the JSON and HTML reports.
 */
import type { AwsSecurityFinding, Resource } from '@aws-sdk/client-securityhub';
import { EVIDENCE_DOCS_URL, EVIDENCE_PRODUCT_NAME, EvidenceFinding, EvidenceResource, EvidenceRun, isConfirmed } from './findings';

export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** The ASFF finding type of every finding: a check against an industry standard. */
export const ASFF_FINDING_TYPE = 'Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark';

const LIMITS = { title: 256, description: 1024, remediation: 512, productField: 2048, otherValue: 1024, resources: 32 } as const;

/** Cuts `text` to `max` characters, ending with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The account's own product ARN: where an account imports findings about itself. */
export function defaultProductArn(partition: string, region: string, account: string): string {
  return `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`;
}

/** Why a finding cannot be written in ASFF (the account or Region is not known), or undefined. */
export function asffProblem(f: EvidenceFinding): string | undefined {
  if (!f.account || !/^\d{12}$/.test(f.account)) return `${f.environment}: the account is not known (ASFF needs AwsAccountId); give the stacks an env, or audit with --live`;
  if (!f.region) return `${f.environment}: the Region is not known (ASFF needs the Region); give the stacks an env, or audit with --live`;
  return undefined;
}

export interface AsffOptions {
  /** The time of the run (UpdatedAt, LastObservedAt; CreatedAt and FirstObservedAt unless `firstSeen` has the finding). */
  readonly generatedAt: string;
  readonly toolVersion: string;
  /** Findings already in Security Hub: their CreatedAt and FirstObservedAt are kept. */
  readonly firstSeen?: ReadonlyMap<string, { readonly createdAt?: string; readonly firstObservedAt?: string }>;
}

/** One finding in ASFF. Throws when the account or Region is not known (see asffProblem). */
export function toAsff(f: EvidenceFinding, options: AsffOptions): AwsSecurityFinding {
  const problem = asffProblem(f);
  if (problem) throw new Error(problem);
  const account = f.account!;
  const region = f.region!;
  const seen = options.firstSeen?.get(f.id);
  const productFields: Record<string, string> = {
    ProviderName: EVIDENCE_PRODUCT_NAME,
    ProviderVersion: options.toolVersion,
    [`${EVIDENCE_PRODUCT_NAME}/ControlKey`]: f.controlKey,
    [`${EVIDENCE_PRODUCT_NAME}/Benchmark`]: f.benchmark,
    [`${EVIDENCE_PRODUCT_NAME}/Recommendation`]: f.recommendationId,
  };
  if (f.accountName) productFields[`${EVIDENCE_PRODUCT_NAME}/AccountName`] = clip(f.accountName, LIMITS.productField);
  for (const v of f.verdicts) {
    const key = `${EVIDENCE_PRODUCT_NAME}/${v.scannerName}`;
    productFields[`${key}/Status`] = v.status;
    if (v.check) productFields[`${key}/Check`] = v.check;
    productFields[`${key}/Reason`] = clip(v.reasons.join(' '), LIMITS.productField);
  }
  const passed = f.status === 'PASSED' || f.status === 'NOT_AVAILABLE';
  const resources = f.resources.slice(0, LIMITS.resources).map(r => resource(r, f.partition, region));
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: f.id,
    ProductArn: defaultProductArn(f.partition, region, account),
    ProductName: EVIDENCE_PRODUCT_NAME,
    CompanyName: EVIDENCE_PRODUCT_NAME,
    GeneratorId: f.generatorId,
    AwsAccountId: account,
    Region: region,
    Types: [ASFF_FINDING_TYPE],
    CreatedAt: seen?.createdAt ?? options.generatedAt,
    FirstObservedAt: seen?.firstObservedAt ?? seen?.createdAt ?? options.generatedAt,
    LastObservedAt: options.generatedAt,
    UpdatedAt: options.generatedAt,
    // Security Hub's own control findings: INFORMATIONAL once passed, the control's severity otherwise.
    Severity: { Label: passed ? 'INFORMATIONAL' : f.severity as any, Original: f.severity },
    Title: clip(`${f.requirement} ${f.title}`, LIMITS.title),
    Description: clip(description(f), LIMITS.description),
    Remediation: { Recommendation: { Text: clip(f.remediation, LIMITS.remediation), Url: EVIDENCE_DOCS_URL } },
    ProductFields: productFields,
    Resources: resources,
    Compliance: { Status: f.status, RelatedRequirements: [f.requirement] },
    RecordState: 'ACTIVE',
  };
}

/** The status and each scanner's verdict, one line each. */
function description(f: EvidenceFinding): string {
  const lines = [`${f.status}: ${f.statusReason}`];
  for (const v of f.verdicts) lines.push(`${v.scannerName}${v.check ? ` (${v.check})` : ''}: ${v.status} ${v.reasons.join(' ')}`);
  return lines.join('\n');
}

function resource(r: EvidenceResource, partition: string, region: string): Resource {
  const base = { Type: r.type, Id: r.id, Partition: partition as any, Region: region };
  switch (r.type) {
    case 'AwsCloudTrailTrail':
      return {
        ...base,
        Details: {
          AwsCloudTrailTrail: {
            Name: r.name,
            TrailArn: r.id.startsWith('arn:') ? r.id : undefined,
            HomeRegion: r.details.HomeRegion,
            IsMultiRegionTrail: r.details.IsMultiRegionTrail === undefined ? undefined : r.details.IsMultiRegionTrail === 'true',
            CloudWatchLogsLogGroupArn: r.details.CloudWatchLogsLogGroup,
          },
        },
      };
    case 'AwsCloudWatchAlarm': {
      const [namespace, ...metric] = r.details.Metric.split('/');
      return {
        ...base,
        Details: {
          AwsCloudWatchAlarm: {
            AlarmName: r.name,
            AlarmArn: r.id.startsWith('arn:') ? r.id : undefined,
            Namespace: namespace === '?' ? undefined : namespace,
            MetricName: metric.join('/'),
            AlarmActions: r.details.AlarmActions === '(none)' ? [] : r.details.AlarmActions.split(', '),
          },
        },
      };
    }
    case 'AwsSnsTopic':
      return {
        ...base,
        Details: {
          AwsSnsTopic: {
            TopicName: r.name,
            // Security Hub counts confirmed subscribers only; pending ones are in the reports.
            Subscription: (r.subscriptions ?? []).filter(isConfirmed).map(s => ({ Protocol: s.protocol, Endpoint: s.endpoint })),
          },
        },
      };
    case 'Other':
      return {
        ...base,
        Details: { Other: Object.fromEntries(Object.entries(r.details).map(([k, v]) => [k, clip(v, LIMITS.otherValue)])) },
      };
    default:
      return base;
  }
}

/** `--format asff`: the findings that have an account and Region, as a JSON array (Prowler's json-asff shape). */
export function runToAsff(run: EvidenceRun): { findings: AwsSecurityFinding[]; skipped: string[] } {
  const findings: AwsSecurityFinding[] = [];
  const skipped = new Set<string>();
  for (const f of run.findings) {
    const problem = asffProblem(f);
    if (problem) skipped.add(problem);
    else findings.push(toAsff(f, { generatedAt: run.generatedAt, toolVersion: run.tool.version }));
  }
  return { findings, skipped: [...skipped] };
}
