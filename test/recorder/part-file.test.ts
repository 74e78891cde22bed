/** Finalizing and repairing MP4 `.part` files (written fragmented): the note says what was kept and dropped. */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { remuxFile } from '../../src/cli/remux.ts';
import { repairPart } from '../../src/recorder/part-file.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('part');
const fragmented = join(dir, 'source.frag.mp4');
await remuxFile({ input: fixture('h264-aac48'), output: fragmented, format: 'fmp4' });
const whole = readFileSync(fragmented);

test('a complete fragmented .part becomes a progressive file: "complete"', async () => {
	const part = join(dir, 'whole.mp4.part');
	copyFileSync(fragmented, part);
	const result = await repairPart(part, join(dir, 'whole.mp4'), 'mp4');
	assert.is(result.note, 'complete');
	assert.ok(!existsSync(part));
});

test('a .part cut inside its last fragment: that one fragment is counted once as dropped', async () => {
	const part = join(dir, 'cut.mp4.part');
	writeFileSync(part, whole.subarray(0, whole.length - 1000));
	const final = join(dir, 'cut.mp4');
	const result = await repairPart(part, final, 'mp4');
	assert.match(result.note, /^rebuilt from \d+ fragments, dropped 1 incomplete one$/);
	assert.is(await ffprobeErrors(final), '');
	assert.is(await decodeErrors(final), '');
});

test.run();
