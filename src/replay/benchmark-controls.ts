/**
 * `replay --benchmark`: the controls of a version from the same plan a
 * default `CisMonitoring` deploys. Kept apart from ./controls because the plan
 * loads aws-cdk-lib, which `replay --template` does not need.
 */
import { CIS_ALARM, compileFilter, DEFAULT_NAMESPACE, ReplayControl } from './controls';
import { UsageError } from './event-source';
import { CisBenchmarkVersion } from '../catalog';
import { ControlPlan } from '../plan/control-plan';
import { ALL_SCANNERS } from '../scanners/rules';

/**
 * The controls of one benchmark version exactly as a default `CisMonitoring`
 * deploys them: the same plan (the CIS text counting 1, every scanner text
 * publishing 0 to the same metric) and the CIS alarm values.
 *
 * @throws UsageError for a version that is not in the catalog
 */
export function benchmarkControls(version: string): ReplayControl[] {
  let v: CisBenchmarkVersion;
  try {
    v = CisBenchmarkVersion.of(version);
  } catch (e: any) {
    throw new UsageError(`--benchmark: ${e?.message ?? e}`);
  }
  return ControlPlan.build({ benchmarkVersion: v, provides: 'alarm', scanners: ALL_SCANNERS }).map(plan => {
    const d = plan.definition;
    return {
      key: plan.control.key,
      cisId: d.recommendationId,
      benchmark: v.version,
      namespace: DEFAULT_NAMESPACE,
      metricName: plan.metricName,
      filters: plan.filters.map((f, i) =>
        compileFilter(`CIS v${v.version} ${d.recommendationId} ${plan.control.key} (${f.role}${i > 0 ? ` ${i}` : ''})`, f.compiled!, f.metricValue)),
      alarms: [{
        name: plan.control.key,
        ...CIS_ALARM,
        period: plan.alarm.period.toSeconds(),
        threshold: plan.alarm.threshold,
        evaluationPeriods: plan.alarm.evaluationPeriods,
        datapointsToAlarm: plan.alarm.evaluationPeriods,
      }],
    };
  });
}

