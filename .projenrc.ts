import { awscdk, javascript, JsonFile } from 'projen';

// aws-cdk-lib floor: the oldest release that has every L2 feature we use and
// that cdk-nag 2.37 (our nag gate) accepts. Tests run on exactly this version.
const CDK_FLOOR = '2.176.0';

// Pinned: the CLI bundle is part of what users install.
const ESBUILD_VERSION = '0.28.2';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-cis-monitoring',
  description:
    'CIS AWS Foundations Benchmark monitoring controls (1.2.0-7.0.0) as one CDK construct: CloudTrail, metric filters, alarms and SNS that pass Security Hub, Prowler, Steampipe and CloudSploit.',
  author: 'cdk-cis-monitoring maintainers',
  authorAddress: 'maintainers@cdk-cis-monitoring.dev',
  repositoryUrl: 'https://github.com/cdk-cis-monitoring/cdk-cis-monitoring.git',
  keywords: ['cdk', 'awscdk', 'cis', 'cis-benchmark', 'cloudtrail', 'cloudwatch', 'security', 'compliance', 'security-hub'],
  license: 'Apache-2.0',
  cdkVersion: CDK_FLOOR,
  constructsVersion: '10.0.5',
  defaultReleaseBranch: 'main',
  jsiiVersion: '~6.0.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  // CI is `.ci/run`; no hosted workflows or release automation.
  github: false,
  release: false,

  publishToPypi: {
    distName: 'cdk-cis-monitoring',
    module: 'cdk_cis_monitoring',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkcismonitoring',
    mavenGroupId: 'io.github.cdk-cis-monitoring',
    mavenArtifactId: 'cdk-cis-monitoring',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkCisMonitoring',
    packageId: 'CdkCisMonitoring',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-cis-monitoring/cdk-cis-monitoring-go',
  },

  // Supported Node.js LTS lines only (22 and 24). CI installs and tests on the
  // floor, a pinned Node 22 from the npm registry (see .ci/run).
  minNodeVersion: '22.0.0',

  devDeps: [
    '@types/cli-progress',
    // cdk-nag 3.x needs aws-cdk-lib >= 2.257.0; 2.37 works with our floor.
    // cdk-nag 3 runs in the newest set (scripts/compat-newest/, docs/cdk-nag.md).
    'cdk-nag@2.37.55',
    // The `cis-monitoring` CLI ships in the same package, bundled by esbuild
    // into lib/bin/ (task `bundle-cli`), so its own dependencies are build-time
    // only and the construct library depends on nothing but aws-cdk-lib and
    // constructs.
    `esbuild@${ESBUILD_VERSION}`,
    'commander@^12',
    'cli-progress@^3.12.0',
    // `audit --live` reads the account through the AWS SDK v3 (bundled
    // separately into lib/bin/aws-sdk.js, loaded only for --live).
    '@aws-sdk/client-cloudtrail@^3',
    '@aws-sdk/client-cloudwatch-logs@^3',
    '@aws-sdk/client-cloudwatch@^3',
    '@aws-sdk/client-sns@^3',
    // `replay s3://...` reads CloudTrail's S3 archive (`replay --log-group` uses client-cloudwatch-logs).
    '@aws-sdk/client-s3@^3',
    // `audit --live --organization`: ListAccounts, then AssumeRole into each member.
    '@aws-sdk/client-organizations@^3',
    '@aws-sdk/client-sts@^3',
    // `audit --security-hub` and the evidence reporter: findings into each
    // target's Security Hub, the run's report into S3, metrics and alerts.
    '@aws-sdk/client-securityhub@^3',
    '@aws-sdk/client-s3@^3',
    // The reporter streams reports of any size to S3 (multipart upload).
    '@aws-sdk/lib-storage@^3',
    // The security account's alert relay (plain JavaScript on the Lambda runtime's SDK) is tested against moto with these.
    '@aws-sdk/client-dynamodb@^3',
    '@aws-sdk/client-sqs@^3',
    // The security account's bus, its rules and input transformers are run in moto's EventBridge.
    '@aws-sdk/client-eventbridge@^3',
    // The HTML evidence report is tested in a real browser (Debian's chromium,
    // installed by scripts/setup-browser.sh; playwright-core downloads none)
    // and checked for accessibility with axe-core.
    'playwright-core@^1.65.1',
    'axe-core@^4.14.1',
    // Embedded SQL engine that runs the Athena (Trino) SQL of test/athena (see docs/athena.md).
    '@duckdb/node-api@1.5.6-r.1',
  ],
  bin: {
    'cis-monitoring': 'lib/bin/cis-monitoring.js',
  },

  // No trailing slash: a symlinked venv (a worktree sharing another's) is ignored too.
  gitignore: ['/cdk.out/', '/cdk.out.organization/', '/cdk.out.control-tower/', '/.venv', '/.venv-python-smoke', '/.venv-prowler', '/.venv-checkov', '/bench/out/', '/.tmp/', '/.tools/'],

  jestOptions: {
    jestConfig: {
      // Two cores on CI; keep workers bounded so memory stays predictable.
      maxWorkers: 2,
      testTimeout: 120_000,
      // Only these are crawled: the scanners' venvs (.venv-prowler/ alone has
      // ~140,000 files) would add seconds to every jest start.
      roots: ['<rootDir>/src', '<rootDir>/test'],
      // The notes the CI summary reads (scripts/test-summary.ts): why a test
      // was skipped, how many distinct inputs a table has. Emptied per run.
      globalSetup: '<rootDir>/test/support/jest-global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'],
    },
  },

});

// test-reports/junit.xml names each test's file and keeps its describe titles
// apart, so scripts/test-summary.ts can attach the noted reasons to skipped tests.
project.tryFindObjectFile('package.json')!.addOverride('jest.reporters.1.1', {
  outputDirectory: 'test-reports',
  addFileAttribute: 'true',
  ancestorSeparator: ' › ',
  classNameTemplate: '{classname}',
  titleTemplate: '{title}',
});

// unrs-resolver (via eslint-import-resolver-typescript) >= 1.12 lists optional
// platform bindings the registry cannot resolve, which leaves package-lock.json
// without them and makes `npm ci` fail on a clean clone. Pin the last good one.
project.package.addField('overrides', { 'unrs-resolver': '1.11.1' });

// The npm tarball holds what a user runs: lib/ (with the CLI bundle),
// .jsii, API.md, README.md, LICENSE, docs/ and package.json.
// test/package-contents.test.ts fails on anything else.
project.npmignore?.addPatterns(
  '/examples/', '/scripts/', '/.ci/', '/cdk.out/', '/cdk.out.organization/', '/cdk.out.control-tower/',
  // Python test tools (moto, cfn-lint), the pinned CI Node, scratch and bench output.
  '/.venv', '/.venv-python-smoke', '/.venv-prowler', '/.venv-checkov', '/.tools/', '/.tmp/', '/bench/',
  '*.tgz', '/package-lock.json',
  // The CLI's modules as jsii compiles them: the bin is the bundle in
  // lib/bin/, and the library (lib/index.js) never loads these.
  '/lib/cli/', '/lib/audit/', '/lib/replay/', '/lib/assembly/',
);

// examples/ (runnable CDK apps) and scripts/ (benchmark, generators) are
// type-checked and linted like the tests, but never compiled into lib/.
for (const dir of ['examples', 'scripts']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..' },
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    },
  });
  project.eslint?.addLintPattern(dir);
}

const tsNode = (dir: string) => `ts-node --prefer-ts-exts -P ${dir}/tsconfig.json`;

// The CLI as users run it: one esbuild bundle for the commands
// (lib/bin/cis-monitoring.js, the package's `bin`) and one for the AWS SDK,
// which only `audit --live` loads (lib/bin/aws-sdk.js).
const bundleCli = project.addTask('bundle-cli', {
  description: 'Bundle the cis-monitoring CLI and its dependencies into lib/bin/ with esbuild',
  exec: `${tsNode('scripts')} scripts/bundle-cli.ts`,
});
// `compile` alone gives a complete lib/, whatever runs after it (a packaging
// task, `npm pack`): the alert relay's Lambda code is plain JavaScript that
// jsii does not copy (the same files are the asset from src/ and from lib/),
// and the CLI's bin is an esbuild bundle.
const compile = project.tasks.tryFind('compile')!;
compile.exec('node -e "require(\'fs\').cpSync(\'src/organization/relay-handler\', \'lib/organization/relay-handler\', { recursive: true })"');
compile.spawn(bundleCli);

// The CLI's dependencies are devDependencies (bundled into lib/bin/), so the
// CLI sources, and of src/ only those, may import them; so may the build scripts.
project.eslint?.addOverride({
  files: ['src/cli/**/*.ts', 'src/audit/live-reader.ts', 'src/audit/organization.ts', 'src/audit/security-hub.ts', 'src/audit/asff.ts', 'src/audit/reporter/**/*.ts', 'src/replay/remote/*-source.ts', 'scripts/**/*.ts'],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }] },
});

// The main job: synthesize the bundled example offline and show what it defines.
// It also bundles the CLI, so the README's `npx cis-monitoring ...` lines work
// in a clone right after `npm ci && npm run demo`.
const demo = project.addTask('demo', {
  description: 'Synthesize examples/demo-app.ts into cdk.out/ (offline, no credentials) and print its controls; bundle the CLI',
});
demo.spawn(bundleCli);
demo.exec(`${tsNode('examples')} examples/demo-app.ts`);

// The organization example: management account (organization trail and
// monitoring) and the StackSet rollout to members, with the member template.
const demoOrganization = project.addTask('demo:organization', {
  description: 'Synthesize examples/organization-app.ts into cdk.out.organization/ (offline) and write the StackSet member template; bundle the CLI and the evidence reporter it deploys',
});
demoOrganization.spawn(bundleCli);
demoOrganization.exec(`${tsNode('examples')} examples/organization-app.ts`);

// jsii packages for every language, the same with or without CI=true. Python
// and Java build fully from PyPI and Maven Central; Go's module proxy here
// refuses one transitive aws-cdk-go dependency and there is no .NET SDK, so
// those two are generated as source only (see README "Other languages").
// Every packaging task first compiles when lib/ or .jsii is missing or older
// than src/ (a fresh clone, or sources edited since): no path packs an
// incomplete library.
const ensureCompiled = 'bash scripts/ensure-compiled.sh';
const packageAll = project.tasks.tryFind('package-all')!;
packageAll.reset(ensureCompiled);
packageAll.exec('jsii-pacmak -v --target js --target python --target java');
packageAll.exec('jsii-pacmak -v --code-only --target go --target dotnet');
for (const lang of ['js', 'python', 'java', 'dotnet', 'go']) {
  const task = project.tasks.tryFind(`package:${lang}`);
  if (!task) throw new Error(`projen has no package:${lang} task`);
  task.prependExec(ensureCompiled);
}
const packageTask = project.tasks.tryFind('package')!;
packageTask.reset();
packageTask.spawn(packageAll);

// Compatibility matrix, second set: the construct tests, the examples' tests
// and the cdk-nag and cfn-lint gates on the newest aws-cdk-lib with cdk-nag 3
// (exact versions in scripts/compat-newest/package.json; docs/cdk-nag.md).
// The first set, the floor with cdk-nag 2, is the `test` task's jest run.
const compatNewest = project.addTask('compat-newest', {
  description: 'Run the construct tests, examples and cdk-nag/cfn-lint gates on the newest aws-cdk-lib with cdk-nag 3 (pinned in scripts/compat-newest/)',
  exec: 'bash scripts/compat-newest.sh',
  receiveArgs: true,
});

project.addTask('check', {
  description: 'Everything CI runs: Python test tools, real scanners (Prowler, checkov, CloudSploit from ../shared) and a real browser (chromium), compile, API.md, jest, eslint, jsii packages, the newest-aws-cdk-lib compatibility set, the README Python example on the built wheel, the npm tarball in a fresh app',
  steps: [
    { exec: 'bash scripts/setup-python-tools.sh' },
    { exec: 'bash scripts/setup-scanner-tools.sh' },
    // Debian's chromium for the HTML evidence report's browser test (about 15 s).
    { exec: 'bash scripts/setup-browser.sh' },
    { spawn: 'build' },
    { spawn: compatNewest.name },
    { exec: 'bash scripts/python-smoke.sh' },
    // The npm tarball as users install it, into a fresh app on the newest aws-cdk-lib.
    { exec: 'bash scripts/package-install-check.sh' },
  ],
});

// After a jest run: every table's distinct inputs and every skipped test with
// its reason, then the count line (.ci/run prints it after `npm run check`).
project.addTask('test-summary', {
  description: 'Print the last jest run\'s table-driven blocks, its skipped tests with their reasons, and its counts (fails on a skip without a reason)',
  exec: `${tsNode('scripts')} scripts/test-summary.ts`,
});

project.addTask('readme-tables', {
  description: 'Regenerate the README tables that come from the catalog',
  exec: `${tsNode('scripts')} scripts/readme-tables.ts`,
});

project.synth();
