import { Annotations, IAspect, Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { GLOBAL_EVENTS_REGION } from '../catalog/control-metadata';

/** Annotation id of the warning about a missing us-east-1 counterpart. */
export const GLOBAL_EVENTS_WARNING_ID = 'cdk-cis-monitoring:globalEventsRegion';

/** A control or detection whose events reach EventBridge (also) in us-east-1 only. */
export interface GlobalKey {
  /** Registry key, e.g. `control:iam-policy-changes`. */
  readonly key: string;
  /** Shown in the warning. */
  readonly label: string;
  /** Why its events are global. */
  readonly why: string;
}


interface Registration {
  readonly construct: Construct;
  readonly keys: () => ReadonlySet<string>;
}

const REGISTRY = new WeakMap<IConstruct, Registration[]>();

/**
 * Registers a construct whose rules watch some control or detection keys, so
 * the global-events check can find a us-east-1 counterpart in the same app.
 * Internal; `CisExtendedDetections` registers its rules too.
 */
export function registerGlobalEventRules(construct: Construct, keys: () => ReadonlySet<string>): void {
  const root = construct.node.root;
  const list = REGISTRY.get(root) ?? [];
  list.push({ construct, keys });
  REGISTRY.set(root, list);
}

/**
 * The keys (of those given) that no rule construct in us-east-1 of the same
 * account covers. Region and account that are tokens are treated as unknown:
 * an unknown account matches any account.
 */
export function keysWithoutUsEast1Counterpart(construct: Construct, keys: string[]): string[] {
  const stack = Stack.of(construct);
  const others = (REGISTRY.get(construct.node.root) ?? []).filter(r => {
    const s = Stack.of(r.construct);
    if (Token.isUnresolved(s.region) || s.region !== GLOBAL_EVENTS_REGION) return false;
    return Token.isUnresolved(s.account) || Token.isUnresolved(stack.account) || s.account === stack.account;
  });
  return keys.filter(k => !others.some(o => o.keys().has(k)));
}

/**
 * Warns (once, at synthesis) when rules for global-service events are
 * deployed in a concrete region other than us-east-1 and nothing in the app
 * deploys the same rules in us-east-1. Internal.
 */
export class GlobalEventsCheck implements IAspect {
  private done = false;

  constructor(
    private readonly owner: Construct,
    private readonly globalKeys: () => GlobalKey[],
  ) {}

  public visit(node: IConstruct): void {
    if (node !== this.owner || this.done) return;
    this.done = true;
    const region = Stack.of(this.owner).region;
    if (Token.isUnresolved(region) || region === GLOBAL_EVENTS_REGION) return;
    const candidates = this.globalKeys();
    const missing = new Set(keysWithoutUsEast1Counterpart(this.owner, candidates.map(c => c.key)));
    const uncovered = candidates.filter(c => missing.has(c.key));
    if (uncovered.length === 0) return;
    Annotations.of(this.owner).addWarningV2(GLOBAL_EVENTS_WARNING_ID,
      `These rules are deployed in ${region}, but events of global services reach EventBridge in ${GLOBAL_EVENTS_REGION} only, and nothing in this app deploys the same rules there: ${uncovered.map(u => `${u.label} (${u.why})`).join('; ')}. `
      + `Deploy another instance in a ${GLOBAL_EVENTS_REGION} stack with a topic in that region (see docs/realtime-and-queries.md), or acknowledge this warning if a separate app covers ${GLOBAL_EVENTS_REGION}.`);
  }
}
