import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/**
 * Checks across the organization constructs of one app, at synthesis (when
 * every construct of the app exists): a rollout against the
 * `CisSecurityAccount`s it forwards to, rollouts against each other (alarm
 * names, metrics and topic names in the accounts both reach), and chat
 * channel configurations against each other (one per channel per account).
 * Each construct registers what it deploys here and validates itself:
 * errors fail `app.synth()` (node validation), warnings are annotations.
 *
 * Internal (not exported from index.ts).
 */

/** What a `CisOrganizationRollout` deploys, as the checks compare it. */
export interface RolloutFacts {
  readonly construct: Construct;
  readonly organizationalUnitIds: readonly string[];
  readonly accountIds?: readonly string[];
  /** INTERSECTION, DIFFERENCE or UNION when `accountIds` is given. */
  readonly accountFilter?: string;
  /** Regions of the member stack. */
  readonly regions: readonly string[];
  /** The Region of the rules-only member, when there is one (us-east-1). */
  readonly globalEventsRegion?: string;
  readonly forward?: { readonly accountId: string; readonly eventBusName: string; readonly heartbeatInterval: Duration };
  /** Every member alarm name starts with it (`CisMonitoringMember-Cis-`). */
  readonly alarmNamePrefix: string;
  readonly metricNamespace: string;
  /** The member topic's fixed name (`securityAccountSubscription`). */
  readonly memberTopicName?: string;
}

/** What a `CisSecurityAccount` deploys, as the checks compare it. */
export interface SecurityAccountFacts {
  readonly construct: Construct;
  readonly eventBusName: string;
  readonly heartbeats?: {
    readonly organizationalUnitIds: readonly string[];
    readonly accountIds?: readonly string[];
    readonly accountFilter?: string;
    readonly interval: Duration;
    readonly silenceAfter: Duration;
  };
  /** The member topic name the queue subscribes to (`memberTopicSubscriptions`). */
  readonly memberTopicName?: string;
}

/** One AWS Chatbot channel configuration. */
export interface ChatConfigurationFacts {
  readonly construct: Construct;
  /** `slack <workspace>/<channel>` or `teams <team>/<channel>`. */
  readonly channel: string;
  readonly configurationName?: string;
}

interface Registry {
  readonly rollouts: RolloutFacts[];
  readonly securityAccounts: SecurityAccountFacts[];
  readonly chats: ChatConfigurationFacts[];
}

const REGISTRIES = new WeakMap<IConstruct, Registry>();

function registry(scope: IConstruct): Registry {
  const root = scope.node.root;
  let r = REGISTRIES.get(root);
  if (!r) {
    r = { rollouts: [], securityAccounts: [], chats: [] };
    REGISTRIES.set(root, r);
  }
  return r;
}

/** Warning ids of the cross-checks. */
export const CROSS_CHECK_WARNINGS = {
  rolloutNotForwarding: 'cdk-cis-monitoring:rolloutNotForwarding',
  heartbeatsNotChecked: 'cdk-cis-monitoring:memberHeartbeatsNotChecked',
  heartbeatTargets: 'cdk-cis-monitoring:memberHeartbeatTargets',
  heartbeatInterval: 'cdk-cis-monitoring:memberHeartbeatInterval',
  subscriptionNotTaken: 'cdk-cis-monitoring:memberSubscriptionNotTaken',
  heartbeatRegion: 'cdk-cis-monitoring:memberHeartbeatRegion',
} as const;

interface Findings {
  readonly errors: string[];
  readonly warnings: Array<[id: string, message: string]>;
}

/** Registers a rollout; its validation compares it with the app's security accounts and other rollouts. */
export function registerRollout(facts: RolloutFacts): void {
  registry(facts.construct).rollouts.push(facts);
  facts.construct.node.addValidation({ validate: () => report(facts.construct, rolloutFindings(facts)) });
}

/**
 * Registers a security account; the rollouts that forward to it compare
 * themselves with it, and it checks that members send heartbeats where it
 * checks them.
 */
export function registerSecurityAccount(facts: SecurityAccountFacts): void {
  registry(facts.construct).securityAccounts.push(facts);
  facts.construct.node.addValidation({ validate: () => report(facts.construct, securityAccountFindings(facts)) });
}

/**
 * A heartbeat monitor in a Region where no member of the app's rollouts that
 * forward to it sends heartbeats reports every member it expects as silent,
 * forever. (The rollouts' own checks skip a security account outside their
 * Regions: its bus may serve rollouts of another app.)
 */
function securityAccountFindings(s: SecurityAccountFacts): Findings {
  const warnings: Array<[string, string]> = [];
  const at = regionOf(s.construct);
  const account = accountOf(s.construct);
  if (s.heartbeats && at !== undefined) {
    const forwarding = registry(s.construct).rollouts.filter(r => r.forward && r.forward.eventBusName === s.eventBusName
      && (account === undefined || r.forward.accountId === account));
    const here = forwarding.filter(r => r.regions.includes(at) || r.globalEventsRegion === at);
    if (forwarding.length > 0 && here.length === 0) {
      const regions = [...new Set(forwarding.flatMap(r => [...r.regions, ...(r.globalEventsRegion ? [r.globalEventsRegion] : [])]))];
      warnings.push([CROSS_CHECK_WARNINGS.heartbeatRegion,
        `${s.construct.node.path} checks member heartbeats in ${at}, but no rollout of this app that forwards to it has members in ${at} (${forwarding.map(r => r.construct.node.path).join(', ')}: ${regions.join(', ')}): every member of ${targetSummary(s.heartbeats)} would be reported silent there. Remove memberHeartbeats from the CisSecurityAccount in ${at}, or add ${at} to the rollout's regions.`]);
    }
  }
  return { errors: [], warnings };
}

/** Registers a chat channel configuration; two for one channel, or one name twice, in one account fail at deploy. */
export function registerChatConfiguration(facts: ChatConfigurationFacts): void {
  registry(facts.construct).chats.push(facts);
  facts.construct.node.addValidation({ validate: () => report(facts.construct, chatFindings(facts)) });
}

function report(construct: Construct, findings: Findings): string[] {
  for (const [id, message] of findings.warnings) Annotations.of(construct).addWarningV2(id, message);
  return findings.errors;
}

/** A stack's account, or undefined when it is a token (environment-agnostic). */
function accountOf(c: IConstruct): string | undefined {
  const a = Stack.of(c).account;
  return Token.isUnresolved(a) ? undefined : a;
}

function regionOf(c: IConstruct): string | undefined {
  const r = Stack.of(c).region;
  return Token.isUnresolved(r) ? undefined : r;
}

function where(c: IConstruct): string {
  const account = accountOf(c);
  const region = regionOf(c);
  return `${c.node.path} (${account ? `account ${account}` : 'an environment-agnostic account'}, ${region ? region : 'an environment-agnostic Region'})`;
}

function rolloutFindings(r: RolloutFacts): Findings {
  const errors: string[] = [];
  const warnings: Array<[string, string]> = [];
  const reg = registry(r.construct);

  if (!r.forward) {
    if (reg.securityAccounts.length > 0) {
      warnings.push([CROSS_CHECK_WARNINGS.rolloutNotForwarding,
        `This app deploys CisSecurityAccount (${reg.securityAccounts.map(s => s.construct.node.path).join(', ')}), but this rollout has no securityAccountId: its members keep their alerts to themselves and send no heartbeats. Give securityAccountId (and securityEventBusName if the bus is not "cis-monitoring"), or acknowledge this warning if these members are meant to alert locally only.`]);
    }
  } else {
    const f = r.forward;
    // Only security accounts whose account is known can be compared; an environment-agnostic one may be anywhere.
    const known = reg.securityAccounts.filter(s => accountOf(s.construct) !== undefined);
    const unknown = reg.securityAccounts.filter(s => accountOf(s.construct) === undefined);
    const inAccount = known.filter(s => accountOf(s.construct) === f.accountId);
    if (known.length > 0 && inAccount.length === 0 && unknown.length === 0) {
      errors.push(`securityAccountId is ${f.accountId}, but this app deploys CisSecurityAccount only in ${[...new Set(known.map(s => accountOf(s.construct)))].join(', ')} (${known.map(s => s.construct.node.path).join(', ')}): members would forward to a bus that does not exist, and every alert and heartbeat would end in their dead-letter queues. Set securityAccountId to the security account's id, or deploy the CisSecurityAccount stack in ${f.accountId}.`);
    }
    const candidates = [...inAccount, ...unknown];
    const onBus = candidates.filter(s => s.eventBusName === f.eventBusName);
    if (candidates.length > 0 && onBus.length === 0) {
      errors.push(`securityEventBusName is "${f.eventBusName}", but the CisSecurityAccount of account ${f.accountId} in this app names its bus ${[...new Set(candidates.map(s => `"${s.eventBusName}"`))].join(', ')} (${candidates.map(s => s.construct.node.path).join(', ')}): members would forward to a bus that does not exist. Give both the same name (the default on both sides is "cis-monitoring").`);
    }
    if (onBus.length > 0) {
      // Each Region of the members needs the bus there (EventBridge delivers cross-account in the sender's Region only).
      const memberRegions = [...r.regions, ...(r.globalEventsRegion ? [r.globalEventsRegion] : [])];
      const regionAgnostic = onBus.some(s => regionOf(s.construct) === undefined);
      const covered = new Set(onBus.map(s => regionOf(s.construct)).filter((x): x is string => x !== undefined));
      const missing = memberRegions.filter(reg2 => !covered.has(reg2));
      if (!regionAgnostic && missing.length > 0) {
        errors.push(`Members forward in ${memberRegions.join(', ')}, to the bus "${f.eventBusName}" of ${f.accountId} in the same Region, but this app deploys that CisSecurityAccount only in ${[...covered].join(', ')}: alerts and heartbeats of the members in ${missing.join(', ')} would end in their dead-letter queues. Deploy a CisSecurityAccount stack in ${missing.join(' and ')} too${r.globalEventsRegion && missing.includes(r.globalEventsRegion) ? ` (${r.globalEventsRegion} receives the rules-only member of globalServiceEventRules)` : ''}.`);
      }
      for (const s of onBus) {
        const at = regionOf(s.construct);
        if (at !== undefined && !memberRegions.includes(at)) continue;
        warnings.push(...heartbeatFindings(r, s));
        // Security Hub evaluates the alarms of the full members; the rules-only member's topic only needs the same name.
        const fullMembersHere = at === undefined || r.regions.includes(at);
        if (r.memberTopicName && s.memberTopicName === undefined && fullMembersHere) {
          warnings.push([CROSS_CHECK_WARNINGS.subscriptionNotTaken,
            `securityAccountSubscription lets ${f.accountId} subscribe to each member's topic "${r.memberTopicName}", but ${s.construct.node.path} has no memberTopicSubscriptions, so nobody subscribes and Security Hub keeps failing the members' CloudWatch controls (no confirmed subscriber). Give it memberTopicSubscriptions: { memberTopicName: '${r.memberTopicName}' }.`]);
        } else if (r.memberTopicName && s.memberTopicName !== undefined && s.memberTopicName !== r.memberTopicName) {
          errors.push(`Members name their topic "${r.memberTopicName}" (memberTopicName), but ${s.construct.node.path} subscribes to "${s.memberTopicName}" (memberTopicSubscriptions.memberTopicName): no member would get the subscription Security Hub wants. Give both the same name.`);
        }
      }
    }
  }

  for (const other of reg.rollouts) {
    if (other === r) continue;
    const collision = rolloutCollision(r, other);
    if (collision) errors.push(collision);
  }
  return { errors, warnings };
}

/** The rollout's heartbeats compared with a security account that receives them. */
function heartbeatFindings(r: RolloutFacts, s: SecurityAccountFacts): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const f = r.forward!;
  const hb = s.heartbeats;
  if (!hb) {
    out.push([CROSS_CHECK_WARNINGS.heartbeatsNotChecked,
      `Members send a heartbeat every ${f.heartbeatInterval.toHumanString()} to ${where(s.construct)}, which has no memberHeartbeats: a member whose forwarding breaks (a deleted stack instance, a changed bus policy) is never reported there. Give it memberHeartbeats: { organizationalUnitIds: [${r.organizationalUnitIds.map(o => `'${o}'`).join(', ')}] }.`]);
    return out;
  }
  const interval = f.heartbeatInterval.toSeconds();
  if (hb.silenceAfter.toSeconds() < 2 * interval) {
    // An error would be fair too (every check pages), but another app may own the heartbeat settings: say it loudly.
    out.push([CROSS_CHECK_WARNINGS.heartbeatInterval,
      `Members send a heartbeat every ${f.heartbeatInterval.toHumanString()}, but ${s.construct.node.path} reports a member silent after ${hb.silenceAfter.toHumanString()}: every member would be reported silent between two heartbeats. Give memberHeartbeats.heartbeatInterval the rollout's heartbeatInterval (${f.heartbeatInterval.toHumanString()}).`]);
  } else if (hb.interval.toSeconds() !== interval) {
    out.push([CROSS_CHECK_WARNINGS.heartbeatInterval,
      `Members send a heartbeat every ${f.heartbeatInterval.toHumanString()}, ${s.construct.node.path} expects one every ${hb.interval.toHumanString()} (memberHeartbeats.heartbeatInterval): give both the same value, so silence is reported after the intended time.`]);
  }
  const targets = targetSummary(r);
  const expected = targetSummary({ organizationalUnitIds: hb.organizationalUnitIds, accountIds: hb.accountIds, accountFilter: hb.accountFilter });
  // Compared with every rollout of the app that forwards to this bus in its Region (heartbeats are checked per Region):
  // their targets together are what should send heartbeats there.
  const at = regionOf(s.construct);
  const senders = registry(r.construct).rollouts
    .filter(o => o.forward && o.forward.accountId === f.accountId && o.forward.eventBusName === f.eventBusName)
    .filter(o => at === undefined || o.regions.includes(at) || o.globalEventsRegion === at);
  const sentOus = new Set(senders.flatMap(o => o.organizationalUnitIds));
  const notSent = hb.organizationalUnitIds.filter(o => !sentOus.has(o));
  const notExpected = r.organizationalUnitIds.filter(o => !hb.organizationalUnitIds.includes(o));
  if (notSent.length > 0 || notExpected.length > 0) {
    out.push([CROSS_CHECK_WARNINGS.heartbeatTargets,
      `${s.construct.node.path} expects heartbeats from ${expected}, this rollout deploys to ${targets}: ${[
        notExpected.length > 0 ? `members of ${notExpected.join(', ')} are never reported when they fall silent` : '',
        notSent.length > 0 ? `accounts of ${notSent.join(', ')} get no member stack from any rollout of this app that forwards to ${f.accountId}, so they would be reported silent` : '',
      ].filter(x => x).join('; ')}. Give memberHeartbeats the organizational units (and accountIds, accountFilter) of the rollouts that forward to it.`]);
  } else if (senders.length === 1 && (JSON.stringify([...(r.accountIds ?? [])].sort()) !== JSON.stringify([...(hb.accountIds ?? [])].sort()) || (r.accountFilter ?? '') !== (hb.accountFilter ?? ''))) {
    out.push([CROSS_CHECK_WARNINGS.heartbeatTargets,
      `${s.construct.node.path} expects heartbeats from ${expected}, this rollout deploys to ${targets}: give memberHeartbeats the rollout's accountIds and accountFilter too, or some accounts are reported silent that never got a member stack (or are never reported).`]);
  }
  return out;
}

function targetSummary(t: { organizationalUnitIds: readonly string[]; accountIds?: readonly string[]; accountFilter?: string }): string {
  const ous = t.organizationalUnitIds.join(', ');
  if (!t.accountIds || t.accountIds.length === 0) return `the accounts of ${ous}`;
  const filter = t.accountFilter ?? 'INTERSECTION';
  return `the accounts of ${ous} ${filter === 'INTERSECTION' ? 'limited to' : filter === 'DIFFERENCE' ? 'except' : 'and'} ${t.accountIds.join(', ')}`;
}

/**
 * How two rollouts reach the same account, when that can be shown from their
 * targets alone (an organizational unit's members and children are only known
 * to AWS Organizations): the same organizational unit, the root against
 * anything, or an account both list.
 */
function sharedAccounts(a: RolloutFacts, b: RolloutFacts): string | undefined {
  const listed = (r: RolloutFacts) => new Set(r.accountIds ?? []);
  const filter = (r: RolloutFacts) => (r.accountIds && r.accountIds.length > 0 ? r.accountFilter ?? 'INTERSECTION' : undefined);
  const fa = filter(a);
  const fb = filter(b);
  // Accounts a rollout surely deploys to whatever the organizational units hold: UNION's list.
  if (fa === 'UNION' && fb === 'UNION') {
    const both = [...listed(a)].filter(x => listed(b).has(x));
    if (both.length > 0) return `both list account${both.length > 1 ? 's' : ''} ${both.join(', ')} (accountFilter UNION)`;
  }
  const rootA = a.organizationalUnitIds.find(o => o.startsWith('r-'));
  const rootB = b.organizationalUnitIds.find(o => o.startsWith('r-'));
  const sameOus = a.organizationalUnitIds.filter(o => b.organizationalUnitIds.includes(o));
  let scope: string | undefined;
  if (sameOus.length > 0) scope = `both deploy to ${sameOus.join(', ')}`;
  else if (rootA) scope = `${a.construct.node.path} deploys to the root ${rootA}, which holds every account of ${b.organizationalUnitIds.join(', ')}`;
  else if (rootB) scope = `${b.construct.node.path} deploys to the root ${rootB}, which holds every account of ${a.organizationalUnitIds.join(', ')}`;
  if (scope === undefined) {
    // An account listed with UNION by one is in the other's targets if the other deploys to the root.
    return undefined;
  }
  // Within a shared scope, the account filters may still keep them apart.
  const inA = (x: string) => (fa === 'DIFFERENCE' ? !listed(a).has(x) : true);
  const inB = (x: string) => (fb === 'DIFFERENCE' ? !listed(b).has(x) : true);
  if (fa === 'INTERSECTION' && fb === 'INTERSECTION') {
    const both = [...listed(a)].filter(x => listed(b).has(x));
    return both.length > 0 ? `${scope}, and both are limited to account${both.length > 1 ? 's' : ''} ${both.join(', ')}` : undefined;
  }
  if (fa === 'INTERSECTION') {
    const both = [...listed(a)].filter(inB);
    return both.length > 0 ? `${scope}, and ${both.join(', ')} ${both.length > 1 ? 'are' : 'is'} in both` : undefined;
  }
  if (fb === 'INTERSECTION') {
    const both = [...listed(b)].filter(inA);
    return both.length > 0 ? `${scope}, and ${both.join(', ')} ${both.length > 1 ? 'are' : 'is'} in both` : undefined;
  }
  return sameOus.length > 0 ? `${scope}, so every account there gets both member stacks` : scope;
}

/** The error when two rollouts' members would collide in an account they both reach, or undefined. */
function rolloutCollision(a: RolloutFacts, b: RolloutFacts): string | undefined {
  const regionsA = [...a.regions, ...(a.globalEventsRegion ? [a.globalEventsRegion] : [])];
  const regionsB = [...b.regions, ...(b.globalEventsRegion ? [b.globalEventsRegion] : [])];
  const regions = regionsA.filter(x => regionsB.includes(x));
  if (regions.length === 0) return undefined;
  const shared = sharedAccounts(a, b);
  if (!shared) return undefined;
  const clashes: Array<{ what: string; then: string; fix: string }> = [];
  const failsToDeploy = 'the second stack instance fails to deploy ("already exists") and leaves that account without it';
  // Alarm names are unique per account and Region: the control alarms of a full member, and the
  // forward dead-letter alarm of any member that forwards (the rules-only us-east-1 one too).
  const full = regions.filter(x => a.regions.includes(x) && b.regions.includes(x));
  const alarms = (r: RolloutFacts, region: string) => [
    ...(r.regions.includes(region) ? [`${r.alarmNamePrefix}<control>`] : []),
    ...(r.forward ? [`${r.alarmNamePrefix}forward-dead-letters`] : []),
  ];
  const sameAlarms = a.alarmNamePrefix !== b.alarmNamePrefix ? []
    : [...new Set(regions.flatMap(x => alarms(a, x).filter(n => alarms(b, x).includes(n))))];
  if (sameAlarms.length > 0) {
    clashes.push({ what: `the same alarm names (${sameAlarms.join(', ')})`, then: failsToDeploy, fix: 'a different monitoring.alarmNamePrefix' });
  }
  if (full.length > 0 && a.metricNamespace === b.metricNamespace) {
    clashes.push({
      what: `the same metrics (namespace ${a.metricNamespace})`, then: 'each alarm would also count the other stack\'s events', fix: 'a different monitoring.metricNamespace',
    });
  }
  // Topic names clash wherever both have a member: the rules-only us-east-1 member names its topic too.
  if (a.memberTopicName && a.memberTopicName === b.memberTopicName) {
    clashes.push({ what: `the same topic name (${a.memberTopicName})`, then: failsToDeploy, fix: 'a different memberTopicName' });
  }
  if (clashes.length === 0) return undefined;
  // Report the pair once, on the first rollout of the two.
  const reg = registry(a.construct);
  if (reg.rollouts.indexOf(a) > reg.rollouts.indexOf(b)) return undefined;
  return `This rollout and ${b.construct.node.path} reach the same accounts: ${shared}. In ${regions.join(', ')} both member stacks would create ${clashes.map(c => `${c.what}: ${c.then}`).join('; and ')}. Target disjoint organizational units or accounts (accountIds with accountFilter DIFFERENCE), or give the second rollout ${clashes.map(c => c.fix).join(' and ')}.`;
}

function chatFindings(c: ChatConfigurationFacts): Findings {
  const errors: string[] = [];
  const reg = registry(c.construct);
  const account = accountOf(c.construct);
  // Environment-agnostic stacks are taken as one account (they usually deploy to one), as the metric registry does.
  const sameAccount = reg.chats.filter(o => o !== c && accountOf(o.construct) === account);
  const index = reg.chats.indexOf(c);
  for (const o of sameAccount) {
    // Report each pair once, on the later one.
    if (reg.chats.indexOf(o) > index) continue;
    const inAccount = account ? `account ${account}` : 'the same (environment-agnostic) account';
    if (o.channel === c.channel) {
      errors.push(`AWS Chatbot takes one configuration per channel per account, in every Region together, and ${o.construct.node.path} (${regionOf(o.construct) ?? 'environment-agnostic Region'}) already configures ${c.channel} in ${inAccount}: this one (${regionOf(c.construct) ?? 'environment-agnostic Region'}) would fail at deploy ("has already been configured for AWS account"). Deliver this Region's alerts to another channel, or give chatDelivery to one Region's construct only (its topics are what the channel receives).`);
    } else if (c.configurationName !== undefined && c.configurationName === o.configurationName) {
      errors.push(`The Chatbot configuration name "${c.configurationName}" is also used by ${o.construct.node.path} in ${inAccount}: names are unique per account in every Region together, so this one would fail at deploy. Give it another configurationName.`);
    }
  }
  return { errors, warnings: [] };
}
