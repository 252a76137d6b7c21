/**
 * CIS monitoring on an AWS Control Tower landing zone (docs/control-tower.md),
 * home Region eu-west-1, landing zone 3.0 or later:
 *
 * - CisControlTowerManagement, in the management account: CisMonitoring on
 *   the log group Control Tower's organization trail delivers to,
 *   `aws-controltower/CloudTrailLogs`, imported by name (organizationTrail:
 *   true): 15 alarms that count every account's events, no second trail.
 * - CisControlTowerMembers, in the Audit account as the delegated StackSets
 *   administrator: CisOrganizationRollout to the workload OUs. From landing
 *   zone 3.0 members have no trail of their own, so each member creates its
 *   own CIS trail (what Security Hub needs to report PASSED in the member).
 *   Members forward alarms, real-time detections and heartbeats to the Audit
 *   account, whose queue subscribes to each member's topic (no email
 *   confirmations); IAM, Organizations and sign-in events reach EventBridge
 *   in us-east-1 only, so a rules-only member goes there too.
 * - CisControlTowerSecurity and CisControlTowerSecurityUsEast1, in the Audit
 *   account: the bus members forward to, in both Regions members send from;
 *   chat delivery in the home Region only (one Chatbot configuration per
 *   channel per account).
 *
 * Deploy in this order: management, the two security stacks, members.
 *
 *   npx ts-node --prefer-ts-exts -P examples/tsconfig.json examples/control-tower-app.ts
 */
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { CisMonitoring, CisOrganizationRollout, CisSecurityAccount, CisSeverity, MemberTemplateDelivery, StackSetCallAs } from '../src';

// Any values work offline; a real landing zone has its own (Control Tower console, `aws organizations list-roots`).
export const LANDING_ZONE = {
  managementAccountId: '111111111111',
  auditAccountId: '222222222222',
  organizationId: 'o-a1b2c3d4e5',
  homeRegion: 'eu-west-1',
  workloadOus: ['ou-ab12-prod1234', 'ou-ab12-sbox5678'],
  /** Control Tower's organization trail delivers here, in the management account and home Region (check with describe-trails). */
  trailLogGroupName: 'aws-controltower/CloudTrailLogs',
};

export function buildControlTowerApp(outdir = path.resolve(__dirname, '..', 'cdk.out.control-tower')) {
  const app = new App({ outdir });
  const lz = LANDING_ZONE;

  const management = new Stack(app, 'CisControlTowerManagement', {
    env: { account: lz.managementAccountId, region: lz.homeRegion },
    description: 'cdk-cis-monitoring: CIS alarms on Control Tower\'s organization trail, in the management account',
  });
  const monitoring = new CisMonitoring(management, 'Cis', {
    logGroup: logs.LogGroup.fromLogGroupName(management, 'ControlTowerTrailLogs', lz.trailLogGroupName),
    // The log group holds every account's events: descriptions, queries and messages name recipientAccountId.
    organizationTrail: true,
    emailAddresses: ['security-alerts@example.com'],
    investigationQueries: true,
  });

  const members = new Stack(app, 'CisControlTowerMembers', {
    env: { account: lz.auditAccountId, region: lz.homeRegion },
    description: 'cdk-cis-monitoring: CIS monitoring in every workload account (StackSet from the delegated administrator)',
  });
  const rollout = new CisOrganizationRollout(members, 'Members', {
    organizationalUnitIds: lz.workloadOus,
    regions: [lz.homeRegion],
    callAs: StackSetCallAs.DELEGATED_ADMIN,
    managementAccountId: lz.managementAccountId,
    stackSetName: 'cis-monitoring-members',
    securityAccountId: lz.auditAccountId,
    securityAccountSubscription: true,
    globalServiceEventRules: true,
    monitoring: { realtimeRules: true },
    // With real-time rules the member template is about 77 KB, more than CloudFormation takes inline: it goes through
    // the CDK asset bucket of the Audit account, which is bootstrapped anyway (the security stacks hold Lambda code).
    templateDelivery: MemberTemplateDelivery.S3_ASSET,
  });

  const securityStacks = [lz.homeRegion, 'us-east-1'].map(region => {
    const stack = new Stack(app, region === lz.homeRegion ? 'CisControlTowerSecurity' : 'CisControlTowerSecurityUsEast1', {
      env: { account: lz.auditAccountId, region },
      description: `cdk-cis-monitoring: central CIS alerting for the organization in ${region}, in the Audit account`,
    });
    const central = new CisSecurityAccount(stack, 'Central', {
      organizationId: lz.organizationId,
      memberHeartbeats: { organizationalUnitIds: lz.workloadOus },
      memberTopicSubscriptions: {},
      // One Chatbot configuration per channel per account, whatever the Region: chat from the home Region only.
      chatDelivery: region === lz.homeRegion
        ? { slackChannels: [{ slackWorkspaceId: 'T0123ABCDE', slackChannelId: 'C0123ABCDE', configurationName: 'cis-organization-alerts' }] }
        : undefined,
    });
    central.topicFor(CisSeverity.CRITICAL).addSubscription(new subscriptions.EmailSubscription('oncall@example.com'));
    central.topicFor(CisSeverity.HIGH).addSubscription(new subscriptions.EmailSubscription('oncall@example.com'));
    // The bus must exist before members forward to it: deploy the security stacks first.
    members.node.addDependency(stack);
    return { stack, central };
  });
  return { app, management, monitoring, members, rollout, security: securityStacks };
}

if (require.main === module) {
  const { app, rollout } = buildControlTowerApp();
  const assembly = app.synth();
  process.stdout.write([
    `Synthesized ${assembly.stacks.map(s => s.stackName).join(', ')} into ${path.relative(process.cwd(), assembly.directory)}/`,
    `Member template: ${rollout.memberTemplateSize} bytes (${rollout.inlineTemplate ? 'inline TemplateBody' : 'S3 asset TemplateURL'}), us-east-1 rules-only member: ${Buffer.byteLength(rollout.globalEventsTemplateBody ?? '')} bytes`,
    '',
  ].join('\n'));
}
