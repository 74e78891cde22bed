/** `tapedeck serve` settings: flags over environment over defaults; the access token generated once. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as assert from 'uvu/assert';
import { startServer } from '../../src/cli/serve.ts';
import { loadAccessToken, loadServeConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

test('defaults, environment, flags', () => {
	const defaults = loadServeConfig([], {});
	assert.is(defaults.host, '127.0.0.1');
	assert.is(defaults.port, 8080);
	assert.is(defaults.dataDir, resolve('data'));
	assert.is(defaults.recordingsDir, join(resolve('data'), 'recordings'));
	const env = loadServeConfig([], { TAPEDECK_PORT: '9000', TAPEDECK_DATA: '/tmp/x' });
	assert.is(env.port, 9000);
	assert.is(env.recordingsDir, '/tmp/x/recordings');
	const flags = loadServeConfig(['--port', '9001', '--data', '/tmp/y', '--host', '0.0.0.0'], { TAPEDECK_PORT: '9000' });
	assert.equal([flags.port, flags.dataDir, flags.host], [9001, '/tmp/y', '0.0.0.0']);
	assert.throws(
		() => loadServeConfig(['--port', '70000'], {}),
		/^config: api\.port: expected a port 0-65535, got "70000" \(from --port\)$/,
	);
	assert.throws(() => loadServeConfig(['--nope'], {}), /Unknown option '--nope'/);
});

test('the access token: from the environment, else generated once (0600) and reused', () => {
	const data = tempDir('token');
	assert.equal(loadAccessToken(data, { TAPEDECK_ACCESS_TOKEN: 'abc' }), {
		secret: 'abc',
		generated: false,
		path: undefined,
	});
	const first = loadAccessToken(data, {});
	assert.ok(first.generated && first.secret.length >= 32);
	assert.is(statSync(join(data, 'access-token')).mode & 0o777, 0o600);
	assert.is(readFileSync(join(data, 'access-token'), 'utf8').trim(), first.secret);
	const second = loadAccessToken(data, {});
	assert.equal([second.generated, second.secret], [false, first.secret]);
});

test("a running server takes the OME dialect's settings and a dialect's own token from the file", async () => {
	const dir = tempDir('serve-ome');
	writeFileSync(
		join(dir, 'tapedeck.yaml'),
		'ome: { virtualHost: studio, applications: [live] }\napi: { tokens: { ome: ome-file-token } }\n',
	);
	const ports = ['--port', '0', '--rtmp-port', '0', '--srt-port', '0', '--rtsp-port', '0'];
	const config = loadServeConfig(['--data', dir, ...ports], {});
	const server = await startServer(config, loadAccessToken(dir, {}), { logger: silentLogger });
	const records = async (vhost: string, app: string, token = 'ome-file-token') => {
		const authorization = `Basic ${Buffer.from(token).toString('base64')}`;
		const response = await fetch(`${server.url}/v1/vhosts/${vhost}/apps/${app}:records`, {
			method: 'POST',
			headers: { authorization, 'content-type': 'application/json' },
			body: '{}',
		});
		return response.status;
	};
	try {
		assert.is(await records('studio', 'live'), 200);
		assert.is(await records('default', 'live'), 404);
		assert.is(await records('studio', 'other'), 404);
		assert.is(await records('studio', 'live', 'the-access-token'), 401);
	} finally {
		await server.close();
	}
});

test.run();
