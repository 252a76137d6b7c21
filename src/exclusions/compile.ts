/**
 * Compiles exclusions into a paging filter pattern (internal; CisMonitoring
 * calls these, they are not exported from the package index).
 */
import { Token } from 'aws-cdk-lib';
import { CisControl } from '../catalog';
import { FilterPatternEngine, FilterPatternKind } from '../filter-pattern';
import { Exclusion, ExclusionKind } from './exclusion';
import { ExclusionCondition, quoteFilterValue } from './internal';
import { includesControl } from '../catalog/selection';
import { MAX_FILTER_PATTERN_LENGTH } from '../quotas';


/**
 * Checks the exclusions against the deployed controls: every control an
 * exclusion names must be deployed, and an event-name exclusion must not
 * remove every event a control watches.
 */
export function validateExclusions(exclusions: Exclusion[], deployed: CisControl[]): void {
  for (const e of exclusions) {
    if (!(e instanceof Exclusion)) {
      throw new Error(`exclusions contains ${JSON.stringify(e)}; create exclusions with the Exclusion factories, for example Exclusion.roleName("ci-deployer").`);
    }
    for (const c of e.controls ?? []) {
      if (!includesControl(deployed, c)) {
        throw new Error(`The exclusion of ${e.description} names control "${c.key}", which is not deployed (deployed: ${deployed.map(d => d.key).join(', ')}). Remove it from the exclusion's controls or select the control.`);
      }
    }
    if (e.kind === ExclusionKind.EVENT_NAME) {
      for (const c of deployed.filter(d => e.appliesTo(d))) {
        if (c.eventNames.length > 0 && c.eventNames.every(n => globMatches(e.value, n))) {
          throw new Error(`The exclusion of ${e.description} removes every event control "${c.key}" watches (${c.eventNames.join(', ')}), so its paging alarm could never fire. Exclude fewer events, or leave "${c.key}" out of the exclusion's controls.`);
        }
      }
    }
  }
}

/**
 * Adds exclusions to a JSON filter pattern:
 *
 * `{ (<base without its braces>) && ($.f NOT EXISTS || $.f != "v") && ... }`
 *
 * Exclusions on the same field share one guard:
 * `($.f NOT EXISTS || ($.f != "a" && $.f != "b"))`. Each guard keeps events
 * that lack the field, since a comparison on a missing field is false,
 * `!=` included. Values are quoted and `"`/`\` escaped.
 *
 * @param basePattern a JSON filter pattern (`{ ... }`)
 * @param exclusions the exclusions to add; when `control` is given, those that do not apply to it are skipped
 * @param control the control the pattern belongs to, for filtering and error messages
 * @returns the base pattern unchanged when no exclusion applies, else the excluded pattern
 * @throws when the base pattern is not a JSON pattern or the result exceeds 1024 characters
 */
export function compileExcludedPattern(basePattern: string, exclusions: Exclusion[], control?: CisControl): string {
  const applicable = control ? exclusions.filter(e => e.appliesTo(control)) : exclusions;
  if (applicable.length === 0) return basePattern;
  const label = control ? `control "${control.key}"` : 'the pattern';

  const trimmed = basePattern.trim();
  let kind: FilterPatternKind;
  try {
    kind = FilterPatternEngine.parse(trimmed).kind;
  } catch (e) {
    throw new Error(`Cannot add exclusions to ${label}: its pattern is invalid: ${(e as Error).message}`);
  }
  if (kind !== FilterPatternKind.JSON || !trimmed.startsWith('{') || !trimmed.endsWith('}')) {
    throw new Error(`Cannot add exclusions to ${label}: exclusions need a JSON filter pattern ({ $.field = ... }), got ${kind}: ${basePattern}`);
  }
  const inner = trimmed.slice(1, -1).trim();

  // Group conditions by selector, keeping first-seen order and dropping duplicate values.
  const bySelector = new Map<string, ExclusionCondition[]>();
  for (const e of applicable) {
    for (const cond of e._conditions) {
      const list = bySelector.get(cond.selector) ?? [];
      if (!list.some(c => c.value === cond.value)) list.push(cond);
      bySelector.set(cond.selector, list);
    }
  }

  const guards: string[] = [];
  let estimatedExtra = 0; // token values: reserve minus their placeholder length
  let tokens = 0;
  for (const [selector, conds] of bySelector) {
    const tests = conds.map(c => `${selector} != ${quoteFilterValue(c.value)}`);
    for (const c of conds) {
      if (Token.isUnresolved(c.value)) {
        tokens++;
        estimatedExtra += c.renderedLength - quoteFilterValue(c.value).length;
      }
    }
    const kept = tests.length === 1 ? tests[0] : `(${tests.join(' && ')})`;
    guards.push(`(${selector} NOT EXISTS || ${kept})`);
  }
  const pattern = `{ (${inner}) && ${guards.join(' && ')} }`;

  const length = pattern.length + estimatedExtra;
  if (length > MAX_FILTER_PATTERN_LENGTH) {
    const estimate = tokens > 0 ? ` (estimated: ${tokens} value(s) are tokens, counted at their maximum length)` : '';
    throw new Error(`The exclusions for ${label} make its paging filter pattern ${length} characters long${estimate}; CloudWatch Logs allows ${MAX_FILTER_PATTERN_LENGTH}. The base pattern alone takes ${basePattern.length}. Use fewer or shorter exclusions for this control (limit the others with controls: [...]), or prefer Exclusion.roleName() to long ARNs.`);
  }

  if (tokens === 0) {
    // Guard against our own bugs: the result must parse as a JSON pattern.
    const problem = FilterPatternEngine.validate(pattern);
    if (problem) {
      throw new Error(`Internal error: the excluded pattern for ${label} does not parse (${problem}). Please report this with your exclusions.`);
    }
  }
  return pattern;
}

/** Whether a filter-pattern value (with `*` at the start/end) matches a string, as CloudWatch Logs compares. */
export function globMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const lead = pattern.startsWith('*');
  const trail = pattern.length > 1 && pattern.endsWith('*');
  const core = pattern.slice(lead ? 1 : 0, trail ? -1 : undefined);
  if (lead && trail) return value.includes(core);
  if (lead) return value.endsWith(core);
  if (trail) return value.startsWith(core);
  return value === core;
}
