/**
 * The README's CLI lines run exactly as written, in a directory inside this
 * clone that holds the files they name: a synthesized cdk.out, CloudTrail
 * files as delivered to S3, an NDJSON file. `npx cis-monitoring` resolves to
 * this package's bin (lib/bin/cis-monitoring.js, bundled by the build and by
 * `npm run demo`). A README line added, changed or broken fails here.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { buildDemoApp } from '../examples/demo-app';
import { describeIf, requires } from './support/requirements';

const ROOT = path.resolve(__dirname, '..');

/** Every line of a ```bash block in the README that runs `npx cis-monitoring`. */
export function readmeCliLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)) {
    for (const line of block[1].split('\n')) {
      if (/(^|\|\s*)npx cis-monitoring(\s|$)/.test(line)) lines.push(line);
    }
  }
  return lines;
}

const README_LINES = readmeCliLines(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));

function cloudTrailEvent(i: number, eventSource: string, eventName: string, extra: Record<string, unknown> = {}) {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: `AIDAREADME${i}`, arn: `arn:aws:iam::111122223333:user/user${i}`, accountId: '111122223333', userName: `user${i}` },
    eventTime: `2026-11-01T10:0${i}:00Z`,
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    eventID: `00000000-0000-4000-8000-00000000000${i}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    ...extra,
  };
}

const EVENTS = [
  cloudTrailEvent(1, 'cloudtrail.amazonaws.com', 'StopLogging'),
  cloudTrailEvent(2, 'ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress'),
  cloudTrailEvent(3, 's3.amazonaws.com', 'ListBuckets', { errorCode: 'AccessDenied', errorMessage: 'Access Denied' }),
];

/** The files the README lines name, in a fresh directory inside the clone (.tmp/ is ignored by git and npm). */
function prepareWorkDir(): string {
  fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'readme-cli-'));
  const records = JSON.stringify({ Records: EVENTS });
  const delivered = path.join(dir, 'AWSLogs', '111122223333', 'CloudTrail', 'eu-west-1', '2026', '11', '01');
  fs.mkdirSync(delivered, { recursive: true });
  fs.writeFileSync(path.join(delivered, '111122223333_CloudTrail_eu-west-1_20261101T1000Z_readme.json.gz'), zlib.gzipSync(records));
  fs.writeFileSync(path.join(dir, 'trail-2026-11-01.json.gz'), zlib.gzipSync(records));
  fs.writeFileSync(path.join(dir, 'events.ndjson'), EVENTS.map(e => JSON.stringify(e)).join('\n') + '\n');
  buildDemoApp(path.join(dir, 'cdk.out')).app.synth();
  return dir;
}

let workDir: string;
afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

test('the README shows the CLI lines this test knows how to check', () => {
  expect(README_LINES.length).toBeGreaterThanOrEqual(7);
  expect(README_LINES.some(l => /\baudit\b.*--live/.test(l))).toBe(true);
  expect(README_LINES.some(l => /\breplay\b/.test(l))).toBe(true);
  expect(README_LINES).toContain('npx cis-monitoring --version');
});

// `npx cis-monitoring` runs lib/bin/cis-monitoring.js, which the build (or `npm run demo`) bundles.
describeIf(requires.bundledCli)('README CLI lines, run as written', () => {
  beforeAll(() => {
    workDir = prepareWorkDir();
  });

  test.each(README_LINES)('%s', line => {
    // What the line runs, without its trailing `# comment`, decides what to expect.
    const command = line.replace(/\s+#.*$/, '');
    // AWS is read by audit --live and by replay of s3:// or --log-group
    const live = /--live\b|\bs3:\/\/|--log-group\b/.test(command);
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1', npm_config_yes: 'true', npm_config_update_notifier: 'false' };
    if (live) {
      // No account here: fake credentials and an endpoint where nothing listens.
      Object.assign(env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_MAX_ATTEMPTS: '1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
      delete env.AWS_PROFILE;
      delete env.AWS_SESSION_TOKEN;
    }
    const r = spawnSync('sh', ['-c', line], { cwd: workDir, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.error).toBeUndefined();
    if (live) {
      expect(r.stderr).toContain('Cannot reach endpoint http://127.0.0.1:9');
      expect(r.status).toBe(5);
      return;
    }
    if (r.status !== 0) throw new Error(`\`${line}\` exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    expect(r.stdout.trim()).not.toBe('');
    if (/--version/.test(command)) {
      expect(r.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    } else if (/--format json/.test(command)) {
      const json = JSON.parse(r.stdout);
      expect(json.events).toBe(EVENTS.length);
      expect(json.controls.find((c: any) => c.key === 'cloudtrail-config-changes').matches).toBe(1);
    } else if (/\breplay\b/.test(command)) {
      expect(r.stdout).toMatch(/cloudtrail-config-changes\s+\S+\s+\S+\s+1\b/);
    } else {
      expect(r.stdout).toContain('Result: PASS');
    }
  });
});
