/**
 * An AWS Organization in moto for the `audit --live --organization` tests:
 * the default account (123456789012) creates the organization and its member
 * accounts through moto's Organizations API (moto creates
 * OrganizationAccountAccessRole in each, trusting the management account),
 * and each account's resources are created with credentials from AssumeRole
 * into that account (moto keeps per-account, per-Region state and picks the
 * account from the access key).
 *
 * How a member refuses the audit: moto does not evaluate a cross-account
 * role's trust policy, nor whether the role exists, so AssumeRole into any
 * account succeeds while IAM is not enforced. With IAM enforced, moto checks
 * the caller's identity policy against the role ARN; the auditor's policy
 * denies sts:AssumeRole on the refusing account's roles, which gives the same
 * AccessDenied error AWS gives when a trust policy refuses.
 */
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { MotoAccount } from './moto-apply';
import { rawRequest } from '../support/moto';

export const MANAGEMENT_ACCOUNT = '123456789012';

export interface MotoOrganization {
  readonly organizationId: string;
  /** Member accounts by the name given (the management account is MANAGEMENT_ACCOUNT, named "master" by moto). */
  readonly members: Record<string, MotoAccount>;
}

/** Creates the organization and one member account per name; returns AssumeRole credentials into each. */
export async function createMotoOrganization(names: readonly string[]): Promise<MotoOrganization> {
  const org = new OrganizationsClient({ region: 'us-east-1' });
  const created = await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const members: Record<string, MotoAccount> = {};
  for (const name of names) {
    const out = await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    const account = out.CreateAccountStatus!.AccountId!;
    members[name] = { account, credentials: await assumeInto(account) };
  }
  return { organizationId: created.Organization!.Id!, members };
}

/** Credentials of OrganizationAccountAccessRole in `account` (while moto does not enforce IAM). */
export async function assumeInto(account: string, roleName = 'OrganizationAccountAccessRole'): Promise<MotoAccount['credentials']> {
  const out = await new STSClient({ region: 'us-east-1' }).send(new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${account}:role/${roleName}`, RoleSessionName: 'test-setup',
  }));
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken };
}

/** IAM query API call in the account of `accessKeyId` (moto does not check the dummy signature while IAM is not enforced). */
async function iam(endpoint: string, form: Record<string, string>, accessKeyId?: string): Promise<string> {
  return rawRequest(endpoint, 'iam', 'POST', '/', { ...form, Version: '2010-05-08' }, accessKeyId);
}

const ALLOW_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

/**
 * Gives a member's OrganizationAccountAccessRole its permissions (moto creates
 * the role with a trust policy only; AWS attaches AdministratorAccess).
 */
export async function grantRoleAdmin(endpoint: string, member: MotoAccount, roleName = 'OrganizationAccountAccessRole'): Promise<void> {
  await iam(endpoint, { Action: 'PutRolePolicy', RoleName: roleName, PolicyName: 'admin', PolicyDocument: ALLOW_ALL }, member.credentials.accessKeyId);
}

/** Creates a role trusting the management account, without any permission policy, in a member account. */
export async function createRoleWithoutPermissions(endpoint: string, member: MotoAccount, roleName: string): Promise<void> {
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MANAGEMENT_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] };
  await iam(endpoint, { Action: 'CreateRole', RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) }, member.credentials.accessKeyId);
}

/**
 * Creates the auditor user in the management account: everything allowed,
 * except sts:AssumeRole into the `refusing` accounts. Returns its access key.
 */
export async function createAuditor(endpoint: string, refusing: readonly string[]): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  await iam(endpoint, { Action: 'CreateUser', UserName: 'org-auditor' });
  const statements: unknown[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }];
  if (refusing.length) {
    statements.push({ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: refusing.map(a => `arn:aws:iam::${a}:role/*`) });
  }
  await iam(endpoint, {
    Action: 'PutUserPolicy', UserName: 'org-auditor', PolicyName: 'audit', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
  });
  const xml = await iam(endpoint, { Action: 'CreateAccessKey', UserName: 'org-auditor' });
  const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(xml)?.[1];
  const secretAccessKey = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(xml)?.[1];
  if (!accessKeyId || !secretAccessKey) throw new Error(`CreateAccessKey on moto returned no key: ${xml}`);
  return { accessKeyId, secretAccessKey };
}
