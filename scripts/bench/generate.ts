/**
 * Synthetic but realistic CloudTrail management events for the replay
 * benchmark. Written from scratch (no corpus data): a mix of the read-heavy
 * traffic a real account produces, ordinary writes, the CIS-relevant calls
 * (a few percent), console sign-ins, root usage and ~3 % access errors.
 *
 * Deterministic: the same seed gives the same events.
 */
import * as fs from 'fs';

/** Park-Miller PRNG: deterministic, no dependency. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed % 2147483647 || 1;
  }
  public next(): number {
    this.state = (this.state * 48271) % 2147483647;
    return this.state / 2147483647;
  }
  public int(n: number): number {
    return Math.floor(this.next() * n);
  }
  public pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  public hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  public uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${'89ab'[this.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }
}

interface ApiTemplate {
  readonly source: string;
  readonly name: string;
  readonly readOnly: boolean;
  /** Relative frequency. */
  readonly weight: number;
  readonly params?: (r: Rng) => unknown;
  readonly response?: (r: Rng) => unknown;
}

const ACCOUNTS = ['111122223333', '444455556666', '777788889999'];
const REGIONS = ['us-east-1', 'us-east-1', 'us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2'];
const AGENTS = [
  'aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/ec2.describe-instances',
  'aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.150.0',
  'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.210 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69',
  'aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.213 lang/js md/nodejs#20.11.1 api/s3#3.540.0',
  'console.amazonaws.com',
  'Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3',
  'AWS Internal',
];

const sg = (r: Rng): string => `sg-0${r.hex(16)}`;
const vpc = (r: Rng): string => `vpc-0${r.hex(16)}`;
const bucket = (r: Rng): string => r.pick(['app-assets-prod', 'logs-archive-111122223333', 'terraform-state-eu', 'data-lake-raw', 'cdk-hnb659fds-assets']);
const ip4 = (r: Rng): string => `${1 + r.int(223)}.${r.int(256)}.${r.int(256)}.${r.int(256)}`;

const APIS: readonly ApiTemplate[] = [
  // read-heavy everyday traffic
  { source: 'ec2.amazonaws.com', name: 'DescribeInstances', readOnly: true, weight: 120, params: r => ({ instancesSet: {}, filterSet: { items: [{ name: 'vpc-id', valueSet: { items: [{ value: vpc(r) }] } }] } }) },
  { source: 'ec2.amazonaws.com', name: 'DescribeSecurityGroups', readOnly: true, weight: 60, params: r => ({ securityGroupSet: { items: [{ groupId: sg(r) }] }, securityGroupIdSet: {}, filterSet: {} }) },
  { source: 'ec2.amazonaws.com', name: 'DescribeVolumes', readOnly: true, weight: 40, params: () => ({ volumeSet: {}, filterSet: {}, maxResults: 500 }) },
  { source: 's3.amazonaws.com', name: 'ListBuckets', readOnly: true, weight: 30, params: r => ({ Host: `s3.${r.pick(REGIONS)}.amazonaws.com` }) },
  { source: 's3.amazonaws.com', name: 'GetBucketAcl', readOnly: true, weight: 40, params: r => ({ bucketName: bucket(r), Host: `${bucket(r)}.s3.amazonaws.com`, acl: '' }) },
  { source: 's3.amazonaws.com', name: 'HeadBucket', readOnly: true, weight: 10, params: r => ({ bucketName: bucket(r), Host: `${bucket(r)}.s3.amazonaws.com` }) },
  { source: 'sts.amazonaws.com', name: 'AssumeRole', readOnly: true, weight: 120, params: r => ({ roleArn: `arn:aws:iam::${r.pick(ACCOUNTS)}:role/${r.pick(['deploy', 'ReadOnly', 'lambda-exec', 'ecs-task'])}`, roleSessionName: `session-${r.hex(8)}`, durationSeconds: 3600 }), response: r => ({ credentials: { accessKeyId: `ASIA${r.hex(16).toUpperCase()}`, sessionToken: r.hex(64), expiration: 'Mar 1, 2024, 11:00:00 AM' }, assumedRoleUser: { assumedRoleId: `AROA${r.hex(16).toUpperCase()}:session`, arn: 'arn:aws:sts::111122223333:assumed-role/deploy/session' } }) },
  { source: 'sts.amazonaws.com', name: 'GetCallerIdentity', readOnly: true, weight: 30 },
  { source: 'kms.amazonaws.com', name: 'Decrypt', readOnly: true, weight: 150, params: r => ({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { 'aws:lambda:FunctionArn': `arn:aws:lambda:us-east-1:111122223333:function:fn-${r.hex(4)}` } }) },
  { source: 'kms.amazonaws.com', name: 'GenerateDataKey', readOnly: true, weight: 80, params: r => ({ keyId: `arn:aws:kms:us-east-1:111122223333:key/${r.uuid()}`, keySpec: 'AES_256' }) },
  { source: 'logs.amazonaws.com', name: 'DescribeLogGroups', readOnly: true, weight: 30, params: () => ({ limit: 50 }) },
  { source: 'monitoring.amazonaws.com', name: 'DescribeAlarms', readOnly: true, weight: 30, params: () => ({ maxRecords: 100 }) },
  { source: 'iam.amazonaws.com', name: 'ListRoles', readOnly: true, weight: 20, params: () => ({ maxItems: 100 }) },
  { source: 'iam.amazonaws.com', name: 'GetRole', readOnly: true, weight: 20, params: r => ({ roleName: r.pick(['deploy', 'ReadOnly', 'lambda-exec']) }) },
  { source: 'lambda.amazonaws.com', name: 'ListFunctions20150331', readOnly: true, weight: 20 },
  { source: 'cloudtrail.amazonaws.com', name: 'LookupEvents', readOnly: true, weight: 5 },
  // ordinary writes
  { source: 'ec2.amazonaws.com', name: 'RunInstances', readOnly: false, weight: 6, params: r => ({ instancesSet: { items: [{ imageId: `ami-0${r.hex(16)}`, minCount: 1, maxCount: 1 }] }, instanceType: r.pick(['t3.micro', 'm6i.large', 'c7g.xlarge']), blockDeviceMapping: {}, monitoring: { enabled: false }, disableApiTermination: false, clientToken: r.uuid() }) },
  { source: 'ec2.amazonaws.com', name: 'CreateTags', readOnly: false, weight: 10, params: r => ({ resourcesSet: { items: [{ resourceId: `i-0${r.hex(16)}` }] }, tagSet: { items: [{ key: 'Name', value: `web-${r.hex(4)}` }] } }) },
  { source: 'logs.amazonaws.com', name: 'CreateLogStream', readOnly: false, weight: 25, params: r => ({ logGroupName: `/aws/lambda/fn-${r.hex(4)}`, logStreamName: `2024/03/01/[$LATEST]${r.hex(32)}` }) },
  { source: 'lambda.amazonaws.com', name: 'UpdateFunctionConfiguration20150331v2', readOnly: false, weight: 3, params: r => ({ functionName: `fn-${r.hex(4)}`, memorySize: 512 }) },
  { source: 's3.amazonaws.com', name: 'PutBucketTagging', readOnly: false, weight: 3, params: r => ({ bucketName: bucket(r), tagging: '' }) },
  { source: 'ssm.amazonaws.com', name: 'PutParameter', readOnly: false, weight: 3, params: r => ({ name: `/app/${r.hex(6)}`, type: 'SecureString', overwrite: true }) },
  // CIS-relevant calls (a few percent in all)
  { source: 'ec2.amazonaws.com', name: 'AuthorizeSecurityGroupIngress', readOnly: false, weight: 4, params: r => ({ groupId: sg(r), ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, groups: {}, ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }] } }] } }) },
  { source: 'ec2.amazonaws.com', name: 'RevokeSecurityGroupEgress', readOnly: false, weight: 1, params: r => ({ groupId: sg(r) }) },
  { source: 'ec2.amazonaws.com', name: 'ModifySecurityGroupRules', readOnly: false, weight: 1, params: r => ({ ModifySecurityGroupRulesRequest: { GroupId: sg(r) } }) },
  { source: 'ec2.amazonaws.com', name: 'CreateRoute', readOnly: false, weight: 1, params: r => ({ routeTableId: `rtb-0${r.hex(16)}`, destinationCidrBlock: '0.0.0.0/0', gatewayId: `igw-0${r.hex(16)}` }) },
  { source: 'ec2.amazonaws.com', name: 'CreateNetworkAclEntry', readOnly: false, weight: 1, params: r => ({ networkAclId: `acl-0${r.hex(16)}`, ruleNumber: 100, egress: false, ruleAction: 'allow' }) },
  { source: 'ec2.amazonaws.com', name: 'AttachInternetGateway', readOnly: false, weight: 0.3, params: r => ({ internetGatewayId: `igw-0${r.hex(16)}`, vpcId: vpc(r) }) },
  { source: 'ec2.amazonaws.com', name: 'CreateVpc', readOnly: false, weight: 0.3, params: () => ({ cidrBlock: '10.1.0.0/16' }) },
  { source: 'ec2.amazonaws.com', name: 'ModifyVpcAttribute', readOnly: false, weight: 0.5, params: r => ({ vpcId: vpc(r), enableDnsHostnames: { value: true } }) },
  { source: 's3.amazonaws.com', name: 'PutBucketPolicy', readOnly: false, weight: 1, params: r => ({ bucketName: bucket(r), policy: '' }) },
  { source: 's3.amazonaws.com', name: 'PutBucketAcl', readOnly: false, weight: 0.5, params: r => ({ bucketName: bucket(r), acl: '' }) },
  { source: 'iam.amazonaws.com', name: 'AttachRolePolicy', readOnly: false, weight: 1, params: r => ({ roleName: r.pick(['deploy', 'lambda-exec']), policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }) },
  { source: 'iam.amazonaws.com', name: 'PutRolePolicy', readOnly: false, weight: 1, params: r => ({ roleName: r.pick(['deploy', 'lambda-exec']), policyName: `inline-${r.hex(4)}` }) },
  { source: 'iam.amazonaws.com', name: 'CreatePolicyVersion', readOnly: false, weight: 0.3, params: r => ({ policyArn: `arn:aws:iam::111122223333:policy/app-${r.hex(4)}`, setAsDefault: true }) },
  { source: 'kms.amazonaws.com', name: 'ScheduleKeyDeletion', readOnly: false, weight: 0.1, params: r => ({ keyId: r.uuid(), pendingWindowInDays: 30 }) },
  { source: 'kms.amazonaws.com', name: 'DisableKey', readOnly: false, weight: 0.1, params: r => ({ keyId: r.uuid() }) },
  { source: 'config.amazonaws.com', name: 'PutConfigurationRecorder', readOnly: false, weight: 0.2 },
  { source: 'cloudtrail.amazonaws.com', name: 'UpdateTrail', readOnly: false, weight: 0.2, params: () => ({ name: 'main', isMultiRegionTrail: true }) },
  { source: 'cloudtrail.amazonaws.com', name: 'StopLogging', readOnly: false, weight: 0.05, params: () => ({ name: 'main' }) },
  { source: 'organizations.amazonaws.com', name: 'CreateAccount', readOnly: false, weight: 0.05, params: r => ({ accountName: `sandbox-${r.hex(4)}`, email: '***' }) },
];

interface Principal {
  readonly identity: Record<string, unknown>;
  readonly console: boolean;
}

function principals(r: Rng): Principal[] {
  const out: Principal[] = [];
  for (let i = 0; i < 60; i++) {
    const account = r.pick(ACCOUNTS);
    const user = `${r.pick(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ci', 'svc'])}-${i}`;
    out.push({
      console: i % 5 === 0,
      identity: { type: 'IAMUser', principalId: `AIDA${r.hex(16).toUpperCase()}`, arn: `arn:aws:iam::${account}:user/${user}`, accountId: account, accessKeyId: `AKIA${r.hex(16).toUpperCase()}`, userName: user },
    });
  }
  for (let i = 0; i < 140; i++) {
    const account = r.pick(ACCOUNTS);
    const role = r.pick(['deploy', 'ReadOnly', 'lambda-exec', 'ecs-task', 'AWSReservedSSO_Admin_0123456789abcdef', 'github-actions']);
    const roleId = `AROA${r.hex(16).toUpperCase()}`;
    const session = `session-${r.hex(6)}`;
    out.push({
      console: role.startsWith('AWSReservedSSO'),
      identity: {
        type: 'AssumedRole',
        principalId: `${roleId}:${session}`,
        arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
        accountId: account,
        accessKeyId: `ASIA${r.hex(16).toUpperCase()}`,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${account}:role/${role}`, accountId: account, userName: role },
          attributes: { creationDate: '2024-03-01T09:12:44Z', mfaAuthenticated: 'false' },
        },
      },
    });
  }
  return out;
}

/** Generates `count` CloudTrail records. */
export function* generateEvents(count: number, seed: number): Generator<Record<string, unknown>> {
  const r = new Rng(seed);
  const people = principals(r);
  const totalWeight = APIS.reduce((n, a) => n + a.weight, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const a of APIS) cumulative.push((acc += a.weight));
  const start = Date.parse('2024-03-01T00:00:00Z');
  const span = 7 * 86_400_000; // a week of activity
  for (let i = 0; i < count; i++) {
    // mostly increasing event time, with the jitter of CloudTrail's per-file delivery
    const time = new Date(start + Math.floor((i / count) * span) + (r.int(600_000) - 300_000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const region = r.pick(REGIONS);
    const p = r.pick(people);
    const dice = r.next();
    let rec: Record<string, unknown>;
    if (dice < 0.004) {
      rec = consoleLogin(r, p, time, region);
    } else {
      const x = r.next() * totalWeight;
      let k = 0;
      while (cumulative[k] < x) k++;
      const api = APIS[k];
      const root = dice < 0.0045;
      const identity = root
        ? { type: 'Root', principalId: p.identity.accountId, arn: `arn:aws:iam::${p.identity.accountId}:root`, accountId: p.identity.accountId, accessKeyId: `ASIA${r.hex(16).toUpperCase()}` }
        : p.identity;
      rec = {
        eventVersion: '1.09',
        userIdentity: identity,
        eventTime: time,
        eventSource: api.source,
        eventName: api.name,
        awsRegion: region,
        sourceIPAddress: r.next() < 0.1 ? `${api.source}` : ip4(r),
        userAgent: r.pick(AGENTS),
        requestParameters: api.params ? api.params(r) : null,
        responseElements: api.response ? api.response(r) : null,
        requestID: r.uuid(),
        eventID: r.uuid(),
        readOnly: api.readOnly,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: identity.accountId,
        eventCategory: 'Management',
        tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${api.source.split('.')[0]}.${region}.amazonaws.com` },
      };
      const err = r.next();
      if (err < 0.03) {
        // ~3 % access errors, as EC2 and the other services spell them
        rec.errorCode = api.source === 'ec2.amazonaws.com' ? 'Client.UnauthorizedOperation' : 'AccessDenied';
        rec.errorMessage = `User: ${String(identity.arn)} is not authorized to perform: ${api.source.split('.')[0]}:${api.name} because no identity-based policy allows the action`;
        rec.responseElements = null;
      } else if (err < 0.033) {
        rec.errorCode = 'ThrottlingException';
        rec.errorMessage = 'Rate exceeded';
      }
    }
    yield rec;
  }
}

function consoleLogin(r: Rng, p: Principal, time: string, region: string): Record<string, unknown> {
  const failed = r.next() < 0.15;
  const mfa = r.next() < 0.7 ? 'Yes' : 'No';
  return {
    eventVersion: '1.09',
    userIdentity: p.identity,
    eventTime: time,
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: region,
    sourceIPAddress: ip4(r),
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36',
    requestParameters: null,
    responseElements: { ConsoleLogin: failed ? 'Failure' : 'Success' },
    ...(failed ? { errorMessage: 'Failed authentication' } : {}),
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: mfa },
    eventID: r.uuid(),
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    managementEvent: true,
    recipientAccountId: p.identity.accountId,
    eventCategory: 'Management',
  };
}

/** Writes text to a file stream with back-pressure. */
export class BufferedWriter {
  private readonly stream: fs.WriteStream;
  private pending: string[] = [];
  private size = 0;
  constructor(file: string) {
    this.stream = fs.createWriteStream(file);
  }
  public async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= 4_194_304) await this.flush();
  }
  public async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise<void>(resolve => this.stream.once('drain', () => resolve()));
  }
  public async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}
