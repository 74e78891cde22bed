/**
 * The SRT caller: pulls a stream from an SRT listener (`INPUT_TYPE_SRT_URL`), receiving only.
 * Each attempt runs the HSv5 caller handshake (draft-sharabayko-srt §4.3.1): induction (v4, type 1)
 * every 250 ms until the listener answers with its cookie, then conclusion (HSREQ, KMREQ when a
 * passphrase is set — the initiator makes the key even when it only receives, digest trap 10 — and
 * the stream id) every 250 ms until accepted or rejected. The connection then delivers payloads
 * through a TS demuxer into the target. A failed or lost connection is retried with exponential back-off.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createDemuxer } from '../demux/create-demuxer.ts';
import type { Demuxer, DemuxerFactory, MediaReceiver } from '../media-receiver.ts';
import type { IngestSource, StreamPublisher } from '../source.ts';
import {
	decodeHandshake,
	decodeSrtInfo,
	ExtensionType,
	encodeHandshakePacket,
	encodePeerIp,
	encodeStringExtension,
	findExtension,
	type Handshake,
	type HandshakeExtension,
	HandshakeFlag,
	HandshakeType,
	HSV5_MAGIC,
	INDUCTION_REQUEST_EXT,
	isRejection,
	ourSrtInfo,
} from './handshake.ts';
import {
	createKeyMaterial,
	decodeKeyMaterial,
	encodeKeyMaterial,
	isKeyLength,
	type KeyLength,
} from './key-material.ts';
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
import { parseSrtUrl, type SrtUrl } from './srt-url.ts';

export type SrtCallerOptions = {
	url: string;
	/**
	 * Where the demuxed media goes; `reportStats()` (a StreamPublisher) hears of each connection's
	 * figures when it is made, `end()` is called after it.
	 */
	target: MediaReceiver & Partial<Pick<StreamPublisher, 'end' | 'reportStats'>>;
	createDemuxer?: DemuxerFactory;
	/** Every delivered payload, in order (raw MPEG-TS). */
	onPayload?: (payload: Uint8Array) => void;
	/** Back-off between attempts: doubles from `retryMinMs` (500) up to `retryMaxMs` (10 000). */
	retryMinMs?: number;
	retryMaxMs?: number;
};

export type SrtCallerState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

const DEFAULT_LATENCY_MS = 120;
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
const HANDSHAKE_RESEND_MS = 250;
const TICK_MS = 5;
const MTU = 1500;
const FLOW_WINDOW = 8192;
const REJECTION_NAMES: Readonly<Record<number, string>> = {
	1003: 'RESOURCE',
	1004: 'ROGUE',
	1005: 'BACKLOG',
	1008: 'VERSION',
	1010: 'BADSECRET',
	1011: 'UNSECURE',
	1012: 'MESSAGEAPI',
	1013: 'CONGESTION',
	1014: 'FILTER',
};

/** One connection attempt's handshake state. */
type Attempt = {
	socket: Socket;
	socketId: number;
	isn: number;
	startedAt: number;
	conclusion: Buffer | undefined;
	keys: { cipher: PayloadCipher; kmreq: Uint8Array } | undefined;
	resend: NodeJS.Timeout;
	deadline: NodeJS.Timeout;
};

export class SrtCaller implements IngestSource {
	readonly description: string;
	readonly #o: SrtCallerOptions;
	readonly #url: SrtUrl;
	#state: SrtCallerState = 'idle';
	#attempt: Attempt | undefined;
	#connection: SrtConnection | undefined;
	#demuxer: Demuxer | undefined;
	#tick: NodeJS.Timeout | undefined;
	#retry: NodeJS.Timeout | undefined;
	#failures = 0;
	/** The demuxer factory of the options, or the registry's MPEG-TS demuxer. */
	readonly #createDemuxer: DemuxerFactory;
	/** Connections made and the reason the last attempt or connection ended. */
	connects = 0;
	lastError: string | undefined;

	constructor(options: SrtCallerOptions) {
		this.#o = options;
		this.#createDemuxer = options.createDemuxer ?? ((receiver) => createDemuxer('ts', receiver));
		this.#url = parseSrtUrl(options.url);
		this.description = `SRT caller to ${this.#url.host}:${this.#url.port}`;
	}

	get state(): SrtCallerState {
		return this.#state;
	}

	async start(): Promise<void> {
		if (this.#state !== 'idle') return;
		this.#connect();
	}

	async stop(): Promise<void> {
		if (this.#state === 'stopped') return;
		this.#state = 'stopped';
		if (this.#retry) clearTimeout(this.#retry);
		this.#connection?.close('caller stopped');
		this.#endAttempt();
	}

	/** Stats of the current connection, if any. */
	stats(): SrtStats | undefined {
		return this.#connection?.stats();
	}

	#connect(): void {
		const socket = createSocket('udp4');
		const socketId = randomInt(1, 0x40000000);
		const connectTimeout = this.#url.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
		this.#state = 'connecting';
		const attempt: Attempt = {
			socket,
			socketId,
			isn: randomInt(0, 0x80000000),
			startedAt: monotonicMicros(),
			conclusion: undefined,
			keys: undefined,
			resend: setInterval(() => this.#sendHandshake(attempt), HANDSHAKE_RESEND_MS),
			deadline: setTimeout(() => this.#fail(`no handshake answer within ${connectTimeout} ms`), connectTimeout),
		};
		this.#attempt = attempt;
		socket.on('error', (error) => this.#fail(`socket error: ${error.message}`));
		socket.on('message', (msg) => this.#onDatagram(attempt, msg));
		socket.connect(this.#url.port, this.#url.host, () => this.#sendHandshake(attempt));
	}

	#onDatagram(attempt: Attempt, msg: Buffer): void {
		if (attempt !== this.#attempt || msg.length < HEADER_SIZE || packetDestination(msg) !== attempt.socketId) return;
		if (this.#connection) {
			this.#connection.receive(msg);
			return;
		}
		if (!isControl(msg) || controlType(msg) !== ControlType.handshake) return;
		const hs = decodeHandshake(msg);
		if (hs === undefined) return;
		if (isRejection(hs.type)) {
			this.#fail(
				`rejected by the listener: ${hs.type}${REJECTION_NAMES[hs.type] ? ` ${REJECTION_NAMES[hs.type]}` : ''}`,
			);
		} else if (hs.type === HandshakeType.induction && attempt.conclusion === undefined) {
			if (hs.version !== 5 || hs.extensionField !== HSV5_MAGIC) {
				this.#fail(`listener does not speak HSv5 (version ${hs.version}, extension ${hs.extensionField})`);
				return;
			}
			attempt.conclusion = this.#buildConclusion(attempt, hs);
			this.#sendHandshake(attempt);
		} else if (hs.type === HandshakeType.conclusion && attempt.conclusion !== undefined) {
			this.#established(attempt, hs, packetTimestamp(msg));
		}
	}

	#buildConclusion(attempt: Attempt, induction: Handshake): Buffer {
		const url = this.#url;
		const latencyMs = url.latencyMs ?? DEFAULT_LATENCY_MS;
		const extensions: HandshakeExtension[] = [ourSrtInfo(ExtensionType.hsreq, latencyMs, latencyMs)];
		let flags: number = HandshakeFlag.hsreq;
		let encryption = 0;
		if (url.passphrase !== undefined) {
			const advertised = induction.encryption * 8;
			const keyLength: KeyLength = url.keyLength ?? (isKeyLength(advertised) ? advertised : 16);
			const { message, keys } = createKeyMaterial(url.passphrase, keyLength);
			const cipher = new PayloadCipher();
			cipher.setKeys(keys.salt, keys.even, keys.odd);
			const kmreq = encodeKeyMaterial(message);
			attempt.keys = { cipher, kmreq };
			extensions.push({ type: ExtensionType.kmreq, data: kmreq });
			flags |= HandshakeFlag.kmreq;
			encryption = keyLength / 8;
		}
		if (url.streamId !== undefined) {
			extensions.push({ type: ExtensionType.sid, data: encodeStringExtension(url.streamId) });
			flags |= HandshakeFlag.config;
		}
		return this.#handshakePacket(attempt, {
			...induction,
			version: 5,
			encryption,
			extensionField: flags,
			initialSeq: attempt.isn,
			type: HandshakeType.conclusion,
			socketId: attempt.socketId,
			extensions,
		});
	}

	#established(attempt: Attempt, hs: Handshake, peerTimestamp: number): void {
		const hsrsp = decodeSrtInfo(findExtension(hs, ExtensionType.hsrsp)?.data ?? new Uint8Array(0));
		if (hsrsp === undefined) {
			this.#fail('conclusion response without HSRSP');
			return;
		}
		if (attempt.keys) {
			const kmrsp = findExtension(hs, ExtensionType.kmrsp)?.data;
			if (kmrsp === undefined || decodeKeyMaterial(kmrsp) === undefined) {
				// A one-word KMRSP is a KM error state, little-endian on the wire (digest trap 6): 3 NOSECRET, 4 BADSECRET.
				this.#fail(`listener could not use our key material (KM state ${kmrsp?.[0] ?? 'missing'})`);
				return;
			}
		}
		let demuxer: Demuxer;
		try {
			demuxer = this.#createDemuxer(this.#o.target);
		} catch (error) {
			this.#fail(`no demuxer: ${(error as Error).message}`);
			return;
		}
		clearInterval(attempt.resend);
		clearTimeout(attempt.deadline);
		this.#demuxer = demuxer;
		// The responder's HSRSP sender delay (low half) is our receive latency (libsrt processSrtMsg_HSRSP).
		const latencyMs = Math.max(this.#url.latencyMs ?? DEFAULT_LATENCY_MS, hsrsp.sendLatencyMs);
		this.#connection = new SrtConnection({
			socketId: attempt.socketId,
			peerSocketId: hs.socketId,
			initialSeq: attempt.isn,
			latencyMs,
			peerTimestamp,
			cipher: attempt.keys?.cipher,
			passphrase: this.#url.passphrase,
			send: (datagram) => attempt.socket.send(datagram),
			onPayload: (payload) => {
				this.#o.onPayload?.(payload);
				demuxPayload(demuxer, payload, this.#connection);
			},
			onClose: (reason) => this.#disconnected(reason),
		});
		const connection = this.#connection;
		this.#o.target.reportStats?.({ protocol: 'srt', read: () => connection.stats() });
		this.#state = 'connected';
		this.connects++;
		this.#failures = 0;
		this.#tick = setInterval(() => this.#connection?.tick(), TICK_MS);
	}

	#disconnected(reason: string): void {
		this.#demuxer?.end();
		this.#demuxer = undefined;
		this.#connection = undefined;
		this.#o.target.end?.(`SRT ${this.#url.host}:${this.#url.port}: ${reason}`);
		this.#fail(reason);
	}

	/** Ends the attempt (or connection) and schedules the next one, unless stopped. */
	#fail(reason: string): void {
		if (this.#state !== 'connecting' && this.#state !== 'connected') return;
		this.lastError = reason;
		this.#endAttempt();
		this.#state = 'waiting';
		const min = this.#o.retryMinMs ?? 500;
		const delay = Math.min(this.#o.retryMaxMs ?? 10_000, min * 2 ** this.#failures);
		this.#failures++;
		this.#retry = setTimeout(() => this.#connect(), delay);
	}

	#endAttempt(): void {
		const attempt = this.#attempt;
		if (this.#tick) clearInterval(this.#tick);
		this.#tick = undefined;
		if (!attempt) return;
		this.#attempt = undefined;
		clearInterval(attempt.resend);
		clearTimeout(attempt.deadline);
		attempt.socket.close();
	}

	#sendHandshake(attempt: Attempt): void {
		const packet =
			attempt.conclusion ??
			this.#handshakePacket(attempt, {
				version: 4,
				encryption: 0,
				extensionField: INDUCTION_REQUEST_EXT,
				initialSeq: attempt.isn,
				mtu: MTU,
				flowWindow: FLOW_WINDOW,
				type: HandshakeType.induction,
				socketId: attempt.socketId,
				cookie: 0,
				peerIp: encodePeerIp(this.#url.host),
				extensions: [],
			});
		try {
			attempt.socket.send(packet);
		} catch {
			// Not connected yet: the next resend goes out once it is.
		}
	}

	#handshakePacket(attempt: Attempt, hs: Handshake): Buffer {
		return encodeHandshakePacket(hs, packetClock(monotonicMicros(), attempt.startedAt), 0);
	}
}
