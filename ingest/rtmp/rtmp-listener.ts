/**
 * The RTMP listener publishers push to: `rtmp://host:port/<app>/<stream>` publishes
 * `default/<app>/<stream>` on the hub, one `RtmpPublishSession` per connection. A connection must
 * publish within the handshake time, and one source's connections that do not publish yet are
 * bounded (ConnectionGuard); a silent connection is closed after the idle timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../../src/core/connection-limits.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { IngestSource } from '../../src/core/stream-hub.ts';
import { ConnectionGuard } from '../connection-guard.ts';
import { RtmpPublishSession, type RtmpSessionOptions } from './rtmp-publish-session.ts';

export type RtmpListenerOptions = RtmpSessionOptions & {
	readonly host?: string;
	/** 0 picks a free port (see `port` after `start()`). */
	readonly port: number;
	/** Connections beyond this are closed at once (default 1000). */
	readonly maxConnections?: number;
	/** Handshake time, idle time (overrides `idleTimeoutMs`), connections not publishing yet. */
	readonly connectionLimits?: ConnectionLimits;
};

export class RtmpListener implements IngestSource {
	readonly description: string;
	private readonly sessions = new Set<RtmpPublishSession>();
	private readonly guard: ConnectionGuard;
	private readonly sessionOptions: RtmpSessionOptions;
	private server: Server | undefined;
	private boundPort: number;

	constructor(private readonly options: RtmpListenerOptions) {
		const { port } = options;
		if (!Number.isInteger(port) || port < 0 || port > 65535) {
			throw new TapedeckError('invalid_argument', `RTMP listen port must be an integer 0-65535, got ${port}`);
		}
		this.boundPort = port;
		this.description = `RTMP listener on ${options.host ?? '127.0.0.1'}:${port}`;
		const limits = options.connectionLimits ?? DEFAULT_CONNECTION_LIMITS;
		this.guard = new ConnectionGuard(this.description, limits, options.logger);
		this.sessionOptions = options.connectionLimits ? { ...options, idleTimeoutMs: limits.idleTimeoutMs } : options;
	}

	get listening(): boolean {
		return this.server?.listening ?? false;
	}

	/** The bound port (the real one when 0 was asked for). */
	get port(): number {
		return this.boundPort;
	}

	/** Sessions currently connected. */
	get connections(): readonly RtmpPublishSession[] {
		return [...this.sessions];
	}

	start(): Promise<void> {
		if (this.server) return Promise.resolve();
		const server = createServer((socket) => this.accept(socket));
		this.server = server;
		return new Promise((resolve, reject) => {
			server.once('error', (error) =>
				reject(new TapedeckError('io', `${this.description}: ${error.message}`, { cause: error })),
			);
			server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => {
				const address = server.address();
				if (address && typeof address === 'object') this.boundPort = address.port;
				resolve();
			});
		});
	}

	async stop(): Promise<void> {
		const server = this.server;
		if (!server) return;
		this.server = undefined;
		const closed = new Promise<void>((resolve) => server.close(() => resolve()));
		for (const session of [...this.sessions]) session.close('listener stopped');
		await closed;
	}

	/** Connections the guard closed (not publishing in time, or making room for others). */
	get refusedConnections(): number {
		return this.guard.closed;
	}

	private accept(socket: Socket): void {
		const source = socket.remoteAddress ?? '?';
		let release: () => void = () => {};
		const session = new RtmpPublishSession(socket, this.sessionOptions, (ended) => {
			this.sessions.delete(ended);
			release();
		});
		this.sessions.add(session);
		release = this.guard.add(source, {
			publishing: () => session.streamKey !== undefined,
			progress: () => socket.bytesRead,
			close: (reason) => session.close(reason),
		});
		this.guard.enforceCap(this.sessions.size, this.options.maxConnections ?? 1000, source, (why) => session.close(why));
	}
}
