import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fixture } from './fixtures/replay/cli-harness';

const ROOT = path.resolve(__dirname, '..', '..');

test('the real CLI entry point runs replay from stdin and exits with its code', () => {
  // The bin (lib/bin/cis-monitoring.js) is main.ts bundled; run the source through ts-node (transpile only, for speed).
  // test/package-contents.test.ts and test/readme-cli.test.ts run the bundle itself.
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register', 'src/cli/main.ts', 'replay', '--benchmark', '7.0.0', '--format', 'json', '--strict', '--validate', '-'], {
    cwd: ROOT,
    input: fs.readFileSync(fixture('malformed-middle.ndjson')),
    env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', TS_NODE_TRANSPILE_ONLY: 'true' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.error).toBeUndefined();
  expect(r.stderr).toContain('--strict: the input has 3 malformed');
  expect(r.status).toBe(3);
  const json = JSON.parse(r.stdout);
  expect(json.events).toBe(3);
  expect(json.errors.map((e: any) => [e.file, e.line])).toEqual([['<stdin>', 2], ['<stdin>', 3], ['<stdin>', 5]]);
  expect(json.controls.find((c: any) => c.key === 'cloudtrail-config-changes').matches).toBe(1);
});
