import * as assert from 'uvu/assert';
import {
	decodeHandshake,
	decodeSrtInfo,
	decodeStringExtension,
	ExtensionType,
	encodeHandshake,
	encodePeerIp,
	encodeStringExtension,
	findExtension,
	HandshakeType,
} from '../../ingest/srt/handshake.ts';
import {
	createKeyMaterial,
	decodeKeyMaterial,
	deriveKek,
	encodeKeyMaterial,
	openKeyMaterial,
	unwrapKeys,
} from '../../ingest/srt/key-material.ts';
import { decodeLossList, encodeLossList } from '../../ingest/srt/loss-list.ts';
import { PayloadCipher } from '../../ingest/srt/payload-cipher.ts';
import { ackNoNext, seqAdd, seqOffset } from '../../ingest/srt/sequence.ts';
import {
	ControlType,
	controlType,
	dataKeyFlag,
	dataMsgNo,
	dataRetransmitted,
	dataSeq,
	encodeControl,
	isControl,
	packetDestination,
	packetTimestamp,
	writeDataHeader,
} from '../../ingest/srt/srt-packet.ts';
import { parseSrtUrl } from '../../ingest/srt/srt-url.ts';
import { parseStreamId, streamKeyFromResource } from '../../ingest/srt/stream-id.ts';
import { test } from '../helpers/suite.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

test('31-bit sequence numbers wrap at 2^31 in every operation', () => {
	const max = 0x7fffffff;
	assert.is(seqAdd(max, 1), 0);
	assert.is(seqAdd(5, -10), max - 4);
	assert.is(seqOffset(max - 1, 2), 4);
	assert.is(seqOffset(2, max - 1), -4);
	assert.ok(seqOffset(max, 3) > 0, '3 comes after 2^31−1');
	assert.ok(seqOffset(3, max) < 0);
	assert.is(seqOffset(100, 100), 0);
	assert.is(seqOffset(0, 0x3fffffff), 0x3fffffff);
});

test('full-ACK numbers wrap to 0', () => {
	assert.is(ackNoNext(0x7fffffff), 0);
});

test('induction request of capture A decodes field by field', () => {
	const d = hex(`80000000 00000000 000001bd 00000000 | 00000004 00000002 348b2092 000005dc
		00002000 00000001 0d4da66f 00000000 | 0100007f 00000000 00000000 00000000`);
	assert.ok(isControl(d));
	assert.is(controlType(d), ControlType.handshake);
	assert.is(packetTimestamp(d), 445);
	assert.is(packetDestination(d), 0);
	const hs = decodeHandshake(d);
	assert.ok(hs);
	assert.is(hs.version, 4);
	assert.is(hs.extensionField, 2);
	assert.is(hs.initialSeq, 0x348b2092);
	assert.is(hs.mtu, 1500);
	assert.is(hs.flowWindow, 8192);
	assert.is(hs.type, HandshakeType.induction);
	assert.is(hs.socketId, 0x0d4da66f);
	assert.equal([...hs.peerIp.subarray(0, 4)], [...encodePeerIp('127.0.0.1').subarray(0, 4)]);
});

test('conclusion of capture A: HSREQ and the per-word reversed stream id round-trip', () => {
	const d = hex(`80000000 00000000 00000398 00000000 | 00000005 00000005 348b2092 000005dc
		00002000 ffffffff 0d4da66f ca9ffe04 | 0100007f 00000000 00000000 00000000
		00010003 00010501 000000bf 00c800c8 | 00050007 3a3a2123 696c3d72 632f6576
		2c316d61 75703d6d 73696c62 00000068`);
	const hs = decodeHandshake(d);
	assert.ok(hs);
	assert.is(hs.type, HandshakeType.conclusion);
	assert.is(hs.cookie, 0xca9ffe04);
	const info = decodeSrtInfo(findExtension(hs, ExtensionType.hsreq)?.data ?? new Uint8Array());
	assert.equal(info, { version: 0x010501, flags: 0xbf, recvLatencyMs: 200, sendLatencyMs: 200 });
	const sid = findExtension(hs, ExtensionType.sid);
	assert.ok(sid);
	assert.is(decodeStringExtension(sid.data), '#!::r=live/cam1,m=publish');
	assert.equal(Buffer.from(encodeStringExtension('#!::r=live/cam1,m=publish')), Buffer.from(sid.data));
	const reencoded = encodeControl(0, 0, 0, 0x398, 0, encodeHandshake(hs));
	assert.equal(reencoded, d);
});

test('truncated headers and absurd extension lengths decode to nothing', () => {
	assert.is(decodeHandshake(new Uint8Array(40)), undefined);
	const hs = hex(`80000000 00000000 00000000 00000000 | 00000005 00000005 00000001 000005dc
		00002000 ffffffff 00000001 00000001 | 00000000 00000000 00000000 00000000 | 0005ffff 41424344`);
	assert.is(decodeHandshake(hs), undefined);
});

test('data header fields: seq, KK, R flag, msgno', () => {
	const d = new Uint8Array(20);
	writeDataHeader(d, {
		seq: 0x7ffffffe,
		msgNo: 0x03ffffff,
		keyFlag: 2,
		retransmitted: true,
		timestamp: 0xfffffff0,
		destination: 42,
	});
	assert.is(dataSeq(d), 0x7ffffffe);
	assert.is(dataMsgNo(d), 0x03ffffff);
	assert.is(dataKeyFlag(d), 2);
	assert.ok(dataRetransmitted(d));
	assert.is(packetTimestamp(d), 0xfffffff0);
	assert.is(packetDestination(d), 42);
	const captured = hex('348b2092 e8000001 0000cb39 0f7b81e7');
	assert.is(dataKeyFlag(captured), 1);
	assert.is(dataMsgNo(captured), 1);
	assert.not.ok(dataRetransmitted(hex('348b2092 e0000001 0000cb39 0f7b81e7')));
	assert.ok(dataRetransmitted(hex('348b2092 c4000032 0000cb39 0f7b81e7')));
});

test('NAK loss list: single and range encodings (capture D)', () => {
	const ranges = decodeLossList(hex('5f97093c 928e0624 128e0626'));
	assert.equal(ranges, [
		{ first: 0x5f97093c, last: 0x5f97093c },
		{ first: 0x128e0624, last: 0x128e0626 },
	]);
	assert.equal(Buffer.from(encodeLossList(ranges)), hex('5f97093c 928e0624 128e0626'));
	assert.equal(decodeLossList(hex('928e0624')), [], 'a range without its end word is dropped');
});

test('key material of capture B: KEK, unwrap and AES-CTR decryption (known answer)', () => {
	const km = decodeKeyMaterial(
		hex(`12202901 00000000 02000200 00000404 5c59cf39 4d9905f2 7b40c098
		6668fe8a b3f3efbb c131e71e a277f2f0 15d4598d 99584c53 79a3e8f7`),
	);
	assert.ok(km);
	assert.is(km.keyLength, 16);
	assert.is(deriveKek('interop-secret-123', km.salt, 16).toString('hex'), '3679fc64ddb4dfba1bec47cbca9cf089');
	const keys = openKeyMaterial(km, 'interop-secret-123');
	assert.ok(keys?.even);
	assert.is(Buffer.from(keys.even).toString('hex'), '5585a4da09d8b77b782da022d8210a4d');
	assert.is(openKeyMaterial(km, 'not-the-passphrase'), undefined, 'wrong passphrase fails the integrity check');
	const cipher = new PayloadCipher();
	cipher.setKeys(keys.salt, keys.even, undefined);
	const ciphertext = hex('568d46bd8cd53261200a3be9ee631339 8892742501039561e1f515ade5877c03 00');
	// Word-aligned (fast path) and odd-offset views decrypt alike.
	for (const payload of [Buffer.alloc(33), Buffer.alloc(34).subarray(1)]) {
		ciphertext.copy(payload);
		assert.ok(cipher.apply(payload, 1284338389, 1));
		assert.is(payload.toString('hex', 0, 32), '474011100042f0250001c10000ff01ff0001fc80144812010646466d70656709');
	}
	const payload = Buffer.from(ciphertext);
	assert.not.ok(cipher.apply(payload, 1, 2), 'no odd key installed');
});

test('generated key material round-trips for 16, 24 and 32-byte keys', () => {
	for (const length of [16, 24, 32] as const) {
		const { message, keys } = createKeyMaterial('a passphrase of ours', length);
		const decoded = decodeKeyMaterial(encodeKeyMaterial(message));
		assert.ok(decoded);
		const opened = openKeyMaterial(decoded, 'a passphrase of ours');
		assert.equal(opened?.even && Buffer.from(opened.even), keys.even && Buffer.from(keys.even));
		assert.is(unwrapKeys(deriveKek('wrong passphrase', decoded.salt, length), decoded.wrapped), undefined);
		const c = new PayloadCipher();
		c.setKeys(keys.salt, keys.even, undefined);
		const plain = Buffer.alloc(1316, 0x47);
		const data = Buffer.from(plain);
		c.apply(data, 0x7fffffff, 1);
		assert.not.equal(data, plain);
		c.apply(data, 0x7fffffff, 1);
		assert.equal(data, plain);
	}
});

test('stream ids: structured, plain, r= only, host-prefixed; bad ones are errors', () => {
	const s = parseStreamId('#!::r=live/cam1,m=publish,u=alice');
	assert.is(s.resource, 'live/cam1');
	assert.is(s.mode, 'publish');
	assert.is(s.fields.u, 'alice');
	assert.equal(streamKeyFromResource(s.resource), { vhost: 'default', app: 'live', stream: 'cam1' });
	assert.equal(streamKeyFromResource(parseStreamId('app/stream').resource), {
		vhost: 'default',
		app: 'app',
		stream: 'stream',
	});
	assert.equal(parseStreamId('#!::r=show/feed').mode, 'publish');
	assert.equal(streamKeyFromResource(parseStreamId('r=show/feed').resource).app, 'show');
	assert.equal(streamKeyFromResource('host.example/app/s'), { vhost: 'default', app: 'app', stream: 's' });
	assert.equal(streamKeyFromResource('solo'), { vhost: 'default', app: 'live', stream: 'solo' });
	assert.is(parseStreamId('#!::r=a/b,m=request').mode, 'request');
	assert.throws(() => parseStreamId('#!::r=a/b,m=sideways'), /mode/);
	assert.throws(() => parseStreamId('#!::garbage'), /key=value/);
	assert.throws(() => streamKeyFromResource(''), /names no stream/);
});

test('srt:// pull URLs: stream id with a raw #, passphrase, latency in ms, pbkeylen; bad options are named', () => {
	const u = parseSrtUrl(
		'srt://10.0.0.5:9000?streamid=#!::r=live/a,m=request&passphrase=0123456789&latency=250&pbkeylen=32',
	);
	assert.equal(u, {
		host: '10.0.0.5',
		port: 9000,
		streamId: '#!::r=live/a,m=request',
		passphrase: '0123456789',
		latencyMs: 250,
		keyLength: 32,
	});
	assert.throws(() => parseSrtUrl('srt://h:1?passphrase=short'), /10 to 80 bytes/);
	assert.throws(() => parseSrtUrl('srt://h:1?pbkeylen=20'), /16, 24 or 32/);
	assert.throws(() => parseSrtUrl('srt://h:1?mode=listener'), /mode=caller/);
	assert.throws(() => parseSrtUrl('srt://h:1?maxbw=5'), /"maxbw" is not supported/);
	assert.throws(() => parseSrtUrl('srt://h?latency=1'), /host and a port/);
	assert.throws(() => parseSrtUrl('udp://h:1'), /srt:\/\//);
});

test.run();
