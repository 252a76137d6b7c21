/**
 * The heartbeat monitor of CisSecurityAccount (src/organization/relay-handler/heartbeat.js,
 * the very file of the Lambda asset) against moto: an organization with an
 * organizational unit of three member accounts (one in a child unit) and a
 * suspended-free management account, the heartbeat table as the construct
 * declares it, the CRITICAL topic with an SQS subscriber. One member stops
 * sending: exactly that account and Region is reported, once per bound, and
 * reported again as resumed when its heartbeats are back.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateAccountCommand, CreateOrganizationalUnitCommand, CreateOrganizationCommand, ListRootsCommand, MoveAccountCommand, OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { CreateTopicCommand, ListSubscriptionsCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CisSecurityAccount } from '../../src';
import { MotoServer, describeIfPython, startMoto } from '../support/moto';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const heartbeatModule = require('../../src/organization/relay-handler/heartbeat.js');

const REGION = 'eu-west-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The monitor's environment and table as the construct synthesizes them. */
function synthesized(ous: string[]) {
  const stack = new Stack(new App(), 'Security', { env: { account: '222222222222', region: REGION } });
  new CisSecurityAccount(stack, 'Central', {
    organizationId: 'o-a1b2c3d4e5',
    memberHeartbeats: { organizationalUnitIds: ous, heartbeatInterval: Duration.minutes(10) },
  });
  const template = Template.fromStack(stack);
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Handler === 'heartbeat.handler') as any;
  const tables = Object.entries(template.findResources('AWS::DynamoDB::Table')) as Array<[string, any]>;
  const table = tables.find(([id]) => id.includes('Heartbeats'))![1];
  return { env: fn.Properties.Environment.Variables as Record<string, any>, table: table.Properties };
}

/** The same with memberTopicSubscriptions: the monitor's environment and IAM statement. */
function synthesizedWithSubscription(ous: string[]) {
  const stack = new Stack(new App(), 'Security', { env: { account: '222222222222', region: REGION } });
  new CisSecurityAccount(stack, 'Central', {
    organizationId: 'o-a1b2c3d4e5',
    memberHeartbeats: { organizationalUnitIds: ous, heartbeatInterval: Duration.minutes(10) },
    memberTopicSubscriptions: {},
  });
  const template = Template.fromStack(stack);
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Handler === 'heartbeat.handler') as any;
  return { env: fn.Properties.Environment.Variables as Record<string, any>, template };
}

describeIfPython('the heartbeat monitor against moto (Organizations, DynamoDB, SNS)', () => {
  let moto: MotoServer;
  let clock = new Date('2026-12-01T10:00:00Z');
  let members: Record<string, string> = {};
  let queueUrl: string;
  let topicArn: string;
  let ou: string;
  const tableName = 'cis-heartbeats';

  const client = <T>(C: new (c: any) => T, region = REGION): T => new C({ endpoint: moto.endpoint, region, credentials });

  function monitor(env: Record<string, string> = {}) {
    const { env: synthesizedEnv } = synthesized([ou]);
    const plain = Object.fromEntries(Object.entries(synthesizedEnv).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    const config = heartbeatModule.configFromEnv({ ...plain, HEARTBEAT_TABLE: tableName, ALERT_TOPIC: topicArn, AWS_REGION: REGION, ...env });
    return heartbeatModule.createHeartbeatMonitor({
      config,
      clients: {
        sns: client(SNSClient),
        dynamodb: client(DynamoDBClient),
        sts: undefined,
        // The management account's own view of the organization (moto's default account).
        organizations: () => client(OrganizationsClient, 'us-east-1'),
      },
      now: () => clock,
      log: () => undefined,
    });
  }

  async function messages(): Promise<Array<{ Subject: string; Message: string }>> {
    const sqs = client(SQSClient);
    const out: Array<{ Subject: string; Message: string }> = [];
    for (;;) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!r.Messages?.length) return out;
      for (const m of r.Messages) out.push(JSON.parse(m.Body!));
    }
  }

  const heartbeat = (account: string, at = clock) => ({
    kind: 'heartbeat', account, region: REGION, time: at.toISOString().replace(/\.\d+Z$/, 'Z'), id: `hb-${account}-${at.getTime()}`,
  });
  const advance = (minutes: number) => {
    clock = new Date(clock.getTime() + minutes * 60 * 1000);
  };

  beforeAll(async () => {
    moto = await startMoto();
    const org = client(OrganizationsClient, 'us-east-1');
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    ou = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'workloads' }))).OrganizationalUnit!.Id!;
    const child = (await org.send(new CreateOrganizationalUnitCommand({ ParentId: ou, Name: 'prod' }))).OrganizationalUnit!.Id!;
    const create = async (name: string, parent: string) => {
      const id = (await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }))).CreateAccountStatus!.AccountId!;
      await org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: parent }));
      return id;
    };
    members = { 'app-a': await create('app-a', ou), 'app-b': await create('app-b', ou), 'payments-prod': await create('payments-prod', child) };
    // An account outside the organizational unit: not expected.
    await org.send(new CreateAccountCommand({ AccountName: 'elsewhere', Email: 'elsewhere@example.com' }));

    const t = synthesized([ou]).table;
    await client(DynamoDBClient).send(new CreateTableCommand({
      TableName: tableName, KeySchema: t.KeySchema, AttributeDefinitions: t.AttributeDefinitions, BillingMode: t.BillingMode,
    }));
    topicArn = (await client(SNSClient).send(new CreateTopicCommand({ Name: 'cis-critical' }))).TopicArn!;
    const sqs = client(SQSClient);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'cis-critical', Attributes: { VisibilityTimeout: '3600' } }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
    await client(SNSClient).send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: arn }));
  }, 120_000);

  afterAll(async () => {
    await moto?.stop();
  });

  test('the construct gives the function what the monitor reads (bound: two intervals)', () => {
    const { env } = synthesized([ou]);
    expect(Object.keys(env).sort()).toEqual(['ALERT_TOPIC', 'CHAT_FORMAT', 'EXPECTED_TARGETS', 'HEARTBEAT_TABLE', 'SILENCE_AFTER_SECONDS']);
    expect(env.SILENCE_AFTER_SECONDS).toBe('1200');
  });

  test('one of three members falls silent: exactly that account and Region is reported, once per bound, and again when it resumes', async () => {
    const m = monitor();
    // First check: every member account of the unit (child units too) is expected from now on; nothing is reported yet.
    const first = await m.check();
    expect(first).toMatchObject({ expected: 3, firstExpected: 3, silent: [], resumed: [] });
    expect(await messages()).toEqual([]);

    // Heartbeats every 10 minutes from all three, for 30 minutes.
    for (let i = 0; i < 3; i++) {
      advance(10);
      for (const a of Object.values(members)) await m.record(heartbeat(a));
      expect((await m.check()).silent).toEqual([]);
    }
    expect(await messages()).toEqual([]);
    const lastOfPayments = clock.toISOString();

    // payments-prod stops; the others go on. Within the bound (20 minutes): nothing.
    advance(10);
    for (const a of [members['app-a'], members['app-b']]) await m.record(heartbeat(a));
    expect((await m.check()).silent).toEqual([]);
    advance(10);
    for (const a of [members['app-a'], members['app-b']]) await m.record(heartbeat(a));
    expect((await m.check()).silent).toEqual([]);
    // 30 minutes of silence: reported.
    advance(10);
    for (const a of [members['app-a'], members['app-b']]) await m.record(heartbeat(a));
    expect((await m.check()).silent).toEqual([members['payments-prod']]);
    const [alert, ...more] = await messages();
    expect(more).toEqual([]);
    expect(alert.Subject).toBe(`[CRITICAL] CIS alert forwarding silent: 1 member target in ${REGION}`);
    const lines = alert.Message.split('\n');
    expect(lines[0]).toBe(`[CRITICAL] No heartbeat for longer than 20 minutes from 1 member target in ${REGION}: their CIS alarms and detections may not reach this account.`);
    expect(lines[1]).toBe(`Account: payments-prod (${members['payments-prod']}), region ${REGION}: last heartbeat ${lastOfPayments.replace(/\.\d+Z$/, '.000Z')}`);
    expect(alert.Message).not.toContain(members['app-a']);

    // Still silent, within the next bound: not repeated. After it: reminded once.
    const others = async () => {
      for (const a of [members['app-a'], members['app-b']]) await m.record(heartbeat(a));
    };
    advance(10);
    await others();
    expect((await m.check()).silent).toEqual([]);
    advance(10);
    await others();
    expect((await m.check()).silent).toEqual([members['payments-prod']]);
    const [reminder, ...also] = await messages();
    expect(also).toEqual([]);
    expect(reminder.Message).toContain(', still silent');

    // Back: reported as resumed, once.
    advance(5);
    await others();
    await m.record(heartbeat(members['payments-prod']));
    expect((await m.check()).resumed).toEqual([members['payments-prod']]);
    const [resumed] = await messages();
    expect(resumed.Subject).toBe(`[RESOLVED] CIS alert forwarding resumed: 1 member target in ${REGION}`);
    expect((await m.check()).resumed).toEqual([]);
    expect(await messages()).toEqual([]);
  });

  test('a member that never sends (a wrong securityAccountId, say) is reported one bound after it is first expected', async () => {
    const org = client(OrganizationsClient, 'us-east-1');
    const id = (await org.send(new CreateAccountCommand({ AccountName: 'new-joiner', Email: 'new-joiner@example.com' }))).CreateAccountStatus!.AccountId!;
    const root = (await org.send(new ListRootsCommand({}))).Roots![0].Id!;
    await org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: ou }));
    const m = monitor();
    advance(1);
    const keepOthersAlive = async () => {
      for (const a of Object.values(members)) await m.record(heartbeat(a));
    };
    await keepOthersAlive();
    expect(await m.check()).toMatchObject({ firstExpected: 1, silent: [], resumed: [] });
    expect(await messages()).toEqual([]);
    advance(20);
    await keepOthersAlive();
    expect((await m.check()).silent).toEqual([]);
    advance(1);
    await keepOthersAlive();
    expect((await m.check()).silent).toEqual([id]);
    const [alert] = await messages();
    expect(alert.Message).toMatch(new RegExp(`^Account: new-joiner \\(${id}\\), region ${REGION}: last heartbeat never \\(expected since \\S+\\)$`, 'm'));
  });

  test('a heartbeat older than the one recorded does not move the record back; the envelope is checked', async () => {
    const m = monitor();
    advance(1); // later than any heartbeat an earlier test recorded
    const now = await m.record(heartbeat(members['app-a']));
    const older = await m.record(heartbeat(members['app-a'], new Date(clock.getTime() - 3600_000)));
    const again = await m.record(heartbeat(members['app-a']));
    expect(now.outcome).toBe('recorded');
    expect(older.outcome).toBe('not-newer-than-recorded');
    expect(again.outcome).toBe('not-newer-than-recorded');
    expect((await m.check()).silent).not.toContain(members['app-a']);
    expect(now.account).toBe(members['app-a']);
    await expect(m.record({ kind: 'heartbeat', account: 'x', region: REGION, time: clock.toISOString(), id: 'a' })).rejects.toThrow(/account must be a 12-digit account id/);
  });

  test('memberTopicSubscriptions: the security account\'s queue is subscribed to each member\'s topic on its heartbeat, again after a day; a failure is reported once a day and retried', async () => {
    // moto does not model who may subscribe or that SNS confirms a subscription its queue's owner makes (the SNS
    // developer guide says so); it does check that the topic exists and records the subscription.
    const { env: synthesizedEnv } = synthesizedWithSubscription([ou]);
    expect(synthesizedEnv.MEMBER_TOPIC_ARN).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sns:${REGION}:{account}:cis-monitoring-alarms`]] });
    const sqs = client(SQSClient);
    const memberQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'member-alarms' }))).QueueUrl!;
    const memberQueueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: memberQueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const topicOf = async (account: string) => {
      // moto acts as the account whose AssumeRole credentials are used (it does not evaluate trust policies).
      const c = (await client(STSClient).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`, RoleSessionName: 'setup' }))).Credentials!;
      const memberCredentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken };
      return (await new SNSClient({ endpoint: moto.endpoint, region: REGION, credentials: memberCredentials }).send(new CreateTopicCommand({ Name: 'cis-monitoring-alarms' }))).TopicArn!;
    };
    const appA = await topicOf(members['app-a']);
    await topicOf(members['app-b']);
    const m = monitor({ MEMBER_TOPIC_ARN: `arn:aws:sns:${REGION}:{account}:cis-monitoring-alarms`, SUBSCRIPTION_QUEUE_ARN: memberQueueArn });
    advance(1);
    const first = await m.record(heartbeat(members['app-a']));
    expect(first.subscription).toMatchObject({ outcome: 'subscribed', topicArn: appA });
    expect(first.subscription.subscriptionArn).toMatch(new RegExp(`^${appA}:[0-9a-f-]{36}$`));
    const listed = (await client(SNSClient).send(new ListSubscriptionsCommand({}))).Subscriptions!.filter(x => x.TopicArn === appA);
    expect(listed).toEqual([expect.objectContaining({ Protocol: 'sqs', Endpoint: memberQueueArn, SubscriptionArn: first.subscription.subscriptionArn })]);
    // Within a day: not again. After a day: again (a deleted subscription comes back).
    advance(10);
    expect((await m.record(heartbeat(members['app-a']))).subscription).toBeUndefined();
    advance(24 * 60);
    expect((await m.record(heartbeat(members['app-a']))).subscription).toMatchObject({ outcome: 'subscribed' });

    // payments-prod has no such topic (its member stack lacks securityAccountSubscription): recorded, reported, retried.
    const failed = await m.record(heartbeat(members['payments-prod']));
    expect(failed.subscription).toMatchObject({ outcome: 'subscription-failed' });
    expect(failed.subscription.error).toMatch(/^sns:Subscribe to arn:aws:sns:eu-west-1:\d{12}:cis-monitoring-alarms failed: NotFound/);
    await m.record(heartbeat(members['app-b']));
    const checked = await m.check();
    expect(checked.subscriptionFailing).toEqual([members['payments-prod']]);
    // (new-joiner, of the test before, still sends nothing and is reported silent beside it.)
    const [report, ...rest] = (await messages()).filter(x => x.Subject.includes('subscription'));
    expect(rest).toEqual([]);
    expect(report.Subject).toBe(`[HIGH] CIS member topic subscription failing: 1 member target in ${REGION}`);
    expect(report.Message.split('\n')[1]).toMatch(new RegExp(`^Account: payments-prod \\(${members['payments-prod']}\\), region ${REGION}: sns:Subscribe to .* failed: NotFound`));
    // Reported once a day, not at every check.
    advance(10);
    expect((await m.check()).subscriptionFailing).toEqual([]);
    expect((await messages()).filter(x => x.Subject.includes('subscription'))).toEqual([]);
    // The topic appears (the member stack is fixed): the next heartbeat subscribes and clears the error.
    await topicOf(members['payments-prod']);
    expect((await m.record(heartbeat(members['payments-prod']))).subscription).toMatchObject({ outcome: 'subscribed' });
    advance(24 * 60);
    for (const a of Object.values(members)) await m.record(heartbeat(a));
    expect((await m.check()).subscriptionFailing).toEqual([]);
    expect((await messages()).filter(x => x.Subject.includes('subscription'))).toEqual([]);
  });

  test('through organizationsRoleArn: the role is assumed under the monitor\'s own session name (its calls are told apart in CloudTrail)', async () => {
    const sts = client(STSClient);
    const sessions: string[] = [];
    const recording = { send: (command: any, options?: any) => { sessions.push(command.input.RoleSessionName); return sts.send(command, options); } };
    const { env: synthesizedEnv } = synthesized([ou]);
    const plain = Object.fromEntries(Object.entries(synthesizedEnv).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    const m = heartbeatModule.createHeartbeatMonitor({
      config: heartbeatModule.configFromEnv({
        ...plain,
        HEARTBEAT_TABLE: tableName,
        ALERT_TOPIC: topicArn,
        AWS_REGION: REGION,
        ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::123456789012:role/CisOrganizationsRead',
      }),
      clients: { sns: client(SNSClient), dynamodb: client(DynamoDBClient), sts: recording, organizations: () => client(OrganizationsClient, 'us-east-1') },
      now: () => clock,
      log: () => undefined,
    });
    await m.check();
    expect(sessions).toEqual(['cis-heartbeat-monitor']);
  });

  test('the monitor refuses a bad configuration by name', () => {
    const base = { HEARTBEAT_TABLE: 't', ALERT_TOPIC: 'arn:aws:sns:eu-west-1:222222222222:t', SILENCE_AFTER_SECONDS: '1200', EXPECTED_TARGETS: JSON.stringify({ organizationalUnitIds: ['r-ab12'] }) };
    expect(() => heartbeatModule.configFromEnv({ ...base, SILENCE_AFTER_SECONDS: '20m' })).toThrow(/SILENCE_AFTER_SECONDS must be a positive whole number of seconds, got "20m"/);
    expect(() => heartbeatModule.configFromEnv({ ...base, EXPECTED_TARGETS: '{' })).toThrow(/EXPECTED_TARGETS must be JSON/);
    expect(() => heartbeatModule.configFromEnv({ ...base, EXPECTED_TARGETS: JSON.stringify({ organizationalUnitIds: ['x'] }) })).toThrow(/organizationalUnitIds must list organizational unit or root ids/);
    expect(() => heartbeatModule.configFromEnv({ ...base, EXPECTED_TARGETS: JSON.stringify({ organizationalUnitIds: ['r-ab12'], accountFilter: 'ALL' }) })).toThrow(/accountFilter must be one of INTERSECTION, DIFFERENCE, UNION/);
    expect(() => heartbeatModule.configFromEnv({ ...base, HEARTBEAT_TABLE: '' })).toThrow(/HEARTBEAT_TABLE must name the heartbeat table/);
    expect(() => heartbeatModule.configFromEnv({ ...base, MEMBER_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111111111111:t', SUBSCRIPTION_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:222222222222:q' }))
      .toThrow(/MEMBER_TOPIC_ARN must be a topic ARN with \{account\} for the member's account id/);
    expect(() => heartbeatModule.configFromEnv({ ...base, MEMBER_TOPIC_ARN: 'arn:aws:sns:eu-west-1:{account}:t' }))
      .toThrow(/SUBSCRIPTION_QUEUE_ARN must be the ARN of this account's queue, got "undefined"/);
  });

  test('the entry point refuses an input that is neither a heartbeat nor a check', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { HEARTBEAT_TABLE: tableName, ALERT_TOPIC: topicArn, SILENCE_AFTER_SECONDS: '1200', EXPECTED_TARGETS: JSON.stringify({ organizationalUnitIds: [ou] }) });
      let handler: (e: unknown) => Promise<unknown> = async () => undefined;
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        handler = require('../../src/organization/relay-handler/heartbeat.js').handler;
      });
      await expect(handler({ kind: 'page' })).rejects.toThrow(/expects \{ kind: 'heartbeat', account, region, time, id \} or \{ kind: 'check' \}, got \{"kind":"page"\}/);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
