import * as assert from 'uvu/assert';
import { BitReader } from '../../src/bytes/bit-reader.ts';
import { BitWriter } from '../../src/bytes/bit-writer.ts';
import { loasMuxLength, parseStreamMuxConfigHex, readAudioMuxElement } from '../../src/codec/latm.ts';
import { test } from '../helpers/suite.ts';

/** A LOAS frame (ISO/IEC 14496-3 §1.7.2) holding an AudioMuxElement with a StreamMuxConfig and `payload`. */
const loasFrame = (audioMuxVersion: 0 | 1, payload: readonly number[]): Uint8Array => {
	const w = new BitWriter(64);
	w.writeBits(0, 1); // useSameStreamMux
	w.writeBits(audioMuxVersion, 1);
	if (audioMuxVersion === 1) {
		w.writeBits(0, 1); // audioMuxVersionA
		w.writeBits(0, 2); // taraBufferFullness: bytesForValue 0 …
		w.writeBits(0xff, 8); // … one byte
	}
	w.writeBits(1, 1); // allStreamsSameTimeFraming
	w.writeBits(0, 6); // numSubFrames
	w.writeBits(0, 4); // numProgram
	w.writeBits(0, 3); // numLayer
	if (audioMuxVersion === 1) {
		w.writeBits(0, 2); // ascLen: bytesForValue 0 …
		w.writeBits(20, 8); // … 20 bits: 16 of config and 4 fill bits
	}
	w.writeBits(2, 5); // audioObjectType: AAC LC
	w.writeBits(4, 4); // samplingFrequencyIndex: 44.1 kHz
	w.writeBits(2, 4); // channelConfiguration
	w.writeBits(0, 3); // GASpecificConfig
	if (audioMuxVersion === 1) w.writeBits(0, 4); // fillBits
	w.writeBits(0, 3); // frameLengthType
	w.writeBits(0xff, 8); // latmBufferFullness
	w.writeBits(0, 1); // otherDataPresent
	w.writeBits(0, 1); // crcCheckPresent
	w.writeBits(payload.length, 8); // PayloadLengthInfo
	for (const byte of payload) w.writeBits(byte, 8); // PayloadMux, not byte aligned
	const element = w.toBytes();
	return Uint8Array.of(0x56, 0xe0 | (element.length >> 8), element.length & 0xff, ...element);
};

for (const version of [0, 1] as const) {
	test(`audioMuxVersion ${version}: config and the raw frame, byte aligned`, () => {
		const frame = loasFrame(version, [0xde, 0xad, 0xbe, 0xef, 0x01]);
		const length = loasMuxLength(frame, 0);
		assert.is(length, frame.length - 3);
		const out = new Uint8Array(16);
		const read = readAudioMuxElement(frame, new BitReader(frame, 3), true, undefined, out);
		assert.equal([...read.config.audioSpecificConfig], [0x12, 0x10]);
		assert.equal([read.config.aac.sampleRate, read.config.aac.channels], [44_100, 2]);
		assert.equal([...out.subarray(0, read.length)], [0xde, 0xad, 0xbe, 0xef, 0x01]);
	});
}

test('no syncword, no length; a frame before any config and multi-program configs are refused clearly', () => {
	assert.is(loasMuxLength(Uint8Array.of(0x56, 0x00, 0x10), 0), -1);
	const sameMux = Uint8Array.of(0x80, 0x01, 0xaa); // useSameStreamMux = 1 with nothing before it
	assert.throws(
		() => readAudioMuxElement(sameMux, new BitReader(sameMux), true, undefined, new Uint8Array(8)),
		/before any StreamMuxConfig/,
	);
	assert.throws(() => parseStreamMuxConfigHex('4010'), /more than one program/);
	assert.throws(() => parseStreamMuxConfigHex('zz'), /not hex/);
});

test("GStreamer's config= (cpresent=0), ending before latmBufferFullness, reads as AAC LC 48 kHz stereo", () => {
	const config = parseStreamMuxConfigHex('40002320adca00');
	assert.equal(
		[config.aac.objectType, config.aac.sampleRate, config.aac.channels, config.subFrames],
		[2, 48_000, 2, 1],
	);
});

test.run();
