import * as fs from 'fs';
import * as path from 'path';
import {
  AlarmComparison, AlarmSpec, AlarmStatistic, catalogControlFor, compileFilter, FilterSpec, ReplayControl,
} from './controls';
import { UsageError } from './event-source';
import { CisControl } from '../../catalog';
import { PAGING_METRIC_SUFFIX } from '../../exclusions/compile';

/**
 * Reads the metric filters and alarms of synthesized CloudFormation templates
 * (a template file, or a `cdk.out` directory: every `*.template.json` in it,
 * recursively) and groups them the way CloudWatch counts them: one control per
 * metric (namespace + name), holding every filter that publishes to it and
 * every alarm on it.
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
  namespace: string;
  metricName: string;
  filters: FilterSpec[];
  alarms: AlarmSpec[];
  cisIds: Set<string>;
}

/**
 * @throws UsageError when the path holds no template, a template is not valid
 * JSON or not a CloudFormation template, a pattern or metric cannot be
 * resolved, or no template has a metric filter
 */
export function readTemplates(p: string): TemplateControls {
  const files = templateFiles(p);
  const groups = new Map<string, Group>();
  const alarms: Array<{ file: string; id: string; props: any }> = [];
  const warnings: string[] = [];

  for (const file of files) {
    const resources = readResources(file);
    for (const id of Object.keys(resources)) {
      const r = resources[id];
      if (!r || typeof r !== 'object') continue;
      if (r.Type === 'AWS::Logs::MetricFilter') {
        addFilter(groups, file, id, r.Properties ?? {});
      } else if (r.Type === 'AWS::CloudWatch::Alarm') {
        alarms.push({ file, id, props: r.Properties ?? {} });
      }
    }
  }
  if (groups.size === 0) {
    throw new UsageError(`no AWS::Logs::MetricFilter in ${files.map(f => `"${f}"`).join(', ')}. Give the template of the stack that contains CisMonitoring (cdk synth), or use --benchmark VERSION.`);
  }

  for (const a of alarms) {
    const where = `${a.file}: alarm ${a.id}`;
    const target = alarmMetric(a.props);
    if (!target) continue; // metric math or no metric: cannot be one of ours
    const g = groups.get(groupKey(target.namespace, target.metricName));
    if (!g) continue; // an alarm on some other metric
    const spec = alarmSpec(a.id, a.props, target, where, warnings);
    if (spec) g.alarms.push(spec);
    const m = /\bCIS (\d+\.\d+)\b/.exec(descriptionHead(a.props.AlarmDescription));
    if (m) g.cisIds.add(m[1]);
  }

  const catalogOrder = CisControl.all();
  const controls = [...groups.values()].map((g, i) => {
    // A paging metric (CisMonitoring exclusions) sorts right after its compliance metric.
    const paging = g.metricName.endsWith(PAGING_METRIC_SUFFIX) ? catalogControlFor(g.metricName.slice(0, -PAGING_METRIC_SUFFIX.length)) : undefined;
    const c = paging ?? catalogControlFor(g.metricName);
    return {
      order: c ? catalogOrder.indexOf(c) + (paging ? 0.5 : 0) : catalogOrder.length + i,
      control: {
        key: c ? (paging ? `${c.key} (paging)` : c.key) : g.metricName,
        cisId: g.cisIds.size === 1 ? [...g.cisIds][0] : undefined,
        namespace: g.namespace,
        metricName: g.metricName,
        filters: g.filters,
        alarms: g.alarms,
      } as ReplayControl,
    };
  });
  controls.sort((a, b) => a.order - b.order);
  for (const { control } of controls) {
    if (control.alarms.length === 0) {
      warnings.push(`no alarm watches metric ${control.namespace}/${control.metricName} (${control.key}): its matches are counted, but no firings are simulated.`);
    }
  }
  return { controls: controls.map(c => c.control), warnings, files };
}

/** The literal text an alarm description starts with (CisMonitoring's are Fn::Join with account/region tokens). */
function descriptionHead(description: unknown): string {
  if (typeof description === 'string') return description;
  const parts = (description as any)?.['Fn::Join']?.[1];
  return Array.isArray(parts) && typeof parts[0] === 'string' ? parts[0] : '';
}

function templateFiles(p: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e: any) {
    throw new UsageError(e?.code === 'ENOENT'
      ? `--template: "${p}" does not exist. Give a synthesized template (*.template.json) or a cdk.out directory.`
      : `--template: cannot read "${p}": ${e?.message ?? e}`);
  }
  if (!st.isDirectory()) return [p];
  const out: string[] = [];
  const walk = (dir: string): void => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.template.json')) out.push(full);
    }
  };
  walk(p);
  if (out.length === 0) {
    throw new UsageError(`--template: directory "${p}" holds no *.template.json. Run "cdk synth" first, or give the template file.`);
  }
  return out;
}

function readResources(file: string): Record<string, any> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e: any) {
    throw new UsageError(`--template: cannot read "${file}": ${e?.message ?? e}`);
  }
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e: any) {
    throw new UsageError(`--template: "${file}" is not valid JSON (${e?.message ?? e}). Give the JSON template that "cdk synth" writes to cdk.out (YAML is not read).`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || !doc.Resources || typeof doc.Resources !== 'object') {
    throw new UsageError(`--template: "${file}" is not a CloudFormation template (it has no "Resources" object).`);
  }
  return doc.Resources;
}

function groupKey(namespace: string, metricName: string): string {
  return `${namespace}\u0000${metricName}`;
}

function addFilter(groups: Map<string, Group>, file: string, id: string, props: any): void {
  const where = `${file}: metric filter ${id}`;
  const pattern = literal(props.FilterPattern, `${where}: FilterPattern`);
  const mt = Array.isArray(props.MetricTransformations) ? props.MetricTransformations[0] : undefined;
  if (!mt || typeof mt !== 'object') {
    throw new UsageError(`${where} has no MetricTransformations; every metric filter needs one metric.`);
  }
  const namespace = literal(mt.MetricNamespace, `${where}: MetricNamespace`);
  const metricName = literal(mt.MetricName, `${where}: MetricName`);
  const valueOf = metricValue(mt.MetricValue ?? '1', `${where}: MetricValue`);
  const k = groupKey(namespace, metricName);
  let g = groups.get(k);
  if (!g) {
    g = { namespace, metricName, filters: [], alarms: [], cisIds: new Set() };
    groups.set(k, g);
  }
  g.filters.push(compileFilter(where, pattern, valueOf));
}

/** A string property: a literal, or `Fn::Join` of literals (what CDK emits for joined constants). */
function literal(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const join = (v as any)['Fn::Join'];
    if (Array.isArray(join) && join.length === 2 && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map((p: unknown) => literal(p, where)).join(join[0]);
    }
  }
  throw new UsageError(`${where} is ${JSON.stringify(v)?.slice(0, 120)}, not a literal string. Replay cannot resolve CloudFormation functions (except Fn::Join of literals); synthesize with literal values, or use --benchmark.`);
}

/** MetricValue: a number ("1"), or a `$.field` selector whose numeric value is published. */
function metricValue(v: unknown, where: string): (record: any) => number | undefined {
  const text = literal(v, where).trim();
  if (/^[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const n = Number(text);
    return () => n;
  }
  const m = /^\$((?:\.[A-Za-z0-9_@-]+)+)$/.exec(text);
  if (m) {
    const keys = m[1].slice(1).split('.');
    return (record: any) => {
      let cur = record;
      for (const k of keys) {
        if (cur === null || typeof cur !== 'object') return undefined;
        cur = cur[k];
      }
      const n = typeof cur === 'number' ? cur : typeof cur === 'string' && cur.trim() !== '' ? Number(cur) : NaN;
      return Number.isFinite(n) ? n : undefined;
    };
  }
  throw new UsageError(`${where} is "${text}"; replay understands a number (such as "1") or a $.field selector.`);
}

interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly period?: unknown;
  readonly statistic?: unknown;
  readonly dimensions?: unknown;
}

/** The metric an alarm watches: top-level MetricName/Namespace, or a single MetricStat in Metrics. */
function alarmMetric(props: any): MetricRef | undefined {
  if (typeof props.MetricName === 'string' && typeof props.Namespace === 'string') {
    return {
      namespace: props.Namespace,
      metricName: props.MetricName,
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
      if (typeof metric.MetricName === 'string' && typeof metric.Namespace === 'string') {
        return { namespace: metric.Namespace, metricName: metric.MetricName, period: ms.Period, statistic: ms.Stat, dimensions: metric.Dimensions };
      }
    }
  }
  return undefined;
}

function alarmSpec(id: string, props: any, metric: MetricRef, where: string, warnings: string[]): AlarmSpec | undefined {
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
    name: typeof props.AlarmName === 'string' ? props.AlarmName : id,
    period,
    threshold,
    evaluationPeriods,
    datapointsToAlarm,
    comparisonOperator: op as AlarmComparison,
    statistic: statistic as AlarmStatistic,
  };
}
