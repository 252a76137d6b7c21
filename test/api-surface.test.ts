/**
 * jsii rule: the package exports classes and enums only (no functions, no
 * consts). Interfaces leave no runtime trace, so this checks everything else.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as api from '../src';
import { requires, testIf } from './support/requirements';

const ENUM_KEY = /^[A-Z][A-Z0-9_]*$/;

test('every runtime export is a class or an enum', () => {
  const offenders = Object.entries(api).filter(([, value]) => {
    // Interfaces re-exported by name show up as undefined under isolatedModules.
    if (value === undefined) return false;
    if (typeof value === 'function') return !/^class\s/.test(Function.prototype.toString.call(value));
    if (value && typeof value === 'object') {
      return !Object.entries(value).every(([k, v]) => ENUM_KEY.test(k) && typeof v === 'string');
    }
    return true;
  }).map(([name]) => name);
  expect(offenders).toEqual([]);
});

test('the main entry points are exported', () => {
  for (const name of ['CisMonitoring', 'CisBenchmarkVersion', 'CisControl', 'FilterPatternEngine', 'Scanner', 'ScannerPlan', 'Exclusion', 'CisSeverity']) {
    expect(Object.keys(api)).toContain(name);
  }
});

// The jsii assembly exists after `jsii` compiled the package (the build runs it before the tests).
const ASSEMBLY = path.resolve(__dirname, '..', '.jsii');
testIf(requires.jsiiAssembly)('the jsii API follows the naming and documentation rules', () => {
  const assembly = JSON.parse(fs.readFileSync(ASSEMBLY, 'utf8'));
  const reserved = ['build', 'equals', 'hashCode', 'type', 'event', 'default', 'namespace'];
  const problems: string[] = [];
  for (const [fqn, t] of Object.entries<any>(assembly.types)) {
    for (const m of [...(t.properties ?? []), ...(t.methods ?? [])]) if (reserved.includes(m.name)) problems.push(`${fqn}.${m.name}: reserved member name`);
    for (const m of t.methods ?? []) for (const p of m.parameters ?? []) if (reserved.includes(p.name)) problems.push(`${fqn}.${m.name}(${p.name}): reserved parameter name`);
    if (t.kind === 'enum') for (const m of t.members) if (!/^[A-Z0-9_]+$/.test(m.name)) problems.push(`${fqn}.${m.name}: enum member not ALL_CAPS`);
    if (t.kind === 'interface' && t.datatype) {
      if (!/(Props|Options)$/.test(t.name)) problems.push(`${fqn}: struct not named XxxProps/XxxOptions`);
      for (const p of t.properties ?? []) {
        if (p.optional && !p.docs?.default) problems.push(`${fqn}.${p.name}: optional without @default`);
        if (!p.immutable) problems.push(`${fqn}.${p.name}: not readonly`);
      }
    }
  }
  expect(problems).toEqual([]);
  expect(Object.keys(assembly.types).length).toBeGreaterThan(30);
});
