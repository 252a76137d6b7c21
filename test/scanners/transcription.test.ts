/**
 * The scanner rules in src/scanners/scanner-data.generated.ts must equal
 * ../shared/spec/checkers.json byte for byte, and applying them must give the
 * spec's computed pattern matrix. Skipped on a clone without ../shared.
 */
import { CisControl } from '../../src';
import { patternRule } from '../../src/scanners/rules';
import { Scanner } from '../../src/scanners/scanner';
import {
  CLOUDSPLOIT_MASTER_RULES, CLOUDSPLOIT_SOURCE, PROWLER_RULES, PROWLER_SOURCE, STEAMPIPE_RULES, STEAMPIPE_SOURCE,
} from '../../src/scanners/scanner-data.generated';
import { describeIfShared, hasShared, readSharedJson } from '../support/shared';

const SPEC = ['spec', 'checkers.json'];

describeIfShared(...SPEC)('scanner rules equal shared/spec/checkers.json', () => {
  const spec = hasShared(...SPEC) ? readSharedJson(...SPEC) : { checkers: {}, computedPatternMatrix: { controls: {} } };
  const checkers = spec.checkers;

  test('Prowler: same controls, check ids and regexes, byte for byte', () => {
    expect(Object.keys(PROWLER_RULES)).toEqual(Object.keys(checkers.prowler.controls));
    for (const [key, c] of Object.entries<any>(checkers.prowler.controls)) {
      expect({ key, checkId: PROWLER_RULES[key].checkId, regex: PROWLER_RULES[key].regex }).toEqual({ key, checkId: c.checkId, regex: c.regex });
    }
    expect(PROWLER_SOURCE).toBe(checkers.prowler.source);
  });

  test('Steampipe: same controls, queries and regexes, byte for byte', () => {
    expect(Object.keys(STEAMPIPE_RULES)).toEqual(Object.keys(checkers.steampipe.controls));
    for (const [key, c] of Object.entries<any>(checkers.steampipe.controls)) {
      expect({ key, query: STEAMPIPE_RULES[key].query, regex: STEAMPIPE_RULES[key].regex }).toEqual({ key, query: c.query, regex: c.regex });
    }
    expect(STEAMPIPE_SOURCE).toBe(checkers.steampipe.source);
  });

  test('CloudSploit: the master variant\'s names and expected texts, byte for byte', () => {
    const master = checkers.cloudsploit.variants.find((v: any) => v.id.startsWith('master'));
    expect(CLOUDSPLOIT_SOURCE).toBe(master.source);
    expect(Object.keys(CLOUDSPLOIT_MASTER_RULES)).toEqual(Object.keys(master.controls));
    for (const [key, c] of Object.entries<any>(master.controls)) {
      const ours = CLOUDSPLOIT_MASTER_RULES[key];
      expect({ key, name: ours.name, expected: ours.expected }).toEqual({ key, name: c.name, expected: c.expected });
      // The spec's own normalised form agrees with our normalisation.
      expect(patternRule(Scanner.CLOUDSPLOIT, key).test(c.expectedNormalised)).toBe(true);
    }
  });

  test('Security Hub: the catalog\'s documented texts and control ids are the checkers.json ones', () => {
    for (const [key, c] of Object.entries<any>(checkers.securityHub.controls)) {
      const control = CisControl.fromKey(key);
      expect(control.securityHubPattern).toBe(c.documentedPattern);
      expect(control.securityHubControlId).toBe(c.controlId);
    }
    expect(Object.keys(checkers.securityHub.controls)).not.toContain('organizations-changes');
  });

  test('our rules reproduce computedPatternMatrix for every catalog text', () => {
    const columns: [string, Scanner][] = [
      ['prowler', Scanner.PROWLER], ['steampipe', Scanner.STEAMPIPE],
      ['cloudsploitMaster20251204', Scanner.CLOUDSPLOIT], ['securityHubExactText', Scanner.SECURITY_HUB],
    ];
    let rows = 0;
    for (const [key, list] of Object.entries<any[]>(spec.computedPatternMatrix.controls)) {
      for (const row of list) {
        for (const [column, scanner] of columns) {
          const rule = patternRule(scanner, key);
          const expected = row[column];
          const actual = rule.applicable ? rule.test(row.text) : null;
          expect({ key, text: row.text, column, result: actual }).toEqual({ key, text: row.text, column, result: expected });
        }
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(40);
  });
});
