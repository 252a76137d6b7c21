import { App, Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CisAlarmTopic } from '../src/alarm-topic';
import { CisChatDelivery, CisChatDeliveryProps, validateChatDelivery } from '../src/chat-delivery';

const SLACK = { slackWorkspaceId: 'T07EA123LEP', slackChannelId: 'C07EZ1ABC23' };
const TEAMS = {
  teamId: '74361522-da01-538d-aa2e-ac7918c6bb92',
  tenantId: 'a1b2c3d4-e5f6-4a5b-9c8d-7e6f5a4b3c2d',
  channelId: '19%3Ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2',
};
const CW_READ_ONLY = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/CloudWatchReadOnlyAccess']],
};

function stackWithTopic() {
  const stack = new Stack(new App(), 'S');
  const topic = new sns.Topic(stack, 'Alarms');
  return { stack, topic };
}

describe('CisChatDelivery', () => {
  test('a Slack channel subscribed to every topic, with a read-only role and guardrail', () => {
    const { stack, topic } = stackWithTopic();
    const paging = new sns.Topic(stack, 'Paging');
    new CisChatDelivery(stack, 'Chat', { topics: [topic, paging], slackChannels: [SLACK] });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 1);
    t.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T07EA123LEP',
      SlackChannelId: 'C07EZ1ABC23',
      SnsTopicArns: [{ Ref: Match.stringLikeRegexp('^Alarms') }, { Ref: Match.stringLikeRegexp('^Paging') }],
      GuardrailPolicies: [CW_READ_ONLY],
      LoggingLevel: 'ERROR',
      IamRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatRole'), 'Arn'] },
      ConfigurationName: Match.stringLikeRegexp('^[A-Za-z0-9_-]+-slack0$'),
    });
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'chatbot.amazonaws.com' } }] },
    });
    t.resourceCountIs('AWS::IAM::Role', 1);
    // A customer-managed policy, not an inline one (cdk-nag's compliance packs flag inline policies).
    t.resourceCountIs('AWS::IAM::Policy', 0);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ChatRole') }],
      PolicyDocument: {
        Statement: [{
          Sid: 'ReadCloudWatchAlarmsAndMetrics',
          Effect: 'Allow',
          Action: [
            'cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory', 'cloudwatch:GetMetricData',
            'cloudwatch:GetMetricStatistics', 'cloudwatch:GetMetricWidgetImage', 'cloudwatch:ListMetrics',
          ],
          Resource: '*',
        }],
      },
    });
  });

  test('a Microsoft Teams channel through CfnMicrosoftTeamsChannelConfiguration (no L2 in aws-cdk-lib 2.176)', () => {
    const { stack, topic } = stackWithTopic();
    const chat = new CisChatDelivery(stack, 'Chat', { topics: [topic], microsoftTeamsChannels: [{ ...TEAMS, configurationName: 'cis-teams' }], loggingLevel: chatbot.LoggingLevel.INFO });
    expect(chat.microsoftTeamsChannelConfigurations).toHaveLength(1);
    Template.fromStack(stack).hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: 'cis-teams',
      TeamId: TEAMS.teamId,
      TeamsTenantId: TEAMS.tenantId,
      TeamsChannelId: TEAMS.channelId,
      SnsTopicArns: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
      GuardrailPolicies: [CW_READ_ONLY],
      LoggingLevel: 'INFO',
      IamRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatRole'), 'Arn'] },
    });
  });

  test('several channels share one role; default names are unique and valid', () => {
    const { stack, topic } = stackWithTopic();
    const chat = new CisChatDelivery(stack, 'Chat', {
      topics: [topic],
      slackChannels: [SLACK, { ...SLACK, slackChannelId: 'G01PRIVATE1' }],
      microsoftTeamsChannels: [TEAMS],
      guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
    });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::IAM::Role', 1);
    const names = [
      ...Object.values(t.findResources('AWS::Chatbot::SlackChannelConfiguration')),
      ...Object.values(t.findResources('AWS::Chatbot::MicrosoftTeamsChannelConfiguration')),
    ].map((r: any) => r.Properties.ConfigurationName);
    expect(new Set(names).size).toBe(3);
    for (const n of names) expect(n).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(chat.slackChannelConfigurations).toHaveLength(2);
    t.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      GuardrailPolicies: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] }],
    });
  });

  test('an encrypted alarm topic needs no key grant for Chatbot', () => {
    const stack = new Stack(new App(), 'S');
    const topic = new CisAlarmTopic(stack, 'T').topic;
    new CisChatDelivery(stack, 'Chat', { topics: [topic], slackChannels: [SLACK] });
    const t = Template.fromStack(stack);
    const keyPolicy = JSON.stringify(Object.values(t.findResources('AWS::KMS::Key'))[0]);
    expect(keyPolicy).toContain('cloudwatch.amazonaws.com');
    expect(keyPolicy).not.toContain('chatbot');
    t.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', { SnsTopicArns: [{ Ref: Match.stringLikeRegexp('^TTopic') }] });
  });
});

describe('bad input', () => {
  const { topic } = stackWithTopic();
  const base: CisChatDeliveryProps = { topics: [topic] };

  test.each([
    [{ ...base, slackChannels: [SLACK], topics: [] }, 'Chat delivery needs at least one SNS topic to subscribe the channels to.'],
    [base, /Chat delivery has no channel: give at least one slackChannels or microsoftTeamsChannels entry/],
    [{ ...base, slackChannels: [SLACK], guardrailPolicies: [] }, /guardrailPolicies is empty: AWS Chatbot then applies AdministratorAccess/],
    [{ ...base, slackChannels: [SLACK], loggingLevel: 'DEBUG' as any }, /loggingLevel "DEBUG" is invalid; use chatbot.LoggingLevel.ERROR, INFO or NONE/],
    [{ ...base, slackChannels: [{ ...SLACK, slackWorkspaceId: 'my-workspace' }] },
      /slackChannels\[0\]: slackWorkspaceId "my-workspace" is not a Slack workspace ID: it starts with T.*Authorize the workspace in the AWS Chatbot console/],
    [{ ...base, slackChannels: [{ ...SLACK, slackWorkspaceId: 'E012AB3CD' }] }, /slackWorkspaceId "E012AB3CD" is not a Slack workspace ID/],
    [{ ...base, slackChannels: [{ ...SLACK, slackChannelId: '#security-alerts' }] },
      /slackChannelId "#security-alerts" is not a Slack channel ID.*It looks like a channel name; use the channel ID instead/],
    [{ ...base, slackChannels: [{ ...SLACK, slackChannelId: 'D012AB3CD' }] }, /"D012AB3CD" is a direct-message conversation; AWS Chatbot only posts to channels/],
    [{ ...base, slackChannels: [{ ...SLACK, slackChannelId: 'C01' }] }, /slackChannelId "C01" is not a Slack channel ID/],
    [{ ...base, slackChannels: [SLACK, SLACK] }, /slackChannels\[1\]: channel C07EZ1ABC23 of workspace T07EA123LEP is listed twice/],
    [{ ...base, slackChannels: [{ ...SLACK, configurationName: 'cis alerts' }] }, /configurationName "cis alerts" is invalid: use 1-128 letters, digits, "-" and "_"/],
    [{ ...base, slackChannels: [{ ...SLACK, configurationName: 'x'.repeat(129) }] }, /configurationName "x+" is invalid/],
    [{ ...base, slackChannels: [{ ...SLACK, configurationName: 'cis' }], microsoftTeamsChannels: [{ ...TEAMS, configurationName: 'cis' }] },
      /microsoftTeamsChannels\[0\]: configurationName "cis" is used twice/],
    [{ ...base, microsoftTeamsChannels: [{ ...TEAMS, teamId: 'my-team' }] }, /microsoftTeamsChannels\[0\]: teamId "my-team" is not a GUID/],
    [{ ...base, microsoftTeamsChannels: [{ ...TEAMS, tenantId: '74361522da01538daa2eac7918c6bb92' }] }, /tenantId "74361522da01538daa2eac7918c6bb92" is not a GUID/],
    [{ ...base, microsoftTeamsChannels: [{ ...TEAMS, channelId: '19:b6ef35dc342d56ba5654e6fc6d25a071@thread.tacv2' }] },
      /channelId "19:b6ef35dc342d56ba5654e6fc6d25a071@thread.tacv2" is not URL-encoded; AWS Chatbot expects the form from the channel link: "19%3Ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2"/],
    [{ ...base, microsoftTeamsChannels: [{ ...TEAMS, channelId: 'General' }] }, /channelId "General" is not a Microsoft Teams channel ID/],
    [{ ...base, microsoftTeamsChannels: [TEAMS, TEAMS] }, /microsoftTeamsChannels\[1\]: channel .* is listed twice/],
  ])('rejects case %#', (props, msg) => {
    expect(() => validateChatDelivery(props as CisChatDeliveryProps)).toThrow(msg);
    const stack = new Stack(new App(), 'S2');
    expect(() => new CisChatDelivery(stack, 'Chat', { ...(props as CisChatDeliveryProps), topics: (props as CisChatDeliveryProps).topics.map(() => new sns.Topic(stack, 'X')) }))
      .toThrow(msg);
  });

  test('tokens are accepted for ids and names', () => {
    const t = Lazy.string({ produce: () => 'x' });
    expect(() => validateChatDelivery({
      ...base,
      slackChannels: [{ slackWorkspaceId: t, slackChannelId: t, configurationName: t }],
      microsoftTeamsChannels: [{ teamId: t, tenantId: t, channelId: t }],
    })).not.toThrow();
  });
});
