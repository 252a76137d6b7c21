/**
 * `cis-monitoring audit <cdk.out | template.json>` and `cis-monitoring audit --live`:
 * how Security Hub, Prowler, Steampipe and CloudSploit would judge each CIS
 * monitoring control, from synthesized templates or from a deployed account.
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from './version';
import { environmentKey } from '../assembly/cloud-assembly';
import { AUDIT_EXIT_CODES, AuditFailure, AuditInputError } from '../audit/errors';
import { buildEvidence, EvidenceRun } from '../audit/findings';
import { EVIDENCE_FORMATS, OUTPUT_FORMATS, OutputFormat, isOutputFormat, prepareOutputDir, renderFormat, writeOutputDir } from '../audit/outputs';
import { AuditRunResult, liveTimeouts, runAudit } from '../audit/run';
import type { SecurityHubImportResult } from '../audit/security-hub';
import { CisBenchmarkVersion } from '../catalog';
import { ALL_SCANNERS, parseScannerList, scannerCliName } from '../scanners/rules';
import { Scanner } from '../scanners/scanner';

const FORMATS: readonly string[] = OUTPUT_FORMATS;
const REGION_RE = /^[a-z]{2,}(-[a-z]+)+-\d+$/;
const ACCOUNT_RE = /^\d{12}$/;
// IAM role names: 1-64 of letters, digits and +=,.@_- (no path, no ARN).
const ROLE_NAME_RE = /^[\w+=,.@-]{1,64}$/;
const DEFAULT_ROLE = 'OrganizationAccountAccessRole';
const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;
const MAX_TIMEOUT = 300;

const EXIT_CODE_HELP = `
Exit codes:
  ${AUDIT_EXIT_CODES.OK}  every selected scanner passes (WARN counts as passing)
  ${AUDIT_EXIT_CODES.ERROR}  unexpected error
  ${AUDIT_EXIT_CODES.BAD_INPUT}  bad input (option value, path, not a template)
  ${AUDIT_EXIT_CODES.NON_COMPLIANT}  at least one selected scanner fails
  ${AUDIT_EXIT_CODES.CREDENTIALS}  --live: no credentials, or AWS rejected them
  ${AUDIT_EXIT_CODES.UNREACHABLE}  --live: the AWS endpoint cannot be reached, does not answer within --timeout,
     or hands back a page token it already gave (paging would never end)
  ${AUDIT_EXIT_CODES.ACCESS_DENIED}  --live: access denied (needs the SecurityAudit policy or equivalent read-only permissions)
  ${AUDIT_EXIT_CODES.SECURITY_HUB}  --security-hub: the findings of at least one target were not imported (Security Hub not
     enabled there, access denied, refused, or throttled past the retries); the output says which and why

With --organization, unaudited targets decide first: ${AUDIT_EXIT_CODES.ACCESS_DENIED} if a target denied access (role
refused), else ${AUDIT_EXIT_CODES.CREDENTIALS}, else ${AUDIT_EXIT_CODES.UNREACHABLE}, else ${AUDIT_EXIT_CODES.ERROR}; then ${AUDIT_EXIT_CODES.NON_COMPLIANT} if an audited target fails; else ${AUDIT_EXIT_CODES.OK}. With --security-hub, ${AUDIT_EXIT_CODES.SECURITY_HUB} comes before ${AUDIT_EXIT_CODES.NON_COMPLIANT}.

Examples:
  cis-monitoring audit cdk.out
  cis-monitoring audit cdk.out/MyStack.template.json --scanners security-hub,prowler --format json
  cis-monitoring audit --live --region eu-west-1 --profile audit
  cis-monitoring audit --live --organization --regions us-east-1,eu-west-1 --profile management
  cis-monitoring audit --live --format html > evidence.html
  cis-monitoring audit --live --organization --security-hub --output-dir evidence/
`;

interface AuditCliOptions {
  readonly live?: boolean;
  readonly region?: string;
  readonly profile?: string;
  readonly scanners: string;
  readonly benchmark?: string;
  readonly format: string;
  readonly organization?: boolean;
  readonly roleName?: string;
  readonly regions?: string;
  readonly accounts?: string;
  readonly concurrency?: string;
  readonly timeout?: string;
  readonly outputDir?: string;
  readonly securityHub?: boolean;
}

type ValidatedOptions = Parameters<typeof runAudit>[0] & { readonly securityHub?: boolean };

/** Adds the `audit` subcommand to the program. */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('Show how Security Hub, Prowler, Steampipe and CloudSploit would judge each CIS monitoring control, from a cdk.out directory or template, or from the deployed account with --live.')
    .argument('[path]', 'cdk.out directory or CloudFormation template .json file (omit with --live)')
    .option('--live', 'audit the deployed account (AWS SDK default credentials; honours AWS_ENDPOINT_URL)')
    .option('--region <region>', 'region to audit with --live (default: AWS_REGION or the profile\'s region)')
    .option('--profile <profile>', 'shared-config profile to use with --live')
    .option('--scanners <list>', `comma-separated scanners: ${ALL_SCANNERS.map(scannerCliName).join(',')}`, ALL_SCANNERS.map(scannerCliName).join(','))
    .option('--benchmark <version>', `CIS AWS Foundations Benchmark version for control ids and selection (${CisBenchmarkVersion.all().map(v => v.version).join(', ')}; default: the version each stack was built for, from the labels CisMonitoring writes, else ${CisBenchmarkVersion.LATEST.version})`)
    .option('--format <format>', `output format: ${FORMATS.join(', ')} (asff, ocsf, csv and html: one finding per account × Region × control, see docs/evidence.md)`, 'text')
    .option('--output-dir <dir>', 'also write every format of this run into <dir> (created if missing), as cis-monitoring-<time>.{txt,json,asff.json,ocsf.json,csv,html}')
    .option('--security-hub', 'with --live: import the findings into the Security Hub of each audited account and Region (its own credentials, its default product)')
    .option('--timeout <seconds>', `with --live: seconds an AWS call may wait for an answer, 1-${MAX_TIMEOUT} (default: 30; the SDK tries 3 times, then exit 5)`)
    .option('--organization', 'with --live: audit every active account of the organization (run from the management or a delegated administrator account)')
    .option('--role-name <name>', `with --organization: role to assume in each member account (default: ${DEFAULT_ROLE})`)
    .option('--regions <list>', 'with --organization: comma-separated regions to audit in every account (default: the --region, AWS_REGION or profile region)')
    .option('--accounts <list>', 'with --organization: comma-separated 12-digit account ids to audit (default: every active account)')
    .option('--concurrency <n>', `with --organization: account/region targets read at once, 1-${MAX_CONCURRENCY} (default: ${DEFAULT_CONCURRENCY})`)
    .addHelpText('after', EXIT_CODE_HELP)
    // commander's own usage errors (unknown option, missing option value) are bad input too.
    .exitOverride(err => {
      if (err.exitCode !== 0) throw new CommanderError(AUDIT_EXIT_CODES.BAD_INPUT, err.code, err.message);
      throw err;
    })
    .action(async (path: string | undefined, options: AuditCliOptions) => {
      process.exitCode = await auditAction(path, options);
    });
}

async function auditAction(path: string | undefined, options: AuditCliOptions): Promise<number> {
  try {
    const parsed = validate(path, options);
    const format = options.format as OutputFormat;
    // Checked before anything is audited, so a bad directory costs no AWS call and loses no finding.
    const outputDir = options.outputDir === undefined ? undefined : prepareOutputDir(options.outputDir);
    let result = await runAudit(parsed);
    const needsEvidence = EVIDENCE_FORMATS.includes(format) || outputDir !== undefined || parsed.securityHub;
    let run: EvidenceRun | undefined;
    let securityHub: SecurityHubImportResult[] | undefined;
    if (needsEvidence) {
      if (parsed.live && !parsed.organization) result = await withCallerAccount(result, parsed);
      run = buildEvidence(result, { toolVersion: packageVersion(), scanners: parsed.scanners });
    }
    if (parsed.securityHub) securityHub = await importFindings(result, run!, parsed);
    process.stdout.write(renderFormat(format, result, run, { securityHub }));
    if (outputDir !== undefined) {
      const { skipped } = writeOutputDir(outputDir, result, run!, { securityHub });
      for (const s of skipped) process.stderr.write(`cis-monitoring audit: --output-dir: not written: ${s}\n`);
    }
    const importFailed = securityHub?.some(r => r.exitCode !== AUDIT_EXIT_CODES.OK) ?? false;
    const auditComplete = result.exitCode === AUDIT_EXIT_CODES.OK || result.exitCode === AUDIT_EXIT_CODES.NON_COMPLIANT;
    return importFailed && auditComplete ? AUDIT_EXIT_CODES.SECURITY_HUB : result.exitCode;
  } catch (e) {
    if (e instanceof AuditFailure) {
      process.stderr.write(`cis-monitoring audit: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

/**
 * A single-account live audit reads no account id; evidence findings belong
 * to one, so ask STS (GetCallerIdentity) and name it in every target.
 */
async function withCallerAccount(result: AuditRunResult, options: ValidatedOptions): Promise<AuditRunResult> {
  if (result.targets.every(t => t.environment.account)) return result;
  const account = await securityHubModule().callerAccount({ region: options.region, profile: options.profile, timeouts: liveTimeouts(options) });
  return {
    ...result,
    targets: result.targets.map(t => {
      const environment = { ...t.environment, account: t.environment.account ?? account };
      return { ...t, environment, environmentKey: environmentKey(environment) };
    }),
  };
}

/** --security-hub: each audited target's findings into its own Security Hub; members through the role they were audited with. */
async function importFindings(result: AuditRunResult, run: EvidenceRun, options: ValidatedOptions): Promise<SecurityHubImportResult[]> {
  const roles = new Map<string, string>();
  for (const t of result.targets) if (t.environment.account && t.roleArn) roles.set(t.environment.account, t.roleArn);
  for (const e of result.organization?.errors ?? []) if (e.environment.account && e.roleArn) roles.set(e.environment.account, e.roleArn);
  return securityHubModule().importRun(run, {
    generatedAt: run.generatedAt,
    toolVersion: run.tool.version,
    region: options.region,
    profile: options.profile,
    timeouts: liveTimeouts(options),
    concurrency: options.organization?.concurrency,
    roleArnOf: account => roles.get(account),
  });
}

/** Loaded on first use: it loads the AWS SDK, which a template audit must not pay for at start-up. */
function securityHubModule(): typeof import('../audit/security-hub') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../audit/security-hub');
}

function validate(path: string | undefined, options: AuditCliOptions): ValidatedOptions & { securityHub: boolean } {
  if (!isOutputFormat(options.format)) {
    throw new AuditInputError(`--format "${options.format}" is not supported. Use one of: ${FORMATS.join(', ')} (for example --format html).`);
  }
  if (options.outputDir !== undefined && options.outputDir.trim() === '') {
    throw new AuditInputError('--output-dir needs a directory, got an empty value. Give a directory such as --output-dir evidence/.');
  }
  let benchmark: CisBenchmarkVersion | undefined;
  try {
    benchmark = options.benchmark === undefined ? undefined : CisBenchmarkVersion.of(options.benchmark);
  } catch (e) {
    throw new AuditInputError(`--benchmark: ${(e as Error).message}`);
  }
  let scanners: Scanner[];
  try {
    scanners = parseScannerList(options.scanners);
  } catch (e) {
    throw new AuditInputError(`--scanners: ${(e as Error).message}`);
  }
  const live = options.live === true;
  if (live && path !== undefined) {
    throw new AuditInputError(`--live audits the account, so the path "${path}" cannot be used with it. Drop the path or drop --live.`);
  }
  if (!live && path === undefined) {
    throw new AuditInputError('Nothing to audit: pass a cdk.out directory or template file (cis-monitoring audit cdk.out), or --live for the deployed account.');
  }
  if (!live && (options.region !== undefined || options.profile !== undefined)) {
    throw new AuditInputError(`${options.region !== undefined ? '--region' : '--profile'} only applies with --live; a template is audited offline. Add --live or drop the option.`);
  }
  if (options.region !== undefined && !REGION_RE.test(options.region)) {
    throw new AuditInputError(`--region "${options.region}" is not a region name. Use a name such as us-east-1 or eu-west-1.`);
  }
  if (options.profile !== undefined && (options.profile.trim() === '' || /\s/.test(options.profile))) {
    throw new AuditInputError(`--profile "${options.profile}" is not a profile name. Use the name of a profile in ~/.aws/config, without spaces.`);
  }
  let callTimeoutSeconds: number | undefined;
  if (options.timeout !== undefined) {
    if (!live) throw new AuditInputError('--timeout only applies with --live; a template is audited offline. Add --live or drop --timeout.');
    callTimeoutSeconds = /^\d+$/.test(options.timeout) ? Number(options.timeout) : NaN;
    if (!Number.isInteger(callTimeoutSeconds) || callTimeoutSeconds < 1 || callTimeoutSeconds > MAX_TIMEOUT) {
      throw new AuditInputError(`--timeout "${options.timeout}" is not a whole number of seconds from 1 to ${MAX_TIMEOUT}. Use e.g. --timeout 30.`);
    }
  }
  const organization = validateOrganization(live, options);
  if (options.securityHub === true && !live) {
    throw new AuditInputError('--security-hub imports findings into the audited accounts\' Security Hub, so it needs --live (cis-monitoring audit --live --security-hub). A template has no account to import into; use --format asff to write the findings to a file.');
  }
  return {
    input: path,
    live,
    region: options.region,
    profile: options.profile,
    benchmark,
    scanners,
    organization,
    callTimeoutSeconds,
    securityHub: options.securityHub === true,
  };
}

function validateOrganization(live: boolean, options: AuditCliOptions): ValidatedOptions['organization'] {
  const orgOnly: Array<[string, unknown]> = [
    ['--role-name', options.roleName], ['--regions', options.regions], ['--accounts', options.accounts], ['--concurrency', options.concurrency],
  ];
  if (options.organization !== true) {
    const used = orgOnly.find(([, v]) => v !== undefined);
    if (used) throw new AuditInputError(`${used[0]} only applies with --organization (cis-monitoring audit --live --organization ${used[0]} …). Add --organization or drop ${used[0]}.`);
    return undefined;
  }
  if (!live) {
    throw new AuditInputError('--organization reads the accounts of an AWS Organization, so it needs --live (cis-monitoring audit --live --organization). A template is audited offline, one stack environment at a time.');
  }
  let roleName: string | undefined;
  if (options.roleName !== undefined) {
    if (/^arn:/.test(options.roleName)) {
      throw new AuditInputError(`--role-name "${options.roleName}" is an ARN; pass the role's name only (e.g. --role-name ${options.roleName.split('/').pop() || DEFAULT_ROLE}): the audit builds the ARN for each account.`);
    }
    if (!ROLE_NAME_RE.test(options.roleName)) {
      throw new AuditInputError(`--role-name "${options.roleName}" is not an IAM role name (1-64 letters, digits and +=,.@_- characters, no path). Use e.g. --role-name ${DEFAULT_ROLE} or AWSControlTowerExecution.`);
    }
    roleName = options.roleName;
  }
  const regions = options.regions === undefined ? undefined : parseList('--regions', options.regions, r => REGION_RE.test(r),
    r => `"${r}" is not a region name. Use names such as us-east-1,eu-west-1`);
  const accounts = options.accounts === undefined ? undefined : parseList('--accounts', options.accounts, a => ACCOUNT_RE.test(a),
    a => `"${a}" is not an account id. Use 12-digit account ids such as 111111111111,222222222222`);
  let concurrency: number | undefined;
  if (options.concurrency !== undefined) {
    concurrency = /^\d+$/.test(options.concurrency) ? Number(options.concurrency) : NaN;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new AuditInputError(`--concurrency "${options.concurrency}" is not a whole number from 1 to ${MAX_CONCURRENCY}. Use e.g. --concurrency ${DEFAULT_CONCURRENCY}.`);
    }
  }
  return { roleName, regions, accounts, concurrency };
}

/** A comma-separated list: no empty items, no duplicates, each valid. */
function parseList(option: string, value: string, valid: (item: string) => boolean, invalid: (item: string) => string): string[] {
  const items = value.split(',').map(v => v.trim());
  if (items.some(i => i === '')) {
    throw new AuditInputError(`${option} "${value}" has an empty item. Separate the values with single commas, e.g. ${option} ${option === '--regions' ? 'us-east-1,eu-west-1' : '111111111111,222222222222'}.`);
  }
  const bad = items.find(i => !valid(i));
  if (bad !== undefined) throw new AuditInputError(`${option}: ${invalid(bad)}.`);
  const dup = items.find((i, n) => items.indexOf(i) !== n);
  if (dup !== undefined) throw new AuditInputError(`${option}: "${dup}" is listed twice. List each value once.`);
  return items;
}
