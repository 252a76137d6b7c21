import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  AlarmRole, buildAlarmDescription, renderedLength, validateAlarmDescriptionOptions,
} from '../src/alarm-description';
import { CisBenchmarkVersion, CisControl } from '../src/catalog';
import { CONTROL_ALERT_METADATA } from '../src/catalog/control-metadata';
import { Exclusion } from '../src/exclusions';
import { FilterPatternEngine } from '../src/filter-pattern';
import { insightsQueryFor } from '../src/filter-pattern/translate/insights';
import { CisSeverity, CisSeverityDefaults } from '../src/severity';
import { compileInsightsFilter } from './queries/insights-evaluator';
import { loadControlFixtures } from './support/fixtures';
import { controlInsightsQuery, planOf, versionControlRows } from './support/plans';
import { readSharedJson, testIfShared } from './support/shared';

const envStack = () => new Stack(new App(), 'S', { env: { account: '123456789012', region: 'ap-southeast-2' } });
const agnosticStack = () => new Stack(new App(), 'S');

const LONG_TAGS = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`tag-key-number-${i}-${'k'.repeat(40)}`, `${i}${'v'.repeat(127)}`]));
const LONG_RUNBOOK = `https://wiki.example.com/${'r'.repeat(230)}`;
const MANY_EXCLUSIONS = [
  Exclusion.roleName('ci-deployer'), Exclusion.principalArn('arn:aws:iam::123456789012:role/terraform-*'),
  Exclusion.sourceIp('203.0.113.0/24'), Exclusion.userAgent('*terraform*'),
];

// The input of a description is the control's recommendation id, title and query: versions that share them are one block.
const cases = versionControlRows('recommendation id, title and Insights query', ({ version, control }) => {
  const d = control.definitionIn(version);
  return [d.recommendationId, d.title, planOf(control, version).insightsFilter.expression];
});

describe.each(cases)('%s', (_label, { version, control }) => {
  const definition = control.definitionIn(version);
  const insights = planOf(control, version).insightsFilter;
  const titleLine = (sev: CisSeverity, role = '') => `[${sev}] ${role}CIS ${definition.recommendationId} (v${version.version}): ${definition.title}`;

  test.each([
    ['env-agnostic stack (account and region are tokens)', agnosticStack],
    ['stack with explicit env', envStack],
  ])('fits in 1024 characters with long tags, runbook and exclusions: %s', (_n, mkStack) => {
    const stack = mkStack();
    for (const role of [AlarmRole.SINGLE, AlarmRole.COMPLIANCE, AlarmRole.PAGING]) {
      const text = buildAlarmDescription(stack, {
        definition,
        insights,
        severity: CisSeverity.CRITICAL,
        threshold: 1,
        period: Duration.minutes(5),
        role,
        exclusions: role === AlarmRole.PAGING ? MANY_EXCLUSIONS : undefined,
        logGroupName: `/aws/cloudtrail/${'x'.repeat(200)}`,
        options: { tags: LONG_TAGS, runbookUrl: LONG_RUNBOOK },
      });
      expect(renderedLength(text)).toBeLessThanOrEqual(1024);
      const prefix = role === AlarmRole.PAGING ? 'Paging: ' : role === AlarmRole.COMPLIANCE ? 'Compliance: ' : '';
      expect(text.split('\n')[0]).toBe(titleLine(CisSeverity.CRITICAL, prefix));
      expect(text.split('\n')[1]).toMatch(/^Account .+, region .+: 1 or more matching CloudTrail events within 5 minutes in \/aws\/cloudtrail\/x+\.$/);
      expect(text).not.toMatch(/\$\{Token\[[^\]]*$/m); // no half token markers
      if (!stack.account.startsWith('${')) {
        expect(text).toContain('Account 123456789012, region ap-southeast-2');
        expect(text.length).toBeLessThanOrEqual(1024);
      }
    }
  });

  test('without options it carries why, all first steps and, when it fits, the query', () => {
    const text = buildAlarmDescription(envStack(), {
      definition, insights, severity: CisSeverityDefaults.forControl(control), threshold: 1, period: Duration.minutes(5),
    });
    const meta = CONTROL_ALERT_METADATA[control.key];
    expect(text).toContain(`\nWhy: ${meta.whyItMatters}\n`);
    meta.firstSteps.forEach((step, i) => expect(text).toContain(`${i + 1}) ${step}.`));
    const withoutQuery = buildAlarmDescription(envStack(), {
      definition,
      severity: CisSeverityDefaults.forControl(control),
      threshold: 1,
      period: Duration.minutes(5),
      options: { includeInsightsQuery: false },
    });
    const query = controlInsightsQuery(control, version);
    if (`${withoutQuery}\nLogs Insights: ${query}`.length <= 1024) {
      expect(text).toBe(`${withoutQuery}\nLogs Insights: ${query}`);
    } else {
      expect(text).not.toContain('Logs Insights');
    }
    expect(text.length).toBeLessThanOrEqual(1024);
  });
});

describe('truncation order: query, then steps, then runbook, then exclusions, why and tags; never title or trigger', () => {
  const definition = CisControl.CMK_DISABLE_OR_DELETION.definitionIn(CisBenchmarkVersion.LATEST);
  // The compliance query: short enough that some descriptions keep it, so every stage of truncation shows.
  const insights = planOf(CisControl.CMK_DISABLE_OR_DELETION, CisBenchmarkVersion.LATEST).insightsFilter;
  const meta = CONTROL_ALERT_METADATA['cmk-disable-or-deletion'];
  const descriptions: string[] = [];
  for (let n = 0; n <= 10; n++) {
    for (const len of [8, 40, 90, 128]) {
      const tags = Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'.repeat(len)]));
      descriptions.push(buildAlarmDescription(envStack(), {
        definition,
        insights,
        severity: CisSeverity.HIGH,
        threshold: 1,
        period: Duration.minutes(5),
        role: AlarmRole.PAGING,
        exclusions: MANY_EXCLUSIONS,
        options: { tags, runbookUrl: 'https://wiki.example.com/runbooks/cis-kms' },
      }));
    }
  }
  const allSteps = (d: string) => meta.firstSteps.every(s => d.includes(s));
  const fullWhy = (d: string) => d.includes(`Why: ${meta.whyItMatters}`);

  test('the sequence covers every stage', () => {
    expect(descriptions.some(d => d.includes('Logs Insights:'))).toBe(true);
    expect(descriptions.some(d => !d.includes('Logs Insights:') && allSteps(d))).toBe(true);
    expect(descriptions.some(d => !d.includes('First steps:'))).toBe(true);
    expect(descriptions.some(d => !fullWhy(d))).toBe(true);
  });

  test.each(descriptions.map((d, i) => [i, d]))('description %i respects the order', (_i, d) => {
    expect(d.length).toBeLessThanOrEqual(1024);
    expect(d.startsWith(`[HIGH] Paging: CIS ${definition.recommendationId} (v7.0.0): ${definition.title}\nAccount 123456789012, region ap-southeast-2: `)).toBe(true);
    if (d.includes('Logs Insights:')) expect(allSteps(d) && d.includes('Runbook:') && fullWhy(d)).toBe(true);
    if (d.includes('First steps:')) expect(d.includes('Runbook:') && fullWhy(d)).toBe(true);
    if (d.includes('Runbook:')) expect(fullWhy(d) && d.includes(`Excludes: ${MANY_EXCLUSIONS.map(e => e.description).join('; ')}.`)).toBe(true);
    if (!fullWhy(d) && d.includes('Why:')) expect(d).toMatch(/Why: .*\.\.\.(\n|$)/);
  });
});

describe('content', () => {
  const definition = CisControl.CMK_DISABLE_OR_DELETION.definitionIn(CisBenchmarkVersion.V1_4_0);

  test('full layout for a control', () => {
    const text = buildAlarmDescription(envStack(), {
      definition,
      insights: planOf(CisControl.CMK_DISABLE_OR_DELETION, CisBenchmarkVersion.V1_4_0).insightsFilter,
      severity: CisSeverity.HIGH,
      threshold: 2,
      period: Duration.minutes(10),
      evaluationPeriods: 3,
      logGroupName: '/aws/cloudtrail/org',
      options: { tags: { environment: 'prod', team: 'security' }, runbookUrl: 'https://wiki.example.com/cis' },
    });
    expect(text).toBe([
      '[HIGH] CIS 4.7 (v1.4.0): Ensure a log metric filter and alarm exist for disabling or scheduled deletion of customer created CMKs',
      'Account 123456789012, region ap-southeast-2: 2 or more matching CloudTrail events within 3 consecutive periods of 10 minutes in /aws/cloudtrail/org.',
      'Tags: environment=prod, team=security',
      `Why: ${CONTROL_ALERT_METADATA['cmk-disable-or-deletion'].whyItMatters}`,
      'First steps: 1) Identify the key and the data it protects. 2) Cancel the scheduled deletion (CancelKeyDeletion) or re-enable the key unless the change is planned. '
        + '3) Identify who made the call and revoke their session if unexplained.',
      'Runbook: https://wiki.example.com/cis',
      `Logs Insights: ${controlInsightsQuery(CisControl.CMK_DISABLE_OR_DELETION, CisBenchmarkVersion.V1_4_0)}`,
    ].join('\n'));
  });

  test('compliance and paging roles explain themselves; a token log group is not named', () => {
    const stack = envStack();
    const base = { definition, threshold: 1, period: Duration.minutes(5), logGroupName: Lazy.string({ produce: () => 'lg' }) };
    const compliance = buildAlarmDescription(stack, { ...base, role: AlarmRole.COMPLIANCE });
    expect(compliance).toContain('\nExact CIS filter, kept for scanners; a paging alarm with exclusions watches the same events.\n');
    expect(compliance).toContain('within 5 minutes.');
    const paging = buildAlarmDescription(stack, { ...base, role: AlarmRole.PAGING, exclusions: [Exclusion.roleName('ci-deployer')] });
    expect(paging).toContain('\nExcludes: role name ci-deployer.\n');
    expect(paging.startsWith('Paging: CIS 4.7')).toBe(true);
  });

  test('includeInsightsQuery: false leaves the query out', () => {
    const text = buildAlarmDescription(envStack(), {
      definition, threshold: 1, period: Duration.minutes(5), options: { includeInsightsQuery: false },
    });
    expect(text).not.toContain('Logs Insights');
  });

  test('tokens in the description synthesize into AlarmDescription', () => {
    const stack = agnosticStack();
    const text = buildAlarmDescription(stack, { definition, threshold: 1, period: Duration.minutes(5), options: { tags: { stage: Lazy.string({ produce: () => 'blue' }) } } });
    new cloudwatch.Alarm(stack, 'A', { metric: new cloudwatch.Metric({ namespace: 'N', metricName: 'M' }), threshold: 1, evaluationPeriods: 1, alarmDescription: text });
    const alarm = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))[0] as any;
    const joined = alarm.Properties.AlarmDescription['Fn::Join'][1];
    expect(joined).toEqual(expect.arrayContaining([{ Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }]));
    expect(joined[joined.length - 1]).toContain('\nTags: stage=blue\n');
  });

  test('renderedLength counts each token as 32 characters', () => {
    const t = Lazy.string({ produce: () => 'x' });
    expect(renderedLength(`ab${t}cd${t}`)).toBe(4 + 64);
    expect(renderedLength('plain')).toBe(5);
  });
});

/**
 * What the query an alarm description carries selects, judged by sources
 * independent of the translator: the hand-reviewed fixtures (positive and
 * negative records of each control), evaluated by the test's own reading of
 * the Insights syntax (test/queries/insights-evaluator.ts); and, with
 * ../shared, the filter-pattern engine on the CIS text as the spec
 * transcribes it.
 */
describe('the Insights query of an alarm', () => {
  const LATEST = CisBenchmarkVersion.LATEST;
  const QUERY = /^filter (.+) \| fields @timestamp, eventName, userIdentity\.arn, sourceIPAddress, errorCode \| sort @timestamp desc \| limit 100$/;

  /** The filter expression of the compliance alarm's query: from its description, or, where the query did not fit, the one it left out. */
  function alarmQueryFilter(control: CisControl): { expression: string; inDescription: boolean } {
    const plan = planOf(control, LATEST);
    const text = buildAlarmDescription(envStack(), {
      definition: plan.definition, insights: plan.insightsFilter, severity: plan.severity, threshold: plan.alarm.threshold, period: plan.alarm.period,
    });
    const line = text.split('\n').find(l => l.startsWith('Logs Insights: '));
    const query = line ? line.slice('Logs Insights: '.length) : insightsQueryFor(plan.insightsFilter);
    const m = QUERY.exec(query);
    if (!m) throw new Error(`${control.key}: not a query of the expected shape: ${query}`);
    return { expression: m[1], inDescription: line !== undefined };
  }

  const controls = LATEST.controls().map(c => [c.key, c] as const);

  test.each(controls)('%s: the compliance alarm\'s query selects every positive fixture and no negative one', (key, control) => {
    const selects = compileInsightsFilter(alarmQueryFilter(control).expression);
    const { positives, negatives } = loadControlFixtures(key, LATEST);
    expect(positives.length).toBeGreaterThan(0);
    expect(negatives.length).toBeGreaterThan(0);
    expect({ missed: positives.filter(f => !selects(f.record)).map(f => f.name), wrong: negatives.filter(f => selects(f.record)).map(f => f.name) })
      .toEqual({ missed: [], wrong: [] });
  });

  test('most descriptions carry the query (the ones above are what users read)', () => {
    expect(LATEST.controls().filter(c => alarmQueryFilter(c).inDescription).length).toBeGreaterThanOrEqual(10);
  });

  testIfShared('spec', 'cis-controls.json')('each query selects exactly what the spec\'s CIS text matches, on every fixture of every control', () => {
    const spec = readSharedJson('spec', 'cis-controls.json');
    const records = LATEST.controls().flatMap(c => loadControlFixtures(c.key, LATEST).all.map(f => ({ where: `${c.key}: ${f.name}`, record: f.record })));
    const disagreements = LATEST.controls().flatMap(control => {
      const texts = spec.controls.find((c: any) => c.key === control.key).versions[LATEST.version].patterns.remediation;
      const cis = FilterPatternEngine.parse(texts.find((t: any) => t.primary).text);
      const selects = compileInsightsFilter(alarmQueryFilter(control).expression);
      return records.filter(r => selects(r.record) !== cis.matchesRecord(r.record)).map(r => `${control.key} on ${r.where}`);
    });
    expect(records.length).toBeGreaterThan(100);
    expect(disagreements).toEqual([]);
  });

  test('a paging alarm queries its excluded pattern, missing-field guard included', () => {
    const d = CisControl.CMK_DISABLE_OR_DELETION.definitionIn(CisBenchmarkVersion.LATEST);
    const pagingInsights = planOf(CisControl.CMK_DISABLE_OR_DELETION, CisBenchmarkVersion.LATEST, { exclusions: [Exclusion.roleName('ci-deployer')] }).pagingInsightsFilter!;
    const q = insightsQueryFor(pagingInsights);
    expect(q).toMatch(/^filter .* \| fields @timestamp, eventName, userIdentity\.arn, sourceIPAddress, errorCode \| sort @timestamp desc \| limit 100$/);
    expect(q).toContain('(not ispresent(userIdentity.sessionContext.sessionIssuer.userName) or (ispresent(userIdentity.sessionContext.sessionIssuer.userName) '
      + 'and userIdentity.sessionContext.sessionIssuer.userName != "ci-deployer"))');
    const text = buildAlarmDescription(envStack(), {
      definition: d, threshold: 1, period: Duration.minutes(5), role: AlarmRole.PAGING, exclusions: [Exclusion.roleName('ci-deployer')], insights: pagingInsights,
    });
    // 606 characters of description leave no room for this 418-character query: it is the first part dropped.
    expect(`${text}\nLogs Insights: ${q}`.length).toBeGreaterThan(1024);
    expect(text).not.toContain('Logs Insights');
    expect(text).toContain('3) Identify who made the call');
  });
});

describe('per-control metadata', () => {
  test.each(CisControl.all().map(c => [c.key]))('%s has one why sentence and 2-3 short steps', (key) => {
    const meta = CONTROL_ALERT_METADATA[key];
    expect(meta.whyItMatters).toMatch(/^[A-Z][^\n]*\.$/);
    expect(meta.whyItMatters.slice(0, -1)).not.toMatch(/\. [A-Z]/);
    expect(meta.firstSteps.length).toBeGreaterThanOrEqual(2);
    expect(meta.firstSteps.length).toBeLessThanOrEqual(3);
    for (const s of meta.firstSteps) {
      expect(s).toMatch(/^[A-Z][a-z]+ /); // imperative verb first
      expect(s.endsWith('.')).toBe(false);
      expect(s.length).toBeLessThanOrEqual(110);
    }
  });
});

describe('bad options', () => {
  test.each([
    [{ tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) }, /has 11 entries; at most 10/],
    [{ tags: { '1env': 'prod' } }, /tags key "1env" is invalid: use 1-64 letters/],
    [{ tags: { 'env name': 'prod' } }, /tags key "env name" is invalid/],
    [{ tags: { ['k'.repeat(65)]: 'prod' } }, /is invalid: use 1-64/],
    [{ tags: { env: '' } }, /tags\["env"\] value "" is invalid: use 1-128 printable characters/],
    [{ tags: { env: 'a,b' } }, /value "a,b" is invalid/],
    [{ tags: { env: 'line\nbreak' } }, /value "line\\nbreak" is invalid/],
    [{ tags: { env: ' prod' } }, /value " prod" is invalid/],
    [{ tags: { env: 'v'.repeat(129) } }, /is invalid: use 1-128/],
    [{ tags: { env: 42 as any } }, /tags\["env"\] must be a string, got 42/],
    [{ runbookUrl: 'http://wiki.example.com' }, /runbookUrl "http:\/\/wiki.example.com" is invalid: give an https:\/\/ URL/],
    [{ runbookUrl: 'https://wiki example.com' }, /runbookUrl .* is invalid/],
    [{ runbookUrl: `https://x.example.com/${'a'.repeat(250)}` }, /of at most 256 characters/],
  ])('rejects %j', (options, msg) => {
    expect(() => validateAlarmDescriptionOptions(options)).toThrow(msg);
    expect(() => buildAlarmDescription(envStack(), {
      definition: CisControl.VPC_CHANGES.definitionIn(CisBenchmarkVersion.LATEST), threshold: 1, period: Duration.minutes(5), options,
    })).toThrow(msg);
  });

  test('accepts tokens in tag values and runbook URL', () => {
    const t = Lazy.string({ produce: () => 'x' });
    expect(() => validateAlarmDescriptionOptions({ tags: { env: t }, runbookUrl: t })).not.toThrow();
  });
});
