import * as assert from 'uvu/assert';
import { authorizationFor, DigestRealm, parseAuthorization, parseChallenges } from '../../ingest/rtsp/rtsp-auth.ts';
import {
	interleavedFrame,
	RtspHeaders,
	type RtspMessage,
	request,
	response,
	serializeMessage,
	sessionId,
	sessionTimeout,
} from '../../ingest/rtsp/rtsp-message.ts';
import { RtspReader } from '../../ingest/rtsp/rtsp-reader.ts';
import { formatTransport, parseTransports } from '../../ingest/rtsp/rtsp-transport.ts';
import { contentBase, parseSdp, resolveControl } from '../../ingest/rtsp/sdp.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { test } from '../helpers/suite.ts';

const text = (s: string) => new TextEncoder().encode(s);

const read = (chunks: Uint8Array[]) => {
	const messages: RtspMessage[] = [];
	const frames: [number, number[]][] = [];
	const reader = new RtspReader({
		message: (m) => messages.push(m),
		interleaved: (channel, data) => frames.push([channel, [...data]]),
	});
	for (const chunk of chunks) reader.push(chunk);
	return { messages, frames };
};

const SDP = text(
	'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\na=tool:libavformat 59.27.100\r\nm=video 0 RTP/AVP 96\r\n' +
		'a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==; profile-level-id=42C01E\r\n' +
		'a=control:streamid=0\r\nm=audio 0 RTP/AVP 97\r\nb=AS:128\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\n' +
		'a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3; config=119056E500\r\n' +
		'a=control:streamid=1\r\nm=video 0 RTP/AVP 33\r\na=control:rtsp://other/ts\r\n',
);

test('reads requests, responses and interleaved frames in any split', () => {
	const wire = new Uint8Array([
		...serializeMessage(request('ANNOUNCE', 'rtsp://h/app/s', new RtspHeaders([['CSeq', '2']]), SDP)),
		...interleavedFrame(0, Uint8Array.of(1, 2, 3)),
		...text('RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: abc;timeout=30\r\n\r\n'),
		...interleavedFrame(3, Uint8Array.of(9)),
	]);
	for (const step of [1, 2, 7, 100, wire.length]) {
		const chunks: Uint8Array[] = [];
		for (let at = 0; at < wire.length; at += step) chunks.push(wire.slice(at, at + step));
		const { messages, frames } = read(chunks);
		assert.is(messages.length, 2, `split ${step}`);
		const [announce, ok] = messages;
		assert.is(announce?.kind === 'request' && announce.method, 'ANNOUNCE');
		assert.equal(announce?.body, SDP);
		assert.is(ok?.kind === 'response' && ok.status, 200);
		assert.is(sessionId(ok?.headers.get('session')), 'abc');
		assert.is(sessionTimeout(ok?.headers.get('SESSION')), 30);
		assert.equal(frames, [
			[0, [1, 2, 3]],
			[3, [9]],
		]);
	}
});

test('broken or oversized messages are corrupt_input errors, never anything else', () => {
	const cases = [
		'GET / HTTP/1.1\r\n\r\n',
		'OPTIONS rtsp://x RTSP/1.0\r\nno colon here\r\n\r\n',
		'OPTIONS rtsp://x RTSP/1.0\r\nContent-Length: -4\r\n\r\n',
		'OPTIONS rtsp://x RTSP/1.0\r\nContent-Length: 99999999\r\n\r\n',
		'RTSP/1.0 abc OK\r\n\r\n',
		`OPTIONS rtsp://x RTSP/1.0\r\nX: ${'a'.repeat(20_000)}`,
	];
	for (const c of cases) {
		try {
			read([text(c)]);
			assert.unreachable(`accepted ${c.slice(0, 40)}`);
		} catch (error) {
			assert.instance(error, TapedeckError);
			assert.is((error as TapedeckError).code, 'corrupt_input');
		}
	}
});

test('fuzz: mutated messages throw only TapedeckError', () => {
	let seed = 7;
	const random = () => {
		seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
		return seed / 2_147_483_648;
	};
	const base = serializeMessage(request('SETUP', 'rtsp://h/a/s/streamid=0', new RtspHeaders([['CSeq', '3']]), SDP));
	for (let i = 0; i < 3000; i++) {
		const bytes = base.slice(0, Math.floor(random() * base.length) + 1);
		for (let k = Math.floor(random() * 6); k > 0; k--)
			bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
		try {
			read([bytes, interleavedFrame(1, bytes)]);
		} catch (error) {
			if (!(error instanceof TapedeckError)) throw error;
		}
	}
});

test('SDP: formats, fmtp parameters, static payload type 33, control URLs', () => {
	const sdp = parseSdp(new TextDecoder().decode(SDP));
	assert.is(sdp.media.length, 3);
	const [video, audio, ts] = sdp.media;
	assert.equal(video?.rtpmap.get(96), { encoding: 'H264', clockRate: 90_000, channels: 1 });
	assert.is(video?.fmtp.get(96)?.get('packetization-mode'), '1');
	assert.is(audio?.rtpmap.get(97)?.channels, 2);
	assert.is(audio?.fmtp.get(97)?.get('config'), '119056E500');
	assert.is(ts?.rtpmap.get(33)?.encoding, 'MP2T');
	const base = contentBase('rtsp://h:1/app/s', new RtspHeaders([['Content-Base', 'rtsp://h:1/app/s/']]), sdp);
	assert.is(resolveControl(base, video?.control), 'rtsp://h:1/app/s/streamid=0');
	assert.is(resolveControl('rtsp://h:1/app/s', audio?.control), 'rtsp://h:1/app/s/streamid=1');
	assert.is(resolveControl(base, ts?.control), 'rtsp://other/ts');
	assert.is(resolveControl(base, '*'), base);
	assert.throws(
		() => parseSdp('hello'),
		(e: unknown) => e instanceof TapedeckError,
	);
});

test('Transport: offers and answers, TCP interleaved and UDP ports', () => {
	const [tcp, udp] = parseTransports(
		'RTP/AVP/TCP;unicast;interleaved=2-3;mode=record, RTP/AVP;unicast;client_port=5000-5001',
	);
	assert.is(tcp?.lower, 'tcp');
	assert.equal(tcp?.interleaved, [2, 3]);
	assert.is(tcp?.mode, 'record');
	assert.is(udp?.lower, 'udp');
	assert.equal(udp?.clientPort, [5000, 5001]);
	const answer = formatTransport({ ...udp!, serverPort: [23100, 23101] });
	assert.is(answer, 'RTP/AVP;unicast;client_port=5000-5001;server_port=23100-23101');
	assert.equal(parseTransports('RTP/AVP/UDP;unicast;client_port=70000-70001')[0]?.clientPort, undefined);
});

test('Digest: a client answer checks out against the realm, a wrong password does not; Basic round-trips', () => {
	const realm = new DigestRealm('tapedeck');
	for (const challenge of parseChallenges(realm.challenges(true))) {
		const header = authorizationFor(challenge, { user: 'u', password: 'p' }, 'ANNOUNCE', 'rtsp://h/a/s');
		const presented = parseAuthorization(header);
		if (presented?.scheme === 'digest') {
			assert.ok(realm.verify(presented, 'ANNOUNCE', 'p'));
			assert.not.ok(realm.verify(presented, 'ANNOUNCE', 'q'));
			assert.not.ok(realm.verify(presented, 'RECORD', 'p'), 'bound to the method');
		} else {
			assert.equal(presented, { scheme: 'basic', user: 'u', password: 'p' });
		}
	}
	const qop = parseChallenges(['Digest realm="r", nonce="n", qop="auth,auth-int", opaque="o"'])[0]!;
	const answer = authorizationFor(qop, { user: 'u', password: 'p' }, 'DESCRIBE', 'rtsp://h/x', 1);
	assert.match(answer, /qop=auth, nc=00000001, cnonce="[0-9a-f]+"/);
	assert.match(answer, /opaque="o"/);
	assert.is(response(401).reason, 'Unauthorized');
});

test.run();
