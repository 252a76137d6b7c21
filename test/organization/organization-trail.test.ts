import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CisAlarmTopic, CisEventRules, CisInvestigationQueries, CisMonitoring, CisTrail } from '../../src';

const MGMT = '111111111111';
const ORG = 'o-a1b2c3d4e5';

function mgmtStack(): Stack {
  return new Stack(new App(), 'Mgmt', { env: { account: MGMT, region: 'us-east-1' } });
}

function text(v: unknown): string {
  return JSON.stringify(v);
}

describe('CisTrail organization trail', () => {
  const stack = mgmtStack();
  const trail = new CisTrail(stack, 'Trail', { isOrganizationTrail: true, organizationId: ORG, trailName: 'cis-org' });
  const template = Template.fromStack(stack);

  test('the trail records the organization and stays CIS-grade', () => {
    expect(trail.isOrganizationTrail).toBe(true);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsOrganizationTrail: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      TrailName: 'cis-org',
    });
  });

  test('the bucket policy lets CloudTrail write AWSLogs/<organization id>/ for this trail only', () => {
    const policy = text(template.findResources('AWS::S3::BucketPolicy'));
    expect(policy).toContain(`AWSLogs/${ORG}/*`);
    expect(policy).toContain(`:cloudtrail:us-east-1:${MGMT}:trail/cis-org`);
  });

  test('every statement that lets CloudTrail use the bucket names the account and the trail (aws:SourceAccount, aws:SourceArn)', () => {
    const cloudTrailStatements = (t: Template) => (Object.values(t.findResources('AWS::S3::BucketPolicy')) as any[])
      .flatMap(p => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => JSON.stringify(st.Principal).includes('cloudtrail.amazonaws.com'));
    // The organization trail of this describe: its name is known, so the ARN is exact.
    const org = cloudTrailStatements(template);
    expect(org.map((st: any) => st.Action).sort()).toEqual(['s3:GetBucketAcl', 's3:PutObject', 's3:PutObject']);
    for (const st of org) {
      expect(JSON.stringify(st.Condition)).toContain(`:cloudtrail:us-east-1:${MGMT}:trail/cis-org`);
      if (st.Condition.StringEquals['aws:SourceArn'] === undefined) expect(st.Condition.StringEquals['aws:SourceAccount']).toBe(MGMT);
    }
    // An ordinary trail without a name: the account's trails of this Region.
    const s = mgmtStack();
    new CisTrail(s, 'Trail');
    const plain = cloudTrailStatements(Template.fromStack(s));
    expect(plain).toHaveLength(2);
    for (const st of plain) {
      expect(st.Condition.StringEquals['aws:SourceAccount']).toBe(MGMT);
      expect(st.Condition.ArnLike['aws:SourceArn']).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudtrail:us-east-1:${MGMT}:trail/*`]] });
    }
  });

  test('an ordinary trail is not an organization trail', () => {
    const s = mgmtStack();
    const t = new CisTrail(s, 'Trail');
    expect(t.isOrganizationTrail).toBe(false);
    Template.fromStack(s).hasResourceProperties('AWS::CloudTrail::Trail', { IsOrganizationTrail: Match.absent() });
  });

  test('from a delegated administrator, key and bucket admit the management account that owns the trail', () => {
    const s = new Stack(new App(), 'Delegated', { env: { account: '222222222222', region: 'us-east-1' } });
    new CisTrail(s, 'Trail', { isOrganizationTrail: true, organizationId: ORG, trailName: 'cis-org', managementAccountId: MGMT });
    const t = Template.fromStack(s);
    const key = text(t.findResources('AWS::KMS::Key'));
    expect(key).toContain(`cloudtrail:*:${MGMT}:trail/*`);
    expect(key).toContain('cloudtrail:*:222222222222:trail/*');
    expect(text(t.findResources('AWS::S3::BucketPolicy'))).toContain(`:cloudtrail:us-east-1:${MGMT}:trail/cis-org`);
  });

  test.each([
    [{ isOrganizationTrail: true, trailName: 'x' }, /needs organizationId.*o-a1b2c3d4e5/],
    [{ isOrganizationTrail: true, organizationId: ORG }, /needs trailName/],
    [{ isOrganizationTrail: true, organizationId: 'org-1', trailName: 'x' }, /organizationId "org-1" is not an AWS Organizations id/],
    [{ isOrganizationTrail: true, organizationId: ORG, trailName: 'x', managementAccountId: '123' }, /managementAccountId "123" is not an AWS account id/],
    [{ organizationId: ORG }, /only apply to an organization trail/],
    [{ managementAccountId: MGMT }, /only apply to an organization trail/],
    [{ isOrganizationTrail: 'yes' }, /isOrganizationTrail must be true or false, got "yes"/],
  ])('bad organization options are refused: %j', (props, message) => {
    expect(() => new CisTrail(mgmtStack(), 'Trail', props as any)).toThrow(message);
  });
});

describe('CisMonitoring on an organization trail', () => {
  const stack = mgmtStack();
  const cis = new CisMonitoring(stack, 'Cis', {
    trailOptions: { isOrganizationTrail: true, organizationId: ORG, trailName: 'cis-org' },
    emailAddresses: ['security@example.com'],
    realtimeRules: true,
    investigationQueries: true,
  });
  const template = Template.fromStack(stack);

  test('follows the trail: every member is monitored', () => {
    expect(cis.organizationTrail).toBe(true);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 15);
    template.hasResourceProperties('AWS::CloudTrail::Trail', { IsOrganizationTrail: true });
  });

  test('alarm descriptions say the alarm counts every member and that recipientAccountId names it, and the query counts by it', () => {
    const descriptions = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(r => text(r.Properties.AlarmDescription));
    for (const d of descriptions) {
      expect(d).toContain('of any member account');
      expect(d).toContain('recipientAccountId names the member account');
    }
    expect(descriptions.some(d => d.includes('by recipientAccountId, eventName'))).toBe(true);
  });

  test('real-time messages name the member account from the envelope (set by EventBridge), never from the detail (set by the sender)', () => {
    const targets = text(template.findResources('AWS::Events::Rule'));
    expect(targets).toContain('member account <account>');
    expect(targets).toContain('"account":"$.account"');
    expect(targets).not.toContain('recipientAccountId');
  });

  test('the rules see this account only, and a warning says so', () => {
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('see this account\'s events only'));
  });

  test('saved queries break results down by recipientAccountId', () => {
    const queries = Object.values(template.findResources('AWS::Logs::QueryDefinition')).map(r => String(r.Properties.QueryString));
    const control = queries.filter(q => q.startsWith('fields recipientAccountId, @timestamp, eventSource, eventName, userIdentity.arn'));
    expect(control).toHaveLength(15);
    expect(queries.some(q => q.includes('by recipientAccountId, userIdentity.arn, requestParameters.roleArn'))).toBe(true);
    expect(queries.some(q => q.includes('by recipientAccountId, requestParameters.bucketName, eventName'))).toBe(true);
    expect(queries.some(q => q.startsWith('fields recipientAccountId, @timestamp, eventSource, eventName, eventType'))).toBe(true);
  });

  test('a given log group can be declared an organization trail\'s', () => {
    const s = mgmtStack();
    const c = new CisMonitoring(s, 'Cis', {
      logGroup: logs.LogGroup.fromLogGroupName(s, 'Lg', 'org-trail'),
      organizationTrail: true,
      emailAddresses: ['a@example.com'],
    });
    expect(c.organizationTrail).toBe(true);
    const d = text(Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm'))[0].Properties.AlarmDescription);
    expect(d).toContain('Organization trail of account');
  });

  test('an ordinary trail keeps the per-account wording', () => {
    const s = mgmtStack();
    new CisMonitoring(s, 'Cis', { emailAddresses: ['a@example.com'] });
    const d = text(Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm'))[0].Properties.AlarmDescription);
    expect(d).not.toContain('member account');
    expect(d).toContain(`Account ${MGMT}, region us-east-1`);
  });

  test.each([
    [{ organizationTrail: 'yes' }, /organizationTrail must be true or false, got "yes"/],
    [{ organizationTrail: false, trailOptions: { isOrganizationTrail: true, organizationId: ORG, trailName: 'x' } }, /organizationTrail is false but trailOptions.isOrganizationTrail is true/],
  ])('bad organizationTrail is refused: %j', (props, message) => {
    expect(() => new CisMonitoring(mgmtStack(), 'Cis', { emailAddresses: ['a@example.com'], ...props } as any)).toThrow(message);
  });
});

describe('standalone rules and queries', () => {
  test('CisEventRules nameMemberAccount names the member; a bad value is refused', () => {
    const s = mgmtStack();
    const topic = new CisAlarmTopic(s, 'T').topic;
    new CisEventRules(s, 'R', { topic, nameMemberAccount: true });
    expect(text(Template.fromStack(s).findResources('AWS::Events::Rule'))).toContain('member account <account>');
    expect(() => new CisEventRules(mgmtStack(), 'R', { topic: new CisAlarmTopic(mgmtStack(), 'T').topic, nameMemberAccount: 1 as any }))
      .toThrow(/nameMemberAccount must be true or false, got 1/);
  });

  test('CisInvestigationQueries organizationTrail; a bad value is refused', () => {
    const s = mgmtStack();
    const logGroup = logs.LogGroup.fromLogGroupName(s, 'Lg', 'org-trail');
    const q = new CisInvestigationQueries(s, 'Q', { logGroup, organizationTrail: true });
    expect(String((q.rootUsageQuery!.node.defaultChild as logs.CfnQueryDefinition).queryString)).toMatch(/^fields recipientAccountId, /);
    expect(() => new CisInvestigationQueries(s, 'Q2', { logGroup, organizationTrail: 'no' as any })).toThrow(/organizationTrail must be true or false, got "no"/);
  });
});
