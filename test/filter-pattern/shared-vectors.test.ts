import * as fs from 'fs';
import * as path from 'path';
import { FilterPatternEngine } from '../../src/filter-pattern';

/**
 * Runs every vector of the shared spec (outside this repository; absent in a fresh clone,
 * in which case the suite is skipped).
 */
const vectorsPath = path.resolve(__dirname, '../../../shared/spec/filter-pattern-examples.json');
const d = fs.existsSync(vectorsPath) ? describe : describe.skip;

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
});
