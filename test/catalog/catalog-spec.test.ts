/**
 * The committed catalog must equal ../shared/spec/cis-controls.json byte for
 * byte. Skipped on a clone without ../shared.
 */
import { CisBenchmarkVersion, CisControl } from '../../src';
import { describeIfShared, readSharedJson } from '../support/shared';

const SPEC = ['spec', 'cis-controls.json'];

describeIfShared(...SPEC)('catalog equals shared/spec/cis-controls.json', () => {
  const spec = hasSpec() ? readSharedJson(...SPEC) : { benchmarkVersions: [], controls: [] };

  test('same versions and control keys', () => {
    expect(CisBenchmarkVersion.all().map(v => v.version)).toEqual(spec.benchmarkVersions);
    expect(CisControl.all().map(c => c.key)).toEqual(spec.controls.map((c: any) => c.key));
  });

  for (const version of spec.benchmarkVersions as string[]) {
    test(`v${version}: membership, ids, titles, levels and byte-exact patterns`, () => {
      const v = CisBenchmarkVersion.of(version);
      const specMembers = spec.controls.filter((c: any) => c.isMetricFilter && c.versions[version]).map((c: any) => c.key);
      expect(v.controls().map(c => c.key)).toEqual(specMembers);
      for (const sc of spec.controls) {
        const control = CisControl.fromKey(sc.key);
        const sv = sc.versions[version];
        expect(control.isIn(v)).toBe(!!sv);
        if (!sv) continue;
        const d = control.definitionIn(v);
        expect(d.recommendationId).toBe(sv.recommendationId);
        expect(d.title).toBe(sv.title.value);
        expect(d.profileLevel).toBe(sv.title && sv.profileLevel.value);
        expect(d.assessmentStatus).toBe(sv.assessmentStatus.value);
        const primary = (role: string) => (sv.patterns?.[role] ?? []).find((p: any) => p.primary)?.text;
        // Byte equality: compare code units, not a normalised form.
        expect(d.cisPattern).toBe(primary('remediation'));
        expect(d.ssoVariantPattern).toBe(primary('remediationSsoVariant'));
        const others = Object.values(sv.patterns ?? {}).flat().filter((p: any) => !p.primary).map((p: any) => p.text).sort();
        expect([...d.otherTranscriptions].sort()).toEqual(others);
      }
    });
  }

  test('Security Hub ids and documented texts', () => {
    for (const sc of spec.controls) {
      const control = CisControl.fromKey(sc.key);
      expect(control.securityHubControlId).toBe(sc.securityHub?.controlId);
      expect(control.securityHubPattern).toBe(sc.securityHub?.pattern.text);
    }
  });
});

function hasSpec(): boolean {
  try { readSharedJson(...SPEC); return true; } catch { return false; }
}
