/**
 * Bundles the `cis-monitoring` CLI with esbuild into two files under lib/bin/:
 *
 * - cis-monitoring.js: the commands (src/cli/main.ts) with commander,
 *   cli-progress and the library code they use. It is the package's `bin`.
 * - aws-sdk.js: the AWS SDK v3 clients that `audit --live` uses. The main
 *   bundle never loads it at start-up: every `@aws-sdk/*` import is replaced by
 *   a stub that requires this file, and the only module importing the SDK
 *   (the live reader) is itself required lazily, when `--live` is given.
 *
 * It also bundles the evidence reporter's Lambda function (the same evaluator,
 * src/audit/reporter/handler.ts, with the AWS SDK clients it calls) into
 * lib/evidence-reporter/index.js, the asset `CisEvidenceReporter` deploys.
 *
 * aws-cdk-lib and constructs stay external (peer dependencies), should the
 * CLI ever reach them. Run through `npx projen bundle-cli` (post-compile and
 * `npm run demo` do).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
export const BIN_DIR = path.join(ROOT, 'lib', 'bin');
/** Where the evidence reporter's Lambda code goes (CisEvidenceReporter's asset). */
export const REPORTER_DIR = path.join(ROOT, 'lib', 'evidence-reporter');
const SDK_BUNDLE = 'aws-sdk.js';

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Node major the bundles target: the floor of package.json's `engines`. */
function nodeTarget(): string {
  const engines: string = readJson(path.join(ROOT, 'package.json')).engines?.node ?? '>= 22.0.0';
  const major = /(\d+)/.exec(engines)?.[1] ?? '22';
  return `node${major}`;
}

/** Replaces each `@aws-sdk/*` import with a stub that requires the SDK bundle at first use. */
function awsSdkStubs(seen: Set<string>): esbuild.Plugin {
  return {
    name: 'aws-sdk-stubs',
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\// }, args => {
        seen.add(args.path);
        return { path: args.path, namespace: 'aws-sdk-stub' };
      });
      build.onLoad({ filter: /.*/, namespace: 'aws-sdk-stub' }, args => ({
        contents: `module.exports = require('./${SDK_BUNDLE}')[${JSON.stringify(args.path)}];`,
        loader: 'js',
        resolveDir: BIN_DIR,
      }));
      // The stub's require of the SDK bundle stays a require, resolved next to the main bundle.
      build.onResolve({ filter: new RegExp(`^\\./${SDK_BUNDLE.replace('.', '\\.')}$`) }, args => (
        args.namespace === 'aws-sdk-stub' ? { path: args.path, external: true } : undefined));
    },
  };
}

export async function bundleCli(): Promise<void> {
  fs.rmSync(BIN_DIR, { recursive: true, force: true });
  const target = nodeTarget();
  const common: esbuild.BuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target,
    external: ['aws-cdk-lib', 'constructs'],
    logLevel: 'warning',
    legalComments: 'none',
    metafile: true,
  };

  const sdkModules = new Set<string>();
  const main = await esbuild.build({
    ...common,
    entryPoints: [path.join(ROOT, 'src', 'cli', 'main.ts')],
    outfile: path.join(BIN_DIR, 'cis-monitoring.js'),
    plugins: [awsSdkStubs(sdkModules)],
  });
  if (sdkModules.size === 0) throw new Error('bundle-cli: the CLI imports no @aws-sdk module; is the live reader still bundled?');

  const entry = [...sdkModules].sort()
    .map(m => `exports[${JSON.stringify(m)}] = require(${JSON.stringify(m)});`).join('\n');
  const sdk = await esbuild.build({
    ...common,
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'aws-sdk-entry.js', loader: 'js' },
    outfile: path.join(BIN_DIR, SDK_BUNDLE),
    minify: true,
  });
  fs.chmodSync(path.join(BIN_DIR, 'cis-monitoring.js'), 0o755);
  writeThirdPartyLicenses(BIN_DIR, 'lib/bin/ (cis-monitoring CLI)', [main.metafile!, sdk.metafile!]);
  await bundleEvidenceReporter();
}

/**
 * The evidence reporter's Lambda code: one file with the AWS SDK clients it
 * uses (the Lambda runtime's own SDK version is not ours to pin).
 */
export async function bundleEvidenceReporter(): Promise<void> {
  fs.rmSync(REPORTER_DIR, { recursive: true, force: true });
  const result = await esbuild.build({
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: nodeTarget(),
    external: ['aws-cdk-lib', 'constructs'],
    logLevel: 'warning',
    legalComments: 'none',
    metafile: true,
    minify: true,
    entryPoints: [path.join(ROOT, 'src', 'audit', 'reporter', 'handler.ts')],
    outfile: path.join(REPORTER_DIR, 'index.js'),
  });
  const bundled = Object.keys(result.metafile!.inputs).filter(i => /node_modules\/(aws-cdk-lib|constructs)\//.test(i));
  if (bundled.length) throw new Error(`bundle-cli: the evidence reporter bundles ${bundled[0]}; the Lambda code must not reach aws-cdk-lib.`);
  writeThirdPartyLicenses(REPORTER_DIR, 'lib/evidence-reporter/ (the evidence reporter Lambda function)', [result.metafile!]);
}

/**
 * The bundles carry third-party code (MIT, Apache-2.0): ship each bundled
 * package's name, version, license and license text next to them.
 */
function writeThirdPartyLicenses(outDir: string, what: string, metafiles: esbuild.Metafile[]): void {
  const packageDirs = new Set<string>();
  for (const meta of metafiles) {
    for (const input of Object.keys(meta.inputs)) {
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) packageDirs.add(path.resolve(ROOT, m[1]));
    }
  }
  // Many bundled packages carry the same license text (the SDK's Apache-2.0): print each text once.
  const byText = new Map<string, string[]>();
  for (const dir of packageDirs) {
    const pkg = readJson(path.join(dir, 'package.json'));
    const licenseFile = fs.readdirSync(dir).find(f => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = licenseFile ? fs.readFileSync(path.join(dir, licenseFile), 'utf8').trim() : `(no license file; package.json says ${pkg.license})`;
    byText.set(text, [...byText.get(text) ?? [], `${pkg.name}@${pkg.version} (${pkg.license})`]);
  }
  const sections = [...byText].map(([text, ids]) => ({ id: ids.sort()[0], text: `${ids.sort().join('\n')}\n\n${text}\n` }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const header = `Third-party software bundled into ${what}, with its licenses.\n`;
  fs.writeFileSync(path.join(outDir, 'THIRD-PARTY-LICENSES.txt'),
    [header, ...sections.map(s => s.text)].join('\n' + '-'.repeat(78) + '\n\n'));
}

if (require.main === module) {
  bundleCli().catch(e => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
  });
}
