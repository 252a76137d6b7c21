import { isIP, isIPv6 } from 'net';
import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CisControl } from '../catalog';
import { ExclusionCondition, quoteFilterValue, SELECTORS, TOKEN_RESERVE } from './internal';
import { asControl } from '../catalog/selection';

/** What an `Exclusion` matches on. */
export enum ExclusionKind {
  /** `Exclusion.principalArn()`: the caller's ARN or, for role sessions, the role's ARN. */
  PRINCIPAL_ARN = 'PRINCIPAL_ARN',
  /** `Exclusion.role()`: sessions of one IAM role. */
  ROLE = 'ROLE',
  /** `Exclusion.roleName()`: sessions of roles with this name, in any account. */
  ROLE_NAME = 'ROLE_NAME',
  /** `Exclusion.userAgent()`: the caller's user agent (spoofable: the caller chooses it). */
  USER_AGENT = 'USER_AGENT',
  /** `Exclusion.sourceIp()`: the caller's IP address or an IPv4 /8, /16, /24 or /32 network. */
  SOURCE_IP = 'SOURCE_IP',
  /** `Exclusion.eventName()`: one API action. */
  EVENT_NAME = 'EVENT_NAME',
  /** `Exclusion.jsonField()`: any scalar CloudTrail field. */
  JSON_FIELD = 'JSON_FIELD',
}

/** Options of every `Exclusion` factory. */
export interface ExclusionOptions {
  /**
   * The controls the exclusion applies to. Every one must be deployed.
   * @default - every deployed control
   */
  readonly controls?: CisControl[];
}

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const EVENT_NAME = /^[A-Za-z0-9_]{1,128}$/;
const SELECTOR = /^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * A principal, network or action whose events should not page anybody, for
 * example the CI/CD role that changes security groups all day.
 *
 * CIS scanners (Security Hub, Prowler, Steampipe, CloudSploit) fail a control
 * whose filter pattern was modified, so an exclusion never touches the
 * compliance filter: the control keeps its exact CIS filter and compliance
 * alarm, and gets a second, tuned filter on its own metric
 * (`<metricName>Paging`) with a **paging alarm** that can notify its own topic.
 *
 * Every exclusion compiles to `($.field NOT EXISTS || $.field != "value")`:
 * a comparison on a missing field is false in CloudWatch Logs, `!=` included,
 * so a bare `$.field != "value"` would silently drop every event without the
 * field (for example root or AWS-service events have no session issuer).
 *
 * `*` is a wildcard only as the first or last character of a value
 * (`terraform-*`, `*terraform*`); a `*` anywhere else is rejected, because
 * CloudWatch Logs would compare it literally.
 *
 * @example
 * Exclusion.roleName('ci-deployer', { controls: [CisControl.SECURITY_GROUP_CHANGES] });
 * Exclusion.principalArn('arn:aws:iam::123456789012:role/terraform-*');
 * Exclusion.sourceIp('203.0.113.0/24');
 */
export class Exclusion {
  /**
   * Events by one principal, given by ARN; `*` is allowed as the first or last character.
   *
   * - An IAM role ARN (`arn:aws:iam::123456789012:role/deployer`, wildcards
   *   allowed: `.../role/terraform-*`) matches the sessions of that role
   *   through `userIdentity.sessionContext.sessionIssuer.arn` (which keeps the
   *   role path; `userIdentity.arn` of a role session is the STS
   *   `assumed-role` ARN instead).
   * - A user, root, `assumed-role` or `federated-user` ARN matches `userIdentity.arn`.
   * - Anything else (`arn:aws:iam::123456789012:*` or a leading `*`) is tested against both fields.
   *
   * The account cannot be a wildcard (`arn:aws:iam::*:role/x` has a `*` in the
   * middle); list one exclusion per account or use `Exclusion.roleName()`.
   * The ARN must be known at synth time (not a token): a value that arrives
   * at deploy time cannot be checked or escaped, and a `"` in it would end
   * the filter pattern's string. For a role of this app use `Exclusion.role()`.
   */
  public static principalArn(arn: string, options: ExclusionOptions = {}): Exclusion {
    const where = `Exclusion.principalArn(${JSON.stringify(arn)})`;
    // A value known only at deploy time could hold `"` and end the filter pattern's string (the paging alarm would never fire).
    rejectToken(arn, where);
    checkValue(arn, where, 'use Exclusion.roleName("NAME") to match a role in every account, or list one ARN per account');
    const fixed = arn.replace(/^\*/, '').replace(/\*$/, '');
    if (!arn.startsWith('*') && !/^arn:[a-z0-9-]+:(iam|sts)::/.test(arn)) {
      throw new Error(`${where}: "${arn}" is not an IAM or STS ARN. Use the form arn:aws:iam::123456789012:role/NAME (or :user/NAME, or arn:aws:sts::123456789012:assumed-role/NAME/SESSION).`);
    }
    const account = /^arn:[a-z0-9-]+:(?:iam|sts)::([^:]*):/.exec(arn);
    if (account && !/^\d{12}$/.test(account[1])) {
      throw new Error(`${where}: the account "${account[1]}" is not a 12-digit AWS account ID. Give the account ID, or use Exclusion.roleName() to match a role name in every account.`);
    }
    let selectors: string[];
    if (/:(assumed-role|federated-user|user)\//.test(fixed) || /:root$/.test(arn)) {
      selectors = [SELECTORS.userArn];
    } else if (/:role\//.test(fixed)) {
      selectors = [SELECTORS.sessionIssuerArn];
    } else {
      selectors = [SELECTORS.userArn, SELECTORS.sessionIssuerArn];
    }
    return new Exclusion(ExclusionKind.PRINCIPAL_ARN, arn, `principal ${arn}`, selectors.map(s => literalCondition(s, arn)), options);
  }

  /**
   * Events by sessions of one IAM role (its ARN, through
   * `userIdentity.sessionContext.sessionIssuer.arn`). Works with roles defined
   * in the same app (the ARN is then a token; the pattern length check
   * reserves 160 characters for it).
   */
  public static role(role: iam.IRole, options: ExclusionOptions = {}): Exclusion {
    const arn = role.roleArn;
    if (Token.isUnresolved(arn)) {
      return new Exclusion(ExclusionKind.ROLE, arn, `role ${role.node.path}`,
        [tokenCondition(SELECTORS.sessionIssuerArn, arn, TOKEN_RESERVE.arn)], options);
    }
    const where = `Exclusion.role(${role.node.path})`;
    checkValue(arn, where, 'give the role\'s full ARN');
    if (!/^arn:[a-z0-9-]+:iam::\d{12}:role\/./.test(arn)) {
      throw new Error(`${where}: "${arn}" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME). Import the role with iam.Role.fromRoleArn() or use Exclusion.principalArn().`);
    }
    return new Exclusion(ExclusionKind.ROLE, arn, `role ${arn}`, [literalCondition(SELECTORS.sessionIssuerArn, arn)], options);
  }

  /**
   * Events by sessions of roles with this name, in any account
   * (`userIdentity.sessionContext.sessionIssuer.userName`, an exact field:
   * the role name without path or account). `*` is allowed as the first or
   * last character (`terraform-*`).
   *
   * The same field holds the IAM user name for sessions from
   * `GetFederationToken`, so an IAM user with this name is excluded too.
   */
  public static roleName(name: string, options: ExclusionOptions = {}): Exclusion {
    const where = `Exclusion.roleName(${JSON.stringify(name)})`;
    rejectToken(name, where);
    checkValue(name, where, 'use a name prefix or suffix such as "terraform-*"');
    const fixed = stripWildcards(name);
    if (!ROLE_NAME.test(fixed)) {
      throw new Error(`${where}: "${name}" is not an IAM role name: use 1-64 letters, digits and + = , . @ _ - (no path and no ARN; for an ARN use Exclusion.principalArn()).`);
    }
    return new Exclusion(ExclusionKind.ROLE_NAME, name, `role name ${name}`, [literalCondition(SELECTORS.sessionIssuerUserName, name)], options);
  }

  /**
   * Events whose `userAgent` matches, for example `*terraform*` (contains),
   * `aws-cli/*` (starts with) or an exact string.
   *
   * The caller chooses its user agent, so anyone can evade a control excluded
   * this way; prefer a principal exclusion where you can.
   */
  public static userAgent(userAgent: string, options: ExclusionOptions = {}): Exclusion {
    const where = `Exclusion.userAgent(${JSON.stringify(userAgent)})`;
    rejectToken(userAgent, where);
    checkValue(userAgent, where, 'use a leading and trailing * to match a fragment, for example "*terraform*"');
    return new Exclusion(ExclusionKind.USER_AGENT, userAgent, `user agent ${userAgent}`, [literalCondition(SELECTORS.userAgent, userAgent)], options);
  }

  /**
   * Events from one IP address (IPv4 or IPv6, compared exactly as CloudTrail
   * writes it) or an IPv4 network: /32, /24, /16 or /8 (`203.0.113.0/24`
   * becomes the prefix `203.0.113.*`; `203.0.113.*` is accepted as well).
   * Filter patterns cannot express other prefix lengths or IPv6 networks.
   */
  public static sourceIp(ipOrCidr: string, options: ExclusionOptions = {}): Exclusion {
    const where = `Exclusion.sourceIp(${JSON.stringify(ipOrCidr)})`;
    rejectToken(ipOrCidr, where);
    const value = ipFilterValue(ipOrCidr, where);
    return new Exclusion(ExclusionKind.SOURCE_IP, ipOrCidr, `source IP ${ipOrCidr}`, [literalCondition(SELECTORS.sourceIp, value)], options);
  }

  /**
   * Events of one API action, for example `PutRolePolicy`; `*` is allowed as
   * the first or last character (`Describe*`).
   */
  public static eventName(eventName: string, options: ExclusionOptions = {}): Exclusion {
    const where = `Exclusion.eventName("${eventName}")`;
    rejectToken(eventName, where);
    checkValue(eventName, where, 'use a prefix or suffix such as "Describe*"');
    if (!EVENT_NAME.test(stripWildcards(eventName))) {
      throw new Error(`${where}: "${eventName}" is not a CloudTrail event name: use letters, digits and _ only, as in "PutRolePolicy".`);
    }
    return new Exclusion(ExclusionKind.EVENT_NAME, eventName, `event ${eventName}`, [literalCondition(SELECTORS.eventName, eventName)], options);
  }

  /**
   * Events whose scalar field `selector` (for example
   * `$.userIdentity.accountId`) matches `value`. The field must hold a string
   * or number: a selector that names an object or array never matches, so
   * every event that has it would be excluded.
   */
  public static jsonField(selector: string, value: string, options: ExclusionOptions = {}): Exclusion {
    const where = `Exclusion.jsonField("${selector}", ${JSON.stringify(value)})`;
    rejectToken(selector, where);
    rejectToken(value, where);
    if (!SELECTOR.test(selector)) {
      throw new Error(`${where}: "${selector}" is not a JSON selector. Use the form $.field.subField or $.list[0].field (letters, digits, _ and -).`);
    }
    checkValue(value, where, 'use a leading and/or trailing * only');
    return new Exclusion(ExclusionKind.JSON_FIELD, value, `${selector} = ${value}`, [literalCondition(selector, value)], options);
  }

  /** What the exclusion matches on. */
  public readonly kind: ExclusionKind;
  /** The value as given (an ARN, name, user agent, IP or CIDR, event name or field value). */
  public readonly value: string;
  /** A short human-readable description, for example `role name ci-deployer`. */
  public readonly description: string;
  /**
   * The controls the exclusion is limited to.
   * @default - every deployed control
   */
  public readonly controls?: CisControl[];

  /** @internal */
  public readonly _conditions: ExclusionCondition[];

  private constructor(kind: ExclusionKind, value: string, description: string, conditions: ExclusionCondition[], options: ExclusionOptions) {
    this.kind = kind;
    this.value = value;
    this.description = description;
    this._conditions = conditions;
    this.controls = options.controls === undefined ? undefined : checkControls(options.controls, description);
  }

  /** The same exclusion limited to the given controls (replacing any earlier limit). */
  public forControls(...controls: CisControl[]): Exclusion {
    return new Exclusion(this.kind, this.value, this.description, this._conditions, { controls });
  }

  /** Whether the exclusion applies to a control. */
  public appliesTo(control: CisControl): boolean {
    return this.controls === undefined || this.controls.some(c => c.key === control.key);
  }

  public toString(): string {
    return this.controls ? `${this.description} (${this.controls.map(c => c.key).join(', ')})` : this.description;
  }
}

function checkControls(controls: CisControl[], description: string): CisControl[] {
  if (controls.length === 0) {
    throw new Error(`The exclusion of ${description} has an empty controls list, so it applies to nothing. Omit controls to apply it to every control, or name at least one.`);
  }
  const out: CisControl[] = [];
  controls.forEach((value, i) => {
    const c = asControl(value, `The exclusion of ${description}: controls[${i}]`);
    if (!c.isMetricFilter) {
      throw new Error(`The exclusion of ${description} lists "${c.key}", which is not a metric-filter control; remove it.`);
    }
    if (!out.some(o => o.key === c.key)) out.push(c);
  });
  return out;
}

function literalCondition(selector: string, value: string): ExclusionCondition {
  return { selector, value, renderedLength: quoteFilterValue(value).length };
}

function tokenCondition(selector: string, value: string, reserve: number): ExclusionCondition {
  return { selector, value, renderedLength: reserve + 2 };
}

function rejectToken(value: string, where: string): void {
  if (Token.isUnresolved(value)) {
    throw new Error(`${where}: the value is an unresolved token; it must be known at synth time so it can be checked and escaped (a deploy-time value with a quote in it would end the filter pattern's string and silence the paging alarm). Pass a literal string${where.startsWith('Exclusion.principalArn') || where.startsWith('Exclusion.roleName') ? ', or Exclusion.role(role) for a role of this app' : ''}.`);
  }
}

function stripWildcards(value: string): string {
  return value.replace(/^\*/, '').replace(/\*$/, '');
}

/**
 * Checks a comparison value: not empty, not just wildcards, `*` only first or
 * last, no control characters, not a `%regex%`.
 */
function checkValue(value: string, where: string, hint: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`${where}: the value is empty; give the value to exclude.`);
  }
  if (/^\*+$/.test(value)) {
    throw new Error(`${where}: "${value}" would match every event that has the field, which disables the paging alarm. Give a more specific value.`);
  }
  const inner = value.slice(1, -1);
  if (inner.includes('*')) {
    throw new Error(`${where}: "${value}" has a * that is not the first or last character. CloudWatch Logs filter patterns only treat * as a wildcard at the start or end of a value and would compare this one literally; ${hint}.`);
  }
  if (CONTROL_CHARS.test(value)) {
    throw new Error(`${where}: the value contains a control character (newline, tab, ...), which CloudTrail values never hold; remove it.`);
  }
  if (value.length > 1 && value.startsWith('%') && value.endsWith('%')) {
    throw new Error(`${where}: "${value}" looks like a %regex%; exclusions compare strings only. Remove the % delimiters.`);
  }
}

function ipFilterValue(input: string, where: string): string {
  const s = input.trim();
  if (s !== input || s.length === 0) {
    throw new Error(`${where}: give an IP address or CIDR without surrounding spaces, for example "203.0.113.10" or "203.0.113.0/24".`);
  }
  // "a.b.c.*" style prefixes, equivalent to /24, /16, /8
  const star = /^((?:\d{1,3}\.){1,3})\*$/.exec(s);
  if (star) {
    const octets = star[1].slice(0, -1).split('.');
    if (octets.every(o => IPV4.test(`${o}.0.0.0`))) return s;
    throw new Error(`${where}: "${s}" is not a valid IPv4 prefix; use the form "203.0.113.*" or a CIDR such as "203.0.113.0/24".`);
  }
  const slash = s.indexOf('/');
  if (slash < 0) {
    if (isIP(s) === 0) {
      throw new Error(`${where}: "${s}" is not an IP address. Give an IPv4 or IPv6 address, or an IPv4 CIDR with prefix length 8, 16, 24 or 32.`);
    }
    return s;
  }
  const addr = s.slice(0, slash);
  const bitsText = s.slice(slash + 1);
  if (isIPv6(addr)) {
    throw new Error(`${where}: IPv6 networks cannot be expressed in a CloudWatch Logs filter pattern (no CIDR matching, and IPv6 text forms do not align with prefixes). Exclude individual IPv6 addresses instead.`);
  }
  if (!IPV4.test(addr) || !/^\d{1,2}$/.test(bitsText) || Number(bitsText) > 32) {
    throw new Error(`${where}: "${s}" is not a valid IPv4 CIDR; use the form "203.0.113.0/24".`);
  }
  const bits = Number(bitsText);
  if (bits % 8 !== 0 || bits === 0) {
    throw new Error(`${where}: prefix length /${bits} is not supported: filter patterns can only match an IPv4 network by a textual prefix, which works for /8, /16, /24 and /32. Split the network into /24 (or /16, /8) networks and add one exclusion each.`);
  }
  const octets = addr.split('.');
  const keep = bits / 8;
  if (octets.slice(keep).some(o => o !== '0')) {
    throw new Error(`${where}: "${s}" has host bits set; did you mean "${[...octets.slice(0, keep), ...Array(4 - keep).fill('0')].join('.')}/${bits}"?`);
  }
  return keep === 4 ? addr : `${octets.slice(0, keep).join('.')}.*`;
}
