/**
 * The audio sample entries besides AAC: MP3 (mp4a, objectTypeIndication 0x6B), AC-3 (ac-3 with
 * a dac3 built from the first frame) and Opus (Opus + dOps), each with H.264, in MP4, MOV and
 * fMP4: ffprobe and a full decode are clean and every sample reads back exactly.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { type FixtureName, fixture } from '../../fixtures/fixtures.ts';
import { FragmentedMp4Muxer } from '../../mux/mp4/fragmented-mp4-muxer.ts';
import { Mp4Muxer } from '../../mux/mp4/mp4-muxer.ts';
import { probeStreams } from '../helpers/media-check.ts';
import { fixtureMp4Source, muxToFile } from '../helpers/mp4-source.ts';
import { assertFaithfulMp4 } from '../helpers/mp4box-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('mp4-codecs');

const cases: readonly { fixture: FixtureName; codec: string }[] = [
	{ fixture: 'h264-mp3', codec: 'mp3' },
	{ fixture: 'h264-ac3', codec: 'ac3' },
	{ fixture: 'h264-opus', codec: 'opus' },
];

for (const { fixture: name, codec } of cases) {
	test(`${codec}: mp4, mov and fmp4 are clean and exact`, async () => {
		const src = fixtureMp4Source(name, dir);
		assert.is(src.tracks[1]?.codec, codec);
		for (const format of ['mp4', 'mov', 'fmp4'] as const) {
			const file = join(dir, `${name}.${format === 'fmp4' ? 'fmp4.mp4' : format}`);
			await muxToFile(
				(tracks, sink) =>
					format === 'fmp4' ? new FragmentedMp4Muxer(tracks, sink) : new Mp4Muxer(tracks, sink, { brand: format }),
				src,
				file,
			);
			await assertFaithfulMp4(file, fixture(name), src);
			const audio = (await probeStreams(file)).find((s) => s.codecType === 'audio');
			assert.is(audio?.codecName, codec, `${format} audio codec`);
		}
	});
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
