/**
 * The security account's alert relay (src/organization/relay-handler/index.js,
 * the very file that is the Lambda asset) against moto: Organizations with
 * tagged member accounts, the DynamoDB table as the construct defines it, the
 * severity topics with an SQS queue subscribed to each. The relay's
 * configuration is the environment the construct gives the function, with
 * each Ref replaced by the moto resource it names.
 */
import * as net from 'net';
import * as path from 'path';
import { CreateTableCommand, DeleteItemCommand, DeleteTableCommand, DynamoDBClient, UpdateItemCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CisSecurityAccount } from '../../src';
import { MotoServer, describeIfPython, pointAwsSdkAt, startMoto } from '../support/moto';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const relayModule = require('../../src/organization/relay-handler/index.js');

const REGION = 'us-east-1';
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** A Lambda context whose remaining time is `ms` from now. */
function lambdaContext(ms: number) {
  const end = Date.now() + ms;
  return { getRemainingTimeInMillis: () => end - Date.now() };
}

/** A local endpoint that accepts connections and never answers (for the deadlines). */
async function silentServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>(resolve => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The relay's environment as the construct synthesizes it. */
function synthesizedRelay(props: Record<string, unknown> = {}) {
  const stack = new Stack(new App(), 'Security', { env: { account: '222222222222', region: REGION } });
  new CisSecurityAccount(stack, 'Central', { organizationId: 'o-a1b2c3d4e5', ...props });
  const template = Template.fromStack(stack);
  const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as any;
  const table = Object.values(template.findResources('AWS::DynamoDB::Table'))[0] as any;
  const topics = template.findResources('AWS::SNS::Topic');
  return { env: fn.Properties.Environment.Variables as Record<string, any>, table: table?.Properties, topics };
}

describeIfPython('the alert relay against moto (Organizations, DynamoDB, SNS)', () => {
  let moto: MotoServer;
  let clock = new Date('2026-12-01T10:00:00Z');
  const queues: Record<string, string> = {};
  const topicArns: Record<string, string> = {};
  let accounts: Record<string, string> = {};
  let security: Credentials;
  let tableName: string;
  let synthesized: ReturnType<typeof synthesizedRelay>;

  const client = <T>(C: new (c: any) => T, credentials: Credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }, region = REGION): T =>
    new C({ endpoint: moto.endpoint, region, credentials });

  /** Clients of the security account, where the relay runs. */
  function clients(options: { organizations?: Credentials } = {}) {
    return {
      sns: client(SNSClient, security),
      dynamodb: client(DynamoDBClient, security),
      sts: client(STSClient, security),
      organizations: (credentials?: Credentials) => client(OrganizationsClient, credentials ?? options.organizations ?? security),
    };
  }

  /** The configuration the construct gives the function, with moto's resources in place of the Refs. */
  function config(overrides: Record<string, string> = {}) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(synthesized.env)) {
      if (typeof v === 'string') env[k] = v;
      else if (k.startsWith('TOPIC_')) env[k] = topicArns[k.slice('TOPIC_'.length)];
      else if (k === 'THROTTLE_TABLE') env[k] = tableName;
      else throw new Error(`unexpected environment value ${k}=${JSON.stringify(v)}`);
    }
    return relayModule.configFromEnv({ ...env, ...overrides });
  }

  function relay(options: { config?: any; organizations?: Credentials; log?: string[] } = {}) {
    return relayModule.createRelay({
      config: options.config ?? config(),
      clients: clients(options),
      now: () => clock,
      log: (line: string) => options.log?.push(line),
    });
  }

  /** Every message delivered to a severity's queue since the last call. */
  async function delivered(severity: string): Promise<Array<{ Subject: string; Message: string }>> {
    const sqs = client(SQSClient, security);
    const out: Array<{ Subject: string; Message: string }> = [];
    for (;;) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues[severity], MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!r.Messages?.length) return out;
      for (const m of r.Messages) out.push(JSON.parse(m.Body!));
      // moto deletes nothing unless asked; receiving hides them for the visibility timeout (long enough for a test).
    }
  }

  async function drain(): Promise<void> {
    for (const s of SEVERITIES) await delivered(s);
  }

  let nextId = 0;
  /** A fresh event id, as EventBridge gives every event. */
  const eventId = () => `4f1c0b5e-0000-4000-8000-${String(++nextId).padStart(12, '0')}`;

  interface DetectionOverrides {
    account?: string;
    recipient?: string;
    principal?: string;
    errorCode?: string;
    eventName?: string;
    severity?: string;
    control?: string;
    id?: string;
    detail?: Record<string, unknown>;
  }
  /** A detection as the bus rule hands it over: the envelope account is the member that forwarded it. */
  function detection(overrides: DetectionOverrides = {}) {
    const account = overrides.account ?? accounts['payments-prod'];
    return {
      kind: 'detection',
      severity: overrides.severity ?? 'HIGH',
      headline: `[${overrides.severity ?? 'HIGH'}] CIS 5.4 Ensure IAM policy changes are monitored (CIS v7.0.0, control iam-policy-changes)`,
      control: overrides.control ?? 'iam-policy-changes',
      account,
      region: REGION,
      time: '2026-12-01T10:00:00Z',
      id: overrides.id ?? eventId(),
      detail: {
        eventVersion: '1.09',
        eventTime: '2026-12-01T09:59:58Z',
        eventSource: 'iam.amazonaws.com',
        eventName: overrides.eventName ?? 'PutRolePolicy',
        awsRegion: REGION,
        sourceIPAddress: '203.0.113.7',
        recipientAccountId: overrides.recipient ?? account,
        eventID: 'c0ffee00-0000-4000-8000-000000000001',
        userIdentity: { type: 'AssumedRole', arn: overrides.principal ?? 'arn:aws:sts::111111111111:assumed-role/Admin/alice' },
        ...(overrides.errorCode ? { errorCode: overrides.errorCode, errorMessage: 'User is not authorized' } : {}),
        ...overrides.detail,
      },
    };
  }

  function alarm(name = 'CisMonitoringMember-Cis-RootAccountUsageAlarm', account = accounts['sandbox-1'], severity = 'CRITICAL') {
    return {
      kind: 'alarm',
      severity,
      account,
      region: 'eu-west-1',
      time: '2026-12-01T10:00:00Z',
      id: eventId(),
      detail: { alarmName: name, state: { value: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).' } },
    };
  }

  /**
   * The Lambda entry point, loaded afresh (a new container), called with the
   * construct's environment (moto's resources) and `overrides` in place.
   */
  function entryPoint(overrides: Record<string, string>): (event: unknown, context: unknown) => Promise<any> {
    let handler: (event: unknown, context: unknown) => Promise<any> = async () => undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require(path.resolve(__dirname, '../../src/organization/relay-handler/index.js')).handler;
    });
    return async (event, context) => {
      const saved = { ...process.env };
      try {
        pointAwsSdkAt(moto.endpoint, security, REGION);
        Object.assign(process.env, {
          ...Object.fromEntries(SEVERITIES.map(s => [`TOPIC_${s}`, topicArns[s]])),
          THROTTLE_TABLE: tableName,
          THROTTLE_WINDOW_SECONDS: '900',
          ENRICH: 'true',
          CHAT_FORMAT: 'false',
          ...overrides,
        });
        return await handler(event, context);
      } finally {
        for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
        Object.assign(process.env, saved);
      }
    };
  }

  beforeAll(async () => {
    moto = await startMoto();
    synthesized = synthesizedRelay();
    const org = client(OrganizationsClient);
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const create = async (name: string, tags: Record<string, string>) => {
      const out = await org.send(new CreateAccountCommand({
        AccountName: name, Email: `${name}@example.com`, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }));
      return out.CreateAccountStatus!.AccountId!;
    };
    accounts = {
      'security': await create('security', { Environment: 'security' }),
      'payments-prod': await create('payments-prod', { Owner: 'payments', Environment: 'prod' }),
      'sandbox-1': await create('sandbox-1', { Environment: 'sandbox' }),
    };
    // moto acts in the account of the role an AssumeRole returned credentials for.
    const assumed = await client(STSClient).send(new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${accounts.security}:role/OrganizationAccountAccessRole`, RoleSessionName: 'test-setup',
    }));
    const c = assumed.Credentials!;
    security = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken };

    // The table exactly as the construct declares it.
    const t = synthesized.table;
    tableName = 'cis-relay-throttle';
    const ddb = client(DynamoDBClient, security);
    await ddb.send(new CreateTableCommand({
      TableName: tableName, KeySchema: t.KeySchema, AttributeDefinitions: t.AttributeDefinitions, BillingMode: t.BillingMode,
    }));
    await ddb.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: t.TimeToLiveSpecification }));

    const sns = client(SNSClient, security);
    const sqs = client(SQSClient, security);
    for (const s of SEVERITIES) {
      topicArns[s] = (await sns.send(new CreateTopicCommand({ Name: `cis-${s.toLowerCase()}` }))).TopicArn!;
      queues[s] = (await sqs.send(new CreateQueueCommand({ QueueName: `cis-${s.toLowerCase()}`, Attributes: { VisibilityTimeout: '3600' } }))).QueueUrl!;
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues[s], AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
      await sns.send(new SubscribeCommand({ TopicArn: topicArns[s], Protocol: 'sqs', Endpoint: arn }));
    }
  }, 120_000);

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(async () => {
    clock = new Date(clock.getTime() + 24 * 3600 * 1000);
    await drain();
  });

  test('the construct gives the function what the relay reads', () => {
    expect(Object.keys(synthesized.env).sort()).toEqual([
      'CHAT_FORMAT', 'ENRICH', 'THROTTLE_TABLE', 'THROTTLE_WINDOW_SECONDS', 'TOPIC_CRITICAL', 'TOPIC_HIGH', 'TOPIC_LOW', 'TOPIC_MEDIUM',
    ]);
    expect(config()).toMatchObject({ enrich: true, windowSeconds: 900, chat: false, throttleTable: tableName });
  });

  test('a message names the member account and its tags before anything else; the subject names the account', async () => {
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const result = await r.handle(detection());
    expect(result.outcome).toBe('delivered');
    const [m, ...more] = await delivered('HIGH');
    expect(more).toEqual([]);
    expect(m.Subject).toBe('[HIGH] payments-prod [prod]: CIS 5.4 Ensure IAM policy changes are monitored');
    const lines = m.Message.split('\n');
    expect(lines[0]).toBe(detection().headline);
    expect(lines[1]).toBe(`Account: payments-prod (${accounts['payments-prod']}), tags: Environment=prod, Owner=payments`);
    expect(lines).toContain('Who: arn:aws:sts::111111111111:assumed-role/Admin/alice (AssumedRole)');
    expect(lines).toContain('What: PutRolePolicy on iam.amazonaws.com');
    expect(lines).toContain('Outcome: success');
    expect(m.Message).toMatch(/Repeats: further alerts by the same principal with the same action and outcome are held back for 15 minutes \(until /);
    expect(await delivered('CRITICAL')).toEqual([]);
  });

  test('repeats are held back per principal + action + outcome, not globally; after the window the count is reported', async () => {
    const log: string[] = [];
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' }, log });
    const outcomes: string[] = [];
    const send = async (e: any) => outcomes.push((await r.handle(e)).outcome);
    await send(detection());
    await send(detection());
    await send(detection());
    await send(detection({ errorCode: 'AccessDenied' })); // another outcome
    await send(detection({ principal: 'arn:aws:sts::111111111111:assumed-role/Admin/bob' })); // another principal
    await send(detection({ eventName: 'DeleteRolePolicy' })); // another action
    await send(detection({ account: accounts['sandbox-1'] })); // the same principal and call in another member
    await send(detection({ control: 'unauthorized-api-calls' })); // another control matching the same event
    await send(detection({ errorCode: 'AccessDenied' }));
    expect(outcomes).toEqual(['delivered', 'held-back', 'held-back', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'held-back']);
    expect((await delivered('HIGH')).length).toBe(6);
    expect(log.filter(l => JSON.parse(l).outcome === 'held-back')).toHaveLength(3);

    clock = new Date(clock.getTime() + 14 * 60 * 1000);
    expect((await r.handle(detection())).outcome).toBe('held-back');
    clock = new Date(clock.getTime() + 60 * 1000);
    expect((await r.handle(detection())).outcome).toBe('delivered');
    const [m] = await delivered('HIGH');
    expect(m.Message).toMatch(/^Held back: 3 repeats between \S+ and \S+\.$/m);
  });

  test('member alarms: repeats of one alarm are held back, other alarms are not', async () => {
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    expect((await r.handle(alarm())).outcome).toBe('delivered');
    expect((await r.handle(alarm())).outcome).toBe('held-back');
    expect((await r.handle(alarm('CisMonitoringMember-Cis-ConsoleSignInWithoutMfaAlarm'))).outcome).toBe('delivered');
    const messages = await delivered('CRITICAL');
    expect(messages).toHaveLength(2);
    expect(messages[0].Subject).toBe('[CRITICAL] sandbox-1 [sandbox]: CIS alarm CisMonitoringMember-Cis-RootAccountUsageAlarm is in ALARM');
    expect(messages[0].Message.split('\n').slice(0, 4)).toEqual([
      '[CRITICAL] CIS alarm CisMonitoringMember-Cis-RootAccountUsageAlarm is in ALARM',
      `Account: sandbox-1 (${accounts['sandbox-1']}), tags: Environment=sandbox`,
      'Where: region eu-west-1',
      'When: 2026-12-01T10:00:00Z',
    ]);
    expect(messages[0].Message).toContain('Repeats: further alerts of this alarm are held back for 15 minutes');
  });

  test('through organizationsRoleArn: the relay in the security account reads the organization with the assumed role, under its own session name', async () => {
    const sessions: string[] = [];
    const sts = client(STSClient, security);
    const r = relayModule.createRelay({
      config: config({ ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::123456789012:role/CisAlertRelayOrganizationsRead' }),
      clients: {
        ...clients(),
        sts: { send: (command: any, options?: any) => { sessions.push(command.input.RoleSessionName); return sts.send(command, options); } },
      },
      now: () => clock,
      log: () => undefined,
    });
    await r.handle(detection({ severity: 'MEDIUM' }));
    const [m] = await delivered('MEDIUM');
    expect(m.Message.split('\n')[1]).toBe(`Account: payments-prod (${accounts['payments-prod']}), tags: Environment=prod, Owner=payments`);
    expect(sessions).toEqual(['cis-alert-relay']);
  });

  test('when Organizations does not answer the security account\'s own calls (no delegation; moto: AccountNotFoundException), the message says why names are missing', async () => {
    const r = relay();
    await r.handle(detection({ severity: 'LOW', principal: 'arn:aws:iam::111111111111:user/no-delegation' }));
    const [m] = await delivered('LOW');
    expect(m.Message.split('\n')[1]).toMatch(new RegExp(`^Account: ${accounts['payments-prod']} \\(name and tags unavailable: \\w+: `));
  });

  test('an account Organizations does not know is still delivered, saying why its name is missing', async () => {
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await r.handle(detection({ account: '999999999999', severity: 'LOW' }));
    const [m] = await delivered('LOW');
    expect(m.Subject).toMatch(/^\[LOW\] 999999999999: CIS 5\.4/);
    expect(m.Message.split('\n')[1]).toMatch(/^Account: 999999999999 \(name and tags unavailable: AccountNotFoundException: /);
  });

  test('a throttle table that cannot be used does not stop the alert: it is delivered and says so', async () => {
    const r = relay({ config: config({ THROTTLE_TABLE: 'no-such-table' }), organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    expect((await r.handle(detection())).outcome).toBe('delivered');
    expect((await r.handle(detection())).outcome).toBe('delivered');
    const messages = await delivered('HIGH');
    expect(messages).toHaveLength(2);
    expect(messages[0].Message).toMatch(/^Repeats: not held back \(throttling unavailable: ResourceNotFoundException: /m);
  });

  test('a failed publish throws (Lambda retries, then the dead-letter queue); the retry of the same event re-claims its window and is delivered', async () => {
    const log: string[] = [];
    const broken = relay({ config: config({ TOPIC_HIGH: `${topicArns.HIGH}-missing` }), organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' }, log });
    const event = detection({ principal: 'arn:aws:iam::111111111111:user/retry' });
    await expect(broken.handle(event)).rejects.toThrow(/not exist|NotFound/i);
    expect(JSON.parse(log[log.length - 1])).toMatchObject({ level: 'ERROR', message: 'could not publish the alert', id: event.id });
    // Another event of the same key while the failed one is being retried: held back (and counted), not delivered twice.
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    expect((await r.handle(detection({ principal: 'arn:aws:iam::111111111111:user/retry' }))).outcome).toBe('held-back');
    // Lambda's retry of the failed event: never held back by the claim its own attempt made.
    expect((await r.handle(event)).outcome).toBe('delivered');
    expect(await delivered('HIGH')).toHaveLength(1);
    // A duplicate delivery of an event already delivered (EventBridge delivers at least once) is not sent twice.
    expect((await r.handle(event)).outcome).toBe('duplicate');
    expect(await delivered('HIGH')).toEqual([]);
  });

  test('a claim whose event never got delivered is taken over by the next event of the key after a minute, which reports the held-back ones', async () => {
    const broken = relay({ config: config({ TOPIC_HIGH: `${topicArns.HIGH}-missing` }), organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const principal = 'arn:aws:iam::111111111111:user/takeover';
    await expect(broken.handle(detection({ principal }))).rejects.toThrow();
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    expect((await r.handle(detection({ principal }))).outcome).toBe('held-back');
    clock = new Date(clock.getTime() + 61 * 1000);
    expect((await r.handle(detection({ principal }))).outcome).toBe('delivered');
    const [m] = await delivered('HIGH');
    expect(m.Message).toMatch(/^Held back: 1 repeat between /m);
  });

  test('a window that vanishes while an alert is being held back (a purged table): the alert is delivered, and the key is not held back for ever', async () => {
    const principal = 'arn:aws:iam::111111111111:user/purged';
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    expect((await r.handle(detection({ principal }))).outcome).toBe('delivered');
    await delivered('HIGH');
    // The table's item is deleted between the failed claim and the count of a repeat.
    const real = client(DynamoDBClient, security);
    const purging = {
      send: async (command: any, options?: any) => {
        if (command instanceof UpdateItemCommand && String(command.input.UpdateExpression).startsWith('ADD heldBack')) {
          await real.send(new DeleteItemCommand({ TableName: tableName, Key: command.input.Key }));
        }
        return real.send(command, options);
      },
    };
    const racing = relayModule.createRelay({ config: config(), clients: { ...clients({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } }), dynamodb: purging }, now: () => clock, log: () => undefined });
    expect((await racing.handle(detection({ principal }))).outcome).toBe('delivered');
    const [m] = await delivered('HIGH');
    expect(m.Message).toMatch(/^Repeats: not held back \(throttling unavailable: the throttle window vanished while this alert was being held back\)\.$/m);
    // No windowless item was left behind: the next alert of the key opens a window and is delivered.
    expect((await r.handle(detection({ principal }))).outcome).toBe('delivered');
    expect(await delivered('HIGH')).toHaveLength(1);
  });

  test('forgery: a member whose event names another account in its detail is shown, named and throttled as itself; the genuine alert is not suppressed', async () => {
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const principal = 'arn:aws:iam::111111111111:root';
    // From the sandbox (envelope, set by EventBridge), claiming to be prod (detail, set by the sender).
    const forged = detection({ account: accounts['sandbox-1'], recipient: accounts['payments-prod'], principal, severity: 'CRITICAL' });
    expect((await r.handle(forged)).outcome).toBe('delivered');
    const [m] = await delivered('CRITICAL');
    expect(m.Subject).toMatch(/^\[CRITICAL\] sandbox-1 \[sandbox\]: /);
    expect(m.Subject).not.toContain('payments-prod');
    const lines = m.Message.split('\n');
    expect(lines[1]).toBe(`Account: sandbox-1 (${accounts['sandbox-1']}), tags: Environment=sandbox`);
    expect(lines[2]).toBe(`Warning: the event's detail names account ${accounts['payments-prod']}, but EventBridge received it from account ${accounts['sandbox-1']}; it is shown and throttled as ${accounts['sandbox-1']}. A member may be forging events.`);
    // The genuine event in prod, seconds later, with the same principal, action and outcome: its own key, delivered.
    const genuine = detection({ principal, severity: 'CRITICAL' });
    expect((await r.handle(genuine)).outcome).toBe('delivered');
    const [g] = await delivered('CRITICAL');
    expect(g.Subject).toMatch(/^\[CRITICAL\] payments-prod \[prod\]: /);
    expect(g.Message).not.toContain('Warning:');
  });

  test('every severity reaches its topic (INFORMATIONAL shares LOW), for alarms and detections', async () => {
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const topicOf: Record<string, string> = { CRITICAL: 'CRITICAL', HIGH: 'HIGH', MEDIUM: 'MEDIUM', LOW: 'LOW', INFORMATIONAL: 'LOW' };
    for (const severity of Object.keys(topicOf)) {
      await r.handle(alarm(`CisMonitoringMember-Cis-${severity.toLowerCase()}`, accounts['sandbox-1'], severity));
      const [a, ...more] = await delivered(topicOf[severity]);
      expect(more).toEqual([]);
      expect(a.Subject).toBe(`[${severity}] sandbox-1 [sandbox]: CIS alarm CisMonitoringMember-Cis-${severity.toLowerCase()} is in ALARM`);
      await r.handle(detection({ severity, principal: `arn:aws:iam::111111111111:user/${severity}` }));
      const [d] = await delivered(topicOf[severity]);
      expect(d.Subject).toMatch(new RegExp(`^\\[${severity}\\] payments-prod \\[prod\\]: `));
    }
  });

  test('hostile fields: 60 KB of quotes with chat format on, line breaks and markup: the message is published (under 256 KiB), one field per line, chat text inert', async () => {
    const r = relay({ config: config({ CHAT_FORMAT: 'true' }), organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const result = await r.handle(detection({
      severity: 'MEDIUM',
      errorCode: 'AccessDenied',
      eventName: 'PutRolePolicy\nAccount: payments-prod (123456789012), tags: Environment=prod',
      detail: { errorMessage: '"'.repeat(60_000), sourceIPAddress: '[click here](https://evil.example/login) <!channel> @here' },
    }));
    expect(result.outcome).toBe('delivered');
    const [m] = await delivered('MEDIUM');
    const lines = m.Message.split('\n');
    expect(lines.filter(l => l.startsWith('Account:'))).toHaveLength(1);
    expect(lines).toContain('What: PutRolePolicy\\nAccount: payments-prod (123456789012), tags: Environment=prod on iam.amazonaws.com');
    expect(m.Message).toMatch(/\[cut: \d+ more characters\]/);
  });

  test('the relay\'s own entry point with the runtime\'s clients: Organizations hanging (never answers) costs the name, not the alert', async () => {
    const silent = await silentServer();
    try {
      const handler = entryPoint({ AWS_ENDPOINT_URL_ORGANIZATIONS: silent.endpoint, ORGANIZATIONS_ROLE_ARN: '' });
      const started = Date.now();
      const result = await handler(detection({ principal: 'arn:aws:iam::111111111111:user/hang-org', severity: 'MEDIUM' }), lambdaContext(30_000));
      expect(result.outcome).toBe('delivered');
      expect(Date.now() - started).toBeLessThan(8_000);
      const [m] = await delivered('MEDIUM');
      expect(m.Message.split('\n')[1]).toMatch(new RegExp(`^Account: ${accounts['payments-prod']} \\(name and tags unavailable: DeadlineExceeded: organizations:DescribeAccount did not finish within \\d+ ms\\)$`));
    } finally {
      await silent.close();
    }
  });

  test('SNS hanging: the invocation fails within its deadline (Lambda retries it, then the dead-letter queue), and the retry is delivered, not held back', async () => {
    const silent = await silentServer();
    const event = detection({ principal: 'arn:aws:iam::111111111111:user/hang-sns', severity: 'LOW' });
    try {
      const hanging = entryPoint({ AWS_ENDPOINT_URL_SNS: silent.endpoint });
      const started = Date.now();
      await expect(hanging(event, lambdaContext(9_000))).rejects.toThrow(/DeadlineExceeded|sns:Publish did not finish within/);
      const took = Date.now() - started;
      expect(took).toBeLessThan(9_000);
      expect(took).toBeGreaterThan(3_000);
    } finally {
      await silent.close();
    }
    const healthy = entryPoint({});
    expect((await healthy(event, lambdaContext(30_000))).outcome).toBe('delivered');
    expect(await delivered('LOW')).toHaveLength(1);
  });

  test('DynamoDB hanging: throttling is given up for this alert, which is delivered and says so', async () => {
    const silent = await silentServer();
    try {
      const handler = entryPoint({ AWS_ENDPOINT_URL_DYNAMODB: silent.endpoint });
      const result = await handler(detection({ principal: 'arn:aws:iam::111111111111:user/hang-ddb', severity: 'LOW' }), lambdaContext(30_000));
      expect(result.outcome).toBe('delivered');
      const [m] = await delivered('LOW');
      expect(m.Message).toMatch(/^Repeats: not held back \(throttling unavailable: DeadlineExceeded: dynamodb:UpdateItem \(claim\) did not finish within \d+ ms\)\.$/m);
    } finally {
      await silent.close();
    }
  });

  test('INFORMATIONAL goes to the LOW topic; with chat delivery, queues still get the text', async () => {
    const r = relay({ config: config({ CHAT_FORMAT: 'true' }), organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await r.handle(detection({ severity: 'INFORMATIONAL' }));
    const [m] = await delivered('LOW');
    expect(m.Message.split('\n')[1]).toMatch(/^Account: payments-prod/);
  });

  test('the Lambda entry point builds its clients from the environment (the runtime\'s SDK, AWS_ENDPOINT_URL here)', async () => {
    const handler = entryPoint({ ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::123456789012:role/CisAlertRelayOrganizationsRead' });
    const result = await handler(detection({ principal: `arn:aws:iam::111111111111:user/entry-${Date.now()}`, severity: 'CRITICAL' }), lambdaContext(30_000));
    expect(result.outcome).toBe('delivered');
    const [m] = await delivered('CRITICAL');
    expect(m.Message.split('\n')[1]).toMatch(/^Account: payments-prod .*Environment=prod/);
  });

  const envelope = { account: '222222222222', region: 'us-east-1', time: '2026-12-01T10:00:00Z', id: 'e-1' };
  test.each([
    [null, /expects the object its rules send/],
    [[], /expects the object its rules send/],
    [{ kind: 'page', severity: 'HIGH' }, /kind must be one of alarm, detection, got "page"/],
    [{ kind: 'alarm', severity: 'URGENT' }, /severity must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, got "URGENT"/],
    [{ kind: 'alarm', severity: 'HIGH', ...envelope, account: 'me' }, /account must be a 12-digit account id \(EventBridge sets it on every event\), got "me"/],
    [{ kind: 'alarm', severity: 'HIGH', ...envelope, region: 'Mars\n' }, /region must be a Region name .* got "Mars\\\\n"/],
    [{ kind: 'alarm', severity: 'HIGH', ...envelope, id: undefined }, /id must be an event id/],
    [{ kind: 'alarm', severity: 'HIGH', ...envelope, time: 'yesterday' }, /time must be an ISO 8601 UTC time/],
    [{ kind: 'detection', severity: 'HIGH', ...envelope, control: 'x") || true' }, /control must be the key of a CIS control/],
  ])('bad input %j is refused whole (to the dead-letter queue) and publishes nothing', async (input, message) => {
    await expect(relay().handle(input)).rejects.toThrow(message);
    for (const s of SEVERITIES) expect(await delivered(s)).toEqual([]);
  });

  test('a configuration error names the variable', async () => {
    expect(() => relayModule.configFromEnv({ THROTTLE_WINDOW_SECONDS: '15m' })).toThrow(/THROTTLE_WINDOW_SECONDS must be a whole number of seconds .* got "15m"/);
    await expect(relay({ config: { ...config(), topics: {} } }).handle(detection({ principal: 'arn:aws:iam::111111111111:user/no-topic' }))).rejects.toThrow(/No topic is configured for severity HIGH \(environment variable TOPIC_HIGH\)/);
    // Refused before its window was taken: the same alert, once configured, is delivered.
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    expect((await r.handle(detection({ principal: 'arn:aws:iam::111111111111:user/no-topic' }))).outcome).toBe('delivered');
  });

  test('a table deleted after the fact is reported the same way (the relay never caches its existence)', async () => {
    const ddb = client(DynamoDBClient, security);
    const t = synthesized.table;
    await ddb.send(new CreateTableCommand({ TableName: 'short-lived', KeySchema: t.KeySchema, AttributeDefinitions: t.AttributeDefinitions, BillingMode: t.BillingMode }));
    const r = relay({ config: config({ THROTTLE_TABLE: 'short-lived' }), organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    expect((await r.handle(detection({ severity: 'MEDIUM' }))).outcome).toBe('delivered');
    expect((await r.handle(detection({ severity: 'MEDIUM' }))).outcome).toBe('held-back');
    await ddb.send(new DeleteTableCommand({ TableName: 'short-lived' }));
    expect((await r.handle(detection({ severity: 'MEDIUM' }))).outcome).toBe('delivered');
    const messages = await delivered('MEDIUM');
    expect(messages).toHaveLength(2);
    expect(messages[1].Message).toMatch(/throttling unavailable: ResourceNotFoundException/);
  });
});

describe('message formatting (no AWS): every printed field is hostile input', () => {
  const envelope = { account: '333333333333', region: 'eu-west-1', time: '2026-12-01T10:00:00Z', id: 'b7a1c2d3-0000-4000-8000-000000000001' };
  const account = { name: 'payments-prod', tags: [{ key: 'Environment', value: 'prod' }, { key: 'Owner', value: 'payments' }] };
  const claim = { deliver: true, windowEnds: 1_800_000_000 };
  const config = { windowSeconds: 900, chat: true };
  const benignDetection = () => ({
    kind: 'detection',
    severity: 'HIGH',
    control: 'iam-policy-changes',
    ...envelope,
    headline: '[HIGH] CIS 5.4 Ensure IAM policy changes are monitored (CIS v7.0.0, control iam-policy-changes)',
    detail: {
      eventTime: '2026-12-01T09:59:58Z',
      eventSource: 'iam.amazonaws.com',
      eventName: 'PutRolePolicy',
      sourceIPAddress: '203.0.113.7',
      recipientAccountId: envelope.account,
      eventID: 'c0ffee00',
      errorCode: 'AccessDenied',
      errorMessage: 'not authorized',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::333333333333:assumed-role/Admin/alice' },
    },
  });
  const benignAlarm = () => ({
    kind: 'alarm',
    severity: 'CRITICAL',
    ...envelope,
    detail: { alarmName: 'CisMonitoringMember-Cis-root-account-usage', state: { value: 'ALARM', reason: 'Threshold Crossed' } },
  });
  const HOSTILE: Array<[string, unknown]> = [
    ['a line break with a fake account line', 'x\nAccount: evil (123456789012), tags: Environment=prod\r\nWho: nobody'],
    ['300 KB of quotes', '"'.repeat(300_000)],
    ['300 KB of backslashes', '\\'.repeat(300_000)],
    ['bidirectional overrides and zero-width characters', 'safe\u202Eevil\u2066x\u200By\u2028z\u0000\u0085'],
    ['other format characters: Arabic letter mark, soft hyphen, invisible tags', 'a\u061Cb\u00ADc\u180Ed\uFFF9e\u{E0041}\u{E0042}\u{E007F}f'],
    ['markdown, links and mentions', '[click](https://evil.example/login) <!here> <@U0123> @channel `x` *b* _i_ ~s~ &lt;!channel&gt; <https://evil.example|ok>'],
    ['an object', { nested: { deep: ['array', 1, null, '\n'] } }],
    ['a number', 12345],
    ['null', null],
  ];
  const DETECTION_FIELDS: Array<[string, (e: any, v: unknown) => void]> = [
    ['headline', (e, v) => { e.headline = v; }],
    ['userIdentity.arn', (e, v) => { e.detail.userIdentity.arn = v; }],
    ['userIdentity.type', (e, v) => { e.detail.userIdentity.type = v; }],
    ['userIdentity', (e, v) => { e.detail.userIdentity = v; }],
    ['eventName', (e, v) => { e.detail.eventName = v; }],
    ['eventSource', (e, v) => { e.detail.eventSource = v; }],
    ['eventTime', (e, v) => { e.detail.eventTime = v; }],
    ['sourceIPAddress', (e, v) => { e.detail.sourceIPAddress = v; }],
    ['errorCode', (e, v) => { e.detail.errorCode = v; }],
    ['errorMessage', (e, v) => { e.detail.errorMessage = v; }],
    ['eventID', (e, v) => { e.detail.eventID = v; }],
    ['recipientAccountId', (e, v) => { e.detail.recipientAccountId = v; }],
    ['detail', (e, v) => { e.detail = v; }],
  ];
  const ALARM_FIELDS: Array<[string, (e: any, v: unknown) => void]> = [
    ['alarmName', (e, v) => { e.detail.alarmName = v; }],
    ['state.reason', (e, v) => { e.detail.state.reason = v; }],
    ['state.value', (e, v) => { e.detail.state.value = v; }],
  ];
  const ACCOUNT_FIELDS: Array<[string, (a: any, v: unknown) => void]> = [
    ['account name', (a, v) => { a.name = v; }],
    ['tag key', (a, v) => { a.tags[0].key = v; }],
    ['tag value', (a, v) => { a.tags[0].value = v; }],
  ];

  /** What must hold whatever the input. */
  function expectInert(alert: any, acct: any) {
    const text = relayModule.formatMessage(alert, acct, claim, 900);
    const request = relayModule.publishRequest('arn:aws:sns:eu-west-1:222222222222:t', alert, acct, claim, config);
    const plain = relayModule.publishRequest('arn:aws:sns:eu-west-1:222222222222:t', alert, acct, claim, { ...config, chat: false });
    for (const r of [request, plain]) expect(Buffer.byteLength(r.Message, 'utf8')).toBeLessThanOrEqual(relayModule.MAX_MESSAGE_BYTES);
    expect(request.Subject).toMatch(/^[\x20-\x7E]{1,99}$/);
    const lines = text.text.split('\n');
    const expectedLines = alert.kind === 'detection' ? (alert.claimedAccount ? 11 : 10) : 6;
    expect(lines).toHaveLength(expectedLines);
    expect(lines.filter((l: string) => l.startsWith('Account:'))).toEqual([lines[1]]);
    // no control, format or separator character but the line breaks between the message's own lines
    expect(text.text.replace(/\n/g, '')).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
    const chat = JSON.parse(JSON.parse(request.Message).https).content;
    expect(chat.description.split('\n')).toHaveLength(expectedLines);
    // Outside code spans: no markup, link or mention syntax at all; inside: nothing Slack parses there either (<...>, &, @, ://).
    for (const t of [chat.title, chat.description]) {
      const spans: string[] = t.match(/`[^`]*`/g) ?? [];
      expect(t.replace(/`[^`]*`/g, '')).not.toMatch(/[<>&@`*_~]|:\/\/|\]\(/);
      for (const span of spans) expect(span.slice(1, -1)).not.toMatch(/[<>&@]|:\/\//);
    }
  }

  test.each([['emoji', '\u{1F600}'], ['quotes', '"'], ['lone surrogates', '\ud800'], ['control characters', '\u0001']])(
    'the worst message: every field at its cap in %s, 50 tags, chat on, stays under SNS\'s limit; 10 tags are shown', (_what, c) => {
      const huge = c.repeat(300_000);
      const alert = relayModule.readInput({
        ...benignDetection(),
        headline: huge,
        detail: {
          userIdentity: { arn: huge, type: huge },
          eventSource: huge,
          eventName: huge,
          errorCode: huge,
          errorMessage: huge,
          sourceIPAddress: huge,
          eventID: huge,
          eventTime: huge,
          recipientAccountId: huge,
        },
      });
      const tags = Array.from({ length: 50 }, (_, i) => ({ key: `${c.repeat(127)}${i}`, value: c.repeat(256) }));
      const acct = { name: c.repeat(128), tags };
      const worstClaim = { deliver: true, error: c.repeat(300_000) };
      for (const chat of [true, false]) {
        const request = relayModule.publishRequest('arn:aws:sns:eu-west-1:222222222222:t', alert, acct, worstClaim, { ...config, chat });
        expect(Buffer.byteLength(request.Message, 'utf8')).toBeLessThanOrEqual(relayModule.MAX_MESSAGE_BYTES);
      }
      expect(relayModule.formatMessage(alert, acct, worstClaim, 900).text).toContain(' and 40 more');
    });

  describe.each(HOSTILE)('%s', (_what, value) => {
    test.each(DETECTION_FIELDS)('in the detection field %s', (_field, set) => {
      const input = benignDetection();
      set(input, value);
      let alert: any;
      try {
        alert = relayModule.readInput(input);
      } catch (e) {
        // Only the rule's own fields may be refused (they never come from the event).
        throw new Error(`refused: ${(e as Error).message}`);
      }
      expectInert(alert, account);
    });
    test.each(ALARM_FIELDS)('in the alarm field %s', (_field, set) => {
      const input = benignAlarm();
      set(input, value);
      expectInert(relayModule.readInput(input), account);
    });
    test.each(ACCOUNT_FIELDS)('in the Organizations %s', (_field, set) => {
      const acct = JSON.parse(JSON.stringify(account));
      set(acct, value);
      expectInert(relayModule.readInput(benignDetection()), acct);
    });
  });

  test('a long field is cut with a visible marker; a line break is shown escaped on its own line', () => {
    const input = benignDetection();
    input.detail.errorMessage = `${'e'.repeat(5000)}`;
    input.detail.eventName = 'Put\nRolePolicy';
    const m = relayModule.formatMessage(relayModule.readInput(input), account, claim, 900);
    expect(m.text).toMatch(/^Outcome: AccessDenied e+ \[cut: \d+ more characters\]$/m);
    expect(m.text).toContain('What: Put\\nRolePolicy on iam.amazonaws.com');
  });

  test('invisible and reordering characters are shown as escapes a reader can see, beyond the BMP too', () => {
    const input = benignDetection();
    input.detail.eventName = 'Put\u061CRole\u00ADPolicy\u{E0041}\u202E';
    const m = relayModule.formatMessage(relayModule.readInput(input), account, claim, 900);
    expect(m.text).toContain('What: Put\\u061cRole\\u00adPolicy\\u{e0041}\\u202e on iam.amazonaws.com');
  });

  test('subjects are printable ASCII shorter than 100 characters', () => {
    const input = { ...benignDetection(), headline: `[HIGH] ${'x'.repeat(200)}` };
    const m = relayModule.formatMessage(relayModule.readInput(input), { name: 'Zahlungen – Produktion\n', tags: [] }, { deliver: true }, 900);
    expect(m.subject.length).toBeLessThanOrEqual(99);
    expect(m.subject).toMatch(/^\[HIGH\] Zahlungen \? Produktion\\n: x+\.\.\.$/);
  });

  test('a detection without a principal or error still reads, and is keyed by the envelope account', () => {
    const alert = relayModule.readInput({ kind: 'detection', severity: 'LOW', control: 'vpc-changes', ...envelope, detail: { eventName: 'X', eventSource: 's' } });
    expect(alert.throttleKey).toEqual(['detection', envelope.account, 'vpc-changes', 'unknown principal', 's:X', 'success']);
    expect(relayModule.formatMessage(alert, undefined, { deliver: true }, 60).text).toContain(`Account: ${envelope.account}`);
  });

  test('Duration of the construct is what the relay counts in', () => {
    const { env } = synthesizedRelay({ throttleWindow: Duration.hours(2) });
    expect(relayModule.configFromEnv(Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string'))).windowSeconds).toBe(7200);
  });
});
