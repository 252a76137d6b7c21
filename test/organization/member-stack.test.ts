/**
 * Issue #18 item 5: what the user applies to the app reaches the StackSet
 * member template. The member stack is a stack of the user's app (a child of
 * the rollout, without an artifact of its own), so the app's Aspects
 * (permission boundaries, mandatory tags), cdk-nag 2's packs (Aspects) and
 * cdk-nag 3's packs (validation plugins, in the newest set of
 * scripts/compat-newest.sh) see what every member account deploys.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, CfnResource, IAspect, Stack, Tags } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { CisOrganizationRollout, CisOrganizationRolloutProps } from '../../src';
import { memberTemplateViolations } from '../support/member-template';
import { NAG_MAJOR, nagFindings } from '../support/nag';

const MGMT = '111111111111';
const SECURITY = '222222222222';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cis-member-stack-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let apps = 0;
function setUp(props: Partial<CisOrganizationRolloutProps> = {}, env: { account: string; region: string } | undefined = { account: MGMT, region: 'us-east-1' }) {
  const app = new App({ outdir: path.join(tmp, `app-${++apps}`) });
  const stack = new Stack(app, 'Mgmt', { env });
  const rollout = new CisOrganizationRollout(stack, 'Members', {
    organizationalUnitIds: ['ou-ab12-cdef3456'],
    regions: ['eu-west-1'],
    securityAccountId: SECURITY,
    monitoring: { emailAddresses: ['security@example.com'] },
    ...props,
  });
  return { app, stack, rollout };
}

function memberResources(rollout: CisOrganizationRollout, type: string): Array<{ Properties: any }> {
  return Object.values(Template.fromJSON(JSON.parse(rollout.memberTemplateBody)).findResources(type)) as any;
}

describe('Aspects of the app reach the member template', () => {
  test('a permission boundary applied to the app is on every role of the member template', () => {
    const { app, rollout } = setUp();
    // An organization's boundary policy exists in every account under one name: its ARN takes the member's own account.
    const boundary = iam.ManagedPolicy.fromManagedPolicyName(rollout.memberStack, 'Boundary', 'org-permissions-boundary');
    iam.PermissionsBoundary.of(app).apply(boundary);
    app.synth();
    const roles = memberResources(rollout, 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      expect(JSON.stringify(role.Properties.PermissionsBoundary)).toMatch(/AWS::AccountId.*:policy\/org-permissions-boundary/);
    }
    expect(memberTemplateViolations(rollout.memberTemplateBody, [SECURITY])).toEqual([]);
  });

  test('a hand-written Aspect on the app (a mandatory boundary by name) sees the member roles, and only its own stack\'s copy of them', () => {
    const visited: string[] = [];
    class RequireBoundary implements IAspect {
      public visit(node: IConstruct): void {
        if (node instanceof iam.CfnRole) {
          visited.push(node.node.path);
          node.permissionsBoundary = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
        }
      }
    }
    const { app, rollout } = setUp();
    Aspects.of(app).add(new RequireBoundary());
    app.synth();
    expect(visited).toEqual(expect.arrayContaining(['Mgmt/Members/MemberStack/ForwardRole/Resource']));
    for (const role of memberResources(rollout, 'AWS::IAM::Role')) {
      expect(role.Properties.PermissionsBoundary).toBe('arn:aws:iam::aws:policy/ReadOnlyAccess');
    }
  });

  test('mandatory tags applied to the app are on the member resources', () => {
    const { app, rollout } = setUp();
    Tags.of(app).add('CostCenter', 'security');
    app.synth();
    for (const type of ['AWS::SNS::Topic', 'AWS::SQS::Queue', 'AWS::IAM::Role', 'AWS::CloudTrail::Trail', 'AWS::KMS::Key']) {
      const resources = memberResources(rollout, type);
      expect({ type, count: resources.length > 0 }).toEqual({ type, count: true });
      for (const r of resources) expect(r.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'CostCenter', Value: 'security' }]));
    }
  });

  test('Aspects applied to rollout.memberStack reach the members only', () => {
    const { app, stack, rollout } = setUp();
    new sqs.Queue(stack, 'ManagementQueue');
    Tags.of(rollout.memberStack).add('Scope', 'member');
    app.synth();
    expect(Template.fromStack(stack).findResources('AWS::SQS::Queue', { Properties: { Tags: Match.anyValue() } })).toEqual({});
    for (const r of memberResources(rollout, 'AWS::SQS::Queue')) expect(r.Properties.Tags).toEqual([{ Key: 'Scope', Value: 'member' }]);
  });

  test('an Aspect that refers to a resource of another stack fails synthesis, naming that resource', () => {
    // aws-cdk-lib treats the member (its own environment tokens) as another environment and refuses the
    // reference; were it ever turned into an export, the member template check refuses Fn::ImportValue.
    const { app, stack, rollout } = setUp({}, undefined);
    const topic = new sns.Topic(stack, 'ManagementTopic');
    Aspects.of(rollout.memberStack).add({
      visit: (node: IConstruct) => {
        if (node instanceof sns.CfnTopic) node.displayName = topic.topicName;
      },
    });
    expect(() => app.synth()).toThrow(/Cannot use resource 'Mgmt\/ManagementTopic' in a cross-environment fashion/);
  });

  test('the member stack is not an artifact of the cloud assembly: cdk deploy never deploys it', () => {
    const { app, rollout } = setUp();
    const assembly = app.synth();
    expect(assembly.stacks.map(s => s.hierarchicalId)).toEqual(['Mgmt']);
    expect(assembly.tryGetArtifact(rollout.memberStack.artifactId)).toBeUndefined();
    // Its template is in the assembly directory for review: exactly what the StackSet deploys.
    expect(fs.readFileSync(path.join(assembly.directory, rollout.memberStack.templateFile), 'utf8')).toBe(rollout.memberTemplateBody);
  });

  test('before the app is synthesized the template is not known yet, and saying so is the error', () => {
    const { rollout } = setUp();
    expect(() => rollout.memberTemplateBody).toThrow(/The member stack template of Mgmt\/Members is known once the app is synthesized \(app\.synth\(\)/);
  });

  test('an asset in the member stack is refused where it is added', () => {
    const { rollout } = setUp();
    const file = path.join(tmp, 'asset.txt');
    fs.writeFileSync(file, 'x');
    expect(() => rollout.memberStack.synthesizer.addFileAsset({ fileName: file, packaging: 'file' as any, sourceHash: 'h' }))
      .toThrow(/A StackSet member stack cannot hold assets .*Use inline code/);
  });
});

describe(`cdk-nag ${NAG_MAJOR} on the app sees the member template`, () => {
  test('the library\'s member resources have no AwsSolutions finding; a bare queue the user adds to the member stack is reported at its path', () => {
    const { app, rollout } = setUp({ securityAccountSubscription: true });
    new sqs.Queue(rollout.memberStack, 'Bare');
    const findings = nagFindings(app, ['AwsSolutions']);
    const member = findings.filter(f => f.path.startsWith('Mgmt/Members/MemberStack/'));
    expect([...new Set(member.map(f => f.path))]).toEqual(['Mgmt/Members/MemberStack/Bare/Resource']);
    // The queue has no dead-letter queue and no SSL-only policy: AwsSolutions-SQS3 and -SQS4 on both majors.
    expect(member.map(f => f.rule)).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
    if (NAG_MAJOR === 2) {
      // cdk-nag 2 reports through annotations: on the rollout, in the management stack's artifact, naming the member resource.
      const stack = Stack.of(rollout);
      Annotations.fromStack(stack).hasError('/Mgmt/Members', Match.stringLikeRegexp('^AwsSolutions-SQS4: .*\\[in Mgmt/Members/MemberStack/Bare/Resource\\]$'));
    }
  });

  test('the member template drops cdk_nag metadata and construct paths: nothing synthesis-only reaches the members', () => {
    const { app, rollout } = setUp();
    app.synth();
    expect(rollout.memberTemplateBody).not.toMatch(/cdk_nag|aws:cdk:/);
    // ... while the suppressions were on the resources when nag ran.
    const queue = rollout.memberStack.node.findAll().find(c => c instanceof CfnResource && c.node.path.endsWith('ForwardDeadLetters/Resource')) as CfnResource;
    expect(JSON.stringify(queue.getMetadata('cdk_nag'))).toContain('AwsSolutions-SQS3');
  });
});
