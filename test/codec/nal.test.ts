import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { GrowableBuffer } from '../../src/bytes/growable-buffer.ts';
import {
	appendAnnexB,
	findStartCode,
	NalSpans,
	packLengthPrefixed,
	scanAnnexB,
	scanLengthPrefixed,
	unescapeRbsp,
} from '../../src/codec/nal.ts';
import { decodeErrors, probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const A = [0x09, 0xf0];
const B = [0x67, 1, 2, 3];
const C = [0x65, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];

test('Annex B scanning: 3- and 4-byte start codes, trailing zeros, leading junk', () => {
	const data = Uint8Array.of(0xff, 0, 0, 0, 1, ...A, 0, 0, 1, ...B, 0, 0, 0, 0, 1, ...C, 0, 0);
	const spans = scanAnnexB(data, new NalSpans());
	const found = Array.from({ length: spans.count }, (_, i) => [...data.subarray(spans.starts[i], spans.ends[i])]);
	assert.equal(found, [A, B, C]);
	assert.is(findStartCode(data, 0), 2); // the 00 00 01 inside 00 00 00 01
	assert.is(findStartCode(Uint8Array.of(1, 2, 3, 0, 0), 0), -1);
});

test('packLengthPrefixed works in place with 4-byte start codes, copies with 3-byte ones, same result', () => {
	const expected = Uint8Array.of(0, 0, 0, 4, ...B, 0, 0, 0, 6, ...C);
	const long = Uint8Array.of(0, 0, 0, 1, ...A, 0, 0, 0, 1, ...B, 0, 0, 0, 1, ...C);
	const spans = scanAnnexB(long, new NalSpans());
	spans.keep[0] = 0; // drop the delimiter
	const scratch = new GrowableBuffer(4);
	const inPlace = packLengthPrefixed(long, spans, scratch);
	assert.equal(inPlace, expected);
	assert.is(inPlace.buffer, long.buffer);

	const short = Uint8Array.of(0, 0, 1, ...B, 0, 0, 1, ...C);
	const copied = packLengthPrefixed(short, scanAnnexB(short, spans), scratch);
	assert.equal(copied, expected);
	assert.is(copied.buffer, scratch.bytes.buffer);
});

test('packLengthPrefixed gives the same bytes in place as copied, for any mix of start codes and dropped units', () => {
	let seed = 7;
	const random = (n: number): number => {
		seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; // 32-bit LCG (Numerical Recipes)
		return (seed >>> 8) % n;
	};
	const scratch = new GrowableBuffer(4);
	let inPlace = 0;
	for (let round = 0; round < 2000; round++) {
		const bytes: number[] = [];
		const units: number[][] = [];
		const keep: boolean[] = [];
		const count = 1 + random(12);
		for (let u = 0; u < count; u++) {
			bytes.push(...(random(3) ? [0, 0, 1] : [0, 0, 0, 1]));
			const unit = [0x41 + random(20), ...Array.from({ length: random(12) }, () => 2 + random(250))];
			bytes.push(...unit);
			units.push(unit);
			keep.push(random(4) > 0);
		}
		const data = Uint8Array.from(bytes);
		const spans = scanAnnexB(data, new NalSpans());
		assert.is(spans.count, count);
		keep.forEach((kept, i) => {
			spans.keep[i] = kept ? 1 : 0;
		});
		const expected = units.filter((_, i) => keep[i]).flatMap((unit) => [0, 0, 0, unit.length, ...unit]);
		const packed = packLengthPrefixed(data, spans, scratch);
		if (packed.buffer === data.buffer) inPlace++;
		assert.equal([...packed], expected, `round ${round}`);
	}
	assert.ok(inPlace > 500, `${inPlace} of 2000 packed in place`);
});

test('length-prefixed scanning stops at a length that runs past the end', () => {
	const spans = new NalSpans();
	assert.ok(scanLengthPrefixed(Uint8Array.of(0, 0, 0, 2, 1, 2, 0, 0, 0, 1, 9), spans));
	assert.is(spans.count, 2);
	assert.not.ok(scanLengthPrefixed(Uint8Array.of(0, 0, 0, 2, 1, 2, 0, 0, 0, 9, 9), spans));
	assert.is(spans.count, 1);
});

test('emulation prevention bytes are removed; a unit without any is returned as is', () => {
	assert.equal(
		unescapeRbsp(Uint8Array.of(0x67, 0, 0, 3, 1, 0, 0, 3, 0, 0, 3)),
		Uint8Array.of(0x67, 0, 0, 1, 0, 0, 0, 0),
	);
	const clean = Uint8Array.of(0x67, 0, 1, 3);
	assert.is(unescapeRbsp(clean), clean);
});

test('a real stream survives Annex B → length-prefixed → Annex B: ffmpeg decodes every frame', async () => {
	const file = fixture('h264-interlaced');
	const original = new Uint8Array(readFileSync(file));
	const spans = new NalSpans();
	const lengthPrefixed = packLengthPrefixed(original.slice(), scanAnnexB(original, spans), new GrowableBuffer());
	assert.ok(scanLengthPrefixed(lengthPrefixed, spans));
	const annexB = new GrowableBuffer();
	appendAnnexB(lengthPrefixed, spans, annexB);
	const back = annexB.view();
	const out = join(tempDir('nal-roundtrip'), `nal-roundtrip.h264`);
	writeFileSync(out, back);
	assert.is(await decodeErrors(out), '');
	const [a] = await probeStreams(file);
	const [b] = await probeStreams(out);
	assert.is(b!.packets, a!.packets);
});

test.run();
