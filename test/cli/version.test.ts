import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/main';

const PACKAGE_VERSION = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')).version;

async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), stdout };
  } finally {
    spy.mockRestore();
  }
}

test.each([['--version'], ['-V']])('%s prints package.json\'s version and exits 0', async flag => {
  expect(PACKAGE_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  expect(await run([flag])).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n` });
});

test('--help lists --version', async () => {
  const { stdout } = await run(['--help']);
  expect(stdout).toMatch(/-V, --version\s+print the version/);
});
