export * from './rollout';
export * from './security-account';
// By name: the module's helper for the member template is not part of the API.
export { CisEvidenceReporter } from './evidence-reporter';
export type { CisEvidenceReporterProps } from './evidence-reporter';
