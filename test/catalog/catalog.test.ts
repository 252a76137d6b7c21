import { CisBenchmarkVersion, CisControl, FilterPatternEngine } from '../../src';

const K = {
  unauth: 'unauthorized-api-calls',
  mfa: 'console-signin-without-mfa',
  root: 'root-account-usage',
  iam: 'iam-policy-changes',
  trail: 'cloudtrail-config-changes',
  authFail: 'console-auth-failures',
  cmk: 'cmk-disable-or-deletion',
  s3: 's3-bucket-policy-changes',
  config: 'aws-config-changes',
  sg: 'security-group-changes',
  nacl: 'nacl-changes',
  gw: 'network-gateway-changes',
  rt: 'route-table-changes',
  vpc: 'vpc-changes',
  org: 'organizations-changes',
};
const FOURTEEN = [K.unauth, K.mfa, K.root, K.iam, K.trail, K.authFail, K.cmk, K.s3, K.config, K.sg, K.nacl, K.gw, K.rt, K.vpc];
const FIFTEEN = [...FOURTEEN, K.org];

// Expected membership and numbering per version, written out by hand from the benchmark tables.
const EXPECTED: Array<[CisBenchmarkVersion, string[], string]> = [
  [CisBenchmarkVersion.V1_2_0, FOURTEEN, '3'],
  [CisBenchmarkVersion.V1_3_0, FIFTEEN, '4'],
  [CisBenchmarkVersion.V1_4_0, FIFTEEN, '4'],
  [CisBenchmarkVersion.V1_5_0, FIFTEEN, '4'],
  [CisBenchmarkVersion.V2_0_0, FIFTEEN, '4'],
  [CisBenchmarkVersion.V3_0_0, FIFTEEN, '4'],
  [CisBenchmarkVersion.V4_0_0, FIFTEEN, '4'],
  [CisBenchmarkVersion.V5_0_0, FIFTEEN, '4'],
  [CisBenchmarkVersion.V6_0_0, FIFTEEN, '5'],
  [CisBenchmarkVersion.V7_0_0, FIFTEEN, '5'],
];

describe.each(EXPECTED)('%s', (version, keys, section) => {
  test('has exactly the expected metric-filter controls, in benchmark order', () => {
    expect(version.controls().map(c => c.key)).toEqual(keys);
  });

  test(`numbers them ${section}.1 to ${section}.${keys.length}`, () => {
    expect(version.controls().map(c => c.definitionIn(version).recommendationId))
      .toEqual(keys.map((_, i) => `${section}.${i + 1}`));
  });

  test('Security Hub enabled is listed (not a metric filter) exactly from v1.5.0', () => {
    const hasHub = version.allControls().includes(CisControl.SECURITY_HUB_ENABLED);
    expect(hasHub).toBe(!['1.2.0', '1.3.0', '1.4.0'].includes(version.version));
    if (hasHub) expect(CisControl.SECURITY_HUB_ENABLED.definitionIn(version).recommendationId).toBe(`${section}.16`);
  });

  test('every deployed pattern parses, stays under 1024 characters, and carries no regex', () => {
    for (const c of version.controls()) {
      const d = c.definitionIn(version);
      expect(d.deployedPattern!.length).toBeLessThanOrEqual(1024);
      expect(FilterPatternEngine.parse(d.deployedPattern!).regexCount).toBe(0);
      expect(d.title).toMatch(/\S/);
      expect([1, 2]).toContain(d.profileLevel);
    }
  });
});

describe('CisBenchmarkVersion', () => {
  test('LATEST is 7.0.0 and of() accepts a leading v', () => {
    expect(CisBenchmarkVersion.LATEST).toBe(CisBenchmarkVersion.V7_0_0);
    expect(CisBenchmarkVersion.of('v5.0.0')).toBe(CisBenchmarkVersion.V5_0_0);
  });

  test('of() rejects an unknown version and lists the known ones', () => {
    expect(() => CisBenchmarkVersion.of('8.0.0')).toThrow(/Unknown CIS AWS Foundations Benchmark version "8.0.0".*1\.2\.0, 1\.3\.0.*7\.0\.0/);
  });
});

describe('CisControl', () => {
  test('keys, metric names and Security Hub ids are stable and unique', () => {
    const all = CisControl.all();
    expect(new Set(all.map(c => c.key)).size).toBe(all.length);
    expect(new Set(all.map(c => c.metricName)).size).toBe(all.length);
    expect(CisControl.ROOT_ACCOUNT_USAGE.securityHubControlId).toBe('CloudWatch.1');
    expect(CisControl.UNAUTHORIZED_API_CALLS.securityHubControlId).toBe('CloudWatch.2');
    expect(CisControl.VPC_CHANGES.securityHubControlId).toBe('CloudWatch.14');
    expect(CisControl.ORGANIZATIONS_CHANGES.securityHubControlId).toBeUndefined();
  });

  test('fromKey() rejects an unknown key and lists the known ones', () => {
    expect(CisControl.fromKey('vpc-changes')).toBe(CisControl.VPC_CHANGES);
    expect(() => CisControl.fromKey('vpc-change')).toThrow(/Unknown CIS control key "vpc-change".*vpc-changes/);
  });

  test('definitionIn() refuses a version that lacks the control', () => {
    expect(() => CisControl.ORGANIZATIONS_CHANGES.definitionIn(CisBenchmarkVersion.V1_2_0))
      .toThrow(/"organizations-changes" is not part of CIS v1.2.0 \(it exists in 1.3.0/);
  });

  test('root usage text is unchanged from v1.2.0 to v5.0.0', () => {
    const texts = new Set(CisBenchmarkVersion.all().slice(0, 8).map(v => CisControl.ROOT_ACCOUNT_USAGE.definitionIn(v).cisPattern));
    expect([...texts]).toEqual(['{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }']);
  });
});

describe('known CIS text defects', () => {
  const ored = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }';
  const benign = JSON.stringify({ eventName: 'DescribeInstances', eventSource: 'ec2.amazonaws.com', sourceIPAddress: '198.51.100.7' });
  const denied = JSON.stringify({ eventName: 'GetObject', errorCode: 'AccessDenied', sourceIPAddress: '198.51.100.7' });
  const logDelivery = JSON.stringify({ eventName: 'HeadBucket', errorCode: 'AccessDenied', sourceIPAddress: 'delivery.logs.amazonaws.com' });

  test.each([CisBenchmarkVersion.V1_3_0, CisBenchmarkVersion.V1_4_0, CisBenchmarkVersion.V1_5_0])('%s keeps the verbatim ORed text but deploys the intended semantics', (v) => {
    const d = CisControl.UNAUTHORIZED_API_CALLS.definitionIn(v);
    expect(d.cisPattern).toBe(ored);
    expect(d.patternDefect).toMatch(/matches almost every CloudTrail event/);
    // The verbatim text pages on a benign read-only call; the deployed one does not.
    expect(FilterPatternEngine.parse(d.cisPattern!).matches(benign)).toBe(true);
    const deployed = FilterPatternEngine.parse(d.deployedPattern!);
    expect(deployed.matches(benign)).toBe(false);
    expect(deployed.matches(denied)).toBe(true);
    expect(deployed.matches(logDelivery)).toBe(false);
  });

  test('every other version deploys its CIS text verbatim', () => {
    for (const v of CisBenchmarkVersion.all()) {
      for (const c of v.controls()) {
        const d = c.definitionIn(v);
        if (c === CisControl.UNAUTHORIZED_API_CALLS && ['1.3.0', '1.4.0', '1.5.0'].includes(v.version)) continue;
        expect(d.deployedPattern).toBe(d.cisPattern);
        expect(d.patternDefect).toBeUndefined();
      }
    }
  });
});
