/**
 * The real Prowler (pinned in scripts/setup-scanner-tools.sh, in its own venv
 * .venv-prowler/) against the demo app deployed to a moto server, one stack
 * per family of CIS texts. Our own transcription of Prowler's rules
 * (src/scanners) is only as good as the transcription: this runs the tool.
 *
 * For each version: the demo's monitoring resources are created in moto
 * (test/audit/moto-apply.ts), Prowler's 15 CloudWatch metric-filter checks
 * must all PASS (CIS 1.2.0 has no Organizations control, so that one check
 * FAILs there); then every filter publishing one control's metric is deleted
 * and that control's check alone must FAIL.
 *
 * Prowler is pointed at moto only through the environment: AWS_ENDPOINT_URL
 * (botocore sends every service there, STS and Organizations included),
 * dummy credentials, an empty AWS config and credentials file, and
 * `--region us-east-1`. Each state is scanned once with all 15 checks, by
 * Prowler's own CLI entry point called from one Python process
 * (prowler-driver.py): a `prowler` process spends ~25 s of CPU loading its
 * compliance frameworks before it scans, the driver does that once.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudWatchLogsClient, DeleteMetricFilterCommand, DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { buildDemoApp, DEMO_STACK_NAME } from '../../examples/demo-app';
import { CisBenchmarkVersion, CisControl } from '../../src';
import { runMemberTemplate } from '../../src/cli/member-template-command';
import { PROWLER_RULES } from '../../src/scanners/scanner-data.generated';
import { applyTemplateToMoto } from '../audit/moto-apply';
import { MotoServer, pointAwsSdkAt, saveAwsEnvironment, startMoto } from '../support/moto';
import { ProwlerSession } from '../support/prowler';
import { describeIf, requires } from '../support/requirements';
import { ensureScannerInstalled, pinnedVersion } from '../support/scanner-tools';

const REGION = 'us-east-1';
/** Prowler check id → control key. */
const CHECK_TO_CONTROL = new Map(Object.entries(PROWLER_RULES).map(([key, rule]) => [rule.checkId, key]));
const CHECKS = [...CHECK_TO_CONTROL.keys()];


/** One stack per family of CIS texts, and the control whose filters are deleted in it. */
const CASES: Array<{ version: CisBenchmarkVersion; deleted: CisControl }> = [
  { version: CisBenchmarkVersion.V1_2_0, deleted: CisControl.ROOT_ACCOUNT_USAGE },
  { version: CisBenchmarkVersion.V1_4_0, deleted: CisControl.CONSOLE_SIGNIN_WITHOUT_MFA },
  { version: CisBenchmarkVersion.V3_0_0, deleted: CisControl.ROUTE_TABLE_CHANGES },
  { version: CisBenchmarkVersion.V5_0_0, deleted: CisControl.UNAUTHORIZED_API_CALLS },
  { version: CisBenchmarkVersion.V7_0_0, deleted: CisControl.ORGANIZATIONS_CHANGES },
];

interface Demo {
  template: any;
  /** Logical ids of each control's first filter (its CIS text); the others are scanner variants on the same metric. */
  primaryFilters: Set<string>;
}

describeIf(requires.moto, requires.prowler)('the real Prowler on the demo app deployed to moto', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-prowler-'));
  const emptyFile = path.join(tmp, 'empty');
  let restoreEnvironment = (): void => undefined;
  const timings: string[] = [];
  let prowler: string;
  let moto: MotoServer;
  let session: ProwlerSession;
  let runs = 0;

  beforeAll(async () => {
    prowler = ensureScannerInstalled('prowler');
    fs.writeFileSync(emptyFile, '');
    restoreEnvironment = saveAwsEnvironment();
    moto = await startMoto();
    session = new ProwlerSession(prowler, {
      PATH: process.env.PATH,
      HOME: tmp,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: REGION,
      AWS_CONFIG_FILE: emptyFile,
      AWS_SHARED_CREDENTIALS_FILE: emptyFile,
      AWS_EC2_METADATA_DISABLED: 'true',
    }, tmp);
    // The SDK in this process (moto-apply, DeleteMetricFilter) talks to moto too.
    pointAwsSdkAt(moto.endpoint, undefined, REGION);
  }, 900_000);

  afterAll(async () => {
    await session?.stop();
    await moto?.stop();
    restoreEnvironment();
    fs.rmSync(tmp, { recursive: true, force: true });
    // eslint-disable-next-line no-console
    console.log(`Prowler runs:\n${timings.join('\n')}`);
  });

  function synthDemo(version: CisBenchmarkVersion): Demo {
    const { app, stack } = buildDemoApp(path.join(tmp, `cdk.out-${version.version}`), { benchmarkVersion: version });
    const assembly = app.synth();
    const template = JSON.parse(fs.readFileSync(assembly.getStackByName(DEMO_STACK_NAME).templateFullPath, 'utf8'));
    const primaryFilters = new Set(stack.node.findAll()
      .filter((c): c is logs.CfnMetricFilter => c instanceof logs.CfnMetricFilter && c.node.scope?.node.id === 'MetricFilter')
      .map(c => Stack.of(c).getLogicalId(c)));
    return { template, primaryFilters };
  }

  async function deploy(template: any): Promise<Record<string, string>> {
    await moto.reset();
    const applied = await applyTemplateToMoto(template, moto.endpoint, REGION);
    return applied.filterLogGroups;
  }

  /** Runs Prowler's 15 checks against moto and returns check id → status, and its exit code. */
  async function runProwler(label: string): Promise<{ code: number | null; statuses: Record<string, string>; version: string }> {
    const scan = await session.scan(['aws', '--region', REGION, '--checks', ...CHECKS], path.join(tmp, `prowler-${++runs}`));
    timings.push(`  ${label}: exit ${scan.code} in ${scan.seconds.toFixed(1)} s`);
    return scan;
  }

  /** The expected status of every check: PASS, except `failing` controls. */
  function expected(failing: string[]): Record<string, string> {
    return Object.fromEntries(CHECKS.map(c => [c, failing.includes(CHECK_TO_CONTROL.get(c)!) ? 'FAIL' : 'PASS']));
  }

  /** Controls absent from a version fail in Prowler (it finds no filter for them). */
  function absentFrom(version: CisBenchmarkVersion): string[] {
    return CHECKS.map(c => CHECK_TO_CONTROL.get(c)!).filter(key => !CisControl.all().find(c => c.key === key)!.isIn(version));
  }

  test('15 checks, one per metric-filter control the demo deploys: the Prowler check ids of our transcription', () => {
    expect(CHECKS).toHaveLength(15);
    const { monitoring } = buildDemoApp(path.join(tmp, 'cdk.out-controls'));
    expect([...CHECK_TO_CONTROL.values()].sort()).toEqual(monitoring.controls.map(c => c.key).sort());
  });

  for (const { version, deleted } of CASES) {
    test(`CIS ${version.version}: every check passes; without the ${deleted.key} filters that check alone fails`, async () => {
      const absent = absentFrom(version);
      expect(absent).toEqual(version === CisBenchmarkVersion.V1_2_0 ? ['organizations-changes'] : []);
      const { template } = synthDemo(version);
      const filterLogGroups = await deploy(template);

      const intact = await runProwler(`CIS ${version.version} as synthesized`);
      expect(intact.version).toBe(pinnedVersion('prowler'));
      expect(intact.statuses).toEqual(expected(absent));
      // Prowler exits 3 when a check fails.
      expect(intact.code).toBe(absent.length > 0 ? 3 : 0);

      const removed = Object.entries<any>(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::Logs::MetricFilter' && r.Properties.MetricTransformations[0].MetricName === deleted.metricName)
        .map(([id]) => id);
      expect(removed.length).toBeGreaterThan(0);
      const client = new CloudWatchLogsClient({});
      for (const id of removed) {
        await client.send(new DeleteMetricFilterCommand({ logGroupName: filterLogGroups[id], filterName: id }));
      }
      const broken = await runProwler(`CIS ${version.version} without the ${removed.length} ${deleted.key} filters`);
      expect(broken.statuses).toEqual(expected([...absent, deleted.key]));
      expect(broken.code).toBe(3);
    }, 900_000);
  }

  test('the member template `cis-monitoring member-template` writes for CfCT and LZA, deployed to moto: every check passes; without the root-usage filters that check alone fails', async () => {
    let stdout = '';
    const code = runMemberTemplate({
      part: 'member', benchmark: '7.0.0', securityAccount: '222222222222', securityAccountSubscription: true, emails: ['security@example.com'], compact: true,
    }, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } });
    expect(code).toBe(0);
    const template = JSON.parse(stdout);
    const filterLogGroups = await deploy(template);
    const intact = await runProwler('CLI member template as written');
    expect(intact.statuses).toEqual(expected([]));
    expect(intact.code).toBe(0);
    const removed = Object.entries<any>(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Logs::MetricFilter' && r.Properties.MetricTransformations[0].MetricName === CisControl.ROOT_ACCOUNT_USAGE.metricName)
      .map(([id]) => id);
    expect(removed.length).toBeGreaterThan(0);
    for (const id of removed) {
      await new CloudWatchLogsClient({}).send(new DeleteMetricFilterCommand({ logGroupName: filterLogGroups[id], filterName: id }));
    }
    const broken = await runProwler('CLI member template without the root-usage filters');
    expect(broken.statuses).toEqual(expected([CisControl.ROOT_ACCOUNT_USAGE.key]));
  }, 900_000);

  test('CIS 7.0.0 with MetricValue "0" on every scanner-variant filter (only the CIS text counts): every check still passes', async () => {
    const { template, primaryFilters } = synthDemo(CisBenchmarkVersion.V7_0_0);
    const filters = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::Logs::MetricFilter');
    // One primary filter per control, and scanner variants beside them.
    expect(primaryFilters.size).toBe(15);
    expect(filters.length).toBeGreaterThan(primaryFilters.size);
    for (const [id, r] of filters) {
      if (!primaryFilters.has(id)) r.Properties.MetricTransformations[0].MetricValue = '0';
    }
    await deploy(template);
    // moto holds what the template says: "1" on the CIS texts, "0" on the variants.
    const inMoto = (await new CloudWatchLogsClient({}).send(new DescribeMetricFiltersCommand({}))).metricFilters!;
    expect(inMoto).toHaveLength(filters.length);
    for (const f of inMoto) {
      expect({ filter: f.filterName, value: f.metricTransformations![0].metricValue })
        .toEqual({ filter: f.filterName, value: primaryFilters.has(f.filterName!) ? '1' : '0' });
    }

    const result = await runProwler('CIS 7.0.0 with MetricValue "0" on the variants');
    expect(result.statuses).toEqual(expected([]));
    expect(result.code).toBe(0);
  }, 900_000);
});
