/**
 * What a test needs that a machine may lack, and the one place that decides
 * what happens when it is missing:
 *
 * - a real tool (moto, cfn-lint, Prowler, checkov, Trino, Python) or the
 *   build's output (the bundled CLI, the jsii assembly), with CI set: the
 *   tests FAIL, each saying what is missing and how the check task provides
 *   it (`npm run check` installs the Python tools and scanners before jest;
 *   .ci/run starts Trino). In CI the tests never install anything themselves;
 * - otherwise (outside CI; data a fresh clone lacks, like ../shared; a
 *   platform feature; an aws-cdk-lib variant; an opt-in): the tests are
 *   skipped, and the reason is written down (test/support/test-notes.ts) so
 *   that CI lists every skipped test with its reason.
 *
 * Outside CI, the Python tools are installed into .venv* on first use when
 * python3 is there, as before. CIS_TEST_TOOLS_DIR points the tests at another
 * folder holding .venv/, .venv-prowler/ and .venv-checkov/ (default: the
 * repository), e.g. an empty one to see what CI does without the tools.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SkipKind, writeNote } from './test-notes';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Whether the tests run in CI (CI set, and not to "false" or "0"). */
export const IN_CI = !!process.env.CI && !/^(false|0)$/i.test(process.env.CI);

/** The folder that holds the Python venvs of the test tools. */
export const TOOLS_DIR = path.resolve(REPO_ROOT, process.env.CIS_TEST_TOOLS_DIR ?? '.');

export type Venv = '.venv' | '.venv-prowler' | '.venv-checkov';

/** An executable of a test-tool venv. */
export function venvTool(venv: Venv, exe: string): string {
  return path.join(TOOLS_DIR, venv, 'bin', exe);
}

/** Whether a missing tool may be installed on first use: never in CI, never into a folder other than the repository's. */
export function mayInstallTools(): boolean {
  return !IN_CI && TOOLS_DIR === REPO_ROOT;
}

/** What the tests of a block need. */
export interface Requirement {
  /** What is needed, as a user would name it. */
  readonly what: string;
  readonly kind: SkipKind;
  /** Whether the tests can run: it is there, or will be installed on first use. */
  readonly available: boolean;
  /** When not available: why, and how to get it. */
  readonly missing: string;
}

/** Kinds that CI must have: missing, they fail the tests. */
const REQUIRED_IN_CI: ReadonlySet<SkipKind> = new Set<SkipKind>(['tool', 'build']);

let python3: boolean | undefined;
function hasPython3(): boolean {
  python3 ??= spawnSync('python3', ['--version'], { encoding: 'utf8' }).status === 0;
  return python3;
}

function venvRequirement(what: string, venv: Venv, exe: string, setup: string): Requirement {
  const tool = venvTool(venv, exe);
  const relative = path.relative(REPO_ROOT, tool);
  const shown = relative.startsWith('..') ? tool : relative;
  if (fs.existsSync(tool)) return { what, kind: 'tool', available: true, missing: '' };
  if (IN_CI) {
    return { what, kind: 'tool', available: false, missing: `${shown} is missing; the check task installs it before jest (${setup})` };
  }
  if (TOOLS_DIR !== REPO_ROOT) {
    return { what, kind: 'tool', available: false, missing: `${shown} is missing (CIS_TEST_TOOLS_DIR=${process.env.CIS_TEST_TOOLS_DIR})` };
  }
  if (!hasPython3()) {
    return { what, kind: 'tool', available: false, missing: `python3 is not installed, so ${setup} cannot install it; install python3` };
  }
  return { what, kind: 'tool', available: true, missing: '' };
}

/** The requirements tests name, each evaluated on first use. */
export const requires = {
  /** moto (the local AWS emulator) in .venv: its server and its Python package. */
  get moto(): Requirement {
    return venvRequirement('moto (.venv/bin/moto_server)', '.venv', 'moto_server', 'bash scripts/setup-python-tools.sh');
  },
  get cfnLint(): Requirement {
    return venvRequirement('cfn-lint (.venv/bin/cfn-lint)', '.venv', 'cfn-lint', 'bash scripts/setup-python-tools.sh');
  },
  get prowler(): Requirement {
    return venvRequirement('Prowler (.venv-prowler/bin/prowler)', '.venv-prowler', 'prowler', 'bash scripts/setup-scanner-tools.sh prowler');
  },
  get checkov(): Requirement {
    return venvRequirement('checkov (.venv-checkov/bin/checkov)', '.venv-checkov', 'checkov', 'bash scripts/setup-scanner-tools.sh checkov');
  },
  /** A Trino server (Athena engine v3), given by TRINO_URL. */
  get trino(): Requirement {
    return {
      what: 'Trino (TRINO_URL)',
      kind: 'tool',
      available: !!process.env.TRINO_URL,
      missing: 'TRINO_URL is not set; .ci/run starts Trino (bash scripts/trino-local.sh start: Maven and Java 24+) and sets it',
    };
  },
  /** The bundled CLI the build writes (what users install). */
  get bundledCli(): Requirement {
    return built('the bundled CLI (lib/bin/cis-monitoring.js)', 'lib/bin/cis-monitoring.js', 'npx projen compile, or npx projen bundle-cli');
  },
  /** The jsii assembly the build writes. */
  get jsiiAssembly(): Requirement {
    return built('the jsii assembly (.jsii)', '.jsii', 'npx projen compile');
  },
  /** A file or folder of ../shared (present in CI, absent on a user's fresh clone). */
  shared(sharedDir: string, ...parts: string[]): Requirement {
    const p = path.join(sharedDir, ...parts);
    return {
      what: `../shared/${parts.join('/')}`,
      kind: 'data',
      available: fs.existsSync(p),
      missing: `${p} does not exist (../shared, the project's domain facts, is not part of a clone)`,
    };
  },
  /** Something of the platform the tests run on. */
  platform(what: string, available: boolean, missing: string): Requirement {
    return { what, kind: 'platform', available, missing };
  },
  /** One side of a compatibility matrix: the tests run in the set that has it. */
  variant(what: string, available: boolean, missing: string): Requirement {
    return { what, kind: 'variant', available, missing };
  },
  /** Tests that run only when asked for with an environment variable. */
  optIn(variable: string, what: string): Requirement {
    return { what, kind: 'opt-in', available: !!process.env[variable], missing: `opt-in: set ${variable}=1 to run it` };
  },
};

function built(what: string, file: string, how: string): Requirement {
  return {
    what,
    kind: 'build',
    available: fs.existsSync(path.join(REPO_ROOT, file)),
    missing: `${file} is missing; the build writes it before jest (${how})`,
  };
}

/** The message of a test that fails because CI lacks what it needs. */
function ciFailure(missing: readonly Requirement[]): string {
  return `CI is set and ${missing.map(r => `${r.what} is missing: ${r.missing}`).join('; ')}. `
    + 'In CI a missing tool fails the tests that need it instead of skipping them.';
}

function decide(title: string, requirements: readonly Requirement[]): 'run' | 'skip' | 'fail' {
  const missing = requirements.filter(r => !r.available);
  if (missing.length === 0) return 'run';
  if (IN_CI && missing.some(r => REQUIRED_IN_CI.has(r.kind))) return 'fail';
  writeNote({ type: 'skip', title, kind: missing[0].kind, reason: missing.map(r => `${r.what}: ${r.missing}`).join('; ') });
  return 'skip';
}

/**
 * `describe` when every requirement is met. Otherwise, in CI with a tool or
 * build output missing, every test of the block fails with what is missing;
 * else the block is skipped and the reason noted for the CI summary.
 */
export function describeIf(...requirements: Requirement[]): (name: string, fn: () => void) => void {
  return (name, fn) => {
    switch (decide(name, requirements)) {
      case 'run':
        return describe(name, fn);
      case 'skip':
        return describe.skip(name, fn);
      case 'fail':
        return describe(name, () => {
          // A failing beforeAll fails every test of the block without running it.
          beforeAll(() => {
            throw new Error(ciFailure(requirements.filter(r => !r.available)));
          });
          fn();
        });
    }
  };
}

/** `test` when every requirement is met; otherwise as `describeIf` does for one test. */
export function testIf(...requirements: Requirement[]): (name: string, fn: jest.ProvidesCallback, timeout?: number) => void {
  return (name, fn, timeout) => {
    switch (decide(name, requirements)) {
      case 'run':
        return test(name, fn, timeout);
      case 'skip':
        return test.skip(name, fn, timeout);
      case 'fail':
        return test(name, () => {
          throw new Error(ciFailure(requirements.filter(r => !r.available)));
        });
    }
  };
}
