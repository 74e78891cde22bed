/**
 * The SRT listener: one UDP port serving many callers. Each accepted caller is a publisher: its
 * stream id names the stream (`#!::r=app/stream,m=publish` or `app/stream` → `default/app/stream`),
 * its payloads (MPEG-TS) go through a TS demuxer into the `StreamPublisher` the hub hands out.
 *
 * The socket and the protocol run on the SRT thread (`srt-listener-socket.ts`); this side decides
 * admissions: a conclusion that passed the cookie check is checked here (HSREQ, mode, stream id,
 * encryption), passed to the hub's auth hook, and answered with a verdict: accept (with the stream's
 * keys) or a rejection code.
 */
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../../src/core/connection-limits.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { Demuxer, DemuxerFactory } from '../../src/core/media-receiver.ts';
import {
	formatStreamKey,
	type IngestSource,
	type StreamHub,
	type StreamKey,
	type StreamPublisher,
} from '../../src/core/stream-hub.ts';
import { ConnectionGuard } from '../connection-guard.ts';
import { createDemuxer } from '../demux/create-demuxer.ts';
import {
	DEFAULT_LATENCY_MS,
	decodeSrtInfo,
	decodeStringExtension,
	ExtensionType,
	findExtension,
	type Handshake,
	RejectReason,
	rejectionName,
	SrtFlag,
} from './handshake.ts';
import { decodeKeyMaterial, openKeyMaterial, type StreamKeys, validatePassphrase } from './key-material.ts';
import type { SrtStats } from './srt-connection.ts';
import { RECEIVE_BUFFER_BYTES } from './srt-listener-socket.ts';
import { demuxPayload, openSrtEndpoint, type SrtEndpoint } from './srt-thread.ts';
import { type ParsedStreamId, parseStreamId, streamKeyFromResource } from './stream-id.ts';
import type { FromSrtThread, Verdict } from './thread-messages.ts';

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
	/**
	 * Media within the handshake time of a session's opening, and sessions without media yet per
	 * source (the oldest makes room): idle callers cannot fill `maxConnections`. The idle time is the
	 * SRT thread's own peer timeout.
	 */
	connectionLimits?: ConnectionLimits;
	/** Demuxer for the delivered payloads; default the MPEG-TS demuxer. */
	createDemuxer?: DemuxerFactory;
	/** Every delivered payload, in order (raw MPEG-TS), a view valid during the call: for tests and byte-exact taps. */
	onPayload?: (session: SrtSession, payload: Uint8Array) => void;
	onSessionClosed?: (session: SrtSession, reason: string) => void;
	/** Operational warnings (a host that caps the socket's receive buffer). */
	/** Hears refused callers (`publish.refused`) and connections the limits closed. */
	logger?: Logger;
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

/** One accepted publisher; its figures are the SRT thread's latest report (a few times a second). */
type LiveSession = SrtSession & {
	readonly publisher: StreamPublisher;
	readonly demuxer: Demuxer;
	latest: SrtStats;
	failed: boolean;
	/** Releases its place among the sessions without media yet. */
	release: () => void;
};

/** An accepted caller waiting for its connection to open on the SRT thread. */
type Admitted = { streamId: string; key: StreamKey; encrypted: boolean; publisher: StreamPublisher; demuxer: Demuxer };

type Checked = {
	streamId: string;
	parsed: ParsedStreamId;
	key: StreamKey;
	passphrase: string | undefined;
	keys: StreamKeys | undefined;
};

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

export class SrtListener implements IngestSource {
	readonly description: string;
	readonly #o: SrtListenerOptions;
	readonly #sessions = new Map<number, LiveSession>();
	/** Requests past their verdict or deciding it: 'deciding' while the auth hook runs. */
	readonly #admitted = new Map<number, Admitted | 'deciding'>();
	/** The demuxer factory of the options, or the registry's MPEG-TS demuxer. */
	readonly #createDemuxer: DemuxerFactory;
	readonly #guard: ConnectionGuard;
	#endpoint: SrtEndpoint | undefined;
	#started: { resolve: () => void; reject: (error: Error) => void } | undefined;
	#stopped: (() => void) | undefined;
	#stopping = false;

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
		this.#guard = new ConnectionGuard(
			this.description,
			options.connectionLimits ?? DEFAULT_CONNECTION_LIMITS,
			options.logger,
		);
	}

	/** Sessions the limits closed (no media in time, or making room for others). */
	get refusedConnections(): number {
		return this.#guard.closed;
	}

	async start(): Promise<void> {
		if (this.#endpoint) return;
		const endpoint = openSrtEndpoint({
			onMessage: (message) => this.#onMessage(message),
			onStats: (socketId, stats) => {
				const session = this.#sessions.get(socketId);
				if (session) session.latest = stats;
			},
			onPayload: (socketId, payload) => this.#onPayload(socketId, payload),
			onThreadLost: (error) => this.#onThreadLost(error),
		});
		this.#endpoint = endpoint;
		const { port } = this.#o;
		const host = this.#o.host ?? '127.0.0.1';
		await new Promise<void>((resolve, reject) => {
			this.#started = { resolve, reject };
			endpoint.send({
				op: 'listen',
				endpoint: endpoint.id,
				config: { port, host, latencyMs: this.#o.latencyMs ?? DEFAULT_LATENCY_MS },
			});
		});
	}

	/** Ends every session (each delivers what it holds first), then closes the socket. */
	async stop(): Promise<void> {
		const endpoint = this.#endpoint;
		if (this.#stopping || endpoint === undefined) return;
		this.#stopping = true;
		await new Promise<void>((resolve) => {
			this.#stopped = resolve;
			endpoint.send({ op: 'close', endpoint: endpoint.id });
		});
		endpoint.release();
	}

	/** Bound on a live SRT thread: started, and not stopping or replacing a lost thread. */
	get listening(): boolean {
		return this.#endpoint !== undefined && this.#started === undefined && !this.#stopping;
	}

	sessions(): SrtSession[] {
		return [...this.#sessions.values()];
	}

	#onMessage(message: Exclude<FromSrtThread, { op: 'payloads' | 'stats' }>): void {
		switch (message.op) {
			case 'listening':
				// The kernel reports twice the size it granted; below what we asked, a busy host may drop datagrams.
				if (message.receiveBufferBytes < RECEIVE_BUFFER_BYTES)
					this.#o.logger?.warn(
						{
							event: 'listener.warning',
							listener: this.description,
							receiveBufferBytes: message.receiveBufferBytes / 2,
						},
						`${this.description}: the kernel capped the UDP receive buffer at ${mib(message.receiveBufferBytes / 2)} MiB ` +
							`(asked ${mib(RECEIVE_BUFFER_BYTES)} MiB); with many streams on a busy host it can overflow: ` +
							`raise net.core.rmem_max (sysctl -w net.core.rmem_max=${RECEIVE_BUFFER_BYTES})`,
					);
				this.#started?.resolve();
				this.#started = undefined;
				break;
			case 'failed':
				this.#endpoint?.release();
				this.#endpoint = undefined;
				this.#started?.reject(new TapedeckError('io', `${this.description}: cannot bind: ${message.message}`));
				this.#started = undefined;
				break;
			case 'admit': {
				const endpoint = this.#endpoint;
				if (endpoint === undefined) break;
				this.#admit(endpoint, message.request, message.handshake, message.remoteAddress).catch(() =>
					this.#verdict(endpoint, message.request, { reject: RejectReason.system }),
				);
				break;
			}
			case 'opened':
				if (message.request !== undefined) this.#opened(message.request, message.socketId, message);
				break;
			case 'dismissed':
				this.#dismiss(message.request, 'listener stopped');
				break;
			case 'session-closed':
				this.#closed(message.socketId, message.reason, message.stats);
				break;
			case 'closed':
				this.#stopped?.();
				break;
		}
	}

	/**
	 * Decides on a caller `endpoint`'s thread asked about. Request numbers belong to that thread: if it
	 * died while the auth hook ran, the listener's new thread must not see this request, nor a publisher
	 * be left open for it.
	 */
	async #admit(endpoint: SrtEndpoint, request: number, hs: Handshake, remoteAddress: string): Promise<void> {
		const checked = this.#check(hs, remoteAddress);
		if (typeof checked === 'number') {
			this.#refused(remoteAddress, hs, checked);
			this.#verdict(endpoint, request, { reject: checked });
			return;
		}
		const { streamId, parsed, key, passphrase, keys } = checked;
		this.#admitted.set(request, 'deciding');
		let publisher: StreamPublisher | undefined;
		let reason: number = RejectReason.unauthorized;
		/** The hub refused: its decision is logged there already. */
		let decided = false;
		try {
			const allowed = await this.#o.hub.authorize({
				key,
				protocol: 'srt',
				remoteAddress,
				credentials: { streamid: streamId, ...parsed.fields },
			});
			decided = !allowed;
			if (allowed && !this.#stopping && this.#endpoint === endpoint)
				publisher = this.#o.hub.publish(key, 'srt', remoteAddress);
		} catch (error) {
			reason =
				error instanceof TapedeckError && error.code === 'conflict' ? RejectReason.conflict : RejectReason.resource;
		}
		if (publisher === undefined) {
			if (this.#endpoint === endpoint) this.#admitted.delete(request);
			this.#refused(remoteAddress, hs, reason, decided);
			this.#verdict(endpoint, request, { reject: reason });
			return;
		}
		let demuxer: Demuxer;
		try {
			demuxer = this.#createDemuxer(publisher);
		} catch (error) {
			this.#admitted.delete(request);
			publisher.end(`SRT ${formatStreamKey(key)}: no demuxer: ${(error as Error).message}`);
			this.#verdict(endpoint, request, { reject: RejectReason.resource });
			return;
		}
		this.#admitted.set(request, { streamId, key, encrypted: keys !== undefined, publisher, demuxer });
		if (this.#stopping) {
			this.#dismiss(request, 'listener stopped');
			return;
		}
		this.#verdict(endpoint, request, { accept: { ...(passphrase ? { passphrase } : {}), ...(keys ? { keys } : {}) } });
	}

	/** The synchronous acceptance rules; a number is the rejection code. */
	#check(hs: Handshake, remoteAddress: string): number | Checked {
		const hsreqExt = findExtension(hs, ExtensionType.hsreq);
		const hsreq = hsreqExt && decodeSrtInfo(hsreqExt.data);
		if (hsreq === undefined) return RejectReason.rogue;
		if (hsreq.version < 0x010300) return RejectReason.version;
		if ((hsreq.flags & SrtFlag.stream) !== 0) return RejectReason.messageApi;
		if (findExtension(hs, ExtensionType.filter)) return RejectReason.filter;
		if (findExtension(hs, ExtensionType.group)) return RejectReason.group;
		const congestion = findExtension(hs, ExtensionType.congestion);
		if (congestion && decodeStringExtension(congestion.data) !== 'live') return RejectReason.congestion;
		// At the cap, a session without media that is old enough makes room (it closes a moment later).
		let full = false;
		const open = this.#sessions.size + this.#admitted.size + 1;
		this.#guard.enforceCap(open, this.#o.maxConnections ?? 256, remoteAddress, () => {
			full = true;
		});
		if (full) return RejectReason.backlog;

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
		if (passphrase === undefined || kmreq === undefined) return { streamId, parsed, key, passphrase, keys: undefined };
		const km = decodeKeyMaterial(kmreq);
		const keys = km && openKeyMaterial(km, passphrase);
		if (keys === undefined) return RejectReason.badSecret;
		return { streamId, parsed, key, passphrase, keys };
	}

	/** Logs a refused caller with its address, stream id and the rejection's name (for debugging only when the hub `decided`). */
	#refused(remoteAddress: string, hs: Handshake, code: number, decided = false): void {
		const sid = findExtension(hs, ExtensionType.sid);
		const streamId = sid ? decodeStringExtension(sid.data) : '';
		const name = rejectionName(code);
		const fields = { protocol: 'srt', remoteAddress, streamId, code, reason: name };
		const line = `${this.description}: caller ${remoteAddress} (stream id "${streamId}") refused: ${code} ${name}`;
		if (decided) this.#o.logger?.debug({ event: 'publish.answered', ...fields }, line);
		else this.#o.logger?.info({ event: 'publish.refused', ...fields }, line);
	}

	#verdict(endpoint: SrtEndpoint, request: number, verdict: Verdict): void {
		endpoint.send({ op: 'verdict', endpoint: endpoint.id, request, verdict });
	}

	#opened(
		request: number,
		socketId: number,
		opened: { remoteAddress: string; remotePort: number; stats: SrtStats },
	): void {
		const admitted = this.#admitted.get(request);
		this.#admitted.delete(request);
		if (admitted === undefined || admitted === 'deciding') return;
		const session: LiveSession = {
			socketId,
			remoteAddress: opened.remoteAddress,
			remotePort: opened.remotePort,
			streamId: admitted.streamId,
			key: admitted.key,
			encrypted: admitted.encrypted,
			publisher: admitted.publisher,
			demuxer: admitted.demuxer,
			latest: opened.stats,
			failed: false,
			stats: () => session.latest,
			release: () => {},
		};
		this.#sessions.set(socketId, session);
		session.release = this.#guard.add(opened.remoteAddress, {
			publishing: () => session.demuxer.stats.packets > 0,
			progress: () => session.latest.bytesReceived,
			close: (reason) => {
				const endpoint = this.#endpoint;
				endpoint?.send({ op: 'close-session', endpoint: endpoint.id, socketId, reason });
			},
		});
		admitted.publisher.reportStats?.({ protocol: 'srt', read: session.stats });
	}

	#dismiss(request: number, reason: string): void {
		const admitted = this.#admitted.get(request);
		if (admitted === undefined || admitted === 'deciding') return;
		this.#admitted.delete(request);
		admitted.demuxer.end();
		admitted.publisher.end(`SRT ${formatStreamKey(admitted.key)}: ${reason}`);
	}

	#onPayload(socketId: number, payload: Uint8Array): void {
		const session = this.#sessions.get(socketId);
		if (session === undefined || session.failed) return;
		this.#o.onPayload?.(session, payload);
		demuxPayload(session.demuxer, payload, (reason) => {
			session.failed = true;
			const endpoint = this.#endpoint;
			endpoint?.send({ op: 'close-session', endpoint: endpoint.id, socketId, reason });
		});
	}

	#closed(socketId: number, reason: string, stats: SrtStats): void {
		const session = this.#sessions.get(socketId);
		if (session === undefined) return;
		this.#sessions.delete(socketId);
		session.release();
		session.latest = stats;
		session.demuxer.end();
		session.publisher.end(`SRT ${formatStreamKey(session.key)}: ${reason}`);
		this.#o.onSessionClosed?.(session, reason);
	}

	/** The SRT thread died: every session ends; the listener opens its port again on a new thread. */
	#onThreadLost(error: Error): void {
		const reason = `SRT thread failed: ${error.message}`;
		for (const [socketId, session] of [...this.#sessions]) this.#closed(socketId, reason, session.latest);
		for (const request of [...this.#admitted.keys()]) this.#dismiss(request, reason);
		this.#admitted.clear();
		this.#endpoint = undefined;
		this.#started?.reject(new TapedeckError('io', `${this.description}: ${reason}`));
		this.#started = undefined;
		this.#stopped?.();
		if (!this.#stopping) this.start().catch(() => {});
	}
}
