import { FilterPatternEngine } from '../../src/filter-pattern';
import { requires, testIf } from '../support/requirements';

/**
 * Opt-in throughput check for the replay use case (timing-sensitive, so not
 * part of the default run): FILTER_PATTERN_BENCH=1 npx jest test/filter-pattern/benchmark
 *
 * Target: JSON.parse + 15 compiled patterns on each record runs at >= 0.7x the
 * rate of JSON.parse alone. Best-of-N timings reduce noise from other processes.
 */
const bench = testIf(requires.optIn('FILTER_PATTERN_BENCH', 'the filter-pattern throughput check'));

const orList = (field: string, names: string[]) => `{ ${names.map((n) => `($.${field} = ${n})`).join(' || ')} }`;
const PATTERNS = [
  '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }',
  '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
  '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
  '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
  orList('eventName', ['DeleteGroupPolicy', 'DeleteRolePolicy', 'DeleteUserPolicy', 'PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy', 'CreatePolicy',
    'DeletePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'AttachRolePolicy', 'DetachRolePolicy', 'AttachUserPolicy', 'DetachUserPolicy',
    'AttachGroupPolicy', 'DetachGroupPolicy']),
  orList('eventName', ['CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging']),
  '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
  '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }',
  '{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }',
  '{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }',
  orList('eventName', ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
    'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules']),
  orList('eventName', ['CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl', 'DeleteNetworkAclEntry', 'ReplaceNetworkAclEntry', 'ReplaceNetworkAclAssociation']),
  orList('eventName', ['CreateCustomerGateway', 'DeleteCustomerGateway', 'AttachInternetGateway', 'CreateInternetGateway', 'DeleteInternetGateway', 'DetachInternetGateway']),
  '{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }',
  '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }',
];

const NAMES = ['GetObject', 'PutObject', 'ListBuckets', 'DescribeInstances', 'AssumeRole', 'ConsoleLogin', 'PutRolePolicy', 'CreateRoute', 'Decrypt', 'HeadBucket'];
const SOURCES = ['s3.amazonaws.com', 'ec2.amazonaws.com', 'sts.amazonaws.com', 'signin.amazonaws.com', 'iam.amazonaws.com', 'kms.amazonaws.com'];

/** Synthetic CloudTrail-like records (~1 KB each) of a few different shapes. */
function lines(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r: Record<string, unknown> = {
      eventVersion: '1.09',
      userIdentity: {
        type: i % 13 === 0 ? 'Root' : 'AssumedRole',
        principalId: `AROAEXAMPLE${i}:session`,
        arn: `arn:aws:sts::111122223333:assumed-role/Role${i % 17}/session`,
        accountId: '111122223333',
        accessKeyId: `ASIAEXAMPLE${i}`,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: `arn:aws:iam::111122223333:role/Role${i % 17}`, accountId: '111122223333', userName: `Role${i % 17}` },
          attributes: { creationDate: '2024-07-31T12:00:00Z', mfaAuthenticated: 'false' },
        },
        ...(i % 5 === 0 ? { invokedBy: 'cloudformation.amazonaws.com' } : {}),
      },
      eventTime: '2024-07-31T12:46:41Z',
      eventSource: SOURCES[i % SOURCES.length],
      eventName: NAMES[i % NAMES.length],
      awsRegion: 'eu-west-1',
      sourceIPAddress: i % 9 === 0 ? 'delivery.logs.amazonaws.com' : `198.51.100.${i % 250}`,
      userAgent: 'aws-sdk-js/3.600.0 ua/2.0 os/linux lang/js md/nodejs#20',
      requestParameters: { bucketName: `bucket-${i % 31}`, Host: `bucket-${i % 31}.s3.eu-west-1.amazonaws.com`, key: `path/to/object-${i}.json` },
      responseElements: i % 4 === 0 ? null : { ConsoleLogin: 'Success' },
      requestID: `REQ${i}`,
      eventID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      readOnly: i % 2 === 0,
      eventType: i % 29 === 0 ? 'AwsServiceEvent' : 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: '111122223333',
      eventCategory: 'Management',
    };
    if (i % 7 === 0) r.errorCode = i % 14 === 0 ? 'AccessDenied' : 'Client.UnauthorizedOperation';
    if (i % 3 === 0) r.additionalEventData = { MFAUsed: 'No', LoginTo: 'https://console.aws.amazon.com' };
    out.push(JSON.stringify(r));
  }
  return out;
}

bench('JSON.parse + 15 CIS patterns runs at >= 0.7x the rate of JSON.parse alone', () => {
  const compiled = PATTERNS.map((p) => FilterPatternEngine.parse(p));
  const input = lines(20000);
  let sink = 0;
  const parseOnly = () => {
    for (const l of input) sink += (JSON.parse(l) as { eventName: string }).eventName.length;
  };
  const parseAndMatch = () => {
    for (const l of input) {
      const r = JSON.parse(l);
      for (const p of compiled) if (p.matchesRecord(r)) sink++;
    }
  };
  const time = (f: () => void) => {
    const start = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - start);
  };
  for (let i = 0; i < 3; i++) {
    parseOnly();
    parseAndMatch();
  }
  let bestParse = Infinity;
  let bestBoth = Infinity;
  for (let i = 0; i < 9; i++) {
    bestParse = Math.min(bestParse, time(parseOnly));
    bestBoth = Math.min(bestBoth, time(parseAndMatch));
  }
  const ratio = bestParse / bestBoth;
  // eslint-disable-next-line no-console
  console.log(`rate ratio ${ratio.toFixed(3)} (parse ${(bestParse / input.length).toFixed(0)} ns/record, parse+match ${(bestBoth / input.length).toFixed(0)} ns/record)`);
  expect(sink).toBeGreaterThan(0);
  expect(ratio).toBeGreaterThanOrEqual(0.7);
});
