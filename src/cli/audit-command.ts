/**
 * `cis-monitoring audit <cdk.out | template.json>` and `cis-monitoring audit --live`:
 * how Security Hub, Prowler, Steampipe and CloudSploit would judge each CIS
 * monitoring control, from synthesized templates or from a deployed account.
 */
import { Command, CommanderError } from 'commander';
import { AUDIT_EXIT_CODES, AuditFailure, AuditInputError } from '../audit/errors';
import { auditToJson, auditToText } from '../audit/format';
import { runAudit } from '../audit/run';
import { CisBenchmarkVersion } from '../catalog';
import { ALL_SCANNERS, parseScannerList, scannerCliName } from '../scanners/rules';
import { Scanner } from '../scanners/scanner';

const FORMATS = ['text', 'json'];
const REGION_RE = /^[a-z]{2,}(-[a-z]+)+-\d+$/;

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

Examples:
  cis-monitoring audit cdk.out
  cis-monitoring audit cdk.out/MyStack.template.json --scanners security-hub,prowler --format json
  cis-monitoring audit --live --region eu-west-1 --profile audit
`;

interface AuditCliOptions {
  readonly live?: boolean;
  readonly region?: string;
  readonly profile?: string;
  readonly timeout?: string;
  readonly scanners: string;
  readonly benchmark?: string;
  readonly format: string;
}

/** Adds the `audit` subcommand to the program. */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('Show how Security Hub, Prowler, Steampipe and CloudSploit would judge each CIS monitoring control, from a cdk.out directory or template, or from the deployed account with --live.')
    .argument('[path]', 'cdk.out directory or CloudFormation template .json file (omit with --live)')
    .option('--live', 'audit the deployed account (AWS SDK default credentials; honours AWS_ENDPOINT_URL)')
    .option('--region <region>', 'region to audit with --live (default: AWS_REGION or the profile\'s region)')
    .option('--profile <profile>', 'shared-config profile to use with --live')
    .option('--timeout <seconds>', 'with --live: time limit of each AWS request (each call is tried 3 times); an endpoint that does not answer in time exits 5', '30')
    .option('--scanners <list>', `comma-separated scanners: ${ALL_SCANNERS.map(scannerCliName).join(',')}`, ALL_SCANNERS.map(scannerCliName).join(','))
    .option('--benchmark <version>', `CIS AWS Foundations Benchmark version for control ids and selection (${CisBenchmarkVersion.all().map(v => v.version).join(', ')}; default: the version each stack was built for, from the labels CisMonitoring writes, else ${CisBenchmarkVersion.LATEST.version})`)
    .option('--format <format>', `output format: ${FORMATS.join(' or ')}`, 'text')
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
    const result = await runAudit(parsed);
    const out = options.format === 'json'
      ? JSON.stringify(auditToJson(result), null, 2) + '\n'
      : auditToText(result);
    process.stdout.write(out);
    return result.exitCode;
  } catch (e) {
    if (e instanceof AuditFailure) {
      process.stderr.write(`cis-monitoring audit: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

function validate(path: string | undefined, options: AuditCliOptions): {
  input?: string; live: boolean; region?: string; profile?: string; requestTimeoutMs?: number; benchmark?: CisBenchmarkVersion; scanners: Scanner[];
} {
  if (!FORMATS.includes(options.format)) {
    throw new AuditInputError(`--format "${options.format}" is not supported. Use --format text or --format json.`);
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
  const timeout = options.timeout === undefined ? 30 : Number(options.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new AuditInputError(`--timeout "${options.timeout}" is not a number of seconds. Use a positive number such as 30.`);
  }
  return { input: path, live, region: options.region, profile: options.profile, requestTimeoutMs: Math.round(timeout * 1000), benchmark, scanners };
}
