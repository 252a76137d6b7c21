/**
 * A compliance scanner that checks the CIS monitoring controls. Each one
 * decides pass or fail by its own rule on the metric filter's pattern text
 * (and by its own idea of which trail, alarm and topic count), so one text
 * rarely satisfies all of them; see `ScannerPlan`.
 */
export enum Scanner {
  /**
   * AWS Security Hub CSPM controls CloudWatch.1-14: the pattern must equal the
   * documented text byte for byte; a multi-region, logging trail with
   * management events (ReadWriteType All) and an alarm whose SNS topic has a
   * confirmed subscriber are required. AWS Organizations changes has no control.
   */
  SECURITY_HUB = 'SECURITY_HUB',
  /**
   * Prowler: a regular expression per control over every metric filter on
   * the log group of any trail, plus an alarm with the same metric name.
   */
  PROWLER = 'PROWLER',
  /**
   * Steampipe/Powerpipe AWS compliance mod: ordered PostgreSQL regular
   * expressions, a multi-region logging trail with a classic event selector
   * ReadWriteType All, an alarm on the filter's metric and a topic with a subscription.
   */
  STEAMPIPE = 'STEAMPIPE',
  /**
   * Aqua CloudSploit (master): the pattern, stripped of whitespace and
   * lowercased, must equal its expected text. Alarms are not checked.
   */
  CLOUDSPLOIT = 'CLOUDSPLOIT',
}
