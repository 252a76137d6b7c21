/**
 * `cis-monitoring audit --live --organization --security-hub` against moto:
 * an organization with members workloads, data and sandbox (Security Hub
 * enabled, the real construct's template deployed in us-east-1 and
 * eu-west-1) and legacy, which refuses the audit role. One control broken in
 * one target. Each member's own Security Hub must hold one finding per
 * control, FAILED exactly at the break; re-runs keep ids and add none; a
 * second break flips that control's finding; a control no longer selected is
 * archived. Then Security Hub disabled in one target, throttling (HTTP 429)
 * on import, the 100-findings batch limit and throttling past the retries.
 */
import { CloudWatchLogsClient, DeleteMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AwsSecurityFinding, DisableSecurityHubCommand, EnableSecurityHubCommand, GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { cleanTmp, resourcesOfType, runCli, synthTemplate } from './helpers';
import { AppliedTemplate, MotoAccount, applyTemplateToMoto } from './moto-apply';
import { MANAGEMENT_ACCOUNT, MotoOrganization, createAuditor, createMotoOrganization, grantRoleAdmin } from './moto-organization';
import { AUDIT_EXIT_CODES } from '../../src/audit/errors';
import { EvidenceFinding, findingId } from '../../src/audit/findings';
import { importIntoSecurityHub } from '../../src/audit/security-hub';
import { CisBenchmarkVersion } from '../../src/catalog';
import { MotoServer, describeIfPython, pointAwsSdkAt, saveAwsEnvironment, startMoto } from '../support/moto';
import { ThrottlingProxy, startThrottlingProxy } from '../support/throttling-proxy';

const REGIONS = ['us-east-1', 'eu-west-1'];
const CONTROLS = CisBenchmarkVersion.V7_0_0.controls().map(c => c.key);
/** The texts Security Hub requires (byte-exact) for the two controls broken here. */
const ROOT_USAGE_PATTERN = '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}';

let restoreEnvironment = (): void => undefined;
beforeAll(() => {
  restoreEnvironment = saveAwsEnvironment();
});
afterAll(() => {
  restoreEnvironment();
  cleanTmp();
});

describeIfPython('audit --live --organization --security-hub against moto', () => {
  let moto: MotoServer;
  let org: MotoOrganization;
  let auditor: { accessKeyId: string; secretAccessKey: string };
  let template: any;
  const applied: Record<string, AppliedTemplate> = {};
  let members: MotoAccount[];
  let accountsArg: string;

  beforeAll(async () => {
    moto = await startMoto();
    pointAwsSdkAt(moto.endpoint);
    template = synthTemplate({ emailAddresses: ['security@example.com'] });
    org = await createMotoOrganization(['workloads', 'data', 'sandbox', 'legacy']);
    for (const region of REGIONS) {
      for (const [name, m] of Object.entries(org.members)) {
        applied[`${name}/${region}`] = await applyTemplateToMoto(template, moto.endpoint, region, m);
        await hub(m, region).send(new EnableSecurityHubCommand({}));
      }
    }
    // A Region with Security Hub and no monitoring, for the batch tests.
    await hub(org.members.data, 'ap-southeast-2').send(new EnableSecurityHubCommand({}));
    for (const m of Object.values(org.members)) await grantRoleAdmin(moto.endpoint, m);
    await deleteFilter('data', 'eu-west-1', ROOT_USAGE_PATTERN);
    auditor = await createAuditor(moto.endpoint, [org.members.legacy.account]);
    await moto.setAuthAfter(0);
    members = ['workloads', 'data', 'sandbox'].map(n => org.members[n]);
    accountsArg = Object.values(org.members).map(m => m.account).join(',');
  }, 300_000);

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(() => pointAwsSdkAt(moto.endpoint, auditor));

  function hub(m: MotoAccount, region: string): SecurityHubClient {
    return new SecurityHubClient({ region, credentials: m.credentials, endpoint: moto.endpoint });
  }

  /** The member's own findings in its Security Hub of `region`, by id. */
  async function findingsIn(m: MotoAccount, region: string): Promise<Map<string, AwsSecurityFinding>> {
    const out = new Map<string, AwsSecurityFinding>();
    let NextToken: string | undefined;
    do {
      const page = await hub(m, region).send(new GetFindingsCommand({ NextToken, MaxResults: 100 }));
      for (const f of page.Findings ?? []) out.set(f.Id!, f);
      NextToken = page.NextToken || undefined;
    } while (NextToken);
    return out;
  }

  async function deleteFilter(member: string, region: string, pattern: string): Promise<void> {
    const [id] = resourcesOfType(template, 'AWS::Logs::MetricFilter').find(([, r]) => r.Properties.FilterPattern === pattern)!;
    await new CloudWatchLogsClient({ region, credentials: org.members[member].credentials, endpoint: moto.endpoint })
      .send(new DeleteMetricFilterCommand({ logGroupName: applied[`${member}/${region}`].filterLogGroups[id], filterName: id }));
  }

  async function runImport(extra: string[] = [], accounts = accountsArg): Promise<{ code: number; doc: any; stderr: string }> {
    const r = await runCli(['audit', '--live', '--organization', '--regions', REGIONS.join(','), '--accounts', accounts, '--security-hub', '--format', 'json', ...extra]);
    return { code: r.code, doc: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
  }

  let firstRun: Map<string, Map<string, AwsSecurityFinding>>;

  test('each member\'s Security Hub holds one finding per control, FAILED exactly at the break; the refusing member is reported (exit 6)', async () => {
    const { code, doc, stderr } = await runImport();
    expect(stderr).toBe('');
    expect(code).toBe(AUDIT_EXIT_CODES.ACCESS_DENIED);
    const legacy = org.members.legacy.account;
    expect(doc.securityHub.map((r: any) => [r.environment, r.outcome, r.imported, r.archived])).toEqual(
      [...members, org.members.legacy].map(m => m.account).sort().flatMap(a => REGIONS.map(region => [
        `aws://${a}/${region}`, a === legacy ? 'NOT_AUDITED' : 'IMPORTED', a === legacy ? 0 : CONTROLS.length, 0,
      ])));
    expect(doc.securityHub.find((r: any) => r.outcome === 'NOT_AUDITED').message).toBe('nothing imported, since the target could not be audited (ACCESS_DENIED); its findings in Security Hub stay as they were.');
    firstRun = new Map();
    for (const m of members) {
      for (const region of REGIONS) {
        const findings = await findingsIn(m, region);
        firstRun.set(`${m.account}/${region}`, findings);
        expect([...findings.keys()].sort()).toEqual(CONTROLS.map(k => findingId(m.account, region, k)).sort());
        for (const f of findings.values()) {
          const key = f.GeneratorId!.replace('cdk-cis-monitoring/', '');
          const broken = m === org.members.data && region === 'eu-west-1' && key === 'root-account-usage';
          expect({ id: f.Id, status: f.Compliance?.Status }).toEqual({ id: f.Id, status: broken ? 'FAILED' : 'PASSED' });
          expect(f.AwsAccountId).toBe(m.account);
          expect(f.ProductArn).toBe(`arn:aws:securityhub:${region}:${m.account}:product/${m.account}/default`);
          expect(f.RecordState).toBe('ACTIVE');
          expect(f.Compliance?.RelatedRequirements).toEqual([expect.stringMatching(/^CIS AWS Foundations Benchmark v7\.0\.0\/5\.\d+$/)]);
          expect(f.Resources!.map(r => r.Type)).toEqual(expect.arrayContaining(['AwsCloudTrailTrail', 'Other']));
          if (broken) {
            expect(f.ProductFields!['cdk-cis-monitoring/Security Hub/Status']).toBe('FAIL');
            expect(f.ProductFields!['cdk-cis-monitoring/Security Hub/Reason']).toMatch(/No metric filter on log group .* passes/);
            expect(f.Severity?.Label).toBe('CRITICAL');
          }
        }
      }
    }
    // Nothing reached the refusing member.
    await moto.setAuthAfter(Infinity);
    try {
      for (const region of REGIONS) expect((await findingsIn(org.members.legacy, region)).size).toBe(0);
    } finally {
      await moto.setAuthAfter(0);
    }
  });

  test('a re-run changes no finding id and adds none; CreatedAt is kept', async () => {
    await new Promise(r => setTimeout(r, 1100));
    const { code } = await runImport();
    expect(code).toBe(AUDIT_EXIT_CODES.ACCESS_DENIED);
    for (const m of members) {
      for (const region of REGIONS) {
        const before = firstRun.get(`${m.account}/${region}`)!;
        const after = await findingsIn(m, region);
        expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
        for (const [id, f] of after) {
          expect(f.CreatedAt).toBe(before.get(id)!.CreatedAt);
          expect(f.UpdatedAt! > before.get(id)!.UpdatedAt!).toBe(true);
          expect(f.Compliance?.Status).toBe(before.get(id)!.Compliance?.Status);
        }
      }
    }
  });

  test('a second break flips that control\'s same finding to FAILED', async () => {
    await moto.setAuthAfter(Infinity);
    await deleteFilter('workloads', 'us-east-1', ROOT_USAGE_PATTERN);
    await moto.setAuthAfter(0);
    pointAwsSdkAt(moto.endpoint, auditor);
    const { doc } = await runImport();
    expect(doc.securityHub.filter((r: any) => r.outcome === 'IMPORTED').map((r: any) => r.imported)).toEqual(Array(6).fill(CONTROLS.length));
    const id = findingId(org.members.workloads.account, 'us-east-1', 'root-account-usage');
    const after = await findingsIn(org.members.workloads, 'us-east-1');
    expect(after.size).toBe(CONTROLS.length);
    expect(after.get(id)!.Compliance?.Status).toBe('FAILED');
    expect(firstRun.get(`${org.members.workloads.account}/us-east-1`)!.get(id)!.Compliance?.Status).toBe('PASSED');
    expect([...after.values()].filter(f => f.Compliance?.Status === 'FAILED').map(f => f.Id)).toEqual([id]);
  });

  test('a control no longer selected is archived (RecordState ARCHIVED), and comes back when selected again', async () => {
    // CIS 1.2.0 has no AWS Organizations recommendation.
    const { doc } = await runImport(['--benchmark', '1.2.0']);
    expect(doc.securityHub.filter((r: any) => r.outcome === 'IMPORTED').map((r: any) => [r.imported, r.archived]))
      .toEqual(Array(6).fill([CONTROLS.length - 1, 1]));
    const id = findingId(org.members.sandbox.account, 'eu-west-1', 'organizations-changes');
    let findings = await findingsIn(org.members.sandbox, 'eu-west-1');
    expect(findings.size).toBe(CONTROLS.length);
    expect(findings.get(id)!.RecordState).toBe('ARCHIVED');
    expect([...findings.values()].filter(f => f.RecordState === 'ARCHIVED')).toHaveLength(1);
    expect(findings.get(findingId(org.members.sandbox.account, 'eu-west-1', 'root-account-usage'))!.Compliance?.RelatedRequirements)
      .toEqual(['CIS AWS Foundations Benchmark v1.2.0/3.3']);
    await runImport();
    findings = await findingsIn(org.members.sandbox, 'eu-west-1');
    expect(findings.get(id)!.RecordState).toBe('ACTIVE');
    expect(findings.size).toBe(CONTROLS.length);
  });

  test('Security Hub not enabled in one target: reported with the fix, exit 7, every other target imported', async () => {
    await moto.setAuthAfter(Infinity);
    await hub(org.members.sandbox, 'eu-west-1').send(new DisableSecurityHubCommand({}));
    await moto.setAuthAfter(0);
    pointAwsSdkAt(moto.endpoint, auditor);
    try {
      const accounts = members.map(m => m.account).join(',');
      const { code, doc } = await runImport([], accounts);
      expect(code).toBe(AUDIT_EXIT_CODES.SECURITY_HUB);
      const off = doc.securityHub.find((r: any) => r.environment === `aws://${org.members.sandbox.account}/eu-west-1`);
      expect(off).toMatchObject({ outcome: 'NOT_ENABLED', imported: 0, notImported: CONTROLS.length, exitCode: AUDIT_EXIT_CODES.SECURITY_HUB });
      expect(off.message).toBe(`Security Hub is not enabled in account ${org.members.sandbox.account}, Region eu-west-1 (InvalidAccessException: Account is not subscribed to AWS Security Hub); `
        + `its ${CONTROLS.length} findings were not imported. Enable it (aws securityhub enable-security-hub --region eu-west-1, or your organization's Security Hub configuration) and run again; the report files hold them meanwhile.`);
      expect(doc.securityHub.filter((r: any) => r.outcome === 'IMPORTED')).toHaveLength(5);
      const text = await runCli(['audit', '--live', '--organization', '--regions', REGIONS.join(','), '--accounts', accounts, '--security-hub', '--scanners', 'security-hub']);
      expect(text.code).toBe(AUDIT_EXIT_CODES.SECURITY_HUB);
      expect(text.stdout).toContain(`  aws://${org.members.sandbox.account}/eu-west-1: NOT ENABLED: Security Hub is not enabled in account`);
      expect(text.stdout).toContain('Security Hub: 1 of 6 targets not fully imported (exit code 7 unless the audit itself failed); the report files hold every finding.');
    } finally {
      await moto.setAuthAfter(Infinity);
      await hub(org.members.sandbox, 'eu-west-1').send(new EnableSecurityHubCommand({}));
      await moto.setAuthAfter(0);
    }
  });

  test('one account (--live without --organization): the caller\'s account from STS, its own Security Hub', async () => {
    const management = new SecurityHubClient({ region: 'us-east-1', credentials: auditor, endpoint: moto.endpoint });
    const off = await runCli(['audit', '--live', '--security-hub', '--format', 'json']);
    expect(off.code).toBe(AUDIT_EXIT_CODES.SECURITY_HUB);
    expect(JSON.parse(off.stdout).securityHub).toEqual([expect.objectContaining({ environment: `aws://${MANAGEMENT_ACCOUNT}/us-east-1`, outcome: 'NOT_ENABLED' })]);
    await management.send(new EnableSecurityHubCommand({}));
    const on = await runCli(['audit', '--live', '--security-hub', '--format', 'asff']);
    // No monitoring in the management account: every control fails, and all of it is evidence.
    expect(on.code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    const asff = JSON.parse(on.stdout);
    expect(asff.map((f: any) => [f.AwsAccountId, f.Compliance.Status])).toEqual(CONTROLS.map(() => [MANAGEMENT_ACCOUNT, 'FAILED']));
    const stored = (await management.send(new GetFindingsCommand({}))).Findings ?? [];
    expect(stored.map(f => f.Id).sort()).toEqual(asff.map((f: any) => f.Id).sort());
  });

  describe('throttling and batches', () => {
    let proxy: ThrottlingProxy;
    beforeAll(async () => {
      proxy = await startThrottlingProxy(moto.endpoint);
    });
    afterAll(async () => {
      delete process.env.AWS_ENDPOINT_URL_SECURITYHUB;
      await proxy?.stop();
    });

    test('HTTP 429 on import: the SDK retries with backoff and every finding arrives', async () => {
      process.env.AWS_ENDPOINT_URL_SECURITYHUB = proxy.endpoint;
      proxy.requests.length = 0;
      proxy.throttle(/^\/findings\/import$/, 4);
      const accounts = members.map(m => m.account).join(',');
      const { code, doc } = await runImport([], accounts);
      expect(code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
      expect(doc.securityHub.map((r: any) => r.outcome)).toEqual(Array(6).fill('IMPORTED'));
      const imports = proxy.requests.filter(r => r.path === '/findings/import');
      expect(imports.filter(r => r.throttled)).toHaveLength(4);
      expect(imports.filter(r => !r.throttled)).toHaveLength(6);
      for (const m of members) for (const region of REGIONS) expect((await findingsIn(m, region)).size).toBe(CONTROLS.length);
    });

    const fabricated = (n: number, account: string, region: string, offset = 0): EvidenceFinding[] => Array.from({ length: n }, (_, i) => ({
      id: `cdk-cis-monitoring/${account}/${region}/batch-${offset + i}`,
      generatorId: 'cdk-cis-monitoring/batch',
      account,
      region,
      environment: `aws://${account}/${region}`,
      partition: 'aws',
      benchmark: '7.0.0',
      controlKey: 'root-account-usage',
      recommendationId: '5.3',
      requirement: 'CIS AWS Foundations Benchmark v7.0.0/5.3',
      title: 'batch',
      severity: 'LOW',
      status: 'PASSED',
      statusReason: 'batch',
      verdicts: [],
      resources: [{ type: 'AwsAccount', kind: 'account', id: `AWS::::Account:${account}`, name: account, details: {} }],
      remediation: 'none',
      audited: true,
    }));

    test('at most 100 findings per BatchImportFindings call; stale ones are archived in the same batches', async () => {
      const m = org.members.data;
      const target = { environment: `aws://${m.account}/ap-southeast-2`, account: m.account, region: 'ap-southeast-2', credentials: m.credentials };
      process.env.AWS_ENDPOINT_URL_SECURITYHUB = proxy.endpoint;
      proxy.requests.length = 0;
      const first = await importIntoSecurityHub(target, fabricated(250, m.account, 'ap-southeast-2'), { generatedAt: new Date().toISOString(), toolVersion: 'test' });
      expect(first).toMatchObject({ outcome: 'IMPORTED', imported: 250, archived: 0, calls: 3, failed: [] });
      const sizes = () => proxy.requests.filter(r => r.path === '/findings/import').map(r => JSON.parse(r.body).Findings.length);
      expect(sizes()).toEqual([100, 100, 50]);
      proxy.requests.length = 0;
      const second = await importIntoSecurityHub(target, fabricated(10, m.account, 'ap-southeast-2', 1000), { generatedAt: new Date().toISOString(), toolVersion: 'test' });
      expect(second).toMatchObject({ outcome: 'IMPORTED', imported: 10, archived: 250, calls: 3 });
      expect(sizes()).toEqual([100, 100, 60]);
      const stored = await findingsIn(m, 'ap-southeast-2');
      expect([...stored.values()].filter(f => f.RecordState === 'ARCHIVED')).toHaveLength(250);
      expect([...stored.values()].filter(f => f.RecordState === 'ACTIVE')).toHaveLength(10);
    });

    test('throttled past the retries: FAILED with every finding named, nothing dropped silently', async () => {
      const m = org.members.data;
      const target = { environment: `aws://${m.account}/ap-southeast-2`, account: m.account, region: 'ap-southeast-2', credentials: m.credentials };
      process.env.AWS_ENDPOINT_URL_SECURITYHUB = proxy.endpoint;
      proxy.throttle(/^\/findings\/import$/, Infinity);
      try {
        const findings = fabricated(120, m.account, 'ap-southeast-2', 1000);
        const r = await importIntoSecurityHub(target, findings, { generatedAt: new Date().toISOString(), toolVersion: 'test', maxAttempts: 2 });
        expect(r.outcome).toBe('FAILED');
        expect(r.exitCode).toBe(AUDIT_EXIT_CODES.SECURITY_HUB);
        expect(r.imported).toBe(0);
        expect(r.failed.map(f => f.id)).toEqual(findings.map(f => f.id));
        expect(r.failed[0].errorCode).toBe('TooManyRequestsException');
        expect(r.calls).toBe(2);
        expect(r.message).toMatch(/^Security Hub import into account \d{12}, Region ap-southeast-2 failed; 120 of 120 findings not imported: securityhub:BatchImportFindings failed with HTTP 429 \(TooManyRequestsException: Rate exceeded\)/);
      } finally {
        proxy.throttle(/./, 0);
      }
    });
  });
});
