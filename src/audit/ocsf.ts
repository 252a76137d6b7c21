/**
 * Findings as OCSF 1.5.0 Compliance Finding events (class_uid 2003, category
 * Findings), one per target × control: the class OCSF defines for "results of
 * evaluations performed against resources, to check compliance with … CIS AWS
 * Foundations Benchmark". Prowler writes Detection Findings (2004) for its
 * checks; a compliance finding carries what an auditor needs natively: the
 * standard, the requirement, the control's status, and one `checks` entry per
 * scanner with its verdict and reason. The fields are those of the
 * py-ocsf-models classes Prowler uses (tests validate every event with them).
 */
import { CellStatus } from './evaluate';
import { EVIDENCE_DOCS_URL, EVIDENCE_PRODUCT_NAME, ComplianceStatus, EvidenceFinding, EvidenceRun, isConfirmed } from './findings';

export const OCSF_VERSION = '1.5.0';
const COMPLIANCE_FINDING = { classUid: 2003, className: 'Compliance Finding', categoryUid: 2, categoryName: 'Findings' } as const;
/** activity Create: each run reports the control's state afresh. */
const ACTIVITY = { id: 1, name: 'Create' } as const;

/** OCSF severity_id: 1 Informational … 5 Critical. */
const SEVERITY_IDS: Record<string, number> = { INFORMATIONAL: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
/** OCSF compliance status_id: 0 Unknown, 1 Pass, 2 Warning, 3 Fail. */
const COMPLIANCE_STATUS_IDS: Record<ComplianceStatus, number> = { PASSED: 1, WARNING: 2, FAILED: 3, NOT_AVAILABLE: 0 };
// NO_DATA: the scanner checks the control but gives no verdict for this account and Region (Unknown).
const CHECK_STATUS_IDS: Record<CellStatus, number> = { PASS: 1, WARN: 2, FAIL: 3, NO_DATA: 0, NOT_APPLICABLE: 0 };

function capitalized(label: string): string {
  return label.charAt(0) + label.slice(1).toLowerCase();
}

/** One finding as an OCSF Compliance Finding. */
export function toOcsf(f: EvidenceFinding, run: Pick<EvidenceRun, 'generatedAt' | 'tool' | 'organizationId'>): Record<string, unknown> {
  const time = Date.parse(run.generatedAt);
  const passed = f.status === 'PASSED' || f.status === 'NOT_AVAILABLE';
  const severity = passed ? 'INFORMATIONAL' : f.severity;
  const standard = `CIS AWS Foundations Benchmark v${f.benchmark}`;
  return {
    activity_id: ACTIVITY.id,
    activity_name: ACTIVITY.name,
    category_uid: COMPLIANCE_FINDING.categoryUid,
    category_name: COMPLIANCE_FINDING.categoryName,
    class_uid: COMPLIANCE_FINDING.classUid,
    class_name: COMPLIANCE_FINDING.className,
    type_uid: COMPLIANCE_FINDING.classUid * 100 + ACTIVITY.id,
    type_name: `${COMPLIANCE_FINDING.className}: ${ACTIVITY.name}`,
    time,
    time_dt: run.generatedAt,
    severity_id: SEVERITY_IDS[severity] ?? 0,
    severity: capitalized(severity),
    // The event's status: a new report of the control's state.
    status_id: 1,
    status: 'New',
    status_code: f.status,
    status_detail: f.statusReason,
    message: `${f.requirement} ${f.status} in ${f.environment}: ${f.statusReason}`,
    metadata: {
      version: OCSF_VERSION,
      uid: `${f.id}@${run.generatedAt}`,
      event_code: f.controlKey,
      profiles: ['cloud', 'datetime'],
      product: { uid: EVIDENCE_PRODUCT_NAME, name: EVIDENCE_PRODUCT_NAME, vendor_name: EVIDENCE_PRODUCT_NAME, version: run.tool.version },
      ...(run.organizationId ? { tenant_uid: run.organizationId } : {}),
    },
    finding_info: {
      uid: f.id,
      title: `${f.requirement} ${f.title}`,
      desc: f.title,
      types: ['Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark'],
      created_time: time,
      created_time_dt: run.generatedAt,
    },
    compliance: {
      standards: [standard],
      requirements: [f.requirement],
      control: f.recommendationId,
      desc: f.title,
      status_id: COMPLIANCE_STATUS_IDS[f.status],
      checks: f.verdicts.map(v => ({
        uid: v.check ?? `${v.scanner}:${f.controlKey}`,
        name: v.check ? `${v.scannerName} ${v.check}` : v.scannerName,
        desc: v.reasons.join(' '),
        status: v.status,
        status_id: CHECK_STATUS_IDS[v.status],
        standards: [standard],
      })),
    },
    cloud: {
      provider: 'AWS',
      ...(f.region ? { region: f.region } : {}),
      ...(f.account ? { account: { uid: f.account, name: f.accountName ?? f.account, type_id: 10, type: 'AWS Account' } } : {}),
      ...(run.organizationId ? { org: { uid: run.organizationId } } : {}),
    },
    resources: f.resources.map(r => ({
      uid: r.id,
      name: r.name,
      type: r.type === 'Other' ? r.kind : r.type,
      ...(f.region ? { region: f.region } : {}),
      cloud_partition: f.partition,
      data: {
        ...r.details,
        ...(r.subscriptions
          ? { subscriptions: r.subscriptions.map(s => ({ protocol: s.protocol, endpoint: s.endpoint, confirmed: isConfirmed(s) })) }
          : {}),
      },
    })),
    remediation: { desc: f.remediation, references: [EVIDENCE_DOCS_URL] },
    unmapped: { audited: f.audited, benchmark: f.benchmark, control_key: f.controlKey, environment: f.environment },
  };
}

/** `--format ocsf`: every finding as a JSON array of OCSF events (Prowler's json-ocsf shape). */
export function runToOcsf(run: EvidenceRun): Array<Record<string, unknown>> {
  return run.findings.map(f => toOcsf(f, run));
}
