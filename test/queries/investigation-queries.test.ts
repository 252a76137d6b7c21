import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { compileInsightsFilter } from './insights-evaluator';
import { CisBenchmarkVersion, CisControl, CisInvestigationQueries } from '../../src';
import { insightsFilterFor } from '../../src/filter-pattern/translate/insights';
import { powerfulRoleFilter, s3ExposureFilter } from '../../src/queries/investigation-filters';
import { sharedPath, testIfShared } from '../support/shared';

function setup(props: Partial<ConstructorParameters<typeof CisInvestigationQueries>[2]> = {}) {
  const stack = new Stack(new App(), 'Sec');
  const logGroup = new logs.LogGroup(stack, 'Trail');
  const queries = new CisInvestigationQueries(stack, 'Queries', { logGroup, ...props });
  return { stack, queries, template: Template.fromStack(stack) };
}

describe('CisInvestigationQueries with defaults', () => {
  const { queries, template } = setup();

  test('15 control queries and 3 investigation queries, on the trail log group', () => {
    template.resourceCountIs('AWS::Logs::QueryDefinition', 18);
    expect(queries.queryDefinitions).toHaveLength(18);
    template.allResourcesProperties('AWS::Logs::QueryDefinition', { LogGroupNames: [{ Ref: Match.stringLikeRegexp('^Trail') }] });
  });

  test('names: <folder>/CIS <id> <title>, folder from the construct path', () => {
    expect(queries.folderName).toBe('Sec/Queries');
    template.hasResourceProperties('AWS::Logs::QueryDefinition', { Name: 'Sec/Queries/CIS 5.3 Ensure usage of the \'root\' account is monitored' });
    template.hasResourceProperties('AWS::Logs::QueryDefinition', { Name: 'Sec/Queries/Investigation - principals assuming powerful roles' });
    template.hasResourceProperties('AWS::Logs::QueryDefinition', { Name: 'Sec/Queries/Investigation - any root user activity' });
    template.hasResourceProperties('AWS::Logs::QueryDefinition', { Name: 'Sec/Queries/Investigation - S3 public exposure and uploads per bucket' });
  });

  test('each control query is fields + the translated filter, newest first', () => {
    for (const c of CisBenchmarkVersion.LATEST.controls()) {
      const d = c.definitionIn(CisBenchmarkVersion.LATEST);
      template.hasResourceProperties('AWS::Logs::QueryDefinition', {
        Name: `Sec/Queries/CIS ${d.recommendationId} ${d.title}`,
        QueryString: [
          'fields @timestamp, eventSource, eventName, userIdentity.arn, sourceIPAddress, awsRegion, errorCode, errorMessage',
          `| filter ${insightsFilterFor(d.deployedPattern!).expression}`,
          '| sort @timestamp desc',
          '| limit 1000',
        ].join('\n'),
      });
    }
  });

  test('the investigation queries', () => {
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: Match.stringLikeRegexp('powerful roles$'),
      QueryString: [
        `filter ${powerfulRoleFilter(['OrganizationAccountAccessRole', 'AdministratorAccess', 'Admin'])}`,
        '| stats count(*) as assumptions, earliest(@timestamp) as firstSeen, latest(@timestamp) as lastSeen by userIdentity.arn, requestParameters.roleArn',
        '| sort firstSeen desc',
        '| limit 1000',
      ].join('\n'),
    });
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: Match.stringLikeRegexp('root user activity$'),
      QueryString: Match.stringLikeRegexp('\\| filter userIdentity.type = "Root"\\n'),
    });
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: Match.stringLikeRegexp('uploads per bucket$'),
      QueryString: Match.stringLikeRegexp('by requestParameters.bucketName, eventName'),
    });
    expect(queries.powerfulRoleAssumptionsQuery).toBeDefined();
    expect(queries.rootUsageQuery).toBeDefined();
    expect(queries.s3PublicExposureQuery).toBeDefined();
  });

  test('queryFor', () => {
    expect(queries.queryFor(CisControl.ROOT_ACCOUNT_USAGE)).toBe(queries.queryDefinitions[2]);
    expect(() => setup({ controls: [CisControl.VPC_CHANGES] }).queries.queryFor(CisControl.ROOT_ACCOUNT_USAGE))
      .toThrow(/Control "root-account-usage" has no query in Sec\/Queries; controls with queries: vpc-changes/);
  });
});

describe('versions, options', () => {
  test('logical IDs derive from control keys: a version change renames the queries in place', () => {
    const ids = (v: CisBenchmarkVersion) => {
      const { template } = setup({ benchmarkVersion: v });
      return Object.entries(template.findResources('AWS::Logs::QueryDefinition')).map(([id, r]: [string, any]) => [id, r.Properties.Name]);
    };
    const old = new Map(ids(CisBenchmarkVersion.V1_2_0) as any);
    const latest = new Map(ids(CisBenchmarkVersion.V7_0_0) as any);
    const rootId = [...old.keys()].find(k => (k as string).startsWith('QueriesRootAccountUsage'))!;
    expect(old.get(rootId)).toBe('Sec/Queries/CIS 3.3 Ensure a log metric filter and alarm exist for usage of "root" account');
    expect(latest.get(rootId)).toBe('Sec/Queries/CIS 5.3 Ensure usage of the \'root\' account is monitored');
  });

  test('folderName, controls and no investigation queries', () => {
    const { template, queries } = setup({ folderName: 'security/cis', controls: [CisControl.VPC_CHANGES], includeInvestigationQueries: false });
    template.resourceCountIs('AWS::Logs::QueryDefinition', 1);
    template.hasResourceProperties('AWS::Logs::QueryDefinition', { Name: 'security/cis/CIS 5.14 Ensure VPC changes are monitored' });
    expect(queries.rootUsageQuery).toBeUndefined();
  });

  test('custom powerful role names are escaped into the regex', () => {
    const { template } = setup({ powerfulRoleNames: ['BreakGlass.Admin', 'ops+root'] });
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      QueryString: Match.stringLikeRegexp('like /\\(\\?i\\):role\\\\/\\.\\*\\(BreakGlass\\\\\\.Admin\\|ops\\\\\\+root\\)/'),
    });
  });

  test('a long folder keeps names within 255 characters', () => {
    const { template } = setup({ folderName: 'f'.repeat(150) });
    for (const r of Object.values(template.findResources('AWS::Logs::QueryDefinition')) as any[]) {
      expect(r.Properties.Name.length).toBeLessThanOrEqual(255);
    }
  });
});

describe('bad input', () => {
  test.each([
    ['', /folderName "" is invalid/],
    ['/leading', /folderName "\/leading" is invalid/],
    ['trailing/', /folderName "trailing\/" is invalid/],
    ['a//b', /folderName "a\/\/b" is invalid/],
    ['a*b', /folderName "a\*b" is invalid: use 1-150 letters/],
    ['x'.repeat(151), /is invalid/],
  ])('folderName %j', (folderName, message) => {
    expect(() => setup({ folderName })).toThrow(message);
  });
  test('powerfulRoleNames empty', () => {
    expect(() => setup({ powerfulRoleNames: [] })).toThrow(/powerfulRoleNames is empty: list at least one role name/);
  });
  test.each([['has space'], ['a/b'], [''], ['x'.repeat(65)]])('powerfulRoleNames [%j]', name => {
    expect(() => setup({ powerfulRoleNames: [name] })).toThrow(/powerfulRoleNames: ".*" is not a role name: use 1-64 letters/);
  });
  test('controls: duplicate, outside the version, not a metric filter', () => {
    expect(() => setup({ controls: [CisControl.VPC_CHANGES, CisControl.VPC_CHANGES] })).toThrow(/controls lists "vpc-changes" twice/);
    expect(() => setup({ benchmarkVersion: CisBenchmarkVersion.V1_2_0, controls: [CisControl.ORGANIZATIONS_CHANGES] }))
      .toThrow(/"organizations-changes" is not part of CIS v1\.2\.0 .*Remove it from controls or choose another benchmarkVersion/);
    expect(() => setup({ controls: [CisControl.SECURITY_HUB_ENABLED] })).toThrow(/not a metric-filter control, so it has no query/);
  });
  test('an empty control list with investigation queries still saves those', () => {
    const { template } = setup({ controls: [] });
    template.resourceCountIs('AWS::Logs::QueryDefinition', 3);
  });
  test('no controls and no investigation queries is an error', () => {
    expect(() => setup({ controls: [], includeInvestigationQueries: false })).toThrow(/Nothing to save: controls is empty and includeInvestigationQueries is false/);
  });
});

describe('investigation filters on CloudTrail records', () => {
  const role = compileInsightsFilter(powerfulRoleFilter(['OrganizationAccountAccessRole', 'AdministratorAccess', 'Admin']));
  const assume = (roleArn: string | undefined, extra: Record<string, unknown> = {}) => ({
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
    requestParameters: roleArn ? { roleArn, roleSessionName: 's' } : null,
    ...extra,
  });

  test.each([
    ['arn:aws:iam::111122223333:role/OrganizationAccountAccessRole', true],
    ['arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123abcd', true],
    ['arn:aws:iam::111122223333:role/team-admin', true],
    ['arn:aws:iam::111122223333:role/ReadOnly', false],
    ['arn:aws:iam::111122223333:role/stratus-red-team-leave-org-role', false],
  ])('AssumeRole into %s: %s', (roleArn, expected) => {
    expect(role(assume(roleArn))).toBe(expected);
  });
  test('SAML federation into an admin role counts; a failed or service assumption does not', () => {
    expect(role(assume('arn:aws:iam::111122223333:role/Admin', { eventName: 'AssumeRoleWithSAML', userIdentity: { type: 'SAMLUser' } }))).toBe(true);
    expect(role(assume(undefined, { errorCode: 'AccessDenied' }))).toBe(false);
    expect(role(assume('arn:aws:iam::111122223333:role/Admin', { errorCode: 'AccessDenied' }))).toBe(false);
    expect(role(assume('arn:aws:iam::111122223333:role/Admin', { userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' } }))).toBe(false);
  });

  const s3 = compileInsightsFilter(s3ExposureFilter());
  test.each([
    ['PutBucketAcl', true], ['PutBucketPolicy', true], ['DeleteBucketPolicy', true],
    ['PutBucketPublicAccessBlock', true], ['DeleteBucketPublicAccessBlock', true],
    ['PutAccountPublicAccessBlock', true], ['DeleteAccountPublicAccessBlock', true],
    ['PutObject', true], ['GetObject', false], ['PutBucketCors', false],
  ])('S3 %s: %s', (eventName, expected) => {
    expect(s3({ eventSource: 's3.amazonaws.com', eventName, requestParameters: { bucketName: 'b' } })).toBe(expected);
  });

  const corpusDir = ['corpus', 'stratus-red-team'];
  testIfShared(...corpusDir)('the Stratus Red Team corpus has no powerful-role assumption and no S3 exposure event', () => {
    const dir = sharedPath(...corpusDir);
    const records = fs.readdirSync(dir).filter(f => f.endsWith('.json')).flatMap(f => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    expect(records.length).toBeGreaterThan(300);
    expect(records.filter(role)).toEqual([]);
    expect(records.filter(s3)).toEqual([]);
  });
});
