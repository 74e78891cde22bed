/** Acceptance: SIGTERM finalizes every open file before the server exits; the job resumes at the next start. */

import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { ffprobeErrors } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import { newDataDir, pushWithFfmpeg, type RecordingView, startServer, waitFor } from './server-process.ts';

test('SIGTERM finalizes the open file before exit', async () => {
	const data = newDataDir();
	const port = await freePort();
	const udpPort = await freePort('udp');
	const server = await startServer(port, data);
	const { id } = await server.api<{ id: string }>('create', {
		recording_name: 'term',
		recording_type: 'RECORDING_STREAM_TO_FILE',
		input: { input_type: 'INPUT_TYPE_UDP_LISTEN', input_stream_listen_port: { port: udpPort } },
		output_format: 'mp4',
	});
	const push = pushWithFfmpeg(fixture('h264-aac48'), 'mpegts', `udp://127.0.0.1:${udpPort}?pkt_size=1316`, ['-t', '2']);
	await waitFor('recording', async () => (await server.api<RecordingView>('getById', { id })).state === 'recording');
	await push.exited;
	await server.peer.stop(10_000);
	assert.is(server.peer.child.signalCode, null, 'exited by itself after SIGTERM');
	const restarted = await startServer(port, data);
	try {
		const view = await restarted.api<RecordingView>('getById', { id });
		assert.is(view.recordedFiles[0]?.state, 'complete');
		assert.is(await ffprobeErrors(view.recordedFiles[0]!.path), '');
		assert.ok(Math.abs(view.recordedFiles[0]!.duration - 2) < 0.5);
	} finally {
		await restarted.peer.stop();
	}
});

test.run();
