import * as fs from 'fs';
import { describeIfShared, readSharedJson, sharedPath } from '../support/shared';
import { control, runJson } from './fixtures/replay/cli-harness';

const CORPUS = 'corpus/stratus-red-team';

/** The records of one corpus file (a JSON array). */
function records(file: string): any[] {
  return readSharedJson(CORPUS, file);
}

function eventId(file: string, eventName: string): string {
  const found = records(file).filter(r => r.eventName === eventName);
  expect(found).toHaveLength(1);
  return found[0].eventID;
}

describeIfShared(CORPUS)('replay of the shared stratus-red-team corpus (CIS 7.0.0)', () => {
  let json: any;
  beforeAll(async () => {
    const r = await runJson(['--benchmark', '7.0.0', '--event-ids', sharedPath(CORPUS)]);
    expect(r.code).toBe(0);
    json = r.json;
  });

  test('reads all 310 records of the 35 files and nothing else (LICENSE, SOURCE.md)', () => {
    expect(json.events).toBe(310);
    expect(json.malformed).toBe(0);
    expect(json.errors).toEqual([]);
  });

  test('the ConsoleLogin without MFA hits console-signin-without-mfa, and nothing else does', () => {
    const id = eventId('aws.initial-access.console-login-without-mfa.json', 'ConsoleLogin');
    expect(control(json, 'console-signin-without-mfa').eventIds).toEqual([id]);
  });

  test('DeleteTrail and StopLogging hit cloudtrail-config-changes (in input order)', () => {
    expect(control(json, 'cloudtrail-config-changes').eventIds).toEqual([
      eventId('aws.defense-evasion.cloudtrail-delete.json', 'DeleteTrail'),
      eventId('aws.defense-evasion.cloudtrail-stop.json', 'StopLogging'),
    ]);
    // PutEventSelectors is not in the CIS list
    const selectors = records('aws.defense-evasion.cloudtrail-event-selectors.json').map(r => r.eventID);
    expect(control(json, 'cloudtrail-config-changes').eventIds.filter((id: string) => selectors.includes(id))).toEqual([]);
  });

  test('the iam-create-admin-user AttachUserPolicy hits iam-policy-changes', () => {
    const ids = control(json, 'iam-policy-changes').eventIds;
    expect(ids).toContain(eventId('aws.persistence.iam-create-admin-user.json', 'AttachUserPolicy'));
    expect(ids).toContain(eventId('aws.persistence.iam-create-backdoor-role.json', 'AttachRolePolicy'));
    expect(ids).toHaveLength(2);
  });

  test('the port-22 ingress rule hits security-group-changes', () => {
    expect(control(json, 'security-group-changes').eventIds).toEqual([
      eventId('aws.exfiltration.ec2-security-group-open-port-22-ingress.json', 'AuthorizeSecurityGroupIngress'),
    ]);
  });

  test('unauthorized-api-calls: exactly the 51 records with *UnauthorizedOperation / AccessDenied* error codes', () => {
    // Independent oracle, written out by hand from the 7.0.0 text
    // A || (B && C && D): errorCode = "*UnauthorizedOperation" || (errorCode = "AccessDenied*" && sourceIPAddress != delivery.logs && eventName != HeadBucket)
    const expected: string[] = [];
    for (const file of fs.readdirSync(sharedPath(CORPUS)).filter(f => f.endsWith('.json')).sort()) {
      for (const r of records(file)) {
        const code = r.errorCode;
        if (typeof code !== 'string') continue;
        if (code.endsWith('UnauthorizedOperation')
          || (code.startsWith('AccessDenied') && r.sourceIPAddress !== 'delivery.logs.amazonaws.com' && r.eventName !== 'HeadBucket')) {
          expected.push(r.eventID);
        }
      }
    }
    // 46 Client.UnauthorizedOperation + 5 AccessDenied, none from delivery.logs or HeadBucket (checked by hand)
    expect(expected).toHaveLength(51);
    const c = control(json, 'unauthorized-api-calls');
    expect(c.matches).toBe(51);
    expect(c.eventIds).toEqual(expected);
  });

  test('controls the corpus README lists no records for stay at zero', () => {
    for (const key of ['root-account-usage', 'console-auth-failures', 'cmk-disable-or-deletion', 's3-bucket-policy-changes',
      'aws-config-changes', 'nacl-changes', 'network-gateway-changes', 'route-table-changes', 'vpc-changes']) {
      expect([key, control(json, key).matches]).toEqual([key, 0]);
    }
    expect(control(json, 'organizations-changes').matches).toBe(1);
  });
});
