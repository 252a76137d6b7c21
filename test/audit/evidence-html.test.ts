/**
 * The HTML evidence report in a real browser (Debian's chromium through
 * playwright-core): rendered with JavaScript off, its content matches the
 * JSON report of the same run, it loads nothing from the network, values from
 * the audited accounts are shown as text, and axe-core finds no accessibility
 * violation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cleanTmp, runCli, tmpDir } from './helpers';
import { CisMonitoring } from '../../src';
import { AUDIT_EXIT_CODES } from '../../src/audit/errors';
import { buildEvidence } from '../../src/audit/findings';
import { runToHtml } from '../../src/audit/html';
import { runAudit } from '../../src/audit/run';
import { ALL_SCANNERS } from '../../src/scanners/rules';
import { chromiumPath, describeIfBrowser } from '../support/browser';

const SCANNER_NAMES: Record<string, string> = { SECURITY_HUB: 'Security Hub', PROWLER: 'Prowler', STEAMPIPE: 'Steampipe', CLOUDSPLOIT: 'CloudSploit' };

/**
 * A cdk.out of two environments: 111111111111/us-east-1 passes every scanner
 * (planned filters, an SQS subscriber), 222222222222/eu-west-1 deploys only
 * the CIS text (Security Hub and others fail) with an email subscription.
 */
function twoEnvironments(): string {
  const outdir = tmpDir();
  const app = new App({ outdir });
  const good = new Stack(app, 'Good', { env: { account: '111111111111', region: 'us-east-1' } });
  const cis = new CisMonitoring(good, 'Cis', { emailAddresses: ['security@example.com'] });
  cis.topic.addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(good, 'Pager', { enforceSSL: true })));
  new CisMonitoring(new Stack(app, 'Weak', { env: { account: '222222222222', region: 'eu-west-1' } }), 'Cis', { emailAddresses: ['security@example.com'], scanners: [] });
  app.synth();
  return outdir;
}

afterAll(cleanTmp);

describeIfBrowser('the HTML report in chromium', () => {
  let browser: Browser;
  let html: string;
  let json: any;
  let generatedAt: string;

  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    const dir = tmpDir();
    const r = await runCli(['audit', twoEnvironments(), '--format', 'json', '--output-dir', dir]);
    expect(r.code).toBe(AUDIT_EXIT_CODES.NON_COMPLIANT);
    json = JSON.parse(r.stdout);
    html = path.join(dir, fs.readdirSync(dir).find(f => f.endsWith('.html'))!);
    generatedAt = /^cis-monitoring-(\d{8}T\d{6}Z)/.exec(path.basename(html))![1];
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** A page on the report, JavaScript off, every request outside the file recorded and refused. */
  async function open(options = { javaScript: false }): Promise<{ page: Page; context: BrowserContext; requests: string[] }> {
    const context = await browser.newContext({ javaScriptEnabled: options.javaScript, bypassCSP: options.javaScript });
    const requests: string[] = [];
    await context.route('**/*', route => {
      const url = route.request().url();
      if (url === `file://${html}`) return route.continue();
      requests.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    await page.goto(`file://${html}`);
    return { page, context, requests };
  }

  test('renders without JavaScript and without any request: the run\'s facts, a summary row per target, the legend', async () => {
    const { page, context, requests } = await open();
    try {
      expect(requests).toEqual([]);
      expect(await page.title()).toMatch(/^CIS AWS Foundations Benchmark v7\.0\.0 monitoring evidence, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const facts = Object.fromEntries(await page.$$eval('dd[data-fact]', els => els.map(e => [e.getAttribute('data-fact'), (e as any).innerText])));
      expect(facts['generated-at'].replace(/[-:]/g, '')).toBe(generatedAt);
      expect(facts.tool).toMatch(/^cdk-cis-monitoring \S+$/);
      expect(facts.benchmark).toMatch(/^CIS AWS Foundations Benchmark v7\.0\.0/);
      expect(facts.scanners).toBe('Security Hub, Prowler, Steampipe, CloudSploit');
      const rows = await page.$$eval('table[data-table=summary] tbody tr', trs => trs.map(tr => ({
        environment: tr.getAttribute('data-environment'),
        result: (tr.querySelector('[data-result]') as any).innerText,
        failed: Number((tr.querySelector('[data-count=FAILED]') as any).innerText),
      })));
      expect(rows.map(r => r.environment)).toEqual(json.targets.map((t: any) => t.environment));
      for (const [i, t] of json.targets.entries()) {
        const failedControls = t.controls.filter((c: any) => Object.values<any>(c.results).some(x => x.status === 'FAIL')).length;
        expect(rows[i].failed).toBe(failedControls);
        expect(rows[i].result).toBe(failedControls > 0 ? 'FAILED' : 'PASSED');
      }
      // The matrix: every target × every control, the same statuses.
      const matrix = await page.$$eval('table[data-table=matrix] tbody tr', trs => trs.map(tr => [
        tr.getAttribute('data-environment'),
        [...tr.querySelectorAll('td[data-control]')].map(td => [td.getAttribute('data-control'), (td as any).innerText]),
      ]));
      expect(matrix).toEqual(json.targets.map((t: any) => [t.environment, t.controls.map((c: any) => {
        const statuses = Object.values<any>(c.results).map(x => x.status);
        return [c.key, statuses.includes('FAIL') ? 'FAIL' : statuses.includes('WARN') ? 'warn' : 'pass'];
      })]));
      expect(await page.locator('footer').innerText()).toContain('NOT_AVAILABLE');
      expect(await page.locator('script').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  test('per control: each target\'s status and every scanner\'s verdict and reason match the JSON; the evidence names filter, alarm and topic', async () => {
    const { page, context } = await open();
    try {
      const findings = await page.$$eval('tr[data-finding]', trs => trs.map(tr => ({
        control: tr.getAttribute('data-control'),
        environment: tr.getAttribute('data-environment'),
        status: (tr.querySelector('[data-status]') as any).innerText,
        verdicts: [...tr.querySelectorAll('li[data-scanner]')].map(li => ({
          scanner: li.getAttribute('data-scanner'),
          text: (li as any).innerText,
          verdict: (li.querySelector('[data-verdict]') as any).innerText,
        })),
        evidence: (tr.querySelector('dl.ev') as any).innerText,
      })));
      const controls = json.targets[0].controls.length;
      expect(findings).toHaveLength(json.targets.length * controls);
      for (const t of json.targets) {
        for (const c of t.controls) {
          const row = findings.find(f => f.environment === t.environment && f.control === c.key)!;
          const statuses = Object.values<any>(c.results).map(x => x.status);
          expect(row.status).toBe(statuses.includes('FAIL') ? 'FAILED' : statuses.includes('WARN') ? 'WARNING' : 'PASSED');
          expect(row.verdicts.map(v => v.scanner)).toEqual(ALL_SCANNERS);
          for (const v of row.verdicts) {
            const r = c.results[v.scanner!];
            expect(v.verdict).toBe(r.status);
            expect(v.text.startsWith(SCANNER_NAMES[v.scanner!])).toBe(true);
            // innerText collapses whitespace the way a reader sees it.
            expect(v.text.replace(/\s+/g, ' ')).toContain(r.reasons.join(' ').replace(/\s+/g, ' '));
          }
        }
      }
      const root = findings.find(f => f.environment === 'aws://111111111111/us-east-1' && f.control === 'root-account-usage')!;
      expect(root.evidence).toMatch(/Metric filter \S+\non .*, metric CISBenchmark\/RootAccountUsage, passes .*:\n.*\$\.userIdentity\.type/);
      expect(root.evidence).toMatch(/Alarm \S+/);
      expect(root.evidence).toMatch(/SNS topic .*\nconfirmed subscribers: sqs .*; pending confirmation: email security@example\.com/);
      expect(root.evidence).toMatch(/Trail \S+\nIsMultiRegionTrail true; IsLogging true/);
    } finally {
      await context.close();
    }
  });

  test('axe-core finds no accessibility violation', async () => {
    const { page, context } = await open({ javaScript: true });
    try {
      await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
      const result: any = await page.evaluate('axe.run(document, { resultTypes: ["violations"] })');
      const violations = result.violations.map((v: any) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')).join(', ')}`);
      expect(violations).toEqual([]);
      expect(result.passes.length).toBeGreaterThan(10);
    } finally {
      await context.close();
    }
  });

  test('values from the audited accounts are text: a hostile account name and error neither run nor inject markup', async () => {
    const result = await runAudit({ input: twoEnvironments(), scanners: ALL_SCANNERS });
    const hostile = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>';
    const page = runToHtml(buildEvidence({
      ...result,
      targets: result.targets.map(t => ({ ...t, accountName: hostile })),
      organization: {
        callerAccount: '111111111111',
        callerArn: 'arn:aws:iam::111111111111:user/a',
        roleName: 'R',
        regions: ['us-east-1'],
        accounts: [],
        inactive: [],
        order: [],
        errors: [{ environment: { account: '333333333333', region: 'us-east-1' }, environmentKey: 'aws://333333333333/us-east-1', accountName: hostile, benchmark: '7.0.0', message: hostile, exitCode: 6 }],
      },
    }, { toolVersion: '0.0.0', scanners: ALL_SCANNERS }));
    const file = path.join(tmpDir(), 'hostile.html');
    fs.writeFileSync(file, page);
    const context = await browser.newContext({ javaScriptEnabled: true });
    try {
      const p = await context.newPage();
      await p.goto(`file://${file}`);
      expect(await p.title()).toMatch(/^CIS AWS Foundations Benchmark/);
      expect(await p.locator('script, img').count()).toBe(0);
      expect(await p.locator('table[data-table=summary]').innerText()).toContain(hostile);
      expect(await p.locator('[data-result]').allInnerTexts()).toEqual(['PASSED', 'FAILED', 'NOT AUDITED (ACCESS_DENIED)']);
      expect(await p.locator('#not-audited + p + ul').innerText()).toBe(`333333333333 (${hostile}) us-east-1: ACCESS_DENIED: ${hostile}`);
    } finally {
      await context.close();
    }
  });
});
