// A user's fresh CDK app (plain CommonJS, as the installed package is used):
// every construct of cdk-cis-monitoring, synthesized. Run by
// scripts/package-install-check.sh with JSII_DEPRECATED=fail.
'use strict';
const fs = require('fs');
const path = require('path');
const { App, Duration, Stack } = require('aws-cdk-lib');
const logs = require('aws-cdk-lib/aws-logs');
const s3 = require('aws-cdk-lib/aws-s3');
const cis = require('cdk-cis-monitoring');

const app = new App({ outdir: path.join(__dirname, 'cdk.out') });
const env = { account: '111111111111', region: 'us-east-1' };

const single = new Stack(app, 'Single', { env });
const monitoring = new cis.CisMonitoring(single, 'Cis', {
  emailAddresses: ['security@example.com'],
  realtimeRules: true,
  investigationQueries: true,
  extendedDetections: [cis.ExtendedDetection.ACCESS_KEY_CREATED],
  exclusions: [cis.Exclusion.roleName('ci-deployer')],
  dashboard: true,
});
monitoring.alarmFor(cis.CisControl.ROOT_ACCOUNT_USAGE);

const pieces = new Stack(app, 'Pieces', { env: { account: '111111111111', region: 'eu-west-1' } });
const trail = new cis.CisTrail(pieces, 'Trail');
const topic = new cis.CisAlarmTopic(pieces, 'Topic');
new cis.CisEventRules(pieces, 'Rules', { topic: topic.topic });
new cis.CisInvestigationQueries(pieces, 'Queries', { logGroup: trail.logGroup });
new cis.CisAthenaQueries(pieces, 'Athena', {
  table: { bucket: new s3.Bucket(pieces, 'Archive', { enforceSSL: true }), accountIds: ['111111111111'], regions: ['us-east-1'] },
});
new cis.CisMonitoring(pieces, 'OnExisting', {
  logGroup: logs.LogGroup.fromLogGroupName(pieces, 'Existing', 'aws-cloudtrail-logs-111111111111'),
  benchmarkVersion: cis.CisBenchmarkVersion.V1_2_0,
  alarmNamePrefix: 'legacy',
  metricNamespace: 'Legacy',
});

const management = new Stack(app, 'Management', { env: { account: '333333333333', region: 'us-east-1' } });
new cis.CisMonitoring(management, 'Org', {
  trailOptions: { isOrganizationTrail: true, organizationId: 'o-a1b2c3d4e5', trailName: 'cis-org' },
});
const rollout = new cis.CisOrganizationRollout(management, 'Members', {
  organizationalUnitIds: ['ou-ab12-cdef3456'],
  regions: ['us-east-1'],
  securityAccountId: '222222222222',
});

const security = new Stack(app, 'Security', { env: { account: '222222222222', region: 'us-east-1' } });
const central = new cis.CisSecurityAccount(security, 'Central', {
  organizationId: 'o-a1b2c3d4e5',
  throttleWindow: Duration.minutes(15),
  memberHeartbeats: { organizationalUnitIds: ['ou-ab12-cdef3456'] },
  chatDelivery: { slackChannels: [{ slackWorkspaceId: 'T0123ABCDE', slackChannelId: 'C0123ABCDE' }] },
});

const assembly = app.synth();
const errors = assembly.stacks.flatMap(s => s.messages.filter(m => m.level === 'error').map(m => `${s.stackName}: ${m.entry.data}`));
if (errors.length) throw new Error(`synthesis errors:\n${errors.join('\n')}`);
// The relay's code asset came from the installed package and holds its files.
const assets = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Security.assets.json'), 'utf8'));
const zip = Object.values(assets.files).find(f => f.source.packaging === 'zip');
const files = fs.readdirSync(path.join(assembly.directory, zip.source.path)).sort();
if (JSON.stringify(files) !== JSON.stringify(['common.js', 'heartbeat.js', 'index.js'])) throw new Error(`relay asset holds ${files.join(', ')}`);
if (!rollout.inlineTemplate || !central.relayFunction) throw new Error('unexpected construct state');
console.log(`synthesized ${assembly.stacks.map(s => s.stackName).join(', ')}`);
