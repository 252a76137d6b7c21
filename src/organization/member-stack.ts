import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  Annotations, DockerImageAssetLocation, DockerImageAssetSource, FileAssetLocation, FileAssetPackaging, FileAssetSource, ISynthesisSession,
  Stack, StackSynthesizer,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SEPARATE_REGISTRY } from '../app-registry';
import { compactJoins } from './template-size';
import { LABEL_METADATA_KEY, ResourceRole } from '../plan/labels';

/** CloudFormation's limit on an inline `TemplateBody`, in bytes (internal). */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

/** How the member template reaches CloudFormation. */
export enum MemberTemplateDelivery {
  /** `TemplateBody` when it fits in 51,200 bytes, otherwise an S3 asset of the management stack (with a warning). */
  AUTO = 'AUTO',
  /** Always `TemplateBody`; a template over 51,200 bytes is an error. */
  TEMPLATE_BODY = 'TEMPLATE_BODY',
  /** Always `TemplateURL` of an S3 asset in the management stack (the management account must be bootstrapped). */
  S3_ASSET = 'S3_ASSET',
}

/** The synthesized member template and how it is delivered (internal). */
export interface MemberTemplate {
  /** Minified JSON, exactly what the StackSet deploys. */
  readonly body: string;
  /** Bytes (UTF-8). */
  readonly size: number;
  /** `TemplateBody` (true) or `TemplateURL` of an S3 asset of the management stack (false). */
  readonly inline: boolean;
  /** The asset's URL when not inline. */
  readonly templateUrl?: string;
  /** `CAPABILITY_IAM` or `CAPABILITY_NAMED_IAM` when the template holds IAM resources. */
  readonly capabilities: string[];
}

/** Properties of a `StackSetMemberStack` (internal). */
export interface StackSetMemberStackProps {
  /** The stack name the constructs inside see (alarm name prefixes derive from it). */
  readonly stackName: string;
  /** The construct the member's messages, the S3 asset and the delivery warning belong to (the rollout). */
  readonly owner: Construct;
  /** What the stack is, in messages ("member stack", "us-east-1 member stack"). */
  readonly what: string;
  readonly delivery: MemberTemplateDelivery;
}

/**
 * The template every member account deploys through a StackSet, built as a
 * stack of the user's own app (a child of the rollout): the app's Aspects
 * (permission boundaries, mandatory tags, cdk-nag 2) and its cdk-nag 3
 * validation plugins see its constructs like any other stack's. It has no
 * cloud-assembly artifact of its own, so `cdk deploy` never deploys it: its
 * synthesizer hands the template to the StackSet of the management stack
 * (children are synthesized before their parents), inline or as an S3 asset
 * of the management stack, and re-emits the member's annotations (warnings
 * and errors, cdk-nag 2's included) on the owner, where the CLI reports them.
 *
 * Environment-agnostic and asset-free: account and Region come from pseudo
 * parameters, and an asset (Lambda code, Docker image) is refused when it is
 * added. Its metric and alarm-name registry is its own (`SEPARATE_REGISTRY`):
 * it stands for every member account, not for the app's environment-agnostic
 * stacks; the rollout's cross-checks compare members across rollouts.
 *
 * Internal (not exported from index.ts).
 */
export class StackSetMemberStack extends Stack {
  private readonly owner: Construct;
  private readonly what: string;
  private readonly delivery: MemberTemplateDelivery;
  private result?: MemberTemplate;
  /** Messages already re-emitted on the owner (an app may be synthesized more than once). */
  private readonly emitted = new Set<string>();

  constructor(scope: Construct, id: string, props: StackSetMemberStackProps) {
    const synthesizer = new MemberTemplateSynthesizer();
    super(scope, id, { stackName: props.stackName, analyticsReporting: false, synthesizer });
    (this as unknown as { [k: symbol]: boolean })[SEPARATE_REGISTRY] = true;
    this.owner = props.owner;
    this.what = props.what;
    this.delivery = props.delivery;
    synthesizer.onTemplate = (template, session, file) => this.finish(template, session, file);
  }

  /** The template as the StackSet deploys it; known once the app is synthesized. */
  public get template(): MemberTemplate {
    if (!this.result) {
      throw new Error(`The ${this.what} template of ${this.owner.node.path} is known once the app is synthesized (app.synth(), or Template.fromStack of any stack of the app): it is synthesized with the app, after the app's Aspects ran.`);
    }
    return this.result;
  }

  /** Whether the template is known yet. */
  public get synthesized(): boolean {
    return this.result !== undefined;
  }

  private finish(template: MemberTemplateJson, session: ISynthesisSession, file: string): void {
    this.reemitMessages();
    stripSynthMetadata(template);
    compactLabels(template);
    dropDefaultDeletionPolicies(template);
    compactJoins(template);
    const body = JSON.stringify(template);
    const problems = memberTemplateProblems(body);
    if (problems.length > 0) {
      throw new Error(`The ${this.what} of ${this.owner.node.path} cannot be deployed by a StackSet: ${problems.join('; ')}. Remove what brings it in (an option, or an Aspect of the app that refers to resources of another stack).`);
    }
    const size = Buffer.byteLength(body, 'utf8');
    const fits = size <= MAX_TEMPLATE_BODY_BYTES;
    if (this.delivery === MemberTemplateDelivery.TEMPLATE_BODY && !fits) {
      throw new Error(`The ${this.what} template of ${this.owner.node.path} is ${size} bytes; CloudFormation takes at most ${MAX_TEMPLATE_BODY_BYTES} inline (TemplateBody). Shrink the member configuration (dashboard: false, fewer scanners or controls, alarmDescription.includeInsightsQuery: false, fewer tags from Aspects) or use templateDelivery: MemberTemplateDelivery.S3_ASSET.`);
    }
    const inline = this.delivery === MemberTemplateDelivery.TEMPLATE_BODY || (this.delivery === MemberTemplateDelivery.AUTO && fits);
    // The file in cdk.out is what every member deploys, for review.
    fs.writeFileSync(file, body);
    let templateUrl: string | undefined;
    if (!inline) {
      templateUrl = Stack.of(this.owner).synthesizer.addFileAsset({
        fileName: path.relative(session.outdir, file),
        packaging: FileAssetPackaging.FILE,
        sourceHash: createHash('sha256').update(body).digest('hex'),
      }).httpUrl;
      if (this.delivery === MemberTemplateDelivery.AUTO) {
        this.emit('warning', `The ${this.what} template is ${size} bytes, more than the ${MAX_TEMPLATE_BODY_BYTES} CloudFormation takes inline, so it goes to the StackSet as an S3 asset of ${Stack.of(this.owner).stackName} (TemplateURL): that stack's account and Region must be bootstrapped (cdk bootstrap), and the asset bucket must stay. To keep it inline, shrink the member configuration (dashboard: false, fewer controls or scanners, alarmDescription.includeInsightsQuery: false); to make this choice explicit, set templateDelivery to S3_ASSET (or TEMPLATE_BODY to make an oversized template an error).`,
          'cdk-cis-monitoring:memberTemplateS3');
      }
    }
    const resources = Object.values(template.Resources ?? {});
    const iamResources = resources.filter(r => typeof r.Type === 'string' && r.Type.startsWith('AWS::IAM::'));
    const capabilities = iamResources.length === 0 ? [] : iamResources.some(r => r.Properties?.RoleName !== undefined) ? ['CAPABILITY_NAMED_IAM'] : ['CAPABILITY_IAM'];
    this.result = { body, size, inline, templateUrl, capabilities };
  }

  /**
   * The member's annotations are not in any artifact (the member has none):
   * they go on the owner, each once, the text first (so cdk-nag 2's rule id
   * still leads) and the member construct's path after it (`[in <path>]`).
   */
  private reemitMessages(): void {
    for (const c of this.node.findAll()) {
      for (const m of c.node.metadata) {
        // Infos (which scanner text matches what) are the member's own business; warnings and errors are the app's.
        const level = m.type === 'aws:cdk:error' ? 'error' : m.type === 'aws:cdk:warning' ? 'warning' : undefined;
        if (!level) continue;
        const raw = String(m.data);
        const ack = /\s*\[ack: ([^\]]+)\]$/.exec(raw);
        const text = (ack ? raw.slice(0, ack.index) : raw).trim();
        const where = ` [in ${c.node.path}]`;
        this.emit(level, `${text}${where}`, ack?.[1]);
      }
    }
  }

  private emit(level: 'error' | 'warning', message: string, id?: string): void {
    const key = `${level}\u0000${id ?? ''}\u0000${message}`;
    if (this.emitted.has(key)) return;
    this.emitted.add(key);
    const a = Annotations.of(this.owner);
    if (level === 'error') a.addError(message);
    else if (id) a.addWarningV2(id, message);
    else a.addWarning(message);
  }
}

/** Writes the template and hands it over; never emits a stack artifact, and refuses assets. */
class MemberTemplateSynthesizer extends StackSynthesizer {
  public onTemplate?: (template: MemberTemplateJson, session: ISynthesisSession, file: string) => void;

  public addFileAsset(asset: FileAssetSource): FileAssetLocation {
    throw new Error(`A StackSet member stack cannot hold assets (${asset.fileName ?? asset.executable?.join(' ') ?? asset.sourceHash}): they do not travel with a StackSet to member accounts, which are not bootstrapped. Use inline code (lambda.Code.fromInline) or leave the option out.`);
  }

  public addDockerImageAsset(asset: DockerImageAssetSource): DockerImageAssetLocation {
    throw new Error(`A StackSet member stack cannot hold Docker image assets (${asset.directoryName ?? asset.sourceHash}): they do not travel with a StackSet to member accounts.`);
  }

  public synthesize(session: ISynthesisSession): void {
    this.synthesizeTemplate(session);
    const file = path.join(session.outdir, this.boundStack.templateFile);
    this.onTemplate!(JSON.parse(fs.readFileSync(file, 'utf8')), session, file);
  }
}

interface MemberTemplateJson {
  Resources?: { [id: string]: { Type?: string; Properties?: { [p: string]: unknown }; Metadata?: { [key: string]: unknown } } };
}

/** What keeps a template from being deployed by a StackSet (internal; empty when none). */
export function memberTemplateProblems(body: string): string[] {
  const problems: string[] = [];
  if (/AssetParameters|"aws:asset:/.test(body)) problems.push('it refers to assets (Lambda code or Docker images), which do not travel with a StackSet; use inline code');
  if (body.includes('Fn::ImportValue')) problems.push('it imports values of other stacks (Fn::ImportValue), which do not exist in member accounts');
  if (/BootstrapVersion/.test(body)) problems.push('it needs the CDK bootstrap stack');
  return problems;
}

/**
 * Drops what only synthesis tools read: the `cdk_nag` suppression metadata
 * (read by cdk-nag at synth time; about 2.7 KB of the default member) and the
 * `aws:cdk:*` metadata of the app (construct paths), which cost bytes of the
 * 51,200 a `TemplateBody` may have and mean nothing in a member account.
 */
function stripSynthMetadata(template: MemberTemplateJson): void {
  for (const resource of Object.values(template.Resources ?? {})) {
    if (!resource.Metadata) continue;
    for (const key of Object.keys(resource.Metadata)) {
      if (key === 'cdk_nag' || key.startsWith('aws:cdk:')) delete resource.Metadata[key];
    }
    if (Object.keys(resource.Metadata).length === 0) delete resource.Metadata;
  }
}

/**
 * Shortens the labels (`cdk-cis-monitoring` metadata) to what readers need:
 * the control everywhere, the role unless it is `compliance` (`readLabel`'s
 * default), the benchmark version on the alarms only (`audit --template`
 * reads it from any one resource), no CIS id (the catalog has it). About 2 KB
 * of the 51,200 a `TemplateBody` may have.
 */
function compactLabels(template: MemberTemplateJson): void {
  for (const resource of Object.values(template.Resources ?? {})) {
    const label = resource.Metadata?.[LABEL_METADATA_KEY] as { [k: string]: unknown } | undefined;
    if (!label || typeof label !== 'object') continue;
    delete label.cisId;
    if (label.role === ResourceRole.COMPLIANCE) delete label.role;
    if (resource.Type !== 'AWS::CloudWatch::Alarm') delete label.benchmark;
  }
}

/**
 * `Delete` is what CloudFormation does on deletion and replacement for every
 * resource type a member template holds (only some RDS types default to
 * `Snapshot`): written out it costs bytes of the TemplateBody.
 */
function dropDefaultDeletionPolicies(template: MemberTemplateJson): void {
  for (const resource of Object.values(template.Resources ?? {}) as Array<{ Type?: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }>) {
    if ((resource.Type ?? '').startsWith('AWS::RDS::')) continue;
    if (resource.DeletionPolicy === 'Delete') delete resource.DeletionPolicy;
    if (resource.UpdateReplacePolicy === 'Delete') delete resource.UpdateReplacePolicy;
  }
}
