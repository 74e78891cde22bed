/** `tapedeck token` spawned as a user runs it: the server's data folder, never a secret of its own, bounded lifetime. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { verify } from 'hono/jwt';
import * as assert from 'uvu/assert';
import { loadAccessToken } from '../../src/config/load.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const ROOT = join(import.meta.dirname, '../..');
// test/run.sh sets NO_COLOR and FORCE_COLOR together, which makes every child node warn on stderr.
delete process.env.FORCE_COLOR;
delete process.env.TAPEDECK_ACCESS_TOKEN;
delete process.env.TAPEDECK_CALLABA_TOKEN;
const tapedeck = (...args: string[]) => run(process.execPath, [join(ROOT, 'src/cli/bin.mjs'), ...args], 30_000);

test('refuses to mint a token for a data folder that has no secret, and creates none', async () => {
	const data = tempDir('token');
	const result = await tapedeck('token', '--data', data);
	assert.is(result.code, 1);
	assert.match(result.stderr, /no access token in .*access-token .*start the server with this data folder first/);
	assert.is(result.stdout, '');
	assert.not.ok(existsSync(join(data, 'access-token')));
});

test("signs with the server's secret from its data folder, for at most the server's maximum lifetime", async () => {
	const data = tempDir('token');
	const { secret } = loadAccessToken(data, {}); // what `serve --data` does at its first start
	const result = await tapedeck('token', '--data', data);
	assert.is(result.code, 0, result.stderr);
	const payload = await verify(result.stdout.trim(), secret, 'HS256');
	const lifetime = (payload.exp as number) - (payload.iat as number);
	assert.is(lifetime, 86_400);

	const tooLong = await tapedeck('token', '--data', data, '--days', '30');
	assert.is(tooLong.code, 1);
	assert.match(tooLong.stderr, /--days 30 is longer than the server accepts \(1 days/);
	const allowed = await tapedeck('token', '--data', data, '--days', '30', '--jwt-max-lifetime', '2592000');
	assert.is(allowed.code, 0, allowed.stderr);
	const long = await verify(allowed.stdout.trim(), secret, 'HS256');
	assert.is((long.exp as number) - (long.iat as number), 30 * 86_400);
});

test.run();
