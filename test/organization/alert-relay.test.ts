/**
 * The security account's alert relay (src/organization/relay-handler/index.js,
 * the very file that is the Lambda asset) against moto: Organizations with
 * tagged member accounts, the DynamoDB table as the construct defines it, the
 * severity topics with an SQS queue subscribed to each. The relay's
 * configuration is the environment the construct gives the function, with
 * each Ref replaced by the moto resource it names.
 */
import * as path from 'path';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
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

  interface DetectionOverrides { account?: string; principal?: string; errorCode?: string; eventName?: string; severity?: string; control?: string }
  function detection(overrides: DetectionOverrides = {}) {
    return {
      kind: 'detection',
      severity: overrides.severity ?? 'HIGH',
      headline: `[${overrides.severity ?? 'HIGH'}] CIS 5.4 Ensure IAM policy changes are monitored (CIS v7.0.0, control iam-policy-changes)`,
      control: overrides.control ?? 'iam-policy-changes',
      account: '222222222222',
      region: REGION,
      time: '2026-12-01T10:00:00Z',
      id: 'e1',
      detail: {
        eventVersion: '1.09',
        eventTime: '2026-12-01T09:59:58Z',
        eventSource: 'iam.amazonaws.com',
        eventName: overrides.eventName ?? 'PutRolePolicy',
        awsRegion: REGION,
        sourceIPAddress: '203.0.113.7',
        recipientAccountId: overrides.account ?? accounts['payments-prod'],
        eventID: 'c0ffee00-0000-4000-8000-000000000001',
        userIdentity: { type: 'AssumedRole', arn: overrides.principal ?? 'arn:aws:sts::111111111111:assumed-role/Admin/alice' },
        ...(overrides.errorCode ? { errorCode: overrides.errorCode, errorMessage: 'User is not authorized' } : {}),
      },
    };
  }

  function alarm(name = 'CisMonitoringMember-Cis-RootAccountUsageAlarm', account = accounts['sandbox-1']) {
    return {
      kind: 'alarm',
      severity: 'CRITICAL',
      account,
      region: 'eu-west-1',
      time: '2026-12-01T10:00:00Z',
      id: 'a1',
      detail: { alarmName: name, state: { value: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).' } },
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

  test('through organizationsRoleArn: the relay in the security account reads the organization with the assumed role', async () => {
    const r = relay({ config: config({ ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::123456789012:role/CisAlertRelayOrganizationsRead' }) });
    await r.handle(detection({ severity: 'MEDIUM' }));
    const [m] = await delivered('MEDIUM');
    expect(m.Message.split('\n')[1]).toBe(`Account: payments-prod (${accounts['payments-prod']}), tags: Environment=prod, Owner=payments`);
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

  test('a failed publish throws (Lambda retries, then the dead-letter queue) and undoes its throttle record, so the retry is delivered', async () => {
    const broken = relay({ config: config({ TOPIC_HIGH: `${topicArns.HIGH}-missing` }), organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await expect(broken.handle(detection({ principal: 'arn:aws:iam::111111111111:user/retry' }))).rejects.toThrow(/not exist|NotFound/i);
    const r = relay({ organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    expect((await r.handle(detection({ principal: 'arn:aws:iam::111111111111:user/retry' }))).outcome).toBe('delivered');
  });

  test('INFORMATIONAL goes to the LOW topic; with chat delivery, queues still get the text', async () => {
    const r = relay({ config: config({ CHAT_FORMAT: 'true' }), organizations: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await r.handle(detection({ severity: 'INFORMATIONAL' }));
    const [m] = await delivered('LOW');
    expect(m.Message.split('\n')[1]).toMatch(/^Account: payments-prod/);
  });

  test('the Lambda entry point builds its clients from the environment (the runtime\'s SDK, AWS_ENDPOINT_URL here)', async () => {
    const saved = { ...process.env };
    try {
      pointAwsSdkAt(moto.endpoint, security, REGION);
      Object.assign(process.env, {
        ...Object.fromEntries(SEVERITIES.map(s => [`TOPIC_${s}`, topicArns[s]])),
        THROTTLE_TABLE: tableName,
        THROTTLE_WINDOW_SECONDS: '900',
        ENRICH: 'true',
        CHAT_FORMAT: 'false',
        ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::123456789012:role/CisAlertRelayOrganizationsRead',
      });
      let handler: (e: unknown) => Promise<any> = async () => undefined;
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        handler = require(path.resolve(__dirname, '../../src/organization/relay-handler/index.js')).handler;
      });
      const result = await handler(detection({ principal: `arn:aws:iam::111111111111:user/entry-${Date.now()}`, severity: 'CRITICAL' }));
      expect(result.outcome).toBe('delivered');
      const [m] = await delivered('CRITICAL');
      expect(m.Message.split('\n')[1]).toMatch(/^Account: payments-prod .*Environment=prod/);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test.each([
    [null, /expects the object its rules send/],
    [[], /expects the object its rules send/],
    [{ kind: 'page', severity: 'HIGH' }, /kind must be one of alarm, detection, got "page"/],
    [{ kind: 'alarm', severity: 'URGENT' }, /severity must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, got "URGENT"/],
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

describe('message formatting (no AWS)', () => {
  test('subjects are printable ASCII of at most 100 characters', () => {
    const alert = relayModule.readInput({
      kind: 'detection', severity: 'HIGH', headline: `[HIGH] ${'x'.repeat(200)}`, account: '1', detail: { recipientAccountId: '111111111111' },
    });
    const m = relayModule.formatMessage(alert, { name: 'Zahlungen – Produktion\n', tags: [] }, { deliver: true }, 900);
    expect(m.subject.length).toBeLessThanOrEqual(100);
    expect(m.subject).toMatch(/^\[HIGH\] Zahlungen \? Produktion\?: x+\.\.\.$/);
    expect(m.subject).not.toMatch(/[^\x20-\x7E]/);
  });

  test('a detection without a principal or error still reads, and is keyed as such', () => {
    const alert = relayModule.readInput({ kind: 'detection', severity: 'LOW', detail: { eventName: 'X', eventSource: 's' } });
    expect(alert.throttleKey).toEqual(['detection', '', '', 'unknown principal', 's:X', 'success']);
    expect(relayModule.formatMessage(alert, undefined, { deliver: true }, 60).text).toContain('Account: unknown (the event names none)');
  });

  test('Duration of the construct is what the relay counts in', () => {
    const { env } = synthesizedRelay({ throttleWindow: Duration.hours(2) });
    expect(relayModule.configFromEnv(Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string'))).windowSeconds).toBe(7200);
  });
});
