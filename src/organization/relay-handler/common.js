'use strict';
/**
 * What the alert relay (index.js) and the heartbeat monitor (heartbeat.js)
 * share: AWS calls that end by a deadline whatever the endpoint does, and
 * text taken from events made bounded and inert before anyone reads it.
 *
 * Plain JavaScript for the same reason as the handlers: these files are the
 * Lambda code asset as shipped, with nothing but the runtime's AWS SDK v3.
 */

/**
 * Every call has a real deadline: 2 s to connect, 5 s of silence at most,
 * and `throwOnRequestTimeout` (without it @smithy/node-http-handler 4.x only
 * logs an exceeded requestTimeout and keeps waiting). Three attempts in all;
 * the caller's deadline (`callUntil`) aborts whatever is still running.
 */
const SDK_CLIENT_OPTIONS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 2000, requestTimeout: 5000, socketTimeout: 5000, throwOnRequestTimeout: true },
};

/** Raised when a step of an invocation runs out of time. */
class DeadlineError extends Error {
  constructor(what, ms) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Sends `command` with `client`, aborted at `until` (epoch ms). The SDK's
 * abort signal cancels the request; the race makes sure the caller moves on
 * even if a handler ignored the signal.
 */
async function callUntil(client, command, until, what) {
  const ms = Math.floor(until - Date.now());
  const label = what || (command && command.constructor && command.constructor.name) || 'AWS call';
  if (ms <= 0) throw new DeadlineError(label, 0);
  const controller = new AbortController();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DeadlineError(label, ms));
    }, ms);
  });
  try {
    return await Promise.race([client.send(command, { abortSignal: controller.signal }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One line for a log or a message: the error's name and text, bounded. */
function describeError(e) {
  const name = (e && e.name) || 'Error';
  const message = (e && e.message) || String(e);
  return inert(`${name}: ${message}`, 300);
}

/** Longest text taken from one event field (characters, after escaping). */
const FIELD_LIMIT = 1000;

/**
 * Control characters (Cc), line and paragraph separators (Zl, Zp) and every
 * format character (Cf: bidirectional marks and overrides, U+061C included,
 * zero-width characters, the BOM, the soft hyphen, the invisible tag
 * characters of U+E0000-U+E007F): written as visible escapes, so a field can
 * neither start a line of its own (a fake `Account:` line), nor reorder what
 * is shown around it, nor carry text nobody sees. U+2065 is unassigned in
 * the block of the isolates: escaped too, should it ever be given a meaning.
 */
const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u2065]/gu;
const ESCAPES = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `\u061c`, or `\u{e0041}` beyond the Basic Multilingual Plane. */
function escapeChar(c) {
  if (ESCAPES[c]) return ESCAPES[c];
  const code = c.codePointAt(0);
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A field of an event as one line of text: '' when absent, compact JSON for
 * anything that is not a string, unsafe characters escaped, and at most
 * `limit` characters, longer text cut with a visible marker.
 */
function inert(value, limit = FIELD_LIMIT) {
  let s;
  if (typeof value === 'string') s = value;
  else if (value === undefined || value === null) s = '';
  else {
    try {
      s = JSON.stringify(value);
    } catch (e) {
      s = String(value);
    }
    if (typeof s !== 'string') s = String(value);
  }
  // Cut before escaping too, so a huge field costs no more than it may show.
  if (s.length > limit * 8) s = s.slice(0, limit * 8);
  s = s.replace(UNSAFE_CHARS, escapeChar);
  const chars = Array.from(s);
  if (chars.length <= limit) return s;
  const marker = ` [cut: ${chars.length - limit} more characters]`;
  return chars.slice(0, Math.max(0, limit - marker.length)).join('') + marker;
}

/** Printable ASCII only (subjects): anything else becomes '?'. */
function ascii(text) {
  return text.replace(/[^\x20-\x7E]/g, '?');
}

/**
 * A field as chat text (AWS Chatbot renders markdown in Slack and Teams):
 * inside a code span, where no markup, link or mention is rendered, with the
 * characters that could end the span or start Slack's `<...>` syntax, and
 * `://`, replaced by look-alikes a reader still recognises.
 */
function chatValue(text) {
  const safe = text
    .replace(/`/g, '\u02cb')
    .replace(/</g, '\u2039')
    .replace(/>/g, '\u203a')
    .replace(/&/g, '\uff06')
    .replace(/@/g, '\uff20')
    .replace(/:\/\//g, ':\u2044\u2044');
  return safe.length === 0 ? '' : `\`${safe}\``;
}

/** Our own text in a chat title or label: markup characters dropped. */
function chatPlain(text) {
  return text.replace(/[`*_~<>&@[\]|#]/g, '').replace(/:\/\//g, ':\u2044\u2044');
}

/** The Organizations endpoint is global; its signing Region depends on the partition. */
function organizationsRegion(region) {
  if ((region || '').startsWith('cn-')) return 'cn-northwest-1';
  if ((region || '').startsWith('us-gov-')) return 'us-gov-west-1';
  return 'us-east-1';
}

/**
 * An Organizations client of the account's own role, or of `roleArn` (assumed
 * again 5 minutes before its credentials expire) under `sessionName`, which
 * names the function in the role account's CloudTrail. Every call ends by `until`.
 */
function organizationsAccess(clients, roleArn, now, sessionName) {
  const { AssumeRoleCommand } = require('@aws-sdk/client-sts');
  let client;
  let expires = 0;
  return async function organizations(until) {
    if (!roleArn) {
      client = client || clients.organizations(undefined);
      return client;
    }
    if (client && expires - now().getTime() > 5 * 60 * 1000) return client;
    const out = await callUntil(clients.sts, new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }), until, 'sts:AssumeRole');
    const c = out.Credentials;
    client = clients.organizations({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken });
    expires = c.Expiration ? new Date(c.Expiration).getTime() : now().getTime() + 15 * 60 * 1000;
    return client;
  };
}

/**
 * Pages through a paginated call, refusing an endpoint that hands back a
 * token it already gave (it would loop for ever) or more than `maxPages`.
 */
async function allPages(fetchPage, what, maxPages = 10000) {
  const seen = new Set();
  const items = [];
  let token;
  for (let page = 1; ; page++) {
    const out = await fetchPage(token);
    items.push(out);
    token = out.NextToken;
    if (!token) return items;
    if (seen.has(token)) throw new Error(`${what} returned a page token it had already returned; stopping instead of looping`);
    if (page >= maxPages) throw new Error(`${what} returned more than ${maxPages} pages`);
    seen.add(token);
  }
}

/** The AWS SDK clients of the runtime, created on first use. */
function defaultClients(region) {
  const { SNSClient } = require('@aws-sdk/client-sns');
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
  const { OrganizationsClient } = require('@aws-sdk/client-organizations');
  const { STSClient } = require('@aws-sdk/client-sts');
  const orgRegion = organizationsRegion(region);
  return {
    sns: new SNSClient(SDK_CLIENT_OPTIONS),
    dynamodb: new DynamoDBClient(SDK_CLIENT_OPTIONS),
    sts: new STSClient(SDK_CLIENT_OPTIONS),
    organizations: credentials => new OrganizationsClient({ ...SDK_CLIENT_OPTIONS, region: orgRegion, credentials }),
  };
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const EVENT_ID = /^[A-Za-z0-9-]{1,128}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * The envelope fields of an event as the rules hand them over (`$.account`,
 * `$.region`, `$.time`, `$.id`): EventBridge sets them, so anything else means
 * the input did not come from a rule of this stack. Refused whole.
 */
function readEnvelope(input) {
  const bad = (field, what) => new Error(`${field} must be ${what} (EventBridge sets it on every event), got ${JSON.stringify(inert(input[field], 80))}.`);
  if (typeof input.account !== 'string' || !ACCOUNT_ID.test(input.account)) throw bad('account', 'a 12-digit account id');
  if (typeof input.region !== 'string' || !REGION.test(input.region)) throw bad('region', 'a Region name');
  if (typeof input.id !== 'string' || !EVENT_ID.test(input.id)) throw bad('id', 'an event id');
  if (typeof input.time !== 'string' || !TIME.test(input.time)) throw bad('time', 'an ISO 8601 UTC time');
  return { account: input.account, region: input.region, id: input.id, time: input.time };
}

/** The JSON a Lambda log line holds. */
function logLine(log, fields) {
  log(JSON.stringify(fields));
}

module.exports = {
  SDK_CLIENT_OPTIONS,
  DeadlineError,
  callUntil,
  describeError,
  inert,
  ascii,
  chatValue,
  chatPlain,
  organizationsAccess,
  allPages,
  defaultClients,
  readEnvelope,
  logLine,
  FIELD_LIMIT,
};
