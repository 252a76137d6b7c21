import { ALL_SCANNERS, normaliseForCloudSploit, parseScannerList, patternRule, scannerCliName, scannerDisplayName } from '../../src/scanners/rules';
import { Scanner } from '../../src/scanners/scanner';

describe('parseScannerList', () => {
  test('accepts CLI names, enum names and aliases, case-insensitively, and returns them in report order', () => {
    expect(parseScannerList('prowler,security-hub')).toEqual([Scanner.SECURITY_HUB, Scanner.PROWLER]);
    expect(parseScannerList('SECURITY_HUB, Steampipe ,cloudsploit')).toEqual([Scanner.SECURITY_HUB, Scanner.STEAMPIPE, Scanner.CLOUDSPLOIT]);
    expect(parseScannerList('powerpipe,securityhub,prowler,prowler')).toEqual([Scanner.SECURITY_HUB, Scanner.PROWLER, Scanner.STEAMPIPE]);
  });

  test.each([
    ['', /empty/],
    [' , ', /empty/],
    ['prowler,,steampipe', /empty entry.*single commas/],
    ['prowler,trivy', /Unknown scanner "trivy".*Accepted: security-hub, prowler, steampipe, cloudsploit/],
  ])('rejects %j with a message saying what is wrong and what is accepted', (input, message) => {
    expect(() => parseScannerList(input)).toThrow(message);
  });

  test('CLI and display names', () => {
    expect(ALL_SCANNERS.map(scannerCliName)).toEqual(['security-hub', 'prowler', 'steampipe', 'cloudsploit']);
    expect(ALL_SCANNERS.map(scannerDisplayName)).toEqual(['Security Hub', 'Prowler', 'Steampipe', 'CloudSploit']);
  });
});

describe('pattern rules', () => {
  test('CloudSploit strips all whitespace and lowercases', () => {
    expect(normaliseForCloudSploit(' { $.A = B\n\t&& $.c != "D e" } ')).toBe('{$.a=b&&$.c!="de"}');
    const rule = patternRule(Scanner.CLOUDSPLOIT, 'root-account-usage');
    expect(rule.test('{$.userIdentity.type=Root&&$.userIdentity.invokedBy NOT EXISTS&&$.eventType!=AwsServiceEvent}')).toBe(true);
    // Quotes survive normalisation, so the quoted CIS text fails master.
    expect(rule.test('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }')).toBe(false);
  });

  test('Security Hub compares byte for byte: one space more fails', () => {
    const rule = patternRule(Scanner.SECURITY_HUB, 'root-account-usage');
    const documented = '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}';
    expect(rule.test(documented)).toBe(true);
    expect(rule.test(documented.replace('!="', '!= "'))).toBe(false);
    expect(rule.checkName).toBe('CloudWatch.1');
  });

  test('Security Hub has no check for Organizations changes', () => {
    const rule = patternRule(Scanner.SECURITY_HUB, 'organizations-changes');
    expect(rule.applicable).toBe(false);
    expect(rule.notApplicableReason).toMatch(/no CloudWatch control/);
    expect(rule.test('{ anything }')).toBe(false);
  });

  test('Prowler regexes behave like Python re.DOTALL search (newlines inside the pattern)', () => {
    const rule = patternRule(Scanner.PROWLER, 'cmk-disable-or-deletion');
    expect(rule.test('{($.eventSource = kms.amazonaws.com) &&\n(($.eventName=DisableKey)||\n($.eventName=ScheduleKeyDeletion)) }')).toBe(true);
    // \b: CreateRouteTable alone does not satisfy the CreateRoute lookahead.
    const route = patternRule(Scanner.PROWLER, 'route-table-changes');
    expect(route.test('{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }')).toBe(false);
  });

  test('Steampipe regexes are ordered and case-sensitive', () => {
    const rule = patternRule(Scanner.STEAMPIPE, 'cloudtrail-config-changes');
    expect(rule.test('{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }')).toBe(true);
    expect(rule.test('{ ($.eventName = UpdateTrail) || ($.eventName = CreateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }')).toBe(false);
    expect(rule.test('{ ($.eventname = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }')).toBe(false);
  });

  test('a non-metric-filter control has no rule', () => {
    expect(() => patternRule(Scanner.PROWLER, 'security-hub-enabled')).toThrow(/not a metric-filter control/);
  });
});
