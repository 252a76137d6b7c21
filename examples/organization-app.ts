/**
 * CIS monitoring for an AWS Organization (README "Organizations"):
 *
 * - CisOrganizationManagement, in the management account: one organization
 *   trail that records every account, and CisMonitoring on its log group
 *   (alarms name the member through recipientAccountId). Security Hub
 *   reports CloudWatch.1-14 PASSED here; members get NO_DATA from it.
 * - CisOrganizationMembers, also in the management account: a
 *   service-managed StackSet that gives every account of the workload OUs its
 *   own trail, metric filters, alarms and topic, so each member's Security
 *   Hub reports PASSED too. Accounts that join the OUs get it automatically.
 *
 * - CisOrganizationSecurity, in the security (audit) account: an event bus
 *   only the organization may put events on, and one topic per severity;
 *   members forward their alarm state changes to it through a cross-account
 *   EventBridge target (and keep their own topic for Security Hub). An alert
 *   relay holds back repeats per principal + action + outcome for 15 minutes
 *   and names the member account and its tags (prod, sandbox) in each
 *   message; a Slack channel gets every severity. Members send a heartbeat
 *   the same way; a member that falls silent is reported.
 * - CisEvidenceReporter, also in the security account: every 12 hours it
 *   audits every member through the read-only audit role the StackSet gives
 *   them, imports one finding per control into each member's Security Hub,
 *   keeps the HTML, JSON and CSV report of each run in an encrypted bucket and
 *   alerts on the severity topics when a control regresses.
 *
 * Synthesizes offline (no credentials, no lookups) into cdk.out.organization/
 * and writes the member template next to it for review.
 *
 *   npm run demo:organization
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { CisEvidenceReporter, CisMonitoring, CisOrganizationRollout, CisSecurityAccount, CisSeverity } from '../src';

// Any values work offline; a real deployment uses its own (`aws organizations describe-organization`, `list-roots`).
export const ORGANIZATION = {
  managementAccountId: '111111111111',
  securityAccountId: '222222222222',
  organizationId: 'o-a1b2c3d4e5',
  homeRegion: 'us-east-1',
  workloadOus: ['ou-ab12-prod1234', 'ou-ab12-test5678'],
};

export function buildOrganizationApp(outdir = path.resolve(__dirname, '..', 'cdk.out.organization'), context?: Record<string, unknown>) {
  const app = new App({ outdir, context });
  const env = { account: ORGANIZATION.managementAccountId, region: ORGANIZATION.homeRegion };

  const management = new Stack(app, 'CisOrganizationManagement', {
    env,
    description: 'cdk-cis-monitoring: organization trail and CIS monitoring of every account, in the management account',
  });
  const monitoring = new CisMonitoring(management, 'Cis', {
    trailOptions: {
      isOrganizationTrail: true,
      organizationId: ORGANIZATION.organizationId,
      trailName: 'cis-organization-trail',
    },
    emailAddresses: ['security-alerts@example.com'],
    investigationQueries: true,
  });

  const members = new Stack(app, 'CisOrganizationMembers', {
    env,
    description: 'cdk-cis-monitoring: CIS monitoring in every member account (CloudFormation StackSet)',
  });
  const rollout = new CisOrganizationRollout(members, 'Members', {
    organizationalUnitIds: ORGANIZATION.workloadOus,
    // Each member's own multi-Region trail lives in one Region; its log group gets every Region's events.
    regions: [ORGANIZATION.homeRegion],
    managementAccountId: ORGANIZATION.managementAccountId,
    stackSetName: 'cis-monitoring-members',
    maxConcurrentPercentage: 25,
    failureTolerancePercentage: 10,
    securityAccountId: ORGANIZATION.securityAccountId,
    securityEventBusName: 'cis-monitoring',
    // The security account's evidence reporter audits every member through a read-only role.
    evidenceReporterAccountId: ORGANIZATION.securityAccountId,
    organizationId: ORGANIZATION.organizationId,
    // The security account's queue subscribes to each member's topic (named cis-monitoring-alarms): SNS confirms it
    // by itself, so Security Hub finds a confirmed subscriber in every member without anyone clicking an email link.
    securityAccountSubscription: true,
    monitoring: {
      emailAddresses: ['security-alerts@example.com'],
      alarmDescription: { tags: { scope: 'member' } },
    },
  });

  const security = new Stack(app, 'CisOrganizationSecurity', {
    env: { account: ORGANIZATION.securityAccountId, region: ORGANIZATION.homeRegion },
    description: 'cdk-cis-monitoring: central CIS alerting for the organization, in the security account',
  });
  const central = new CisSecurityAccount(security, 'Central', {
    organizationId: ORGANIZATION.organizationId,
    eventBusName: 'cis-monitoring',
    // The security account is a delegated administrator, so the relay reads account names and tags itself.
    enrichment: true,
    throttleWindow: Duration.minutes(15),
    chatDelivery: { slackChannels: [{ slackWorkspaceId: 'T0123ABCDE', slackChannelId: 'C0123ABCDE', configurationName: 'cis-organization-alerts' }] },
    // The dead man's switch: every member account of the rollout's OUs sends a heartbeat every 15 minutes (the rollout's
    // default); one silent for 30 minutes in this Region is reported to the CRITICAL topic.
    memberHeartbeats: { organizationalUnitIds: ORGANIZATION.workloadOus },
    // Subscribes a queue of this account to each member's alarm topic on the member's first heartbeat.
    memberTopicSubscriptions: { memberTopicName: 'cis-monitoring-alarms' },
  });
  central.topicFor(CisSeverity.CRITICAL).addSubscription(new subscriptions.EmailSubscription('oncall@example.com'));
  central.topicFor(CisSeverity.HIGH).addSubscription(new subscriptions.EmailSubscription('oncall@example.com'));
  central.topicFor(CisSeverity.MEDIUM).addSubscription(new subscriptions.EmailSubscription('security-alerts@example.com'));
  central.topicFor(CisSeverity.LOW).addSubscription(new subscriptions.EmailSubscription('security-alerts@example.com'));
  // Continuous evidence for the auditors: Security Hub findings and a dated report every 12 hours.
  const evidence = new CisEvidenceReporter(security, 'Evidence', {
    organizationId: ORGANIZATION.organizationId,
    regions: [ORGANIZATION.homeRegion],
    securityAccount: central,
  });
  return { app, management, members, security, monitoring, rollout, central, evidence };
}

if (require.main === module) {
  const { app, rollout } = buildOrganizationApp();
  const assembly = app.synth();
  const memberFile = path.join(assembly.directory, 'member.template.json');
  fs.writeFileSync(memberFile, `${JSON.stringify(JSON.parse(rollout.memberTemplateBody), undefined, 1)}\n`);
  process.stdout.write([
    `Synthesized CisOrganizationManagement, CisOrganizationMembers and CisOrganizationSecurity into ${path.relative(process.cwd(), assembly.directory)}/`,
    `Member template: ${rollout.memberTemplateSize} bytes (${rollout.inlineTemplate ? 'inline TemplateBody' : 'S3 asset TemplateURL'}; limit 51200 inline), ${rollout.memberControls.length} controls, written to ${path.relative(process.cwd(), memberFile)}`,
    '',
  ].join('\n'));
}
