/** Shared pieces of the SRT tests: the media, a fake hub, payload capture, our listener and caller, peers. */
import { readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { SrtCaller } from '../../ingest/srt/srt-caller.ts';
import type { SrtStats } from '../../ingest/srt/srt-connection.ts';
import { SrtListener, type SrtListenerOptions, type SrtSession } from '../../ingest/srt/srt-listener.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import {
	formatStreamKey,
	type PublishRequest,
	type StreamHub,
	type StreamKey,
	type StreamPublisher,
} from '../../src/core/stream-hub.ts';
import type { Track } from '../../src/core/track.ts';
import { waitForUdpPort } from '../helpers/ports.ts';
import { ffmpegCopy, Peer, run } from '../helpers/process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { sleep, waitFor } from '../helpers/wait.ts';

export { sleep, waitFor };

/** What every SRT test sends: H.264 + AAC. */
export const media = fixture('h264-aac48');

/** A publisher that records what reaches the bus. */
export class RecordingPublisher implements StreamPublisher {
	tracks: readonly Track[] = [];
	packets: Packet[] = [];
	ended: string | undefined;
	announce(tracks: readonly Track[]): void {
		this.tracks = tracks;
	}
	push(packet: Packet): void {
		this.packets.push(packet);
	}
	end(reason?: string): void {
		this.ended = reason ?? 'ended';
	}
}

/** A StreamHub stand-in: one publisher per live key (conflict otherwise), an optional auth rule. */
export class FakeHub implements StreamHub {
	readonly publishers = new Map<string, RecordingPublisher>();
	readonly requests: PublishRequest[] = [];
	constructor(readonly allow: (request: PublishRequest) => boolean = () => true) {}
	async authorize(request: PublishRequest): Promise<boolean> {
		this.requests.push(request);
		return this.allow(request);
	}
	publish(key: StreamKey, _protocol: string): StreamPublisher {
		const name = formatStreamKey(key);
		const live = this.publishers.get(name);
		if (live && live.ended === undefined) throw new TapedeckError('conflict', `${name} is already live`);
		const publisher = new RecordingPublisher();
		this.publishers.set(name, publisher);
		return publisher;
	}
}

/** Collects payload chunks; `bytes()` joins them. */
export class PayloadTap {
	readonly chunks: Uint8Array[] = [];
	length = 0;
	add = (chunk: Uint8Array): void => {
		this.chunks.push(Uint8Array.from(chunk));
		this.length += chunk.length;
	};
	bytes(): Buffer {
		return Buffer.concat(this.chunks);
	}
}

export const readBytes = (path: string): Buffer => readFileSync(path);

/** What one session of a listener delivered, and how it ended. */
export type SrtCapture = { tap: PayloadTap; final?: { stats: SrtStats; reason: string; encrypted: boolean } };

/** Our listener, started, with each session's payloads and final stats captured under `app/stream`. */
export const startCapturingListener = async (
	options: Omit<SrtListenerOptions, 'onPayload' | 'onSessionClosed'>,
): Promise<{ listener: SrtListener; captures: Map<string, SrtCapture> }> => {
	const captures = new Map<string, SrtCapture>();
	const get = (s: SrtSession): SrtCapture => {
		const name = `${s.key.app}/${s.key.stream}`;
		const c = captures.get(name) ?? { tap: new PayloadTap() };
		captures.set(name, c);
		return c;
	};
	const listener = new SrtListener({
		...options,
		onPayload: (s, p) => get(s).tap.add(p),
		onSessionClosed: (s, reason) => {
			get(s).final = { stats: s.stats(), reason, encrypted: s.encrypted };
		},
	});
	await listener.start();
	return { listener, captures };
};

/** One connection attempt of our caller that is expected to fail: the reason it gave (waits up to 3 s). */
export const failedCallerAttempt = async (url: string): Promise<string | undefined> => {
	const caller = new SrtCaller({ url, target: new RecordingPublisher(), retryMinMs: 60_000 });
	await caller.start();
	await waitFor(() => caller.state !== 'connecting', 3000);
	await caller.stop();
	return caller.lastError;
};

/** Index of the first differing byte, or −1 when equal. */
export const firstDifference = (a: Uint8Array, b: Uint8Array): number => {
	const n = Math.min(a.length, b.length);
	for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
	return a.length === b.length ? -1 : n;
};

/** A null MPEG-TS packet (PID 0x1FFF), used to pad a file to whole 1316-byte SRT payloads. */
const nullTsPacket = (): Buffer => {
	const p = Buffer.alloc(188, 0xff);
	p.set([0x47, 0x1f, 0xff, 0x10]);
	return p;
};

/** The fixture's bytes padded with null TS packets to a multiple of 7 × 188 (srt-live-transmit drops a short last chunk). */
export const paddedTs = (path: string): Buffer => {
	const bytes = readFileSync(path);
	const chunks: Buffer[] = [bytes];
	for (let n = bytes.length; n % 1316 !== 0; n += 188) chunks.push(nullTsPacket());
	return Buffer.concat(chunks);
};

/** What `ffmpeg -i file -c copy -f mpegts` produces: what an ffmpeg SRT publisher sends of that file. */
export const ffmpegRemux = async (path: string): Promise<Buffer> => {
	const out = join(tempDir('srt-remux'), `srt-remux-${basename(path)}`);
	const r = await run(
		'ffmpeg',
		['-nostdin', '-v', 'error', '-y', '-i', path, '-c', 'copy', '-f', 'mpegts', out],
		30_000,
	);
	if (r.code !== 0) throw new Error(`ffmpeg remux failed: ${r.stderr}`);
	const bytes = readFileSync(out);
	rmSync(out, { force: true });
	return bytes;
};

/**
 * srt-live-transmit as an SRT listener serving what the test writes to its stdin (`feedStdin`); `query` adds `&…`
 * options. Resolves once it has bound `port`.
 */
export const sltListener = async (port: number, query = ''): Promise<Peer> => {
	const peer = new Peer(
		'srt-live-transmit',
		['-q', '-chunk:1316', 'file://con', `srt://:${port}?mode=listener${query}`],
		{
			stdin: true,
		},
	);
	try {
		await waitForUdpPort(port);
	} catch (error) {
		await peer.stop();
		throw new Error(`srt-live-transmit did not bind ${port}: ${peer.stderr}`, { cause: error });
	}
	return peer;
};

/**
 * Starts `caller` against a srt-live-transmit listener (`sltListener`), feeds the listener `bytes`
 * once connected, and asserts that the caller's tap got them all, identical. The caller and the
 * peer stay up for further checks: the test stops them.
 */
export const assertPulled = async (
	caller: SrtCaller,
	tap: PayloadTap,
	peer: Peer,
	bytes: Uint8Array,
	connectTimeoutMs: number,
): Promise<void> => {
	await caller.start();
	assert.ok(await waitFor(() => caller.state === 'connected', connectTimeoutMs), caller.lastError);
	await feedStdin(peer, bytes);
	assert.ok(await waitFor(() => tap.length >= bytes.length, 3000), `${tap.length} of ${bytes.length} bytes`);
	assert.is(firstDifference(tap.bytes(), bytes), -1);
};

/**
 * ffmpeg publishing a file in real time to an SRT URL (caller mode). `linger=2` makes libsrt send
 * what is still queued at close instead of discarding it, so the tail arrives.
 */
export const ffmpegPublisher = (path: string, url: string): Peer => ffmpegCopy(path, ['-f', 'mpegts', url]);

/** Writes `bytes` to a peer's stdin in 1316-byte chunks, one every `everyMs`, then closes it. */
export const feedStdin = async (peer: Peer, bytes: Uint8Array, everyMs = 4): Promise<void> => {
	const stdin = peer.child.stdin;
	if (!stdin) throw new Error('peer has no stdin');
	for (let at = 0; at < bytes.length; at += 1316) {
		if (!stdin.writable) return;
		stdin.write(bytes.subarray(at, at + 1316));
		await sleep(everyMs);
	}
	stdin.end();
};
