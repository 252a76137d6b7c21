import * as cdk from 'aws-cdk-lib';
import { CfnResource } from 'aws-cdk-lib';

/**
 * A cdk-nag finding the library suppresses on one of its own resources, with
 * the reason. Internal: every one is listed in docs/cdk-nag.md.
 */
export interface NagSuppression {
  /** Rule id, e.g. `AwsSolutions-IAM5` or `NIST.800.53.R5-S3BucketReplicationEnabled`. */
  readonly id: string;
  /**
   * The findings of the rule it covers, e.g. `Resource::*` for
   * `AwsSolutions-IAM5[Resource::*]`; leave out for rules without findings.
   */
  readonly appliesTo?: string[];
  /** Why the finding does not apply. */
  readonly reason: string;
}

/**
 * Suppresses cdk-nag findings on a resource, honoured by both cdk-nag majors,
 * without depending on cdk-nag:
 *
 * - cdk-nag 2 reads `cdk_nag.rules_to_suppress` in the resource's template
 *   metadata (`applies_to` for the findings of a rule).
 * - cdk-nag 3 ignores that metadata and reads acknowledgements made with
 *   `Validations.of(construct).acknowledge({ id, reason })` (aws-cdk-lib >=
 *   2.257, which cdk-nag 3 requires), one per finding: `Rule[Finding]`.
 *   `Validations` is looked up at run time because the library is built
 *   against an aws-cdk-lib that does not have it.
 *
 * Not part of the public API (not exported from index.ts).
 */
export function suppressNagFindings(resource: CfnResource, suppressions: NagSuppression[]): void {
  const existing: unknown[] = resource.getMetadata('cdk_nag')?.rules_to_suppress ?? [];
  resource.addMetadata('cdk_nag', {
    rules_to_suppress: [
      ...existing,
      ...suppressions.map(s => ({ id: s.id, reason: s.reason, ...(s.appliesTo ? { applies_to: s.appliesTo } : {}) })),
    ],
  });

  const validations = (cdk as any).Validations;
  if (typeof validations?.of !== 'function') return;
  const v = validations.of(resource);
  if (typeof v.acknowledge !== 'function') return;
  for (const s of suppressions) {
    for (const id of s.appliesTo ? s.appliesTo.map(f => `${s.id}[${f}]`) : [s.id]) {
      v.acknowledge({ id, reason: s.reason });
    }
  }
}

/** The same suppression for several packs' rules of one name, e.g. `S3BucketReplicationEnabled`. */
export function forPacks(packs: string[], rule: string, reason: string): NagSuppression[] {
  return packs.map(p => ({ id: `${p}-${rule}`, reason }));
}

/** The compliance packs whose rules have the same names (NIST 800-53 R5, PCI DSS 3.2.1, HIPAA Security). */
export const COMPLIANCE_PACKS = ['NIST.800.53.R5', 'PCI.DSS.321', 'HIPAA.Security'];
