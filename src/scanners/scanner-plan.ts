import { CisBenchmarkVersion, CisControl } from '../catalog';
import { planControlPatterns } from './planner';
import { scannerDisplayName } from './rules';
import { Scanner } from './scanner';

/**
 * The filter pattern texts one control needs so that every selected scanner
 * passes it, computed offline from the scanners' recorded rules.
 *
 * The version's deployed pattern always comes first; the other texts are the
 * fewest that satisfy the remaining scanners. All texts publish the control's
 * one metric, so one alarm covers them. Texts that would match almost every
 * CloudTrail event are never planned.
 *
 * @example
 * const plan = ScannerPlan.forControl(CisControl.ROUTE_TABLE_CHANGES, CisBenchmarkVersion.V7_0_0,
 *   [Scanner.SECURITY_HUB, Scanner.PROWLER]);
 * plan.patterns;    // deployed text, a text with $.eventSource = ec2.amazonaws.com, Security Hub's text
 * plan.differences; // what the union matches beyond the deployed pattern
 */
export class ScannerPlan {
  /**
   * Plans one control.
   *
   * @param control a metric-filter control of `version`
   * @param version the benchmark version whose pattern is deployed
   * @param scanners the scanners that must pass (an empty list plans the deployed pattern only)
   * @throws Error when the control is not a metric-filter control of `version`
   */
  public static forControl(control: CisControl, version: CisBenchmarkVersion, scanners: Scanner[]): ScannerPlan {
    return new ScannerPlan(control, version, scanners);
  }

  /**
   * Plans every metric-filter control of a version, in benchmark order.
   *
   * @param version the benchmark version
   * @param scanners the scanners that must pass
   */
  public static forVersion(version: CisBenchmarkVersion, scanners: Scanner[]): ScannerPlan[] {
    return version.controls().map(c => new ScannerPlan(c, version, scanners));
  }

  /** The control planned. */
  public readonly control: CisControl;
  /** The benchmark version whose pattern comes first. */
  public readonly benchmarkVersion: CisBenchmarkVersion;
  /** The selected scanners, deduplicated. */
  public readonly scanners: Scanner[];
  /** The filter pattern texts to deploy, byte-exact, the version's deployed pattern first. */
  public readonly patterns: string[];
  /** Where each text of `patterns` comes from (same order), e.g. "Security Hub CloudWatch.2 documented text". */
  public readonly patternSources: string[];
  /** One sentence per selected scanner that no deployable text satisfies, with the reason. */
  public readonly unsatisfiable: string[];
  /** One sentence per selected scanner that does not check this control (Security Hub and Organizations changes). */
  public readonly notApplicable: string[];
  /**
   * One sentence per added text that matches events the deployed pattern does
   * not (for example Security Hub's unauthorized-API text lacks the HeadBucket
   * and log-delivery exclusions). Empty when the union means the same as the deployed pattern.
   */
  public readonly differences: string[];

  private constructor(control: CisControl, version: CisBenchmarkVersion, scanners: Scanner[]) {
    const plan = planControlPatterns(control, version, scanners);
    this.control = control;
    this.benchmarkVersion = version;
    this.scanners = [...plan.scanners];
    this.patterns = plan.patterns.map(p => p.text);
    this.patternSources = plan.patterns.map(p => p.sources[0]);
    this.unsatisfiable = plan.unsatisfiable.map(u => `${scannerDisplayName(u.scanner)}: ${u.reason}`);
    this.notApplicable = plan.notApplicable.map(n => `${scannerDisplayName(n.scanner)}: ${n.reason}.`);
    const bySource = new Map<string, { scanners: string; probes: string[] }>();
    for (const b of plan.broaderThanIntended) {
      const entry = bySource.get(b.source) ?? { scanners: b.scanners.map(scannerDisplayName).join(' and '), probes: [] };
      entry.probes.push(b.probe);
      bySource.set(b.source, entry);
    }
    this.differences = [...bySource.entries()].map(([source, e]) =>
      `${control.key}: the ${source}, added for ${e.scanners}, also matches ${joinList(e.probes)}, which the CIS ${version.version} pattern does not.`);
  }
}

function joinList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
