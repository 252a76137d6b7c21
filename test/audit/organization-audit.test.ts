/**
 * `cis-monitoring audit --live --organization` end to end against moto: an
 * organization with the management account and four members, the real
 * construct's template deployed to every account in us-east-1 and
 * eu-west-1, one metric filter deleted in one account and Region, one member
 * refusing the role. Then the bad-input cases of every organization option.
 */
import { spawnSync } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { CloudWatchLogsClient, DeleteMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { auditJson, cleanTmp, resourcesOfType, runCli, statusMatrix, synthTemplate } from './helpers';
import { AppliedTemplate, applyTemplateToMoto } from './moto-apply';
import { MANAGEMENT_ACCOUNT, MotoOrganization, createAuditor, createMotoOrganization, createRoleWithoutPermissions, grantRoleAdmin } from './moto-organization';
import { AUDIT_EXIT_CODES } from '../../src/audit/errors';
import { mapWithConcurrency } from '../../src/audit/organization';
import { organizationExitCode } from '../../src/audit/run';
import { MotoServer, describeIfPython, freePort, pointAwsSdkAt, saveAwsEnvironment, startMoto } from '../support/moto';
import { requires, testIf } from '../support/requirements';

const REGIONS = ['us-east-1', 'eu-west-1'];
/** The bundled CLI (what users install), when the build made it. */
const BIN = path.resolve(__dirname, '..', '..', 'lib', 'bin', 'cis-monitoring.js');
const ROOT_USAGE_PATTERN = '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}';

let restoreEnvironment = (): void => undefined;
beforeAll(() => {
  restoreEnvironment = saveAwsEnvironment();
});
afterAll(() => {
  restoreEnvironment();
  cleanTmp();
});

/** Points the SDK at `endpoint` with the given credentials and no shared config. */
function useEndpoint(endpoint: string, credentials?: { accessKeyId: string; secretAccessKey: string }): void {
  pointAwsSdkAt(endpoint, credentials);
}

describeIfPython('audit --live --organization against moto', () => {
  let moto: MotoServer;
  let org: MotoOrganization;
  let auditor: { accessKeyId: string; secretAccessKey: string };
  let broken: string;
  let refusing: string;
  const accountName: Record<string, string> = { [MANAGEMENT_ACCOUNT]: 'master' };

  beforeAll(async () => {
    moto = await startMoto();
    useEndpoint(moto.endpoint);
    const template = synthTemplate({ emailAddresses: ['security@example.com'] });
    org = await createMotoOrganization(['workloads', 'data', 'sandbox', 'legacy']);
    for (const [name, m] of Object.entries(org.members)) accountName[m.account] = name;
    // The monitoring deployed to every account and Region; the management account with the caller's own credentials.
    const applied: Record<string, AppliedTemplate> = {};
    for (const region of REGIONS) {
      await applyTemplateToMoto(template, moto.endpoint, region);
      for (const [name, m] of Object.entries(org.members)) applied[`${name}/${region}`] = await applyTemplateToMoto(template, moto.endpoint, region, m);
    }
    for (const m of Object.values(org.members)) await grantRoleAdmin(moto.endpoint, m);
    // A second role in "data" that may be assumed but may not read anything.
    await createRoleWithoutPermissions(moto.endpoint, org.members.data, 'NoReadRole');
    // One control broken in one target: the root-usage filter Security Hub needs, deleted in data / eu-west-1.
    broken = org.members.data.account;
    const [filterId] = resourcesOfType(template, 'AWS::Logs::MetricFilter').find(([, r]) => r.Properties.FilterPattern === ROOT_USAGE_PATTERN)!;
    await new CloudWatchLogsClient({ region: 'eu-west-1', credentials: org.members.data.credentials })
      .send(new DeleteMetricFilterCommand({ logGroupName: applied['data/eu-west-1'].filterLogGroups[filterId], filterName: filterId }));
    // One member refuses: the auditor may not assume any role in "legacy".
    refusing = org.members.legacy.account;
    auditor = await createAuditor(moto.endpoint, [refusing]);
    await moto.setAuthAfter(0);
  }, 300_000);

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(() => useEndpoint(moto.endpoint, auditor));

  test('every account × Region is audited: FAIL exactly where the filter is missing, the refusing account reported, exit 6', async () => {
    const started = Date.now();
    const { code, doc, stderr } = await auditJson(['--live', '--organization', '--regions', REGIONS.join(',')]);
    expect(stderr).toBe('');
    expect(code).toBe(AUDIT_EXIT_CODES.ACCESS_DENIED);
    expect(doc.exitCode).toBe(AUDIT_EXIT_CODES.ACCESS_DENIED);
    const members = Object.values(org.members).map(m => m.account).sort();
    const accounts = [MANAGEMENT_ACCOUNT, ...members];
    // Accounts (the caller's own first, then by id) × Regions in the order given.
    expect(doc.targets.map((t: any) => `${t.account}/${t.region}`)).toEqual(accounts.flatMap(a => REGIONS.map(r => `${a}/${r}`)));
    for (const t of doc.targets) {
      expect(t.accountName).toBe(accountName[t.account]);
      expect(t.environment).toBe(`aws://${t.account}/${t.region}`);
      if (t.account === refusing) {
        expect(t.controls).toBeUndefined();
        expect(t.roleArn).toBe(`arn:aws:iam::${refusing}:role/OrganizationAccountAccessRole`);
        expect(t.error).toEqual({
          kind: 'ACCESS_DENIED',
          exitCode: AUDIT_EXIT_CODES.ACCESS_DENIED,
          message: expect.stringMatching(new RegExp(
            `^arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/org-auditor cannot assume arn:aws:iam::${refusing}:role/OrganizationAccountAccessRole \\(AccessDenied.*\\)\\. The role must exist in account ${refusing}, trust the caller`)),
        });
        continue;
      }
      expect(t.error).toBeUndefined();
      expect(t.roleArn).toBe(t.account === MANAGEMENT_ACCOUNT ? null : `arn:aws:iam::${t.account}:role/OrganizationAccountAccessRole`);
      expect(t.source).toBe('live');
      expect(t.audited).toBe(`account ${t.account} (${accountName[t.account]}), ${t.region} via ${moto.endpoint}`);
      const m = statusMatrix(t);
      for (const key of Object.keys(m)) {
        const shouldFail = t.account === broken && t.region === 'eu-west-1' && key === 'root-account-usage';
        expect({ target: `${t.account}/${t.region}`, key, ...m[key] }).toEqual({
          target: `${t.account}/${t.region}`,
          key,
          SECURITY_HUB: shouldFail ? 'FAIL' : key === 'organizations-changes' ? 'NOT_APPLICABLE' : 'PASS',
          PROWLER: 'PASS',
          STEAMPIPE: 'PASS',
          CLOUDSPLOIT: 'PASS',
        });
      }
    }
    // eslint-disable-next-line no-console
    console.log(`organization audit of ${doc.targets.length} targets took ${Date.now() - started} ms`);
  });

  test('text: one summary row per account × Region, details per audited target, the refusal and the exit code', async () => {
    const r = await runCli(['audit', '--live', '--organization', '--regions', REGIONS.join(','), '--scanners', 'security-hub,prowler']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.ACCESS_DENIED);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toMatch(new RegExp(`^Organization o-\\w+ \\(management account ${MANAGEMENT_ACCOUNT}\\), audited as arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/org-auditor\\n`));
    expect(out).toContain('Targets: 10 (8 audited, 2 not audited)');
    const rows = out.split('\n').filter(l => /^\d{12}\s/.test(l));
    expect(rows).toHaveLength(10);
    const row = (account: string, region: string) => rows.find(l => l.startsWith(account) && l.includes(` ${region} `))!;
    expect(row(broken, 'eu-west-1')).toMatch(/ FAIL .* FAIL$/);
    expect(row(broken, 'us-east-1')).not.toContain('FAIL');
    expect(row(refusing, 'us-east-1')).toMatch(/legacy\s+us-east-1\s+(-\s+)+NOT AUDITED \(ACCESS_DENIED\)$/);
    expect(rows.filter(l => l.endsWith(' PASS'))).toHaveLength(7);
    expect(out).toContain(`Not audited:\n  aws://${refusing}/us-east-1 (legacy): arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/org-auditor cannot assume`);
    expect(out).toContain(`== aws://${broken}/eu-west-1 (data) ==`);
    expect(out.match(/^== aws:\/\//mg)).toHaveLength(8);
    expect(out.match(/^Legend:/mg)).toHaveLength(1);
    expect(out).toMatch(new RegExp(`Result: FAIL in aws://${broken}/eu-west-1; not audited: aws://${refusing}/us-east-1, aws://${refusing}/eu-west-1 \\(exit code 6\\)\\.\\n$`));
  });

  test('without the refusing account the exit code is 3 (one target fails); without the broken one too, 0', async () => {
    const others = Object.values(org.members).map(m => m.account).filter(a => a !== refusing);
    const a = await auditJson(['--live', '--organization', '--regions', REGIONS.join(','), '--accounts', [MANAGEMENT_ACCOUNT, ...others].join(',')]);
    expect(a.code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(a.doc.targets).toHaveLength(8);
    expect(a.doc.targets.filter((t: any) => t.controls.some((c: any) => c.results.SECURITY_HUB.status === 'FAIL')).map((t: any) => t.environment))
      .toEqual([`aws://${broken}/eu-west-1`]);
    const b = await auditJson(['--live', '--organization', '--regions', REGIONS.join(','), '--accounts', others.filter(x => x !== broken).join(','), '--concurrency', '1']);
    expect(b.code).toBe(AUDIT_EXIT_CODES.OK);
    expect(b.doc.targets).toHaveLength(4);
  });

  test('default Region: the caller\'s (AWS_REGION, or --region)', async () => {
    const a = await auditJson(['--live', '--organization', '--accounts', `${MANAGEMENT_ACCOUNT},${broken}`]);
    expect(a.code).toBe(AUDIT_EXIT_CODES.OK);
    expect(a.doc.targets.map((t: any) => `${t.account}/${t.region}`)).toEqual([`${MANAGEMENT_ACCOUNT}/us-east-1`, `${broken}/us-east-1`]);
    const b = await auditJson(['--live', '--organization', '--region', 'eu-west-1', '--accounts', broken]);
    expect(b.code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    expect(b.doc.targets.map((t: any) => `${t.account}/${t.region}`)).toEqual([`${broken}/eu-west-1`]);
  });

  testIf(requires.bundledCli)('the bundled CLI (separate AWS SDK bundle) reports what the sources report', async () => {
    const args = ['audit', '--live', '--organization', '--regions', REGIONS.join(','), '--format', 'json'];
    const source = await auditJson(args.slice(1, -2));
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' }, timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(AUDIT_EXIT_CODES.ACCESS_DENIED);
    expect(JSON.parse(r.stdout)).toEqual(source.doc);
  });

  test('--accounts naming an account outside the organization exits 2 and lists the active ones', async () => {
    const r = await runCli(['audit', '--live', '--organization', '--accounts', `${MANAGEMENT_ACCOUNT},999999999999`]);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`--accounts: 999999999999 is not in the organization\\. Active accounts of o-\\w+: ${MANAGEMENT_ACCOUNT}, `));
  });

  test('a role that may not read: the member\'s targets report access denied on the first read, the rest is audited, exit 6', async () => {
    const r = await auditJson(['--live', '--organization', '--role-name', 'NoReadRole', '--accounts', `${MANAGEMENT_ACCOUNT},${broken}`, '--regions', REGIONS.join(',')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(AUDIT_EXIT_CODES.ACCESS_DENIED);
    expect(r.doc.targets.map((t: any) => [t.environment, t.error?.kind ?? 'audited'])).toEqual([
      [`aws://${MANAGEMENT_ACCOUNT}/us-east-1`, 'audited'],
      [`aws://${MANAGEMENT_ACCOUNT}/eu-west-1`, 'audited'],
      [`aws://${broken}/us-east-1`, 'ACCESS_DENIED'],
      [`aws://${broken}/eu-west-1`, 'ACCESS_DENIED'],
    ]);
    expect(r.doc.targets[2].roleArn).toBe(`arn:aws:iam::${broken}:role/NoReadRole`);
    expect(r.doc.targets[2].error.message).toMatch(/^Access denied on cloudtrail:DescribeTrails \(AccessDenied(Exception)?: .*assumed-role\/NoReadRole\/cis-monitoring-audit is not authorized to perform: cloudtrail:DescribeTrails.*attach the SecurityAudit managed policy/);
  });

  test('targets whose reads cannot reach their endpoint are reported as unreachable (exit 5); the listing still works', async () => {
    const port = await freePort();
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = `http://127.0.0.1:${port}`;
    try {
      const r = await auditJson(['--live', '--organization', '--accounts', `${MANAGEMENT_ACCOUNT},${broken}`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(AUDIT_EXIT_CODES.UNREACHABLE);
      expect(r.doc.targets.map((t: any) => [t.environment, t.error?.kind])).toEqual([
        [`aws://${MANAGEMENT_ACCOUNT}/us-east-1`, 'UNREACHABLE'],
        [`aws://${broken}/us-east-1`, 'UNREACHABLE'],
      ]);
      expect(r.doc.targets[1].error.message).toMatch(new RegExp(`^Cannot reach endpoint http://127\\.0\\.0\\.1:${port} for cloudtrail:DescribeTrails \\(ECONNREFUSED`));
    } finally {
      delete process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
    }
  });

  test('an unreachable endpoint exits 5 before any account is read', async () => {
    const port = await freePort();
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
    const r = await runCli(['audit', '--live', '--organization']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.UNREACHABLE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Cannot reach endpoint http:\/\/127\.0\.0\.1:\d+ for sts:GetCallerIdentity \(ECONNREFUSED/);
  });

  test('unknown credentials exit 4', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAUNKNOWNKEY000000';
    const r = await runCli(['audit', '--live', '--organization']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.CREDENTIALS);
    expect(r.stderr).toMatch(/AWS rejected the credentials on sts:GetCallerIdentity/);
  });

  test('an account outside any organization: exit 2, says to use the management account', async () => {
    await moto.setAuthAfter(Infinity);
    await moto.reset();
    useEndpoint(moto.endpoint);
    const r = await runCli(['audit', '--live', '--organization']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stderr).toMatch(/--organization: account 123456789012 is not a member of an organization \(organizations:DescribeOrganization: AWSOrganizationsNotInUseException\)\. Run it with credentials of the management account/);
  });
});

describe('audit --organization: bad input exits 2 before any AWS call', () => {
  beforeEach(() => useEndpoint('http://127.0.0.1:9'));

  test.each([
    [['--organization'], /Nothing to audit|--organization reads the accounts of an AWS Organization, so it needs --live/],
    [['cdk.out', '--organization'], /--organization reads the accounts of an AWS Organization, so it needs --live/],
    [['--live', '--role-name', 'Audit'], /--role-name only applies with --organization/],
    [['--live', '--regions', 'us-east-1'], /--regions only applies with --organization/],
    [['--live', '--accounts', '111111111111'], /--accounts only applies with --organization/],
    [['--live', '--concurrency', '2'], /--concurrency only applies with --organization/],
    [['cdk.out', '--regions', 'us-east-1'], /--regions only applies with --organization/],
    [['--live', '--organization', '--accounts', '12345'], /--accounts: "12345" is not an account id\. Use 12-digit account ids/],
    [['--live', '--organization', '--accounts', 'abcdefghijkl'], /--accounts: "abcdefghijkl" is not an account id/],
    [['--live', '--organization', '--accounts', '111111111111,,222222222222'], /--accounts "111111111111,,222222222222" has an empty item/],
    [['--live', '--organization', '--accounts', '111111111111,111111111111'], /--accounts: "111111111111" is listed twice/],
    [['--live', '--organization', '--accounts', ''], /--accounts "" has an empty item/],
    [['--live', '--organization', '--regions', 'us-east-1,EU-WEST-1'], /--regions: "EU-WEST-1" is not a region name/],
    [['--live', '--organization', '--regions', 'europe'], /--regions: "europe" is not a region name/],
    [['--live', '--organization', '--regions', 'us-east-1,'], /--regions "us-east-1," has an empty item/],
    [['--live', '--organization', '--regions', 'us-east-1,us-east-1'], /--regions: "us-east-1" is listed twice/],
    [['--live', '--organization', '--role-name', 'arn:aws:iam::111111111111:role/Audit'], /--role-name "arn:aws:iam::111111111111:role\/Audit" is an ARN; pass the role's name only \(e\.g\. --role-name Audit\)/],
    [['--live', '--organization', '--role-name', 'has space'], /--role-name "has space" is not an IAM role name/],
    [['--live', '--organization', '--role-name', 'path/Role'], /--role-name "path\/Role" is not an IAM role name/],
    [['--live', '--organization', '--role-name', 'R'.repeat(65)], /is not an IAM role name \(1-64/],
    [['--live', '--organization', '--role-name', ''], /--role-name "" is not an IAM role name/],
    [['--live', '--organization', '--concurrency', '0'], /--concurrency "0" is not a whole number from 1 to 32/],
    [['--live', '--organization', '--concurrency', '33'], /--concurrency "33" is not a whole number/],
    [['--live', '--organization', '--concurrency', '1.5'], /--concurrency "1\.5" is not a whole number/],
    [['--live', '--organization', '--concurrency', 'four'], /--concurrency "four" is not a whole number/],
    [['--live', '--organization', '--region', 'Mars'], /--region "Mars" is not a region name/],
    [['--live', '--organization', '--format', 'yaml'], /--format "yaml" is not supported/],
    [['cdk.out', '--timeout', '5'], /--timeout only applies with --live/],
    [['--live', '--timeout', '0'], /--timeout "0" is not a whole number of seconds from 1 to 300/],
    [['--live', '--organization', '--timeout', '301'], /--timeout "301" is not a whole number of seconds/],
    [['--live', '--timeout', '2s'], /--timeout "2s" is not a whole number of seconds/],
  ])('audit %j', async (args, message) => {
    const r = await runCli(['audit', ...args]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: AUDIT_EXIT_CODES.BAD_INPUT, stdout: '' });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('an option without its value is a usage error (exit 2)', async () => {
    const r = await runCli(['audit', '--live', '--organization', '--role-name']);
    expect(r.code).toBe(AUDIT_EXIT_CODES.BAD_INPUT);
    expect(r.stderr).toMatch(/option '--role-name <name>' argument missing/);
  });
});

describe('an endpoint that accepts connections but never answers', () => {
  let server: net.Server;
  let sockets: net.Socket[] = [];
  beforeAll(async () => {
    server = net.createServer(socket => { sockets.push(socket); });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    sockets = [];
    await new Promise<void>(resolve => server.close(() => resolve()));
  });

  test.each([[['--live']], [['--live', '--organization']]])('audit %j --timeout 1 exits 5 within seconds', async args => {
    const port = (server.address() as net.AddressInfo).port;
    useEndpoint(`http://127.0.0.1:${port}`);
    process.env.AWS_MAX_ATTEMPTS = '1';
    const started = Date.now();
    try {
      const r = await runCli(['audit', ...args, '--timeout', '1']);
      expect(r.code).toBe(AUDIT_EXIT_CODES.UNREACHABLE);
      expect(r.stderr).toMatch(new RegExp(`Cannot reach endpoint http://127\\.0\\.0\\.1:${port} for (cloudtrail:DescribeTrails|sts:GetCallerIdentity) \\((ETIMEDOUT|TimeoutError)\\b.*exceeded the configured 1000 ms requestTimeout`));
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  });
});

describe('organization exit code and concurrency', () => {
  test.each([
    [[], false, 0],
    [[], true, 3],
    [[6], true, 6],
    [[5, 4], true, 4],
    [[5, 1], false, 5],
    [[1], true, 1],
    [[5, 6, 4], false, 6],
  ])('errors %j, failed %s → %i', (codes, failed, expected) => {
    expect(organizationExitCode(codes, failed)).toBe(expected);
  });

  test('mapWithConcurrency keeps the order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapWithConcurrency([5, 1, 4, 2, 3, 0, 6], 3, async n => {
      running++;
      peak = Math.max(peak, running);
      await new Promise(r => setTimeout(r, n * 3));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });
});
