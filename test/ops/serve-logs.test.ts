/**
 * Acceptance: what an operator's log collector reads from a recording server. A real `serve` (its
 * stderr a pipe, so the `auto` format is JSON) with the built-in RTMP listener and a stream key; ffmpeg
 * publishes a few seconds that a job records, then a publisher with a wrong key is refused. Every
 * line of stderr is one JSON object with a level, an ISO time, an event and a message (the lines for
 * people, the API's URL, stay on stdout), and the events carry what the README says they do.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { newDataDir, pushWithFfmpeg, type Server, startServer, waitFor } from '../e2e/server-process.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';

type Line = { level: string; time: string; event: string; msg: string; [field: string]: unknown };

const KEY = 'right-key-123';
const API_PORT = await freePort();
const RTMP_PORT = await freePort();

let server: Server;

test.before(async () => {
	const dataDir = newDataDir();
	writeFileSync(join(dataDir, 'publish.json'), JSON.stringify({ streams: { 'live/cam': { key: KEY } } }));
	server = await startServer(API_PORT, dataDir, ['--rtmp-port', String(RTMP_PORT)]);
});

test.after(async () => {
	await server?.peer.stop();
});

/** Every line of the server's stderr, each parsed as JSON (a line that is not fails the test). */
const logLines = (): Line[] =>
	server.peer.stderr
		.split('\n')
		.filter((line) => line.trim() !== '')
		.map((line) => {
			try {
				return JSON.parse(line) as Line;
			} catch {
				throw new Error(`a log line that is not JSON: ${line}`);
			}
		});

const events = (event: string): Line[] => logLines().filter((line) => line.event === event);

const logged = (event: string, match: (line: Line) => boolean = () => true): Promise<void> =>
	waitFor(`a ${event} line`, async () => events(event).some(match), 20_000);

test('a recorded RTMP publish and a refused one, as JSON log events', async () => {
	await logged('listener.started', (l) => l['protocol'] === 'rtmp');
	const created = await server.api<{ id: string }>('create', {
		recording_name: 'logged',
		recording_type: 'RECORDING_STREAM_TO_FILE',
		input: { input_type: 'INPUT_TYPE_RTMP_SOFTWARE', input_module_id: 'rtmp', input_stream_id: 'cam' },
		output_format: 'ts',
		active: true,
	});
	const url = `rtmp://127.0.0.1:${RTMP_PORT}/live/cam`;
	const publisher = pushWithFfmpeg(fixture('h264-aac48'), 'flv', `${url}?key=${KEY}`, ['-t', '3']);
	assert.is(await publisher.exited, 0, publisher.stderr);
	await logged('file.closed', (l) => l['job'] === created.id);
	await logged('session.ended');
	const refused = pushWithFfmpeg(fixture('h264-aac48'), 'flv', `${url}?key=wrong`, ['-t', '1']);
	assert.is.not(await refused.exited, 0, 'the wrong key is refused');
	await logged('publish.refused');
	await server.peer.stop();

	const lines = logLines();
	for (const line of lines) {
		assert.ok(['debug', 'info', 'warn', 'error', 'fatal'].includes(line.level), JSON.stringify(line));
		assert.ok(!Number.isNaN(Date.parse(line.time)) && line.time.endsWith('Z'), `ISO time: ${line.time}`);
		assert.type(line.event, 'string', JSON.stringify(line));
		assert.type(line.msg, 'string', JSON.stringify(line));
	}

	const [listener] = events('listener.started');
	assert.equal([listener?.['protocol'], listener?.['address']], ['rtmp', `127.0.0.1:${RTMP_PORT}`]);

	const accepted = events('publish.accepted');
	assert.is(accepted.length, 1, JSON.stringify(accepted));
	assert.equal(
		[accepted[0]?.['stream'], accepted[0]?.['protocol'], accepted[0]?.['reason']],
		['default/live/cam', 'rtmp', 'credentials accepted'],
	);
	assert.match(String(accepted[0]?.['remoteAddress']), '127.0.0.1');

	const opened = events('file.opened').filter((l) => l['job'] === created.id);
	const closed = events('file.closed').filter((l) => l['job'] === created.id);
	assert.is(opened.length, 1, JSON.stringify(opened));
	assert.is(closed.length, 1, JSON.stringify(closed));
	const file = closed[0] as Line;
	assert.is(file['name'], 'logged');
	assert.is(file['bytes'], statSync(String(file['path'])).size, 'bytes: the size of the file on disk');
	assert.ok((file['durationMs'] as number) > 2000, `duration ${file['durationMs']} ms`);

	const states = events('job.state').filter((l) => l['job'] === created.id);
	assert.ok(
		states.some((l) => l['state'] === 'recording'),
		JSON.stringify(states.map((l) => l['state'])),
	);
	assert.ok(states.every((l) => typeof l['reason'] === 'string'));

	const [session] = events('session.ended');
	assert.is(session?.['stream'], 'default/live/cam');
	assert.is(session?.['protocol'], 'rtmp');
	assert.ok((session?.['durationMs'] as number) > 2000, `session duration ${session?.['durationMs']} ms`);
	assert.ok((session?.['bytes'] as number) > 10_000, `session bytes ${session?.['bytes']}`);
	assert.type(session?.['reason'], 'string');

	const refusals = events('publish.refused');
	assert.is(refusals.length, 1, JSON.stringify(refusals));
	const refusal = refusals[0] as Line;
	assert.equal([refusal['stream'], refusal['protocol']], ['default/live/cam', 'rtmp']);
	assert.match(String(refusal['reason']), /wrong or missing key/);
	assert.match(String(refusal['remoteAddress']), '127.0.0.1');
	assert.is(refusal.level, 'info');
});

test.run();
