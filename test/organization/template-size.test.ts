/**
 * compactJoins (src/organization/template-size.ts) rewrites Fn::Join as Fn::Sub
 * in member templates. Checked by resolving both templates with one small
 * resolver of CloudFormation's intrinsic functions (Ref, Fn::GetAtt, Fn::Join,
 * Fn::Sub with its `${!` escape): every value must come out the same.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CisMonitoring, CisSecurityAccount } from '../../src';
import { compactJoins } from '../../src/organization/template-size';

const values: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '333333333333', 'AWS::URLSuffix': 'amazonaws.com' };
const ref = (name: string) => values[name] ?? `ref(${name})`;
const att = (name: string) => `att(${name})`;

function resolve(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(resolve);
  if (x === null || typeof x !== 'object') return x;
  const o = x as Record<string, any>;
  if ('Ref' in o) return ref(o.Ref);
  if ('Fn::GetAtt' in o) return att(o['Fn::GetAtt'].join('.'));
  if ('Fn::Join' in o) return (resolve(o['Fn::Join'][1]) as string[]).join(o['Fn::Join'][0]);
  if ('Fn::Sub' in o) {
    return (o['Fn::Sub'] as string).replace(/\$\{(!?)([^}]*)\}/g, (_m: string, bang: string, name: string) => {
      if (bang) return `\${${name}}`;
      return name.includes('.') && !name.startsWith('AWS::') ? att(name) : ref(name);
    });
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
}

test.each([
  ['a CIS monitoring stack with its own trail', (s: Stack) => new CisMonitoring(s, 'Cis', { emailAddresses: ['a@example.com'], realtimeRules: true }), 500],
  ['a security account', (s: Stack) => new CisSecurityAccount(s, 'Central', { organizationId: 'o-a1b2c3d4e5' }), 100],
])('%s resolves to the same values after compactJoins, and is shorter', (_what, build, saved) => {
  const stack = new Stack(new App(), 'S');
  build(stack);
  const original = Template.fromStack(stack).toJSON();
  const compacted = compactJoins(JSON.parse(JSON.stringify(original)));
  expect(JSON.stringify(compacted)).not.toContain('"Fn::Join":["",');
  expect(resolve(compacted)).toEqual(resolve(original));
  expect(JSON.stringify(compacted).length).toBeLessThan(JSON.stringify(original).length - saved);
});

test('a literal ${ is escaped, and a join of something Fn::Sub cannot name is left alone', () => {
  expect(compactJoins({ 'Fn::Join': ['', ['a ${x} ', { Ref: 'AWS::Region' }]] })).toEqual({ 'Fn::Sub': 'a ${!x} ${AWS::Region}' });
  const select = { 'Fn::Join': ['', ['a', { 'Fn::Select': [0, ['b']] }]] };
  expect(compactJoins(JSON.parse(JSON.stringify(select)))).toEqual(select);
  const comma = { 'Fn::Join': [',', ['a', { Ref: 'X' }]] };
  expect(compactJoins(JSON.parse(JSON.stringify(comma)))).toEqual(comma);
});
