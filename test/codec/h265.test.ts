import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { buildHvcC, H265NalType, h265NalType, isH265Irap, parseH265Sps, parseHvcC } from '../../src/codec/h265.ts';
import { NalSpans, scanAnnexB } from '../../src/codec/nal.ts';
import { probeCodecs } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const units = (file: string): Uint8Array[] => {
	const data = new Uint8Array(readFileSync(file));
	const spans = scanAnnexB(data, new NalSpans());
	return Array.from({ length: spans.count }, (_, i) => data.subarray(spans.starts[i], spans.ends[i]));
};

test('Main 10 SPS with a conformance window: size, depth and hvcC agree with ffmpeg', async () => {
	const file = fixture('h265-main10-crop');
	const all = units(file);
	const ofType = (type: number) => all.filter((u) => h265NalType(u[0]!) === type).slice(0, 1);
	const [vps, sps, pps] = [ofType(H265NalType.Vps), ofType(H265NalType.Sps), ofType(H265NalType.Pps)];
	const info = parseH265Sps(sps[0]!);
	const mp4 = join(tempDir('h265-main10'), `h265-main10.mp4`);
	assert.is((await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', file, '-c', 'copy', mp4])).code, 0);
	const [theirs] = await probeCodecs(mp4);
	assert.equal([info.width, info.height], [theirs!.width, theirs!.height]);
	assert.equal([info.width, info.height], [322, 242]);
	assert.equal([info.bitDepthLuma, info.bitDepthChroma, info.chromaFormatIdc], [10, 10, 1]);
	assert.is(info.generalProfileIdc, 2); // Main 10

	const ours = buildHvcC(vps, sps, pps);
	const reference = theirs!.extradata;
	// profile_space..general_level_idc, then chromaFormat and both bit depths, are the same bytes
	assert.equal(ours.subarray(1, 13), reference.subarray(1, 13));
	assert.equal(ours.subarray(16, 19), reference.subarray(16, 19));
	const a = parseHvcC(ours);
	const b = parseHvcC(reference);
	assert.equal(
		[a.generalProfileIdc, a.generalTierFlag, a.generalLevelIdc, a.lengthSize],
		[b.generalProfileIdc, b.generalTierFlag, b.generalLevelIdc, b.lengthSize],
	);
	const parameterArrays = (c: typeof a) =>
		c.arrays.filter((x) => x.nalType >= H265NalType.Vps && x.nalType <= H265NalType.Pps);
	assert.equal(parameterArrays(a), parameterArrays(b));
});

test('IRAP types and header parsing', () => {
	assert.ok(isH265Irap(H265NalType.IdrWRadl));
	assert.ok(isH265Irap(H265NalType.Cra));
	assert.not.ok(isH265Irap(1));
	assert.is(h265NalType(0x40), H265NalType.Vps); // 0x40 0x01 starts every VPS
	assert.throws(() => parseHvcC(new Uint8Array(10)), /configurationVersion/);
	const sps = units(fixture('h265-main10-crop')).find((u) => h265NalType(u[0]!) === H265NalType.Sps)!;
	assert.throws(() => parseH265Sps(sps.subarray(0, 8)), /profile_tier_level/);
});

test.run();
