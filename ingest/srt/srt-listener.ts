/**
 * The SRT listener: one UDP socket serving many callers, demultiplexed by destination socket id
 * (0 = handshake). Each accepted caller is a publisher: its stream id names the stream
 * (`#!::r=app/stream,m=publish` or `app/stream` → `default/app/stream`), its payloads (MPEG-TS)
 * go through a TS demuxer into the `StreamPublisher` the hub hands out.
 *
 * Handshake (HSv5, draft-sharabayko-srt §4.3.1): induction is answered statelessly with a SYN
 * cookie; a conclusion with a valid cookie is checked (HSREQ, mode, stream id, encryption), passed to
 * the hub's auth hook, and answered with HSRSP (+ KMRSP) or a rejection code. A repeated conclusion
 * (our response was lost) gets the same response again, never a second connection.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { TapedeckError } from '../../src/core/errors.ts';
import { createDemuxer } from '../demux/create-demuxer.ts';
import type { Demuxer, DemuxerFactory } from '../media-receiver.ts';
import { formatStreamKey, type IngestSource, type StreamHub, type StreamKey, type StreamPublisher } from '../source.ts';
import {
	decodeHandshake,
	decodeSrtInfo,
	decodeStringExtension,
	ExtensionType,
	encodeHandshakePacket,
	encodePeerIp,
	findExtension,
	type Handshake,
	type HandshakeExtension,
	HandshakeFlag,
	HandshakeType,
	HSV5_MAGIC,
	ourSrtInfo,
	RejectReason,
	SrtFlag,
} from './handshake.ts';
import { decodeKeyMaterial, openKeyMaterial, validatePassphrase } from './key-material.ts';
import { PayloadCipher } from './payload-cipher.ts';
import { demuxPayload, monotonicMicros, SrtConnection, type SrtStats } from './srt-connection.ts';
import {
	ControlType,
	controlType,
	HEADER_SIZE,
	isControl,
	packetClock,
	packetDestination,
	packetTimestamp,
} from './srt-packet.ts';
import { type ParsedStreamId, parseStreamId, streamKeyFromResource } from './stream-id.ts';
import { SynCookie } from './syn-cookie.ts';

export type SrtListenerOptions = {
	hub: StreamHub;
	port: number;
	/** Default 127.0.0.1. */
	host?: string;
	/** Our receive latency, ms (default 120); the final latency is the larger of ours and the caller's. */
	latencyMs?: number;
	/** One passphrase for every stream, or one per stream (undefined = unencrypted). */
	passphrase?: string | ((key: StreamKey, streamId: ParsedStreamId) => string | undefined);
	/** App for a stream id without one (`mystream` → default/<defaultApp>/mystream). Default `live`. */
	defaultApp?: string;
	/** Stream for a caller without a stream id (default: such callers are refused with 2400). */
	defaultStream?: string;
	maxConnections?: number;
	/** Demuxer for the delivered payloads; default the MPEG-TS demuxer. */
	createDemuxer?: DemuxerFactory;
	/** Every delivered payload, in order (raw MPEG-TS): for tests and byte-exact taps. */
	onPayload?: (session: SrtSession, payload: Uint8Array) => void;
	onSessionClosed?: (session: SrtSession, reason: string) => void;
};

/** One accepted publisher. */
export type SrtSession = {
	readonly socketId: number;
	readonly remoteAddress: string;
	readonly remotePort: number;
	readonly streamId: string;
	readonly key: StreamKey;
	readonly encrypted: boolean;
	stats(): SrtStats;
};

type LiveSession = SrtSession & {
	readonly connection: SrtConnection;
	readonly publisher: StreamPublisher;
	readonly demuxer: Demuxer;
	readonly peerKey: string;
	/** The conclusion response, resent as is for a repeated conclusion. */
	readonly response: Uint8Array;
};

const DEFAULT_LATENCY_MS = 120;
const MTU = 1500;
const FLOW_WINDOW = 8192;
const TICK_MS = 5;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export class SrtListener implements IngestSource {
	readonly description: string;
	readonly #o: SrtListenerOptions;
	readonly #cookie = new SynCookie();
	readonly #byId = new Map<number, LiveSession>();
	/** `address:port:callerSocketId` → session, or 'pending' while the auth hook decides. */
	readonly #byPeer = new Map<string, LiveSession | 'pending'>();
	readonly #startedAt = monotonicMicros();
	#socket: Socket | undefined;
	#timer: NodeJS.Timeout | undefined;
	#stopped = false;
	/** The demuxer factory of the options, or the registry's MPEG-TS demuxer. */
	readonly #createDemuxer: DemuxerFactory;

	constructor(options: SrtListenerOptions) {
		if (typeof options.passphrase === 'string') validatePassphrase(options.passphrase);
		const { port, latencyMs } = options;
		if (!Number.isInteger(port) || port < 0 || port > 65535)
			throw new TapedeckError('invalid_argument', `SRT listener port must be an integer 0-65535, got ${port}`);
		if (latencyMs !== undefined && (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > 65535))
			throw new TapedeckError('invalid_argument', `SRT latency must be an integer 0-65535 ms, got ${latencyMs}`);
		this.#o = options;
		this.#createDemuxer = options.createDemuxer ?? ((receiver) => createDemuxer('ts', receiver));
		this.description = `SRT listener on ${options.host ?? '127.0.0.1'}:${options.port}`;
	}

	async start(): Promise<void> {
		const socket = createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
		this.#socket = socket;
		socket.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo));
		return new Promise((resolve, reject) => {
			socket.once('error', (error) =>
				reject(new TapedeckError('io', `${this.description}: cannot bind: ${error.message}`, { cause: error })),
			);
			socket.bind(this.#o.port, this.#o.host ?? '127.0.0.1', () => {
				socket.removeAllListeners('error');
				socket.on('error', () => {}); // send errors (ICMP unreachable) are per datagram, never fatal
				resolve();
			});
		});
	}

	async stop(): Promise<void> {
		if (this.#stopped) return;
		this.#stopped = true;
		for (const session of [...this.#byId.values()]) session.connection.close('listener stopped');
		if (this.#timer) clearInterval(this.#timer);
		const socket = this.#socket;
		if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
	}

	sessions(): SrtSession[] {
		return [...this.#byId.values()];
	}

	#onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
		if (msg.length < HEADER_SIZE || this.#stopped) return;
		const destination = packetDestination(msg);
		if (destination !== 0) {
			const session = this.#byId.get(destination);
			if (session && session.remotePort === rinfo.port && session.remoteAddress === rinfo.address)
				session.connection.receive(msg);
			return;
		}
		if (!isControl(msg) || controlType(msg) !== ControlType.handshake) return;
		const hs = decodeHandshake(msg);
		if (hs === undefined) return;
		if (hs.type === HandshakeType.induction) this.#induction(hs, rinfo);
		else if (hs.type === HandshakeType.conclusion && this.#cookie.verify(rinfo.address, rinfo.port, hs.cookie))
			this.#conclusion(hs, packetTimestamp(msg), rinfo).catch(() => this.#reject(hs, RejectReason.system, rinfo));
		// A wrong cookie is dropped silently, as libsrt does.
	}

	/** Induction response: the request echoed (caller's socket id included, digest trap 3) with v5, magic and a cookie. */
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

	async #conclusion(hs: Handshake, peerTimestamp: number, rinfo: RemoteInfo): Promise<void> {
		const peerKey = `${rinfo.address}:${rinfo.port}:${hs.socketId}`;
		const existing = this.#byPeer.get(peerKey);
		if (existing === 'pending') return;
		if (existing) {
			this.#send(existing.response, rinfo);
			return;
		}
		const checked = this.#check(hs);
		if (typeof checked === 'number') {
			this.#reject(hs, checked, rinfo);
			return;
		}
		const { streamId, parsed, key, passphrase, cipher, kmreq } = checked;
		this.#byPeer.set(peerKey, 'pending');
		let publisher: StreamPublisher | undefined;
		let reason: number = RejectReason.unauthorized;
		try {
			const allowed = await this.#o.hub.authorize({
				key,
				protocol: 'srt',
				remoteAddress: rinfo.address,
				credentials: { streamid: streamId, ...parsed.fields },
			});
			if (allowed && !this.#stopped) publisher = this.#o.hub.publish(key, 'srt');
		} catch (error) {
			reason =
				error instanceof TapedeckError && error.code === 'conflict' ? RejectReason.conflict : RejectReason.resource;
		}
		this.#byPeer.delete(peerKey);
		if (publisher === undefined) {
			if (!this.#stopped) this.#reject(hs, reason, rinfo);
			return;
		}
		let demuxer: Demuxer;
		try {
			demuxer = this.#createDemuxer(publisher);
		} catch (error) {
			publisher.end(`SRT ${formatStreamKey(key)}: no demuxer: ${(error as Error).message}`);
			this.#reject(hs, RejectReason.resource, rinfo);
			return;
		}
		this.#accept(hs, peerTimestamp, rinfo, { streamId, key, passphrase, cipher, kmreq, publisher, demuxer, peerKey });
	}

	/** The synchronous acceptance rules; a number is the rejection code. */
	#check(hs: Handshake):
		| number
		| {
				streamId: string;
				parsed: ParsedStreamId;
				key: StreamKey;
				passphrase: string | undefined;
				cipher: PayloadCipher | undefined;
				kmreq: Uint8Array | undefined;
		  } {
		if (hs.version !== 5) return RejectReason.version;
		const hsreqExt = findExtension(hs, ExtensionType.hsreq);
		const hsreq = hsreqExt && decodeSrtInfo(hsreqExt.data);
		if (hsreq === undefined) return RejectReason.rogue;
		if (hsreq.version < 0x010300) return RejectReason.version;
		if ((hsreq.flags & SrtFlag.stream) !== 0) return RejectReason.messageApi;
		if (findExtension(hs, ExtensionType.filter)) return RejectReason.filter;
		if (findExtension(hs, ExtensionType.group)) return RejectReason.group;
		const congestion = findExtension(hs, ExtensionType.congestion);
		if (congestion && decodeStringExtension(congestion.data) !== 'live') return RejectReason.congestion;
		if (this.#byId.size >= (this.#o.maxConnections ?? 256)) return RejectReason.backlog;

		const sid = findExtension(hs, ExtensionType.sid);
		const streamId = sid ? decodeStringExtension(sid.data) : '';
		let parsed: ParsedStreamId;
		let key: StreamKey;
		try {
			parsed = parseStreamId(streamId);
			key = streamKeyFromResource(parsed.resource, this.#o.defaultApp, this.#o.defaultStream);
		} catch {
			return RejectReason.badRequest;
		}
		if (parsed.mode !== 'publish') return RejectReason.badMode;

		const configured = this.#o.passphrase;
		const passphrase = typeof configured === 'function' ? configured(key, parsed) : configured;
		const kmreq = findExtension(hs, ExtensionType.kmreq)?.data;
		if ((passphrase === undefined) !== (kmreq === undefined)) return RejectReason.unsecure;
		if (passphrase === undefined || kmreq === undefined)
			return { streamId, parsed, key, passphrase, cipher: undefined, kmreq: undefined };
		const km = decodeKeyMaterial(kmreq);
		const keys = km && openKeyMaterial(km, passphrase);
		if (keys === undefined) return RejectReason.badSecret;
		const cipher = new PayloadCipher();
		cipher.setKeys(keys.salt, keys.even, keys.odd);
		return { streamId, parsed, key, passphrase, cipher, kmreq };
	}

	#accept(
		hs: Handshake,
		peerTimestamp: number,
		rinfo: RemoteInfo,
		a: {
			streamId: string;
			key: StreamKey;
			passphrase: string | undefined;
			cipher: PayloadCipher | undefined;
			kmreq: Uint8Array | undefined;
			publisher: StreamPublisher;
			demuxer: Demuxer;
			peerKey: string;
		},
	): void {
		const hsreq = decodeSrtInfo(findExtension(hs, ExtensionType.hsreq)?.data ?? new Uint8Array(0));
		const ours = this.#o.latencyMs ?? DEFAULT_LATENCY_MS;
		// libsrt processSrtMsg_HSREQ: our receive delay = max(ours, the caller's sender delay), and the reverse.
		const latencyMs = Math.max(ours, hsreq?.sendLatencyMs ?? 0);
		const peerLatencyMs = Math.max(ours, hsreq?.recvLatencyMs ?? 0);
		let socketId = randomInt(1, 0x40000000);
		while (this.#byId.has(socketId)) socketId = randomInt(1, 0x40000000);

		const extensions: HandshakeExtension[] = [ourSrtInfo(ExtensionType.hsrsp, latencyMs, peerLatencyMs)];
		if (a.kmreq) extensions.push({ type: ExtensionType.kmrsp, data: a.kmreq });
		const reply: Handshake = {
			...hs,
			extensionField: HandshakeFlag.hsreq | (a.kmreq ? HandshakeFlag.kmreq : 0),
			mtu: Math.min(MTU, hs.mtu),
			flowWindow: FLOW_WINDOW,
			socketId,
			peerIp: encodePeerIp(rinfo.address),
			extensions,
		};
		const response = encodeHandshakePacket(reply, this.#timestamp(), hs.socketId);

		const demuxer = a.demuxer;
		const session: LiveSession = {
			socketId,
			remoteAddress: rinfo.address,
			remotePort: rinfo.port,
			streamId: a.streamId,
			key: a.key,
			encrypted: a.cipher !== undefined,
			publisher: a.publisher,
			demuxer,
			peerKey: a.peerKey,
			response,
			stats: () => connection.stats(),
			connection: new SrtConnection({
				socketId,
				peerSocketId: hs.socketId,
				initialSeq: hs.initialSeq,
				latencyMs,
				peerTimestamp,
				cipher: a.cipher,
				passphrase: a.passphrase,
				send: (datagram) => this.#send(datagram, rinfo),
				onPayload: (payload) => {
					this.#o.onPayload?.(session, payload);
					demuxPayload(demuxer, payload, connection);
				},
				onClose: (reason) => this.#closed(session, reason),
			}),
		};
		const connection = session.connection;
		a.publisher.reportStats?.({ protocol: 'srt', read: session.stats });
		this.#byId.set(socketId, session);
		this.#byPeer.set(a.peerKey, session);
		this.#send(response, rinfo);
		this.#timer ??= setInterval(() => this.#tick(), TICK_MS);
	}

	#reject(hs: Handshake, reason: number, rinfo: RemoteInfo): void {
		const reply: Handshake = { ...hs, type: reason, extensions: [] };
		this.#send(encodeHandshakePacket(reply, this.#timestamp(), hs.socketId), rinfo);
	}

	#closed(session: LiveSession, reason: string): void {
		this.#byId.delete(session.socketId);
		this.#byPeer.delete(session.peerKey);
		session.demuxer.end();
		session.publisher.end(`SRT ${formatStreamKey(session.key)}: ${reason}`);
		this.#o.onSessionClosed?.(session, reason);
		if (this.#byId.size === 0 && this.#timer) {
			clearInterval(this.#timer);
			this.#timer = undefined;
		}
	}

	#tick(): void {
		for (const session of this.#byId.values()) session.connection.tick();
	}

	#send(datagram: Uint8Array, rinfo: RemoteInfo): void {
		this.#socket?.send(datagram, rinfo.port, rinfo.address);
	}

	#timestamp(): number {
		return packetClock(monotonicMicros(), this.#startedAt);
	}
}
