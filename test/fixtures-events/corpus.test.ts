/**
 * Replays the shared stratus-red-team corpus (../shared/corpus/stratus-red-team,
 * 35 files of real CloudTrail records, absent on a fresh clone: the suite then
 * skips) through the deployed pattern of every control and checks the exact
 * number of hits per file and control.
 *
 * EXPECTED_HITS was written by hand from the table in ../shared/corpus/README.md.
 * The README says its counts are a lookup on field values, not an evaluation of
 * the pattern texts, so each number was re-checked against the records
 * (jq/python, evaluating the boolean structure of each text):
 * - unauthorized-api-calls: ec2-get-password-data = 30 GetPasswordData
 *   Client.UnauthorizedOperation + 2 AssumeRole AccessDenied; ec2-download-user-data =
 *   15 DescribeInstanceAttribute Client.UnauthorizedOperation + 2 AssumeRole AccessDenied;
 *   ec2-launch-unusual-instances = 1 RunInstances Client.UnauthorizedOperation;
 *   organizations-leave = 1 LeaveOrganization AccessDenied. The 2.0.0+ texts read
 *   `A || (B && C && D)`, where C and D exclude sourceIPAddress delivery.logs.amazonaws.com
 *   and eventName HeadBucket: no corpus record has either (every record has a
 *   sourceIPAddress, none from log delivery, no HeadBucket), so the exclusions remove
 *   nothing and the field lookup and the evaluation agree. The one non-authorization
 *   error in the corpus (DeleteLoginProfile EntityTemporarilyUnmodifiableException) is
 *   rightly not counted.
 * - console-signin-without-mfa: the single ConsoleLogin has MFAUsed "No" (IAMUser,
 *   Success), so the base text and the SSO variant both count it.
 * - No record is Root, and none has userIdentity.invokedBy: root-account-usage has no hit.
 * Because the corpus has no delivery.logs/HeadBucket record, 1.2.0's `A || B`, the
 * deployed 1.3.0-1.5.0 `(A || B) && C && D` and 2.0.0+ `A || (B && C && D)` give the
 * same counts, and no version's list changes touch a corpus event
 * (ModifySecurityGroupRules does not occur): the table holds for every version,
 * minus organizations-changes in 1.2.0, which does not have that control.
 */
import * as fs from 'fs';
import { CisBenchmarkVersion, CisControl } from '../../src/catalog';
import { compilePattern } from '../support/fixtures';
import { describeIfShared, hasShared, sharedPath } from '../support/shared';

const CORPUS = ['corpus', 'stratus-red-team'] as const;

/** Hits per file and control key, from ../shared/corpus/README.md; every pair not listed must have 0 hits. */
const EXPECTED_HITS: Record<string, Record<string, number>> = {
  'aws.credential-access.ec2-get-password-data.json': { 'unauthorized-api-calls': 32 },
  'aws.defense-evasion.cloudtrail-delete.json': { 'cloudtrail-config-changes': 1 },
  'aws.defense-evasion.cloudtrail-stop.json': { 'cloudtrail-config-changes': 1 },
  'aws.defense-evasion.organizations-leave.json': { 'organizations-changes': 1, 'unauthorized-api-calls': 1 },
  'aws.discovery.ec2-download-user-data.json': { 'unauthorized-api-calls': 17 },
  'aws.execution.ec2-launch-unusual-instances.json': { 'unauthorized-api-calls': 1 },
  'aws.exfiltration.ec2-security-group-open-port-22-ingress.json': { 'security-group-changes': 1 },
  'aws.initial-access.console-login-without-mfa.json': { 'console-signin-without-mfa': 1 },
  'aws.persistence.iam-create-admin-user.json': { 'iam-policy-changes': 1 },
  'aws.persistence.iam-create-backdoor-role.json': { 'iam-policy-changes': 1 },
};

/** Which record each of those hits is (event name per file and control), to check the right records match. */
const EXPECTED_EVENT_NAMES: Record<string, Record<string, string[]>> = {
  'aws.credential-access.ec2-get-password-data.json': { 'unauthorized-api-calls': ['AssumeRole', 'GetPasswordData'] },
  'aws.defense-evasion.cloudtrail-delete.json': { 'cloudtrail-config-changes': ['DeleteTrail'] },
  'aws.defense-evasion.cloudtrail-stop.json': { 'cloudtrail-config-changes': ['StopLogging'] },
  'aws.defense-evasion.organizations-leave.json': { 'organizations-changes': ['LeaveOrganization'], 'unauthorized-api-calls': ['LeaveOrganization'] },
  'aws.discovery.ec2-download-user-data.json': { 'unauthorized-api-calls': ['AssumeRole', 'DescribeInstanceAttribute'] },
  'aws.execution.ec2-launch-unusual-instances.json': { 'unauthorized-api-calls': ['RunInstances'] },
  'aws.exfiltration.ec2-security-group-open-port-22-ingress.json': { 'security-group-changes': ['AuthorizeSecurityGroupIngress'] },
  'aws.initial-access.console-login-without-mfa.json': { 'console-signin-without-mfa': ['ConsoleLogin'] },
  'aws.persistence.iam-create-admin-user.json': { 'iam-policy-changes': ['AttachUserPolicy'] },
  'aws.persistence.iam-create-backdoor-role.json': { 'iam-policy-changes': ['AttachRolePolicy'] },
};

function corpusFiles(): string[] {
  if (!hasShared(...CORPUS)) return [];
  return fs.readdirSync(sharedPath(...CORPUS)).filter(f => f.endsWith('.json')).sort();
}

const recordsCache = new Map<string, any[]>();
function records(file: string): any[] {
  let r = recordsCache.get(file);
  if (!r) {
    r = JSON.parse(fs.readFileSync(sharedPath(...CORPUS, file), 'utf8')) as any[];
    recordsCache.set(file, r);
  }
  return r;
}

const compile = compilePattern;

/** Records of a file that a text matches, each serialised on one line as CloudWatch Logs stores it. */
function matching(text: string, file: string): any[] {
  const p = compile(text);
  return records(file).filter(r => p.matches(JSON.stringify(r)));
}

/** Non-zero hit counts of every control of a version on one file (deployed patterns). */
function hitTable(version: CisBenchmarkVersion, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of version.controls()) {
    const n = matching(c.definitionIn(version).deployedPattern!, file).length;
    if (n > 0) out[c.key] = n;
  }
  return out;
}

function expectedFor(version: CisBenchmarkVersion, file: string): Record<string, number> {
  const keys = new Set(version.controls().map(c => c.key));
  return Object.fromEntries(Object.entries(EXPECTED_HITS[file] ?? {}).filter(([k]) => keys.has(k)));
}

describeIfShared(...CORPUS)('stratus-red-team corpus (../shared/corpus)', () => {
  // describe.skip still collects its body: keep the tables non-empty when the corpus is absent
  const files = corpusFiles();
  const fileRows: Array<[string]> = files.length > 0 ? files.map(f => [f] as [string]) : [['(corpus absent)']];
  const LATEST = CisBenchmarkVersion.LATEST;

  test('the corpus is the one the README describes: 35 files, 310 records', () => {
    expect(files.length).toBe(35);
    expect(files.reduce((n, f) => n + records(f).length, 0)).toBe(310);
    for (const f of Object.keys(EXPECTED_HITS)) expect(files).toContain(f);
  });

  test.each(fileRows)(`v${LATEST.version} deployed patterns on %s: exact hits per control, none elsewhere`, file => {
    expect(hitTable(LATEST, file)).toEqual(expectedFor(LATEST, file));
  });

  test.each(fileRows)(`v${LATEST.version} deployed patterns on %s: the hits are the expected records`, file => {
    const got: Record<string, string[]> = {};
    for (const c of LATEST.controls()) {
      const names = [...new Set(matching(c.definitionIn(LATEST).deployedPattern!, file).map(r => r.eventName as string))].sort();
      if (names.length > 0) got[c.key] = names;
    }
    expect(got).toEqual(EXPECTED_EVENT_NAMES[file] ?? {});
  });

  test.each(fileRows)('every version\'s deployed patterns on %s give the same table (organizations-changes from 1.3.0)', file => {
    const got = Object.fromEntries(CisBenchmarkVersion.all().map(v => [v.version, hitTable(v, file)]));
    const want = Object.fromEntries(CisBenchmarkVersion.all().map(v => [v.version, expectedFor(v, file)]));
    expect(got).toEqual(want);
  });

  test('the SSO variant and Security Hub CloudWatch.3 also count the corpus ConsoleLogin (IAMUser, Success, MFAUsed No)', () => {
    const file = 'aws.initial-access.console-login-without-mfa.json';
    expect(matching(CisControl.CONSOLE_SIGNIN_WITHOUT_MFA.definitionIn(LATEST).ssoVariantPattern!, file)).toHaveLength(1);
    expect(matching(CisControl.CONSOLE_SIGNIN_WITHOUT_MFA.securityHubPattern!, file)).toHaveLength(1);
  });

  test('the verbatim 1.3.0 unauthorized-API text matches every one of the 310 records; the deployed one only the 51 failures', () => {
    const d = CisControl.UNAUTHORIZED_API_CALLS.definitionIn(CisBenchmarkVersion.V1_3_0);
    expect(d.cisPattern).not.toEqual(d.deployedPattern);
    expect(files.reduce((n, f) => n + matching(d.cisPattern!, f).length, 0)).toBe(310);
    expect(files.reduce((n, f) => n + matching(d.deployedPattern!, f).length, 0)).toBe(32 + 1 + 17 + 1);
  });
});
