import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { VERSION } from '../../src/cli/version.ts';
import { newDataDir, pushWithFfmpeg, type RecordingView, startServer, waitFor } from '../e2e/server-process.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { assertFinalized, recordUntilSignal } from './record-until-signal.ts';

const ROOT = join(import.meta.dirname, '../..');
const BUILD_MS = 120_000;
let building: Promise<string> | undefined;

/** dist/tapedeck, built by `npm run build:binary` once for whichever test asks first. */
const tapedeckBinary = (): Promise<string> => {
	building ??= run('npm', ['run', '--silent', 'build:binary'], BUILD_MS).then((built) => {
		assert.is(built.code, 0, built.stderr);
		return join(ROOT, 'dist/tapedeck');
	});
	return building;
};

test(
	'npm run build:binary makes dist/tapedeck, which remuxes from any folder',
	async () => {
		const binary = await tapedeckBinary();
		const version = await run(binary, ['--version'], 20_000);
		assert.is(version.stdout.trim(), VERSION);
		const output = join(tempDir('binary'), 'out.mp4');
		const remux = await run(binary, ['remux', fixture('h264-aac48'), output], 30_000);
		assert.is(remux.code, 0, remux.stderr);
		assert.is(await ffprobeErrors(output), '');
		assert.is(await decodeErrors(output), '');
	},
	2 * BUILD_MS,
);

test(
	'the single executable records an SRT publisher (the SRT thread starts from the bundled source)',
	async () => {
		const binary = await tapedeckBinary();
		const srtPort = await freePort('udp');
		const server = await startServer(await freePort(), newDataDir(), ['--srt-port', String(srtPort)], [binary]);
		try {
			const created = await server.api<{ id: string }>('create', {
				recording_name: 'srt in the binary',
				recording_type: 'RECORDING_STREAM_TO_FILE',
				input: { input_type: 'INPUT_TYPE_SRT_SOFTWARE', input_module_id: 'srt', input_stream_id: 'cam' },
				output_format: 'mp4',
				active: true,
			});
			const getById = () => server.api<RecordingView>('getById', { id: created.id });
			const push = pushWithFfmpeg(
				fixture('h264-aac48'),
				'mpegts',
				`srt://127.0.0.1:${srtPort}?linger=2&streamid=live/cam`,
				['-t', '3'],
			);
			await waitFor('recording', async () => (await getById()).state === 'recording');
			assert.is(await push.exited, 0, push.stderr);
			await waitFor('the stream ended', async () => (await getById()).state !== 'recording');
			await server.api('stop', { id: created.id });
			const files = (await getById()).recordedFiles;
			assert.is(files.length, 1, JSON.stringify(files));
			const file = files[0]?.path ?? '';
			assert.ok((files[0]?.duration ?? 0) > 2, `duration ${files[0]?.duration} s`);
			assert.is(await ffprobeErrors(file), '');
			assert.is(await decodeErrors(file), '');
		} finally {
			await server.peer.stop();
		}
	},
	2 * BUILD_MS,
);

test(
	'SIGTERM to the single executable finalizes the open file and ends it',
	async () => {
		await assertFinalized(await recordUntilSignal([await tapedeckBinary(), 'serve'], ['SIGTERM']));
	},
	2 * BUILD_MS,
);

test.run();
