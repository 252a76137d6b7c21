/**
 * The security account's bus as synthesized, in moto's EventBridge: every rule
 * of the stack with its own event pattern and input transformer, each
 * target replaced by an SQS queue (moto invokes no Lambda function), and what
 * the queue receives handed to the alert relay, which publishes to moto's SNS.
 *
 * - Every severity of a member alarm, INFORMATIONAL included, reaches its topic.
 * - An event a principal makes up (a custom source with CloudTrail's detail
 *   type and a copied root-login detail) matches no rule; the same detail as
 *   AWS sends it matches the root-usage rule.
 * - A member's heartbeat (a scheduled rule's event) reaches the heartbeat rule only.
 *
 * moto's matcher is an independent implementation of EventBridge patterns
 * (the bus policy's conditions are not evaluated by moto; the template test
 * checks them).
 */
import { CreateEventBusCommand, EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CisSecurityAccount } from '../../src';
import { MotoServer, describeIfPython, startMoto } from '../support/moto';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const relayModule = require('../../src/organization/relay-handler/index.js');

const REGION = 'us-east-1';
const MEMBER = '444444444444';
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'];
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * EventBridge inserts a string value as a JSON string where a JSON template
 * names it outside quotes (`"account":<account>`); moto 5.2 inserts the bare
 * text. Quoting the envelope fields, which are always strings, gives moto's
 * rendering what EventBridge renders; `<detail>` (an object) is left as is.
 */
function forMoto(transformer: { InputPathsMap: Record<string, string>; InputTemplate: string }) {
  return { ...transformer, InputTemplate: transformer.InputTemplate.replace(/:<(account|region|time|id)>/g, ':"<$1>"') };
}

describeIfPython('the security account\'s bus in moto\'s EventBridge', () => {
  let moto: MotoServer;
  const ruleQueues = new Map<string, string>();
  const topicQueues: Record<string, string> = {};
  const topicArns: Record<string, string> = {};
  const stack = new Stack(new App(), 'Security', { env: { account: '123456789012', region: REGION } });
  new CisSecurityAccount(stack, 'Central', {
    organizationId: 'o-a1b2c3d4e5',
    throttleWindow: Duration.seconds(0),
    enrichment: true,
    memberHeartbeats: { organizationalUnitIds: ['ou-ab12-cdef3456'] },
  });
  const template = Template.fromStack(stack);
  const busRules = (Object.entries(template.findResources('AWS::Events::Rule')) as Array<[string, any]>).filter(([, r]) => r.Properties.EventBusName);

  const client = <T>(C: new (c: any) => T): T => new C({ endpoint: moto.endpoint, region: REGION, credentials });

  async function drain(url: string): Promise<any[]> {
    const out: any[] = [];
    for (;;) {
      const r = await client(SQSClient).send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!r.Messages?.length) return out;
      for (const m of r.Messages) out.push(JSON.parse(m.Body!));
    }
  }

  /** Puts one event on the bus; resolves to what each rule's queue received, by rule id. */
  async function put(entry: { Source: string; DetailType: string; Detail: object }): Promise<Record<string, any[]>> {
    const out = await client(EventBridgeClient).send(new PutEventsCommand({ Entries: [{ ...entry, Detail: JSON.stringify(entry.Detail), EventBusName: 'cis-monitoring' }] }));
    expect(out.FailedEntryCount).toBe(0);
    const received: Record<string, any[]> = {};
    for (const [id, url] of ruleQueues) {
      const got = await drain(url);
      if (got.length) received[id] = got;
    }
    return received;
  }

  async function queue(name: string): Promise<{ url: string; arn: string }> {
    const sqs = client(SQSClient);
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '3600' } }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    return { url, arn };
  }

  beforeAll(async () => {
    moto = await startMoto();
    const events = client(EventBridgeClient);
    await events.send(new CreateEventBusCommand({ Name: 'cis-monitoring' }));
    for (const [id, rule] of busRules) {
      const name = id.slice(0, 60);
      await events.send(new PutRuleCommand({ Name: name, EventBusName: 'cis-monitoring', EventPattern: JSON.stringify(rule.Properties.EventPattern) }));
      const q = await queue(`rule-${ruleQueues.size}`);
      const [target] = rule.Properties.Targets;
      await events.send(new PutTargetsCommand({
        Rule: name,
        EventBusName: 'cis-monitoring',
        Targets: [{ Id: 'q', Arn: q.arn, InputTransformer: forMoto(target.InputTransformer) }],
      }));
      ruleQueues.set(id, q.url);
    }
    for (const s of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) {
      topicArns[s] = (await client(SNSClient).send(new CreateTopicCommand({ Name: `cis-${s.toLowerCase()}` }))).TopicArn!;
      const q = await queue(`topic-${s.toLowerCase()}`);
      topicQueues[s] = q.url;
      await client(SNSClient).send(new SubscribeCommand({ TopicArn: topicArns[s], Protocol: 'sqs', Endpoint: q.arn }));
    }
  }, 120_000);

  afterAll(async () => {
    await moto?.stop();
  });

  test('the stack has 5 alarm rules, 15 detection rules and the heartbeat rule on the bus', () => {
    expect(busRules).toHaveLength(21);
  });

  test.each(SEVERITIES)('a member alarm of severity %s reaches exactly one rule, and the relay publishes it to its topic', async severity => {
    const received = await put({
      Source: 'aws.cloudwatch',
      DetailType: 'CloudWatch Alarm State Change',
      Detail: {
        alarmName: `CisMonitoringMember-Cis-${severity.toLowerCase()}`,
        state: { value: 'ALARM', reason: 'Threshold Crossed' },
        configuration: { description: `[${severity}] CIS 5.3 (v7.0.0): Ensure usage of the 'root' account is monitored` },
      },
    });
    const [rule, ...others] = Object.keys(received);
    expect(others).toEqual([]);
    expect(rule).toMatch(new RegExp(`^Central${severity.charAt(0)}${severity.slice(1).toLowerCase()}Alarms`));
    const [input] = received[rule];
    // The input transformer as moto renders it, read by the relay itself.
    expect(relayModule.readInput(input)).toMatchObject({ kind: 'alarm', severity, account: '123456789012', region: REGION });
    const relay = relayModule.createRelay({
      config: relayModule.configFromEnv({ ...Object.fromEntries(Object.entries(topicArns).map(([s, a]) => [`TOPIC_${s}`, a])), ENRICH: 'false', THROTTLE_WINDOW_SECONDS: '0' }),
      clients: { sns: client(SNSClient) },
      log: () => undefined,
    });
    expect((await relay.handle(input)).outcome).toBe('delivered');
    const topic = severity === 'INFORMATIONAL' ? 'LOW' : severity;
    const [message] = await drain(topicQueues[topic]);
    expect(message.Subject).toBe(`[${severity}] 123456789012: CIS alarm CisMonitoringMember-Cis-${severity.toLowerCase()} is in ALARM`);
    for (const other of Object.keys(topicQueues).filter(t => t !== topic)) expect(await drain(topicQueues[other])).toEqual([]);
  });

  test('an alarm going back to OK matches no rule', async () => {
    expect(await put({
      Source: 'aws.cloudwatch',
      DetailType: 'CloudWatch Alarm State Change',
      Detail: { alarmName: 'x', state: { value: 'OK' }, configuration: { description: '[CRITICAL] x' } },
    })).toEqual({});
  });

  const rootLogin = {
    eventVersion: '1.09',
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    eventType: 'AwsConsoleSignIn',
    userIdentity: { type: 'Root', arn: `arn:aws:iam::${MEMBER}:root`, accountId: MEMBER },
    recipientAccountId: MEMBER,
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: { MFAUsed: 'No' },
  };

  test('a made-up event (custom source, CloudTrail\'s detail type, a copied root login) matches no rule', async () => {
    for (const Source of ['com.example.forged', 'aws', 'signin.amazonaws.com']) {
      expect(await put({ Source, DetailType: 'AWS Console Sign In via CloudTrail', Detail: rootLogin })).toEqual({});
    }
  });

  test('the same root login as AWS sends it matches the root-usage and sign-in rules, and the relay input names the envelope account', async () => {
    const received = await put({ Source: 'aws.signin', DetailType: 'AWS Console Sign In via CloudTrail', Detail: rootLogin });
    const rules = Object.keys(received).sort();
    expect(rules.some(r => r.startsWith('CentralDetectionsRootAccountUsage'))).toBe(true);
    expect(rules.some(r => r.startsWith('CentralDetectionsConsoleSigninWithoutMfa'))).toBe(true);
    const [input] = received[rules.find(r => r.startsWith('CentralDetectionsRootAccountUsage'))!];
    expect(relayModule.readInput(input)).toMatchObject({ kind: 'detection', severity: 'CRITICAL', control: 'root-account-usage', account: '123456789012' });
  });

  test('a scheduled rule\'s event (a member heartbeat) reaches the heartbeat rule only, with its envelope', async () => {
    const received = await put({ Source: 'aws.events', DetailType: 'Scheduled Event', Detail: {} });
    const [rule, ...others] = Object.keys(received);
    expect(others).toEqual([]);
    expect(rule).toMatch(/^CentralHeartbeatsHeartbeatRule/);
    expect(received[rule][0]).toMatchObject({ kind: 'heartbeat', account: '123456789012', region: REGION });
    expect(await put({ Source: 'com.example.heartbeat', DetailType: 'Scheduled Event', Detail: {} })).toEqual({});
  });
});
