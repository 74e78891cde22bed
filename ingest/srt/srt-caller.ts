/**
 * The SRT caller: pulls a stream from an SRT listener (`INPUT_TYPE_SRT_URL`), receiving only. The
 * handshake, the connection and the retries with back-off run on the SRT thread
 * (`srt-caller-socket.ts`); this side demuxes each connection's payloads into the target and ends
 * the target's session when a connection ends.
 */

import type { Demuxer, DemuxerFactory, MediaReceiver } from '../../src/core/media-receiver.ts';
import type { IngestSource, StreamPublisher } from '../../src/core/stream-hub.ts';
import { createDemuxer } from '../demux/create-demuxer.ts';
import type { SrtStats } from './srt-connection.ts';
import { demuxPayload, openSrtEndpoint, type SrtEndpoint } from './srt-thread.ts';
import { parseSrtUrl } from './srt-url.ts';
import type { FromSrtThread } from './thread-messages.ts';

export type SrtCallerOptions = {
	url: string;
	/**
	 * Where the demuxed media goes; `reportStats()` (a StreamPublisher) hears of each connection's
	 * figures when it is made, `end()` is called after it.
	 */
	target: MediaReceiver & Partial<Pick<StreamPublisher, 'end' | 'reportStats'>>;
	createDemuxer?: DemuxerFactory;
	/** Every delivered payload, in order (raw MPEG-TS), a view valid during the call. */
	onPayload?: (payload: Uint8Array) => void;
	/** Back-off between attempts: doubles from `retryMinMs` (500) up to `retryMaxMs` (10 000). */
	retryMinMs?: number;
	retryMaxMs?: number;
};

export type SrtCallerState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

/** The current connection: its demuxer and the SRT thread's latest figures. */
type Connection = { socketId: number; demuxer: Demuxer; latest: SrtStats; failed: boolean };

export class SrtCaller implements IngestSource {
	readonly description: string;
	readonly #o: SrtCallerOptions;
	/** `SRT host:port`, the prefix of the reasons the target hears. */
	readonly #label: string;
	/** The demuxer factory of the options, or the registry's MPEG-TS demuxer. */
	readonly #createDemuxer: DemuxerFactory;
	#state: SrtCallerState = 'idle';
	#endpoint: SrtEndpoint | undefined;
	#connection: Connection | undefined;
	#stopped: (() => void) | undefined;
	/** Connections made and the reason the last attempt or connection ended. */
	connects = 0;
	lastError: string | undefined;

	constructor(options: SrtCallerOptions) {
		this.#o = options;
		this.#createDemuxer = options.createDemuxer ?? ((receiver) => createDemuxer('ts', receiver));
		const url = parseSrtUrl(options.url);
		this.#label = `SRT ${url.host}:${url.port}`;
		this.description = `SRT caller to ${url.host}:${url.port}`;
	}

	get state(): SrtCallerState {
		return this.#state;
	}

	async start(): Promise<void> {
		if (this.#state !== 'idle') return;
		this.#open();
	}

	/** Ends the connection (its last payloads are demuxed first) and every retry. */
	async stop(): Promise<void> {
		if (this.#state === 'stopped') return;
		this.#state = 'stopped';
		const endpoint = this.#endpoint;
		if (endpoint === undefined) return;
		await new Promise<void>((resolve) => {
			this.#stopped = resolve;
			endpoint.send({ op: 'close', endpoint: endpoint.id });
		});
		endpoint.release();
		this.#endpoint = undefined;
	}

	/** Figures of the current connection, if any (as of the SRT thread's latest report). */
	stats(): SrtStats | undefined {
		return this.#connection?.latest;
	}

	#open(): void {
		this.#state = 'connecting';
		const endpoint = openSrtEndpoint({
			onMessage: (message) => this.#onMessage(message),
			onStats: (socketId, stats) => {
				if (this.#connection?.socketId === socketId) this.#connection.latest = stats;
			},
			onPayload: (socketId, payload) => this.#onPayload(socketId, payload),
			onThreadLost: (error) => this.#onThreadLost(error),
		});
		this.#endpoint = endpoint;
		endpoint.send({
			op: 'call',
			endpoint: endpoint.id,
			config: { url: this.#o.url, retryMinMs: this.#o.retryMinMs ?? 500, retryMaxMs: this.#o.retryMaxMs ?? 10_000 },
		});
	}

	#onMessage(message: Exclude<FromSrtThread, { op: 'payloads' | 'stats' }>): void {
		switch (message.op) {
			case 'caller-state':
				if (message.lastError !== undefined) this.lastError = message.lastError;
				if (this.#state !== 'stopped') this.#state = message.state;
				break;
			case 'opened':
				this.#opened(message.socketId, message.stats);
				break;
			case 'session-closed':
				this.#closed(message.socketId, message.reason, message.stats);
				break;
			case 'failed':
				this.lastError = message.message;
				this.#state = 'stopped';
				this.#endpoint?.release();
				this.#endpoint = undefined;
				break;
			case 'closed':
				this.#stopped?.();
				break;
		}
	}

	#opened(socketId: number, stats: SrtStats): void {
		let demuxer: Demuxer;
		try {
			demuxer = this.#createDemuxer(this.#o.target);
		} catch (error) {
			this.#closeSession(socketId, `no demuxer: ${(error as Error).message}`);
			return;
		}
		const connection: Connection = { socketId, demuxer, latest: stats, failed: false };
		this.#connection = connection;
		this.connects++;
		this.#o.target.reportStats?.({ protocol: 'srt', read: () => connection.latest });
	}

	#onPayload(socketId: number, payload: Uint8Array): void {
		const connection = this.#connection;
		if (connection?.socketId !== socketId || connection.failed) return;
		this.#o.onPayload?.(payload);
		demuxPayload(connection.demuxer, payload, (reason) => {
			connection.failed = true;
			this.#closeSession(socketId, reason);
		});
	}

	#closed(socketId: number, reason: string, stats: SrtStats): void {
		const connection = this.#connection;
		if (connection?.socketId !== socketId) return;
		connection.latest = stats;
		this.#connection = undefined;
		connection.demuxer.end();
		this.#o.target.end?.(`${this.#label}: ${reason}`);
	}

	#closeSession(socketId: number, reason: string): void {
		const endpoint = this.#endpoint;
		endpoint?.send({ op: 'close-session', endpoint: endpoint.id, socketId, reason });
	}

	/** The SRT thread died: the connection ends and the caller starts over on a new thread. */
	#onThreadLost(error: Error): void {
		const reason = `SRT thread failed: ${error.message}`;
		const connection = this.#connection;
		if (connection) this.#closed(connection.socketId, reason, connection.latest);
		this.lastError = reason;
		this.#endpoint = undefined;
		this.#stopped?.();
		if (this.#state !== 'stopped') this.#open();
	}
}
