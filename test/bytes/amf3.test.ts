import * as assert from 'uvu/assert';
import type { AmfValue } from '../../src/bytes/amf0.ts';
import { Amf3Reader } from '../../src/bytes/amf3.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { test } from '../helpers/suite.ts';

const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
/** One AMF3 value at the start of `bytes`, as the AMF0 reader reads an embedded one. */
const decodeAmf3 = (bytes: Uint8Array): AmfValue => new Amf3Reader(bytes).readValue();

test('scalars and 29-bit integers', () => {
	assert.is(decodeAmf3(fromHex('00')), undefined);
	assert.is(decodeAmf3(fromHex('01')), null);
	assert.is(decodeAmf3(fromHex('02')), false);
	assert.is(decodeAmf3(fromHex('03')), true);
	assert.is(decodeAmf3(fromHex('04 7f')), 127);
	assert.is(decodeAmf3(fromHex('04 8100')), 128);
	assert.is(decodeAmf3(fromHex('04 bfffffff')), 0x0fffffff); // largest positive
	assert.is(decodeAmf3(fromHex('04 ffffffff')), -1);
	assert.is(decodeAmf3(fromHex('05 400921fb54442d18')), Math.PI);
	assert.is(decodeAmf3(fromHex('06 0b 6869212121')), 'hi!!!');
	assert.equal(decodeAmf3(fromHex('08 01 0000000000000000')), new Date(0));
});

test('dense arrays with string references, mixed arrays as objects', () => {
	// [ "ab", "ab" (string ref 0), 1 ]
	assert.equal(decodeAmf3(fromHex('09 07 01 06 05 6162 06 00 04 01')), ['ab', 'ab', 1]);
	// associative { k: true } + dense [ 2 ]
	assert.equal(decodeAmf3(fromHex('09 03 036b 03 01 04 02')), { k: true, 0: 2 });
});

test('sealed traits, dynamic members and traits references', () => {
	// [ obj(sealed: width, height; class "") , obj(traits ref 0) ]
	const bytes = fromHex(
		'09 05 01' +
			'0a 23 01 0b7769647468 0d686569676874 04 8240 04 8170' + // 0x23 = 2 sealed, not dynamic, inline traits
			'0a 01 04 10 04 20', // 0x01 = traits reference 0
	);
	assert.equal(decodeAmf3(bytes), [
		{ width: 320, height: 240 },
		{ width: 16, height: 32 },
	]);
	// dynamic anonymous object { duration: 2.5, codec: "avc1" }
	const dynamic = fromHex('0a 0b 01 11 6475726174696f6e 05 4004000000000000 0b 636f646563 06 09 61766331 01');
	assert.equal(decodeAmf3(dynamic), { duration: 2.5, codec: 'avc1' });
});

test('object references return the same object', () => {
	const [a, b] = decodeAmf3(fromHex('09 05 01 0a 0b 01 01 0a 02')) as AmfValue[];
	assert.ok(a === b);
});

test('hostile input throws corrupt_input', () => {
	const cases = [
		fromHex('0a 07 01'), // externalizable
		fromHex('0d 03 00'), // vector
		fromHex('06 00'), // string reference with an empty table
		fromHex('09 ffffff7f'), // array of 2^27 values
		fromHex('05 0000'), // cut double
		fromHex('09 03 01'.repeat(100) + '01'), // nesting 100 deep
	];
	for (const bytes of cases) {
		try {
			decodeAmf3(bytes);
			assert.unreachable(Buffer.from(bytes).toString('hex'));
		} catch (error) {
			assert.instance(error, TapedeckError);
			assert.is((error as TapedeckError).code, 'corrupt_input');
		}
	}
});

test.run();
