/**
 * jsii rule: the package exports classes and enums only (no functions, no
 * consts). Interfaces leave no runtime trace, so this checks everything else.
 */
import * as api from '../src';

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
