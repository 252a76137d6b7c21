/**
 * The pattern planner: for one control, benchmark version and scanner
 * selection, the fewest filter pattern texts whose union passes every
 * selected scanner's pattern rule, starting from the version's deployed
 * pattern. Every text publishes the control's one metric, so one alarm covers
 * them all (scanners link alarm to filter by metric name).
 */
import { CisBenchmarkVersion, CisControl } from '../catalog';
import { ALL_SCANNERS, patternRule, scannerDisplayName } from './rules';
import { Scanner } from './scanner';
import { CONTROL_METADATA } from '../catalog/control-metadata';
import { MAX_FILTER_PATTERN_LENGTH as MAX_PATTERN_LENGTH } from '../quotas';
import { CLOUDSPLOIT_MASTER_RULES } from './scanner-data.generated';
import { BENIGN_EVENTS, ProbeEvent, controlProbes, eventNamesIn } from '../catalog/probe-events';
import { CompiledFilterPattern, FilterPatternEngine } from '../filter-pattern';


/** A text the planner may deploy, with where it comes from and what it passes. */
export interface PatternCandidate {
  readonly text: string;
  /** Where the text comes from, most relevant first, e.g. "CIS 7.0.0 remediation". */
  readonly sources: readonly string[];
  /** Lower is preferred when two plans have the same size and breadth. */
  readonly priority: number;
  /** The scanners (of all four) whose pattern rule this text passes. */
  readonly satisfies: ReadonlySet<Scanner>;
  /** Set when the text must never be deployed (matches ordinary events, does not parse, too long). */
  readonly unusableReason?: string;
  /** Probe events this text matches that the deployed pattern does not. */
  readonly broaderProbes: readonly string[];
  /** The parsed text; undefined when it does not parse. */
  readonly compiled?: CompiledFilterPattern;
}

/** One text of a plan. */
export interface PlannedPattern {
  readonly text: string;
  readonly sources: readonly string[];
  /** Which of the selected scanners this text satisfies. */
  readonly satisfies: readonly Scanner[];
  /** True for the version's deployed pattern (always first). */
  readonly deployed: boolean;
  /** The parsed text (every planned text parses). */
  readonly compiled: CompiledFilterPattern;
}

/** A selected scanner no usable text satisfies. */
export interface UnsatisfiableScanner {
  readonly scanner: Scanner;
  readonly reason: string;
}

/** A selected scanner that does not check this control at all. */
export interface NotApplicableScanner {
  readonly scanner: Scanner;
  readonly reason: string;
}

/** Something the plan's union matches that the deployed pattern alone does not. */
export interface BroaderThanIntended {
  /** The added text responsible. */
  readonly pattern: string;
  /** Where that text comes from. */
  readonly source: string;
  /** The scanners that text was added for. */
  readonly scanners: readonly Scanner[];
  /** The probe event, e.g. "an AccessDenied error on S3 HeadBucket ...". */
  readonly probe: string;
  /** A full sentence for warnings and docs. */
  readonly sentence: string;
}

/** The result of `planControlPatterns`. */
export interface ControlPatternPlan {
  readonly control: CisControl;
  readonly version: CisBenchmarkVersion;
  /** The selected scanners, deduplicated, in `ALL_SCANNERS` order. */
  readonly scanners: readonly Scanner[];
  /** The texts to deploy, the deployed pattern first; each publishes the control's metric. */
  readonly patterns: readonly PlannedPattern[];
  readonly unsatisfiable: readonly UnsatisfiableScanner[];
  readonly notApplicable: readonly NotApplicableScanner[];
  readonly broaderThanIntended: readonly BroaderThanIntended[];
}

/** Input of the set-cover step (exposed for tests). */
export interface CoverInput {
  readonly forced: PatternCandidate;
  readonly candidates: readonly PatternCandidate[];
  readonly scanners: readonly Scanner[];
}

/** Output of the set-cover step. */
export interface CoverResult {
  readonly chosen: readonly PatternCandidate[];
  readonly unsatisfiable: readonly UnsatisfiableScanner[];
}

const PRIORITY_SAME_VERSION = 1;
const PRIORITY_SECURITY_HUB = 2;
const PRIORITY_SCANNER_EXPECTED = 3;
const PRIORITY_OTHER_VERSION = 4;
const PRIORITY_REPAIR = 6;

interface RawCandidate {
  text: string;
  sources: string[];
  priority: number;
}

/**
 * Every text the planner may choose from for `control` in `version`, the
 * deployed pattern excluded, each evaluated against all four scanners' rules
 * and the probe events. Unusable texts are included with `unusableReason`.
 */
export function controlCandidates(control: CisControl, version: CisBenchmarkVersion): { deployed: PatternCandidate; candidates: PatternCandidate[] } {
  const key = `${control.key}|${version.version}`;
  const cached = candidateCache.get(key);
  if (cached) return cached;

  const definition = control.definitionIn(version);
  const deployedText = definition.deployedPattern;
  if (deployedText === undefined) {
    throw new Error(`Control "${control.key}" has no filter pattern in ${version}; only metric-filter controls can be planned.`);
  }

  const raw: RawCandidate[] = [];
  const add = (text: string | undefined, source: string, priority: number) => {
    if (text === undefined) return;
    raw.push({ text, sources: [source], priority });
  };
  const versions = control.versions();
  const index = versions.indexOf(version);
  // The selected version first, then the others, nearest first (newer before older on ties).
  const ordered = [...versions].sort((a, b) => {
    const da = Math.abs(versions.indexOf(a) - index);
    const db = Math.abs(versions.indexOf(b) - index);
    return da !== db ? da - db : versions.indexOf(b) - versions.indexOf(a);
  });
  for (const w of ordered) {
    const d = control.definitionIn(w);
    const same = w === version;
    const priority = same ? PRIORITY_SAME_VERSION : PRIORITY_OTHER_VERSION + Math.abs(versions.indexOf(w) - index) / 100;
    add(d.cisPattern, `CIS ${w.version} remediation`, priority);
    if (d.deployedPattern !== d.cisPattern) add(d.deployedPattern, `CIS ${w.version} pattern as this library deploys it (${d.patternDefect ? 'defect repaired' : 'repaired'})`, priority);
    add(d.ssoVariantPattern, `CIS ${w.version} SSO variant`, priority);
    for (const t of d.otherTranscriptions) add(t, `CIS ${w.version} alternate or audit transcription`, priority + 0.5);
  }
  add(control.securityHubPattern, `Security Hub ${control.securityHubControlId} documented text`, PRIORITY_SECURITY_HUB);
  const cs = CLOUDSPLOIT_MASTER_RULES[control.key];
  add(cs?.expected, 'CloudSploit (master) expected text', PRIORITY_SCANNER_EXPECTED);
  for (const r of CONTROL_METADATA[control.key].scannerRepairs ?? []) add(r.text, r.source, PRIORITY_REPAIR);

  // Merge identical texts: keep the best priority and every source.
  const byText = new Map<string, RawCandidate>();
  for (const r of raw) {
    const seen = byText.get(r.text);
    if (!seen) {
      byText.set(r.text, { text: r.text, sources: [...r.sources], priority: r.priority });
    } else {
      for (const s of r.sources) if (!seen.sources.includes(s)) seen.sources.push(s);
      seen.priority = Math.min(seen.priority, r.priority);
    }
  }
  const deployedRaw = byText.get(deployedText) ?? { text: deployedText, sources: [], priority: 0 };
  byText.delete(deployedText);
  deployedRaw.sources.unshift(`CIS ${version.version} deployed pattern`);

  const allTexts = [deployedText, ...byText.keys()];
  const probes = controlProbes(control.key, allTexts);
  const deployedCompiled = FilterPatternEngine.parse(deployedText);
  const parsed = new Map<string, CompiledFilterPattern>([[deployedText, deployedCompiled]]);
  const deployedMatches = new Set(probes.filter(p => deployedCompiled.matchesRecord(p.event)).map(p => p.description));

  const evaluate = (r: RawCandidate, isDeployed: boolean): PatternCandidate => {
    const satisfies = new Set<Scanner>();
    for (const s of ALL_SCANNERS) {
      const rule = patternRule(s, control.key);
      if (rule.applicable && rule.test(r.text)) satisfies.add(s);
    }
    let unusableReason: string | undefined;
    let broaderProbes: string[] = [];
    let compiled: CompiledFilterPattern | undefined;
    try {
      compiled = parsed.get(r.text) ?? FilterPatternEngine.parse(r.text);
    } catch (e) {
      unusableReason = `it is not a valid filter pattern (${firstLine((e as Error).message)})`;
    }
    if (compiled) {
      const noisy = matchesOrdinaryEvents(compiled);
      if (noisy.length > 0 && !isDeployed) {
        unusableReason = `it matches ordinary events no control is meant to catch (${noisy.join('; ')}), i.e. almost every CloudTrail event, so its alarm would fire constantly`;
      } else if (r.text.length > MAX_PATTERN_LENGTH) {
        unusableReason = `it is ${r.text.length} characters long; CloudWatch Logs allows ${MAX_PATTERN_LENGTH}`;
      }
      const groups = new Set<string>();
      broaderProbes = probes
        .filter(p => !deployedMatches.has(p.description) && compiled!.matchesRecord(p.event))
        .filter(p => {
          if (p.group === undefined) return true;
          if (groups.has(p.group)) return false;
          groups.add(p.group);
          return true;
        })
        .map(p => p.description);
    }
    return { text: r.text, sources: r.sources, priority: r.priority, satisfies, unusableReason, broaderProbes, compiled };
  };

  const result = {
    deployed: evaluate(deployedRaw, true),
    candidates: [...byText.values()].map(r => evaluate(r, false)),
  };
  candidateCache.set(key, result);
  return result;
}

const candidateCache = new Map<string, { deployed: PatternCandidate; candidates: PatternCandidate[] }>();

/**
 * The benign probe events a compiled pattern matches (descriptions). A text
 * that matches any of them would count ordinary read-only calls.
 */
export function matchesOrdinaryEvents(pattern: CompiledFilterPattern): string[] {
  return BENIGN_EVENTS.filter((p: ProbeEvent) => pattern.matchesRecord(p.event)).map(p => p.description);
}

/**
 * The set-cover step: the fewest usable candidates that, with `forced`,
 * satisfy every scanner in `scanners` that some usable candidate can satisfy.
 * Ties go to the plan that matches fewer probe events beyond the forced text,
 * then to the lower total priority, then to the earlier candidates.
 */
export function chooseCover(input: CoverInput): CoverResult {
  const needed = input.scanners.filter(s => !input.forced.satisfies.has(s));
  const usable = input.candidates.filter(c => c.unusableReason === undefined);
  const unsatisfiable: UnsatisfiableScanner[] = [];
  const target: Scanner[] = [];
  for (const s of needed) {
    if (usable.some(c => c.satisfies.has(s))) {
      target.push(s);
      continue;
    }
    const blocked = input.candidates.filter(c => c.satisfies.has(s));
    const reason = blocked.length > 0
      ? `${scannerDisplayName(s)} is satisfied only by ${blocked.map(c => `${c.sources[0]} (${c.text})`).join(' or ')}, which is never deployed: ${blocked[0].unusableReason}.`
      : `No known text satisfies ${scannerDisplayName(s)}'s rule for this control.`;
    unsatisfiable.push({ scanner: s, reason });
  }
  const useful = usable.filter(c => target.some(s => c.satisfies.has(s)));

  for (let k = 0; k <= useful.length; k++) {
    let best: { combo: PatternCandidate[]; score: [number, number] } | undefined;
    for (const combo of combinations(useful, k)) {
      if (!target.every(s => combo.some(c => c.satisfies.has(s)))) continue;
      const broader = new Set<string>();
      combo.forEach(c => c.broaderProbes.forEach(p => broader.add(p)));
      const score: [number, number] = [broader.size, combo.reduce((sum, c) => sum + c.priority, 0)];
      if (!best || score[0] < best.score[0] || (score[0] === best.score[0] && score[1] < best.score[1])) {
        best = { combo, score };
      }
    }
    if (best) {
      return { chosen: [...best.combo].sort((a, b) => a.priority - b.priority), unsatisfiable };
    }
  }
  // Unreachable: every target scanner is satisfied by some useful candidate, so k = |useful| works.
  throw new Error('chooseCover: no cover found although every target scanner has a candidate');
}

function* combinations<T>(items: readonly T[], k: number, start = 0, prefix: T[] = []): Generator<T[]> {
  if (prefix.length === k) {
    yield prefix;
    return;
  }
  for (let i = start; i <= items.length - (k - prefix.length); i++) {
    yield* combinations(items, k, i + 1, [...prefix, items[i]]);
  }
}

/**
 * Plans the filter pattern texts for one control.
 *
 * The version's deployed pattern always comes first (it is what the control
 * means); the other texts are the fewest that make every selected scanner
 * pass. Texts that match almost every event are never planned; a scanner that
 * only such a text would satisfy is reported in `unsatisfiable`.
 *
 * @throws Error when the control is not a metric-filter control of `version`
 */
export function planControlPatterns(control: CisControl, version: CisBenchmarkVersion, scanners: readonly Scanner[]): ControlPatternPlan {
  if (!control.isMetricFilter) {
    throw new Error(`Control "${control.key}" is not a metric-filter control, so it has no filter patterns to plan. Plan one of: ${version.controls().map(c => c.key).join(', ')}.`);
  }
  if (!control.isIn(version)) {
    throw new Error(`Control "${control.key}" is not part of ${version} (it exists in ${control.versions().map(v => v.version).join(', ')}). Choose another benchmark version or control.`);
  }
  for (const s of scanners) {
    if (!ALL_SCANNERS.includes(s)) {
      throw new Error(`Unknown scanner "${String(s)}". Use Scanner.${ALL_SCANNERS.join(', Scanner.')}.`);
    }
  }
  const selected = ALL_SCANNERS.filter(s => scanners.includes(s));
  const notApplicable: NotApplicableScanner[] = [];
  const applicable: Scanner[] = [];
  for (const s of selected) {
    const rule = patternRule(s, control.key);
    if (rule.applicable) applicable.push(s);
    else notApplicable.push({ scanner: s, reason: rule.notApplicableReason! });
  }

  const { deployed, candidates } = controlCandidates(control, version);
  const cover = chooseCover({ forced: deployed, candidates, scanners: applicable });
  const texts = [deployed, ...cover.chosen];
  const patterns: PlannedPattern[] = texts.map((c, i) => ({
    text: c.text,
    sources: c.sources,
    satisfies: applicable.filter(s => c.satisfies.has(s)),
    deployed: i === 0,
    compiled: c.compiled!,
  }));
  const broaderThanIntended: BroaderThanIntended[] = [];
  for (const c of cover.chosen) {
    const forScanners = applicable.filter(s => c.satisfies.has(s) && !deployed.satisfies.has(s));
    for (const probe of c.broaderProbes) {
      broaderThanIntended.push({
        pattern: c.text,
        source: c.sources[0],
        scanners: forScanners,
        probe,
        sentence: `${control.key}: the ${c.sources[0]}, added for ${forScanners.map(scannerDisplayName).join(' and ')}, also matches ${probe}, which the CIS ${version.version} pattern does not match.`,
      });
    }
  }
  return { control, version, scanners: selected, patterns, unsatisfiable: cover.unsatisfiable, notApplicable, broaderThanIntended };
}

/** The texts of `planControlPatterns(...)`, deployed pattern first: what the construct creates one metric filter each for. */
export function planPatternTexts(control: CisControl, version: CisBenchmarkVersion, scanners: readonly Scanner[]): string[] {
  return planControlPatterns(control, version, scanners).patterns.map(p => p.text);
}

/** Names the event names a text mentions (re-exported for tests and docs). */
export { eventNamesIn };

function firstLine(text: string): string {
  return text.split('\n')[0];
}
