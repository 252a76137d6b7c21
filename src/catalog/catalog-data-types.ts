/** Shape of the generated catalog data (internal; reach it through CisControl and CisBenchmarkVersion). */

export interface CatalogVersionEntry {
  readonly recommendationId: string;
  readonly title: string;
  readonly profileLevel: number;
  readonly assessmentStatus: string;
  /** Every distinct transcription of the remediation text; the first one is the primary. */
  readonly remediation: string[];
  /** The SSO variant of console-signin-without-mfa (primary first); empty elsewhere. */
  readonly remediationSsoVariant: string[];
  /** Audit-procedure texts that differ from the remediation text. */
  readonly audit: string[];
}

export interface CatalogSecurityHubEntry {
  readonly controlId: string;
  readonly title: string;
  readonly severity: string;
  readonly pattern: string;
  readonly previousPatterns: string[];
}

export interface CatalogControlEntry {
  readonly key: string;
  readonly isMetricFilter: boolean;
  readonly versions: Record<string, CatalogVersionEntry | null>;
  readonly securityHub: CatalogSecurityHubEntry | null;
  readonly eventNames: string[];
  readonly eventSource: string | null;
}

export interface CatalogData {
  readonly benchmarkVersions: string[];
  readonly controls: CatalogControlEntry[];
}
