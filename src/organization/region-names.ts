import { Fact } from 'aws-cdk-lib/region-info';
import { describeValue } from '../catalog/selection';

/** What the shape of a Region name is (`eu-west-1`, `us-gov-west-1`, `us-isob-east-1`). */
const REGION_SHAPE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

/** The result of checking one Region name (internal). */
export interface RegionCheck {
  /** Known to the installed aws-cdk-lib's region facts. */
  readonly known: boolean;
  /** For an unknown name: known Regions it is one or two edits from, for the caller's warning. */
  readonly nearest?: string[];
}

/**
 * Checks a Region name against aws-cdk-lib's region facts (`Fact.regions`):
 * a known Region passes; a name of a Region's shape whose direction word is
 * one Regions use (`east`, `central`, …) passes as unknown, with the known
 * Regions it is near (a Region newer than the installed aws-cdk-lib, such as
 * a new area: the caller warns, and the warning can be acknowledged); any
 * other name one or two edits away from a known one (`eu-wset-1`,
 * `us-east1`) is an error that suggests it; anything else is an error.
 *
 * @throws Error naming `where`, the value and the fix
 */
export function checkRegionName(value: unknown, where: string): RegionCheck {
  if (typeof value !== 'string') {
    throw new Error(`${where} must be a Region name (for example "eu-west-1"), got ${describeValue(value)}.`);
  }
  const known = Fact.regions;
  if (known.includes(value)) return { known: true };
  const lower = value.trim().toLowerCase();
  if (lower !== value && known.includes(lower)) {
    throw new Error(`${where} "${value}" is not a Region name: did you mean "${lower}"? Region names are lower case, without spaces.`);
  }
  const nearest = closest(lower, known);
  // A Region's shape with a direction word Regions use (us-east-3, mx-central-1, sa-west-1) may be a Region newer than
  // aws-cdk-lib, in a known area or a new one: a warning the user can acknowledge. A misspelt direction (eu-wset-1) cannot.
  if (REGION_SHAPE.test(value) && directions(known).has(directionOf(value))) {
    // a new number in a known area (eu-west-9) needs no suggestion; a new area may be a slip (sa-west-1 for ca-west-1)
    const area = value.replace(/\d+$/, '');
    return { known: false, nearest: known.some(k => k.replace(/\d+$/, '') === area) ? [] : nearest };
  }
  if (nearest.length > 0) {
    throw new Error(`${where} "${value}" is not a Region: did you mean ${nearest.map(n => `"${n}"`).join(' or ')}?`);
  }
  if (!REGION_SHAPE.test(value)) {
    throw new Error(`${where} must be a Region name (for example "eu-west-1"), got ${describeValue(value)}.`);
  }
  return { known: false };
}

/** `west` of `eu-west-1`, `east` of `us-gov-east-1`. */
function directionOf(region: string): string {
  const parts = region.split('-');
  return parts[parts.length - 2];
}

/** The direction words of the known Regions. */
function directions(known: readonly string[]): Set<string> {
  return new Set(known.map(directionOf));
}

/** The known Regions nearest to `value`, when they are at most two edits away (at most three of them). */
function closest(value: string, known: readonly string[]): string[] {
  let best: string[] = [];
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(value, k, bestDistance + 1);
    if (d < bestDistance) {
      bestDistance = d;
      best = [k];
    } else if (d === bestDistance) {
      best.push(k);
    }
  }
  return bestDistance <= 2 ? best.slice(0, 3) : [];
}

/**
 * Optimal string alignment distance (insertions, deletions, substitutions and
 * transpositions of neighbours each cost 1), so `eu-wset-1` is one edit from
 * `eu-west-1`. Stops early once every path costs `limit` or more.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin >= limit) return limit;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length];
}
