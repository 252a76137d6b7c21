/**
 * CisOrganizationRollout `evidenceReporterAccountId`: the read-only audit role
 * CisEvidenceReporter audits each member through, in the member template
 * (which must stay asset-free and inline, under 51,200 bytes).
 */
import { App, Stack } from 'aws-cdk-lib';
import { CisEvidenceReporter, CisOrganizationRollout } from '../../src';

const ORG = 'o-a1b2c3d4e5';
const SECURITY = '222222222222';

/** A rollout in an app of its own, synthesized (the member template is known once the app is). */
function rollout(extra: object) {
  const app = new App();
  const stack = new Stack(app, 'Members', { env: { account: '111111111111', region: 'us-east-1' } });
  const r = new CisOrganizationRollout(stack, 'Members', {
    organizationalUnitIds: ['ou-ab12-prod1234'], regions: ['us-east-1'], monitoring: { emailAddresses: ['a@example.com'] }, securityAccountId: SECURITY, ...extra,
  });
  app.synth();
  return r;
}

describe('the member template\'s audit role (CisOrganizationRollout evidenceReporterAccountId)', () => {

  test('read-only, trusting only the reporter\'s role within the organization; still inline and asset-free', () => {
    const r = rollout({ evidenceReporterAccountId: SECURITY, organizationId: ORG });
    const member = JSON.parse(r.memberTemplateBody);
    const role = member.Resources.EvidenceAuditRole;
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.RoleName).toBe(CisEvidenceReporter.AUDIT_ROLE_NAME);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::${SECURITY}:root` } },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:PrincipalArn': { 'Fn::Sub': `arn:\${AWS::Partition}:iam::${SECURITY}:role/CisMonitoringEvidenceReporter` }, 'aws:PrincipalOrgID': ORG } },
    }]);
    const [policy] = role.Properties.Policies;
    const actions = policy.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat());
    expect(actions.every((a: string) => /^(cloudtrail|logs|cloudwatch|sns|securityhub):(Describe|Get|List|BatchImportFindings)/.test(a))).toBe(true);
    // The member template writes its ARNs as Fn::Sub (src/organization/template-size.ts).
    expect(policy.PolicyDocument.Statement[1].Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default' });
    expect(Stack.of(r).resolve(r.stackSet.capabilities)).toContain('CAPABILITY_NAMED_IAM');
    expect(r.inlineTemplate).toBe(true);
    expect(r.memberTemplateSize).toBeLessThan(51_200);
    // eslint-disable-next-line no-console
    console.log(`member template with forwarding and the audit role: ${r.memberTemplateSize} bytes (without the role: ${rollout({}).memberTemplateSize})`);
  });

  test('bad input', () => {
    expect(() => rollout({ evidenceReporterAccountId: SECURITY })).toThrow(/evidenceReporterAccountId needs organizationId/);
    expect(() => rollout({ evidenceReporterAccountId: '123', organizationId: ORG })).toThrow(/evidenceReporterAccountId must be the 12-digit id/);
    expect(() => rollout({ organizationId: ORG })).toThrow(/organizationId is only used for the evidence audit role/);
  });
});

describe('the audit role with members in several Regions', () => {
  test('only the first Region\'s stack instance creates it (a role name is account-wide)', () => {
    const audit = { evidenceReporterAccountId: SECURITY, organizationId: ORG };
    const r = rollout({ regions: ['eu-west-1', 'eu-central-1'], memberLogGroupName: 'aws-controltower/CloudTrailLogs', ...audit });
    const member = JSON.parse(r.memberTemplateBody);
    expect(member.Resources.EvidenceAuditRole.Condition).toBe('EvidenceAuditRoleRegion');
    expect(member.Conditions.EvidenceAuditRoleRegion).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] });
    // one Region: no condition
    const one = rollout({ regions: ['eu-west-1'], ...audit });
    const oneTemplate = JSON.parse(one.memberTemplateBody);
    expect(oneTemplate.Resources.EvidenceAuditRole.Condition).toBeUndefined();
    expect(oneTemplate.Conditions).toBeUndefined();
  });
});
