import {
  AlarmComparison, AlarmSpec, AlarmStatistic, catalogControlFor, compileFilter, FilterSpec, ReplayControl,
} from './controls';
import { UsageError } from './event-source';
import { AssemblyInputError, environmentKey, readCloudAssembly, TemplateResolver } from '../assembly/cloud-assembly';
import { CisControl } from '../catalog';
import { PAGING_METRIC_SUFFIX, readLabel, ResourceRole } from '../plan/labels';

/**
 * The metric filters and alarms of a synthesized app (a template file or a
 * `cdk.out` directory, read by the shared cloud-assembly reader), grouped the
 * way CloudWatch counts them: one control per metric (environment, namespace
 * and name), holding every filter that publishes to it and every alarm on it.
 * Controls are named from the labels `CisMonitoring` writes into each
 * resource's metadata; templates written by other tools fall back to the
 * metric name and the CIS id in the alarm description.
 */
export interface TemplateControls {
  readonly controls: ReplayControl[];
  /** Things that were skipped (alarms that cannot be simulated, ...). */
  readonly warnings: string[];
  /** The template files read. */
  readonly files: string[];
}

const COMPARISONS: readonly AlarmComparison[] = [
  'GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold',
];
const STATISTICS: readonly AlarmStatistic[] = ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'];

interface Group {
  environment: string;
  namespace: string;
  metricName: string;
  filters: FilterSpec[];
  alarms: AlarmSpec[];
  cisIds: Set<string>;
  /** From labels: control key, role, benchmark. */
  label?: { control: string; role: string; benchmark?: string };
}

/**
 * @throws UsageError when the path holds no template, a template is not valid
 * JSON or not a CloudFormation template, a pattern or metric cannot be
 * resolved, or no template has a metric filter
 */
export function readTemplates(p: string): TemplateControls {
  let assembly;
  try {
    assembly = readCloudAssembly(p);
  } catch (e) {
    if (e instanceof AssemblyInputError) throw new UsageError(`--template: ${e.message}`);
    throw e;
  }
  const groups = new Map<string, Group>();
  const alarms: Array<{ env: string; where: string; id: string; props: any; resolver: TemplateResolver }> = [];
  const warnings: string[] = [...assembly.notes];

  for (const stack of assembly.stacks) {
    const resolver = new TemplateResolver(stack);
    const env = environmentKey(stack.environment);
    for (const [id, r] of Object.entries<any>(stack.template.Resources)) {
      if (!r || typeof r !== 'object') continue;
      const where = `${stack.name}: ${r.Type === 'AWS::Logs::MetricFilter' ? 'metric filter' : 'alarm'} ${id}`;
      if (r.Type === 'AWS::Logs::MetricFilter') {
        addFilter(groups, env, where, r, resolver);
      } else if (r.Type === 'AWS::CloudWatch::Alarm') {
        alarms.push({ env, where, id, props: r.Properties ?? {}, resolver });
      }
    }
  }
  if (groups.size === 0) {
    throw new UsageError(`no AWS::Logs::MetricFilter in ${assembly.stacks.map(s => `"${s.file}"`).join(', ')}. Give the template of the stack that contains CisMonitoring (cdk synth), or use --benchmark VERSION.`);
  }

  for (const a of alarms) {
    const target = alarmMetric(a.props, a.resolver);
    if (!target) continue; // metric math or no metric: cannot be one of ours
    const g = groups.get(groupKey(a.env, target.namespace, target.metricName));
    if (!g) continue; // an alarm on some other metric
    const spec = alarmSpec(a.id, a.props, target, a.where, warnings, a.resolver);
    if (spec) g.alarms.push(spec);
    const m = /\bCIS (\d+\.\d+)\b/.exec(a.resolver.resolve(a.props.AlarmDescription).kind === 'string' ? (a.resolver.resolve(a.props.AlarmDescription) as any).value : '');
    if (m) g.cisIds.add(m[1]);
  }

  const catalogOrder = CisControl.all();
  const controls = [...groups.values()].map((g, i) => {
    const named = nameOf(g);
    const c = CisControl.all().find(x => x.key === named.controlKey);
    return {
      order: [g.environment, c ? catalogOrder.indexOf(c) + (named.paging ? 0.5 : 0) : catalogOrder.length + i] as const,
      control: {
        key: named.key,
        cisId: named.cisId ?? (g.cisIds.size === 1 ? [...g.cisIds][0] : undefined),
        environment: g.environment,
        benchmark: g.label?.benchmark,
        namespace: g.namespace,
        metricName: g.metricName,
        filters: g.filters,
        alarms: g.alarms,
      } as ReplayControl,
    };
  });
  const envOrder = [...new Set(controls.map(c => c.order[0]))];
  controls.sort((a, b) => envOrder.indexOf(a.order[0]) - envOrder.indexOf(b.order[0]) || a.order[1] - b.order[1]);
  for (const { control } of controls) {
    if (control.alarms.length === 0) {
      warnings.push(`no alarm watches metric ${control.namespace}/${control.metricName} (${control.key}) in ${control.environment}: its matches are counted, but no firings are simulated.`);
    }
  }
  return { controls: controls.map(c => c.control), warnings, files: assembly.stacks.map(s => s.file) };
}

/** A metric's control: from the labels of its filters, else from its metric name (templates of other tools). */
function nameOf(g: Group): { key: string; controlKey?: string; paging: boolean; cisId?: string } {
  if (g.label) {
    const paging = g.label.role === ResourceRole.PAGING;
    return { key: paging ? `${g.label.control} (paging)` : g.label.control, controlKey: g.label.control, paging };
  }
  // A paging metric (CisMonitoring exclusions) sorts right after its compliance metric.
  const paging = g.metricName.endsWith(PAGING_METRIC_SUFFIX) ? catalogControlFor(g.metricName.slice(0, -PAGING_METRIC_SUFFIX.length)) : undefined;
  const c = paging ?? catalogControlFor(g.metricName);
  return { key: c ? (paging ? `${c.key} (paging)` : c.key) : g.metricName, controlKey: c?.key, paging: paging !== undefined };
}

function groupKey(environment: string, namespace: string, metricName: string): string {
  return `${environment}\u0000${namespace}\u0000${metricName}`;
}

function addFilter(groups: Map<string, Group>, environment: string, where: string, resource: any, r: TemplateResolver): void {
  const props = resource.Properties ?? {};
  const pattern = literal(r, props.FilterPattern, `${where}: FilterPattern`);
  const mt = Array.isArray(props.MetricTransformations) ? props.MetricTransformations[0] : undefined;
  if (!mt || typeof mt !== 'object') {
    throw new UsageError(`${where} has no MetricTransformations; every metric filter needs one metric.`);
  }
  const namespace = literal(r, mt.MetricNamespace, `${where}: MetricNamespace`);
  const metricName = literal(r, mt.MetricName, `${where}: MetricName`);
  const value = literal(r, mt.MetricValue ?? '1', `${where}: MetricValue`).trim();
  const k = groupKey(environment, namespace, metricName);
  let g = groups.get(k);
  if (!g) {
    g = { environment, namespace, metricName, filters: [], alarms: [], cisIds: new Set() };
    groups.set(k, g);
  }
  const label = readLabel(resource);
  // The label of the counting filter names the metric; a scanner variant's says the same control.
  if (label && (!g.label || label.role !== ResourceRole.SCANNER_VARIANT)) g.label = label;
  g.filters.push(compileFilter(where, pattern, value));
}

/** A string property, resolved by the shared resolver; anything that depends on deploy time is refused. */
function literal(r: TemplateResolver, v: unknown, where: string): string {
  const s = r.str(v);
  if (s !== undefined) return s;
  throw new UsageError(`${where} is ${JSON.stringify(v)?.slice(0, 120)}, which depends on values only known at deploy time (a parameter, import or other resource). Replay needs literal values: synthesize with literal values, or use --benchmark.`);
}

interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly period?: unknown;
  readonly statistic?: unknown;
  readonly dimensions?: unknown;
}

/** The metric an alarm watches: top-level MetricName/Namespace, or a single MetricStat in Metrics. */
function alarmMetric(props: any, r: TemplateResolver): MetricRef | undefined {
  const name = r.str(props.MetricName);
  const namespace = r.str(props.Namespace);
  if (name !== undefined && namespace !== undefined) {
    return {
      namespace,
      metricName: name,
      period: props.Period,
      statistic: props.Statistic ?? props.ExtendedStatistic,
      dimensions: props.Dimensions,
    };
  }
  if (Array.isArray(props.Metrics)) {
    const returned = props.Metrics.filter((m: any) => m && m.ReturnData !== false);
    if (returned.length === 1 && returned[0].MetricStat) {
      const ms = returned[0].MetricStat;
      const metric = ms.Metric ?? {};
      const msName = r.str(metric.MetricName);
      const msNamespace = r.str(metric.Namespace);
      if (msName !== undefined && msNamespace !== undefined) {
        return { namespace: msNamespace, metricName: msName, period: ms.Period, statistic: ms.Stat, dimensions: metric.Dimensions };
      }
    }
  }
  return undefined;
}

function alarmSpec(id: string, props: any, metric: MetricRef, where: string, warnings: string[], r: TemplateResolver): AlarmSpec | undefined {
  const skip = (why: string): undefined => {
    warnings.push(`${where} on ${metric.namespace}/${metric.metricName} is not simulated: ${why}.`);
    return undefined;
  };
  if (Array.isArray(metric.dimensions) && metric.dimensions.length > 0) {
    return skip('it watches the metric with dimensions, which these metric filters do not publish');
  }
  const statistic = metric.statistic ?? 'Sum';
  if (typeof statistic !== 'string' || !(STATISTICS as readonly string[]).includes(statistic)) {
    return skip(`statistic ${JSON.stringify(statistic)} is not one of ${STATISTICS.join(', ')}`);
  }
  const op = props.ComparisonOperator;
  if (typeof op !== 'string' || !(COMPARISONS as readonly string[]).includes(op)) {
    return skip(`ComparisonOperator ${JSON.stringify(op)} is not one of ${COMPARISONS.join(', ')}`);
  }
  const period = Number(metric.period);
  if (!Number.isInteger(period) || period <= 0) return skip(`Period ${JSON.stringify(metric.period)} is not a positive whole number of seconds`);
  const threshold = Number(props.Threshold);
  if (props.Threshold === undefined || !Number.isFinite(threshold)) return skip(`Threshold ${JSON.stringify(props.Threshold)} is not a number`);
  const evaluationPeriods = Number(props.EvaluationPeriods);
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) return skip(`EvaluationPeriods ${JSON.stringify(props.EvaluationPeriods)} is not a whole number >= 1`);
  const datapointsToAlarm = props.DatapointsToAlarm === undefined ? evaluationPeriods : Number(props.DatapointsToAlarm);
  if (!Number.isInteger(datapointsToAlarm) || datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods) {
    return skip(`DatapointsToAlarm ${JSON.stringify(props.DatapointsToAlarm)} is not a whole number between 1 and EvaluationPeriods`);
  }
  if (props.TreatMissingData !== undefined && props.TreatMissingData !== 'notBreaching') {
    warnings.push(`${where}: TreatMissingData is ${JSON.stringify(props.TreatMissingData)}; replay treats missing data as not breaching.`);
  }
  return {
    name: r.str(props.AlarmName) ?? id,
    period,
    threshold,
    evaluationPeriods,
    datapointsToAlarm,
    comparisonOperator: op as AlarmComparison,
    statistic: statistic as AlarmStatistic,
  };
}
