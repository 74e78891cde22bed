import * as assert from 'uvu/assert';
import { BitReader } from '../../src/bytes/bit-reader.ts';
import { BitWriter } from '../../src/bytes/bit-writer.ts';
import { crc32Mpeg } from '../../src/bytes/crc32-mpeg.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { test } from '../helpers/suite.ts';

test('fixed-width fields round trip, 32-bit values stay unsigned', () => {
	const w = new BitWriter(1);
	w.writeBits(5, 3);
	w.writeBits(0xffffffff, 32);
	w.writeFlag(true);
	w.writeBits(0x1234, 16);
	const r = new BitReader(w.toBytes());
	assert.is(r.readBits(3), 5);
	assert.is(r.readBits(32), 0xffffffff);
	assert.is(r.readFlag(), true);
	assert.is(r.readBits(16), 0x1234);
});

test('exp-Golomb codes match ITU-T H.264 §9.1 and round trip', () => {
	// Table 9-2: 1 → 0, 010 → 1, 011 → 2, 00100 → 3
	const r = new BitReader(Uint8Array.of(0b10100110, 0b01000000));
	assert.equal([r.readUe(), r.readUe(), r.readUe(), r.readUe()], [0, 1, 2, 3]);
	const values = [0, 1, 2, 7, 255, 65_535, 2 ** 31];
	const signed = [0, 1, -1, 17, -300];
	const w = new BitWriter();
	for (const v of values) w.writeUe(v);
	for (const v of signed) w.writeSe(v);
	const back = new BitReader(w.toBytes());
	assert.equal(
		values.map(() => back.readUe()),
		values,
	);
	assert.equal(
		signed.map(() => back.readSe()),
		signed,
	);
});

test('reading past the end is a corrupt_input error, not a crash', () => {
	const r = new BitReader(Uint8Array.of(0xff));
	r.readBits(6);
	try {
		r.readBits(3);
		assert.unreachable();
	} catch (error) {
		assert.instance(error, TapedeckError);
		assert.is((error as TapedeckError).code, 'corrupt_input');
	}
	assert.throws(() => new BitReader(new Uint8Array(8)).readUe(), /leading zero/);
});

test('CRC-32/MPEG-2: check value, and 0 over a section including its CRC', () => {
	assert.is(crc32Mpeg(new TextEncoder().encode('123456789')), 0x0376e6e7);
	// ffmpeg's PAT (transport_stream_id 1, program 1 → PMT PID 0x1000)
	const pat = Uint8Array.of(
		0x00,
		0xb0,
		0x0d,
		0x00,
		0x01,
		0xc1,
		0x00,
		0x00,
		0x00,
		0x01,
		0xf0,
		0x00,
		0x2a,
		0xb1,
		0x04,
		0xb2,
	);
	assert.is(crc32Mpeg(pat), 0);
	assert.is.not(crc32Mpeg(pat, 0, pat.length - 4), 0);
});

test.run();
