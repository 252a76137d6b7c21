/**
 * Misuse from JavaScript and other jsii languages, where TypeScript's types
 * do not help: wrong types get an error naming the property and the type it
 * expects, and controls and versions from a second copy of the module (two
 * package versions in one node_modules) behave like the first.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CisAlarmTopic, CisBenchmarkVersion, CisControl, CisEventRules, CisInvestigationQueries, CisMonitoring, Exclusion } from '../src';

/** The package loaded a second time: its classes are different objects with the same keys. */
function secondCopy(): typeof import('../src') {
  let copy: typeof import('../src') | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    copy = require('../src');
  });
  return copy!;
}

const stack = () => new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
const alarmCount = (s: Stack) => Object.keys(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm')).length;

describe('a second copy of the module', () => {
  const other = secondCopy();
  test('really is a second copy', () => {
    expect(other.CisControl.VPC_CHANGES).not.toBe(CisControl.VPC_CHANGES);
    expect(other.CisControl.VPC_CHANGES.key).toBe('vpc-changes');
  });

  test('its controls are excluded, selected and overridden like ours', () => {
    const s = stack();
    const cis = new CisMonitoring(s, 'Cis', {
      emailAddresses: ['a@example.com'],
      benchmarkVersion: other.CisBenchmarkVersion.V5_0_0 as any,
      excludeControls: [other.CisControl.VPC_CHANGES as any],
      controlOverrides: [{ control: other.CisControl.ROOT_ACCOUNT_USAGE as any, threshold: 3 }],
      severityOverrides: [{ control: other.CisControl.NACL_CHANGES as any, severity: 'LOW' as any }],
      exclusions: [Exclusion.roleName('ci', { controls: [other.CisControl.IAM_POLICY_CHANGES as any] })],
    });
    expect(cis.benchmarkVersion).toBe(CisBenchmarkVersion.V5_0_0);
    expect(cis.controls.map(c => c.key)).not.toContain('vpc-changes');
    expect(cis.controls).toHaveLength(14);
    expect(alarmCount(s)).toBe(14 + 1); // one paging alarm for the excluded principal
    expect(cis.alarmFor(other.CisControl.ROOT_ACCOUNT_USAGE as any)).toBe(cis.alarmFor(CisControl.ROOT_ACCOUNT_USAGE));
    expect(cis.severityFor(CisControl.NACL_CHANGES)).toBe('LOW');
    expect(cis.pagingAlarmFor(CisControl.IAM_POLICY_CHANGES)).toBeDefined();
  });

  test('the standalone constructs take them too', () => {
    const s = stack();
    const topic = new CisAlarmTopic(s, 'T').topic;
    const rules = new CisEventRules(s, 'R', { topic, controls: [other.CisControl.ROOT_ACCOUNT_USAGE as any] });
    expect(rules.ruleFor(CisControl.ROOT_ACCOUNT_USAGE)).toBeDefined();
    const queries = new CisInvestigationQueries(s, 'Q', {
      logGroup: new logs.LogGroup(s, 'L'), controls: [other.CisControl.VPC_CHANGES as any], benchmarkVersion: other.CisBenchmarkVersion.V1_2_0 as any,
    });
    expect(queries.queryFor(CisControl.VPC_CHANGES)).toBeDefined();
    expect(queries.benchmarkVersion).toBe(CisBenchmarkVersion.V1_2_0);
  });
});

describe('wrong types get an error naming the property and the expected type', () => {
  test.each([
    ['logGroup as a string', { logGroup: 'aws-cloudtrail-logs' }, 'logGroup must be an ILogGroup (for example logs.LogGroup.fromLogGroupName(this, "Trail", "name")), got the string "aws-cloudtrail-logs".'],
    ['topic as an ARN string', { topic: 'arn:aws:sns:us-east-1:123456789012:t' }, 'topic must be an ITopic (for example sns.Topic.fromTopicArn(this, "Topic", "arn:...")), got the string "arn:aws:sns:us-east-1:123456789012:t".'],
    ['complianceTopic as a plain object', { complianceTopic: { topicArn: 'x' } }, 'complianceTopic must be an ITopic, got a plain object.'],
    ['a route topic as a string', { severityRoutes: [{ severity: 'HIGH', topic: 'pager' }] }, 'severityRoutes[0].topic must be an ITopic, got the string "pager".'],
    ['a control key string in controls', { controls: ['root-account-usage'] }, 'controls[0] must be a CisControl (for example CisControl.ROOT_ACCOUNT_USAGE), got the string "root-account-usage". Use CisControl.fromKey("root-account-usage").'],
    ['excludeControls not a list', { excludeControls: CisControl.VPC_CHANGES }, 'excludeControls must be a list of CisControl, got a CisControl.'],
    ['a version string', { benchmarkVersion: '5.0.0' }, 'benchmarkVersion must be a CisBenchmarkVersion (for example CisBenchmarkVersion.V7_0_0), got the string "5.0.0". Use CisBenchmarkVersion.of("5.0.0").'],
    ['an override without a control', { controlOverrides: [{ threshold: 2 }] }, 'controlOverrides[0].control must be a CisControl (for example CisControl.ROOT_ACCOUNT_USAGE), got undefined.'],
    ['an unknown scanner', { scanners: ['prowler'] }, 'scanners[0] is "prowler", not a Scanner. Use Scanner.SECURITY_HUB, Scanner.PROWLER, Scanner.STEAMPIPE, Scanner.CLOUDSPLOIT.'],
    ['props that are not an object', 'Cis', 'CisMonitoring props must be an object (CisMonitoringProps), got the string "Cis".'],
  ])('%s', (_n, props, message) => {
    expect(() => new CisMonitoring(stack(), 'Cis', props as any)).toThrow(message);
  });

  test('CisEventRules and CisInvestigationQueries without their required construct', () => {
    expect(() => new CisEventRules(stack(), 'R', { topic: 'arn:aws:sns:x' as any })).toThrow('CisEventRules needs topic: an ITopic');
    expect(() => new CisInvestigationQueries(stack(), 'Q', { logGroup: 'name' as any })).toThrow('CisInvestigationQueries needs logGroup: an ILogGroup');
  });

  test('a real topic and log group pass', () => {
    const s = stack();
    expect(() => new CisMonitoring(s, 'Cis', { topic: new sns.Topic(s, 'T'), emailAddresses: ['a@example.com'] })).not.toThrow();
  });
});
