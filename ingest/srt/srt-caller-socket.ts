/**
 * The SRT caller's socket, on the SRT thread: pulls a stream from an SRT listener, receiving only.
 * Each attempt runs the HSv5 caller handshake (draft-sharabayko-srt §4.3.1): induction (v4, type 1)
 * every 250 ms until the listener answers with its cookie, then conclusion (HSREQ, KMREQ when a
 * passphrase is set — the initiator makes the key even when it only receives, as libsrt does — and
 * the stream id) every 250 ms until accepted or rejected. The connection's payloads go out through
 * `events.payload`; a failed or lost connection is retried with exponential back-off.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
	DEFAULT_LATENCY_MS,
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
	OUR_FLOW_WINDOW,
	OUR_MTU,
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
import { parseSrtUrl, type SrtUrl } from './srt-url.ts';
import type { CallConfig, CallerState } from './thread-messages.ts';

export type SrtCallerSocketEvents = {
	state(state: CallerState, lastError: string | undefined): void;
	opened(socketId: number, stats: SrtStats): void;
	payload(socketId: number, payload: Uint8Array): void;
	sessionClosed(socketId: number, reason: string, stats: SrtStats): void;
};

const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
const HANDSHAKE_RESEND_MS = 250;
/** One stream's socket: seconds of a few Mb/s, far above Linux's 208 KiB default (capped by net.core.rmem_max). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
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

export class SrtCallerSocket {
	readonly #config: CallConfig;
	readonly #events: SrtCallerSocketEvents;
	readonly #url: SrtUrl;
	#state: CallerState | 'stopped' = 'connecting';
	#attempt: Attempt | undefined;
	#connection: SrtConnection | undefined;
	#retry: NodeJS.Timeout | undefined;
	#failures = 0;

	/** Throws on an invalid URL (the main thread checked it already). */
	constructor(config: CallConfig, events: SrtCallerSocketEvents) {
		this.#config = config;
		this.#events = events;
		this.#url = parseSrtUrl(config.url);
	}

	start(): void {
		this.#connect();
	}

	/** Ends the connection (it delivers what it holds first) and every retry. */
	stop(): void {
		if (this.#state === 'stopped') return;
		this.#state = 'stopped';
		if (this.#retry) clearTimeout(this.#retry);
		this.#connection?.close('caller stopped');
		this.#endAttempt();
	}

	tick(): void {
		this.#connection?.tick();
	}

	stats(each: (socketId: number, stats: SrtStats) => void): void {
		const connection = this.#connection;
		if (connection) each(connection.socketId, connection.stats());
	}

	/** Ends the current connection; the caller reconnects after its back-off. */
	closeSession(socketId: number, reason: string): void {
		if (this.#connection?.socketId === socketId) this.#connection.close(reason);
	}

	#connect(): void {
		const socket = createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
		const socketId = randomInt(1, 0x40000000);
		const connectTimeout = this.#url.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
		this.#setState('connecting');
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
				// A one-word KMRSP is a KM error state, little-endian on the wire (libsrt sends it in host order): 3 NOSECRET, 4 BADSECRET.
				this.#fail(`listener could not use our key material (KM state ${kmrsp?.[0] ?? 'missing'})`);
				return;
			}
		}
		clearInterval(attempt.resend);
		clearTimeout(attempt.deadline);
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
			onPayload: (payload) => this.#events.payload(attempt.socketId, payload),
			onClose: (reason) => {
				this.#connection = undefined;
				this.#events.sessionClosed(attempt.socketId, reason, connection.stats());
				this.#fail(reason);
			},
		});
		const connection = this.#connection;
		this.#failures = 0;
		this.#events.opened(attempt.socketId, connection.stats());
		this.#setState('connected');
	}

	/** Ends the attempt (or connection) and schedules the next one, unless stopped. */
	#fail(reason: string): void {
		if (this.#state !== 'connecting' && this.#state !== 'connected') return;
		this.#endAttempt();
		this.#setState('waiting', reason);
		const delay = Math.min(this.#config.retryMaxMs, this.#config.retryMinMs * 2 ** this.#failures);
		this.#failures++;
		this.#retry = setTimeout(() => this.#connect(), delay);
	}

	#endAttempt(): void {
		const attempt = this.#attempt;
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
				mtu: OUR_MTU,
				flowWindow: OUR_FLOW_WINDOW,
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

	#setState(state: CallerState, lastError?: string): void {
		this.#state = state;
		this.#events.state(state, lastError);
	}

	#handshakePacket(attempt: Attempt, hs: Handshake): Buffer {
		return encodeHandshakePacket(hs, packetClock(monotonicMicros(), attempt.startedAt), 0);
	}
}
