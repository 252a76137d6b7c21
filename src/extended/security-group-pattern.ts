/**
 * The "security group opened to the world" detection (internal): a metric
 * filter pattern and an EventBridge pattern for successful
 * `AuthorizeSecurityGroupIngress` calls that allow `0.0.0.0/0` or `::/0`.
 *
 * Where the CIDR is in a CloudTrail record:
 * - request, single-rule form: `requestParameters.cidrIp` (the CLI's `--cidr`);
 * - request, list form: `requestParameters.ipPermissions.items[*].ipRanges.items[*].cidrIp`
 *   and `...ipv6Ranges.items[*].cidrIpv6`;
 * - response (what was created, either form): `responseElements.securityGroupRuleSet.items[*].cidrIpv4` / `cidrIpv6`.
 *
 * A prefix length of 0 opens the rule to every address whatever the base
 * address (`10.0.0.0/0` too), so the value test is "ends with `/0`": the
 * wildcard `"*\/0"` in the filter pattern, `suffix: "/0"` in EventBridge
 * ("/10", "/20", "/30" do not end with "/0").
 *
 * Arrays: CloudWatch filter patterns cannot test "any element" (a selector
 * that names an array never matches), so the filter tests explicit indexes:
 * the first RESPONSE_RULES rules of the response and the first entry of the
 * request list, within the 1024-character pattern limit. A call that opens
 * the world only in a later rule is missed by the metric filter (documented);
 * EventBridge flattens arrays, so the rule checks every element.
 */

/** Response rules (`securityGroupRuleSet.items[0..n-1]`) the metric filter checks. */
export const RESPONSE_RULES = 5;

const OPEN = '"*/0"';

export function securityGroupOpenToWorldPattern(): string {
  const terms = [
    `$.requestParameters.cidrIp = ${OPEN}`,
    `$.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp = ${OPEN}`,
    `$.requestParameters.ipPermissions.items[0].ipv6Ranges.items[0].cidrIpv6 = ${OPEN}`,
  ];
  for (let i = 0; i < RESPONSE_RULES; i++) {
    terms.push(`$.responseElements.securityGroupRuleSet.items[${i}].cidrIpv4 = ${OPEN}`);
    terms.push(`$.responseElements.securityGroupRuleSet.items[${i}].cidrIpv6 = ${OPEN}`);
  }
  return `{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "AuthorizeSecurityGroupIngress") && ($.errorCode NOT EXISTS) && (${terms.join(' || ')}) }`;
}

export function securityGroupOpenToWorldEventPattern(): { source: string[]; detailType: string[]; detail: Record<string, unknown> } {
  const open = [{ suffix: '/0' }];
  return {
    source: ['aws.ec2'],
    detailType: ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['ec2.amazonaws.com'],
      eventName: ['AuthorizeSecurityGroupIngress'],
      errorCode: [{ exists: false }],
      $or: [
        { requestParameters: { cidrIp: open } },
        { requestParameters: { ipPermissions: { items: { ipRanges: { items: { cidrIp: open } } } } } },
        { requestParameters: { ipPermissions: { items: { ipv6Ranges: { items: { cidrIpv6: open } } } } } },
        { responseElements: { securityGroupRuleSet: { items: { cidrIpv4: open } } } },
        { responseElements: { securityGroupRuleSet: { items: { cidrIpv6: open } } } },
      ],
    },
  };
}
