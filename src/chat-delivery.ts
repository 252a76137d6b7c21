import { CfnResource, Names, Token } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { suppressNagFindings } from './nag-suppressions';
import { registerChatConfiguration } from './organization/cross-checks';

/** A Slack channel that receives the alarm notifications through AWS Chatbot. */
export interface SlackChannelOptions {
  /**
   * The Slack workspace (team) ID, shown in the AWS Chatbot console after you
   * authorize the workspace there (a one-time manual step): `T` followed by
   * uppercase letters and digits, for example `T07EA123LEP`.
   */
  readonly slackWorkspaceId: string;

  /**
   * The channel ID (not its name): `C` or `G` followed by uppercase letters
   * and digits, for example `C07EZ1ABC23`. In Slack, open the channel
   * details or copy the channel link; the ID is its last part. For a private
   * channel, invite the AWS Chatbot app (`/invite @aws`) first.
   */
  readonly slackChannelId: string;

  /**
   * Name of the Chatbot configuration: 1-128 letters, digits, `-` and `_`,
   * unique in the account.
   * @default - derived from the construct path
   */
  readonly configurationName?: string;
}

/** A Microsoft Teams channel that receives the alarm notifications through AWS Chatbot. */
export interface MicrosoftTeamsChannelOptions {
  /** The team ID (a GUID), shown in the AWS Chatbot console after you authorize the team there. */
  readonly teamId: string;

  /** The Microsoft Entra (Azure AD) tenant ID of the team (a GUID). */
  readonly tenantId: string;

  /**
   * The channel ID, URL-encoded as in the channel link: `19%3A...%40thread.tacv2`
   * (the decoded form `19:...@thread.tacv2` is rejected with the encoded value to use).
   */
  readonly channelId: string;

  /**
   * Name of the Chatbot configuration: 1-128 letters, digits, `-` and `_`,
   * unique in the account.
   * @default - derived from the construct path
   */
  readonly configurationName?: string;
}

/** Where to deliver alarm notifications in chat. */
export interface ChatDeliveryOptions {
  /**
   * Slack channels.
   * @default - none
   */
  readonly slackChannels?: SlackChannelOptions[];

  /**
   * Microsoft Teams channels.
   * @default - none
   */
  readonly microsoftTeamsChannels?: MicrosoftTeamsChannelOptions[];

  /**
   * Guardrail policies: the most that commands run from the channels may do,
   * whatever the channel role allows. Give at least one; Chatbot applies
   * `AdministratorAccess` when none is set.
   * @default - the AWS managed `CloudWatchReadOnlyAccess` policy
   */
  readonly guardrailPolicies?: iam.IManagedPolicy[];

  /**
   * Logging of the Chatbot configurations to CloudWatch Logs (in us-east-1),
   * useful when notifications do not arrive.
   * @default chatbot.LoggingLevel.ERROR
   */
  readonly loggingLevel?: chatbot.LoggingLevel;
}

/** Properties of `CisChatDelivery`. */
export interface CisChatDeliveryProps extends ChatDeliveryOptions {
  /**
   * The topics whose notifications go to the channels: the alarm topic and any
   * severity-route topics. Encrypted topics work: SNS decrypts before it
   * delivers to Chatbot, so Chatbot needs no key access (CloudWatch, which
   * publishes, does).
   */
  readonly topics: sns.ITopic[];
}

const SLACK_WORKSPACE = /^T[A-Z0-9]{6,20}$/;
const SLACK_CHANNEL = /^[CG][A-Z0-9]{6,20}$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// The AWS Chatbot API pattern for TeamsChannelConfiguration.ChannelId.
const TEAMS_CHANNEL = /^([a-zA-Z0-9-_=+/.,])*%3[aA]([a-zA-Z0-9-_=+/.,])*%40([a-zA-Z0-9-_=+/.,])*$/;
const CONFIGURATION_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const LOGGING_LEVELS = Object.values(chatbot.LoggingLevel) as string[];

/** Read-only CloudWatch actions Chatbot uses to show alarm details and metric graphs. */
const CLOUDWATCH_READ_ACTIONS = [
  'cloudwatch:DescribeAlarms',
  'cloudwatch:DescribeAlarmHistory',
  'cloudwatch:GetMetricData',
  'cloudwatch:GetMetricStatistics',
  'cloudwatch:GetMetricWidgetImage',
  'cloudwatch:ListMetrics',
];

/**
 * Delivers alarm notifications to Slack and Microsoft Teams channels through
 * AWS Chatbot: one channel configuration per channel, subscribed to the given
 * topics, sharing one IAM role that can only read CloudWatch, with a
 * read-only guardrail.
 *
 * Before deploying, authorize the Slack workspace or Teams team once in the
 * AWS Chatbot console; CloudFormation cannot do that step.
 *
 * @example
 * new CisChatDelivery(this, 'Chat', {
 *   topics: [monitoring.topic],
 *   slackChannels: [{ slackWorkspaceId: 'T07EA123LEP', slackChannelId: 'C07EZ1ABC23' }],
 * });
 */
export class CisChatDelivery extends Construct {
  /** The role the channel configurations use: read-only CloudWatch. */
  public readonly role: iam.Role;
  /** One configuration per Slack channel, in the order given. */
  public readonly slackChannelConfigurations: chatbot.SlackChannelConfiguration[];
  /** One configuration per Microsoft Teams channel, in the order given. */
  public readonly microsoftTeamsChannelConfigurations: chatbot.CfnMicrosoftTeamsChannelConfiguration[];

  constructor(scope: Construct, id: string, props: CisChatDeliveryProps) {
    super(scope, id);
    validateChatDelivery(props);
    const topics = props.topics;
    const slack = props.slackChannels ?? [];
    const teams = props.microsoftTeamsChannels ?? [];
    const loggingLevel = props.loggingLevel ?? chatbot.LoggingLevel.ERROR;
    const guardrails = props.guardrailPolicies ?? [iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess')];

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'AWS Chatbot channel role for CIS alarm notifications: read-only CloudWatch',
    });
    // A customer-managed policy, not an inline one (NIST 800-53, PCI DSS and
    // HIPAA packs of cdk-nag flag inline policies).
    const readPolicy = new iam.ManagedPolicy(this, 'ReadCloudWatchPolicy', {
      description: 'AWS Chatbot channel role for CIS alarm notifications: read CloudWatch alarms and metrics',
      statements: [new iam.PolicyStatement({
        sid: 'ReadCloudWatchAlarmsAndMetrics',
        actions: CLOUDWATCH_READ_ACTIONS,
        // GetMetricData, GetMetricStatistics, GetMetricWidgetImage and ListMetrics
        // have no resource types: IAM only accepts "*" for them.
        resources: ['*'],
      })],
      roles: [this.role],
    });
    // Without depending on cdk-nag: tell both cdk-nag 2 and 3 why the wildcard is unavoidable.
    suppressNagFindings(readPolicy.node.defaultChild as CfnResource, [{
      id: 'AwsSolutions-IAM5',
      appliesTo: ['Resource::*'],
      reason: 'CloudWatch GetMetricData, GetMetricStatistics, GetMetricWidgetImage and ListMetrics have no resource-level permissions (IAM requires Resource "*"); the statement allows only these read actions and DescribeAlarms/DescribeAlarmHistory.',
    }]);

    this.slackChannelConfigurations = slack.map((s, i) => new chatbot.SlackChannelConfiguration(this, `Slack${i}`, {
      slackChannelConfigurationName: s.configurationName ?? this.defaultName(`slack${i}`),
      slackWorkspaceId: s.slackWorkspaceId,
      slackChannelId: s.slackChannelId,
      notificationTopics: topics,
      role: this.role,
      guardrailPolicies: guardrails,
      loggingLevel,
    }));

    // AWS Chatbot takes one configuration per channel per account, whatever the Region: checked across the app at synthesis.
    slack.forEach(s => registerChatConfiguration({
      construct: this, channel: `Slack channel ${s.slackChannelId} of workspace ${s.slackWorkspaceId}`, configurationName: s.configurationName,
    }));
    teams.forEach(t => registerChatConfiguration({
      construct: this, channel: `Microsoft Teams channel ${t.channelId} of team ${t.teamId}`, configurationName: t.configurationName,
    }));

    this.microsoftTeamsChannelConfigurations = teams.map((t, i) => new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, `Teams${i}`, {
      configurationName: t.configurationName ?? this.defaultName(`teams${i}`),
      teamId: t.teamId,
      teamsTenantId: t.tenantId,
      teamsChannelId: t.channelId,
      iamRoleArn: this.role.roleArn,
      snsTopicArns: topics.map(topic => topic.topicArn),
      guardrailPolicies: guardrails.map(p => p.managedPolicyArn),
      loggingLevel,
    }));
  }

  private defaultName(suffix: string): string {
    const base = Names.uniqueResourceName(this, { maxLength: 128 - suffix.length - 1, separator: '-', allowedSpecialCharacters: '-_' });
    return `${base}-${suffix}`;
  }
}

/**
 * Checks chat delivery options; throws with what was wrong, the value and how to fix it.
 * @jsii ignore
 */
export function validateChatDelivery(props: CisChatDeliveryProps): void {
  const slack = props.slackChannels ?? [];
  const teams = props.microsoftTeamsChannels ?? [];
  if (!props.topics || props.topics.length === 0) {
    throw new Error('Chat delivery needs at least one SNS topic to subscribe the channels to.');
  }
  if (slack.length === 0 && teams.length === 0) {
    throw new Error('Chat delivery has no channel: give at least one slackChannels or microsoftTeamsChannels entry, or leave chat delivery out.');
  }
  if (props.guardrailPolicies !== undefined && props.guardrailPolicies.length === 0) {
    throw new Error('chat guardrailPolicies is empty: AWS Chatbot then applies AdministratorAccess as the guardrail. Give at least one policy, or omit it for CloudWatchReadOnlyAccess.');
  }
  if (props.loggingLevel !== undefined && !LOGGING_LEVELS.includes(props.loggingLevel)) {
    throw new Error(`chat loggingLevel ${JSON.stringify(props.loggingLevel)} is invalid; use chatbot.LoggingLevel.ERROR, INFO or NONE.`);
  }

  const names = new Set<string>();
  const checkName = (name: string | undefined, where: string) => {
    if (name === undefined || Token.isUnresolved(name)) return;
    if (!CONFIGURATION_NAME.test(name)) {
      throw new Error(`${where}: configurationName "${name}" is invalid: use 1-128 letters, digits, "-" and "_".`);
    }
    if (names.has(name)) {
      throw new Error(`${where}: configurationName "${name}" is used twice; configuration names must be unique in the account.`);
    }
    names.add(name);
  };

  const slackSeen = new Set<string>();
  slack.forEach((s, i) => {
    const where = `slackChannels[${i}]`;
    const ws = s.slackWorkspaceId;
    if (!Token.isUnresolved(ws) && !SLACK_WORKSPACE.test(ws ?? '')) {
      throw new Error(`${where}: slackWorkspaceId "${ws}" is not a Slack workspace ID: it starts with T followed by uppercase letters and digits (for example T07EA123LEP). Authorize the workspace in the AWS Chatbot console and copy the ID shown there.`);
    }
    const ch = s.slackChannelId;
    if (!Token.isUnresolved(ch)) {
      if (/^D[A-Z0-9]+$/.test(ch ?? '')) {
        throw new Error(`${where}: slackChannelId "${ch}" is a direct-message conversation; AWS Chatbot only posts to channels. Use a channel ID starting with C or G.`);
      }
      if (!SLACK_CHANNEL.test(ch ?? '')) {
        const hint = /^#|[a-z]/.test(ch ?? '') ? ' It looks like a channel name; use the channel ID instead (channel details, or the last part of the channel link).' : '';
        throw new Error(`${where}: slackChannelId "${ch}" is not a Slack channel ID: it starts with C or G followed by uppercase letters and digits (for example C07EZ1ABC23).${hint}`);
      }
    }
    const key = `${ws}/${ch}`;
    if (slackSeen.has(key)) {
      throw new Error(`${where}: channel ${ch} of workspace ${ws} is listed twice; list each channel once (every configuration subscribes to all topics).`);
    }
    slackSeen.add(key);
    checkName(s.configurationName, where);
  });

  const teamsSeen = new Set<string>();
  teams.forEach((t, i) => {
    const where = `microsoftTeamsChannels[${i}]`;
    for (const [field, value] of [['teamId', t.teamId], ['tenantId', t.tenantId]] as const) {
      if (!Token.isUnresolved(value) && !GUID.test(value ?? '')) {
        throw new Error(`${where}: ${field} "${value}" is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx). Copy it from the AWS Chatbot console after authorizing the team.`);
      }
    }
    const ch = t.channelId;
    if (!Token.isUnresolved(ch)) {
      if (/^[^%]*:[^%]*@/.test(ch ?? '')) {
        throw new Error(`${where}: channelId "${ch}" is not URL-encoded; AWS Chatbot expects the form from the channel link: "${encodeURIComponent(ch)}".`);
      }
      if (!TEAMS_CHANNEL.test(ch ?? '') || (ch ?? '').length > 255) {
        throw new Error(`${where}: channelId "${ch}" is not a Microsoft Teams channel ID: copy it from the channel link, URL-encoded, for example "19%3Ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2".`);
      }
    }
    const key = `${t.teamId}/${ch}`;
    if (teamsSeen.has(key)) {
      throw new Error(`${where}: channel ${ch} of team ${t.teamId} is listed twice; list each channel once.`);
    }
    teamsSeen.add(key);
    checkName(t.configurationName, where);
  });
}
