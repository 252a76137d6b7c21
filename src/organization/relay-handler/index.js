'use strict';
/**
 * The alert relay of `CisSecurityAccount`: an AWS Lambda handler (Node.js 22)
 * between the security account's rules and its severity topics. For each
 * member alarm or real-time detection it
 *
 * 1. holds back repeats of the same principal + action + outcome (a detection)
 *    or of the same alarm within a window, in a DynamoDB table, instead of
 *    throttling globally: one noisy principal cannot mute the others;
 * 2. names the member account and its tags (from AWS Organizations), so the
 *    reader knows whether prod or a sandbox is concerned;
 * 3. publishes the message to the topic of its severity.
 *
 * Plain JavaScript on purpose: this very file is the Lambda code asset in the
 * package and in the repository's tests (no build step can make them differ),
 * and it needs nothing but the AWS SDK v3 that the Lambda runtime provides.
 *
 * Nothing is lost: a failure to throttle or to enrich is written into the
 * message, which is still delivered; a failure to publish undoes the throttle
 * record and throws, so Lambda retries and finally keeps the event in the
 * dead-letter queue.
 */
const crypto = require('crypto');

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'];
const KINDS = ['alarm', 'detection'];
/** SNS subject limit. */
const MAX_SUBJECT = 100;
/** Accounts are looked up once per hour per container; failed lookups are retried after a minute. */
const ACCOUNT_CACHE_MS = 60 * 60 * 1000;
const ACCOUNT_ERROR_CACHE_MS = 60 * 1000;
/** A throttle record outlives its window by a week, so the next alert can still report the held-back count. */
const RECORD_RETENTION_SECONDS = 7 * 24 * 3600;
/** Guard against an endpoint that keeps returning a page token. */
const MAX_TAG_PAGES = 20;
/** The tag whose value the subject shows next to the account name (prod, sandbox...). */
const ENVIRONMENT_TAG = /^(env|environment|stage)$/i;
const SDK_TIMEOUTS = { connectionTimeout: 3000, requestTimeout: 5000 };

/** Reads the relay's configuration from its environment (set by `CisSecurityAccount`). */
function configFromEnv(env) {
  const topics = {};
  for (const s of SEVERITIES) {
    if (env[`TOPIC_${s}`]) topics[s] = env[`TOPIC_${s}`];
  }
  const windowSeconds = Number(env.THROTTLE_WINDOW_SECONDS || '0');
  if (!Number.isInteger(windowSeconds) || windowSeconds < 0) {
    throw new Error(`THROTTLE_WINDOW_SECONDS must be a whole number of seconds (0 turns throttling off), got "${env.THROTTLE_WINDOW_SECONDS}".`);
  }
  return {
    topics,
    throttleTable: env.THROTTLE_TABLE || undefined,
    windowSeconds,
    enrich: env.ENRICH === 'true',
    organizationsRoleArn: env.ORGANIZATIONS_ROLE_ARN || undefined,
    chat: env.CHAT_FORMAT === 'true',
  };
}

/** The Organizations endpoint is global; its signing Region depends on the partition. */
function organizationsRegion(region) {
  if ((region || '').startsWith('cn-')) return 'cn-northwest-1';
  if ((region || '').startsWith('us-gov-')) return 'us-gov-west-1';
  return 'us-east-1';
}

/** The AWS SDK clients, created from the runtime's SDK on first use. */
function defaultClients(region) {
  const { SNSClient } = require('@aws-sdk/client-sns');
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
  const { OrganizationsClient } = require('@aws-sdk/client-organizations');
  const { STSClient } = require('@aws-sdk/client-sts');
  const orgRegion = organizationsRegion(region);
  return {
    sns: new SNSClient({ requestHandler: SDK_TIMEOUTS }),
    dynamodb: new DynamoDBClient({ requestHandler: SDK_TIMEOUTS }),
    sts: new STSClient({ requestHandler: SDK_TIMEOUTS }),
    organizations: credentials => new OrganizationsClient({ region: orgRegion, credentials, requestHandler: SDK_TIMEOUTS }),
  };
}

/**
 * A relay with its clients and clock (the tests give moto's clients and their own clock).
 *
 * @param {object} deps { config, clients: { sns, dynamodb, sts, organizations(credentials) }, now(): Date, log(line) }
 */
function createRelay(deps) {
  const { config, clients } = deps;
  const now = deps.now || (() => new Date());
  const log = deps.log || (line => console.log(line));
  const { PublishCommand } = require('@aws-sdk/client-sns');
  const { UpdateItemCommand, PutItemCommand, DeleteItemCommand } = require('@aws-sdk/client-dynamodb');
  const { DescribeAccountCommand, ListTagsForResourceCommand } = require('@aws-sdk/client-organizations');
  const { AssumeRoleCommand } = require('@aws-sdk/client-sts');
  const accounts = new Map();
  let organizationsClient;
  let organizationsClientExpires = 0;

  async function organizations() {
    if (!config.organizationsRoleArn) {
      organizationsClient = organizationsClient || clients.organizations(undefined);
      return organizationsClient;
    }
    if (organizationsClient && organizationsClientExpires - now().getTime() > 5 * 60 * 1000) return organizationsClient;
    const out = await clients.sts.send(new AssumeRoleCommand({ RoleArn: config.organizationsRoleArn, RoleSessionName: 'cis-alert-relay' }));
    const c = out.Credentials;
    organizationsClient = clients.organizations({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken });
    organizationsClientExpires = c.Expiration ? new Date(c.Expiration).getTime() : now().getTime() + 15 * 60 * 1000;
    return organizationsClient;
  }

  /** The account's name and tags, or why they are not known. */
  async function describeAccount(accountId) {
    const cached = accounts.get(accountId);
    if (cached && cached.expires > now().getTime()) return cached.value;
    let value;
    try {
      const org = await organizations();
      const described = await org.send(new DescribeAccountCommand({ AccountId: accountId }));
      const tags = [];
      let token;
      let pages = 0;
      do {
        const page = await org.send(new ListTagsForResourceCommand({ ResourceId: accountId, NextToken: token }));
        for (const t of page.Tags || []) tags.push({ key: t.Key, value: t.Value });
        token = page.NextToken;
        if (++pages >= MAX_TAG_PAGES && token) throw new Error(`ListTagsForResource returned more than ${MAX_TAG_PAGES} pages`);
      } while (token);
      tags.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      value = { name: described.Account && described.Account.Name, tags };
      accounts.set(accountId, { value, expires: now().getTime() + ACCOUNT_CACHE_MS });
    } catch (e) {
      value = { tags: [], error: `${e.name || 'Error'}: ${e.message}` };
      accounts.set(accountId, { value, expires: now().getTime() + ACCOUNT_ERROR_CACHE_MS });
    }
    return value;
  }

  /**
   * Claims the window for this key. Returns { deliver, previous, windowEnds, undo } or, when the
   * table cannot be used, { deliver: true, error }.
   */
  async function claimWindow(key, summary) {
    const t = Math.floor(now().getTime() / 1000);
    const windowEnds = t + config.windowSeconds;
    const pk = { S: crypto.createHash('sha256').update(key.join('\n')).digest('hex') };
    try {
      const out = await clients.dynamodb.send(new UpdateItemCommand({
        TableName: config.throttleTable,
        Key: { pk },
        UpdateExpression: 'SET windowStarts = :now, windowEnds = :end, expiresAt = :ttl, heldBack = :zero, summary = :summary REMOVE lastHeldBack',
        ConditionExpression: 'attribute_not_exists(pk) OR windowEnds <= :now',
        ExpressionAttributeValues: {
          ':now': { N: String(t) }, ':end': { N: String(windowEnds) }, ':ttl': { N: String(windowEnds + RECORD_RETENTION_SECONDS) },
          ':zero': { N: '0' }, ':summary': { S: summary.slice(0, 1000) },
        },
        ReturnValues: 'ALL_OLD',
      }));
      const old = out.Attributes;
      const previous = old && old.heldBack && Number(old.heldBack.N) > 0
        ? { heldBack: Number(old.heldBack.N), from: Number(old.windowStarts.N), to: old.lastHeldBack ? Number(old.lastHeldBack.N) : Number(old.windowEnds.N) }
        : undefined;
      const undo = async () => {
        // Put back what was there, so a retry of this event is not held back by its own failed attempt.
        if (old) await clients.dynamodb.send(new PutItemCommand({ TableName: config.throttleTable, Item: old }));
        else await clients.dynamodb.send(new DeleteItemCommand({ TableName: config.throttleTable, Key: { pk } }));
      };
      return { deliver: true, previous, windowEnds, undo };
    } catch (e) {
      if (e.name !== 'ConditionalCheckFailedException') return { deliver: true, error: `${e.name || 'Error'}: ${e.message}` };
    }
    try {
      await clients.dynamodb.send(new UpdateItemCommand({
        TableName: config.throttleTable,
        Key: { pk },
        UpdateExpression: 'ADD heldBack :one SET lastHeldBack = :now',
        ExpressionAttributeValues: { ':one': { N: '1' }, ':now': { N: String(t) } },
      }));
    } catch (e) {
      // The alert is held back all the same (its window is taken); only its count is missing.
      log(JSON.stringify({ level: 'WARN', message: 'could not count a held-back alert', error: `${e.name}: ${e.message}` }));
    }
    return { deliver: false };
  }

  return {
    /** Relays one event; resolves to what happened (also logged as one JSON line). */
    async handle(input) {
      const alert = readInput(input);
      const topicArn = config.topics[alert.severity] || (alert.severity === 'INFORMATIONAL' ? config.topics.LOW : undefined);
      if (!topicArn) throw new Error(`No topic is configured for severity ${alert.severity} (environment variable TOPIC_${alert.severity}).`);
      const summary = alert.throttleKey.join(' | ');
      let claim = { deliver: true };
      if (config.throttleTable && config.windowSeconds > 0) claim = await claimWindow(alert.throttleKey, summary);
      if (!claim.deliver) {
        const result = { outcome: 'held-back', severity: alert.severity, key: summary };
        log(JSON.stringify(result));
        return result;
      }
      const account = config.enrich && alert.account ? await describeAccount(alert.account) : undefined;
      const message = formatMessage(alert, account, claim, config.windowSeconds);
      try {
        await clients.sns.send(new PublishCommand(publishRequest(topicArn, message, config.chat)));
      } catch (e) {
        if (claim.undo) {
          try {
            await claim.undo();
          } catch (undoError) {
            log(JSON.stringify({ level: 'ERROR', message: 'could not undo the throttle record after a failed publish', error: `${undoError.name}: ${undoError.message}` }));
          }
        }
        throw e;
      }
      const result = { outcome: 'delivered', severity: alert.severity, topicArn, key: summary, subject: message.subject };
      log(JSON.stringify(result));
      return result;
    },
  };
}

/** A field of an event as text: '' when absent, JSON for anything that is not a string. */
function str(v) {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

/**
 * Checks the input the rules send (`{kind, severity, headline, account, region, time, id, detail}`)
 * and derives the throttle key. A malformed input is an error: it goes to the dead-letter queue, whole.
 */
function readInput(input) {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new Error(`The relay expects the object its rules send ({kind, severity, headline, account, region, time, id, detail}), got ${JSON.stringify(input)}.`);
  }
  if (!KINDS.includes(input.kind)) throw new Error(`kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(input.kind)}.`);
  if (!SEVERITIES.includes(input.severity)) throw new Error(`severity must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(input.severity)}.`);
  const detail = input.detail !== null && typeof input.detail === 'object' && !Array.isArray(input.detail) ? input.detail : {};
  if (input.kind === 'detection') {
    // The member account the call was made in, kept by CloudTrail when the event is forwarded.
    const account = str(detail.recipientAccountId) || str(input.account);
    const who = detail.userIdentity && typeof detail.userIdentity === 'object' ? detail.userIdentity : {};
    const principal = str(who.arn) || str(who.principalId) || str(who.type) || 'unknown principal';
    const action = `${str(detail.eventSource)}:${str(detail.eventName)}`;
    const outcome = str(detail.errorCode) || 'success';
    return {
      kind: 'detection', severity: input.severity, headline: str(input.headline), account, region: str(detail.awsRegion) || str(input.region),
      time: str(detail.eventTime) || str(input.time), detail, principal, action, outcome, principalType: str(who.type),
      throttleKey: ['detection', account, str(input.control), principal, action, outcome],
    };
  }
  const alarmName = str(detail.alarmName);
  const state = detail.state && typeof detail.state === 'object' ? detail.state : {};
  return {
    kind: 'alarm', severity: input.severity, headline: str(input.headline) || `[${input.severity}] CIS alarm ${alarmName} is in ${str(state.value) || 'ALARM'}`,
    account: str(input.account), region: str(input.region), time: str(input.time), detail, alarmName, reason: str(state.reason),
    throttleKey: ['alarm', str(input.account), str(input.region), alarmName],
  };
}

function accountLine(alert, account) {
  if (!alert.account) return 'Account: unknown (the event names none)';
  if (!account) return `Account: ${alert.account}`;
  if (account.error) return `Account: ${alert.account} (name and tags unavailable: ${account.error})`;
  const tags = account.tags.length ? account.tags.map(t => `${t.key}=${t.value}`).join(', ') : 'no tags';
  return `Account: ${account.name || '(no name)'} (${alert.account}), tags: ${tags}`;
}

function minutes(seconds) {
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`;
}

function iso(seconds) {
  return new Date(seconds * 1000).toISOString();
}

function repeatsLine(alert, claim, windowSeconds) {
  const lines = [];
  if (claim.previous) {
    lines.push(`Held back: ${claim.previous.heldBack} repeat${claim.previous.heldBack === 1 ? '' : 's'} between ${iso(claim.previous.from)} and ${iso(claim.previous.to)}.`);
  }
  if (claim.error) {
    lines.push(`Repeats: not held back (throttling unavailable: ${claim.error}).`);
  } else if (claim.windowEnds !== undefined) {
    const what = alert.kind === 'detection' ? 'by the same principal with the same action and outcome' : 'of this alarm';
    lines.push(`Repeats: further alerts ${what} are held back for ${minutes(windowSeconds)} (until ${iso(claim.windowEnds)}); the next one after that reports how many.`);
  }
  return lines;
}

/** The message as a person reads it: what, which account (name and tags), then the details. */
function formatMessage(alert, account, claim, windowSeconds) {
  const d = alert.detail;
  const body = alert.kind === 'detection'
    ? [
      alert.headline,
      accountLine(alert, account),
      `Who: ${alert.principal}${alert.principalType ? ` (${alert.principalType})` : ''}`,
      `What: ${str(d.eventName)} on ${str(d.eventSource)}`,
      `Where: region ${alert.region}`,
      `When: ${alert.time}`,
      `Source IP: ${str(d.sourceIPAddress)}`,
      `Outcome: ${d.errorCode ? `${str(d.errorCode)} ${str(d.errorMessage)}`.trim() : 'success'}`,
      `Event ID: ${str(d.eventID)}`,
    ]
    : [
      alert.headline,
      accountLine(alert, account),
      `Where: region ${alert.region}`,
      `When: ${alert.time}`,
      `Why: ${alert.reason}`,
    ];
  body.push(...repeatsLine(alert, claim, windowSeconds));
  const environment = account && account.tags ? account.tags.find(t => ENVIRONMENT_TAG.test(t.key)) : undefined;
  const who = `${account && account.name ? account.name : alert.account || 'unknown account'}${environment ? ` [${environment.value}]` : ''}`;
  // The headline's version and control key are in the body; the subject keeps what fits a mail client's list.
  const what = alert.headline.replace(/^\[[A-Z]+\]\s*/, '').replace(/\s*\((CIS v[^)]*)\)$/, '');
  return { subject: subjectOf(`[${alert.severity}] ${who}: ${what}`), text: body.join('\n') };
}

/** SNS subjects: printable ASCII, no line breaks, at most 100 characters. */
function subjectOf(text) {
  const ascii = text.replace(/[^\x20-\x7E]/g, '?').trim();
  return ascii.length <= MAX_SUBJECT ? ascii : `${ascii.slice(0, MAX_SUBJECT - 3)}...`;
}

/**
 * With chat delivery, HTTPS subscribers (AWS Chatbot) get its custom-notification format and
 * every other protocol gets the text; without, everyone gets the text.
 */
function publishRequest(topicArn, message, chat) {
  if (!chat) return { TopicArn: topicArn, Subject: message.subject, Message: message.text };
  const custom = { version: '1.0', source: 'custom', content: { textType: 'client-markdown', title: message.subject, description: message.text } };
  return { TopicArn: topicArn, Subject: message.subject, MessageStructure: 'json', Message: JSON.stringify({ default: message.text, https: JSON.stringify(custom) }) };
}

let relay;

/** The Lambda entry point. */
exports.handler = async event => {
  if (!relay) {
    const config = configFromEnv(process.env);
    relay = createRelay({ config, clients: defaultClients(process.env.AWS_REGION) });
  }
  return relay.handle(event);
};

exports.createRelay = createRelay;
exports.configFromEnv = configFromEnv;
exports.readInput = readInput;
exports.formatMessage = formatMessage;
