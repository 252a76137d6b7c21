/**
 * Cross-checks the offline EventBridge matcher against moto's EventBridge
 * pattern matcher (moto 5.2.5 from .venv, installed by
 * scripts/setup-python-tools.sh). Skipped when .venv is not set up.
 *
 * moto's server answers TestEventPattern with an empty body (the API is a
 * stub in 5.2.5), so the test calls the matcher the server uses for PutEvents
 * (`moto.events.models.EventPattern`) through the venv's Python, in one batch.
 * moto is a second, independent reading of the documented semantics, not AWS
 * itself; it does not crush arrays of objects, so only patterns without array
 * paths are compared (all CIS control rules qualify).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CisBenchmarkVersion, CisControl } from '../../src/catalog';
import { toEventPatternJson } from '../../src/filter-pattern/translate/event-pattern';
import { cloudTrailEvent, matches } from '../support/event-pattern-matcher';
import { loadControlFixtures } from '../support/fixtures';
import { eventPatternFor } from '../support/plans';

const PYTHON = path.resolve(__dirname, '../../.venv/bin/python');
const MOTO_SERVER = path.resolve(__dirname, '../../.venv/bin/moto_server');
const describeIfMoto = fs.existsSync(PYTHON) && fs.existsSync(MOTO_SERVER) ? describe : describe.skip;

const SCRIPT = `
import json, sys
from moto.events.models import EventPattern
cases = json.load(sys.stdin)
json.dump([EventPattern(None, p).matches_event(e) for p, e in cases], sys.stdout)
`;

/** moto's verdict for each [pattern, event] pair. */
function motoMatches(cases: Array<[object, object]>): boolean[] {
  const r = spawnSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`moto matcher failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describeIfMoto('the EventBridge matcher agrees with moto\'s EventBridge pattern matcher', () => {
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
