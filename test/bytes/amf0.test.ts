import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { Amf0Reader, AmfEcmaArray, type AmfValue, decodeAmf0, encodeAmf0 } from '../../src/bytes/amf0.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { test } from '../helpers/suite.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

test('scalars encode to the bytes the spec gives', () => {
	assert.is(hex(encodeAmf0(1)), '003ff0000000000000');
	assert.is(hex(encodeAmf0(true, false)), '01010100');
	assert.is(hex(encodeAmf0('connect')), '0200' + '07' + Buffer.from('connect').toString('hex'));
	assert.is(hex(encodeAmf0(null, undefined)), '0506');
	assert.is(hex(encodeAmf0(new Date(0))), '0b00000000000000000000');
	assert.is(hex(encodeAmf0([1, 'a'])), '0a00000002' + '003ff0000000000000' + '02000161');
});

test('object and ECMA array end with the empty key + object-end marker', () => {
	assert.is(hex(encodeAmf0({ a: 1 })), '03' + '000161' + '003ff0000000000000' + '000009');
	assert.is(
		hex(encodeAmf0(new AmfEcmaArray({ a: 1 }))),
		'08' + '00000001' + '000161' + '003ff0000000000000' + '000009',
	);
});

test('round trip of a connect command', () => {
	const values: AmfValue[] = [
		'connect',
		1,
		{
			app: 'live',
			flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)',
			tcUrl: 'rtmp://127.0.0.1:1935/live',
			fpad: false,
			capabilities: 15,
			audioCodecs: 3191,
			objectEncoding: 0,
			nested: { list: [1, 2, 'x'], when: new Date(1_700_000_000_000), nothing: null },
		},
		undefined,
		'ünïcødé ✓',
	];
	assert.equal(decodeAmf0(encodeAmf0(...values)), values);
});

test('ECMA arrays decode to plain objects, with a wrong advisory count', () => {
	// count says 5, one entry follows: the end marker decides.
	const bytes = fromHex('08 00000005 0005 7769647468 00 4074000000000000 000009');
	assert.equal(decodeAmf0(bytes), [{ width: 320 }]);
});

test('long strings above 65535 bytes', () => {
	const long = 'x'.repeat(70_000);
	const bytes = encodeAmf0(long);
	assert.is(bytes[0], 0x0c);
	assert.is(decodeAmf0(bytes)[0], long);
});

test('references point back at decoded objects; typed objects keep their properties', () => {
	// strict array [ {a:1}, ref 1 ] — reference 0 is the array itself, 1 the object.
	const bytes = fromHex('0a00000002 03 000161 003ff0000000000000 000009 07 0001');
	const [array] = decodeAmf0(bytes) as [AmfValue[]];
	assert.equal(array[0], { a: 1 });
	assert.ok(array[0] === array[1]);
	const typed = fromHex('10 0003 466f6f 000162 0101 000009');
	assert.equal(decodeAmf0(typed), [{ b: true }]);
});

test('AVM+ switch hands a value to AMF3', () => {
	// 0x11 then AMF3 object: dynamic, anonymous, { w: 7 (integer) }
	const bytes = fromHex('11 0a 0b 01 0377 0407 01');
	assert.equal(decodeAmf0(bytes), [{ w: 7 }]);
});

test('a __proto__ key stays an own data property', () => {
	const bytes = fromHex('03 0009 5f5f70726f746f5f5f 003ff0000000000000 000009');
	const [obj] = decodeAmf0(bytes) as [Record<string, AmfValue>];
	assert.ok(Object.hasOwn(obj, '__proto__'));
	assert.is(Object.getPrototypeOf(obj), Object.prototype);
});

test('truncated and hostile input throws a corrupt_input TapedeckError, never crashes', () => {
	const cases = [
		fromHex('00 3ff0'), // number cut short
		fromHex('02 0010 6162'), // string longer than the data
		fromHex('0a ffffffff'), // strict array claiming 4 G values
		fromHex('07 0003'), // reference to nothing
		fromHex('ff'), // unknown marker
		fromHex('0a00000001'.repeat(100) + '05'), // nesting 100 deep
	];
	for (const bytes of cases) {
		try {
			decodeAmf0(bytes);
			assert.unreachable(`accepted ${hex(bytes)}`);
		} catch (error) {
			assert.instance(error, TapedeckError);
			assert.is((error as TapedeckError).code, 'corrupt_input');
		}
	}
});

test('random bytes only ever throw TapedeckError', () => {
	let seed = 12345;
	const random = () => {
		seed = (seed * 1103515245 + 12345) % 2147483648;
		return seed / 2147483648;
	};
	for (let round = 0; round < 2000; round++) {
		const bytes = new Uint8Array(1 + Math.floor(random() * 64));
		for (let i = 0; i < bytes.length; i++)
			bytes[i] = random() < 0.5 ? Math.floor(random() * 0x12) : Math.floor(random() * 256);
		try {
			decodeAmf0(bytes);
		} catch (error) {
			if (!(error instanceof TapedeckError)) throw error;
		}
	}
});

test('onMetaData in an FLV written by ffmpeg', () => {
	const flv = new Uint8Array(readFileSync(fixture('h264-aac48-flv')));
	// FLV header (9) + PreviousTagSize0 (4) + tag header (11): the first tag is the script tag.
	assert.is(flv[13], 18);
	const size = flv[14]! * 65536 + flv[15]! * 256 + flv[16]!;
	const reader = new Amf0Reader(flv.subarray(24, 24 + size));
	assert.is(reader.readValue(), 'onMetaData');
	const meta = reader.readValue() as Record<string, AmfValue>;
	assert.is(meta.width, 320);
	assert.is(meta.height, 240);
	assert.is(meta.videocodecid, 7);
	assert.is(meta.audiocodecid, 10);
	assert.is(meta.audiosamplerate, 48000);
	assert.ok(reader.done);
});

test.run();
