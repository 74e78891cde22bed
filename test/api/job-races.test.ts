/**
 * One operation at a time per job, through the HTTP API: rounds of concurrent start / stop / update /
 * remove on one job leave the state the last answer reported, and the same state after a restart.
 */

import * as assert from 'uvu/assert';
import { createApp } from '../../src/api/app.ts';
import { issueAccessJwt } from '../../src/api/auth.ts';
import type { OpenInput } from '../../src/core/input-spec.ts';
import { test } from '../helpers/suite.ts';
import { makeService, type ServiceKit } from './service-kit.ts';

const SECRET = 'race-secret';
const jwt = await issueAccessJwt(SECRET, 1);

type Answer = { op: string; status: number; json: Record<string, unknown> };

/** An input whose start and stop take a few event-loop turns, as binding and closing a socket do. */
const slowInput: OpenInput = () => {
	const turns = () => new Promise<void>((resolve) => setTimeout(resolve, 1));
	return { description: 'a slow input', start: turns, stop: turns };
};

const open = (data?: string) => {
	const kit = makeService({ openInput: slowInput, ...(data === undefined ? {} : { data }) });
	const app = createApp({
		service: kit.service,
		recordingsRoot: kit.recordingsRoot,
		accessToken: SECRET,
		version: 't',
	});
	const call = async (op: string, body: unknown): Promise<Answer> => {
		const response = await app.request(`/api/recording/${op}`, {
			method: op === 'remove' ? 'DELETE' : 'POST',
			headers: { 'x-access-token': jwt, 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		return { op, status: response.status, json: (await response.json()) as Record<string, unknown> };
	};
	return { ...kit, call };
};

const close = async (kit: ServiceKit) => {
	await kit.service.shutdown();
	await kit.store.close();
};

test('50 rounds of concurrent start/stop/update/remove on one job, then a restart: the state of the last answer', async () => {
	let server = open();
	const data = server.data;
	for (let round = 0; round < 50; round++) {
		const created = await server.call('create', {
			recording_name: 'race',
			recording_type: 'RECORDING_STREAM_TO_FILE',
			input: { input_type: 'INPUT_TYPE_UDP_LISTEN', input_stream_listen_port: { port: 5000 } },
			output_format: 'mp4',
			active: round % 3 === 0,
		});
		assert.is(created.status, 200, JSON.stringify(created.json));
		const id = created.json['id'] as string;
		const withRemove = round % 2 === 0;
		const finished: Answer[] = [];
		const ops: Array<[string, unknown]> = [
			['start', { id }],
			['update', { id, recording_name: `race ${round}` }],
			['stop', { id }],
			['start', { id }],
			...(withRemove ? ([['remove', { id }]] as Array<[string, unknown]>) : []),
			['update', { id, output_format: 'mov' }],
			['start', { id }],
		];
		// Shuffled by the round so every order of arrival is tried.
		const order = ops.map((op, i) => [op, (i * 7 + round * 3) % ops.length] as const).sort((a, b) => a[1] - b[1]);
		await Promise.all(order.map(([[op, body]]) => server.call(op, body).then((answer) => finished.push(answer))));

		const removedAt = finished.findIndex((a) => a.op === 'remove' && a.status === 200);
		if (withRemove) {
			assert.ok(removedAt >= 0, `round ${round}: remove answered ${JSON.stringify(finished)}`);
			for (const later of finished.slice(removedAt + 1)) {
				assert.is(later.status, 404, `round ${round}: ${later.op} after the remove`);
			}
		} else {
			for (const answer of finished) assert.is(answer.status, 200, `round ${round}: ${answer.op}`);
		}
		const lastToggle = finished.filter((a) => a.status === 200 && (a.op === 'start' || a.op === 'stop')).at(-1);
		const renamed = finished.some((a) => a.op === 'update' && a.status === 200 && a.json['id'] !== undefined);
		const check = async (when: string) => {
			const now = await server.call('getById', { id });
			if (withRemove) {
				assert.is(now.status, 404, `round ${round} ${when}: the removed job stays removed`);
				return;
			}
			assert.is(now.status, 200);
			assert.is(
				now.json['active'],
				lastToggle?.op === 'start',
				`round ${round} ${when}: active as the last answer said`,
			);
			assert.is(now.json['recording_name'], renamed ? `race ${round}` : 'race', `round ${round} ${when}: update kept`);
			assert.is(now.json['output_format'], 'mov', `round ${round} ${when}: the other update kept too`);
		};
		await check('live');
		if (round % 10 === 9 || round === 0) {
			await close(server);
			server = open(data);
			await server.service.init();
			await check('after a restart');
		}
		if (!withRemove) assert.is((await server.call('remove', { id })).status, 200);
	}
	await close(server);
});

test('a change the store cannot save is answered as an error, not as done', async () => {
	const server = open();
	const created = await server.call('create', {
		recording_name: 'unsaved',
		recording_type: 'RECORDING_STREAM_TO_FILE',
		input: { input_type: 'INPUT_TYPE_UDP_LISTEN', input_stream_listen_port: { port: 5000 } },
		output_format: 'ts',
		active: false,
	});
	assert.is(created.status, 200);
	await server.store.close(); // as a store whose disk went away: every write now fails
	const start = await server.call('start', { id: created.json['id'] });
	assert.is(start.status, 500, JSON.stringify(start.json));
	assert.equal(start.json['success'], false);
	assert.is(server.service.get(created.json['id'] as string).active, false, 'nothing changed that is not saved');
	await server.service.shutdown();
});

test.run();
