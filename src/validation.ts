import { Duration, Token } from 'aws-cdk-lib';
import { MAX_ALARM_NAME_LENGTH, MAX_ALARM_WINDOW_SECONDS } from './quotas';

/**
 * Synth-time input checks shared by the constructs. Every check lets
 * unresolved tokens through: their value is only known at deploy time.
 */

// Deliberately simple: one @, no spaces, a dot in the domain. SNS does the real check.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// CloudWatch namespaces: ASCII alphanumerics and . - _ / # : and space (PutMetricData docs).
const NAMESPACE = /^[A-Za-z0-9.\-_/#: ]+$/;

// Characters we allow in alarm-name prefixes: safe in every console, CLI and ARN.
const ALARM_PREFIX = /^[A-Za-z0-9._\-]+$/;


export function validateEmail(email: string, where: string): void {
  if (Token.isUnresolved(email)) return;
  if (!EMAIL.test(email)) {
    throw new Error(`${where}: "${email}" is not a valid email address. Use the form name@example.com.`);
  }
}

export function validateNamespace(namespace: string): void {
  if (Token.isUnresolved(namespace)) return;
  if (namespace.length === 0 || namespace.length > 255 || !NAMESPACE.test(namespace) || namespace.trim() === '') {
    throw new Error(`metricNamespace "${namespace}" is invalid: use 1-255 ASCII letters, digits, spaces or . - _ / # : (for example "CISBenchmark").`);
  }
  if (namespace.startsWith('AWS/')) {
    throw new Error(`metricNamespace "${namespace}" is invalid: the "AWS/" prefix is reserved for AWS services. Choose another namespace, for example "CISBenchmark".`);
  }
}

export function validateAlarmNamePrefix(prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  if (prefix.length === 0 || !ALARM_PREFIX.test(prefix)) {
    throw new Error(`alarmNamePrefix "${prefix}" is invalid: use letters, digits, '.', '_' or '-' (for example "prod-cis").`);
  }
  if (prefix.length > 200) {
    throw new Error(`alarmNamePrefix "${prefix}" is ${prefix.length} characters long; keep it to 200 so alarm names stay within CloudWatch's ${MAX_ALARM_NAME_LENGTH}.`);
  }
}

export function validatePeriod(period: Duration, where: string): void {
  if (period.isUnresolved()) return;
  const seconds = period.toSeconds();
  if (seconds < 60 || seconds > MAX_ALARM_WINDOW_SECONDS || seconds % 60 !== 0) {
    throw new Error(`${where}: period ${seconds}s is invalid: metric-filter metrics have one-minute resolution, so use a whole number of minutes from 1 minute to 1 day (CIS uses 5 minutes).`);
  }
}

export function validateThreshold(threshold: number, where: string): void {
  if (Token.isUnresolved(threshold)) return;
  if (!Number.isFinite(threshold) || threshold < 1) {
    throw new Error(`${where}: threshold ${threshold} is invalid: it must be at least 1 (one matching event), or the alarm fires without any event (CIS uses 1).`);
  }
}

export function validateEvaluationPeriods(evaluationPeriods: number, period: Duration, where: string): void {
  if (Token.isUnresolved(evaluationPeriods)) return;
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) {
    throw new Error(`${where}: evaluationPeriods ${evaluationPeriods} is invalid: use a whole number of at least 1 (CIS uses 1).`);
  }
  if (!period.isUnresolved() && evaluationPeriods * period.toSeconds() > MAX_ALARM_WINDOW_SECONDS) {
    throw new Error(`${where}: evaluationPeriods ${evaluationPeriods} x period ${period.toSeconds()}s exceeds CloudWatch's one-day limit (${MAX_ALARM_WINDOW_SECONDS}s). Lower one of them.`);
  }
}
