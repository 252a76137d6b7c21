/**
 * The one reader of synthesized CDK output that `audit` and `replay` share
 * (internal): a cloud assembly directory (`cdk.out`) or one template file,
 * read the way CloudFormation would deploy it.
 *
 * - A directory is read through its `manifest.json`: every
 *   `aws:cloudformation:stack` artifact, with the environment (account and
 *   Region) it deploys to, and every nested assembly (`cdk:cloud-assembly`:
 *   CDK stages) recursively. Templates the manifest does not list (left over
 *   from an earlier synthesis) are ignored. A directory without a manifest
 *   falls back to its `*.template.json` files, environment unknown.
 * - Nested stacks (`AWS::CloudFormation::Stack` resources whose template CDK
 *   wrote as a `*.nested.template.json` asset) are read as part of their
 *   parent's environment.
 * - A stack without resources is a valid stack that contributes nothing.
 *
 * `TemplateResolver` resolves the intrinsic functions CDK writes (Ref,
 * Fn::GetAtt, Fn::Join, Fn::Sub) one way for both commands; pseudo parameters
 * take the stack's account and Region when the manifest names them.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Bad input: the path, manifest or a template cannot be used. Callers map it to their usage exit code. */
export class AssemblyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssemblyInputError';
  }
}

/** Where a stack deploys: account and Region, each undefined when the stack is environment-agnostic. */
export interface StackEnvironment {
  readonly account?: string;
  readonly region?: string;
}

/** One template to read, with where it deploys. */
export interface AssemblyStack {
  /** Display name: the artifact id (`Prod/Monitoring` for a stage), `<parent>/<logical id>` for a nested stack, else the file name. */
  readonly name: string;
  /** Path of the template file. */
  readonly file: string;
  readonly environment: StackEnvironment;
  /** The parsed template; `Resources` is `{}` for a stack without resources. */
  readonly template: { Resources: Record<string, any>; [key: string]: any };
}

/** The stacks at `input` and what the reader noticed on the way. */
export interface CloudAssembly {
  readonly stacks: AssemblyStack[];
  readonly notes: string[];
}

const TEMPLATE_KEYS = ['AWSTemplateFormatVersion', 'Resources', 'Parameters', 'Outputs', 'Rules', 'Conditions', 'Mappings', 'Transform', 'Description', 'Metadata'];
const MAX_DEPTH = 10;

/** The key that groups results per environment, e.g. `aws://123456789012/eu-west-1` (`unknown` parts when agnostic). */
export function environmentKey(env: StackEnvironment): string {
  return `aws://${env.account ?? 'unknown-account'}/${env.region ?? 'unknown-region'}`;
}

/**
 * Reads the stacks at `input`: a cloud assembly directory or a template file.
 * @throws AssemblyInputError when the path is missing, or the manifest or a listed template cannot be read
 */
export function readCloudAssembly(input: string): CloudAssembly {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch {
    throw new AssemblyInputError(`"${input}" does not exist. Pass a cdk.out directory (run \`cdk synth\` first) or a CloudFormation template .json file.`);
  }
  const notes: string[] = [];
  const stacks: AssemblyStack[] = [];
  if (!stat.isDirectory()) {
    addStack(stacks, { name: path.basename(input), file: input, environment: {} }, 0);
    return { stacks, notes };
  }
  const manifestPath = path.join(input, 'manifest.json');
  if (fs.existsSync(manifestPath)) {
    readManifestDir(input, stacks, 0);
    if (stacks.length === 0) {
      throw new AssemblyInputError(`${manifestPath} lists no CloudFormation stack. Synthesize an app that has at least one stack (cdk synth).`);
    }
    return { stacks, notes };
  }
  const files = fs.readdirSync(input).filter(f => f.endsWith('.template.json') && !f.endsWith('.nested.template.json')).sort();
  if (files.length === 0) {
    throw new AssemblyInputError(`"${input}" contains no CloudFormation template (no manifest.json and no *.template.json). Pass a cdk.out directory produced by \`cdk synth\`, or a template file.`);
  }
  notes.push(`"${input}" has no manifest.json, so every *.template.json in it was read and their account and Region are unknown.`);
  for (const f of files) addStack(stacks, { name: f.replace(/\.template\.json$/, ''), file: path.join(input, f), environment: {} }, 0);
  return { stacks, notes };
}

function readManifestDir(dir: string, out: AssemblyStack[], depth: number): void {
  if (depth > MAX_DEPTH) throw new AssemblyInputError(`${dir}: nested cloud assemblies deeper than ${MAX_DEPTH} levels.`);
  const manifestPath = path.join(dir, 'manifest.json');
  let manifest: any;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new AssemblyInputError(`${manifestPath} cannot be read as JSON (${oneLine((e as Error).message)}). Re-run \`cdk synth\`.`);
  }
  const artifacts = manifest?.artifacts;
  if (artifacts !== undefined && (typeof artifacts !== 'object' || artifacts === null || Array.isArray(artifacts))) {
    throw new AssemblyInputError(`${manifestPath} is not a cloud assembly manifest: "artifacts" is not an object. Re-run \`cdk synth\`.`);
  }
  for (const [id, artifact] of Object.entries<any>(artifacts ?? {})) {
    const props = artifact?.properties ?? {};
    if (artifact?.type === 'aws:cloudformation:stack') {
      if (typeof props.templateFile !== 'string') {
        throw new AssemblyInputError(`${manifestPath}: stack artifact "${id}" names no templateFile. Re-run \`cdk synth\`.`);
      }
      const name = typeof artifact.displayName === 'string' ? artifact.displayName : id;
      addStack(out, { name, file: path.join(dir, props.templateFile), environment: parseEnvironment(artifact.environment) }, 0);
    } else if (artifact?.type === 'cdk:cloud-assembly' && typeof props.directoryName === 'string') {
      readManifestDir(path.join(dir, props.directoryName), out, depth + 1);
    }
  }
}

/** `aws://123456789012/eu-west-1`; CDK writes `unknown-account`/`unknown-region` for agnostic stacks. */
function parseEnvironment(env: unknown): StackEnvironment {
  const m = typeof env === 'string' ? /^aws:\/\/([^/]*)\/(.*)$/.exec(env) : null;
  if (!m) return {};
  const account = /^\d{12}$/.test(m[1]) ? m[1] : undefined;
  const region = m[2] && !m[2].startsWith('unknown') ? m[2] : undefined;
  return { account, region };
}

function addStack(out: AssemblyStack[], stack: Omit<AssemblyStack, 'template'>, depth: number): void {
  const template = readTemplate(stack.file);
  out.push({ ...stack, template });
  if (depth > MAX_DEPTH) throw new AssemblyInputError(`${stack.file}: nested stacks deeper than ${MAX_DEPTH} levels.`);
  for (const [logicalId, r] of Object.entries<any>(template.Resources)) {
    if (r?.Type !== 'AWS::CloudFormation::Stack') continue;
    const asset = nestedTemplatePath(stack.file, r);
    if (asset === undefined) continue; // a nested stack from a URL: not synthesized here
    const file = path.join(path.dirname(stack.file), asset);
    if (!fs.existsSync(file)) {
      throw new AssemblyInputError(`${stack.file}: nested stack ${logicalId} points to "${asset}", which is missing next to it. Re-run \`cdk synth\`.`);
    }
    addStack(out, { name: `${stack.name}/${logicalId}`, file, environment: stack.environment }, depth + 1);
  }
}

/**
 * The file of a nested stack's template: the `aws:asset:path` metadata the
 * CDK CLI writes, else the file asset whose object key the TemplateURL ends
 * with (from the `*.assets.json` manifests next to the parent).
 */
function nestedTemplatePath(parentFile: string, resource: any): string | undefined {
  const direct = resource.Metadata?.['aws:asset:path'];
  if (typeof direct === 'string' && direct.endsWith('.json')) return direct;
  const url = JSON.stringify(resource.Properties?.TemplateURL ?? '');
  const key = /([0-9a-f]{64})\.json/.exec(url)?.[1];
  if (!key) return undefined;
  const dir = path.dirname(parentFile);
  for (const f of fs.readdirSync(dir).filter(n => n.endsWith('.assets.json'))) {
    let assets: any;
    try {
      assets = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    } catch {
      continue;
    }
    const source = assets?.files?.[key]?.source?.path;
    if (typeof source === 'string' && source.endsWith('.json')) return source;
  }
  return undefined;
}

function readTemplate(file: string): AssemblyStack['template'] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new AssemblyInputError(`Cannot read "${file}": ${oneLine((e as Error).message)}.`);
  }
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AssemblyInputError(`"${file}" is not valid JSON (${oneLine((e as Error).message)}). Pass a JSON CloudFormation template as \`cdk synth\` writes it (YAML is not read).`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !TEMPLATE_KEYS.some(k => k in doc)) {
    throw new AssemblyInputError(`"${file}" is not a CloudFormation template: it has none of ${TEMPLATE_KEYS.slice(0, 4).join(', ')}. Pass a template such as cdk.out/<Stack>.template.json.`);
  }
  if (doc.Resources !== undefined && (typeof doc.Resources !== 'object' || doc.Resources === null || Array.isArray(doc.Resources))) {
    throw new AssemblyInputError(`"${file}" is not a CloudFormation template: its "Resources" is not an object.`);
  }
  return { ...doc, Resources: doc.Resources ?? {} };
}

/** A value after resolving intrinsics: a string, a resource, or something unknown. */
export type Resolved =
  | { readonly kind: 'string'; readonly value: string; readonly exact: boolean }
  | { readonly kind: 'resource'; readonly logicalId: string; readonly attribute?: string }
  | { readonly kind: 'unknown'; readonly text: string };

const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::Region', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName', 'AWS::StackId', 'AWS::NotificationARNs', 'AWS::NoValue']);

/** Resolves the intrinsic functions of one stack's template. */
export class TemplateResolver {
  constructor(public readonly stack: AssemblyStack) {}

  public get resources(): Record<string, any> {
    return this.stack.template.Resources;
  }

  public resolve(value: unknown): Resolved {
    if (typeof value === 'string') return { kind: 'string', value, exact: true };
    if (typeof value === 'number' || typeof value === 'boolean') return { kind: 'string', value: String(value), exact: true };
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1) {
        const fn = keys[0];
        const arg = (value as any)[fn];
        if (fn === 'Ref' && typeof arg === 'string') return this.ref(arg);
        if (fn === 'Fn::GetAtt') {
          const [id, attribute] = Array.isArray(arg) ? arg : typeof arg === 'string' ? [arg.split('.')[0], arg.split('.').slice(1).join('.')] : [];
          if (typeof id === 'string' && this.resources[id]) return { kind: 'resource', logicalId: id, attribute: String(attribute) };
        }
        if (fn === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) return this.join(arg[0], arg[1]);
        if (fn === 'Fn::Sub' && typeof arg === 'string') return this.sub(arg);
      }
    }
    return { kind: 'unknown', text: JSON.stringify(value) };
  }

  /** A literal string, or undefined when the value depends on something unknown at synth time. */
  public str(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    const r = this.resolve(value);
    return r.kind === 'string' && r.exact ? r.value : undefined;
  }

  public bool(value: unknown, fallback: boolean | undefined): boolean | undefined {
    if (value === undefined) return fallback;
    const r = this.resolve(value);
    if (r.kind === 'string' && r.exact && (r.value === 'true' || r.value === 'false')) return r.value === 'true';
    return undefined;
  }

  private ref(name: string): Resolved {
    if (this.resources[name]) return { kind: 'resource', logicalId: name };
    const env = this.stack.environment;
    if (name === 'AWS::AccountId' && env.account) return { kind: 'string', value: env.account, exact: true };
    if (name === 'AWS::Region' && env.region) return { kind: 'string', value: env.region, exact: true };
    // A placeholder without ":" so ARNs built with it still split into their parts.
    if (PSEUDO_PARAMETERS.has(name)) return { kind: 'string', value: `\${${name.replace('::', '.')}}`, exact: false };
    const parameter = this.stack.template.Parameters?.[name];
    if (parameter && (typeof parameter.Default === 'string' || typeof parameter.Default === 'number')) {
      return { kind: 'string', value: String(parameter.Default), exact: true };
    }
    return { kind: 'unknown', text: `{"Ref":"${name}"}` };
  }

  private join(separator: string, parts: unknown[]): Resolved {
    const resolved = parts.map(p => this.resolve(p));
    const nonEmpty = resolved.filter(r => !(r.kind === 'string' && r.value === ''));
    if (nonEmpty.length === 1 && nonEmpty[0].kind === 'resource') return nonEmpty[0];
    if (resolved.every(r => r.kind === 'string')) {
      return { kind: 'string', value: resolved.map(r => (r as any).value).join(separator), exact: resolved.every(r => (r as any).exact) };
    }
    // Keep a readable form with placeholders so identical joins still compare equal.
    const text = resolved.map(r => (r.kind === 'string' ? r.value : r.kind === 'resource' ? `\${${r.logicalId}${r.attribute ? '.' + r.attribute : ''}}` : r.text)).join(separator);
    return { kind: 'string', value: text, exact: false };
  }

  private sub(text: string): Resolved {
    let exact = true;
    const value = text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return whole;
      const r = name.includes('.') ? this.resolve({ 'Fn::GetAtt': name }) : this.ref(name);
      if (r.kind === 'string') {
        exact = exact && r.exact;
        return r.value;
      }
      exact = false;
      return whole;
    });
    return { kind: 'string', value, exact };
  }
}

/** Groups stacks by environment, in first-seen order. */
export function stacksByEnvironment(stacks: readonly AssemblyStack[]): Array<{ environment: StackEnvironment; stacks: AssemblyStack[] }> {
  const groups = new Map<string, { environment: StackEnvironment; stacks: AssemblyStack[] }>();
  for (const s of stacks) {
    const key = environmentKey(s.environment);
    const g = groups.get(key) ?? { environment: s.environment, stacks: [] };
    g.stacks.push(s);
    groups.set(key, g);
  }
  return [...groups.values()];
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
