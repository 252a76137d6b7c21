/** The plan the constructs build, for tests that check one piece of it (translations, queries). */
import { CisBenchmarkVersion, CisControl, CisControlDefinition } from '../../src/catalog';
import { EventPatternTranslation } from '../../src/filter-pattern/translate/event-pattern';
import { insightsQueryFor } from '../../src/filter-pattern/translate/insights';
import { ControlPlan, ControlPlanInput } from '../../src/plan/control-plan';

/** The plan of one control, as a construct with these options would build it. */
export function planOf(control: CisControl, version: CisBenchmarkVersion, options: Partial<ControlPlanInput> = {}): ControlPlan {
  const plans = ControlPlan.build({ provides: 'plan', controls: [control], ...options, benchmarkVersion: version });
  return plans.find(p => p.control.key === control.key)!;
}

/** The EventBridge translation of a control's CIS pattern in one version. */
export function eventPatternFor(definition: CisControlDefinition): EventPatternTranslation {
  return planOf(definition.control, definition.benchmarkVersion).eventPattern;
}

/** The one-line Logs Insights query of a control's CIS pattern, as alarm descriptions carry it. */
export function controlInsightsQuery(control: CisControl, version: CisBenchmarkVersion): string {
  return insightsQueryFor(planOf(control, version).insightsFilter);
}
