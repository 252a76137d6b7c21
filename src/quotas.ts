/**
 * AWS service quotas and API limits the constructs and the CLI check against,
 * in one place (internal). Each value names where AWS documents it.
 */

/** CloudWatch Logs: characters in one metric filter pattern (PutMetricFilter). */
export const MAX_FILTER_PATTERN_LENGTH = 1024;
/** CloudWatch Logs: metric filters per log group (not adjustable). */
export const MAX_METRIC_FILTERS_PER_LOG_GROUP = 100;
/** CloudWatch Logs: `%regex%` values in one filter pattern. */
export const MAX_REGEX_PER_PATTERN = 2;
/** CloudWatch Logs: metric filters with `%regex%` values per log group. */
export const MAX_REGEX_FILTERS_PER_LOG_GROUP = 5;

/** CloudWatch: characters in an alarm name. */
export const MAX_ALARM_NAME_LENGTH = 255;
/** CloudWatch: characters in an alarm description. */
export const MAX_ALARM_DESCRIPTION_LENGTH = 1024;
/** CloudWatch: EvaluationPeriods x Period may not exceed one day (PutMetricAlarm). */
export const MAX_ALARM_WINDOW_SECONDS = 86_400;

/** EventBridge: characters in a rule name. */
export const MAX_RULE_NAME_LENGTH = 64;
/** EventBridge: characters in an event pattern. */
export const MAX_EVENT_PATTERN_LENGTH = 2048;
/** EventBridge: characters in a rule description. */
export const MAX_RULE_DESCRIPTION_LENGTH = 512;

/** CloudWatch Logs Insights: characters in a query definition name (folder included). */
export const MAX_QUERY_NAME_LENGTH = 255;
/** Practical limit on a query folder, so `<folder>/<title>` keeps room for the title. */
export const MAX_QUERY_FOLDER_LENGTH = 150;
