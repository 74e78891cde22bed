import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { repairTs } from '../../mux/ts/repair-ts.ts';
import { decodeErrors, ffprobeErrors } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

test('a TS cut at any byte decodes cleanly after repair (whole packets, whole access units)', async () => {
	const bytes = readFileSync(fixture('h264-aac48'));
	const dir = tempDir('repair-ts');
	for (const fraction of [0.31, 0.5, 0.77]) {
		const cutAt = Math.floor(bytes.length * fraction) + 101;
		const path = join(dir, `cut-${fraction}.ts`);
		writeFileSync(path, bytes.subarray(0, cutAt));
		const report = await repairTs(path);
		assert.is(report.bytesBefore, cutAt);
		assert.is(report.bytesAfter % 188, 0);
		assert.ok(report.bytesAfter < cutAt && report.bytesAfter > cutAt - 188 * 200, `${report.bytesAfter} of ${cutAt}`);
		assert.is(statSync(path).size, report.bytesAfter);
		assert.is(await ffprobeErrors(path), '');
		assert.is(await decodeErrors(path), '', `decodes after a cut at ${cutAt}`);
	}
});

test.run();
