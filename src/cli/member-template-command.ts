import * as fs from 'fs';
import { Command, CommanderError, Option } from 'commander';
import type { MemberTemplatePart, MemberTemplateRequest, MemberTemplateResult } from './member-template-build';
import { AUDIT_EXIT_CODES } from '../audit/errors';
import { UsageError } from '../replay/event-source';

/** Exit codes of `cis-monitoring member-template` (the numbers the other commands use). */
export const MEMBER_TEMPLATE_EXIT_OK = AUDIT_EXIT_CODES.OK;
export const MEMBER_TEMPLATE_EXIT_USAGE = AUDIT_EXIT_CODES.BAD_INPUT;

/** Streams `member-template` writes to. */
export interface MemberTemplateIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Parsed options of `member-template`. */
export interface MemberTemplateOptions extends MemberTemplateRequest {
  /** Write here instead of stdout. */
  readonly output?: string;
  /** Exactly the StackSet's TemplateBody (minified JSON) instead of indented JSON. */
  readonly compact?: boolean;
}

const HELP_AFTER = `
Writes the CloudFormation template that CisOrganizationRollout deploys to every
member account (its StackSet member stack), for tools that deploy templates
themselves: Customizations for Control Tower (a resource_file of the manifest,
deploy_method: stack_set) and Landing Zone Accelerator
(customizations.cloudFormationStackSets). It is parameter-free, asset-free and
environment-agnostic; both read it from S3, so CloudFormation's 51,200-byte
inline limit does not apply. See docs/control-tower.md.

Options come from --props (a JSON file of CisOrganizationRolloutProps:
"monitoring" with benchmarkVersion "7.0.0", controls by key, durations as ISO
8601 "PT15M", exclusions as { "roleName": "ci-deployer" }) and from the flags,
which win. organizationalUnitIds and regions only say where the template goes
(your CfCT manifest or LZA configuration says that); without them the checks
use a placeholder root and us-east-1 (eu-west-1 with
--global-service-event-rules).

Exit codes:
  0  the template was written (warnings, if any, on stderr)
  1  unexpected error (aws-cdk-lib, a peer dependency, must be installed)
  2  bad usage or options: an unknown option or property, a value the
     construct refuses, an unreadable or invalid --props file, an unwritable
     --output

Examples:
  cis-monitoring member-template --benchmark 7.0.0 --security-account 222222222222 \\
    --security-account-subscription > cis-member.template.json
  cis-monitoring member-template --props rollout.json --output cis-member.template.json
  cis-monitoring member-template --props rollout.json --part global-events --output cis-global-events.template.json
`;

function processIo(): MemberTemplateIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds `member-template` to the `cis-monitoring` program. */
export function registerMemberTemplate(program: Command, io: () => MemberTemplateIo = processIo): Command {
  return program
    .command('member-template')
    .description('Write the StackSet member template of CisOrganizationRollout as plain CloudFormation (for Customizations for Control Tower and Landing Zone Accelerator).')
    .option('--props <file.json>', 'CisOrganizationRolloutProps as JSON (the flags below win over it)')
    .option('--benchmark <version>', 'CIS benchmark version of the members (monitoring.benchmarkVersion, e.g. 7.0.0)')
    .option('--log-group <name>', 'existing CloudTrail log group in every member account and Region (memberLogGroupName); without it each member creates its own trail')
    .option('--email <address>', 'email subscriber of each member\'s alarm topic (repeat for more)', collect)
    .option('--security-account <id>', 'security account that members forward alarms, detections and heartbeats to (securityAccountId)')
    .option('--security-bus <name>', 'the security account\'s event bus (securityEventBusName, default cis-monitoring)')
    .option('--heartbeat-minutes <n>', 'minutes between member heartbeats (heartbeatInterval, default 15)')
    .option('--security-account-subscription', 'let the security account\'s queue subscribe to each member\'s topic (securityAccountSubscription)')
    .option('--member-topic-name <name>', 'name of each member\'s alarm topic with --security-account-subscription (default cis-monitoring-alarms)')
    .option('--realtime-rules', 'add the real-time EventBridge rules (monitoring.realtimeRules)')
    .option('--global-service-event-rules', 'also build the rules-only us-east-1 member (globalServiceEventRules; write it with --part global-events)')
    .option('--alarm-name-prefix <prefix>', 'prefix of every member alarm name (monitoring.alarmNamePrefix)')
    .addOption(new Option('--part <part>', 'which template').choices(['member', 'global-events']).default('member'))
    .option('--output <file>', 'write the template to this file instead of stdout')
    .option('--compact', 'write exactly the StackSet\'s TemplateBody (minified JSON) instead of indented JSON')
    .addHelpText('after', HELP_AFTER)
    .exitOverride(err => {
      if (err.exitCode !== 0 && err.code.startsWith('commander.')) throw new CommanderError(MEMBER_TEMPLATE_EXIT_USAGE, err.code, err.message);
      throw err;
    })
    .action((opts: any) => {
      const code = runMemberTemplate({
        propsFile: opts.props,
        benchmark: opts.benchmark,
        logGroup: opts.logGroup,
        emails: opts.email,
        securityAccount: opts.securityAccount,
        securityBus: opts.securityBus,
        heartbeatMinutes: opts.heartbeatMinutes,
        securityAccountSubscription: opts.securityAccountSubscription,
        memberTopicName: opts.memberTopicName,
        realtimeRules: opts.realtimeRules,
        globalServiceEventRules: opts.globalServiceEventRules,
        alarmNamePrefix: opts.alarmNamePrefix,
        part: opts.part as MemberTemplatePart,
        output: opts.output,
        compact: opts.compact,
      }, io());
      if (code !== MEMBER_TEMPLATE_EXIT_OK) throw new CommanderError(code, 'cis-monitoring.member-template', `member-template exited with code ${code}`);
    });
}

/** Writes the template. Returns the exit code; bad input goes to stderr in one line, never thrown. */
export function runMemberTemplate(options: MemberTemplateOptions, io: MemberTemplateIo): number {
  const fail = (message: string): number => {
    io.stderr.write(`cis-monitoring member-template: ${message.split('\n')[0]}\n`);
    return MEMBER_TEMPLATE_EXIT_USAGE;
  };
  let result: MemberTemplateResult;
  try {
    // Loaded only here: it needs aws-cdk-lib, which the other commands do not.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildMemberTemplate } = require('./member-template-build') as typeof import('./member-template-build');
    result = buildMemberTemplate(options);
  } catch (e: any) {
    if (e instanceof UsageError) return fail(e.message);
    throw e;
  }
  const text = options.compact ? result.body : `${JSON.stringify(JSON.parse(result.body), undefined, 2)}\n`;
  if (options.output !== undefined) {
    try {
      fs.writeFileSync(options.output, text);
    } catch (e: any) {
      return fail(`--output: cannot write ${options.output}: ${e?.code ?? e?.message ?? e}`);
    }
    io.stderr.write(`Wrote the ${options.part === 'global-events' ? 'us-east-1 global-service events member' : 'member'} template (${result.size} bytes as a StackSet TemplateBody, ${result.controls.length} controls) to ${options.output}\n`);
  } else {
    io.stdout.write(text);
  }
  for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
  return MEMBER_TEMPLATE_EXIT_OK;
}
