import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { BitWriter } from '../../src/bytes/bit-writer.ts';
import {
	type AdtsHeader,
	adtsCanCarry,
	buildAudioSpecificConfig,
	parseAdtsHeader,
	parseAudioSpecificConfig,
	writeAdtsHeader,
} from '../../src/codec/aac.ts';
import { probeCodecs, probeStreams } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const adtsFrames = (file: string): AdtsHeader[] => {
	const data = new Uint8Array(readFileSync(file));
	const frames: AdtsHeader[] = [];
	for (let at = 0; at < data.length; ) {
		const header = parseAdtsHeader(data, at);
		if (!header) throw new Error(`no ADTS header at ${at}`);
		frames.push(header);
		at += header.frameLength;
	}
	return frames;
};

for (const name of ['aac-22k-mono', 'aac-51'] as const) {
	test(`${name}: ADTS frames, rate and channels agree with ffprobe; AudioSpecificConfig equals ffmpeg's`, async () => {
		const file = fixture(name);
		const frames = adtsFrames(file);
		const [probed] = await probeStreams(file);
		assert.is(frames.length, probed!.packets);
		const mp4 = join(tempDir('aac'), `aac-${name}.mp4`);
		assert.is((await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', file, '-c', 'copy', mp4])).code, 0);
		const [theirs] = await probeCodecs(mp4);
		const first = frames[0]!;
		assert.equal([first.sampleRate, first.channels], [theirs!.sampleRate, theirs!.channels]);
		assert.equal(buildAudioSpecificConfig(first), theirs!.extradata);
		const parsed = parseAudioSpecificConfig(theirs!.extradata);
		assert.equal(
			[parsed.objectType, parsed.sampleRateIndex, parsed.channelConfig],
			[first.objectType, first.sampleRateIndex, first.channelConfig],
		);
	});
}

test('writeAdtsHeader round trips through parseAdtsHeader', () => {
	const out = new Uint8Array(400);
	const config = { objectType: 2, sampleRateIndex: 4, sampleRate: 44_100, channelConfig: 2, channels: 2 };
	writeAdtsHeader(out, 0, config, 393);
	const header = parseAdtsHeader(out, 0)!;
	assert.equal(
		[header.objectType, header.sampleRate, header.channels, header.frameLength, header.headerLength, header.blocks],
		[2, 44_100, 2, 400, 7, 1],
	);
	assert.is(parseAdtsHeader(out, 1), undefined);
	assert.is(parseAdtsHeader(out.subarray(0, 5), 0), undefined);
});

test('explicit SBR signalling resolves to the core object type and rate; untabled rates escape', () => {
	const w = new BitWriter();
	w.writeBits(5, 5); // audioObjectType SBR
	w.writeBits(6, 4); // samplingFrequencyIndex 24 kHz (core)
	w.writeBits(2, 4); // channelConfiguration
	w.writeBits(3, 4); // extensionSamplingFrequencyIndex 48 kHz
	w.writeBits(2, 5); // audioObjectType LC
	w.writeBits(0, 3);
	const heAac = parseAudioSpecificConfig(w.toBytes());
	assert.equal([heAac.objectType, heAac.sampleRate, heAac.channels], [2, 24_000, 2]);
	assert.ok(adtsCanCarry(heAac));

	const odd = parseAudioSpecificConfig(
		buildAudioSpecificConfig({ objectType: 2, sampleRate: 50_000, channelConfig: 1 }),
	);
	assert.equal([odd.sampleRate, odd.sampleRateIndex], [50_000, 15]);
	assert.not.ok(adtsCanCarry(odd));
	const usac = parseAudioSpecificConfig(
		buildAudioSpecificConfig({ objectType: 42, sampleRate: 48_000, channelConfig: 2 }),
	);
	assert.is(usac.objectType, 42);
	assert.not.ok(adtsCanCarry(usac));
	assert.throws(() => parseAudioSpecificConfig(Uint8Array.of(0x10)), /2 bytes/);
});

test.run();
