'use strict';
/**
 * The heartbeat monitor of `CisSecurityAccount` (a dead man's switch): an AWS
 * Lambda handler with two inputs.
 *
 * - `{ kind: 'heartbeat', account, region, time, id }`: a member account's
 *   scheduled heartbeat arrived on the bus, through the very path its alarms
 *   and detections take (the member's rule, role and cross-account target).
 *   The last heartbeat per account and Region is recorded in a DynamoDB table.
 *   The account is the event's envelope `account`, which EventBridge sets: a
 *   member can only ever speak for itself.
 * - `{ kind: 'check' }` (on a schedule): the accounts the rollout deploys to
 *   are resolved through AWS Organizations (organizational units, recursively,
 *   narrowed by account ids as the StackSet does; the management account and
 *   suspended accounts excluded); every one of them that has been silent in
 *   this Region for longer than the bound is reported in one message to the
 *   alert topic (CRITICAL), again once per bound while it stays silent, and
 *   reported as resumed when its heartbeat is back. A new account is given
 *   one bound from when it is first expected.
 *
 * With `memberTopicSubscriptions` (MEMBER_TOPIC_ARN, SUBSCRIPTION_QUEUE_ARN),
 * a member's heartbeat also makes sure this account's queue is subscribed to
 * the member's alarm topic: on its first heartbeat, again once a day, and on
 * every heartbeat while subscribing fails. The queue's owner subscribes, so
 * SNS confirms the subscription at once (Security Hub counts only confirmed
 * subscribers). A failure (the member's topic missing, its policy refusing)
 * is recorded, reported by the next check (once a day per account), and
 * retried.
 *
 * The message goes straight to the topic: it does not depend on the alert
 * relay. A failure throws: the function's error alarm reports it.
 */
const {
  callUntil, describeError, inert, ascii, chatValue, chatPlain, organizationsAccess, allPages, defaultClients, readEnvelope, logLine,
} = require('./common');

/** Kept free of the Lambda's remaining time, for the runtime to report the result. */
const SAFETY_MS = 5_000;
/** A check's own budget (the function timeout is 5 minutes). */
const BUDGET_MS = 240_000;
/** Targets listed by name in one message; the rest are counted. */
const MAX_LISTED = 100;
const FILTERS = ['INTERSECTION', 'DIFFERENCE', 'UNION'];
const OU_OR_ROOT = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
/** A subscription is made again after this long (it may have been deleted), and a failing one reported at most this often. */
const RESUBSCRIBE_SECONDS = 24 * 3600;
const TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\{account\}:[A-Za-z0-9_-]{1,256}$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/;
const ACCOUNT_ID = /^\d{12}$/;

/** Reads the monitor's configuration from its environment (set by `CisSecurityAccount`). */
function configFromEnv(env) {
  const silenceAfterSeconds = Number(env.SILENCE_AFTER_SECONDS);
  if (!Number.isInteger(silenceAfterSeconds) || silenceAfterSeconds <= 0) {
    throw new Error(`SILENCE_AFTER_SECONDS must be a positive whole number of seconds, got "${env.SILENCE_AFTER_SECONDS}".`);
  }
  let targets;
  try {
    targets = JSON.parse(env.EXPECTED_TARGETS || '');
  } catch (e) {
    throw new Error(`EXPECTED_TARGETS must be JSON ({"organizationalUnitIds": [...], "accountIds": [...], "accountFilter": "..."}), got "${env.EXPECTED_TARGETS}".`);
  }
  const ous = targets && targets.organizationalUnitIds;
  if (!Array.isArray(ous) || ous.length === 0 || !ous.every(o => typeof o === 'string' && OU_OR_ROOT.test(o))) {
    throw new Error(`EXPECTED_TARGETS.organizationalUnitIds must list organizational unit or root ids, got ${JSON.stringify(ous)}.`);
  }
  const accountIds = targets.accountIds || [];
  if (!Array.isArray(accountIds) || !accountIds.every(a => typeof a === 'string' && ACCOUNT_ID.test(a))) {
    throw new Error(`EXPECTED_TARGETS.accountIds must list 12-digit account ids, got ${JSON.stringify(accountIds)}.`);
  }
  const accountFilter = targets.accountFilter || (accountIds.length ? 'INTERSECTION' : undefined);
  if (accountFilter !== undefined && !FILTERS.includes(accountFilter)) {
    throw new Error(`EXPECTED_TARGETS.accountFilter must be one of ${FILTERS.join(', ')}, got ${JSON.stringify(accountFilter)}.`);
  }
  let subscription;
  if (env.MEMBER_TOPIC_ARN || env.SUBSCRIPTION_QUEUE_ARN) {
    if (!TOPIC_ARN_PATTERN.test(env.MEMBER_TOPIC_ARN || '')) {
      throw new Error(`MEMBER_TOPIC_ARN must be a topic ARN with {account} for the member's account id, got "${env.MEMBER_TOPIC_ARN}".`);
    }
    if (!QUEUE_ARN.test(env.SUBSCRIPTION_QUEUE_ARN || '')) {
      throw new Error(`SUBSCRIPTION_QUEUE_ARN must be the ARN of this account's queue, got "${env.SUBSCRIPTION_QUEUE_ARN}".`);
    }
    subscription = { topicArn: env.MEMBER_TOPIC_ARN, queueArn: env.SUBSCRIPTION_QUEUE_ARN };
  }
  if (!env.HEARTBEAT_TABLE) throw new Error('HEARTBEAT_TABLE must name the heartbeat table.');
  if (!env.ALERT_TOPIC) throw new Error('ALERT_TOPIC must be the ARN of the topic silent members are reported to.');
  return {
    table: env.HEARTBEAT_TABLE,
    topicArn: env.ALERT_TOPIC,
    region: env.AWS_REGION,
    silenceAfterSeconds,
    organizationalUnitIds: ous,
    accountIds,
    accountFilter,
    organizationsRoleArn: env.ORGANIZATIONS_ROLE_ARN || undefined,
    chat: env.CHAT_FORMAT === 'true',
    subscription,
  };
}

/**
 * A monitor with its clients and clock (the tests give moto's clients and their own clock).
 *
 * @param {object} deps { config, clients: { sns, dynamodb, sts, organizations(credentials) }, now(): Date, log(line), budgetMs }
 */
function createHeartbeatMonitor(deps) {
  const { config, clients } = deps;
  const now = deps.now || (() => new Date());
  const log = deps.log || (line => console.log(line));
  const budgetMs = deps.budgetMs || BUDGET_MS;
  const { PublishCommand, SubscribeCommand } = require('@aws-sdk/client-sns');
  const { UpdateItemCommand, ScanCommand, PutItemCommand } = require('@aws-sdk/client-dynamodb');
  const {
    DescribeOrganizationCommand, ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand,
  } = require('@aws-sdk/client-organizations');
  const organizations = organizationsAccess(clients, config.organizationsRoleArn, now, 'cis-heartbeat-monitor');

  /** The accounts the rollout deploys to: the organizational units' accounts, as narrowed by the StackSet's account filter. */
  async function expectedAccounts(until) {
    const org = await organizations(until);
    const described = await callUntil(org, new DescribeOrganizationCommand({}), until, 'organizations:DescribeOrganization');
    const management = described.Organization && described.Organization.MasterAccountId;
    const found = new Map();
    const queue = [...config.organizationalUnitIds];
    const visited = new Set();
    while (queue.length > 0) {
      const parent = queue.shift();
      if (visited.has(parent)) continue;
      visited.add(parent);
      const accountPages = await allPages(token => callUntil(org, new ListAccountsForParentCommand({ ParentId: parent, NextToken: token }), until,
        'organizations:ListAccountsForParent'), `ListAccountsForParent(${parent})`);
      for (const a of accountPages.flatMap(p => p.Accounts || [])) {
        // Suspended and closing accounts deploy nothing and send nothing.
        const state = a.State || a.Status;
        if (state && state !== 'ACTIVE') continue;
        found.set(a.Id, a.Name);
      }
      const ouPages = await allPages(token => callUntil(org, new ListOrganizationalUnitsForParentCommand({ ParentId: parent, NextToken: token }), until,
        'organizations:ListOrganizationalUnitsForParent'), `ListOrganizationalUnitsForParent(${parent})`);
      for (const ou of ouPages.flatMap(p => p.OrganizationalUnits || [])) queue.push(ou.Id);
    }
    let ids = [...found.keys()];
    const listed = new Set(config.accountIds);
    if (config.accountFilter === 'INTERSECTION') ids = ids.filter(id => listed.has(id));
    else if (config.accountFilter === 'DIFFERENCE') ids = ids.filter(id => !listed.has(id));
    else if (config.accountFilter === 'UNION') ids = [...new Set([...ids, ...config.accountIds])];
    // Service-managed StackSets never deploy to the management account.
    return ids.filter(id => id !== management).sort().map(id => ({ account: id, name: found.get(id) }));
  }

  async function records(until) {
    const out = new Map();
    let key;
    const seen = new Set();
    for (let page = 0; ; page++) {
      const r = await callUntil(clients.dynamodb, new ScanCommand({ TableName: config.table, ExclusiveStartKey: key, ConsistentRead: true }), until, 'dynamodb:Scan');
      for (const item of r.Items || []) out.set(item.pk.S, item);
      key = r.LastEvaluatedKey;
      if (!key) return out;
      const k = JSON.stringify(key);
      if (seen.has(k) || page > 100000) throw new Error('Scan of the heartbeat table returned a start key it had already returned');
      seen.add(k);
    }
  }

  /** Runs `fn` over `items`, `limit` at a time. */
  async function eachLimited(items, limit, fn) {
    let next = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    });
    await Promise.all(workers);
  }

  function message(kind, targets, region) {
    const n = targets.length;
    const plural = n === 1 ? 'member target' : 'member targets';
    const bound = minutes(config.silenceAfterSeconds);
    const lines = [];
    let subject;
    if (kind === 'silent') {
      subject = `[CRITICAL] CIS alert forwarding silent: ${n} ${plural} in ${region}`;
      lines.push([`[CRITICAL] No heartbeat for longer than ${bound} from ${n} ${plural} in ${region}: their CIS alarms and detections may not reach this account.`]);
    } else if (kind === 'unsubscribed') {
      subject = `[HIGH] CIS member topic subscription failing: ${n} ${plural} in ${region}`;
      lines.push([`[HIGH] This account's queue could not subscribe to the alarm topic of ${n} ${plural} in ${region}: Security Hub fails their CloudWatch controls until a confirmed subscriber exists. Retried on every heartbeat; reported again in a day while it fails.`]);
    } else {
      subject = `[RESOLVED] CIS alert forwarding resumed: ${n} ${plural} in ${region}`;
      lines.push([`[RESOLVED] Heartbeats are arriving again from ${n} ${plural} in ${region}.`]);
    }
    for (const t of targets.slice(0, MAX_LISTED)) {
      const name = t.name ? [{ v: inert(t.name, 128) }, ` (${t.account})`] : [t.account];
      const last = t.lastSeen ? iso(t.lastSeen) : 'never';
      if (kind === 'unsubscribed') {
        lines.push(['Account: ', ...name, `, region ${region}: `, { v: inert(t.error, 300) }]);
        continue;
      }
      lines.push(kind === 'silent'
        ? ['Account: ', ...name, `, region ${region}: last heartbeat ${last}${t.lastSeen ? '' : ` (expected since ${iso(t.since)})`}${t.reminder ? ', still silent' : ''}`]
        : ['Account: ', ...name, `, region ${region}: heartbeat at ${last}`]);
    }
    if (n > MAX_LISTED) lines.push([`... and ${n - MAX_LISTED} more (table ${config.table}).`]);
    if (kind === 'unsubscribed') {
      lines.push(['What to check: the member\'s stack instance of the CIS StackSet in this Region (securityAccountSubscription and',
        ' memberTopicName of the rollout: the topic ', { v: config.subscription ? config.subscription.topicArn.replace('{account}', '<account>') : '' }, ' must exist and its policy must let this',
        ' account subscribe), and memberTopicSubscriptions.memberTopicName of CisSecurityAccount.']);
    }
    if (kind === 'silent') {
      lines.push(['What to check: the member\'s stack instance of the CIS StackSet in this Region (deleted, failed, drifted), its forwarding',
        ' dead-letter queue and its alarm (<alarm prefix>forward-dead-letters, on the member\'s own topic), securityAccountId and',
        ' securityEventBusName of the rollout, and this account\'s bus policy. Until heartbeats arrive again, this is repeated every ', bound, '.']);
    }
    const text = lines.map(l => l.map(s => (typeof s === 'string' ? s : s.v)).join('')).join('\n');
    if (!config.chat) return { TopicArn: config.topicArn, Subject: ascii(subject).slice(0, 99), Message: text };
    const chat = lines.map(l => l.map(s => (typeof s === 'string' ? chatPlain(s) : chatValue(s.v))).join('')).join('\n');
    const custom = { version: '1.0', source: 'custom', content: { textType: 'client-markdown', title: chatPlain(subject), description: chat } };
    return { TopicArn: config.topicArn, Subject: ascii(subject).slice(0, 99), MessageStructure: 'json', Message: JSON.stringify({ default: text, https: JSON.stringify(custom) }) };
  }

  return {
    /** Records one heartbeat; resolves to what happened. */
    async record(input, context) {
      const until = deadline(context, 10_000);
      const envelope = readEnvelope(input);
      const t = Math.min(Math.floor(Date.parse(envelope.time) / 1000), Math.floor(now().getTime() / 1000));
      const pk = `${envelope.account}#${envelope.region}`;
      let item;
      let notNewer = false;
      try {
        const updated = await callUntil(clients.dynamodb, new UpdateItemCommand({
          TableName: config.table,
          Key: { pk: { S: pk } },
          UpdateExpression: 'SET lastSeen = :t, account = :a, #region = :r',
          ConditionExpression: 'attribute_not_exists(lastSeen) OR lastSeen < :t',
          ExpressionAttributeNames: { '#region': 'region' },
          ExpressionAttributeValues: { ':t': { N: String(t) }, ':a': { S: envelope.account }, ':r': { S: envelope.region } },
          ReturnValues: 'ALL_NEW',
        }), until, 'dynamodb:UpdateItem (heartbeat)');
        item = updated.Attributes;
      } catch (e) {
        // Not newer than the one recorded (a retry, or events out of order): nothing to do, and the log says so.
        if (e.name !== 'ConditionalCheckFailedException') throw e;
        notNewer = true;
      }
      const result = { outcome: notNewer ? 'not-newer-than-recorded' : 'recorded', account: envelope.account, region: envelope.region, at: iso(t) };
      // The bus is regional: a heartbeat of this Region's members only, and the topic is in this Region.
      if (item && config.subscription && envelope.region === config.region) {
        const subscribedAt = item.subscribedAt ? Number(item.subscribedAt.N) : undefined;
        if (subscribedAt === undefined || item.subscribeError || t - subscribedAt >= RESUBSCRIBE_SECONDS) {
          result.subscription = await subscribe(pk, envelope.account, t, until);
        }
      }
      logLine(log, result);
      return result;
    },

    /** Compares the expected targets with the heartbeats; reports the silent and the resumed ones. */
    async check(context) {
      const until = deadline(context, budgetMs);
      const region = config.region;
      const t = Math.floor(now().getTime() / 1000);
      const bound = config.silenceAfterSeconds;
      const expected = await expectedAccounts(until);
      const seen = await records(until);
      const silent = [];
      const resumed = [];
      const unsubscribed = [];
      const fresh = [];
      for (const target of expected) {
        const pk = `${target.account}#${region}`;
        const item = seen.get(pk);
        if (!item) {
          fresh.push(pk);
          continue;
        }
        const lastSeen = item.lastSeen ? Number(item.lastSeen.N) : undefined;
        const since = lastSeen ?? (item.firstExpected ? Number(item.firstExpected.N) : t);
        const alertedAt = item.alertedAt ? Number(item.alertedAt.N) : undefined;
        if (config.subscription && item.subscribeError) {
          const reportedAt = item.subscribeReportedAt ? Number(item.subscribeReportedAt.N) : undefined;
          if (reportedAt === undefined || t - reportedAt >= RESUBSCRIBE_SECONDS) unsubscribed.push({ ...target, pk, error: item.subscribeError.S });
        }
        if (t - since > bound) {
          if (alertedAt === undefined || t - alertedAt >= bound) silent.push({ ...target, pk, lastSeen, since, reminder: alertedAt !== undefined });
        } else if (alertedAt !== undefined) {
          resumed.push({ ...target, pk, lastSeen });
        }
      }
      // A target first expected now gets one bound to send its first heartbeat.
      await eachLimited(fresh, 16, pk => callUntil(clients.dynamodb, new PutItemCommand({
        TableName: config.table,
        Item: { pk: { S: pk }, firstExpected: { N: String(t) } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }), until, 'dynamodb:PutItem (expected)').catch(e => {
        if (e.name !== 'ConditionalCheckFailedException') throw e;
      }));
      for (const [kind, targets] of [['silent', silent], ['resumed', resumed]]) {
        if (targets.length === 0) continue;
        await callUntil(clients.sns, new PublishCommand(message(kind, targets, region)), until, 'sns:Publish');
        await eachLimited(targets, 16, target => callUntil(clients.dynamodb, new UpdateItemCommand({
          TableName: config.table,
          Key: { pk: { S: target.pk } },
          UpdateExpression: kind === 'silent' ? 'SET alertedAt = :t' : 'REMOVE alertedAt',
          ...(kind === 'silent' ? { ExpressionAttributeValues: { ':t': { N: String(t) } } } : {}),
        }), until, 'dynamodb:UpdateItem (alerted)'));
      }
      if (unsubscribed.length > 0) {
        await callUntil(clients.sns, new PublishCommand(message('unsubscribed', unsubscribed, region)), until, 'sns:Publish');
        await eachLimited(unsubscribed, 16, target => callUntil(clients.dynamodb, new UpdateItemCommand({
          TableName: config.table,
          Key: { pk: { S: target.pk } },
          UpdateExpression: 'SET subscribeReportedAt = :t',
          ExpressionAttributeValues: { ':t': { N: String(t) } },
        }), until, 'dynamodb:UpdateItem (subscription reported)'));
      }
      const result = {
        outcome: 'checked', region, expected: expected.length, firstExpected: fresh.length,
        silent: silent.map(s => s.account), resumed: resumed.map(s => s.account),
        ...(config.subscription ? { subscriptionFailing: unsubscribed.map(s => s.account) } : {}),
      };
      logLine(log, result);
      return result;
    },
  };

  /**
   * Subscribes this account's queue to the member's topic (the queue's owner
   * subscribes: SNS confirms at once) and records the outcome. A failure is
   * recorded, not thrown: the heartbeat itself was recorded, and the next
   * heartbeat retries.
   */
  async function subscribe(pk, account, t, until) {
    const topicArn = config.subscription.topicArn.replace('{account}', account);
    try {
      const r = await callUntil(clients.sns, new SubscribeCommand({
        TopicArn: topicArn, Protocol: 'sqs', Endpoint: config.subscription.queueArn, ReturnSubscriptionArn: true,
      }), until, 'sns:Subscribe');
      await callUntil(clients.dynamodb, new UpdateItemCommand({
        TableName: config.table,
        Key: { pk: { S: pk } },
        UpdateExpression: 'SET subscribedAt = :t, subscriptionArn = :s REMOVE subscribeError, subscribeReportedAt',
        ExpressionAttributeValues: { ':t': { N: String(t) }, ':s': { S: String(r.SubscriptionArn) } },
      }), until, 'dynamodb:UpdateItem (subscribed)');
      return { outcome: 'subscribed', topicArn, subscriptionArn: String(r.SubscriptionArn) };
    } catch (e) {
      const error = `sns:Subscribe to ${topicArn} failed: ${describeError(e)}`;
      await callUntil(clients.dynamodb, new UpdateItemCommand({
        TableName: config.table,
        Key: { pk: { S: pk } },
        UpdateExpression: 'SET subscribeError = :e',
        ExpressionAttributeValues: { ':e': { S: error.slice(0, 1000) } },
      }), until, 'dynamodb:UpdateItem (subscription failed)');
      return { outcome: 'subscription-failed', topicArn, error };
    }
  }

  function deadline(context, budget) {
    const remaining = context && typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - SAFETY_MS : Infinity;
    return Date.now() + Math.min(budget, remaining);
  }
}

function minutes(seconds) {
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`;
}

function iso(seconds) {
  return new Date(seconds * 1000).toISOString();
}

let monitor;

/** The Lambda entry point: `{ kind: 'heartbeat', ... }` from the bus, `{ kind: 'check' }` from the schedule. */
exports.handler = async (event, context) => {
  if (!monitor) {
    const config = configFromEnv(process.env);
    monitor = createHeartbeatMonitor({ config, clients: defaultClients(process.env.AWS_REGION) });
  }
  const kind = event && typeof event === 'object' ? event.kind : undefined;
  if (kind === 'heartbeat') return monitor.record(event, context);
  if (kind === 'check') return monitor.check(context);
  throw new Error(`The heartbeat monitor expects { kind: 'heartbeat', account, region, time, id } or { kind: 'check' }, got ${inert(event, 200)}.`);
};

exports.createHeartbeatMonitor = createHeartbeatMonitor;
exports.configFromEnv = configFromEnv;
