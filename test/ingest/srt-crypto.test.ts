/**
 * Encrypted SRT against libsrt peers: AES-128 and AES-256, a forced key refresh, wrong and missing
 * passphrases, per-stream passphrases, and our caller's key material accepted by srt-live-transmit.
 */

import * as assert from 'uvu/assert';
import { SrtCaller } from '../../ingest/srt/srt-caller.ts';
import type { SrtListenerOptions } from '../../ingest/srt/srt-listener.ts';
import { freePort } from '../helpers/ports.ts';
import { test } from '../helpers/suite.ts';
import {
	assertPulled,
	FakeHub,
	failedCallerAttempt,
	ffmpegPublisher,
	ffmpegRemux,
	firstDifference,
	media,
	PayloadTap,
	paddedTs,
	RecordingPublisher,
	type SrtCapture,
	sltListener,
	startCapturingListener,
	waitFor,
} from './srt-kit.ts';

const sent = await ffmpegRemux(media);
const SECRET = 'tapedeck-secret-42';

const startListener = (port: number, hub: FakeHub, passphrase: SrtListenerOptions['passphrase']) =>
	startCapturingListener({ hub, port, passphrase });

const assertDelivered = (c: SrtCapture | undefined, expected: Uint8Array) => {
	assert.ok(c?.final, 'session ended');
	const got = c.tap.bytes();
	assert.is(firstDifference(got, expected), -1, `${got.length} of ${expected.length} bytes, identical`);
	assert.ok(c.final.encrypted);
	assert.is(c.final.stats.packetsUndecrypted, 0);
};

for (const keyLength of [16, 32] as const) {
	test(`ffmpeg caller with pbkeylen=${keyLength} → encrypted listener: decrypted byte for byte`, async () => {
		const port = await freePort('udp');
		const { listener, captures } = await startListener(port, new FakeHub(), SECRET);
		const peer = ffmpegPublisher(
			media,
			`srt://127.0.0.1:${port}?mode=caller&linger=2&passphrase=${SECRET}&pbkeylen=${keyLength}&streamid=live/k${keyLength}`,
		);
		try {
			assert.is(await peer.exited, 0, peer.stderr);
			assert.ok(await waitFor(() => captures.get(`live/k${keyLength}`)?.final !== undefined, 3000));
			assertDelivered(captures.get(`live/k${keyLength}`), sent);
		} finally {
			await peer.stop();
			await listener.stop();
		}
	});
}

test('forced key refresh (kmrefreshrate=100, kmpreannounce=20): keys switch even ↔ odd, nothing lost', async () => {
	const port = await freePort('udp');
	const { listener, captures } = await startListener(port, new FakeHub(), SECRET);
	const peer = ffmpegPublisher(
		media,
		`srt://127.0.0.1:${port}?mode=caller&linger=2&passphrase=${SECRET}&pbkeylen=32&kmrefreshrate=100&kmpreannounce=20&streamid=live/refresh`,
	);
	try {
		assert.is(await peer.exited, 0, peer.stderr);
		assert.ok(await waitFor(() => captures.get('live/refresh')?.final !== undefined, 3000));
		const c = captures.get('live/refresh');
		assertDelivered(c, sent);
		assert.ok((c?.final?.stats.keyRefreshes ?? 0) >= 1, `key refreshes: ${c?.final?.stats.keyRefreshes}`);
	} finally {
		await peer.stop();
		await listener.stop();
	}
});

test('wrong passphrase (1010) and passphrase on one side only (1011) are rejected; nothing is published', async () => {
	const port = await freePort('udp');
	const hub = new FakeHub();
	const { listener, captures } = await startListener(port, hub, SECRET);
	try {
		const wrong = ffmpegPublisher(
			media,
			`srt://127.0.0.1:${port}?mode=caller&passphrase=not-the-secret&streamid=live/wrong`,
		);
		assert.is.not(await wrong.exited, 0, 'ffmpeg with a wrong passphrase fails');
		const clear = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&streamid=live/clear`);
		assert.is.not(await clear.exited, 0, 'ffmpeg without a passphrase fails');
		const wrongKey = await failedCallerAttempt(`srt://127.0.0.1:${port}?streamid=live/ours&passphrase=not-the-secret`);
		const noKey = await failedCallerAttempt(`srt://127.0.0.1:${port}?streamid=live/ours`);
		assert.match(wrongKey ?? '', /1010 BADSECRET/);
		assert.match(noKey ?? '', /1011 UNSECURE/);
		assert.is(hub.publishers.size, 0, 'no stream was published');
		assert.is(captures.size, 0, 'not a byte passed on');
	} finally {
		await listener.stop();
	}
});

test('per-stream passphrases: one stream encrypted, another in the clear, on one port', async () => {
	const port = await freePort('udp');
	const { listener, captures } = await startListener(port, new FakeHub(), (key) =>
		key.stream === 'secret' ? SECRET : undefined,
	);
	const a = ffmpegPublisher(
		media,
		`srt://127.0.0.1:${port}?mode=caller&linger=2&passphrase=${SECRET}&streamid=live/secret`,
	);
	const b = ffmpegPublisher(media, `srt://127.0.0.1:${port}?mode=caller&linger=2&streamid=live/open`);
	try {
		assert.is(await a.exited, 0, a.stderr);
		assert.is(await b.exited, 0, b.stderr);
		assert.ok(
			await waitFor(
				() => captures.get('live/secret')?.final !== undefined && captures.get('live/open')?.final !== undefined,
				3000,
			),
		);
		assertDelivered(captures.get('live/secret'), sent);
		assert.is(firstDifference(captures.get('live/open')?.tap.bytes() ?? new Uint8Array(), sent), -1);
		assert.not.ok(captures.get('live/open')?.final?.encrypted);
	} finally {
		await a.stop();
		await b.stop();
		await listener.stop();
	}
});

test('our caller makes the key (AES-256) and srt-live-transmit listener decrypts nothing wrong: byte-exact pull', async () => {
	const port = await freePort('udp');
	const bytes = paddedTs(media);
	const peer = await sltListener(port, `&passphrase=${SECRET}&pbkeylen=32`);
	const tap = new PayloadTap();
	const caller = new SrtCaller({
		url: `srt://127.0.0.1:${port}?passphrase=${SECRET}&pbkeylen=32`,
		target: new RecordingPublisher(),
		onPayload: tap.add,
	});
	try {
		await assertPulled(caller, tap, peer, bytes, 3000);
		assert.is(caller.stats()?.packetsUndecrypted, 0);
	} finally {
		await caller.stop();
		await peer.stop();
	}
});

test.run();
