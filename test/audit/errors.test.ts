/**
 * Mapping of AWS SDK v3 errors to audit exit codes and messages, with errors
 * built the way the SDK builds them.
 */
import { CloudTrailServiceException } from '@aws-sdk/client-cloudtrail';
import { AccessDeniedException, UnrecognizedClientException } from '@aws-sdk/client-cloudwatch-logs';
import { AuthorizationErrorException } from '@aws-sdk/client-sns';
import { AUDIT_EXIT_CODES, classifyAwsError } from '../../src/audit/errors';

const CTX = { region: 'eu-west-1', profile: 'audit' };

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  const e = new Error(message);
  e.name = name;
  return Object.assign(e, extra);
}

function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -111, syscall: 'connect', $metadata: { attempts: 3 } });
}

describe('classifyAwsError', () => {
  test.each([
    ['no credentials in the chain', named('CredentialsProviderError', 'Could not load credentials from any providers'), AUDIT_EXIT_CODES.CREDENTIALS,
      /^No usable AWS credentials \(profile "audit"\): Could not load credentials from any providers\. Pass --profile, set AWS_PROFILE/],
    ['an unknown profile', named('CredentialsProviderError', 'Could not resolve credentials using profile: [audit] in configuration/credentials file(s).'),
      AUDIT_EXIT_CODES.CREDENTIALS, /^No usable AWS credentials/],
    ['an unknown access key (JSON service)', new UnrecognizedClientException({ $metadata: { httpStatusCode: 400 }, message: 'The security token included in the request is invalid.' }),
      AUDIT_EXIT_CODES.CREDENTIALS, /^AWS rejected the credentials \(profile "audit"\) on logs:DescribeMetricFilters \(UnrecognizedClientException: The security token/],
    ['an unknown access key (query service)', named('InvalidClientTokenId', 'The security token included in the request is invalid.'), AUDIT_EXIT_CODES.CREDENTIALS, /InvalidClientTokenId/],
    ['a bad secret', new CloudTrailServiceException({ name: 'InvalidSignatureException', $fault: 'client', $metadata: {}, message: 'The request signature we calculated does not match' }),
      AUDIT_EXIT_CODES.CREDENTIALS, /InvalidSignatureException/],
    ['an expired session token', named('ExpiredTokenException', 'The security token included in the request is expired'), AUDIT_EXIT_CODES.CREDENTIALS, /refresh them/],
    ['AccessDeniedException', new AccessDeniedException({ $metadata: { httpStatusCode: 400 }, message: 'User: arn:aws:iam::1:user/x is not authorized to perform: logs:DescribeMetricFilters' }),
      AUDIT_EXIT_CODES.ACCESS_DENIED, /^Access denied on logs:DescribeMetricFilters \(profile "audit"\) \(AccessDeniedException: User: .*SecurityAudit managed policy/],
    ['SNS AuthorizationError', new AuthorizationErrorException({ $metadata: { httpStatusCode: 403 }, message: 'not authorized to perform: SNS:ListSubscriptionsByTopic' }),
      AUDIT_EXIT_CODES.ACCESS_DENIED, /AuthorizationErrorException/],
    ['connection refused', networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:4566'), AUDIT_EXIT_CODES.UNREACHABLE,
      /^Cannot reach the logs endpoint of eu-west-1 for logs:DescribeMetricFilters \(ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:4566\)\. Check --region/],
    ['DNS failure', networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND logs.mars-1.amazonaws.com'), AUDIT_EXIT_CODES.UNREACHABLE, /ENOTFOUND/],
    ['a wrapped network error', named('Error', 'AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1'), AUDIT_EXIT_CODES.UNREACHABLE,
      /\(ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:1\)/],
    ['a timeout', named('TimeoutError', 'Connection timed out after 1000 ms'), AUDIT_EXIT_CODES.UNREACHABLE, /TimeoutError/],
    ['no region', named('Error', 'Region is missing'), AUDIT_EXIT_CODES.BAD_INPUT, /^No valid AWS region for logs:DescribeMetricFilters: Region is missing\. Pass --region/],
    ['anything else', new CloudTrailServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }),
      AUDIT_EXIT_CODES.ERROR, /^logs:DescribeMetricFilters failed with HTTP 400 \(ThrottlingException: Rate exceeded\)\.$/],
  ])('%s', (_label, error, exitCode, message) => {
    const failure = classifyAwsError(error, 'logs:DescribeMetricFilters', CTX);
    expect(failure.exitCode).toBe(exitCode);
    expect(failure.message).toMatch(message);
  });

  test('names the endpoint override when one is set', () => {
    const failure = classifyAwsError(networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'), 'sns:ListSubscriptionsByTopic', { endpoint: 'http://127.0.0.1:9' });
    expect(failure.message).toMatch(/^Cannot reach endpoint http:\/\/127\.0\.0\.1:9 for sns:ListSubscriptionsByTopic/);
  });

  test('exit codes are distinct', () => {
    const codes = Object.values(AUDIT_EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
