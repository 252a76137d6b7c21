import { CisControl, CisControlDefinition } from '../catalog';
import { EventPatternTranslation, GENERAL_TRANSLATION_CAVEATS, translateFilterPattern } from './event-pattern-translation';

/**
 * The EventBridge pattern of a control in one version: its deployed filter
 * pattern translated (see `event-pattern-translation.ts`). Internal; the lead
 * construct and tests use it.
 */
export function eventPatternFor(definition: CisControlDefinition): EventPatternTranslation {
  const text = definition.deployedPattern;
  if (!text) {
    throw new Error(`Control "${definition.control.key}" has no filter pattern in ${definition.benchmarkVersion}, so no EventBridge rule can be derived from it.`);
  }
  return translateFilterPattern(text);
}

/** Caveats that apply to every translated rule (exported for the docs and the lead construct). */
export const EVENT_RULE_GENERAL_CAVEATS = GENERAL_TRANSLATION_CAVEATS;


/**
 * Controls whose filter pattern also counts read-only calls (`Describe*`,
 * `Get*`, `List*`), which EventBridge delivers only to rules in the
 * `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` state. The other controls
 * list change events only.
 */
const READ_ONLY_CONTROLS: ReadonlySet<string> = new Set(['unauthorized-api-calls', 'root-account-usage']);

/** Whether a control's rule needs read-only management events to see what its metric filter sees. */
export function watchesReadOnlyCalls(control: CisControl): boolean {
  return READ_ONLY_CONTROLS.has(control.key);
}
