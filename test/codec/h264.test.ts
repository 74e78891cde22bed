import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { buildAvcC, H264NalType, h264NalType, parseAvcC, parseH264Sps } from '../../src/codec/h264.ts';
import { NalSpans, scanAnnexB } from '../../src/codec/nal.ts';
import { probeCodecs } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** The first SPS and PPS of a raw Annex B stream. */
const parameterSets = (file: string): { sps: Uint8Array; pps: Uint8Array } => {
	const data = new Uint8Array(readFileSync(file));
	const spans = scanAnnexB(data, new NalSpans());
	const find = (type: number): Uint8Array => {
		for (let i = 0; i < spans.count; i++) {
			const unit = data.subarray(spans.starts[i], spans.ends[i]);
			if (h264NalType(unit[0]!) === type) return unit;
		}
		throw new Error(`no NAL unit of type ${type} in ${file}`);
	};
	return { sps: find(H264NalType.Sps), pps: find(H264NalType.Pps) };
};

/** ffmpeg's own avcC and picture size for the stream, read back from an MP4 it remuxes. */
const ffmpegView = async (file: string) => {
	const mp4 = join(tempDir('h264'), `h264-${file.split('/').pop()}.mp4`);
	const result = await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', file, '-c', 'copy', mp4]);
	assert.is(result.code, 0, result.stderr);
	const [stream] = await probeCodecs(mp4);
	return stream!;
};

test('SPS size with 4:4:4 cropping and JVT scaling lists matches ffprobe; avcC matches ffmpeg', async () => {
	const file = fixture('h264-444-crop');
	const { sps, pps } = parameterSets(file);
	const info = parseH264Sps(sps);
	const theirs = await ffmpegView(file);
	assert.equal([info.width, info.height], [theirs.width, theirs.height]);
	assert.equal([info.width, info.height], [322, 242]);
	assert.is(info.chromaFormatIdc, 3);
	// ffmpeg also writes the High-profile extension bytes for profile 244; ISO/IEC 14496-15 lists 100/110/122/144 only
	const ours = parseAvcC(buildAvcC([sps], [pps]));
	const reference = parseAvcC(theirs.extradata);
	assert.equal(ours.sps, reference.sps);
	assert.equal(ours.pps, reference.pps);
	assert.equal(
		[ours.profileIdc, ours.profileCompatibility, ours.levelIdc, ours.lengthSize],
		[reference.profileIdc, reference.profileCompatibility, reference.levelIdc, reference.lengthSize],
	);
});

test('interlaced SPS (frame_mbs_only_flag 0) size matches ffprobe; avcC is byte-identical to ffmpeg', async () => {
	const file = fixture('h264-interlaced');
	const { sps, pps } = parameterSets(file);
	const info = parseH264Sps(sps);
	const theirs = await ffmpegView(file);
	assert.equal([info.width, info.height], [theirs.width, theirs.height]);
	assert.is(info.profileIdc, 100);
	assert.equal(buildAvcC([sps], [pps]), theirs.extradata);
});

test('a truncated SPS is a corrupt_input error; avcC parsing names what is short', () => {
	const { sps, pps } = parameterSets(fixture('h264-interlaced'));
	assert.throws(() => parseH264Sps(sps.subarray(0, 4)), /truncated/);
	const avcc = buildAvcC([sps], [pps]);
	// cut through the PPS (the record ends with 4 High-profile extension bytes)
	assert.throws(() => parseAvcC(avcc.subarray(0, avcc.length - 6)), /pictureParameterSet/);
	assert.throws(() => parseAvcC(new Uint8Array(3)), /configurationVersion/);
});

test.run();
