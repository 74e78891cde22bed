/** API secrets through `app.request()`: one secret per dialect, and JWTs that must expire soon enough. */
import { sign } from 'hono/jwt';
import * as assert from 'uvu/assert';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import { test } from '../helpers/suite.ts';
import { makeService } from './service-kit.ts';

const kit = makeService();
const base = { service: kit.service, recordingsRoot: kit.recordingsRoot, version: 'test' };
const SECRETS = { callaba: 'callaba-secret', ome: 'ome-secret', huawei: 'huawei-secret' };
const app = createApp({ ...base, accessToken: 'shared-secret', credentials: SECRETS });

/** The status of one authenticated read of each dialect, given its credential. */
const callaba = async (jwt: string, on = app) =>
	(await on.request('/api/recording/getAll', { method: 'POST', headers: { 'x-access-token': jwt } })).status;
const ome = async (secret: string, on = app) =>
	(
		await on.request('/v1/vhosts/default/apps/app:records', {
			method: 'POST',
			headers: { authorization: `Basic ${Buffer.from(secret).toString('base64')}` },
			body: '{}',
		})
	).status;
const huawei = async (secret: string, on = app) =>
	(
		await on.request('/v1/0123456789abcdef/record/control?action=STOP', {
			method: 'POST',
			headers: { 'x-auth-token': secret, 'content-type': 'application/json' },
			body: JSON.stringify({ publish_domain: 'd', app: 'live', stream: 'none' }),
		})
	).status;

test('each dialect takes its own secret and refuses the others and the shared one', async () => {
	assert.is(await callaba(await issueAccessJwt(SECRETS.callaba, 1)), 200);
	for (const other of [SECRETS.ome, SECRETS.huawei, 'shared-secret']) {
		assert.is(await callaba(await issueAccessJwt(other, 1)), 401, other);
	}
	assert.is(await ome(SECRETS.ome), 200);
	for (const other of [SECRETS.callaba, SECRETS.huawei, 'shared-secret']) assert.is(await ome(other), 401, other);
	assert.not.equal(await huawei(SECRETS.huawei), 401);
	for (const other of [SECRETS.callaba, SECRETS.ome, 'shared-secret']) assert.is(await huawei(other), 401, other);
});

test('a dialect without a secret of its own takes the access token', async () => {
	const partial = createApp({ ...base, accessToken: 'shared-secret', credentials: { ome: SECRETS.ome } });
	assert.is(await callaba(await issueAccessJwt('shared-secret', 1), partial), 200);
	assert.is(await ome('shared-secret', partial), 401);
	assert.is(await ome(SECRETS.ome, partial), 200);
	assert.not.equal(await huawei('shared-secret', partial), 401);
});

test('a JWT without exp, or living longer than the maximum, is refused with the reason', async () => {
	const now = Math.floor(Date.now() / 1000);
	const refused = async (payload: Record<string, number | string>, reason: RegExp, on = app) => {
		const response = await on.request('/api/recording/getAll', {
			method: 'POST',
			headers: { 'x-access-token': await sign(payload, SECRETS.callaba, 'HS256') },
		});
		assert.is(response.status, 401, JSON.stringify(payload));
		assert.match(((await response.json()) as { message: string }).message, reason);
	};
	await refused({ id: 'x', iat: now }, /no exp/);
	await refused({ id: 'x', iat: now, exp: 1e300 }, /lives longer than the server accepts \(86400 s\)/);
	await refused({ id: 'x', iat: now, exp: now + 2 * 86_400 }, /lives longer/);
	// No iat: counted from now.
	await refused({ id: 'x', exp: now + 2 * 86_400 }, /lives longer/);
	// An old iat does not stretch the window: the token still expires beyond the maximum from now.
	await refused({ id: 'x', iat: now - 86_000, exp: now + 86_300 }, /lives longer/);
	const within = await sign({ id: 'x', iat: now, exp: now + 3600 }, SECRETS.callaba, 'HS256');
	assert.is(await callaba(within), 200);
	// The maximum is a setting.
	const longer = createApp({ ...base, accessToken: SECRETS.callaba, jwtMaxLifetimeSeconds: 30 * 86_400 });
	assert.is(await callaba(await issueAccessJwt(SECRETS.callaba, 30), longer), 200);
	await refused({ id: 'x', iat: now, exp: now + 31 * 86_400 }, /\(2592000 s\)/, longer);
});

test.after(async () => {
	await kit.service.shutdown();
	await kit.store.close();
});

test.run();
