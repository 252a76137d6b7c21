import { ExtendedDetection } from './extended-detection';
import { securityGroupOpenToWorldEventPattern } from './security-group-pattern';
import { translateFilterPattern } from '../filter-pattern/translate/event-pattern';

/** An EventBridge pattern in the shape of `events.EventPattern` (internal). */
export interface DetectionEventPattern {
  readonly source?: string[];
  readonly detailType: string[];
  readonly detail: Record<string, unknown>;
}

/**
 * The EventBridge pattern of a detection that has a rule: its filter pattern
 * translated, except for the security-group detection, whose filter uses
 * array indexes (which EventBridge cannot express, and does not need: it
 * matches any array element), so its pattern is written out.
 */
export function detectionEventPattern(d: ExtendedDetection): DetectionEventPattern | undefined {
  if (!d.hasEventRule) return undefined;
  if (d === ExtendedDetection.SECURITY_GROUP_OPEN_TO_WORLD) return securityGroupOpenToWorldEventPattern();
  const t = translateFilterPattern(d.filterPattern);
  return { source: t.source, detailType: t.detailType, detail: t.detail };
}
