/*
 * Runs the real CloudSploit CLI (its index.js, unchanged) against the endpoint
 * in CLOUDSPLOIT_ENDPOINT, for test/support/cloudsploit.ts:
 *
 *   node cloudsploit-driver.js <CloudSploit arguments>     (cwd: the CloudSploit checkout)
 *
 * CloudSploit's AWS SDK v2 ignores AWS_ENDPOINT_URL; the SDK's global
 * `endpoint` setting, made here before CloudSploit loads, sends every service
 * call to one endpoint. Its collector forces an https.Agent, so the endpoint
 * must be https (a TLS front of moto whose certificate is trusted through
 * NODE_EXTRA_CA_CERTS). The SDK is the one CloudSploit requires (its own
 * node_modules), so the setting reaches its clients.
 */
const path = require('path');

const dir = process.cwd();
const endpoint = process.env.CLOUDSPLOIT_ENDPOINT;
if (!endpoint) throw new Error('cloudsploit-driver.js: CLOUDSPLOIT_ENDPOINT is not set');
require(path.join(dir, 'node_modules', 'aws-sdk')).config.update({ endpoint });
// index.js reads its arguments from process.argv.slice(2).
process.argv = [process.argv[0], path.join(dir, 'index.js'), ...process.argv.slice(2)];
require(path.join(dir, 'index.js'));
