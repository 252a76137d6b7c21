/**
 * Cross-checks the offline EventBridge matcher against moto's EventBridge
 * pattern matcher (moto 5.2.5 from .venv, installed by
 * scripts/setup-python-tools.sh; without it these tests fail in CI and are
 * skipped elsewhere, see test/support/requirements.ts).
 *
 * moto's server answers TestEventPattern with an empty body (the API is a
 * stub in 5.2.5), so the test calls the matcher the server uses for PutEvents
 * (`motoEventPatternMatches` in test/support/moto.ts). moto is a second, independent reading of the documented semantics, not AWS
 * itself; it does not crush arrays of objects, so only patterns without array
 * paths are compared (all CIS control rules qualify).
 */
import { CisBenchmarkVersion, CisControl } from '../../src/catalog';
import { toEventPatternJson } from '../../src/filter-pattern/translate/event-pattern';
import { cloudTrailEvent, matches } from '../support/event-pattern-matcher';
import { loadControlFixtures } from '../support/fixtures';
import { motoEventPatternMatches as motoMatches } from '../support/moto';
import { eventPatternFor } from '../support/plans';
import { describeIf, requires } from '../support/requirements';

describeIf(requires.moto)('the EventBridge matcher agrees with moto\'s EventBridge pattern matcher', () => {
  const rules = [
    ...CisBenchmarkVersion.LATEST.controls().map(c => ({ name: `${c.key} 7.0.0`, control: c, version: CisBenchmarkVersion.LATEST })),
    { name: 'unauthorized-api-calls 1.3.0', control: CisControl.UNAUTHORIZED_API_CALLS, version: CisBenchmarkVersion.V1_3_0 },
  ];
  const records = CisBenchmarkVersion.LATEST.controls().flatMap(c => loadControlFixtures(c.key).all.map(f => ({ where: `${c.key}: ${f.name}`, record: f.record })));

  test.each(rules.map(r => [r.name, r] as const))('%s rule on every control fixture', (_name, r) => {
    const pattern = toEventPatternJson(eventPatternFor(r.control.definitionIn(r.version)));
    const events = records.map(x => cloudTrailEvent(x.record));
    const theirs = motoMatches(events.map(e => [pattern, e]));
    const disagreements = records
      .map((x, i) => ({ where: x.where, ours: matches(pattern, events[i]), theirs: theirs[i] }))
      .filter(d => d.ours !== d.theirs)
      .map(d => `${d.where}: matcher ${d.ours}, moto ${d.theirs}`);
    expect(records.length).toBeGreaterThan(100);
    expect(disagreements).toEqual([]);
  }, 60_000);

  test('documented operator examples without object arrays', () => {
    const event = {
      'version': '0',
      'id': '1',
      'detail-type': 'EC2 Instance State-change Notification',
      'source': 'aws.ec2',
      'account': '012345679012',
      'time': '2017-10-02T16:24:49Z',
      'region': 'us-east-1',
      'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
      'detail': { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.33', 'state': 'running', 'obj': { a: 1 } },
    };
    const patterns: object[] = [
      { detail: { state: [{ 'anything-but': 'initializing' }] } },
      { detail: { state: [{ 'anything-but': { prefix: 'run' } }] } },
      { detail: { missing: [{ 'anything-but': 'x' }] } },
      { detail: { missing: [{ exists: false }] } },
      { detail: { obj: [{ exists: false }] } },
      { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
      { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
      { time: [{ prefix: '2017-10-02' }], source: [{ suffix: 'ec2' }] },
      { source: [{ wildcard: 'aws.*' }] },
      { detail: { $or: [{ state: ['stopped'] }, { 'd-count': [{ numeric: ['<', 10] }] }] } },
      { detail: { $or: [{ state: ['stopped'] }, { 'd-count': [{ numeric: ['>', 10] }] }] } },
      { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000', 'other'] },
    ];
    const theirs = motoMatches(patterns.map(p => [p, event]));
    expect(patterns.map((p, i) => ({ p, result: theirs[i] }))).toEqual(patterns.map(p => ({ p, result: matches(p as any, event) })));
  }, 60_000);
});
