import { createServer, type Server } from 'node:net';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../../src/core/connection-limits.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { IngestSource, StreamHub, StreamKey } from '../../src/core/stream-hub.ts';
import { ConnectionGuard } from '../connection-guard.ts';
import { DigestRealm } from './rtsp-auth.ts';
import { RtspServerSession } from './rtsp-server-session.ts';
import type { PortRange } from './udp-port-pair.ts';

export type RtspListenerOptions = {
	readonly hub: StreamHub;
	/** Default 127.0.0.1. */
	readonly host?: string;
	/** Default 8554. */
	readonly port?: number;
	/** UDP ports for RTP/RTCP pairs of publishers that SETUP over UDP. Default 30000–30999. */
	readonly rtpPorts?: PortRange;
	/** Session dropped after this long without a request or a packet. Default 60 s. */
	readonly sessionTimeoutMs?: number;
	/** App for single-segment paths (`rtsp://host/live.sdp` → default/live/live.sdp). Default `live`. */
	readonly defaultApp?: string;
	readonly realm?: string;
	/**
	 * The passwords a Digest answer from `user` publishing `key` may have been computed with (Digest
	 * never sends the password; the publish policy knows it). A verified answer reaches
	 * `hub.authorize` as `user` + `password`; with none, only Basic credentials (or none) do.
	 */
	readonly digestPasswords?: (key: StreamKey, user: string) => readonly string[];
	/** Offer and accept Basic (the password travels in clear). Default true. */
	readonly allowBasic?: boolean;
	/** Connections beyond this are closed at once (default 1000). */
	readonly maxConnections?: number;
	/** RECORD within the handshake time, connections not recording yet per source; idle time overrides `sessionTimeoutMs`. */
	readonly connectionLimits?: ConnectionLimits;
	/** Connections the limits closed, with the reason. */
	readonly logger?: Logger;
};

/**
 * The RTSP ingest listener (`INPUT_TYPE_RTSP_LISTEN` and the built-in one): accepts publishers that
 * ANNOUNCE + SETUP + RECORD (ffmpeg `-f rtsp`, OBS, encoders) and publishes each stream as
 * `default/<app>/<stream>` on the hub. Credentials go to `hub.authorize` before RECORD is allowed.
 */
export class RtspListener implements IngestSource {
	readonly #options: RtspListenerOptions;
	readonly #sessions = new Set<RtspServerSession>();
	readonly #realm: DigestRealm;
	readonly #guard: ConnectionGuard;
	#server: Server | undefined;
	#port = 0;

	constructor(options: RtspListenerOptions) {
		const port = options.port ?? 8554;
		if (!Number.isInteger(port) || port < 0 || port > 65535) {
			throw new TapedeckError('invalid_argument', `RTSP listener port must be 0–65535, got ${port}`);
		}
		this.#options = options;
		this.#realm = new DigestRealm(options.realm ?? 'tapedeck');
		this.#guard = new ConnectionGuard(
			`RTSP listener on ${options.host ?? '127.0.0.1'}:${port}`,
			options.connectionLimits ?? DEFAULT_CONNECTION_LIMITS,
			options.logger,
		);
	}

	get description(): string {
		return `RTSP listener on ${this.#options.host ?? '127.0.0.1'}:${this.port}`;
	}

	get listening(): boolean {
		return this.#server?.listening ?? false;
	}

	/** The bound port (useful with port 0). */
	get port(): number {
		return this.#port || (this.#options.port ?? 8554);
	}

	/** Live publisher sessions (for stats and tests). */
	get sessions(): ReadonlySet<RtspServerSession> {
		return this.#sessions;
	}

	async start(): Promise<void> {
		if (this.#server) return;
		const host = this.#options.host ?? '127.0.0.1';
		const digestPasswords = this.#options.digestPasswords ?? (() => []);
		const sessionTimeoutMs = this.#options.connectionLimits?.idleTimeoutMs ?? this.#options.sessionTimeoutMs ?? 60_000;
		const server = createServer({ noDelay: true }, (socket) => {
			const source = socket.remoteAddress ?? '?';
			let release: () => void = () => {};
			const session = new RtspServerSession(socket, {
				hub: this.#options.hub,
				host,
				rtpPorts: this.#options.rtpPorts ?? { min: 30_000, max: 30_999 },
				sessionTimeoutMs,
				defaultApp: this.#options.defaultApp ?? 'live',
				realm: this.#realm,
				digestPasswords,
				allowBasic: this.#options.allowBasic ?? true,
				onClose: (s) => {
					this.#sessions.delete(s);
					release();
				},
			});
			this.#sessions.add(session);
			release = this.#guard.add(source, {
				publishing: () => session.stats.state === 'recording',
				progress: () => socket.bytesRead,
				close: (reason) => session.close(reason),
			});
			const max = this.#options.maxConnections ?? 1000;
			this.#guard.enforceCap(this.#sessions.size, max, source, (why) => session.close(why));
		});
		this.#server = server;
		await new Promise<void>((resolve, reject) => {
			server.once('error', (error) =>
				reject(
					new TapedeckError(
						'io',
						`RTSP listener cannot listen on ${host}:${this.#options.port ?? 8554}: ${error.message}`,
					),
				),
			);
			server.listen(this.#options.port ?? 8554, host, () => resolve());
		});
		server.on('error', () => {}); // accept errors (EMFILE, …) must not take the process down
		const address = server.address();
		if (address && typeof address === 'object') this.#port = address.port;
	}

	async stop(): Promise<void> {
		const server = this.#server;
		if (!server) return;
		this.#server = undefined;
		for (const session of [...this.#sessions]) session.close('listener stopped');
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}
}
