import { awscdk, javascript, JsonFile } from 'projen';

// aws-cdk-lib floor: the oldest release that has every L2 feature we use and
// that cdk-nag 2.37 (our nag gate) accepts. Tests run on exactly this version.
const CDK_FLOOR = '2.176.0';

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

  // The `cis-monitoring` CLI ships in the same package. Its dependencies are
  // bundled (and only loaded by the CLI), so the construct library itself
  // still depends only on aws-cdk-lib and constructs.
  bundledDeps: [
    'commander@^12',
    'cli-progress@^3.12.0',
    // `audit --live` reads the account through the AWS SDK v3.
    '@aws-sdk/client-cloudtrail@^3',
    '@aws-sdk/client-cloudwatch-logs@^3',
    '@aws-sdk/client-cloudwatch@^3',
    '@aws-sdk/client-sns@^3',
  ],
  devDeps: [
    '@types/cli-progress',
    // cdk-nag 3.x needs aws-cdk-lib >= 2.257.0; 2.37 works with our floor.
    'cdk-nag@2.37.55',
  ],
  bin: {
    'cis-monitoring': 'lib/cli/main.js',
  },

  gitignore: ['/cdk.out/', '/cdk.out.organization/', '/.venv/', '/.venv-python-smoke/', '/bench/out/', '/.tmp/'],

  jestOptions: {
    jestConfig: {
      // Two cores on CI; keep workers bounded so memory stays predictable.
      maxWorkers: 2,
      testTimeout: 120_000,
    },
  },

});

// unrs-resolver (via eslint-import-resolver-typescript) >= 1.12 lists optional
// platform bindings the registry cannot resolve, which leaves package-lock.json
// without them and makes `npm ci` fail on a clean clone. Pin the last good one.
project.package.addField('overrides', { 'unrs-resolver': '1.11.1' });

project.npmignore?.addPatterns('/examples/', '/scripts/', '/.ci/', '/cdk.out/', '/cdk.out.organization/');

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

// The main job: synthesize the bundled example offline and show what it defines.
project.addTask('demo', {
  description: 'Synthesize examples/demo-app.ts into cdk.out/ (offline, no credentials) and print its controls',
  exec: `${tsNode('examples')} examples/demo-app.ts`,
});

// The organization example: management account (organization trail and
// monitoring) and the StackSet rollout to members, with the member template.
project.addTask('demo:organization', {
  description: 'Synthesize examples/organization-app.ts into cdk.out.organization/ (offline) and write the StackSet member template',
  exec: `${tsNode('examples')} examples/organization-app.ts`,
});

// jsii packages for every language, the same with or without CI=true. Python
// and Java build fully from PyPI and Maven Central; Go's module proxy here
// refuses one transitive aws-cdk-go dependency and there is no .NET SDK, so
// those two are generated as source only (see README "Other languages").
const packageAll = project.tasks.tryFind('package-all')!;
packageAll.reset('jsii-pacmak -v --target js --target python --target java');
packageAll.exec('jsii-pacmak -v --code-only --target go --target dotnet');
const packageTask = project.tasks.tryFind('package')!;
packageTask.reset();
packageTask.spawn(packageAll);

project.addTask('check', {
  description: 'Everything CI runs: Python test tools, compile, API.md, jest, eslint, jsii packages, the README Python example on the built wheel',
  steps: [
    { exec: 'bash scripts/setup-python-tools.sh' },
    { spawn: 'build' },
    { exec: 'bash scripts/python-smoke.sh' },
  ],
});

project.addTask('readme-tables', {
  description: 'Regenerate the README tables that come from the catalog',
  exec: `${tsNode('scripts')} scripts/readme-tables.ts`,
});

project.synth();
