/**
 * The bundled CLI (lib/bin/cis-monitoring.js with its separate AWS SDK bundle,
 * what users install) audits a deployed account exactly as the sources do:
 * same report and exit code, against moto, for a compliant deployment and a
 * broken one. Needs the build's lib/bin/ and python3 (moto).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { CloudWatchLogsClient, DeleteMetricFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { auditJson, cleanTmp, resourcesOfType, synthTemplate } from './audit/helpers';
import { applyTemplateToMoto } from './audit/moto-apply';
import { MotoServer, pointAwsSdkAt, saveAwsEnvironment, startMoto } from './support/moto';
import { describeIf, requires } from './support/requirements';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'lib', 'bin', 'cis-monitoring.js');

describeIf(requires.bundledCli, requires.moto)('bundled CLI: audit --live against moto', () => {
  let moto: MotoServer;
  let template: any;
  let restoreEnvironment = (): void => undefined;

  beforeAll(async () => {
    restoreEnvironment = saveAwsEnvironment();
    moto = await startMoto();
    template = synthTemplate({ emailAddresses: ['security@example.com'] });
    // The in-process run (sources) and the spawned bundle see the same environment.
    pointAwsSdkAt(moto.endpoint);
  });

  afterAll(async () => {
    await moto?.stop();
    restoreEnvironment();
    cleanTmp();
  });

  function runBundle(args: string[]) {
    const r = spawnSync(process.execPath, [BIN, 'audit', ...args, '--format', 'json'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' }, timeout: 60_000,
    });
    return { code: r.status, json: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
  }

  test('a compliant deployment: the bundle reports what the sources report, exit code 0', async () => {
    await moto.reset();
    await applyTemplateToMoto(template, moto.endpoint);
    const source = await auditJson(['--live']);
    const bundle = runBundle(['--live']);
    expect(bundle.stderr).toBe('');
    expect(source.code).toBe(0);
    expect(bundle.code).toBe(source.code);
    expect(bundle.json).toEqual(source.doc);
  });

  test('a metric filter deleted: the same FAIL and exit code 3 from both', async () => {
    await moto.reset();
    const applied = await applyTemplateToMoto(template, moto.endpoint);
    const [id] = resourcesOfType(template, 'AWS::Logs::MetricFilter')[0];
    await new CloudWatchLogsClient({}).send(new DeleteMetricFilterCommand({ logGroupName: applied.filterLogGroups[id], filterName: id }));
    const source = await auditJson(['--live', '--region', 'us-east-1']);
    const bundle = runBundle(['--live', '--region', 'us-east-1']);
    expect(source.code).toBe(3);
    expect(bundle.code).toBe(source.code);
    expect(bundle.json).toEqual(source.doc);
  });
});
