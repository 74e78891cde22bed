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

	close(): void {
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
		this.#session?.receiveRtp(mediaIndex, data, performance.now());
	}

	#rtcp(mediaIndex: number, data: Uint8Array): void {
		this.onActivity();
		if (!this.#session?.receiveRtcp(mediaIndex, data, performance.now())) return;
		this.#byes.add(mediaIndex);
		if (this.#byes.size >= this.#byMedia.size) this.onBye();
	}
}

/** Compares addresses, treating `::ffff:a.b.c.d` as `a.b.c.d`. */
const sameHost = (a: string, b: string): boolean => a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');
