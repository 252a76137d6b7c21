import { Duration, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CisControlDefinition } from './catalog';
import { CONTROL_ALERT_METADATA } from './catalog/control-metadata';
import { Exclusion } from './exclusions';
import { InsightsFilter, insightsQueryFor } from './filter-pattern/translate/insights';
import { MAX_ALARM_DESCRIPTION_LENGTH } from './quotas';
import { CisSeverity } from './severity';

/** What every alarm description carries besides the control's own facts. */
export interface AlarmDescriptionOptions {
  /**
   * Context shown in every alarm description as `key=value`, for example
   * `{ environment: 'prod', team: 'security' }`. At most 10; keys are 1-64
   * letters, digits and `_ . : / -` starting with a letter; values are 1-128
   * printable characters without `,` (tokens allowed in values).
   * @default - no tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * A runbook for your organisation's response, linked from every description (https only).
   * @default - no runbook link
   */
  readonly runbookUrl?: string;

  /**
   * Append a CloudWatch Logs Insights query that lists the matching events.
   * It is the first thing dropped when the description would exceed 1024 characters.
   * @default true
   */
  readonly includeInsightsQuery?: boolean;
}

/**
 * Which alarm of a control a description is for (internal).
 * @jsii ignore
 */
export enum AlarmRole {
  /** The control's only alarm (no exclusions). */
  SINGLE = 'SINGLE',
  /** The alarm on the exact CIS filter, next to a paging alarm. */
  COMPLIANCE = 'COMPLIANCE',
  /** The alarm on the tuned filter (exclusions applied). */
  PAGING = 'PAGING',
}

/**
 * Input of `buildAlarmDescription` (internal).
 * @jsii ignore
 */
export interface AlarmDescriptionInput {
  /** The control as the chosen benchmark version states it. */
  readonly definition: CisControlDefinition;
  /** The effective severity (defaults to none shown). */
  readonly severity?: CisSeverity;
  /** Matching events per period that set the alarm off. */
  readonly threshold: number;
  /** Length of one period. */
  readonly period: Duration;
  /** Consecutive breaching periods (default 1). */
  readonly evaluationPeriods?: number;
  /** The trail's log group name (a token is fine; it is then not named). */
  readonly logGroupName?: string;
  /** Which alarm of the control (default SINGLE). */
  readonly role?: AlarmRole;
  /** The exclusions of a paging alarm, listed in its description. */
  readonly exclusions?: Exclusion[];
  /**
   * The Logs Insights translation of the pattern the alarm counts (from the
   * control's plan: the CIS pattern, or a paging alarm's excluded pattern).
   * @default - no query in the description
   */
  readonly insights?: InsightsFilter;
  /** User options. */
  readonly options?: AlarmDescriptionOptions;
  /**
   * The log group receives an organization trail: the alarm counts the
   * events of every member account, which `recipientAccountId` names.
   */
  readonly organizationTrail?: boolean;
}

/** Characters counted for each unresolved token (account, region, tag values): their value is unknown at synth time. */
const TOKEN_LENGTH_BUDGET = 32;

const TAG_KEY = /^[A-Za-z][A-Za-z0-9_.:/-]{0,63}$/;
const MAX_TAGS = 10;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const TOKEN_MARKER = /\$\{Token\[[^\]]*\]\}/g;

/**
 * Length of a string as CloudWatch will see it, counting every unresolved
 * token as `TOKEN_LENGTH_BUDGET` characters.
 * @jsii ignore
 */
export function renderedLength(text: string): number {
  let tokens = 0;
  const literal = text.replace(TOKEN_MARKER, () => {
    tokens++;
    return '';
  });
  return literal.length + tokens * TOKEN_LENGTH_BUDGET;
}

/**
 * Checks the description options; throws with what was wrong, the value and how to fix it.
 * @jsii ignore
 */
export function validateAlarmDescriptionOptions(options: AlarmDescriptionOptions = {}): void {
  const tags = options.tags ?? {};
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS) {
    throw new Error(`alarmDescription.tags has ${keys.length} entries; at most ${MAX_TAGS} fit in CloudWatch's 1024-character description. Keep the ones an on-call engineer needs.`);
  }
  for (const key of keys) {
    if (Token.isUnresolved(key) || !TAG_KEY.test(key)) {
      throw new Error(`alarmDescription.tags key "${key}" is invalid: use 1-64 letters, digits and _ . : / - starting with a letter (for example "environment").`);
    }
    const value = tags[key];
    if (typeof value !== 'string') {
      throw new Error(`alarmDescription.tags["${key}"] must be a string, got ${JSON.stringify(value)}.`);
    }
    if (Token.isUnresolved(value)) continue;
    if (value.length === 0 || value.length > 128 || CONTROL_CHARS.test(value) || value.includes(',') || value.trim() !== value) {
      throw new Error(`alarmDescription.tags["${key}"] value ${JSON.stringify(value)} is invalid: use 1-128 printable characters without commas, line breaks or surrounding spaces (for example "prod").`);
    }
  }
  const url = options.runbookUrl;
  if (url !== undefined && !Token.isUnresolved(url)) {
    if (!/^https:\/\/[^\s/$.?#][^\s]*$/.test(url) || url.length > 256) {
      throw new Error(`alarmDescription.runbookUrl "${url}" is invalid: give an https:// URL of at most 256 characters without spaces (for example "https://wiki.example.com/runbooks/cis").`);
    }
  }
}

interface Section {
  /** Text; empty sections are skipped. */
  text: string;
}

/**
 * Builds a control alarm's description, at most 1024 characters (tokens
 * counted as 32). Contents, in order: severity, CIS id, version and title;
 * account, region and trigger; compliance/paging role and exclusions; tags;
 * why it matters; first steps; runbook; a Logs Insights query.
 *
 * When too long, parts are dropped least important first: the query, then
 * the first steps (last step first), the runbook, the exclusion list, the
 * why-it-matters sentence, then the tags. The title line and the
 * account/trigger line are never cut.
 *
 * @param scope any construct in the stack (for account and region)
 * @jsii ignore
 */
export function buildAlarmDescription(scope: IConstruct, input: AlarmDescriptionInput): string {
  const options = input.options ?? {};
  validateAlarmDescriptionOptions(options);
  const d = input.definition;
  const control = d.control;
  const meta = CONTROL_ALERT_METADATA[control.key];
  const stack = Stack.of(scope);
  const role = input.role ?? AlarmRole.SINGLE;

  const severity = input.severity ? `[${input.severity}] ` : '';
  const roleTag = role === AlarmRole.PAGING ? 'Paging: ' : role === AlarmRole.COMPLIANCE ? 'Compliance: ' : '';
  const title = `${severity}${roleTag}CIS ${d.recommendationId} (v${d.benchmarkVersion.version}): ${d.title}`;

  const evals = input.evaluationPeriods ?? 1;
  const window = evals > 1 ? `${evals} consecutive periods of ${input.period.toHumanString()}` : input.period.toHumanString();
  const where = input.logGroupName && !Token.isUnresolved(input.logGroupName) ? ` in ${input.logGroupName}` : '';
  const trigger = input.organizationTrail
    ? `Organization trail of account ${stack.account}, region ${stack.region}: ${input.threshold} or more matching CloudTrail events of any member account within ${window}${where}; the events' recipientAccountId names the member account.`
    : `Account ${stack.account}, region ${stack.region}: ${input.threshold} or more matching CloudTrail events within ${window}${where}.`;

  let roleLine = '';
  const exclusions = input.exclusions ?? [];
  if (role === AlarmRole.COMPLIANCE) {
    roleLine = 'Exact CIS filter, kept for scanners; a paging alarm with exclusions watches the same events.';
  } else if (role === AlarmRole.PAGING && exclusions.length > 0) {
    roleLine = `Excludes: ${exclusions.map(e => e.description).join('; ')}.`;
  }

  const tagEntries = Object.entries(options.tags ?? {});
  const tags = tagEntries.length > 0 ? `Tags: ${tagEntries.map(([k, v]) => `${k}=${v}`).join(', ')}` : '';
  const why = meta ? `Why: ${meta.whyItMatters}` : '';
  const steps = [...(meta?.firstSteps ?? [])];
  const runbook = options.runbookUrl ? `Runbook: ${options.runbookUrl}` : '';
  const queryText = options.includeInsightsQuery === false || !input.insights
    ? undefined
    : insightsQueryFor(input.insights, input.organizationTrail === true);
  const query = queryText ? `Logs Insights: ${queryText}` : '';

  const parts = {
    title: { text: title } as Section,
    trigger: { text: trigger } as Section,
    role: { text: roleLine } as Section,
    tags: { text: tags } as Section,
    why: { text: why } as Section,
    steps: { text: '' } as Section,
    runbook: { text: runbook } as Section,
    query: { text: query } as Section,
  };
  const renderSteps = () => {
    parts.steps.text = steps.length > 0 ? `First steps: ${steps.map((s, i) => `${i + 1}) ${s}.`).join(' ')}` : '';
  };
  renderSteps();
  const render = () => Object.values(parts).map(p => p.text).filter(t => t.length > 0).join('\n');
  const fits = () => renderedLength(render()) <= MAX_ALARM_DESCRIPTION_LENGTH;

  if (!fits()) parts.query.text = '';
  while (!fits() && steps.length > 0) {
    steps.pop();
    renderSteps();
  }
  if (!fits()) parts.runbook.text = '';
  if (!fits()) shorten(parts.role, render);
  if (!fits()) shorten(parts.why, render);
  if (!fits()) shorten(parts.tags, render);
  if (!fits()) {
    // Only possible with an absurd number of tokens in the two fixed lines.
    throw new Error(`The alarm description of "${control.key}" does not fit in ${MAX_ALARM_DESCRIPTION_LENGTH} characters even without optional parts (${renderedLength(render())}, tokens counted as ${TOKEN_LENGTH_BUDGET}).`);
  }
  return render();
}

/** Cuts a section to what still fits, ending it with "..."; empties it when nothing useful fits. */
function shorten(section: Section, render: () => string): void {
  const original = section.text;
  section.text = '';
  const room = MAX_ALARM_DESCRIPTION_LENGTH - renderedLength(render()) - 1 - 3; // newline, "..."
  if (room < 12) return;
  let cut = original.slice(0, room);
  for (;;) {
    // Never leave half a token marker.
    const open = cut.lastIndexOf('${Token[');
    if (open >= 0 && cut.indexOf(']}', open) < 0) cut = cut.slice(0, open);
    if (renderedLength(cut) <= room) break;
    cut = cut.slice(0, -1);
  }
  section.text = `${cut.trimEnd()}...`;
}
