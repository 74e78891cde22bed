import type { RemoteInfo } from 'node:dgram';
import type { RtpMediaSession } from './rtp-media-session.ts';
import { interleavedFrame } from './rtsp-message.ts';
import { closeUdpPortPair, type UdpPortPair } from './udp-port-pair.ts';

/** How one media line's packets travel: two interleaved channels, or a UDP socket pair and the peer's ports. */
export type MediaTransport =
	| { readonly kind: 'tcp'; readonly rtpChannel: number; readonly rtcpChannel: number }
	| {
			readonly kind: 'udp';
			readonly pair: UdpPortPair;
			readonly peerHost: string;
			readonly peerRtpPort: number;
			readonly peerRtcpPort: number;
	  };

/** UDP sockets silent this long, with a read of the sockets in between, have nothing more queued. */
const QUIET_MS = 200;
/** Longest `settle` waits for UDP sockets that keep receiving. */
const MAX_SETTLE_MS = 2000;

/**
 * Moves RTP and RTCP between the wire and an RtpMediaSession for every media line of one RTSP
 * session: interleaved frames arrive through `interleaved()`, UDP datagrams on their sockets
 * (only from the RTSP peer's address: anything else is dropped and counted). Receiver reports go
 * back the way each stream came.
 */
export class RtpTransports {
	readonly #byMedia = new Map<number, MediaTransport>();
	/** Interleaved channel → [media index, is RTCP]. */
	readonly #channels = new Map<number, readonly [number, boolean]>();
	readonly #sendInterleaved: (frame: Uint8Array) => void;
	#session: RtpMediaSession | undefined;
	/** UDP datagrams from an address other than the peer's. */
	strangerPackets = 0;
	/** Called on every packet: keeps a session alive. */
	onActivity: () => void = () => {};
	/**
	 * Called when the last stream says BYE. A BYE ends one RTP stream (RFC 3550 §6.6): the others
	 * may still have packets on the way (a publisher ends each stream as its own data runs out), so
	 * the session is over only when every stream has said it.
	 */
	onBye: () => void = () => {};
	/** Media lines whose stream said BYE. */
	readonly #byes = new Set<number>();
	/** When the last packet of any stream was read. */
	#lastPacketMs = performance.now();
	#settleTimer: NodeJS.Timeout | undefined;

	constructor(sendInterleaved: (frame: Uint8Array) => void) {
		this.#sendInterleaved = sendInterleaved;
	}

	get transports(): ReadonlyMap<number, MediaTransport> {
		return this.#byMedia;
	}

	/** True when any stream travels over UDP (and so needs a reorder buffer). */
	get usesUdp(): boolean {
		for (const t of this.#byMedia.values()) if (t.kind === 'udp') return true;
		return false;
	}

	add(mediaIndex: number, transport: MediaTransport): void {
		const previous = this.#byMedia.get(mediaIndex);
		if (previous?.kind === 'udp') closeUdpPortPair(previous.pair);
		this.#byMedia.set(mediaIndex, transport);
		if (transport.kind === 'tcp') {
			this.#channels.set(transport.rtpChannel, [mediaIndex, false]);
			this.#channels.set(transport.rtcpChannel, [mediaIndex, true]);
			return;
		}
		transport.pair.rtp.on('message', (data: Buffer, from: RemoteInfo) => {
			if (this.#fromPeer(transport, from)) this.#rtp(mediaIndex, data);
		});
		transport.pair.rtcp.on('message', (data: Buffer, from: RemoteInfo) => {
			if (this.#fromPeer(transport, from)) this.#rtcp(mediaIndex, data);
		});
	}

	/** Starts delivering to `session` (packets before this are dropped: the peer was not told to send yet). */
	attach(session: RtpMediaSession): void {
		this.#session = session;
	}

	/** An interleaved frame from the RTSP connection. */
	interleaved(channel: number, data: Uint8Array): void {
		const route = this.#channels.get(channel);
		if (!route) return;
		if (route[1]) this.#rtcp(route[0], data);
		else this.#rtp(route[0], data);
	}

	sendReceiverReports(nowMs: number): void {
		const session = this.#session;
		if (!session) return;
		const reports = session.receiverReports(nowMs);
		for (const [mediaIndex, transport] of this.#byMedia) {
			const report = reports[mediaIndex];
			if (!report) continue;
			if (transport.kind === 'tcp') this.#sendInterleaved(interleavedFrame(transport.rtcpChannel, report));
			else transport.pair.rtcp.send(report, transport.peerRtcpPort, transport.peerHost, () => {});
		}
	}

	/**
	 * Calls `then` once every packet already sent has been read. Over TCP the connection keeps the
	 * order, so that is now. Over UDP each stream's RTP and RTCP come on sockets of their own: a BYE
	 * (or the TEARDOWN on the connection) can be read while a stream's last RTP datagrams still wait in
	 * the kernel's queue of another socket, all the more on a loaded machine. So `then` waits until the
	 * sockets have been read with nothing new for QUIET_MS (at most MAX_SETTLE_MS).
	 */
	settle(then: () => void): void {
		if (!this.usesUdp) {
			then();
			return;
		}
		clearTimeout(this.#settleTimer);
		const started = performance.now();
		// Timers run before the loop polls its sockets: the check waits for the poll after the timer (setImmediate).
		const check = () => {
			const now = performance.now();
			const quietFor = now - this.#lastPacketMs;
			if (quietFor >= QUIET_MS || now - started >= MAX_SETTLE_MS) {
				this.#settleTimer = undefined;
				then();
				return;
			}
			this.#settleTimer = setTimeout(() => setImmediate(check), QUIET_MS - quietFor);
		};
		this.#settleTimer = setTimeout(() => setImmediate(check), QUIET_MS);
	}

	close(): void {
		clearTimeout(this.#settleTimer);
		this.#settleTimer = undefined;
		for (const transport of this.#byMedia.values()) if (transport.kind === 'udp') closeUdpPortPair(transport.pair);
		this.#byMedia.clear();
		this.#channels.clear();
		this.#byes.clear();
		this.#session = undefined;
	}

	#fromPeer(transport: Extract<MediaTransport, { kind: 'udp' }>, from: RemoteInfo): boolean {
		if (sameHost(from.address, transport.peerHost)) return true;
		this.strangerPackets++;
		return false;
	}

	#rtp(mediaIndex: number, data: Uint8Array): void {
		this.onActivity();
		this.#lastPacketMs = performance.now();
		this.#session?.receiveRtp(mediaIndex, data, this.#lastPacketMs);
	}

	#rtcp(mediaIndex: number, data: Uint8Array): void {
		this.onActivity();
		this.#lastPacketMs = performance.now();
		if (!this.#session?.receiveRtcp(mediaIndex, data, this.#lastPacketMs)) return;
		this.#byes.add(mediaIndex);
		if (this.#byes.size >= this.#byMedia.size) this.onBye();
	}
}

/** Compares addresses, treating `::ffff:a.b.c.d` as `a.b.c.d`. */
const sameHost = (a: string, b: string): boolean => a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');
