/**
 * cdk-nag gate, on whichever set of the compatibility matrix is installed:
 * the aws-cdk-lib floor with cdk-nag 2 (the ordinary jest run) or the newest
 * aws-cdk-lib with cdk-nag 3 (scripts/compat-newest.sh).
 *
 * - AwsSolutions, NIST 800-53 R5, PCI DSS 3.2.1 and HIPAA Security report no
 *   unsuppressed finding on the library's resources (everything under a
 *   library construct) in any example; the demo and the real-time example
 *   have no finding at all.
 * - Every suppression the library applies hides a finding that really occurs
 *   (checked with the suppressions switched off), hides nothing else, and is
 *   listed with its reason in docs/cdk-nag.md.
 * - The gate is live: a bare bucket inside the library's construct is reported
 *   by every pack.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildAlertQualityApp } from '../../examples/alert-quality-app';
import { buildControlTowerApp } from '../../examples/control-tower-app';
import { buildDemoApp } from '../../examples/demo-app';
import { buildOrganizationApp } from '../../examples/organization-app';
import { buildRealtimeApp } from '../../examples/realtime-app';
import * as lib from '../../src';
import * as nagSuppressions from '../../src/nag-suppressions';
import {
  ALL_NAG_PACKS, CDK_LIB_VERSION, formatFindings, libraryRoots, NAG_MAJOR, NAG_VERSION, NagFinding, nagFindings, under,
} from '../support/nag';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-nag-'));
const DOCS = fs.readFileSync(path.resolve(__dirname, '../../docs/cdk-nag.md'), 'utf8');

interface Example { readonly clean: boolean; build(outdir: string): App }
const EXAMPLES: Record<string, Example> = {
  'demo': { build: d => buildDemoApp(d).app, clean: true },
  // The example's own Lambda function and queue are scaffolding, not the library's.
  'alert-quality': { build: d => buildAlertQualityApp(d).app, clean: false },
  'realtime': { build: d => buildRealtimeApp(d).app, clean: true },
  // Organization trail and monitoring, the StackSet rollout, the security account.
  'organization': { build: d => buildOrganizationApp(d).app, clean: true },
  // Control Tower: monitoring on its trail's log group, StackSets from a delegated administrator (members with
  // real-time rules, the us-east-1 rules-only member), the Audit account in two Regions.
  'control-tower': { build: d => buildControlTowerApp(d).app, clean: true },
};

test(`the matrix set is the intended one (aws-cdk-lib ${CDK_LIB_VERSION}, cdk-nag ${NAG_VERSION})`, () => {
  if (process.env.CIS_COMPAT_SET === 'newest') {
    const pins = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../scripts/compat-newest/package.json'), 'utf8')).dependencies;
    expect({ cdk: CDK_LIB_VERSION, nag: NAG_VERSION, major: NAG_MAJOR }).toEqual({ cdk: pins['aws-cdk-lib'], nag: pins['cdk-nag'], major: 3 });
  } else {
    const dev = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')).devDependencies;
    expect({ cdk: CDK_LIB_VERSION, nag: NAG_VERSION, major: NAG_MAJOR }).toEqual({ cdk: dev['aws-cdk-lib'], nag: dev['cdk-nag'], major: 2 });
  }
});

describe.each(Object.entries(EXAMPLES))('%s example', (name, example) => {
  let all: NagFinding[];
  let library: NagFinding[];
  beforeAll(() => {
    const app = example.build(path.join(tmp, name));
    all = nagFindings(app);
    library = under(all, libraryRoots(app, lib));
  });

  test.each(ALL_NAG_PACKS)('%s: no unsuppressed finding on the library resources', pack => {
    expect(formatFindings(library.filter(f => f.pack === pack))).toEqual([]);
  });

  if (example.clean) {
    test('no finding at all, in any pack', () => {
      expect(formatFindings(all)).toEqual([]);
    });
  }

  test('each suppression hides a real finding, nothing else, and is documented with its reason', () => {
    const applied: Array<{ finding: string; path: string; reason: string }> = [];
    const spy = jest.spyOn(nagSuppressions, 'suppressNagFindings').mockImplementation((resource: CfnResource, list) => {
      for (const s of list) {
        for (const finding of s.appliesTo ? s.appliesTo.map(a => `${s.id}[${a}]`) : [s.id]) {
          applied.push({ finding, path: resource.node.path, reason: s.reason });
        }
      }
    });
    let unsuppressed: NagFinding[];
    let stacks: Set<string>;
    try {
      const app = example.build(path.join(tmp, `${name}-unsuppressed`));
      unsuppressed = under(nagFindings(app), libraryRoots(app, lib));
      stacks = new Set(app.node.children.map(c => c.node.id));
    } finally {
      spy.mockRestore();
    }
    // Only the example's own stacks (CisOrganizationRollout's member stack is
    // one of them: a child of the rollout, whose findings nag reports).
    applied.splice(0, applied.length, ...applied.filter(a => stacks.has(a.path.split('/')[0])));
    // Every example creates a trail, whose buckets carry suppressions: the switch-off took effect.
    expect(applied.length).toBeGreaterThan(0);
    expect(formatFindings(unsuppressed)).toEqual(applied.map(a => `${a.finding} ${a.path}`).sort());
    for (const a of applied) {
      expect(DOCS).toContain(`\`${a.finding}\``);
      expect(DOCS).toContain(a.reason);
    }
  });
});

test('the gate is live: a bare bucket inside the library construct is reported by every pack', () => {
  const { app, stack, monitoring } = buildDemoApp(path.join(tmp, 'canary'));
  new s3.Bucket(monitoring, 'Canary');
  const found = under(nagFindings(app), libraryRoots(app, lib)).filter(f => f.path === `${stack.stackName}/Cis/Canary/Resource`);
  expect([...new Set(found.map(f => f.pack))].sort()).toEqual([...ALL_NAG_PACKS].sort());
  // e.g. AwsSolutions-S1 (no server access logs) on every set.
  expect(found.map(f => f.rule)).toContain('AwsSolutions-S1');
});

test('a finding the library does not suppress is reported on the same resource type it suppresses others on', () => {
  // The created trail bucket has only S3BucketReplicationEnabled suppressed:
  // turning its versioning off must surface the versioning rule of the packs.
  const { app, monitoring } = buildDemoApp(path.join(tmp, 'canary-versioning'));
  const bucket = monitoring.node.findAll().find(c => c instanceof CfnResource && c.cfnResourceType === 'AWS::S3::Bucket'
    && c.node.path.endsWith('/CloudTrail/Bucket/Resource')) as s3.CfnBucket;
  bucket.versioningConfiguration = undefined;
  const rules = under(nagFindings(app, ['NIST.800.53.R5']), [`${Stack.of(bucket).stackName}/Cis`]).map(f => f.rule);
  expect(rules).toContain('NIST.800.53.R5-S3BucketVersioningEnabled');
});
