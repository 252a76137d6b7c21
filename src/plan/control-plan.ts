/**
 * The plan of one control: everything a construct deploys for it, computed
 * once per construct from the catalog and the construct's options (internal).
 *
 * `CisMonitoring`, `CisEventRules`, `CisInvestigationQueries`, the alarm
 * descriptions, the dashboard and `cis-monitoring replay --benchmark` read
 * the plan instead of deriving texts, translations, severities and alarm
 * settings again, so they cannot disagree (and each pattern is parsed once).
 */
import { Duration, Token } from 'aws-cdk-lib';
import { CisBenchmarkVersion, CisControl, CisControlDefinition } from '../catalog';
import { CONTROL_METADATA, REGIONAL, Regionality } from '../catalog/control-metadata';
import { asControl, describeValue, includesControl, selectControls } from '../catalog/selection';
import type { ControlOverrideOptions } from '../cis-monitoring';
import { Exclusion } from '../exclusions';
import { PAGING_METRIC_SUFFIX, ResourceLabel, ResourceRole } from './labels';
import { compileExcludedPattern, validateExclusions } from '../exclusions/compile';
import { CompiledFilterPattern, FilterPatternEngine } from '../filter-pattern';
import { EventPatternTranslation, translateFilterPattern } from '../filter-pattern/translate/event-pattern';
import { ExcludedEventPattern, excludedEventPattern } from '../filter-pattern/translate/event-pattern-exclusions';
import { InsightsFilter, insightsFilterFor } from '../filter-pattern/translate/insights';
import { MAX_FILTER_PATTERN_LENGTH } from '../quotas';
import { ControlPatternPlan, planControlPatterns } from '../scanners/planner';
import { ALL_SCANNERS } from '../scanners/rules';
import { Scanner } from '../scanners/scanner';
import { CisSeverity, severityOf, SeverityOverrideOptions, SeverityRouteOptions, validateSeverityRouting } from '../severity';
import { validateEvaluationPeriods, validatePeriod, validateThreshold } from '../validation';

export { LABEL_METADATA_KEY, ResourceRole } from './labels';
export type { ResourceLabel } from './labels';

/** CIS remediation values for every monitoring alarm. */
export const CIS_ALARM_DEFAULTS = {
  period: Duration.minutes(5),
  threshold: 1,
  evaluationPeriods: 1,
} as const;

/** One metric filter to create. */
export interface PlannedFilter {
  /** The pattern text, byte-exact. */
  readonly text: string;
  /** The parsed text; undefined only for a paging text that holds unresolved tokens. */
  readonly compiled?: CompiledFilterPattern;
  readonly role: ResourceRole;
  readonly metricName: string;
  /**
   * `"1"` for the text the alarm counts; `"0"` for a scanner variant, so an
   * event several texts match still adds exactly 1 to the metric.
   */
  readonly metricValue: string;
  /** Where the text comes from, most relevant first. */
  readonly sources: readonly string[];
  readonly regexCount: number;
}

/** Alarm settings of a control (CIS values unless overridden). */
export interface PlannedAlarm {
  readonly period: Duration;
  readonly threshold: number;
  readonly evaluationPeriods: number;
}

/** The paging side of a control with exclusions. */
export interface PlannedPaging {
  readonly filter: PlannedFilter;
  /** The exclusions the paging text applies. */
  readonly exclusions: readonly Exclusion[];
}

/** What a plan is built from: a construct's options. */
export interface ControlPlanInput {
  readonly benchmarkVersion: CisBenchmarkVersion;
  /** Requested controls (raw prop value; checked here). */
  readonly controls?: unknown;
  /** Controls to leave out (raw prop value; checked here). */
  readonly excludeControls?: unknown;
  /** What each control gets, for error messages ("alarm", "event pattern", "query"). */
  readonly provides: string;
  /** Scanners whose texts the metric filters must include. @default none */
  readonly scanners?: readonly Scanner[];
  readonly exclusions?: Exclusion[];
  readonly controlOverrides?: ControlOverrideOptions[];
  readonly severityOverrides?: SeverityOverrideOptions[];
  readonly severityRoutes?: SeverityRouteOptions[];
}

/** The plan of one control in one construct. */
export class ControlPlan {
  /**
   * Checks a construct's options and plans every selected control, in
   * benchmark order. Throws on the first bad option with what was wrong, the
   * value and the fix.
   */
  public static build(input: ControlPlanInput): ControlPlan[] {
    const version = input.benchmarkVersion;
    const controls = selectControls(version, input.controls, input.excludeControls, input.provides);
    const scanners = checkScanners(input.scanners ?? []);
    const exclusions = input.exclusions ?? [];
    if (!Array.isArray(exclusions)) throw new Error(`exclusions must be a list of Exclusion, got ${describeValue(exclusions)}.`);
    validateExclusions(exclusions, controls);
    validateSeverityRouting({ controls, overrides: input.severityOverrides, routes: input.severityRoutes });
    const alarms = alarmSettings(input.controlOverrides ?? [], controls);
    return controls.map(control => new ControlPlan(control, version, scanners, exclusions, alarms.get(control.key)!, input));
  }

  public readonly control: CisControl;
  public readonly version: CisBenchmarkVersion;
  public readonly definition: CisControlDefinition;
  /** The metric every compliance and scanner filter publishes to. */
  public readonly metricName: string;
  /** The compliance filter (the version's deployed text, value 1) first, then the scanner variants (value 0). */
  public readonly filters: readonly PlannedFilter[];
  /** How the scanner texts were chosen (unsatisfiable scanners, broader texts). */
  public readonly scannerPlan: ControlPatternPlan;
  /** The exclusions that apply to this control. */
  public readonly exclusions: readonly Exclusion[];
  public readonly severity: CisSeverity;
  /** The route of `severity`; undefined when the severity takes the default actions. */
  public readonly route?: SeverityRouteOptions;
  public readonly alarm: PlannedAlarm;
  /** Where the control's events reach EventBridge. */
  public readonly regionality: Regionality;
  /** The control's pattern counts read-only calls too (its rule needs read-only management events). */
  public readonly watchesReadOnlyCalls: boolean;

  private pagingMemo?: { value?: PlannedPaging };
  private eventPatternMemo?: EventPatternTranslation;
  private ruleMemo?: ExcludedEventPattern;
  private insightsMemo?: InsightsFilter;
  private pagingInsightsMemo?: InsightsFilter;

  private constructor(
    control: CisControl,
    version: CisBenchmarkVersion,
    scanners: readonly Scanner[],
    exclusions: readonly Exclusion[],
    alarm: PlannedAlarm,
    input: ControlPlanInput,
  ) {
    this.control = control;
    this.version = version;
    this.definition = control.definitionIn(version);
    this.metricName = control.metricName;
    this.scannerPlan = planControlPatterns(control, version, scanners);
    this.filters = this.scannerPlan.patterns.map((p, i) => checkedFilter(control, {
      text: p.text,
      compiled: p.compiled,
      role: i === 0 ? ResourceRole.COMPLIANCE : ResourceRole.SCANNER_VARIANT,
      metricName: control.metricName,
      metricValue: i === 0 ? '1' : '0',
      sources: p.sources,
      regexCount: p.compiled.regexCount,
    }));
    this.exclusions = exclusions.filter(e => e.appliesTo(control));
    this.severity = severityOf(control, input.severityOverrides);
    this.route = (input.severityRoutes ?? []).find(r => r.severity === this.severity);
    this.alarm = alarm;
    const meta = CONTROL_METADATA[control.key];
    this.regionality = meta.regionality ?? REGIONAL;
    this.watchesReadOnlyCalls = meta.watchesReadOnlyCalls === true;
  }

  /**
   * The paging filter; undefined when no exclusion applies. Computed on first
   * use: only constructs that deploy metric filters need it (and its
   * 1024-character quota), not the EventBridge rules.
   */
  public get paging(): PlannedPaging | undefined {
    this.pagingMemo ??= { value: this.planPaging() };
    return this.pagingMemo.value;
  }

  /** The filter whose matches the control's (compliance) alarm counts. */
  public get compliance(): PlannedFilter {
    return this.filters[0];
  }

  /** The EventBridge translation of the control's CIS pattern. */
  public get eventPattern(): EventPatternTranslation {
    this.eventPatternMemo ??= translateFilterPattern(this.compliance.compiled!);
    return this.eventPatternMemo;
  }

  /** The real-time rule's pattern: the translation with the control's exclusions where EventBridge can express them. */
  public get rulePattern(): ExcludedEventPattern {
    this.ruleMemo ??= excludedEventPattern(this.eventPattern, [...this.exclusions], this.control);
    return this.ruleMemo;
  }

  /** The Logs Insights filter of the control's CIS pattern. */
  public get insightsFilter(): InsightsFilter {
    this.insightsMemo ??= insightsFilterFor(this.compliance.compiled!);
    return this.insightsMemo;
  }

  /** The Logs Insights filter of the paging pattern; undefined without exclusions or while it holds tokens. */
  public get pagingInsightsFilter(): InsightsFilter | undefined {
    const compiled = this.paging?.filter.compiled;
    if (!compiled) return undefined;
    this.pagingInsightsMemo ??= insightsFilterFor(compiled);
    return this.pagingInsightsMemo;
  }

  private planPaging(): PlannedPaging | undefined {
    if (this.exclusions.length === 0) return undefined;
    const control = this.control;
    const text = compileExcludedPattern(this.definition.deployedPattern!, [...this.exclusions], control);
    // Token values (a role's ARN) are only known at deploy time: the text cannot be parsed here.
    const compiled = Token.isUnresolved(text) ? undefined : FilterPatternEngine.parse(text);
    return {
      exclusions: this.exclusions,
      filter: checkedFilter(control, {
        text,
        compiled,
        role: ResourceRole.PAGING,
        metricName: `${control.metricName}${PAGING_METRIC_SUFFIX}`,
        metricValue: '1',
        sources: [`CIS ${this.version.version} deployed pattern with exclusions`],
        regexCount: compiled?.regexCount ?? 0,
      }),
    };
  }

  /** The label of a resource of this control. */
  public label(role: ResourceRole): ResourceLabel {
    return { control: this.control.key, role, cisId: this.definition.recommendationId, benchmark: this.version.version };
  }
}

function checkedFilter(control: CisControl, filter: PlannedFilter): PlannedFilter {
  // Token values are counted at their reserved length by compileExcludedPattern.
  if (!Token.isUnresolved(filter.text) && filter.text.length > MAX_FILTER_PATTERN_LENGTH) {
    throw new Error(`The filter pattern for "${control.key}" is ${filter.text.length} characters long; CloudWatch Logs allows ${MAX_FILTER_PATTERN_LENGTH}. Shorten it (fewer exclusions or event names).`);
  }
  return filter;
}

function checkScanners(scanners: readonly Scanner[]): Scanner[] {
  if (!Array.isArray(scanners)) throw new Error(`scanners must be a list of Scanner, got ${describeValue(scanners)}.`);
  const out: Scanner[] = [];
  scanners.forEach((s, i) => {
    if (!ALL_SCANNERS.includes(s)) {
      throw new Error(`scanners[${i}] is ${JSON.stringify(s)}, not a Scanner. Use Scanner.${ALL_SCANNERS.join(', Scanner.')}.`);
    }
    if (!out.includes(s)) out.push(s);
  });
  return out;
}

function alarmSettings(overrides: ControlOverrideOptions[], controls: CisControl[]): Map<string, PlannedAlarm> {
  if (!Array.isArray(overrides)) throw new Error(`controlOverrides must be a list, got ${describeValue(overrides)}.`);
  const byKey = new Map<string, ControlOverrideOptions>();
  overrides.forEach((o, i) => {
    const control = asControl(o?.control, `controlOverrides[${i}].control`);
    if (byKey.has(control.key)) {
      throw new Error(`controlOverrides lists "${control.key}" twice; merge the two entries.`);
    }
    if (!includesControl(controls, control)) {
      throw new Error(`controlOverrides names "${control.key}", which is not deployed (deployed: ${controls.map(c => c.key).join(', ')}). Remove the override or select the control.`);
    }
    byKey.set(control.key, o);
  });
  return new Map(controls.map(c => {
    const o = byKey.get(c.key);
    const where = `controlOverrides for "${c.key}"`;
    const alarm = {
      period: o?.period ?? CIS_ALARM_DEFAULTS.period,
      threshold: o?.threshold ?? CIS_ALARM_DEFAULTS.threshold,
      evaluationPeriods: o?.evaluationPeriods ?? CIS_ALARM_DEFAULTS.evaluationPeriods,
    };
    validatePeriod(alarm.period, where);
    validateThreshold(alarm.threshold, where);
    validateEvaluationPeriods(alarm.evaluationPeriods, alarm.period, where);
    return [c.key, alarm];
  }));
}
