/**
 * Each scanner's pattern rule per control, as code: Prowler and Steampipe
 * regexes, CloudSploit's whitespace-stripped lowercase equality and Security
 * Hub's byte-exact comparison. The data is transcribed from
 * shared/spec/checkers.json (see scanner-data.generated.ts).
 */
import { CisControl } from '../catalog';
import { Scanner } from './scanner';
import {
  CLOUDSPLOIT_MASTER_RULES, CLOUDSPLOIT_SOURCE, PROWLER_RULES, PROWLER_SOURCE, SECURITY_HUB_SOURCE,
  STEAMPIPE_RULES, STEAMPIPE_SOURCE,
} from './scanner-data.generated';

/** Every scanner, in the order reports list them. */
export const ALL_SCANNERS: readonly Scanner[] = [Scanner.SECURITY_HUB, Scanner.PROWLER, Scanner.STEAMPIPE, Scanner.CLOUDSPLOIT];

const DISPLAY_NAMES: Record<Scanner, string> = {
  [Scanner.SECURITY_HUB]: 'Security Hub',
  [Scanner.PROWLER]: 'Prowler',
  [Scanner.STEAMPIPE]: 'Steampipe',
  [Scanner.CLOUDSPLOIT]: 'CloudSploit',
};

const SOURCES: Record<Scanner, string> = {
  [Scanner.SECURITY_HUB]: SECURITY_HUB_SOURCE,
  [Scanner.PROWLER]: PROWLER_SOURCE,
  [Scanner.STEAMPIPE]: STEAMPIPE_SOURCE,
  [Scanner.CLOUDSPLOIT]: CLOUDSPLOIT_SOURCE,
};

/** Human name of a scanner, e.g. "Security Hub". */
export function scannerDisplayName(scanner: Scanner): string {
  return DISPLAY_NAMES[scanner];
}

/** Where the scanner's rules were transcribed from. */
export function scannerSource(scanner: Scanner): string {
  return SOURCES[scanner];
}

/** Names accepted on the command line for each scanner (case-insensitive; `-` and `_` interchangeable). */
const CLI_ALIASES: Record<string, Scanner> = {
  security_hub: Scanner.SECURITY_HUB,
  securityhub: Scanner.SECURITY_HUB,
  prowler: Scanner.PROWLER,
  steampipe: Scanner.STEAMPIPE,
  powerpipe: Scanner.STEAMPIPE,
  cloudsploit: Scanner.CLOUDSPLOIT,
};

/** The name to type on the command line, e.g. `security-hub`. */
export function scannerCliName(scanner: Scanner): string {
  return scanner.toLowerCase().replace(/_/g, '-');
}

/**
 * Parses a comma-separated scanner list such as `security-hub,prowler`.
 * Throws an Error naming the bad entry and the accepted names.
 */
export function parseScannerList(text: string): Scanner[] {
  const accepted = ALL_SCANNERS.map(scannerCliName).join(', ');
  const parts = text.split(',').map(p => p.trim());
  if (parts.length === 0 || parts.every(p => p === '')) {
    throw new Error(`The scanner list "${text}" is empty. Name at least one of: ${accepted} (comma-separated).`);
  }
  const out: Scanner[] = [];
  for (const part of parts) {
    if (part === '') {
      throw new Error(`The scanner list "${text}" has an empty entry. Separate names with single commas, e.g. "security-hub,prowler". Accepted: ${accepted}.`);
    }
    const scanner = CLI_ALIASES[part.toLowerCase().replace(/-/g, '_')];
    if (!scanner) {
      throw new Error(`Unknown scanner "${part}" in "${text}". Accepted: ${accepted}.`);
    }
    if (!out.includes(scanner)) out.push(scanner);
  }
  return ALL_SCANNERS.filter(s => out.includes(s));
}

/** CloudSploit's normalisation: `filterPattern.replace(/\s+/g, '').toLowerCase()`. */
export function normaliseForCloudSploit(text: string): string {
  return text.replace(/\s+/g, '').toLowerCase();
}

/** One scanner's test of a single filter pattern text for one control. */
export interface PatternRule {
  readonly scanner: Scanner;
  readonly controlKey: string;
  /** False where the scanner has no check for the control (Security Hub and Organizations changes). */
  readonly applicable: boolean;
  /** Why the scanner does not check the control. */
  readonly notApplicableReason?: string;
  /** The scanner's name for the check (Prowler check id, Steampipe query, CloudSploit filter name, CloudWatch.N). */
  readonly checkName?: string;
  /** What the rule compares against: the regex, expected text or documented text. */
  readonly expectation?: string;
  /** A sentence saying what a passing text needs. */
  readonly requirement: string;
  /** Whether one filter pattern text passes the scanner's pattern rule. */
  test(text: string): boolean;
}

const ruleCache = new Map<string, PatternRule>();

/**
 * The pattern rule of `scanner` for the control with key `controlKey`.
 * Throws for a key that is not a metric-filter control.
 */
export function patternRule(scanner: Scanner, controlKey: string): PatternRule {
  const cacheKey = `${scanner}|${controlKey}`;
  const cached = ruleCache.get(cacheKey);
  if (cached) return cached;
  const rule = buildRule(scanner, controlKey);
  ruleCache.set(cacheKey, rule);
  return rule;
}

function buildRule(scanner: Scanner, controlKey: string): PatternRule {
  const control = CisControl.fromKey(controlKey);
  if (!control.isMetricFilter) {
    throw new Error(`Control "${controlKey}" is not a metric-filter control; scanners have no pattern rule for it.`);
  }
  switch (scanner) {
    case Scanner.PROWLER: {
      const data = PROWLER_RULES[controlKey];
      // Python re.search(..., re.DOTALL): unanchored, "." matches newlines. The
      // regexes use only syntax JavaScript reads the same way (lookaheads, \b, \s, escapes).
      const re = new RegExp(data.regex, 's');
      return {
        scanner,
        controlKey,
        applicable: true,
        checkName: data.checkId,
        expectation: data.regex,
        test: text => re.test(text),
        requirement: `Prowler check ${data.checkId} needs a metric filter whose pattern matches the regex ${data.regex}`,
      };
    }
    case Scanner.STEAMPIPE: {
      const data = STEAMPIPE_RULES[controlKey];
      // PostgreSQL "~": unanchored, case-sensitive, "." matches newlines (no n flag).
      const re = new RegExp(data.regex, 's');
      return {
        scanner,
        controlKey,
        applicable: true,
        checkName: data.query,
        expectation: data.regex,
        test: text => re.test(text),
        requirement: `Steampipe ${data.query} needs a metric filter whose pattern matches the ordered regex ${data.regex}`,
      };
    }
    case Scanner.CLOUDSPLOIT: {
      const data = CLOUDSPLOIT_MASTER_RULES[controlKey];
      const expected = normaliseForCloudSploit(data.expected);
      return {
        scanner,
        controlKey,
        applicable: true,
        checkName: data.name,
        expectation: data.expected,
        test: text => normaliseForCloudSploit(text) === expected,
        requirement: `CloudSploit "${data.name}" needs a metric filter equal, ignoring whitespace and case, to ${data.expected}`,
      };
    }
    case Scanner.SECURITY_HUB: {
      const documented = control.securityHubPattern;
      if (documented === undefined) {
        return {
          scanner,
          controlKey,
          applicable: false,
          notApplicableReason: `Security Hub has no CloudWatch control for "${controlKey}"`,
          test: () => false,
          requirement: `Security Hub does not evaluate "${controlKey}"`,
        };
      }
      return {
        scanner,
        controlKey,
        applicable: true,
        checkName: control.securityHubControlId,
        expectation: documented,
        test: text => text === documented,
        requirement: `Security Hub ${control.securityHubControlId} needs a metric filter whose pattern is byte for byte ${documented}`,
      };
    }
  }
  throw new Error(`Unknown scanner "${String(scanner)}". Use one of: ${ALL_SCANNERS.join(', ')}.`);
}
