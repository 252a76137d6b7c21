import * as fs from 'fs';
import { FilterPatternEngine, FilterPatternKind } from '../../src/filter-pattern';
import { compileFilterPatternAst } from '../../src/filter-pattern/evaluator';
import { parseFilterPatternAst } from '../../src/filter-pattern/parser';
import { describeIfShared, sharedPath } from '../support/shared';

/**
 * Runs every vector of the shared spec (outside this repository; absent in a fresh clone,
 * in which case the suite is skipped).
 */
const vectorsPath = sharedPath('spec', 'filter-pattern-examples.json');
const d = describeIfShared('spec', 'filter-pattern-examples.json');

interface Vector {
  readonly id: string;
  readonly event: string;
  readonly pattern: string;
  readonly expected: boolean;
  readonly eventFormat: 'json' | 'text';
  readonly note?: string;
}

function loadVectors(): Vector[] {
  if (!fs.existsSync(vectorsPath)) return [];
  return JSON.parse(fs.readFileSync(vectorsPath, 'utf-8')).vectors as Vector[];
}

d('shared filter-pattern vectors (../shared/spec/filter-pattern-examples.json)', () => {
  const vectors = loadVectors();

  test('the file holds vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(100);
  });

  test.each(vectors.map((v) => [v.id, v] as [string, Vector]))('%s', (_id, v) => {
    const compiled = FilterPatternEngine.parse(v.pattern);
    expect(compiled.matches(v.event)).toBe(v.expected);
  });

  test.each(vectors.filter((v) => v.eventFormat === 'json').map((v) => [v.id, v] as [string, Vector]))(
    '%s via matchesRecord on the parsed event',
    (_id, v) => {
      const compiled = FilterPatternEngine.parse(v.pattern);
      expect(compiled.matchesRecord(JSON.parse(v.event), v.event)).toBe(v.expected);
    },
  );

  test.each(vectors.map((v) => [v.id, v] as [string, Vector]))('%s with the closure evaluator (no code generation)', (_id, v) => {
    const matcher = compileFilterPatternAst(parseFilterPatternAst(v.pattern), { codegen: false });
    expect(matcher.matchLine(v.event)).toBe(v.expected);
  });
});

const controlsPath = sharedPath('spec', 'cis-controls.json');
const dc = describeIfShared('spec', 'cis-controls.json');

interface PatternText {
  readonly text: string;
  readonly primary?: boolean;
  readonly defective?: string;
}

/** Every pattern transcription in cis-controls.json (all versions, all roles). */
function loadCisTexts(): PatternText[] {
  if (!fs.existsSync(controlsPath)) return [];
  const out: PatternText[] = [];
  const controls = JSON.parse(fs.readFileSync(controlsPath, 'utf-8')).controls as Array<{ versions: Record<string, any> }>;
  for (const c of controls) {
    for (const v of Object.values(c.versions ?? {})) {
      for (const list of Object.values((v?.patterns ?? {}) as Record<string, PatternText[]>)) {
        out.push(...list);
      }
    }
  }
  return out;
}

dc('CIS pattern texts (../shared/spec/cis-controls.json)', () => {
  const texts = loadCisTexts();

  test('there are texts, primary ones included', () => {
    expect(texts.filter((t) => t.primary).length).toBeGreaterThan(50);
  });

  test('every primary text is a valid JSON pattern', () => {
    const problems = texts
      .filter((t) => t.primary)
      .map((t) => FilterPatternEngine.validate(t.text) ?? (FilterPatternEngine.parse(t.text).kind === FilterPatternKind.JSON ? undefined : `not JSON: ${t.text}`))
      .filter((p) => p !== undefined);
    expect(problems).toEqual([]);
  });

  test('every text marked defective is rejected', () => {
    const defective = texts.filter((t) => t.defective);
    expect(defective.length).toBeGreaterThan(0);
    for (const t of defective) {
      expect(FilterPatternEngine.validate(t.text)).toMatch(/^Invalid filter pattern at position \d+: /);
    }
  });
});
