'use strict';
/**
 * The alert relay of `CisSecurityAccount`: an AWS Lambda handler (Node.js 22
 * or later) between the security account's rules and its severity topics.
 * For each member alarm or real-time detection it
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
 * Trust: the member account is the event's envelope `account`, which
 * EventBridge sets and keeps when a member forwards the event; fields inside
 * `detail` are whatever the sender wrote. An event whose detail names another
 * account is shown, named and throttled as the envelope's account, and the
 * message says so. Every printed field is bounded and made inert (common.js).
 *
 * Nothing is lost: a failure (or timeout) to throttle or to enrich is written
 * into the message, which is still delivered; a failure to publish throws, so
 * Lambda retries and finally keeps the event in the dead-letter queue, whose
 * depth raises an alarm. A throttle window is claimed per event id: a retry of
 * the same event re-claims its own window instead of being held back by it.
 * The whole invocation ends well inside the function timeout, whatever the
 * endpoints do.
 */
const crypto = require('crypto');
const {
  callUntil, describeError, inert, ascii, chatValue, chatPlain, organizationsAccess, allPages, defaultClients, readEnvelope, logLine,
  FIELD_LIMIT,
} = require('./common');

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'];
const KINDS = ['alarm', 'detection'];
const CONTROL_KEY = /^[a-z0-9-]{1,64}$/;
/** SNS subjects must be shorter than 100 characters. */
const MAX_SUBJECT = 99;
/** SNS takes at most 256 KiB per message (the JSON of a MessageStructure message included); a margin for the request. */
const MAX_MESSAGE_BYTES = 250 * 1024;
/** Account tags shown in a message (sorted by key). */
const MAX_TAGS_SHOWN = 10;
/** Accounts are looked up once per hour per container; failed lookups are retried after a minute. */
const ACCOUNT_CACHE_MS = 60 * 60 * 1000;
const ACCOUNT_ERROR_CACHE_MS = 60 * 1000;
/** A throttle record outlives its window by a week, so the next alert can still report the held-back count. */
const RECORD_RETENTION_SECONDS = 7 * 24 * 3600;
/**
 * A claim whose event was not delivered this long after it was made belongs
 * to an invocation that failed (the function times out after 30 s): another
 * event of the key may take the window over.
 */
const STALE_CLAIM_SECONDS = 60;
/** Guard against an endpoint that keeps returning page tokens. */
const MAX_TAG_PAGES = 20;
/** The tag whose value the subject shows next to the account name (prod, sandbox...). */
const ENVIRONMENT_TAG = /^(env|environment|stage)$/i;
/**
 * Time budget of one invocation (the function timeout is 30 s): throttling
 * and enrichment get at most 4 s each and must leave 8 s for publishing.
 */
const BUDGET_MS = 20_000;
const STEP_MS = 4_000;
const PUBLISH_RESERVE_MS = 8_000;
/** Kept free of the Lambda's remaining time, for the runtime to report the result. */
const SAFETY_MS = 2_000;

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

/**
 * A relay with its clients and clock (the tests give moto's clients and their own clock).
 *
 * @param {object} deps { config, clients: { sns, dynamodb, sts, organizations(credentials) }, now(): Date, log(line), budgetMs }
 */
function createRelay(deps) {
  const { config, clients } = deps;
  const now = deps.now || (() => new Date());
  const log = deps.log || (line => console.log(line));
  const budgetMs = deps.budgetMs || BUDGET_MS;
  const stepMs = deps.stepMs || STEP_MS;
  const { PublishCommand } = require('@aws-sdk/client-sns');
  const { UpdateItemCommand } = require('@aws-sdk/client-dynamodb');
  const { DescribeAccountCommand, ListTagsForResourceCommand } = require('@aws-sdk/client-organizations');
  const accounts = new Map();
  const organizations = organizationsAccess(clients, config.organizationsRoleArn, now, 'cis-alert-relay');

  /** The account's name and tags, or why they are not known. */
  async function describeAccount(accountId, until) {
    const cached = accounts.get(accountId);
    if (cached && cached.expires > now().getTime()) return cached.value;
    let value;
    try {
      const org = await organizations(until);
      const described = await callUntil(org, new DescribeAccountCommand({ AccountId: accountId }), until, 'organizations:DescribeAccount');
      const pages = await allPages(token => callUntil(org, new ListTagsForResourceCommand({ ResourceId: accountId, NextToken: token }), until,
        'organizations:ListTagsForResource'), 'ListTagsForResource', MAX_TAG_PAGES);
      const tags = pages.flatMap(p => (p.Tags || []).map(t => ({ key: String(t.Key), value: String(t.Value) })));
      tags.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      value = { name: described.Account && described.Account.Name, tags };
      accounts.set(accountId, { value, expires: now().getTime() + ACCOUNT_CACHE_MS });
    } catch (e) {
      value = { tags: [], error: describeError(e) };
      accounts.set(accountId, { value, expires: now().getTime() + ACCOUNT_ERROR_CACHE_MS });
    }
    return value;
  }

  /**
   * Claims the window of `key` for event `eventId`. Resolves to
   * - `{ deliver: true, previous, windowEnds }` when this event is to be delivered
   *   (a new window, a stale claim taken over, or this event's own claim from a failed attempt);
   * - `{ deliver: false, duplicate: true }` when this very event was already delivered;
   * - `{ deliver: false }` when the window belongs to another event (held back, counted);
   * - `{ deliver: true, error }` when the table cannot be used (deliver all the same).
   */
  async function claimWindow(key, summary, eventId, until) {
    const t = Math.floor(now().getTime() / 1000);
    const windowEnds = t + config.windowSeconds;
    const pk = { S: crypto.createHash('sha256').update(key.join('\n')).digest('hex') };
    const send = (command, what) => callUntil(clients.dynamodb, command, until, what);
    try {
      const out = await send(new UpdateItemCommand({
        TableName: config.throttleTable,
        Key: { pk },
        UpdateExpression: 'SET windowStarts = :now, windowEnds = :end, expiresAt = :ttl, heldBack = :zero, summary = :summary, '
          + 'claimEvent = :id, claimedAt = :now, delivered = :false REMOVE lastHeldBack, reported',
        ConditionExpression: 'attribute_not_exists(pk) OR windowEnds <= :now OR (delivered = :false AND claimedAt <= :stale AND claimEvent <> :id)',
        ExpressionAttributeValues: {
          ':now': { N: String(t) }, ':end': { N: String(windowEnds) }, ':ttl': { N: String(windowEnds + RECORD_RETENTION_SECONDS) },
          ':zero': { N: '0' }, ':summary': { S: summary.slice(0, 1000) }, ':id': { S: eventId }, ':false': { BOOL: false },
          ':stale': { N: String(t - STALE_CLAIM_SECONDS) },
        },
        ReturnValues: 'ALL_OLD',
      }), 'dynamodb:UpdateItem (claim)');
      const previous = heldBackBefore(out.Attributes);
      if (previous) {
        // Kept with the claim, so a retry of this event reports the same repeats.
        await send(new UpdateItemCommand({
          TableName: config.throttleTable,
          Key: { pk },
          UpdateExpression: 'SET reported = :reported',
          ConditionExpression: 'claimEvent = :id',
          ExpressionAttributeValues: { ':reported': { S: JSON.stringify(previous) }, ':id': { S: eventId } },
        }), 'dynamodb:UpdateItem (report)').catch(e => logLine(log, { level: 'WARN', message: 'could not keep the held-back count with the claim', error: describeError(e) }));
      }
      return { deliver: true, previous, windowEnds, pk };
    } catch (e) {
      if (e.name !== 'ConditionalCheckFailedException') return { deliver: true, error: describeError(e) };
    }
    // The window is taken: by this very event (a retry), or by another one.
    try {
      const own = await send(new UpdateItemCommand({
        TableName: config.throttleTable,
        Key: { pk },
        UpdateExpression: 'SET claimedAt = :now',
        ConditionExpression: 'claimEvent = :id',
        ExpressionAttributeValues: { ':now': { N: String(t) }, ':id': { S: eventId } },
        ReturnValues: 'ALL_NEW',
      }), 'dynamodb:UpdateItem (retry)');
      const item = own.Attributes || {};
      if (item.delivered && item.delivered.BOOL === true) return { deliver: false, duplicate: true };
      let previous;
      try {
        previous = item.reported ? JSON.parse(item.reported.S) : undefined;
      } catch (e) {
        previous = undefined;
      }
      return { deliver: true, previous, windowEnds: item.windowEnds ? Number(item.windowEnds.N) : windowEnds, pk };
    } catch (e) {
      if (e.name !== 'ConditionalCheckFailedException') return { deliver: true, error: describeError(e) };
    }
    try {
      await send(new UpdateItemCommand({
        TableName: config.throttleTable,
        Key: { pk },
        UpdateExpression: 'ADD heldBack :one SET lastHeldBack = :now',
        // Only onto a window: counting onto an item that vanished since the claim (a purged table) would create one
        // without windowEnds or expiresAt, which no claim could ever take again: that key would be held back for ever.
        ConditionExpression: 'attribute_exists(windowEnds)',
        ExpressionAttributeValues: { ':one': { N: '1' }, ':now': { N: String(t) } },
      }), 'dynamodb:UpdateItem (count)');
    } catch (e) {
      if (e.name === 'ConditionalCheckFailedException') {
        return { deliver: true, error: 'the throttle window vanished while this alert was being held back' };
      }
      // Held back all the same (its window is taken and delivered); only its count is missing.
      logLine(log, { level: 'WARN', message: 'could not count a held-back alert', error: describeError(e) });
    }
    return { deliver: false };
  }

  /** Marks the claim delivered, so a duplicate of this event is not delivered twice. */
  async function markDelivered(pk, eventId, until) {
    try {
      await callUntil(clients.dynamodb, new UpdateItemCommand({
        TableName: config.throttleTable,
        Key: { pk },
        UpdateExpression: 'SET delivered = :true',
        ConditionExpression: 'claimEvent = :id',
        ExpressionAttributeValues: { ':true': { BOOL: true }, ':id': { S: eventId } },
      }), until, 'dynamodb:UpdateItem (delivered)');
    } catch (e) {
      // Delivered all the same; at worst another event takes the window over after STALE_CLAIM_SECONDS (one more message).
      logLine(log, { level: 'WARN', message: 'could not mark the alert delivered', error: describeError(e) });
    }
  }

  return {
    /** Relays one event; resolves to what happened (also logged as one JSON line). */
    async handle(input, context) {
      const started = Date.now();
      const remaining = context && typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - SAFETY_MS : Infinity;
      const deadline = started + Math.min(budgetMs, remaining);
      const stepUntil = () => Math.min(Date.now() + stepMs, deadline - Math.min(PUBLISH_RESERVE_MS, budgetMs / 2));

      const alert = readInput(input);
      const topicArn = config.topics[alert.severity] || (alert.severity === 'INFORMATIONAL' ? config.topics.LOW : undefined);
      if (!topicArn) throw new Error(`No topic is configured for severity ${alert.severity} (environment variable TOPIC_${alert.severity}).`);
      const summary = alert.throttleKey.join(' | ');
      let claim = { deliver: true };
      if (config.throttleTable && config.windowSeconds > 0) claim = await claimWindow(alert.throttleKey, summary, alert.id, stepUntil());
      if (!claim.deliver) {
        const result = { outcome: claim.duplicate ? 'duplicate' : 'held-back', severity: alert.severity, key: summary, id: alert.id };
        logLine(log, result);
        return result;
      }
      const account = config.enrich ? await describeAccount(alert.account, stepUntil()) : undefined;
      const request = publishRequest(topicArn, alert, account, claim, config);
      try {
        await callUntil(clients.sns, new PublishCommand(request), deadline, 'sns:Publish');
      } catch (e) {
        // Lambda retries the event and finally puts it in the dead-letter queue (an alarm watches it).
        // The claim stays this event's: its retry re-claims the window instead of being held back.
        logLine(log, { level: 'ERROR', message: 'could not publish the alert', severity: alert.severity, key: summary, id: alert.id, error: describeError(e) });
        throw e;
      }
      if (claim.pk) await markDelivered(claim.pk, alert.id, Math.max(deadline, Date.now() + 1000));
      const result = { outcome: 'delivered', severity: alert.severity, topicArn, key: summary, id: alert.id, subject: request.Subject };
      logLine(log, result);
      return result;
    },
  };
}

/** The held-back repeats an old throttle record reports, if any. */
function heldBackBefore(old) {
  if (!old) return undefined;
  let carried;
  try {
    // A stale claim that was never delivered hands on what it was to report.
    carried = old.delivered && old.delivered.BOOL === false && old.reported ? JSON.parse(old.reported.S) : undefined;
  } catch (e) {
    carried = undefined;
  }
  const count = old.heldBack ? Number(old.heldBack.N) : 0;
  if (count <= 0) return carried;
  const from = Number(old.windowStarts.N);
  const to = old.lastHeldBack ? Number(old.lastHeldBack.N) : Number(old.windowEnds.N);
  if (!carried) return { heldBack: count, from, to };
  return { heldBack: carried.heldBack + count, from: Math.min(carried.from, from), to: Math.max(carried.to, to) };
}

/** A field of an event as a plain string (for keys): '' when absent, JSON for anything else. */
function str(v) {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

/** Longest key component: keys are hashed, but the summary stored with them is read by people. */
const KEY_PART_LIMIT = 512;

/**
 * Checks the input the rules send (`{kind, severity, headline, control, account, region, time, id, detail}`)
 * and derives the throttle key. A malformed input is an error: it goes to the dead-letter queue, whole.
 */
function readInput(input) {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new Error(`The relay expects the object its rules send ({kind, severity, headline, control, account, region, time, id, detail}), got ${inert(input, 200)}.`);
  }
  if (!KINDS.includes(input.kind)) throw new Error(`kind must be one of ${KINDS.join(', ')}, got ${inert(JSON.stringify(input.kind), 80)}.`);
  if (!SEVERITIES.includes(input.severity)) throw new Error(`severity must be one of ${SEVERITIES.join(', ')}, got ${inert(JSON.stringify(input.severity), 80)}.`);
  const envelope = readEnvelope(input);
  const detail = input.detail !== null && typeof input.detail === 'object' && !Array.isArray(input.detail) ? input.detail : {};
  // What the rule says (its own text), still bounded.
  const headline = inert(input.headline, 300);
  const part = v => str(v).slice(0, KEY_PART_LIMIT);
  if (input.kind === 'detection') {
    if (typeof input.control !== 'string' || !CONTROL_KEY.test(input.control)) {
      throw new Error(`control must be the key of a CIS control (lower-case letters, digits and hyphens), got ${inert(JSON.stringify(input.control), 80)}.`);
    }
    const who = detail.userIdentity && typeof detail.userIdentity === 'object' ? detail.userIdentity : {};
    const principal = part(who.arn) || part(who.principalId) || part(who.type) || 'unknown principal';
    const action = `${part(detail.eventSource)}:${part(detail.eventName)}`;
    const outcome = part(detail.errorCode) || 'success';
    const claimed = part(detail.recipientAccountId);
    return {
      kind: 'detection', severity: input.severity, headline, ...envelope, control: input.control, detail, principal, action, outcome,
      principalType: str(who.type), claimedAccount: claimed && claimed !== envelope.account ? claimed : undefined,
      throttleKey: ['detection', envelope.account, input.control, principal, action, outcome],
    };
  }
  const alarmName = part(detail.alarmName);
  const state = detail.state && typeof detail.state === 'object' ? detail.state : {};
  return {
    kind: 'alarm', severity: input.severity, headline, ...envelope, detail, alarmName, state: str(state.value) || 'ALARM', reason: state.reason,
    throttleKey: ['alarm', envelope.account, envelope.region, alarmName],
  };
}

/**
 * The message as lines of segments: plain strings are our own text, `{ v }`
 * a value from the event or from Organizations (rendered inert, and as code
 * in chat). The order: what, which account (name and tags), then the details.
 */
function messageLines(alert, account, claim, windowSeconds, limit) {
  const v = (value, l = limit) => ({ v: inert(value, l) });
  const d = alert.detail;
  const lines = [];
  if (alert.kind === 'detection') {
    lines.push([alert.headline || `[${alert.severity}] CIS real-time detection (control ${alert.control})`]);
  } else {
    lines.push(alert.headline
      ? [alert.headline]
      : [`[${alert.severity}] CIS alarm `, v(alert.alarmName, 256), ` is in ${alert.state === 'ALARM' ? 'ALARM' : 'state '}`, ...(alert.state === 'ALARM' ? [] : [v(alert.state, 32)])]);
  }
  lines.push(accountLine(alert, account, v));
  if (alert.claimedAccount) {
    lines.push(['Warning: the event\'s detail names account ', v(alert.claimedAccount, 64),
      `, but EventBridge received it from account ${alert.account}; it is shown and throttled as ${alert.account}. A member may be forging events.`]);
  }
  if (alert.kind === 'detection') {
    const who = d.userIdentity && typeof d.userIdentity === 'object' ? d.userIdentity : {};
    lines.push(['Who: ', v(alert.principal, 512), ...(alert.principalType ? [' (', v(who.type, 64), ')'] : [])]);
    lines.push(['What: ', v(d.eventName, 128), ' on ', v(d.eventSource, 128)]);
    lines.push([`Where: region ${alert.region}`]);
    lines.push(['When: ', d.eventTime !== undefined ? v(d.eventTime, 64) : alert.time]);
    lines.push(['Source IP: ', v(d.sourceIPAddress, 256)]);
    lines.push(d.errorCode !== undefined && d.errorCode !== null && d.errorCode !== ''
      ? ['Outcome: ', v(d.errorCode, 128), ' ', v(d.errorMessage)]
      : ['Outcome: success']);
    lines.push(['Event ID: ', v(d.eventID, 128)]);
  } else {
    lines.push([`Where: region ${alert.region}`]);
    lines.push([`When: ${alert.time}`]);
    lines.push(['Why: ', v(alert.reason)]);
  }
  lines.push(...repeatsLines(alert, claim, windowSeconds));
  return lines;
}

function accountLine(alert, account, v) {
  if (!account) return [`Account: ${alert.account}`];
  if (account.error) return [`Account: ${alert.account} (name and tags unavailable: `, v(account.error, 300), ')'];
  // At most MAX_TAGS_SHOWN of Organizations' 50: with every field at its cap, the message stays far under SNS's limit.
  const shown = account.tags.slice(0, MAX_TAGS_SHOWN);
  const more = account.tags.length - shown.length;
  const tags = shown.length
    ? [...shown.flatMap((t, i) => [...(i ? [', '] : []), v(t.key, 128), '=', v(t.value, 256)]), ...(more > 0 ? [` and ${more} more`] : [])]
    : ['no tags'];
  return ['Account: ', account.name ? v(account.name, 128) : '(no name)', ` (${alert.account}), tags: `, ...tags];
}

function minutes(seconds) {
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`;
}

function iso(seconds) {
  return new Date(seconds * 1000).toISOString();
}

function repeatsLines(alert, claim, windowSeconds) {
  const lines = [];
  const p = claim.previous;
  if (p && Number.isFinite(p.heldBack) && p.heldBack > 0) {
    lines.push([`Held back: ${p.heldBack} repeat${p.heldBack === 1 ? '' : 's'} between ${iso(p.from)} and ${iso(p.to)}.`]);
  }
  if (claim.error) {
    // our own description of an AWS error, which may quote what the service sent: bounded and inert like any field
    lines.push(['Repeats: not held back (throttling unavailable: ', { v: inert(claim.error, 300) }, ').']);
  } else if (claim.windowEnds !== undefined) {
    const what = alert.kind === 'detection' ? 'by the same principal with the same action and outcome' : 'of this alarm';
    lines.push([`Repeats: further alerts ${what} are held back for ${minutes(windowSeconds)} (until ${iso(claim.windowEnds)}); the next one after that reports how many.`]);
  }
  return lines;
}

function renderText(lines) {
  return lines.map(segments => segments.map(s => (typeof s === 'string' ? s : s.v)).join('')).join('\n');
}

function renderChat(lines) {
  return lines.map(segments => segments.map(s => (typeof s === 'string' ? chatPlain(s) : chatValue(s.v))).join('')).join('\n');
}

/** The subject: severity, account (and its environment tag), what happened; printable ASCII, shorter than 100 characters. */
function subjectOf(alert, account, lines) {
  const environment = account && account.tags ? account.tags.find(t => ENVIRONMENT_TAG.test(t.key)) : undefined;
  const who = `${account && account.name ? inert(account.name, 64) : alert.account}${environment ? ` [${inert(environment.value, 32)}]` : ''}`;
  // The headline's version and control key are in the body; the subject keeps what fits a mail client's list.
  const headline = lines[0].map(s => (typeof s === 'string' ? s : s.v)).join('');
  const what = headline.replace(/^\[[A-Z]+\]\s*/, '').replace(/\s*\((CIS v[^)]*)\)$/, '');
  const text = ascii(`[${alert.severity}] ${who}: ${what}`).trim();
  return text.length <= MAX_SUBJECT ? text : `${text.slice(0, MAX_SUBJECT - 3)}...`;
}

/** The message as a person reads it (text and subject); exported for the tests. */
function formatMessage(alert, account, claim, windowSeconds, limit = FIELD_LIMIT) {
  const lines = messageLines(alert, account, claim, windowSeconds, limit);
  return { subject: subjectOf(alert, account, lines), text: renderText(lines), chat: renderChat(lines) };
}

/**
 * The Publish request. With chat delivery, HTTPS subscribers (AWS Chatbot) get
 * its custom-notification format and every other protocol gets the text;
 * without, everyone gets the text. Every printed field has its own cap and at
 * most MAX_TAGS_SHOWN tags are shown, so even the worst input (every field at
 * its cap, in characters that escape longest, with chat) stays far under SNS's
 * 256 KiB (a test builds it), and no input can make publishing fail for its size.
 */
function publishRequest(topicArn, alert, account, claim, config) {
  const m = formatMessage(alert, account, claim, config.windowSeconds);
  if (!config.chat) return { TopicArn: topicArn, Subject: m.subject, Message: m.text };
  const custom = { version: '1.0', source: 'custom', content: { textType: 'client-markdown', title: chatPlain(m.subject), description: m.chat } };
  return { TopicArn: topicArn, Subject: m.subject, MessageStructure: 'json', Message: JSON.stringify({ default: m.text, https: JSON.stringify(custom) }) };
}

let relay;

/** The Lambda entry point. */
exports.handler = async (event, context) => {
  if (!relay) {
    const config = configFromEnv(process.env);
    relay = createRelay({ config, clients: defaultClients(process.env.AWS_REGION) });
  }
  return relay.handle(event, context);
};

exports.createRelay = createRelay;
exports.configFromEnv = configFromEnv;
exports.readInput = readInput;
exports.formatMessage = formatMessage;
exports.publishRequest = publishRequest;
exports.MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES;
