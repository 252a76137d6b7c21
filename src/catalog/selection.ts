import { CisBenchmarkVersion, CisControl } from './cis-catalog';

/**
 * Internal helpers shared by every construct that takes a list of controls,
 * so they name things and reject bad selections the same way.
 */

/** The construct ID of a control's resources, from its stable key only (`root-account-usage` → `RootAccountUsage`). */
export function controlConstructId(key: string): string {
  return key.split('-').map(w => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/**
 * Checks a requested control list against a benchmark version and returns it
 * in benchmark order (every metric-filter control of the version when none
 * was requested).
 * `provides` names what each control gets, for the error message ("query", "event pattern").
 */
export function checkControlSelection(version: CisBenchmarkVersion, requested: CisControl[] | undefined, provides: string): CisControl[] {
  const wanted = requested ?? version.controls();
  const seen = new Set<CisControl>();
  for (const c of wanted) {
    if (seen.has(c)) throw new Error(`controls lists "${c.key}" twice; list each control once.`);
    seen.add(c);
    if (!c.isIn(version)) {
      throw new Error(`Control "${c.key}" is not part of ${version} (it exists in ${c.versions().map(v => v.version).join(', ')}). Remove it from controls or choose another benchmarkVersion.`);
    }
    if (!c.isMetricFilter) {
      throw new Error(`Control "${c.key}" is not a metric-filter control, so it has no ${provides}. Remove it from controls.`);
    }
  }
  return version.controls().filter(c => seen.has(c));
}
