/** The plan the constructs build, for tests that check one piece of it (translations, queries). */
import { loadControlFixtures } from './fixtures';
import { distinctRows } from './tables';
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

/** Benchmark versions as a label: "v1.2.0-v1.5.0" when consecutive, otherwise "v1.2.0, v2.0.0". */
export function versionsLabel(versions: readonly string[]): string {
  const all = CisBenchmarkVersion.all().map(v => v.version);
  const idx = versions.map(v => all.indexOf(v));
  const consecutive = idx.every((n, i) => n >= 0 && (i === 0 || n === idx[i - 1] + 1));
  return versions.length > 1 && consecutive ? `v${versions[0]}-v${versions[versions.length - 1]}` : versions.map(v => `v${v}`).join(', ');
}

/** One control in one benchmark version. */
export interface VersionControl {
  readonly version: CisBenchmarkVersion;
  readonly control: CisControl;
}

/**
 * Every control of every version, one row per distinct input (`keyOf`, with
 * the control's key): `[label, first such { version, control }]`, the label
 * "CIS v1.3.0-v1.5.0 <key>" naming every version the row stands for.
 * @param by what the input is, for the CI summary
 */
export function versionControlRows(by: string, keyOf: (r: VersionControl) => unknown): Array<[string, VersionControl]> {
  const rows = CisBenchmarkVersion.all().flatMap(version => version.controls().map(control => ({ version, control })));
  return distinctRows(rows, by, r => JSON.stringify([r.control.key, keyOf(r)]),
    same => `CIS ${versionsLabel(same.map(r => r.version.version))} ${same[0].control.key}`);
}

/** The input of a test of the deployed pattern on the control's fixtures: the text, and which fixtures it must match. */
export const PATTERN_AND_FIXTURES = {
  by: 'deployed pattern and the fixtures it must match',
  keyOf: ({ version, control }: VersionControl) =>
    [control.definitionIn(version).deployedPattern, loadControlFixtures(control.key, version).positives.map(f => f.name)],
};

