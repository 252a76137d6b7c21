import { App, CfnParameter, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CisBenchmarkVersion, CisControl } from '../../src/catalog';
import { Exclusion, ExclusionKind } from '../../src/exclusions';
import { compileExcludedPattern, globMatches, validateExclusions } from '../../src/exclusions/compile';
import { FilterPatternEngine } from '../../src/filter-pattern';
import { planOf } from '../support/plans';

const BASE = '{ ($.eventSource = iam.amazonaws.com) && ($.eventName = PutRolePolicy) }';
const ORG = CisControl.ORGANIZATIONS_CHANGES.definitionIn(CisBenchmarkVersion.LATEST).deployedPattern!;

function guardsOf(e: Exclusion): string {
  const p = compileExcludedPattern(BASE, [e]);
  return p.slice(`{ (${BASE.slice(1, -1).trim()}) && `.length, -2);
}

describe('compileExcludedPattern', () => {
  test('wraps the base in parentheses and guards each field with NOT EXISTS', () => {
    expect(compileExcludedPattern(BASE, [Exclusion.roleName('ci-deployer')])).toBe(
      '{ (($.eventSource = iam.amazonaws.com) && ($.eventName = PutRolePolicy)) && '
      + '($.userIdentity.sessionContext.sessionIssuer.userName NOT EXISTS || $.userIdentity.sessionContext.sessionIssuer.userName != "ci-deployer") }');
  });

  test('parenthesises an OR base so the exclusions bind to all of it', () => {
    const p = compileExcludedPattern('{ $.eventName = A || $.eventName = B }', [Exclusion.eventName('B')]);
    expect(p).toBe('{ ($.eventName = A || $.eventName = B) && ($.eventName NOT EXISTS || $.eventName != "B") }');
    const e = FilterPatternEngine.parse(p);
    expect(e.matchesRecord({ eventName: 'A' })).toBe(true);
    expect(e.matchesRecord({ eventName: 'B' })).toBe(false);
  });

  test('exclusions on one field share a guard; duplicates are dropped; fields keep first-seen order', () => {
    const p = compileExcludedPattern(BASE, [
      Exclusion.userAgent('*terraform*'), Exclusion.sourceIp('203.0.113.7'), Exclusion.userAgent('aws-cli/*'), Exclusion.userAgent('*terraform*'),
    ]);
    expect(p).toBe(`{ (${BASE.slice(1, -1).trim()}) && `
      + '($.userAgent NOT EXISTS || ($.userAgent != "*terraform*" && $.userAgent != "aws-cli/*")) && '
      + '($.sourceIPAddress NOT EXISTS || $.sourceIPAddress != "203.0.113.7") }');
  });

  test('returns the base unchanged when no exclusion applies to the control', () => {
    const e = Exclusion.roleName('ci', { controls: [CisControl.VPC_CHANGES] });
    expect(compileExcludedPattern(BASE, [e], CisControl.IAM_POLICY_CHANGES)).toBe(BASE);
    expect(compileExcludedPattern(BASE, [])).toBe(BASE);
  });

  test('rejects a base pattern that is not a JSON pattern', () => {
    expect(() => compileExcludedPattern('ERROR -DEBUG', [Exclusion.eventName('X')], CisControl.IAM_POLICY_CHANGES))
      .toThrow(/Cannot add exclusions to control "iam-policy-changes": exclusions need a JSON filter pattern .*got TERMS/);
  });

  test('rejects an invalid base pattern with the parser message', () => {
    expect(() => compileExcludedPattern('{ $.a = ', [Exclusion.eventName('X')]))
      .toThrow(/Cannot add exclusions to the pattern: its pattern is invalid: Invalid filter pattern at position/);
  });

  test('throws naming the control and the length beyond 1024 characters', () => {
    const many = [1, 2, 3].map(i => Exclusion.principalArn(`arn:aws:iam::12345678901${i}:role/some-rather-long-deployment-role-name`));
    expect(() => compileExcludedPattern(ORG, many, CisControl.ORGANIZATIONS_CHANGES))
      .toThrow(/exclusions for control "organizations-changes" make its paging filter pattern 1\d{3} characters long; CloudWatch Logs allows 1024\. The base pattern alone takes 758/);
  });

  test('a pattern of exactly the limit passes, one more character fails', () => {
    const fixed = compileExcludedPattern(ORG, [Exclusion.userAgent('x')]).length; // 1-character value
    const room = 1024 - fixed + 1;
    expect(compileExcludedPattern(ORG, [Exclusion.userAgent('x'.repeat(room))])).toHaveLength(1024);
    expect(() => compileExcludedPattern(ORG, [Exclusion.userAgent('x'.repeat(room + 1))])).toThrow(/1025 characters long/);
  });

  test('counts token values (roles of this app) at their maximum length', () => {
    const stack = new Stack();
    const roles = [1, 2].map(i => new iam.Role(stack, `R${i}`, { assumedBy: new iam.AccountRootPrincipal() }));
    // Two session-issuer guards at 160 characters each do not fit next to Organizations' 758.
    expect(() => compileExcludedPattern(ORG, roles.map(r => Exclusion.role(r)), CisControl.ORGANIZATIONS_CHANGES))
      .toThrow(/estimated: 2 value\(s\) are tokens, counted at their maximum length/);
    const short = compileExcludedPattern(BASE, [Exclusion.role(roles[0])]);
    expect(short).toContain('$.userIdentity.sessionContext.sessionIssuer.arn != "${Token[');
  });

  test.each([
    ['principalArn', (v: string) => Exclusion.principalArn(v), /Exclusion.principalArn\(.*\): the value is an unresolved token; .*would end the filter pattern's string.*or Exclusion.role\(role\) for a role of this app\./],
    ['roleName', (v: string) => Exclusion.roleName(v), /Exclusion.roleName\(.*\): the value is an unresolved token; .* or Exclusion.role\(role\)/],
    ['sourceIp', (v: string) => Exclusion.sourceIp(v), /Exclusion.sourceIp\(.*\): the value is an unresolved token; it must be known at synth time/],
    ['userAgent', (v: string) => Exclusion.userAgent(v), /Exclusion.userAgent\(.*\): the value is an unresolved token/],
  ])('%s refuses a token, which could end the pattern\'s string at deploy time and silence the paging alarm', (_name, make, message) => {
    const injection = Lazy.string({ produce: () => 'x") && ($.eventName = "NeverHappens' });
    expect(() => make(injection)).toThrow(message);
    const parameter = new CfnParameter(new Stack(), 'P', { type: 'String' }).valueAsString;
    expect(() => make(parameter)).toThrow(message);
  });
});

describe('Exclusion.principalArn', () => {
  test('an IAM role ARN (with a trailing wildcard) tests the session issuer ARN only', () => {
    const e = Exclusion.principalArn('arn:aws:iam::123456789012:role/terraform-*');
    expect(e.kind).toBe(ExclusionKind.PRINCIPAL_ARN);
    expect(guardsOf(e)).toBe('($.userIdentity.sessionContext.sessionIssuer.arn NOT EXISTS || $.userIdentity.sessionContext.sessionIssuer.arn != "arn:aws:iam::123456789012:role/terraform-*")');
  });

  test.each([
    'arn:aws:iam::123456789012:user/alice',
    'arn:aws:iam::123456789012:root',
    'arn:aws:sts::123456789012:assumed-role/deployer/*',
    'arn:aws-us-gov:sts::123456789012:federated-user/bob',
  ])('%s tests userIdentity.arn only', (arn) => {
    expect(guardsOf(Exclusion.principalArn(arn))).toBe(`($.userIdentity.arn NOT EXISTS || $.userIdentity.arn != "${arn}")`);
  });

  test('an account-wide prefix or a leading wildcard without a resource type tests both fields', () => {
    expect(guardsOf(Exclusion.principalArn('*:role/deployer'))).not.toContain('$.userIdentity.arn NOT EXISTS');
    for (const arn of ['arn:aws:iam::123456789012:*', '*/deployer']) {
      const g = guardsOf(Exclusion.principalArn(arn));
      expect(g).toContain('$.userIdentity.arn NOT EXISTS');
      expect(g).toContain('$.userIdentity.sessionContext.sessionIssuer.arn NOT EXISTS');
    }
  });

  test('a wildcard account is rejected with a fix', () => {
    expect(() => Exclusion.principalArn('arn:aws:iam::*:role/deployer'))
      .toThrow(/"arn:aws:iam::\*:role\/deployer" has a \* that is not the first or last character.*compare this one literally; use Exclusion.roleName\("NAME"\)/);
  });

  test.each([
    ['', /the value is empty/],
    ['*', /would match every event that has the field/],
    ['role/deployer', /"role\/deployer" is not an IAM or STS ARN\. Use the form arn:aws:iam::123456789012:role\/NAME/],
    ['arn:aws:s3:::bucket', /is not an IAM or STS ARN/],
    ['arn:aws:iam::12345:role/x', /the account "12345" is not a 12-digit AWS account ID/],
    ['arn:aws:iam::123456789012:role/x\n', /control character/],
  ])('rejects %j', (arn, msg) => {
    expect(() => Exclusion.principalArn(arn)).toThrow(msg);
  });
});

describe('Exclusion.role', () => {
  test('an imported role matches its exact session issuer ARN', () => {
    const stack = new Stack();
    const role = iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::123456789012:role/pipelines/deployer');
    const e = Exclusion.role(role);
    expect(e.kind).toBe(ExclusionKind.ROLE);
    expect(guardsOf(e)).toBe('($.userIdentity.sessionContext.sessionIssuer.arn NOT EXISTS || $.userIdentity.sessionContext.sessionIssuer.arn != "arn:aws:iam::123456789012:role/pipelines/deployer")');
  });

  test('a role of the same app renders its ARN into the deployed pattern', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const role = new iam.Role(stack, 'Deployer', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    const pattern = compileExcludedPattern(BASE, [Exclusion.role(role)]);
    new logs.MetricFilter(stack, 'F', {
      logGroup: new logs.LogGroup(stack, 'G'),
      filterPattern: logs.FilterPattern.literal(pattern),
      metricNamespace: 'N',
      metricName: 'M',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: {
        'Fn::Join': ['', Match.arrayWith([
          Match.stringLikeRegexp('sessionIssuer\\.arn != "$'),
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^Deployer'), 'Arn'] },
          '") }',
        ])],
      },
    });
  });

  test('rejects an imported ARN that is not a role', () => {
    const stack = new Stack();
    const notRole = iam.Role.fromRoleArn(stack, 'U', 'arn:aws:iam::123456789012:user/alice', { mutable: false });
    expect(() => Exclusion.role(notRole)).toThrow(/"arn:aws:iam::123456789012:user\/alice" is not an IAM role ARN/);
  });
});

describe('Exclusion.roleName', () => {
  test('matches the session issuer user name, wildcards at the ends', () => {
    expect(guardsOf(Exclusion.roleName('terraform-*'))).toBe('($.userIdentity.sessionContext.sessionIssuer.userName NOT EXISTS || $.userIdentity.sessionContext.sessionIssuer.userName != "terraform-*")');
  });

  test.each([
    ['/pipelines/deployer', /is not an IAM role name.*no path and no ARN/],
    ['arn:aws:iam::123456789012:role/deployer', /is not an IAM role name/],
    ['x'.repeat(65), /is not an IAM role name: use 1-64/],
    ['deploy*er', /has a \* that is not the first or last character/],
    ['', /the value is empty/],
    ['**', /would match every event/],
  ])('rejects %j', (name, msg) => {
    expect(() => Exclusion.roleName(name)).toThrow(msg);
  });
});

describe('Exclusion.userAgent', () => {
  test('keeps wildcards at the ends', () => {
    expect(guardsOf(Exclusion.userAgent('*terraform*'))).toBe('($.userAgent NOT EXISTS || $.userAgent != "*terraform*")');
  });

  test.each([
    ['', /the value is empty/],
    ['*', /would match every event/],
    ['terra*form', /has a \* that is not the first or last character/],
    ['%terraform%', /looks like a %regex%/],
    ['tab\there', /control character/],
  ])('rejects %j', (ua, msg) => {
    expect(() => Exclusion.userAgent(ua)).toThrow(msg);
  });

  test('rejects a token, which cannot be checked or escaped', () => {
    expect(() => Exclusion.userAgent(Lazy.string({ produce: () => 'x' }))).toThrow(/unresolved token; it must be known at synth time/);
  });
});

describe('Exclusion.sourceIp', () => {
  test.each([
    ['203.0.113.10', '203.0.113.10'],
    ['203.0.113.10/32', '203.0.113.10'],
    ['203.0.113.0/24', '203.0.113.*'],
    ['172.16.0.0/16', '172.16.*'],
    ['10.0.0.0/8', '10.*'],
    ['203.0.113.*', '203.0.113.*'],
    ['2001:db8::1', '2001:db8::1'],
  ])('%s compares as "%s"', (input, value) => {
    expect(guardsOf(Exclusion.sourceIp(input))).toBe(`($.sourceIPAddress NOT EXISTS || $.sourceIPAddress != "${value}")`);
  });

  test('a /24 prefix does not catch a longer third octet', () => {
    const p = FilterPatternEngine.parse(compileExcludedPattern('{ $.eventName = X }', [Exclusion.sourceIp('10.1.2.0/24')]));
    expect(p.matchesRecord({ eventName: 'X', sourceIPAddress: '10.1.2.77' })).toBe(false);
    expect(p.matchesRecord({ eventName: 'X', sourceIPAddress: '10.1.23.77' })).toBe(true);
  });

  test.each([
    ['10.0.0.0/20', /prefix length \/20 is not supported.*Split the network into \/24/],
    ['10.0.0.0/0', /prefix length \/0 is not supported/],
    ['10.1.2.3/24', /has host bits set; did you mean "10\.1\.2\.0\/24"\?/],
    ['2001:db8::/32', /IPv6 networks cannot be expressed/],
    ['not-an-ip', /"not-an-ip" is not an IP address/],
    ['256.1.1.1', /is not an IP address/],
    ['10.0.0.0/33', /is not a valid IPv4 CIDR/],
    [' 10.0.0.1', /without surrounding spaces/],
    ['10.0.1*', /is not an IP address/],
    ['300.1.*', /is not a valid IPv4 prefix/],
  ])('rejects %j', (input, msg) => {
    expect(() => Exclusion.sourceIp(input)).toThrow(msg);
  });
});

describe('Exclusion.eventName and Exclusion.jsonField', () => {
  test('event names accept wildcards at the ends', () => {
    expect(guardsOf(Exclusion.eventName('Describe*'))).toBe('($.eventName NOT EXISTS || $.eventName != "Describe*")');
  });

  test.each([
    ['Put Role', /is not a CloudTrail event name/],
    ['iam:PutRolePolicy', /is not a CloudTrail event name/],
    ['Put*Policy', /has a \* that is not the first or last/],
  ])('rejects event name %j', (name, msg) => {
    expect(() => Exclusion.eventName(name)).toThrow(msg);
  });

  test('jsonField tests any scalar field', () => {
    expect(guardsOf(Exclusion.jsonField('$.userIdentity.accountId', '444455556666')))
      .toBe('($.userIdentity.accountId NOT EXISTS || $.userIdentity.accountId != "444455556666")');
    expect(guardsOf(Exclusion.jsonField('$.resources[0].ARN', 'arn:aws:s3:::logs-*'))).toContain('$.resources[0].ARN != "arn:aws:s3:::logs-*"');
  });

  test.each([
    ['userIdentity.accountId', 'x', /is not a JSON selector/],
    ['$.user identity', 'x', /is not a JSON selector/],
    ['$', 'x', /is not a JSON selector/],
    ['$.a', '', /the value is empty/],
  ])('rejects jsonField(%j, %j)', (selector, value, msg) => {
    expect(() => Exclusion.jsonField(selector, value)).toThrow(msg);
  });

  test('rejects token selectors and values', () => {
    const t = Lazy.string({ produce: () => 'x' });
    expect(() => Exclusion.jsonField(t, 'x')).toThrow(/unresolved token/);
    expect(() => Exclusion.jsonField('$.a', t)).toThrow(/unresolved token/);
    expect(() => Exclusion.eventName(t)).toThrow(/unresolved token/);
  });
});

describe('scoping to controls', () => {
  test('options.controls and forControls limit an exclusion; duplicates collapse', () => {
    const e = Exclusion.roleName('ci', { controls: [CisControl.VPC_CHANGES, CisControl.VPC_CHANGES] });
    expect(e.controls).toEqual([CisControl.VPC_CHANGES]);
    expect(e.appliesTo(CisControl.VPC_CHANGES)).toBe(true);
    expect(e.appliesTo(CisControl.NACL_CHANGES)).toBe(false);
    const moved = e.forControls(CisControl.NACL_CHANGES);
    expect(moved.appliesTo(CisControl.NACL_CHANGES)).toBe(true);
    expect(moved.appliesTo(CisControl.VPC_CHANGES)).toBe(false);
    expect(moved.toString()).toBe('role name ci (nacl-changes)');
    expect(Exclusion.roleName('ci').appliesTo(CisControl.ROOT_ACCOUNT_USAGE)).toBe(true);
  });

  test('an empty controls list is rejected', () => {
    expect(() => Exclusion.roleName('ci', { controls: [] })).toThrow(/has an empty controls list, so it applies to nothing\. Omit controls/);
    expect(() => Exclusion.roleName('ci').forControls()).toThrow(/empty controls list/);
  });

  test('a control that is not a metric filter is rejected', () => {
    expect(() => Exclusion.roleName('ci', { controls: [CisControl.SECURITY_HUB_ENABLED] })).toThrow(/"security-hub-enabled", which is not a metric-filter control/);
  });

  test('something that is not a CisControl is rejected', () => {
    expect(() => Exclusion.roleName('ci', { controls: ['vpc-changes' as any] })).toThrow('The exclusion of role name ci: controls[0] must be a CisControl (for example CisControl.ROOT_ACCOUNT_USAGE), got the string "vpc-changes". Use CisControl.fromKey("vpc-changes").');
  });
});

describe('validateExclusions and planControlExclusions', () => {
  const deployed = [CisControl.IAM_POLICY_CHANGES, CisControl.CMK_DISABLE_OR_DELETION];

  test('rejects an exclusion for a control that is not deployed', () => {
    expect(() => validateExclusions([Exclusion.roleName('ci', { controls: [CisControl.VPC_CHANGES] })], deployed))
      .toThrow(/names control "vpc-changes", which is not deployed \(deployed: iam-policy-changes, cmk-disable-or-deletion\)/);
  });

  test('rejects an event-name exclusion that removes every event of a control', () => {
    expect(() => validateExclusions([Exclusion.eventName('*Key*')], deployed))
      .toThrow(/removes every event control "cmk-disable-or-deletion" watches \(DisableKey, ScheduleKeyDeletion\), so its paging alarm could never fire/);
    expect(() => validateExclusions([Exclusion.eventName('DisableKey')], deployed)).not.toThrow();
  });

  test('rejects something that is not an Exclusion', () => {
    expect(() => validateExclusions([{ kind: 'ROLE_NAME', value: 'x' } as any], deployed)).toThrow(/create exclusions with the Exclusion factories/);
  });

  test('no applicable exclusion: no paging side in the plan', () => {
    const plan = planOf(CisControl.VPC_CHANGES, CisBenchmarkVersion.V1_2_0, {
      controls: [CisControl.VPC_CHANGES, CisControl.NACL_CHANGES], exclusions: [Exclusion.roleName('ci', { controls: [CisControl.NACL_CHANGES] })],
    });
    expect(plan.exclusions).toEqual([]);
    expect(plan.paging).toBeUndefined();
    expect(plan.compliance.text).toBe(CisControl.VPC_CHANGES.definitionIn(CisBenchmarkVersion.V1_2_0).deployedPattern);
  });

  test('globMatches follows CloudWatch wildcard rules', () => {
    expect(globMatches('Put*', 'PutRolePolicy')).toBe(true);
    expect(globMatches('*Policy', 'PutRolePolicy')).toBe(true);
    expect(globMatches('*Role*', 'PutRolePolicy')).toBe(true);
    expect(globMatches('Put', 'PutRolePolicy')).toBe(false);
    expect(globMatches('*', 'x')).toBe(true);
  });
});
