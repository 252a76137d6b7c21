/**
 * Runs cdk-nag packs on an app with whichever cdk-nag major is installed and
 * returns the unsuppressed findings:
 *
 * - cdk-nag 2 (the aws-cdk-lib floor): packs are Aspects; findings are
 *   error/warning annotations; suppressions are `cdk_nag` template metadata.
 * - cdk-nag 3 (aws-cdk-lib >= 2.257, the newest set of scripts/compat-newest.sh):
 *   packs are policy-validation plugins (`Validations.of(app).addPlugins`);
 *   findings are in the validation report; suppressions are
 *   `Validations.of(construct).acknowledge(...)`.
 *
 * The types are the floor's (cdk-nag 2, aws-cdk-lib 2.176), so the cdk-nag 3
 * API is reached through `any`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as cdk from 'aws-cdk-lib';
import { Annotations as AssertAnnotations, Match } from 'aws-cdk-lib/assertions';
import * as nag from 'cdk-nag';
import { Construct, IConstruct } from 'constructs';

/** The packs the library is gated on: rule-id prefix -> pack class name. */
export const NAG_PACKS = {
  'AwsSolutions': 'AwsSolutionsChecks',
  'NIST.800.53.R5': 'NIST80053R5Checks',
  'PCI.DSS.321': 'PCIDSS321Checks',
  'HIPAA.Security': 'HIPAASecurityChecks',
} as const;
export type NagPackName = keyof typeof NAG_PACKS;
export const ALL_NAG_PACKS = Object.keys(NAG_PACKS) as NagPackName[];

/** The major version of the cdk-nag that `cdk-nag` resolves to. */
export const NAG_MAJOR: 2 | 3 = typeof (nag.NagPack.prototype as any).validateScope === 'function' ? 3 : 2;
// require, not fs: under scripts/compat-newest.sh jest maps these module names to the newest set.
/** The version of the aws-cdk-lib that `aws-cdk-lib` resolves to. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const CDK_LIB_VERSION: string = require('aws-cdk-lib/package.json').version;
/** The version of the cdk-nag that `cdk-nag` resolves to. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const NAG_VERSION: string = require('cdk-nag/package.json').version;

export interface NagFinding {
  /** Pack name, the rule-id prefix: `AwsSolutions`, `NIST.800.53.R5`, ... */
  readonly pack: NagPackName;
  /** Rule id with the finding, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly rule: string;
  /** Construct path of the resource, without a leading slash: `Stack/Cis/Trail/Bucket/Resource`. */
  readonly path: string;
  readonly level: 'error' | 'warning';
}

/** Adds the packs to the app, synthesizes it and returns every unsuppressed finding. */
export function nagFindings(app: cdk.App, packs: NagPackName[] = ALL_NAG_PACKS): NagFinding[] {
  const packOf = (rule: string): NagPackName => {
    const pack = packs.find(p => rule.startsWith(`${p}-`));
    if (!pack) throw new Error(`nag finding ${rule} of no requested pack`);
    return pack;
  };
  const classOf = (p: NagPackName): any => (nag as any)[NAG_PACKS[p]];

  if (NAG_MAJOR === 2) {
    for (const p of packs) cdk.Aspects.of(app).add(new (classOf(p))());
    const assembly = app.synth();
    const prefix = Match.stringLikeRegexp(`^(${packs.map(p => p.replace(/\./g, '\\.')).join('|')})-`);
    // A StackSet member stack has no artifact: its findings are reported on its rollout (in the parent's artifact).
    const stacks = app.node.findAll().filter((c): c is cdk.Stack => cdk.Stack.isStack(c) && assembly.tryGetArtifact(c.artifactId) !== undefined);
    return stacks.flatMap(stack => {
      const a = AssertAnnotations.fromStack(stack);
      const entry = (level: 'error' | 'warning') => (m: { id: string; entry: { data?: unknown } }): NagFinding => {
        // `Pack-Rule: info` or `Pack-Rule[Finding]: info`; a finding may contain colons.
        const data = String(m.entry.data);
        const rule = /^([^\s[:]+(?:\[[^\]]*\])?)/.exec(data)![1];
        // A StackSet member's finding is reported on its rollout, naming the member resource: `... [in <path>]`.
        const member = /\[in ([^\]]+)\](?: \[ack: [^\]]+\])?$/.exec(data);
        return { pack: packOf(rule), rule, path: member ? member[1] : m.id.replace(/^\//, ''), level };
      };
      return [...a.findError('*', prefix).map(entry('error')), ...a.findWarning('*', prefix).map(entry('warning'))];
    });
  }

  const validations = (cdk as any).Validations.of(app);
  for (const p of packs) validations.addPlugins(new (classOf(p))(app));
  const reportFile = path.join(app.outdir, 'validation-report.json');
  fs.rmSync(reportFile, { force: true });
  try {
    app.synth();
  } catch (e) {
    // Synthesis fails when a plugin reports an error, after writing the report.
    if (!fs.existsSync(reportFile)) throw e;
  }
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  const findings: NagFinding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    if (!packs.includes(plugin.pluginName)) continue;
    for (const v of plugin.violations ?? []) {
      for (const c of v.violatingConstructs ?? []) {
        findings.push({ pack: packOf(v.ruleName), rule: v.ruleName, path: String(c.constructPath).replace(/^\//, ''), level: v.severity === 'error' ? 'error' : 'warning' });
      }
    }
  }
  return findings;
}

/**
 * Construct paths (without a leading slash) of every instance of a library
 * construct in the app that is not itself inside another one: the library's
 * own resources are everything under them.
 */
export function libraryRoots(app: cdk.App, libraryModule: Record<string, unknown>): string[] {
  const classes = Object.values(libraryModule).filter((v): v is new (...args: any[]) => IConstruct =>
    typeof v === 'function' && isConstructClass(v));
  const isLibrary = (c: IConstruct) => classes.some(k => c instanceof k);
  const roots: string[] = [];
  const visit = (c: IConstruct) => {
    if (isLibrary(c)) {
      roots.push(c.node.path);
      return;
    }
    c.node.children.forEach(visit);
  };
  visit(app);
  return roots;
}

function isConstructClass(v: Function): boolean {
  return v.prototype instanceof Construct;
}

/** The findings on resources under the given roots. */
export function under(findings: NagFinding[], roots: string[]): NagFinding[] {
  return findings.filter(f => roots.some(r => f.path === r || f.path.startsWith(`${r}/`)));
}

/** `rule path`, one string per finding, sorted: readable in a failing expectation. */
export function formatFindings(findings: NagFinding[]): string[] {
  return findings.map(f => `${f.rule} ${f.path}`).sort();
}
