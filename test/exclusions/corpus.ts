/**
 * Synthetic CloudTrail records for the exclusion tests: for each control, base
 * records the control is about, crossed with identities, source IPs and user
 * agents, including records that lack the fields exclusions test (the
 * missing-field trap).
 *
 * Records are shaped as CloudTrail delivers them to CloudWatch Logs; only the
 * fields the patterns and exclusions read are filled in.
 */
import { CisControl } from '../../src/catalog';

export const ACCOUNT = '111122223333';

export interface CorpusRecord {
  readonly name: string;
  readonly record: any;
}

function assumedRole(roleName: string, path = '/'): any {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${roleName}-session`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${roleName}-session`,
    accountId: ACCOUNT,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: `arn:aws:iam::${ACCOUNT}:role${path}${roleName}`,
        accountId: ACCOUNT,
        userName: roleName,
      },
      attributes: { creationDate: '2024-05-01T10:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

/** Who made the call; `undefined` removes `userIdentity` entirely. */
export const IDENTITIES: Record<string, any> = {
  'ci-deployer role session': assumedRole('ci-deployer'),
  'ci-deployer role (with path) session': assumedRole('ci-deployer', '/pipelines/'),
  'terraform-apply role session': assumedRole('terraform-apply'),
  'ci-deployer-2 role session (near miss)': assumedRole('ci-deployer-2'),
  'Admin role session': assumedRole('Admin'),
  'IAM user alice': { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, userName: 'alice' },
  'root user': { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT },
  'AWS service (no arn, no session)': { type: 'AWSService', invokedBy: 'cloudformation.amazonaws.com' },
  'role session without sessionContext': { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/other/s`, accountId: ACCOUNT },
  'no userIdentity': undefined,
};

export const SOURCE_IPS: Record<string, string | undefined> = {
  'from 203.0.113.10': '203.0.113.10',
  'from 203.0.113.200': '203.0.113.200',
  'from 198.51.100.7': '198.51.100.7',
  'from 203.0.11.5 (prefix near miss)': '203.0.11.5',
  'from a service hostname': 'cloudformation.amazonaws.com',
  'without sourceIPAddress': undefined,
};

/** Includes a user agent with quotes and backslashes. */
export const NASTY_USER_AGENT = 'my "quoted" tool\\v1 && || } ) $.eventName = "x';

export const USER_AGENTS: Record<string, string | undefined> = {
  'with Terraform user agent': 'APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.40.0',
  'with aws-cli user agent': 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
  'with nasty user agent': NASTY_USER_AGENT,
  'with nasty user agent + 1 char': `${NASTY_USER_AGENT}!`,
  'without userAgent': undefined,
};


function common(eventName: string, eventSource: string): any {
  return {
    eventVersion: '1.09',
    eventTime: '2024-05-01T10:00:00Z',
    eventSource,
    eventName,
    awsRegion: 'us-east-1',
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
    requestParameters: null,
    responseElements: null,
  };
}

/** Records the control is about (before identity/IP/agent variation), and a few it is not about. */
export function baseRecords(control: CisControl): CorpusRecord[] {
  switch (control.key) {
    case 'unauthorized-api-calls':
      return [
        { name: 'DescribeInstances UnauthorizedOperation', record: { ...common('DescribeInstances', 'ec2.amazonaws.com'), errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' } },
        { name: 'GetObject AccessDenied', record: { ...common('GetObject', 's3.amazonaws.com'), errorCode: 'AccessDenied', errorMessage: 'Access Denied' } },
        { name: 'HeadBucket AccessDenied', record: { ...common('HeadBucket', 's3.amazonaws.com'), errorCode: 'AccessDenied' } },
        { name: 'DescribeInstances success', record: common('DescribeInstances', 'ec2.amazonaws.com') },
      ];
    case 'console-signin-without-mfa':
      return [
        { name: 'ConsoleLogin success without MFA', record: { ...common('ConsoleLogin', 'signin.amazonaws.com'), eventType: 'AwsConsoleSignIn', additionalEventData: { MFAUsed: 'No', MobileVersion: 'No' }, responseElements: { ConsoleLogin: 'Success' } } },
        { name: 'ConsoleLogin success with MFA', record: { ...common('ConsoleLogin', 'signin.amazonaws.com'), eventType: 'AwsConsoleSignIn', additionalEventData: { MFAUsed: 'Yes' }, responseElements: { ConsoleLogin: 'Success' } } },
      ];
    case 'root-account-usage':
      return [
        { name: 'root ListBuckets', record: common('ListBuckets', 's3.amazonaws.com') },
        { name: 'root ConsoleLogin', record: { ...common('ConsoleLogin', 'signin.amazonaws.com'), eventType: 'AwsConsoleSignIn', responseElements: { ConsoleLogin: 'Success' } } },
        { name: 'service event', record: { ...common('AssumeRole', 'sts.amazonaws.com'), eventType: 'AwsServiceEvent' } },
      ];
    case 'console-auth-failures':
      return [
        { name: 'ConsoleLogin failed authentication', record: { ...common('ConsoleLogin', 'signin.amazonaws.com'), eventType: 'AwsConsoleSignIn', errorMessage: 'Failed authentication', responseElements: { ConsoleLogin: 'Failure' } } },
        { name: 'ConsoleLogin success', record: { ...common('ConsoleLogin', 'signin.amazonaws.com'), eventType: 'AwsConsoleSignIn', responseElements: { ConsoleLogin: 'Success' } } },
      ];
    default: {
      const source = control.eventSource;
      if (!source) throw new Error(`corpus: no event source for ${control.key}`);
      return [
        ...control.eventNames.map(n => ({ name: n, record: common(n, source) })),
        { name: 'unrelated DescribeInstances', record: common('DescribeInstances', 'ec2.amazonaws.com') },
        { name: 'unrelated GetObject', record: common('GetObject', 's3.amazonaws.com') },
      ];
    }
  }
}

function withVariant(base: any, identity: any, ip: string | undefined, agent: string | undefined): any {
  const r = { ...base };
  if (identity !== undefined) r.userIdentity = identity;
  if (ip !== undefined) r.sourceIPAddress = ip;
  if (agent !== undefined) r.userAgent = agent;
  return r;
}

/**
 * The full corpus of one control: the first three base records crossed with
 * every identity x source IP x user agent; the other base records with a
 * smaller cross (every identity, first and last IP and agent).
 */
export function controlCorpus(control: CisControl): CorpusRecord[] {
  const out: CorpusRecord[] = [];
  const bases = baseRecords(control);
  const ids = Object.entries(IDENTITIES);
  const ips = Object.entries(SOURCE_IPS);
  const agents = Object.entries(USER_AGENTS);
  bases.forEach((b, i) => {
    const ipSet = i < 3 ? ips : [ips[0], ips[ips.length - 1]];
    const agentSet = i < 3 ? agents : [agents[0], agents[agents.length - 1]];
    for (const [idName, id] of ids) {
      for (const [ipName, ip] of ipSet) {
        for (const [agentName, agent] of agentSet) {
          out.push({ name: `${b.name} / ${idName} / ${ipName} / ${agentName}`, record: withVariant(b.record, id, ip, agent) });
        }
      }
    }
  });
  return out;
}
