import { CisBenchmarkVersion, CisControl } from './cis-catalog';

/**
 * Internal helpers shared by every construct that takes controls or versions,
 * so they name things, compare them and reject bad input the same way.
 *
 * Controls and versions are compared by their stable key, never by object
 * identity: a `CisControl` from a second copy of this module (two versions of
 * the package in one `node_modules`, or a jsii proxy) is the same control.
 */

/** The construct ID of a control's resources, from its stable key only (`root-account-usage` → `RootAccountUsage`). */
export function controlConstructId(key: string): string {
  return key.split('-').map(w => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** Describes a value that is not what a property expects, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return 'an array';
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'a plain object';
}

/**
 * The canonical `CisControl` for `value`: the value itself, or the control
 * with the same key when it comes from another copy of this module.
 * @param where the property, for the message (`excludeControls[1]`)
 */
export function asControl(value: unknown, where: string): CisControl {
  if (value instanceof CisControl) return value;
  const key = value !== null && typeof value === 'object' ? (value as { key?: unknown }).key : undefined;
  if (typeof key === 'string' && typeof (value as { isIn?: unknown }).isIn === 'function') {
    const known = CisControl.all().find(c => c.key === key);
    if (known) return known;
  }
  const hint = typeof value === 'string' && CisControl.all().some(c => c.key === value)
    ? ` Use CisControl.fromKey(${JSON.stringify(value)}).`
    : '';
  throw new Error(`${where} must be a CisControl (for example CisControl.ROOT_ACCOUNT_USAGE), got ${describeValue(value)}.${hint}`);
}

/** `asControl` for every element of a list; throws when `list` is not an array. */
export function asControls(list: unknown, where: string): CisControl[] {
  if (!Array.isArray(list)) {
    throw new Error(`${where} must be a list of CisControl, got ${describeValue(list)}.`);
  }
  return list.map((c, i) => asControl(c, `${where}[${i}]`));
}

/** The canonical `CisBenchmarkVersion` for `value` (see `asControl`). */
export function asVersion(value: unknown, where: string): CisBenchmarkVersion {
  if (value instanceof CisBenchmarkVersion) return value;
  const version = value !== null && typeof value === 'object' ? (value as { version?: unknown }).version : undefined;
  if (typeof version === 'string') {
    const known = CisBenchmarkVersion.all().find(v => v.version === version);
    if (known) return known;
  }
  const hint = typeof value === 'string' ? ` Use CisBenchmarkVersion.of(${JSON.stringify(value)}).` : '';
  throw new Error(`${where} must be a CisBenchmarkVersion (for example CisBenchmarkVersion.V7_0_0), got ${describeValue(value)}.${hint}`);
}

/** Whether `list` holds `control` (by key). */
export function includesControl(list: readonly CisControl[], control: CisControl): boolean {
  return list.some(c => c.key === control.key);
}

/**
 * The one control selection every construct uses: checks the requested and
 * excluded controls against a benchmark version and returns what remains in
 * benchmark order (every metric-filter control of the version when none was
 * requested).
 *
 * @param provides what each control gets, for error messages ("alarm", "event pattern", "query")
 * @throws when a list is not a list of controls, names a control twice, names
 * a control that is not a metric-filter control of `version`, or when nothing remains
 */
export function selectControls(
  version: CisBenchmarkVersion,
  requested: unknown,
  excluded: unknown,
  provides: string,
): CisControl[] {
  const wanted = requested === undefined ? version.controls() : asControls(requested, 'controls');
  const left = excluded === undefined ? [] : asControls(excluded, 'excludeControls');
  for (const [list, name] of [[wanted, 'controls'], [left, 'excludeControls']] as const) {
    const seen = new Set<string>();
    for (const c of list) {
      if (seen.has(c.key)) throw new Error(`${name} lists "${c.key}" twice; list each control once.`);
      seen.add(c.key);
      if (!c.isIn(version)) {
        throw new Error(`Control "${c.key}" is not part of ${version} (it exists in ${c.versions().map(v => v.version).join(', ')}). Remove it from ${name} or choose another benchmarkVersion.`);
      }
      if (!c.isMetricFilter) {
        throw new Error(`Control "${c.key}" is not a metric-filter control, so it has no ${provides}. Remove it from ${name}.`);
      }
    }
  }
  const keep = new Set(wanted.map(c => c.key));
  for (const c of left) keep.delete(c.key);
  const selected = version.controls().filter(c => keep.has(c.key));
  if (selected.length === 0) {
    throw new Error(`The control selection is empty: controls [${wanted.map(c => c.key).join(', ')}] minus excludeControls [${left.map(c => c.key).join(', ')}] leaves nothing to deploy. Select at least one control, or leave controls unset to use every control of ${version}.`);
  }
  return selected;
}
