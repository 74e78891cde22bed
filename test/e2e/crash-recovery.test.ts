/**
 * Acceptance: SIGKILL mid-recording, restart. The file being written is repaired into a playable
 * file (at most the last ~2 s lost), the job is still listed, and it resumes: the next upload is
 * recorded as the next sequence.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { decodeErrors, ffprobeErrors, formatDuration } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import { newDataDir, pushWithFfmpeg, type RecordingView, startServer, waitFor } from './server-process.ts';

for (const format of ['mp4', 'flv', 'ts'] as const) {
	test(`SIGKILL while recording ${format}: playable after restart, job listed and resumed`, async () => {
		const data = newDataDir();
		const port = await freePort();
		const pushPort = await freePort();
		const first = await startServer(port, data);
		let id = '';
		try {
			({ id } = await first.api<{ id: string }>('create', {
				recording_name: `crash ${format}`,
				recording_type: 'RECORDING_STREAM_TO_FILE',
				input: { input_type: 'INPUT_TYPE_HTTP_LISTEN', input_stream_listen_port: { port: pushPort } },
				output_format: format,
			}));
			const push = pushWithFfmpeg(fixture('h264-aac48-10s'), 'mpegts', `http://127.0.0.1:${pushPort}/live`);
			const recorded = async () => (await first.api<RecordingView>('getById', { id })).recordedFiles[0]?.duration ?? 0;
			await waitFor('3.5 s recorded', async () => (await recorded()) >= 3.5, 20_000);
			first.peer.child.kill('SIGKILL');
			await first.peer.exited;
			await push.stop();
		} finally {
			await first.peer.stop();
		}

		const second = await startServer(port, data);
		try {
			const view = await second.api<RecordingView>('getById', { id });
			assert.is(view.recordedFiles.length, 1);
			const file = view.recordedFiles[0]!;
			assert.is(file.state, 'recovered');
			assert.ok(existsSync(file.path));
			assert.equal(
				readdirSync(dirname(file.path)).filter((n) => n.endsWith('.part')),
				[],
				'no .part left',
			);
			assert.is(await ffprobeErrors(file.path), '');
			assert.is(await decodeErrors(file.path), '');
			const seconds = await formatDuration(file.path);
			// About 3.5 s were recorded when the process died; at most the last ~2 s may be lost.
			assert.ok(seconds >= 1.5, `kept ${seconds} s of the ~3.5 s recorded`);
			assert.is(view.active, true);
			assert.is(view.state, 'ready', 'resumed: waiting for the stream again');
			const again = pushWithFfmpeg(fixture('h264-aac48'), 'mpegts', `http://127.0.0.1:${pushPort}/live`, ['-t', '1']);
			assert.is(await again.exited, 0, again.stderr);
			await waitFor('the resumed file', async () =>
				(await second.api<RecordingView>('getById', { id })).recordedFiles.some(
					(f) => f.sequence === 1 && f.state === 'complete',
				),
			);
		} finally {
			await second.peer.stop();
		}
	});
}

test.run();
