/**
 * MPEG-TS over UDP in: unicast on a local port, or a multicast group joined on the port, one datagram
 * carrying whole 188-byte packets (usually 7, as ffmpeg and encoders send). RTP-wrapped TS
 * (RFC 2250, payload type 33) is unwrapped. UDP has no connection, so a session of the stream
 * starts with the first datagram and ends after a quiet spell.
 *
 * A session belongs to the sender (address and port) whose datagram started it, once admitted: until
 * that sender has been quiet for the idle timeout, datagrams from any other sender are counted,
 * logged and ignored, so a second sender cannot mix its packets into the first one's recording.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { TapedeckError } from '../../src/core/errors.ts';
import { type Logger, silentLogger } from '../../src/core/logger.ts';
import type { Demuxer } from '../../src/core/media-receiver.ts';
import type { IngestSource, StreamPublisher } from '../../src/core/stream-hub.ts';
import { type AdmissionCheck, AdmissionHold } from '../admission-hold.ts';
import { createDemuxer } from '../demux/create-demuxer.ts';

export type UdpEndpoint = {
	/** The address to bind; a multicast group (224.0.0.0/4, ff00::/8) is joined on the port instead. */
	readonly address: string;
	readonly port: number;
	/** Local interface address to join a multicast group on (default: the system's choice). */
	readonly interfaceAddress?: string;
	/** Quiet spell of the session's sender that ends its session (and its hold on the port), ms. */
	readonly idleTimeoutMs?: number;
};

const DEFAULT_IDLE_MS = 5000;
/** Refused senders remembered (so a refused stream does not ask the policy per datagram); beyond, forgotten. */
const MAX_REFUSED = 1024;
const TS_SYNC_BYTE = 0x47;
/** RFC 3550 §5.1: version 2 in the top bits of the first byte. */
const RTP_VERSION_2 = 0x80;
const RTP_HEADER_BYTES = 12;

export const isMulticast = (address: string): boolean => {
	if (isIPv6(address)) return address.toLowerCase().startsWith('ff');
	const first = Number(address.split('.')[0]);
	return first >= 224 && first <= 239;
};

/**
 * Reads `udp://[@][address]:port[?localaddr=IF&timeout=MS]` as ffmpeg and VLC write it on the receiving
 * side: the address is the group to join or the local address to bind (`@` or empty: all interfaces).
 */
export const parseUdpUrl = (text: string): UdpEndpoint => {
	let url: URL;
	try {
		url = new URL(text.replace(/^udp:\/\/@?(?=:)/, 'udp://0.0.0.0').replace('udp://@', 'udp://'));
	} catch {
		throw new TapedeckError('invalid_argument', `input_stream_url must be udp://[address]:port, got "${text}"`);
	}
	const port = Number(url.port);
	if (url.protocol !== 'udp:' || !Number.isInteger(port) || port < 1 || port > 65535) {
		throw new TapedeckError(
			'invalid_argument',
			`input_stream_url must be udp://[address]:port with a port, got "${text}"`,
		);
	}
	const address = url.hostname.replace(/^\[|\]$/g, '') || '0.0.0.0';
	const interfaceAddress = url.searchParams.get('localaddr') ?? undefined;
	const timeout = url.searchParams.get('timeout');
	return {
		address,
		port,
		...(interfaceAddress ? { interfaceAddress } : {}),
		...(timeout ? { idleTimeoutMs: Number(timeout) } : {}),
	};
};

export class UdpTsSource implements IngestSource {
	readonly description: string;
	readonly #endpoint: UdpEndpoint;
	readonly #target: StreamPublisher;
	readonly #logger: Logger;
	readonly #authorize: AdmissionCheck | undefined;
	#socket: Socket | undefined;
	#demuxer: Demuxer | undefined;
	/** `address:port` of the sender the session belongs to, or of the one being admitted. */
	#sender: string | undefined;
	/** Datagrams of the sender being admitted, while the policy decides. */
	#hold: AdmissionHold | undefined;
	/** Senders refused, by `address:port`, with when they last sent. */
	readonly #refused = new Map<string, number>();
	/** Other senders already named in the log this session. */
	readonly #strangers = new Set<string>();
	#lastDatagramMs = 0;
	#idleTimer: NodeJS.Timeout | undefined;
	/** Datagrams that held neither TS nor RTP-wrapped TS. */
	droppedDatagrams = 0;
	/** Datagrams from senders other than the session's, or refused ones: ignored. */
	ignoredDatagrams = 0;
	datagrams = 0;

	constructor(
		endpoint: UdpEndpoint,
		target: StreamPublisher,
		logger: Logger = silentLogger,
		authorize?: AdmissionCheck,
	) {
		this.#endpoint = endpoint;
		this.#target = target;
		this.#logger = logger;
		this.#authorize = authorize;
		this.description = `udp://${endpoint.address}:${endpoint.port}`;
	}

	/** The bound port (the real one when 0 was asked for), once started. */
	get port(): number {
		return this.#socket?.address().port ?? this.#endpoint.port;
	}

	async start(): Promise<void> {
		if (this.#socket) return;
		const { address, port, interfaceAddress } = this.#endpoint;
		const multicast = isMulticast(address);
		const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: multicast });
		socket.on('message', (message, from) => this.#onDatagram(message, from));
		await new Promise<void>((resolve, reject) => {
			socket.once('error', (error) => {
				socket.close();
				reject(new TapedeckError('io', `cannot listen on ${this.description}: ${error.message}`, { cause: error }));
			});
			socket.bind({ port, address }, () => {
				socket.removeAllListeners('error');
				resolve();
			});
		});
		socket.on('error', (error) =>
			this.#logger.warn(
				{ event: 'input.failed', input: this.description, reason: error.message },
				`${this.description}: ${error.message}`,
			),
		);
		if (multicast) socket.addMembership(address, interfaceAddress);
		socket.setRecvBufferSize(8 << 20);
		this.#socket = socket;
		const idleMs = this.#endpoint.idleTimeoutMs ?? DEFAULT_IDLE_MS;
		this.#idleTimer = setInterval(
			() => {
				const now = Date.now();
				if (this.#sender !== undefined && now - this.#lastDatagramMs > idleMs)
					this.#endSession(`no data for ${idleMs} ms`);
				for (const [sender, at] of this.#refused) if (now - at > idleMs) this.#refused.delete(sender);
			},
			Math.min(500, idleMs),
		);
	}

	async stop(): Promise<void> {
		clearInterval(this.#idleTimer);
		const socket = this.#socket;
		this.#socket = undefined;
		if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
		this.#endSession('input stopped');
	}

	#onDatagram(message: Buffer, from: RemoteInfo): void {
		this.datagrams++;
		const sender = `${from.address}:${from.port}`;
		if (this.#sender === undefined) this.#admit(sender, from.address);
		if (sender !== this.#sender) {
			this.#ignore(sender);
			return;
		}
		this.#lastDatagramMs = Date.now();
		if (this.#hold) this.#hold.hold(message, (held) => this.#deliver(held));
		else this.#deliver(message);
	}

	#deliver(datagram: Uint8Array): void {
		let payload = datagram;
		if (payload[0] !== TS_SYNC_BYTE) {
			payload = unwrapRtp(payload);
			if (payload[0] !== TS_SYNC_BYTE) {
				this.droppedDatagrams++;
				return;
			}
		}
		this.#demuxer ??= createDemuxer('ts', this.#target);
		this.#demuxer.push(payload);
	}

	/** A new sender for a free port: its session starts now, or once the policy allows it (held meanwhile). */
	#admit(sender: string, address: string): void {
		if (this.#refused.has(sender)) return;
		this.#sender = sender;
		this.#lastDatagramMs = Date.now();
		const authorize = this.#authorize;
		if (authorize === undefined) return;
		const hold = new AdmissionHold();
		this.#hold = hold;
		const verdict = (allowed: boolean): void => {
			if (this.#hold !== hold) return;
			this.#hold = undefined;
			if (allowed) {
				hold.release();
				return;
			}
			this.ignoredDatagrams += hold.discard();
			this.#sender = undefined;
			if (this.#refused.size >= MAX_REFUSED) this.#refused.clear();
			this.#refused.set(sender, Date.now());
			this.#logger.info(
				{
					event: 'publish.refused',
					protocol: 'udp',
					input: this.description,
					remoteAddress: sender,
					reason: 'not an allowed source',
				},
				`${this.description}: sender ${sender} refused; its datagrams are ignored`,
			);
		};
		authorize(address, {}).then(verdict, () => verdict(false));
	}

	#ignore(sender: string): void {
		this.ignoredDatagrams++;
		if (this.#refused.has(sender)) {
			this.#refused.set(sender, Date.now());
			return;
		}
		if (this.#strangers.has(sender) || this.#strangers.size >= MAX_REFUSED) return;
		this.#strangers.add(sender);
		const message = `datagrams from ${sender} ignored: the input belongs to ${this.#sender} until it is quiet for ${this.#endpoint.idleTimeoutMs ?? DEFAULT_IDLE_MS} ms`;
		this.#logger.warn(
			{ event: 'media.dropped', input: this.description, remoteAddress: sender },
			`${this.description}: ${message}`,
		);
		this.#target.warn?.({ code: 'dropped_data', message: `UDP input: ${message}` });
	}

	#endSession(reason: string): void {
		this.#sender = undefined;
		this.#hold = undefined;
		this.#strangers.clear();
		const demuxer = this.#demuxer;
		if (!demuxer) return;
		this.#demuxer = undefined;
		demuxer.end();
		this.#target.end(reason);
	}
}

/** The payload of an RTP packet (RFC 3550 §5.1: fixed header, CSRCs, optional extension), or empty. */
const unwrapRtp = (packet: Uint8Array): Uint8Array => {
	const first = packet[0] ?? 0;
	if ((first & 0xc0) !== RTP_VERSION_2 || packet.length < RTP_HEADER_BYTES) return packet.subarray(0, 0);
	let offset = RTP_HEADER_BYTES + (first & 0x0f) * 4;
	if (first & 0x10) {
		const words = ((packet[offset + 2] ?? 0) << 8) | (packet[offset + 3] ?? 0);
		offset += 4 + words * 4;
	}
	return offset < packet.length ? packet.subarray(offset) : packet.subarray(0, 0);
};
