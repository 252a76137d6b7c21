import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CisAthenaQueries, CisAthenaQueriesProps, CisBenchmarkVersion, CisControl, Exclusion } from '../../src';
import { FilterPatternEngine } from '../../src/filter-pattern';
import { athenaConditionFor } from '../../src/filter-pattern/translate/athena-sql';
import { AthenaOnDuckDb } from '../support/duckdb-athena';
import { fixtureControlKeys, loadControlFixtureFile } from '../support/fixtures';
import { AthenaOnTrino, TRINO_URL } from '../support/trino-athena';

function synth(props: (stack: Stack) => CisAthenaQueriesProps): { stack: Stack; q: CisAthenaQueries; t: Template } {
  const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
  const q = new CisAthenaQueries(stack, 'Backtest', props(stack));
  return { stack, q, t: Template.fromStack(stack) };
}

describe('CisAthenaQueries', () => {
  test('one named query per control plus the three investigation queries, no table by default', () => {
    const { q, t } = synth(() => ({}));
    const n = CisBenchmarkVersion.LATEST.controls().length;
    t.resourceCountIs('AWS::Athena::NamedQuery', n + 3);
    t.resourceCountIs('AWS::Glue::Table', 0);
    expect(q.namedQueries).toHaveLength(n + 3);
    expect(q.qualifiedTableName).toBe('default.cloudtrail_logs');
    const root = CisControl.ROOT_ACCOUNT_USAGE.definitionIn(CisBenchmarkVersion.LATEST);
    t.hasResourceProperties('AWS::Athena::NamedQuery', {
      Database: 'default',
      WorkGroup: 'primary',
      Name: `CIS ${root.recommendationId} ${root.title}`.slice(0, 128),
      Description: Match.stringLikeRegexp('Inexact: \\$\\.userIdentity\\.invokedBy NOT EXISTS'),
      QueryString: Match.stringLikeRegexp("SELECT eventid, .*\\nFROM \"default\"\\.\"cloudtrail_logs\"\\nWHERE useridentity\\.type = 'Root' AND useridentity\\.invokedby IS NULL"),
    });
    for (const name of ['Investigation - principals assuming powerful roles', 'Investigation - any root user activity', 'Investigation - S3 public exposure and uploads per bucket']) {
      t.hasResourceProperties('AWS::Athena::NamedQuery', { Name: name });
    }
    const text = (q.queryFor(CisControl.CONSOLE_SIGNIN_WITHOUT_MFA) as any).queryString as string;
    expect(text).toContain("eventname = 'ConsoleLogin'");
  });

  test('the control queries hold the translation of the plan\'s compliance pattern; exclusions add paging queries', () => {
    const { q, t } = synth(() => ({
      benchmarkVersion: CisBenchmarkVersion.V1_4_0,
      controls: [CisControl.SECURITY_GROUP_CHANGES, CisControl.ROOT_ACCOUNT_USAGE],
      exclusions: [Exclusion.roleName('ci-deployer', { controls: [CisControl.SECURITY_GROUP_CHANGES] })],
      includeInvestigationQueries: false,
      databaseName: 'security',
      tableName: 'trail',
      workGroup: 'backtest',
    }));
    t.resourceCountIs('AWS::Athena::NamedQuery', 3);
    const sg = CisControl.SECURITY_GROUP_CHANGES.definitionIn(CisBenchmarkVersion.V1_4_0);
    expect((q.queryFor(CisControl.SECURITY_GROUP_CHANGES) as any).queryString).toContain(`WHERE ${athenaConditionFor(sg.deployedPattern!).where}\n`);
    t.hasResourceProperties('AWS::Athena::NamedQuery', {
      Database: 'security',
      WorkGroup: 'backtest',
      Name: Match.stringLikeRegexp('\\(paging\\)$'),
      QueryString: Match.stringLikeRegexp("FROM \"security\"\\.\"trail\"\\nWHERE .*sessionissuer\\.username <> 'ci-deployer'"),
    });
    expect(() => q.queryFor(CisControl.VPC_CHANGES)).toThrow(/has no query .* controls with queries: root-account-usage, security-group-changes/);
  });

  test('the partition-projected table (single-account layout)', () => {
    const { t } = synth(stack => ({
      table: { bucket: s3.Bucket.fromBucketName(stack, 'B', 'trail-bucket'), prefix: 'org/logs', accountIds: ['111122223333'], regions: ['eu-west-1', 'us-east-1'] },
    }));
    t.hasResourceProperties('AWS::Glue::Table', {
      CatalogId: '111122223333',
      DatabaseName: 'default',
      TableInput: {
        Name: 'cloudtrail_logs',
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [{ Name: 'region', Type: 'string' }, { Name: 'day', Type: 'string' }],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.region.values': 'eu-west-1,us-east-1',
          'projection.day.type': 'date',
          'projection.day.range': '2020/01/01,NOW',
          'storage.location.template': 's3://trail-bucket/org/logs/AWSLogs/111122223333/CloudTrail/${region}/${day}',
        }),
        StorageDescriptor: Match.objectLike({
          Location: 's3://trail-bucket/org/logs/AWSLogs/111122223333/CloudTrail/',
          InputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
          SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
          Columns: Match.arrayWith([
            { Name: 'useridentity', Type: Match.stringLikeRegexp('^struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,') },
            { Name: 'requestparameters', Type: 'string' },
            { Name: 'resources', Type: 'array<struct<arn:string,accountid:string,type:string>>' },
          ]),
        }),
      },
    });
    // Every query waits for the table.
    const queries = t.findResources('AWS::Athena::NamedQuery');
    expect(Object.values(queries).every((r: any) => (r.DependsOn ?? []).some((d: string) => d.startsWith('BacktestTable')))).toBe(true);
  });

  test('the organization-trail layout adds an account partition', () => {
    const { t } = synth(stack => ({
      table: {
        bucket: s3.Bucket.fromBucketName(stack, 'B', 'org-trail'),
        organizationId: 'o-abcdefghij',
        accountIds: ['111122223333', '444455556666'],
        regions: ['eu-west-1'],
        startDay: '2024/06/01',
      },
    }));
    t.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        PartitionKeys: [{ Name: 'account', Type: 'string' }, { Name: 'region', Type: 'string' }, { Name: 'day', Type: 'string' }],
        Parameters: Match.objectLike({
          'projection.account.type': 'enum',
          'projection.account.values': '111122223333,444455556666',
          'projection.day.range': '2024/06/01,NOW',
          'storage.location.template': 's3://org-trail/AWSLogs/o-abcdefghij/${account}/CloudTrail/${region}/${day}',
        }),
      }),
    });
  });

  describe('bad input', () => {
    const bucket = (stack: Stack) => s3.Bucket.fromBucketName(stack, 'B', 'trail-bucket');
    test.each<[string, (stack: Stack) => CisAthenaQueriesProps, RegExp]>([
      ['database name', () => ({ databaseName: 'My-DB' }), /databaseName "My-DB" is not valid/],
      ['table name', () => ({ tableName: 'x; drop' }), /tableName "x; drop" is not valid/],
      ['workgroup', () => ({ workGroup: 'a b' }), /workGroup "a b" is not valid/],
      ['role names', () => ({ powerfulRoleNames: ['ok', 'bad name'] }), /powerfulRoleNames must be/],
      ['empty role names', () => ({ powerfulRoleNames: [] }), /powerfulRoleNames must be/],
      ['nothing to save', () => ({ controls: [], includeInvestigationQueries: false }), /Nothing to save/],
      ['control not in version', () => ({ benchmarkVersion: CisBenchmarkVersion.V1_2_0, controls: [CisControl.ORGANIZATIONS_CHANGES] }), /organizations-changes/],
      ['account id', s => ({ table: { bucket: bucket(s), accountIds: ['123'], regions: ['eu-west-1'] } }), /12-digit account ids/],
      ['two accounts without org', s => ({ table: { bucket: bucket(s), accountIds: ['111122223333', '444455556666'], regions: ['eu-west-1'] } }), /holds one account, got 2/],
      ['org id', s => ({ table: { bucket: bucket(s), organizationId: 'org-1', accountIds: ['111122223333'], regions: ['eu-west-1'] } }), /not an organization id/],
      ['regions', s => ({ table: { bucket: bucket(s), accountIds: ['111122223333'], regions: [] } }), /table\.regions must be/],
      ['region name', s => ({ table: { bucket: bucket(s), accountIds: ['111122223333'], regions: ['Europe'] } }), /table\.regions must be/],
      ['start day', s => ({ table: { bucket: bucket(s), accountIds: ['111122223333'], regions: ['eu-west-1'], startDay: '2024-01-01' } }), /startDay "2024-01-01"/],
      ['prefix', s => ({ table: { bucket: bucket(s), accountIds: ['111122223333'], regions: ['eu-west-1'], prefix: '/logs/' } }), /table\.prefix/],
      ['bucket', () => ({ table: { bucket: undefined as any, accountIds: ['111122223333'], regions: ['eu-west-1'] } }), /table\.bucket must be/],
    ])('%s', (_what, props, message) => {
      expect(() => synth(props)).toThrow(message);
    });
  });
});

interface Engine { readonly database: string; readonly table: string; query(sql: string): Promise<Array<Record<string, unknown>>>; close(): void | Promise<void> }

const ENGINES: Array<[string, (records: Array<Record<string, unknown>>) => Promise<Engine>]> = [
  // DuckDB's default schema is main.
  ['DuckDB (Trino functions as macros)', async records => {
    const d = await AthenaOnDuckDb.create('cloudtrail_logs', records);
    return { database: 'main', table: 'cloudtrail_logs', query: q => d.query(q), close: () => d.close() };
  }],
  ...(TRINO_URL ? [[`Trino (${TRINO_URL})`, async (records: Array<Record<string, unknown>>) => {
    const t = await AthenaOnTrino.create(TRINO_URL!, records);
    return { database: 'default', table: t.table, query: (q: string) => t.query(q), close: () => t.close() };
  }]] as typeof ENGINES : []),
];

describe.each(ENGINES)('the investigation queries run on %s and select what they say', (_name, open) => {
  const records = fixtureControlKeys().flatMap(key => loadControlFixtureFile(key).fixtures.map(f => f.record))
    .map((r, i) => ({ ...r, eventID: `r${i}` }));
  let db: Engine;
  let sql: Record<string, string>;
  beforeAll(async () => {
    db = await open([
      ...records,
      { eventID: 'assume-1', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', eventTime: '2024-01-01T00:00:00Z', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/eve' }, requestParameters: { roleArn: 'arn:aws:iam::1:role/TeamADMIN' } },
      { eventID: 'assume-2', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', eventTime: '2024-01-02T00:00:00Z', userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, requestParameters: { roleArn: 'arn:aws:iam::1:role/Admin' } },
      { eventID: 'assume-3', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', eventTime: '2024-01-03T00:00:00Z', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/bob' }, requestParameters: { roleArn: 'arn:aws:iam::1:role/reader' } },
      { eventID: 's3-1', eventSource: 's3.amazonaws.com', eventName: 'PutBucketAcl', eventTime: '2024-01-01T00:00:00Z', requestParameters: { bucketName: 'pub' } },
      { eventID: 's3-2', eventSource: 's3.amazonaws.com', eventName: 'PutObject', eventTime: '2024-01-01T00:00:00Z', requestParameters: { bucketName: 'pub' } },
      { eventID: 's3-3', eventSource: 's3.amazonaws.com', eventName: 'PutObject', eventTime: '2024-01-02T00:00:00Z', requestParameters: { bucketName: 'pub' } },
    ]);
    const { q } = synth(() => ({ controls: [], databaseName: db.database, tableName: db.table }));
    sql = Object.fromEntries(q.namedQueries.map(n => [n.name, n.queryString]));
  }, 120_000);
  afterAll(async () => { await db?.close(); });

  test('powerful role assumptions: the principal, not AWS services, case-insensitive role names', async () => {
    const rows = await db.query(sql['Investigation - principals assuming powerful roles']);
    // Counts are BIGINT: DuckDB's JSON rows give them as strings, Trino's as numbers.
    expect(rows.filter(r => String(r.role_arn).startsWith('arn:aws:iam::1:')).map(r => ({ ...r, assumptions: Number(r.assumptions) }))).toEqual([
      expect.objectContaining({ principal: 'arn:aws:iam::1:user/eve', role_arn: 'arn:aws:iam::1:role/TeamADMIN', assumptions: 1 }),
    ]);
  });

  test('root usage: every root record', async () => {
    const rows = await db.query(sql['Investigation - any root user activity']);
    const engine = FilterPatternEngine.parse('{ $.userIdentity.type = "Root" }');
    expect(rows.map(r => r.eventid).sort()).toEqual(records.filter(r => engine.matchesRecord(r)).map(r => r.eventID).sort());
    expect(rows.length).toBeGreaterThan(0);
  });

  test('S3 exposure: counts per bucket and event', async () => {
    const rows = await db.query(sql['Investigation - S3 public exposure and uploads per bucket']);
    expect(rows.filter(r => r.bucket === 'pub').map(r => [r.eventname, Number(r.events)])).toEqual([['PutBucketAcl', 1], ['PutObject', 2]]);
  });
});
