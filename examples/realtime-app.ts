/**
 * Real-time path and investigation queries: CisMonitoring with EventBridge
 * rules, saved Logs Insights queries and the extended detection set in a
 * workload region, plus the us-east-1 companion that global-service events
 * (IAM, Organizations, console sign-in, STS global endpoint) need, because
 * CloudTrail delivers those to EventBridge in us-east-1 only.
 *
 *   npx ts-node -P examples/tsconfig.json examples/realtime-app.ts
 */
import * as path from 'path';
import { Annotations, App, Stack } from 'aws-cdk-lib';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { CisAlarmTopic, CisEventRules, CisMonitoring, ExtendedDetection } from '../src';

// Any account id works offline; a real deployment uses its own.
const ACCOUNT = '111122223333';

export function buildRealtimeApp(outdir = path.resolve(__dirname, '..', 'cdk.out', 'realtime')) {
  const app = new App({ outdir });

  const workload = new Stack(app, 'CisRealtimeEuWest1', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const monitoring = new CisMonitoring(workload, 'Cis', {
    emailAddresses: ['security@example.com'],
    realtimeRules: true,
    investigationQueries: true,
    extendedDetections: ExtendedDetection.all(),
  });

  // us-east-1: the rules for controls whose events arrive there, with a topic of that region.
  const globalEvents = new Stack(app, 'CisRealtimeUsEast1', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const globalTopic = new CisAlarmTopic(globalEvents, 'Topic', { displayName: 'CIS real-time (global services)' });
  globalTopic.topic.addSubscription(new subscriptions.EmailSubscription('security@example.com'));
  const globalRules = new CisEventRules(globalEvents, 'GlobalRealTime', {
    topic: globalTopic.topic,
    controls: CisEventRules.globalServiceControls(monitoring.controls),
  });
  // The extended IAM detections (access keys, login profiles) have no
  // us-east-1 rule here; their metric-filter alarms still see those events,
  // because the multi-region trail delivers IAM events to this log group.
  Annotations.of(workload).acknowledgeWarning('cdk-cis-monitoring:globalEventsRegion',
    'Extended IAM detections alarm through metric filters on the multi-region trail; only their real-time rule is regional.');
  return { app, workload, globalEvents, monitoring, globalRules };
}

if (require.main === module) {
  buildRealtimeApp().app.synth();
  process.stdout.write('Synthesized CisRealtimeEuWest1 and CisRealtimeUsEast1 into cdk.out/realtime\n');
}
