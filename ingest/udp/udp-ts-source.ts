/**
 * MPEG-TS over UDP in: unicast on a local port, or a multicast group joined on the port, one datagram
 * carrying whole 188-byte packets (usually 7, as ffmpeg and encoders send). RTP-wrapped TS
 * (RFC 2250, payload type 33) is unwrapped. UDP has no connection, so a session of the stream
 * starts with the first datagram and ends after a quiet spell.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { TapedeckError } from '../../src/core/errors.ts';
import type { Demuxer } from '../../src/core/media-receiver.ts';
import type { IngestSource, StreamPublisher } from '../../src/core/stream-hub.ts';
import { createDemuxer } from '../demux/create-demuxer.ts';

export type UdpEndpoint = {
	/** The address to bind; a multicast group (224.0.0.0/4, ff00::/8) is joined on the port instead. */
	readonly address: string;
	readonly port: number;
	/** Local interface address to join a multicast group on (default: the system's choice). */
	readonly interfaceAddress?: string;
	/** Quiet spell that ends a session, ms. */
	readonly idleTimeoutMs?: number;
};

const DEFAULT_IDLE_MS = 3000;
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
	readonly #log: (message: string) => void;
	#socket: Socket | undefined;
	#demuxer: Demuxer | undefined;
	#lastDatagramMs = 0;
	#idleTimer: NodeJS.Timeout | undefined;
	/** Datagrams that held neither TS nor RTP-wrapped TS. */
	droppedDatagrams = 0;
	datagrams = 0;

	constructor(endpoint: UdpEndpoint, target: StreamPublisher, log: (message: string) => void = () => {}) {
		this.#endpoint = endpoint;
		this.#target = target;
		this.#log = log;
		this.description = `udp://${endpoint.address}:${endpoint.port}`;
	}

	async start(): Promise<void> {
		if (this.#socket) return;
		const { address, port, interfaceAddress } = this.#endpoint;
		const multicast = isMulticast(address);
		const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: multicast });
		socket.on('message', (message) => this.#onDatagram(message));
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
		socket.on('error', (error) => this.#log(`${this.description}: ${error.message}`));
		if (multicast) socket.addMembership(address, interfaceAddress);
		socket.setRecvBufferSize(8 << 20);
		this.#socket = socket;
		const idleMs = this.#endpoint.idleTimeoutMs ?? DEFAULT_IDLE_MS;
		this.#idleTimer = setInterval(
			() => {
				if (this.#demuxer && Date.now() - this.#lastDatagramMs > idleMs) this.#endSession(`no data for ${idleMs} ms`);
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

	#onDatagram(message: Buffer): void {
		this.datagrams++;
		this.#lastDatagramMs = Date.now();
		let payload: Uint8Array = message;
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

	#endSession(reason: string): void {
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
