/**
 * SIGTERM and SIGINT sent to the process a user started — `npm start` (npm's own process), the `tapedeck` bin —
 * finalize the open file and end every process: what Docker, systemd and Ctrl-C rely on. Both run the compiled
 * bundle (dist/tapedeck.cjs), built here first as `npm install` builds it.
 */
import * as assert from 'uvu/assert';
import { decodeErrors, ffprobeErrors, formatDuration } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { BUILD_MS, builtBundle, ROOT } from './bundle.ts';
import { type AfterSignal, recordUntilSignal } from './record-until-signal.ts';

/** Exit 0 by itself, nothing left running, one complete MP4 (no `.part`) that plays: what a user checks. */
const assertFinalized = async (after: AfterSignal): Promise<void> => {
	assert.is(after.killedBy, null, `killed by ${after.killedBy}: ${after.output}`);
	assert.is(after.code, 0, after.output);
	assert.equal(after.survivors, [], 'every process it started has exited');
	assert.equal(
		after.files.filter((file) => file.endsWith('.part')),
		[],
	);
	const mp4s = after.files.filter((file) => file.endsWith('.mp4'));
	assert.is(mp4s.length, 1, after.files.join(', '));
	const mp4 = mp4s[0]!;
	assert.is(await ffprobeErrors(mp4), '');
	assert.is(await decodeErrors(mp4), '');
	assert.ok((await formatDuration(mp4)) >= 1.5, `duration ${await formatDuration(mp4)} s`);
};

test(
	'SIGTERM to npm start (npm 10/11 forward it to the exec-ed node) finalizes the file and ends every process',
	async () => {
		await builtBundle();
		await assertFinalized(await recordUntilSignal(['npm', 'start', '--silent', '--prefix', ROOT, '--'], ['SIGTERM']));
	},
	BUILD_MS + 60_000,
);

test(
	'Ctrl-C under a terminal (SIGINT twice, from the terminal and from npm) to the tapedeck bin finalizes the file',
	async () => {
		await assertFinalized(await recordUntilSignal([await builtBundle(), 'serve'], ['SIGINT', 'SIGINT']));
	},
	BUILD_MS + 60_000,
);

test.run();
