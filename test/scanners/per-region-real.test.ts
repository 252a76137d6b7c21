/**
 * Per account and Region, the real Prowler and the real CloudSploit against
 * moto, beside `cis-monitoring audit --live`: in every state (the demo as
 * deployed, each kind of break, a multi-Region trail based in another Region,
 * no trail, an organization trail seen from its members) each target's
 * Prowler and CloudSploit columns equal what the real tools report for that
 * account and Region, and both equal the outcome stated for the state.
 * Security Hub and Steampipe cannot run offline: their columns are checked
 * against the outcome their documented rules give (Security Hub user guide,
 * "CloudWatch controls"; the Steampipe mod's SQL over the AWS plugin's
 * tables), stated per state.
 *
 * How each tool is run, per target (account, Region):
 * - ours: `audit --live --region R` (the organization state: `audit --live
 *   --organization --regions us-east-1,eu-west-1`);
 * - Prowler 5.46.0: `prowler aws --region R --checks <the 15>` (a member
 *   through `--role <OrganizationAccountAccessRole>`), one finding per check;
 * - CloudSploit 4b5bbd8: `index.js --plugin monitoringMetrics --json`, once
 *   per account (it scans every Region); its results for R, each as
 *   `<status> <resource, or the Region>: <message>`, must equal our
 *   CloudSploit summary line for line, and our per-control cells follow
 *   from them (FAIL when a result fails the whole trail or Region, or lists
 *   the control among the missing filters; NO_DATA when R has no result).
 *
 * moto runs with organization trails shown to members
 * (test/support/moto_server_org_trails.py). Timings are printed at the end.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDemoApp, DEMO_STACK_NAME } from '../../examples/demo-app';
import { CisBenchmarkVersion } from '../../src';
import { normaliseForCloudSploit } from '../../src/scanners/rules';
import { CLOUDSPLOIT_MASTER_RULES, PROWLER_RULES } from '../../src/scanners/scanner-data.generated';
import { auditJson, clone, resourcesOfType, runCli, statusMatrix } from '../audit/helpers';
import { MotoAccount, applyTemplateToMoto } from '../audit/moto-apply';
import { MANAGEMENT_ACCOUNT, createMotoOrganization } from '../audit/moto-organization';
import { CloudSploitFinding, TlsFront, describeIfCloudSploit, ensureCloudSploitInstalled, runCloudSploit } from '../support/cloudsploit';
import { MotoServer, pointAwsSdkAt, saveAwsEnvironment, startMoto } from '../support/moto';
import { ProwlerSession } from '../support/prowler';
import { describeIf, requires } from '../support/requirements';
import { ensureScannerInstalled } from '../support/scanner-tools';

const V7 = CisBenchmarkVersion.V7_0_0;
const CONTROLS = V7.controls().map(c => c.key);
const CHECK_TO_CONTROL = new Map(Object.entries(PROWLER_RULES).map(([key, rule]) => [rule.checkId, key]));
const CHECKS = [...CHECK_TO_CONTROL.keys()];
const CLOUDSPLOIT_NAME_TO_KEY = new Map(Object.entries(CLOUDSPLOIT_MASTER_RULES).map(([key, rule]) => [rule.name, key]));
const MISSING = 'Trail logs are missing filters for: ';
const TESTING = { accessKeyId: 'testing', secretAccessKey: 'testing' };

type Status = 'PASS' | 'FAIL' | 'NO_DATA' | 'NOT_APPLICABLE';

/** One status for every control, with exceptions. */
function every(status: Status, except: Record<string, Status> = {}): Record<string, Status> {
  return Object.fromEntries(CONTROLS.map(k => [k, except[k] ?? status]));
}

/** Security Hub has no check for Organizations changes. */
function securityHub(status: Status, except: Record<string, Status> = {}): Record<string, Status> {
  return every(status, { ...except, 'organizations-changes': 'NOT_APPLICABLE' });
}

/** What a target must show. */
interface Expected {
  /** 'management' (the default account, which creates the organization) or a member's name. */
  readonly account: string;
  readonly region: string;
  /** Controls whose Prowler check FAILs (the others PASS). */
  readonly prowlerFails: readonly string[] | 'all';
  /** CloudSploit's results for the Region, as `<status> <resource or Region>: <message>`, in any order. */
  readonly cloudsploit: readonly string[];
  readonly securityHub: Record<string, Status>;
  readonly steampipe: Record<string, Status>;
}

interface StateContext {
  /** Member name → its account and credentials (the organization states). */
  readonly members: Record<string, MotoAccount>;
  /** The demo's template (CIS 7.0.0, all four scanners): a fresh copy. */
  demo(): any;
  /** Creates the template's resources in moto, in the default account or the named member; returns the trail's ARN. */
  apply(template: any, region: string, account?: string): Promise<{ trailArn?: string }>;
}

interface State {
  readonly name: string;
  /** Audit through `--organization` (the state creates an organization). */
  readonly organization?: boolean;
  /** Creates the state in a reset moto and returns each target's expectation. */
  setup(ctx: StateContext): Promise<Expected[]>;
}

function metricFilters(template: any): [string, any][] {
  return resourcesOfType(template, 'AWS::Logs::MetricFilter');
}

function trailOf(template: any): any {
  return resourcesOfType(template, 'AWS::CloudTrail::Trail')[0][1];
}

/** The log group the trail delivers to. */
function trailLogGroup(template: any): any {
  return template.Resources[trailOf(template).Properties.CloudWatchLogsLogGroupArn['Fn::GetAtt'][0]];
}

/** The template with its trail made an organization trail delivering to `logGroupName`. */
function withOrganizationTrail(template: any, logGroupName: string): any {
  trailOf(template).Properties.IsOrganizationTrail = true;
  trailLogGroup(template).Properties.LogGroupName = logGroupName;
  return template;
}

/**
 * A Region where the account sees only multi-Region trails based in another Region:
 * Security Hub NO_DATA, CloudSploit OK without a check, Prowler and Steampipe
 * on this Region alone find no filter.
 */
function outsideHomeRegion(account: string, region: string): Expected {
  return {
    account,
    region,
    prowlerFails: 'all',
    cloudsploit: [`OK ${region}: No CloudTrail trails found in current home region`],
    securityHub: securityHub('NO_DATA'),
    steampipe: every('FAIL'),
  };
}

const STATES: State[] = [
  {
    name: 'the demo as deployed',
    async setup(ctx) {
      const { trailArn } = await ctx.apply(ctx.demo(), 'us-east-1');
      return [{
        account: 'management',
        region: 'us-east-1',
        prowlerFails: [],
        cloudsploit: [`OK ${trailArn}: Trail logs have filter patterns for all required metrics`],
        securityHub: securityHub('PASS'),
        steampipe: every('PASS'),
      }];
    },
  },
  {
    name: 'break: every filter of organizations-changes deleted',
    async setup(ctx) {
      const t = ctx.demo();
      for (const [id, r] of metricFilters(t)) if (r.Properties.MetricTransformations[0].MetricName === 'OrganizationsChanges') delete t.Resources[id];
      const { trailArn } = await ctx.apply(t, 'us-east-1');
      return [{
        account: 'management',
        region: 'us-east-1',
        prowlerFails: ['organizations-changes'],
        cloudsploit: [`FAIL ${trailArn}: ${MISSING}Organizations Changes`],
        securityHub: securityHub('PASS'),
        steampipe: every('PASS', { 'organizations-changes': 'FAIL' }),
      }];
    },
  },
  {
    name: 'break: only CloudSploit\'s unauthorized-api-calls text deleted',
    async setup(ctx) {
      const t = ctx.demo();
      const expected = normaliseForCloudSploit(CLOUDSPLOIT_MASTER_RULES['unauthorized-api-calls'].expected);
      const matching = metricFilters(t).filter(([, r]) => normaliseForCloudSploit(r.Properties.FilterPattern) === expected);
      expect(matching).toHaveLength(1);
      delete t.Resources[matching[0][0]];
      const { trailArn } = await ctx.apply(t, 'us-east-1');
      return [{
        account: 'management',
        region: 'us-east-1',
        prowlerFails: [],
        cloudsploit: [`FAIL ${trailArn}: ${MISSING}Unauthorized API Calls`],
        securityHub: securityHub('PASS'),
        steampipe: every('PASS'),
      }];
    },
  },
  {
    name: 'break: the vpc-changes alarm in another namespace',
    async setup(ctx) {
      const t = ctx.demo();
      const [, alarm] = resourcesOfType(t, 'AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.MetricName === 'VPCChanges')!;
      alarm.Properties.Namespace = 'Other';
      const { trailArn } = await ctx.apply(t, 'us-east-1');
      return [{
        account: 'management',
        region: 'us-east-1',
        prowlerFails: ['vpc-changes'],
        cloudsploit: [`OK ${trailArn}: Trail logs have filter patterns for all required metrics`],
        securityHub: securityHub('PASS', { 'vpc-changes': 'FAIL' }),
        steampipe: every('PASS'),
      }];
    },
  },
  {
    name: 'break: the trail delivers to no log group',
    async setup(ctx) {
      const t = ctx.demo();
      delete trailOf(t).Properties.CloudWatchLogsLogGroupArn;
      delete trailOf(t).Properties.CloudWatchLogsRoleArn;
      await ctx.apply(t, 'us-east-1');
      // CloudSploit skips the trail without a result.
      return [{
        account: 'management',
        region: 'us-east-1',
        prowlerFails: 'all',
        cloudsploit: [],
        securityHub: securityHub('FAIL'),
        steampipe: every('FAIL'),
      }];
    },
  },
  {
    name: 'break: no metric filter in the Region',
    async setup(ctx) {
      const t = ctx.demo();
      for (const [id] of metricFilters(t)) delete t.Resources[id];
      await ctx.apply(t, 'us-east-1');
      return [{
        account: 'management',
        region: 'us-east-1',
        prowlerFails: 'all',
        cloudsploit: ['FAIL us-east-1: There are no CloudWatch metric filters in this region'],
        securityHub: securityHub('FAIL'),
        steampipe: every('FAIL'),
      }];
    },
  },
  {
    name: 'break: the filters on another log group than the trail\'s',
    async setup(ctx) {
      const t = ctx.demo();
      t.Resources.OtherLogGroup = { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: 'other-log-group' } };
      for (const [, r] of metricFilters(t)) r.Properties.LogGroupName = 'other-log-group';
      const { trailArn } = await ctx.apply(t, 'us-east-1');
      return [{
        account: 'management',
        region: 'us-east-1',
        prowlerFails: 'all',
        cloudsploit: [`FAIL ${trailArn}: There are no CloudWatch metric filters for this trail`],
        securityHub: securityHub('FAIL'),
        steampipe: every('FAIL'),
      }];
    },
  },
  {
    name: 'a multi-Region trail based in eu-west-1 (the usual layout), seen in us-east-1 as a shadow trail',
    async setup(ctx) {
      const { trailArn } = await ctx.apply(ctx.demo(), 'eu-west-1');
      expect(trailOf(ctx.demo()).Properties.IsMultiRegionTrail).toBe(true);
      return [
        // Security Hub evaluates the trail in eu-west-1 only; Prowler and Steampipe on us-east-1 alone find no filter here.
        outsideHomeRegion('management', 'us-east-1'),
        {
          account: 'management',
          region: 'eu-west-1',
          prowlerFails: [],
          cloudsploit: [`OK ${trailArn}: Trail logs have filter patterns for all required metrics`],
          securityHub: securityHub('PASS'),
          steampipe: every('PASS'),
        },
      ];
    },
  },
  {
    name: 'no trail (the monitoring without its trail)',
    async setup(ctx) {
      const t = ctx.demo();
      const [trailId] = resourcesOfType(t, 'AWS::CloudTrail::Trail')[0];
      delete t.Resources[trailId];
      await ctx.apply(t, 'us-east-1');
      return [{
        account: 'management',
        region: 'us-east-1',
        prowlerFails: 'all',
        cloudsploit: ['OK us-east-1: No CloudTrail trails found'],
        securityHub: securityHub('FAIL'),
        steampipe: every('FAIL'),
      }];
    },
  },
  {
    name: 'an organization trail (multi-Region, based in us-east-1) seen from its members',
    organization: true,
    async setup(ctx) {
      // The management account: the demo with an organization trail delivering to its own log group.
      const org = (await ctx.apply(withOrganizationTrail(ctx.demo(), 'organization-trail-logs'), 'us-east-1')).trailArn;
      // "workloads" also has the monitoring with its own trail; "sandbox" has nothing of its own.
      const own = (await ctx.apply(ctx.demo(), 'us-east-1', 'workloads')).trailArn;
      return [
        {
          account: 'management',
          region: 'us-east-1',
          prowlerFails: [],
          cloudsploit: [`OK ${org}: Trail logs have filter patterns for all required metrics`],
          securityHub: securityHub('PASS'),
          steampipe: every('PASS'),
        },
        outsideHomeRegion('management', 'eu-west-1'),
        {
          // Its own trail passes; CloudSploit also judges the organization trail, whose log group has no filter here.
          account: 'workloads',
          region: 'us-east-1',
          prowlerFails: [],
          cloudsploit: [`OK ${own}: Trail logs have filter patterns for all required metrics`, `FAIL ${org}: There are no CloudWatch metric filters for this trail`],
          securityHub: securityHub('PASS'),
          steampipe: every('PASS'),
        },
        outsideHomeRegion('workloads', 'eu-west-1'),
        {
          // Only the organization trail: Security Hub reports in the management account; Steampipe cannot read another account's trail.
          account: 'sandbox',
          region: 'us-east-1',
          prowlerFails: 'all',
          cloudsploit: ['FAIL us-east-1: There are no CloudWatch metric filters in this region'],
          securityHub: securityHub('NO_DATA'),
          steampipe: every('FAIL'),
        },
        outsideHomeRegion('sandbox', 'eu-west-1'),
      ];
    },
  },
  {
    name: 'an organization trail seen from a member whose own log group has the organization trail\'s log-group name',
    organization: true,
    async setup(ctx) {
      const org = (await ctx.apply(withOrganizationTrail(ctx.demo(), 'cis-trail-logs'), 'us-east-1')).trailArn;
      const member = ctx.demo();
      trailLogGroup(member).Properties.LogGroupName = 'cis-trail-logs';
      const own = (await ctx.apply(member, 'us-east-1', 'workloads')).trailArn;
      // CloudSploit (and Prowler) look a trail's log group up by name only: the member's filters count for the organization trail too.
      return [{
        account: 'workloads',
        region: 'us-east-1',
        prowlerFails: [],
        cloudsploit: [`OK ${own}: Trail logs have filter patterns for all required metrics`, `OK ${org}: Trail logs have filter patterns for all required metrics`],
        securityHub: securityHub('PASS'),
        steampipe: every('PASS'),
      }];
    },
  },
];

/** CloudSploit's results for one Region, each as `<status> <resource or Region>: <message>`. */
function cloudSploitLines(findings: readonly CloudSploitFinding[], region: string): string[] {
  return findings.filter(f => f.region === region).map(f => `${f.status} ${f.resource === 'N/A' ? region : f.resource}: ${f.message}`);
}

/** The per-control verdicts CloudSploit's results for a Region amount to. */
function cloudSploitCells(lines: readonly string[]): Record<string, Status> {
  if (lines.length === 0) return every('NO_DATA');
  const failing = new Set<string>();
  for (const line of lines.filter(l => l.startsWith('FAIL '))) {
    const at = line.indexOf(MISSING);
    const keys = at < 0 ? CONTROLS : line.slice(at + MISSING.length).split(', ').map(name => CLOUDSPLOIT_NAME_TO_KEY.get(name)!);
    for (const k of keys) failing.add(k);
  }
  return Object.fromEntries(CONTROLS.map(k => [k, failing.has(k) ? 'FAIL' : 'PASS']));
}

/** A scanner's column of a JSON report target. */
function column(target: any, scanner: string): Record<string, string> {
  const m = statusMatrix(target);
  return Object.fromEntries(CONTROLS.map(k => [k, m[k][scanner]]));
}

describeIfCloudSploit('the real Prowler and CloudSploit per Region, beside audit --live', () => {
  describeIf(requires.moto, requires.prowler)('in every state (moto, Prowler)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-per-region-'));
    let restoreEnvironment = (): void => undefined;
    let moto: MotoServer;
    let front: TlsFront;
    let prowler: ProwlerSession;
    let cloudsploitDir: string;
    let demoTemplate: any;
    let runs = 0;
    const timings: string[] = [];
    const table: string[] = [];

    beforeAll(async () => {
      const prowlerExe = ensureScannerInstalled('prowler');
      cloudsploitDir = ensureCloudSploitInstalled();
      restoreEnvironment = saveAwsEnvironment();
      moto = await startMoto({ organizationTrails: true });
      front = await TlsFront.start(moto.port, tmp);
      const empty = path.join(tmp, 'empty');
      fs.writeFileSync(empty, '');
      prowler = new ProwlerSession(prowlerExe, {
        PATH: process.env.PATH,
        HOME: tmp,
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: TESTING.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TESTING.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: empty,
        AWS_SHARED_CREDENTIALS_FILE: empty,
        AWS_EC2_METADATA_DISABLED: 'true',
      }, tmp);
      const { app } = buildDemoApp(path.join(tmp, 'cdk.out'), { benchmarkVersion: V7 });
      demoTemplate = JSON.parse(fs.readFileSync(app.synth().getStackByName(DEMO_STACK_NAME).templateFullPath, 'utf8'));
    }, 900_000);

    afterAll(async () => {
      await prowler?.stop();
      await front?.close();
      await moto?.stop();
      restoreEnvironment();
      fs.rmSync(tmp, { recursive: true, force: true });
      // eslint-disable-next-line no-console
      console.log(`Runs of the real tools:\n${timings.join('\n')}\n\nAgreement (ours = real tool; SH and Steampipe: ours = documented rule):\n${table.join('\n')}`);
    });

    for (const state of STATES) {
      test(state.name, async () => {
        await moto.reset();
        pointAwsSdkAt(moto.endpoint);
        const members: Record<string, MotoAccount> = state.organization
          ? (await createMotoOrganization(['workloads', 'sandbox'])).members
          : {};
        const accountId = (name: string) => (name === 'management' ? MANAGEMENT_ACCOUNT : members[name].account);
        const ctx: StateContext = {
          members,
          demo: () => clone(demoTemplate),
          async apply(template, region, account) {
            const applied = await applyTemplateToMoto(template, moto.endpoint, region, account ? members[account] : undefined);
            const trailArn = applied.trailName ? `arn:aws:cloudtrail:${region}:${accountId(account ?? 'management')}:trail/${applied.trailName}` : undefined;
            return { trailArn };
          },
        };
        const expectations = await state.setup(ctx);

        // Ours: every target of the state.
        pointAwsSdkAt(moto.endpoint);
        const regions = [...new Set(expectations.map(e => e.region))];
        const ours = new Map<string, any>();
        if (state.organization) {
          const { doc } = await auditJson(['--live', '--organization', '--regions', regions.join(',')]);
          for (const t of doc.targets) ours.set(`${t.account}/${t.region}`, t);
        } else {
          for (const region of regions) {
            const { json } = await auditJson(['--live', '--region', region]);
            ours.set(`${MANAGEMENT_ACCOUNT}/${region}`, json);
          }
        }

        if (state.organization) {
          // The organization summary table: one row per account × Region, NO_DATA where Security Hub gives no verdict.
          const text = await runCli(['audit', '--live', '--organization', '--regions', regions.join(','), '--scanners', 'security-hub']);
          for (const e of expectations) {
            const row = text.stdout.split('\n').find(l => l.startsWith(`${accountId(e.account)} `) && l.includes(` ${e.region} `));
            const cells = CONTROLS.map(k => (e.securityHub[k] === 'NOT_APPLICABLE' ? 'N/A' : e.securityHub[k]));
            const result = cells.includes('FAIL') ? 'FAIL' : cells.includes('PASS') ? 'PASS' : 'NO_DATA';
            expect(row).toMatch(new RegExp(` ${e.region} +${cells.join(' +')} +${result}$`));
          }
        }

        // CloudSploit: once per account (every Region).
        const cloudsploit = new Map<string, CloudSploitFinding[]>();
        for (const account of new Set(expectations.map(e => e.account))) {
          const credentials = account === 'management' ? TESTING : members[account].credentials;
          const { findings, seconds } = await runCloudSploit({ dir: cloudsploitDir, front, credentials, workDir: tmp });
          timings.push(`  CloudSploit, ${state.name}, ${account}: ${findings.length} results in ${seconds.toFixed(1)} s`);
          // It reached moto for every Region: no UNKNOWN ("Unable to describe ...") result.
          expect(findings.filter(f => f.status !== 'OK' && f.status !== 'FAIL')).toEqual([]);
          expect(new Set(findings.map(f => f.plugin))).toEqual(new Set(['monitoringMetrics']));
          cloudsploit.set(account, findings);
        }

        for (const e of expectations) {
          const where = `${e.account} (${accountId(e.account)}) ${e.region}`;
          const target = ours.get(`${accountId(e.account)}/${e.region}`);
          expect({ where, audited: target !== undefined && target.error === undefined }).toEqual({ where, audited: true });

          // Prowler on this account and Region alone.
          const role = e.account === 'management' ? [] : ['--role', `arn:aws:iam::${accountId(e.account)}:role/OrganizationAccountAccessRole`];
          const scan = await prowler.scan(['aws', '--region', e.region, ...role, '--checks', ...CHECKS], path.join(tmp, `prowler-${++runs}`));
          timings.push(`  Prowler, ${state.name}, ${where}: exit ${scan.code} in ${scan.seconds.toFixed(1)} s`);
          const realProwler = Object.fromEntries(CHECKS.map(c => [CHECK_TO_CONTROL.get(c)!, scan.statuses[c]]));
          const expectedProwler = every('PASS', Object.fromEntries((e.prowlerFails === 'all' ? CONTROLS : e.prowlerFails).map(k => [k, 'FAIL'])));
          expect({ where, prowler: realProwler }).toEqual({ where, prowler: expectedProwler });
          expect({ where, prowler: column(target, 'PROWLER') }).toEqual({ where, prowler: realProwler });

          // CloudSploit's results for this Region, line for line, and the per-control cells they amount to.
          const realLines = cloudSploitLines(cloudsploit.get(e.account)!, e.region);
          expect({ where, cloudsploit: [...realLines].sort() }).toEqual({ where, cloudsploit: [...e.cloudsploit].sort() });
          const summary = target.summaries.find((s: any) => s.scanner === 'CLOUDSPLOIT');
          if (realLines.length === 0) {
            // No result: our summary says why instead.
            expect({ where, status: summary.status, reasons: summary.reasons }).toEqual({ where, status: 'NO_DATA', reasons: [expect.stringMatching(/^CloudSploit reports no result for this Region: it skips trail /)] });
          } else {
            expect({ where, cloudsploit: summary.reasons }).toEqual({ where, cloudsploit: realLines });
            expect({ where, status: summary.status }).toEqual({ where, status: realLines.some(l => l.startsWith('FAIL ')) ? 'FAIL' : 'PASS' });
          }
          expect({ where, cloudsploit: column(target, 'CLOUDSPLOIT') }).toEqual({ where, cloudsploit: cloudSploitCells(realLines) });

          // Security Hub and Steampipe: their documented rules.
          expect({ where, securityHub: column(target, 'SECURITY_HUB') }).toEqual({ where, securityHub: e.securityHub });
          expect({ where, steampipe: column(target, 'STEAMPIPE') }).toEqual({ where, steampipe: e.steampipe });

          const brief = (cells: Record<string, string>) => {
            const counts = new Map<string, number>();
            for (const v of Object.values(cells)) counts.set(v, (counts.get(v) ?? 0) + 1);
            return [...counts.entries()].map(([s, n]) => (n === CONTROLS.length ? s : `${n} ${s}`)).join(', ');
          };
          table.push(`  ${state.name} | ${where} | Prowler ${brief(realProwler)} | CloudSploit ${summary.status} (${realLines.length} result(s)) | Security Hub ${brief(e.securityHub)} | Steampipe ${brief(e.steampipe)}`);
        }
      }, 600_000);
    }
  });
});
