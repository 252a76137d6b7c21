import { cloudTrailEvent, InvalidEventPatternError, matches } from '../support/event-pattern-matcher';

/*
 * The matcher is checked against the examples AWS documents, with the result
 * the documentation states:
 * - EventBridge user guide, "Amazon EventBridge event patterns" / "Event pattern syntax"
 *   (EC2 state-change example; "the event must contain all the field names listed in the pattern").
 * - "Content filtering in Amazon EventBridge event patterns" and "Comparison operators
 *   for use in event patterns" (prefix, suffix, equals-ignore-case, wildcard, anything-but
 *   incl. prefix/suffix/wildcard, numeric, IP address, exists, $or, empty, null).
 * - "Matching null values and empty strings" (autoscaling example).
 * - "Matching on multiple field values" (arrays: intersection is non-empty).
 * - aws/event-ruler README (the engine behind EventBridge): its sample EC2 event and
 *   rules, $or examples, and the array-consistency example (employees).
 */

/** aws/event-ruler README sample event (also used throughout the EventBridge guide). */
const RULER_EVENT = {
  'version': '0',
  'id': 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  'source': 'aws.ec2',
  'account': '012345679012',
  'time': '2017-10-02T16:24:49Z',
  'region': 'us-east-1',
  'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  'detail': {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    'state': 'running',
  },
};

function withDetail(detail: Record<string, unknown>): any {
  return { ...RULER_EVENT, detail: { ...RULER_EVENT.detail, ...detail } };
}

describe('EventBridge user guide: event patterns', () => {
  const ec2Event = {
    'version': '0',
    'id': '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'EC2 Instance State-change Notification',
    'source': 'aws.ec2',
    'account': '111122223333',
    'time': '2017-12-22T18:43:48Z',
    'region': 'us-west-1',
    'resources': ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
    'detail': { 'instance-id': 'i-1234567890abcdef0', 'state': 'terminated' },
  };
  const pattern = { 'source': ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], 'detail': { state: ['terminated'] } };

  test('the instance-termination pattern matches the terminated event', () => {
    expect(matches(pattern, ec2Event)).toBe(true);
  });
  test('...and not another state, source or detail-type', () => {
    expect(matches(pattern, { ...ec2Event, detail: { ...ec2Event.detail, state: 'running' } })).toBe(false);
    expect(matches(pattern, { ...ec2Event, source: 'aws.fargate' })).toBe(false);
    expect(matches(pattern, { ...ec2Event, 'detail-type': 'Other' })).toBe(false);
  });
  test('values in a field\'s array are ORed (source aws.ec2 or aws.fargate)', () => {
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, ec2Event)).toBe(true);
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, { ...ec2Event, source: 'aws.fargate' })).toBe(true);
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, { ...ec2Event, source: 'aws.s3' })).toBe(false);
  });
  test('the event must contain every field the pattern names', () => {
    expect(matches({ detail: { missing: ['x'] } }, ec2Event)).toBe(false);
  });
  test('matching is case-sensitive and character-exact', () => {
    expect(matches({ detail: { state: ['Terminated'] } }, ec2Event)).toBe(false);
  });
});

describe('aws/event-ruler README: rules against the sample event', () => {
  test('simple matching: resources, detail-type and state in [initializing, running]', () => {
    expect(matches({
      'detail-type': ['EC2 Instance State-change Notification'],
      'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
      'detail': { state: ['initializing', 'running'] },
    }, RULER_EVENT)).toBe(true);
    expect(matches({ detail: { state: ['initializing'] } }, RULER_EVENT)).toBe(false);
  });
  test('prefix: time starts with 2017-10-02', () => {
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, RULER_EVENT)).toBe(true);
    expect(matches({ time: [{ prefix: '2017-10-03' }] }, RULER_EVENT)).toBe(false);
  });
  test('suffix: source ends with ec2', () => {
    expect(matches({ source: [{ suffix: 'ec2' }] }, RULER_EVENT)).toBe(true);
    expect(matches({ source: [{ suffix: 'EC2' }] }, RULER_EVENT)).toBe(false);
  });
  test('equals-ignore-case: source EC2 does not equal aws.ec2, AWS.EC2 does', () => {
    expect(matches({ source: [{ 'equals-ignore-case': 'EC2' }] }, RULER_EVENT)).toBe(false);
    expect(matches({ source: [{ 'equals-ignore-case': 'AWS.EC2' }] }, RULER_EVENT)).toBe(true);
  });
  test('wildcard: Simple*Service', () => {
    expect(matches({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleNotificationService' })).toBe(true);
    expect(matches({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleService' })).toBe(true);
    expect(matches({ source: [{ wildcard: 'Simple*Service' }] }, RULER_EVENT)).toBe(false);
    expect(matches({ source: [{ wildcard: 'aws.*' }] }, RULER_EVENT)).toBe(true);
  });
  test('wildcard escapes: \\* is a star, \\\\ a backslash', () => {
    expect(matches({ f: [{ wildcard: 'a\\*b' }] }, { f: 'a*b' })).toBe(true);
    expect(matches({ f: [{ wildcard: 'a\\*b' }] }, { f: 'axb' })).toBe(false);
    expect(matches({ f: [{ wildcard: 'a\\\\b' }] }, { f: 'a\\b' })).toBe(true);
  });
  test('anything-but with a string, a number, and lists of either', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, RULER_EVENT)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': 'running' }] } }, RULER_EVENT)).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, RULER_EVENT)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, RULER_EVENT)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } }, RULER_EVENT)).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, RULER_EVENT)).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 301.8] }] } }, RULER_EVENT)).toBe(false);
  });
  test('anything-but prefix: state does not start with init', () => {
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, RULER_EVENT)).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, withDetail({ state: 'initializing' }))).toBe(false);
  });
  test('numeric: c-count in (0, 5], d-count < 10, x-limit = 3.018e2', () => {
    const p = { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } };
    expect(matches(p, RULER_EVENT)).toBe(true);
    expect(matches(p, withDetail({ 'c-count': 6 }))).toBe(false);
    expect(matches(p, withDetail({ 'c-count': 0 }))).toBe(false);
    expect(matches(p, withDetail({ 'd-count': 10 }))).toBe(false);
    // numeric matching works on JSON numbers only
    expect(matches(p, withDetail({ 'c-count': '5' }))).toBe(false);
  });
  test('IP address matching: 10.0.0.0/24 and 10.0.0.0/8 contain 10.0.0.33', () => {
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, RULER_EVENT)).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, RULER_EVENT)).toBe(false);
    expect(matches({ detail: { 'source-ip': [{ cidr: '2001:db8::/32' }] } }, { detail: { 'source-ip': '2001:db8:0:1::5' } })).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '2001:db8::/32' }] } }, { detail: { 'source-ip': '2001:db9::5' } })).toBe(false);
  });
  test('exists: c-count present; exists false does not match it', () => {
    expect(matches({ detail: { 'c-count': [{ exists: true }] } }, RULER_EVENT)).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, RULER_EVENT)).toBe(false);
  });
  test('complex example: prefix, anything-but, numeric and cidr together', () => {
    const p = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        'state': [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expect(matches(p, RULER_EVENT)).toBe(true);
    expect(matches(p, withDetail({ 'source-ip': '11.0.0.1' }))).toBe(false);
    expect(matches(p, withDetail({ 'x-limit': 200 }))).toBe(false);
  });
});

describe('EventBridge user guide: exists matching', () => {
  const pending = {
    'version': '0',
    'id': '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'EC2 Instance State-change Notification',
    'source': 'aws.ec2',
    'account': '123456789012',
    'time': '2015-11-11T21:29:54Z',
    'region': 'us-east-1',
    'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
    'detail': { 'instance-id': 'i-abcd1111', 'state': 'pending' },
  };
  const withCountObject = {
    'detail-type': ['EC2 Instance State-change Notification'],
    'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
    'detail': { 'c-count': { c1: 100 } },
  };
  test('exists true on detail.state matches the pending event, not one without state', () => {
    expect(matches({ detail: { state: [{ exists: true }] } }, pending)).toBe(true);
    expect(matches({ detail: { state: [{ exists: true }] } }, withCountObject)).toBe(false);
  });
  test('exists false on detail.c-count matches an event without it', () => {
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, { detail: { state: ['initializing', 'running'] } })).toBe(true);
  });
  test('exists works on leaf nodes only: an object-valued c-count still "does not exist"', () => {
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, withCountObject)).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: true }] } }, withCountObject)).toBe(false);
  });
  test('anything-but does not match an absent field (only exists:false does)', () => {
    expect(matches({ detail: { missing: [{ 'anything-but': 'x' }] } }, pending)).toBe(false);
    expect(matches({ detail: { missing: [{ 'anything-but': { prefix: 'x' } }] } }, pending)).toBe(false);
  });
});

describe('EventBridge user guide: comparison operator table', () => {
  test('anything-but suffix: FileName does not end with .png', () => {
    const p = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
    expect(matches(p, { FileName: 'a.jpg' })).toBe(true);
    expect(matches(p, { FileName: 'a.png' })).toBe(false);
  });
  test('anything-but prefix: Region is not in the US', () => {
    const p = { Region: [{ 'anything-but': { prefix: 'us-' } }] };
    expect(matches(p, { Region: 'eu-west-1' })).toBe(true);
    expect(matches(p, { Region: 'us-east-1' })).toBe(false);
  });
  test('anything-but wildcard: FilePath does not include /lib/', () => {
    const p = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matches(p, { FilePath: '/usr/bin/x' })).toBe(true);
    expect(matches(p, { FilePath: '/usr/lib/x' })).toBe(false);
  });
  test('anything-but equals-ignore-case: state is not initializing in any casing', () => {
    const p = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(matches(p, { state: 'INITIALIZING' })).toBe(false);
    expect(matches(p, { state: 'running' })).toBe(true);
  });
  test('prefix and suffix with equals-ignore-case', () => {
    expect(matches({ service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] }, { service: 'EventBridge' })).toBe(true);
    expect(matches({ service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] }, { service: 'EVENTBRIDGE' })).toBe(true);
    expect(matches({ service: [{ prefix: 'eventb' }] }, { service: 'EventBridge' })).toBe(false);
  });
  test('wildcard: any .png file within the folder dir', () => {
    const p = { EventBusArn: [{ wildcard: 'dir/*.png' }] };
    expect(matches(p, { EventBusArn: 'dir/a/b.png' })).toBe(true);
    expect(matches(p, { EventBusArn: 'other/b.png' })).toBe(false);
  });
  test('empty: LastName is empty; equals: Name is Alice; null: UserID is null', () => {
    expect(matches({ LastName: [''] }, { LastName: '' })).toBe(true);
    expect(matches({ LastName: [''] }, { LastName: 'Doe' })).toBe(false);
    expect(matches({ Name: ['Alice'] }, { Name: 'Alice' })).toBe(true);
    expect(matches({ UserID: [null] }, { UserID: null })).toBe(true);
    expect(matches({ UserID: [null] }, {})).toBe(false);
  });
  test('numeric: Price is 100; Price > 10 and <= 20', () => {
    expect(matches({ Price: [{ numeric: ['=', 100] }] }, { Price: 100 })).toBe(true);
    expect(matches({ Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 20 })).toBe(true);
    expect(matches({ Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 10 })).toBe(false);
  });
  test('or: PaymentType is Credit or Debit', () => {
    expect(matches({ PaymentType: ['Credit', 'Debit'] }, { PaymentType: 'Debit' })).toBe(true);
    expect(matches({ PaymentType: ['Credit', 'Debit'] }, { PaymentType: 'Cash' })).toBe(false);
  });
  test('$or: Location is New York, or Day is Monday', () => {
    const p = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };
    expect(matches(p, { Location: 'New York', Day: 'Friday' })).toBe(true);
    expect(matches(p, { Location: 'Boston', Day: 'Monday' })).toBe(true);
    expect(matches(p, { Location: 'Boston', Day: 'Friday' })).toBe(false);
  });
});

describe('EventBridge user guide: null values and empty strings', () => {
  const autoscaling = {
    'version': '0',
    'id': '3e3c153a-8339-4e30-8c35-687ebef853fe',
    'detail-type': 'EC2 Instance Launch Successful',
    'source': 'aws.autoscaling',
    'account': '123456789012',
    'time': '2015-11-11T21:31:47Z',
    'region': 'us-east-1',
    'resources': [],
    'detail': { eventVersion: '', responseElements: null },
  };
  test('[""] matches the empty eventVersion, [null] the null responseElements', () => {
    expect(matches({ detail: { eventVersion: [''] } }, autoscaling)).toBe(true);
    expect(matches({ detail: { responseElements: [null] } }, autoscaling)).toBe(true);
  });
  test('null and empty string are not interchangeable', () => {
    expect(matches({ detail: { eventVersion: [null] } }, autoscaling)).toBe(false);
    expect(matches({ detail: { responseElements: [''] } }, autoscaling)).toBe(false);
  });
});

describe('EventBridge user guide: arrays', () => {
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };
  test('matches when pattern array and event array intersect', () => {
    expect(matches(pattern, {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    })).toBe(true);
  });
  test('does not match when they do not', () => {
    expect(matches(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] })).toBe(false);
  });
});

describe('aws/event-ruler README: $or and array consistency', () => {
  test('"source" && ("metricName" || "namespace")', () => {
    const p = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matches(p, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matches(p, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matches(p, { source: 'aws.cloudwatch', metricName: 'Other', namespace: 'AWS/S3' })).toBe(false);
    expect(matches(p, { source: 'aws.ec2', metricName: 'ReadLatency' })).toBe(false);
  });
  test('parallel $or at two levels', () => {
    const p = {
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };
    expect(matches(p, { metricName: 'CPUUtilization', detail: { 'detail-type': 'CloudWatch Alarm State Change' } })).toBe(true);
    expect(matches(p, { metricName: 'CPUUtilization', detail: { source: 'aws.ec2' } })).toBe(false);
  });
  test('"Or" with an "And" inside, and nested $or', () => {
    const p = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
        { scope: ['Service'] },
      ],
    };
    expect(matches(p, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
    expect(matches(p, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 })).toBe(true);
    expect(matches(p, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' })).toBe(false);
    expect(matches(p, { source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 1000 })).toBe(false);
  });
  test('"$or" whose value is an object is an ordinary field name', () => {
    const p = { source: ['aws.cloudwatch'], $or: { metricType: ['MetricType'] } };
    expect(matches(p, { source: 'aws.cloudwatch', $or: { metricType: 'MetricType' } })).toBe(true);
    expect(matches(p, { source: 'aws.cloudwatch', metricType: 'MetricType' })).toBe(false);
  });
  const employees = {
    employees: [
      { firstName: 'John', lastName: 'Doe' },
      { firstName: 'Anna', lastName: 'Smith' },
      { firstName: 'Peter', lastName: 'Jones' },
    ],
  };
  test('arrays of objects are crushed into the parent field', () => {
    expect(matches({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'] } }, { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]] })).toBe(true);
  });
  test('fields in different elements of one array do not combine (rulesForJSONEvent)', () => {
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(false);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, employees)).toBe(true);
  });
});

describe('malformed patterns are rejected', () => {
  test.each([
    [{ f: [] }],
    [{ f: 'x' }],
    [{ f: [{ prefix: 1 }] }],
    [{ f: [{ numeric: ['>'] }] }],
    [{ f: [{ numeric: ['~', 1] }] }],
    [{ f: [{ 'anything-but': ['a', 1] }] }],
    [{ f: [{ unknown: 'x' }] }],
    [{ f: [{ wildcard: 'a**b' }] }],
    [{ f: [{ exists: 'yes' }] }],
  ])('%j', pattern => {
    expect(() => matches(pattern as any, { f: 'a' })).toThrow(InvalidEventPatternError);
  });
});

describe('cloudTrailEvent wraps a CloudTrail record as CloudTrail delivers it to EventBridge', () => {
  test('API call', () => {
    const e = cloudTrailEvent({ eventSource: 'organizations.amazonaws.com', eventType: 'AwsApiCall', eventName: 'CreateAccount', awsRegion: 'us-east-1', recipientAccountId: '123456789012', eventTime: '2024-05-01T10:00:00Z', eventID: 'e1' });
    expect(e).toMatchObject({
      'source': 'aws.organizations',
      'detail-type': 'AWS API Call via CloudTrail',
      'account': '123456789012',
      'region': 'us-east-1',
      'time': '2024-05-01T10:00:00Z',
      'id': 'e1',
      'detail': { eventName: 'CreateAccount' },
    });
  });
  test('console sign-in', () => {
    expect(cloudTrailEvent({ eventSource: 'signin.amazonaws.com', eventType: 'AwsConsoleSignIn', eventName: 'ConsoleLogin' }))
      .toMatchObject({ 'source': 'aws.signin', 'detail-type': 'AWS Console Sign In via CloudTrail' });
  });
});
