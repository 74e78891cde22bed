/**
 * The SRT listener's socket, on the SRT thread: one UDP port serving many callers, demultiplexed by
 * destination socket id (0 = handshake). Who may publish is decided elsewhere (`SrtListener`, on the
 * main thread): a conclusion that passes the cookie check goes out through `admit`, and the answer
 * comes back through `verdict`.
 *
 * Handshake (HSv5, draft-sharabayko-srt §4.3.1): induction is answered statelessly with a SYN
 * cookie; an accepted conclusion is answered with HSRSP (+ KMRSP), a refused one with its rejection
 * code. A repeated conclusion (our response was lost) gets the same response again, never a second
 * connection, and is not asked about twice while its verdict is pending.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
	decodeHandshake,
	decodeSrtInfo,
	ExtensionType,
	encodeHandshakePacket,
	encodePeerIp,
	findExtension,
	type Handshake,
	type HandshakeExtension,
	HandshakeFlag,
	HandshakeType,
	HSV5_MAGIC,
	OUR_FLOW_WINDOW,
	OUR_MTU,
	ourSrtInfo,
	RejectReason,
} from './handshake.ts';
import type { StreamKeys } from './key-material.ts';
import { PayloadCipher } from './payload-cipher.ts';
import { monotonicMicros, SrtConnection, type SrtStats } from './srt-connection.ts';
import {
	ControlType,
	controlType,
	HEADER_SIZE,
	isControl,
	packetClock,
	packetDestination,
	packetTimestamp,
} from './srt-packet.ts';
import { SynCookie } from './syn-cookie.ts';
import type { ListenConfig, Verdict } from './thread-messages.ts';

export type SrtListenerSocketEvents = {
	admit(request: number, handshake: Handshake, remote: RemoteInfo): void;
	opened(request: number, socketId: number, remote: RemoteInfo, stats: SrtStats): void;
	dismissed(request: number): void;
	payload(socketId: number, payload: Uint8Array): void;
	sessionClosed(socketId: number, reason: string, stats: SrtStats): void;
};

type Session = {
	readonly connection: SrtConnection;
	readonly remote: RemoteInfo;
	readonly peerKey: string;
	/** The conclusion response, resent as is for a repeated conclusion. */
	readonly response: Uint8Array;
};

type Pending = {
	readonly handshake: Handshake;
	readonly peerTimestamp: number;
	readonly remote: RemoteInfo;
	readonly peerKey: string;
};

/**
 * The socket receive queue we ask for: ~1 s of 50 × 6 Mb/s on loopback (each datagram counts with its
 * kernel overhead), the slack that lets the thread be descheduled on a busy host without the kernel
 * dropping datagrams. Linux grants at most net.core.rmem_max (4 MiB by default): `start` reports what
 * it got so the server can say when the host caps it.
 */
export const RECEIVE_BUFFER_BYTES = 32 * 1024 * 1024;

export class SrtListenerSocket {
	readonly #config: ListenConfig;
	readonly #events: SrtListenerSocketEvents;
	readonly #cookie = new SynCookie();
	readonly #byId = new Map<number, Session>();
	/** `address:port:callerSocketId` → session, or the request number while its verdict is pending. */
	readonly #byPeer = new Map<string, Session | number>();
	readonly #pending = new Map<number, Pending>();
	readonly #startedAt = monotonicMicros();
	#nextRequest = 1;
	#socket: Socket | undefined;
	#stopped = false;

	constructor(config: ListenConfig, events: SrtListenerSocketEvents) {
		this.#config = config;
		this.#events = events;
	}

	/** Binds; resolves with the receive buffer the kernel granted (bytes, as it reports them: twice the setting). */
	async start(): Promise<number> {
		const socket = createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
		this.#socket = socket;
		socket.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo));
		return new Promise((resolve, reject) => {
			socket.once('error', reject);
			socket.bind(this.#config.port, this.#config.host, () => {
				socket.removeAllListeners('error');
				socket.on('error', () => {}); // send errors (ICMP unreachable) are per datagram, never fatal
				resolve(socket.getRecvBufferSize());
			});
		});
	}

	/** Closes every connection (each delivers what it holds first), then the socket. */
	async stop(): Promise<void> {
		if (this.#stopped) return;
		this.#stopped = true;
		for (const session of [...this.#byId.values()]) session.connection.close('listener stopped');
		for (const request of this.#pending.keys()) this.#events.dismissed(request);
		this.#pending.clear();
		const socket = this.#socket;
		if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
	}

	tick(): void {
		for (const session of this.#byId.values()) session.connection.tick();
	}

	stats(each: (socketId: number, stats: SrtStats) => void): void {
		for (const [socketId, session] of this.#byId) each(socketId, session.connection.stats());
	}

	closeSession(socketId: number, reason: string): void {
		this.#byId.get(socketId)?.connection.close(reason);
	}

	verdict(request: number, verdict: Verdict): void {
		const pending = this.#pending.get(request);
		if (pending === undefined) return;
		this.#pending.delete(request);
		this.#byPeer.delete(pending.peerKey);
		if (this.#stopped) {
			if ('accept' in verdict) this.#events.dismissed(request);
			return;
		}
		if ('reject' in verdict) this.#reject(pending.handshake, verdict.reject, pending.remote);
		else this.#accept(request, pending, verdict.accept);
	}

	#onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
		if (msg.length < HEADER_SIZE || this.#stopped) return;
		const destination = packetDestination(msg);
		if (destination !== 0) {
			const session = this.#byId.get(destination);
			if (session && session.remote.port === rinfo.port && session.remote.address === rinfo.address)
				session.connection.receive(msg);
			return;
		}
		if (!isControl(msg) || controlType(msg) !== ControlType.handshake) return;
		const hs = decodeHandshake(msg);
		if (hs === undefined) return;
		if (hs.type === HandshakeType.induction) this.#induction(hs, rinfo);
		else if (hs.type === HandshakeType.conclusion && this.#cookie.verify(rinfo.address, rinfo.port, hs.cookie))
			this.#conclusion(hs, packetTimestamp(msg), rinfo);
		// A wrong cookie is dropped silently, as libsrt does.
	}

	/** Induction response: the request echoed (the caller's socket id included, as libsrt answers) with v5, magic and a cookie. */
	#induction(hs: Handshake, rinfo: RemoteInfo): void {
		const reply: Handshake = {
			...hs,
			version: 5,
			encryption: 0,
			extensionField: HSV5_MAGIC,
			cookie: this.#cookie.issue(rinfo.address, rinfo.port),
			extensions: [],
		};
		this.#send(encodeHandshakePacket(reply, this.#timestamp(), hs.socketId), rinfo);
	}

	#conclusion(hs: Handshake, peerTimestamp: number, rinfo: RemoteInfo): void {
		const peerKey = `${rinfo.address}:${rinfo.port}:${hs.socketId}`;
		const existing = this.#byPeer.get(peerKey);
		if (typeof existing === 'number') return;
		if (existing) {
			this.#send(existing.response, rinfo);
			return;
		}
		if (hs.version !== 5) {
			this.#reject(hs, RejectReason.version, rinfo);
			return;
		}
		const request = this.#nextRequest++;
		this.#byPeer.set(peerKey, request);
		this.#pending.set(request, { handshake: hs, peerTimestamp, remote: rinfo, peerKey });
		this.#events.admit(request, hs, rinfo);
	}

	#accept(request: number, pending: Pending, accepted: { passphrase?: string; keys?: StreamKeys }): void {
		const { handshake: hs, peerTimestamp, remote, peerKey } = pending;
		const hsreq = decodeSrtInfo(findExtension(hs, ExtensionType.hsreq)?.data ?? new Uint8Array(0));
		const ours = this.#config.latencyMs;
		// libsrt processSrtMsg_HSREQ: our receive delay = max(ours, the caller's sender delay), and the reverse.
		const latencyMs = Math.max(ours, hsreq?.sendLatencyMs ?? 0);
		const peerLatencyMs = Math.max(ours, hsreq?.recvLatencyMs ?? 0);
		let socketId = randomInt(1, 0x40000000);
		while (this.#byId.has(socketId)) socketId = randomInt(1, 0x40000000);

		let cipher: PayloadCipher | undefined;
		const kmreq = findExtension(hs, ExtensionType.kmreq)?.data;
		if (accepted.keys !== undefined) {
			cipher = new PayloadCipher();
			cipher.setKeys(accepted.keys.salt, accepted.keys.even, accepted.keys.odd);
		}
		const extensions: HandshakeExtension[] = [ourSrtInfo(ExtensionType.hsrsp, latencyMs, peerLatencyMs)];
		if (cipher && kmreq) extensions.push({ type: ExtensionType.kmrsp, data: kmreq });
		const reply: Handshake = {
			...hs,
			extensionField: HandshakeFlag.hsreq | (cipher ? HandshakeFlag.kmreq : 0),
			mtu: Math.min(OUR_MTU, hs.mtu),
			flowWindow: OUR_FLOW_WINDOW,
			socketId,
			peerIp: encodePeerIp(remote.address),
			extensions,
		};
		const response = encodeHandshakePacket(reply, this.#timestamp(), hs.socketId);
		const connection = new SrtConnection({
			socketId,
			peerSocketId: hs.socketId,
			initialSeq: hs.initialSeq,
			latencyMs,
			peerTimestamp,
			cipher,
			passphrase: accepted.passphrase,
			send: (datagram) => this.#send(datagram, remote),
			onPayload: (payload) => this.#events.payload(socketId, payload),
			onClose: (reason) => {
				this.#byId.delete(socketId);
				this.#byPeer.delete(peerKey);
				this.#events.sessionClosed(socketId, reason, connection.stats());
			},
		});
		const session: Session = { connection, remote, peerKey, response };
		this.#byId.set(socketId, session);
		this.#byPeer.set(peerKey, session);
		this.#send(response, remote);
		this.#events.opened(request, socketId, remote, connection.stats());
	}

	#reject(hs: Handshake, reason: number, rinfo: RemoteInfo): void {
		const reply: Handshake = { ...hs, type: reason, extensions: [] };
		this.#send(encodeHandshakePacket(reply, this.#timestamp(), hs.socketId), rinfo);
	}

	#send(datagram: Uint8Array, rinfo: RemoteInfo): void {
		this.#socket?.send(datagram, rinfo.port, rinfo.address);
	}

	#timestamp(): number {
		return packetClock(monotonicMicros(), this.#startedAt);
	}
}
