/**
 * MPEG-TS or FLV pushed over HTTP: `ffmpeg -f mpegts -method POST http://host:port/anything` (chunked
 * or with a length, POST or PUT). One upload is one session of the stream; a second concurrent upload
 * is refused with 409. The container is sniffed from the first bytes (Content-Type is only a hint).
 * A connection must deliver media within the handshake time and a silent one is closed after the
 * idle time, so a slow or stalled uploader cannot hold the one upload slot (ConnectionGuard).
 *
 * With an admission check, an upload presents its credentials as `Authorization: Bearer <key>`,
 * `Authorization: Basic` (user and password), or `?key=` in the URL (ffmpeg's `-headers`); a refused
 * one gets 401 and its connection is closed before its body is read.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../../src/core/connection-limits.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { type Logger, silentLogger } from '../../src/core/logger.ts';
import type { Demuxer } from '../../src/core/media-receiver.ts';
import type { IngestSource, StreamPublisher } from '../../src/core/stream-hub.ts';
import type { AdmissionCheck } from '../admission-hold.ts';
import { ConnectionGuard } from '../connection-guard.ts';
import { createDemuxer, type DemuxerKind, sniffDemuxerKind } from '../demux/create-demuxer.ts';
import { parseAuthorization } from '../rtsp/rtsp-auth.ts';
import { contentTypeKind } from './content-type-kind.ts';

/** Bytes gathered before sniffing: three TS packets, plenty for the FLV signature. */
const SNIFF_BYTES = 188 * 3;

export class HttpListenSource implements IngestSource {
	readonly description: string;
	readonly #host: string;
	#port: number;
	readonly #target: StreamPublisher;
	readonly #logger: Logger;
	readonly #limits: ConnectionLimits;
	readonly #guard: ConnectionGuard;
	readonly #authorize: AdmissionCheck | undefined;
	#server: Server | undefined;
	/** The upload publishing the stream, if any: the one slot. */
	#upload: Upload | undefined;
	/** An upload's admission is being decided: the slot is taken meanwhile. */
	#deciding = false;

	constructor(
		listen: { host: string; port: number },
		target: StreamPublisher,
		logger: Logger = silentLogger,
		limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
		authorize?: AdmissionCheck,
	) {
		this.#host = listen.host;
		this.#port = listen.port;
		this.#target = target;
		this.#logger = logger;
		this.#limits = limits;
		this.#authorize = authorize;
		this.description = `http://${listen.host}:${listen.port}`;
		this.#guard = new ConnectionGuard(`HTTP listener ${this.description}`, limits, logger);
	}

	/** The bound port (the real one when 0 was asked for). */
	get port(): number {
		return this.#port;
	}

	/** Connections the limits closed. */
	get refusedConnections(): number {
		return this.#guard.closed;
	}

	async start(): Promise<void> {
		if (this.#server) return;
		const server = createServer((request, response) => this.#onRequest(request, response));
		server.requestTimeout = 0;
		server.on('connection', (socket: Socket) => this.#guardConnection(socket));
		await new Promise<void>((resolve, reject) => {
			server.once('error', (error) =>
				reject(new TapedeckError('io', `cannot listen on ${this.description}: ${error.message}`, { cause: error })),
			);
			server.listen(this.#port, this.#host, () => resolve());
		});
		const address = server.address();
		if (address && typeof address === 'object') this.#port = address.port;
		this.#server = server;
	}

	async stop(): Promise<void> {
		const server = this.#server;
		this.#server = undefined;
		if (!server) return;
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	/** Pending until it delivers media; silent for the idle time: closed. */
	#guardConnection(socket: Socket): void {
		socket.setTimeout(this.#limits.idleTimeoutMs, () => {
			this.#logger.info(
				{ event: 'connection.closed', listener: this.description, remoteAddress: socket.remoteAddress, reason: 'idle' },
				`HTTP listener ${this.description}: closed a connection from ${socket.remoteAddress}: no data within ${this.#limits.idleTimeoutMs} ms`,
			);
			socket.destroy();
		});
		const release = this.#guard.add(socket.remoteAddress ?? '?', {
			publishing: () => this.#upload?.socket === socket && this.#upload.delivering,
			progress: () => socket.bytesRead,
			close: () => socket.destroy(),
		});
		socket.once('close', release);
	}

	#onRequest(request: IncomingMessage, response: ServerResponse): void {
		if (request.method !== 'POST' && request.method !== 'PUT') {
			response
				.writeHead(405, { allow: 'POST, PUT', 'content-type': 'text/plain' })
				.end('send the stream with POST or PUT\n');
			request.resume();
			return;
		}
		if (this.#upload || this.#deciding) {
			response
				.writeHead(409, { 'content-type': 'text/plain' })
				.end('another upload is already publishing this stream\n');
			request.resume();
			return;
		}
		if (!this.#authorize) {
			this.#begin(request, response);
			return;
		}
		// The body waits in the socket (unread) while the check runs.
		this.#deciding = true;
		const address = request.socket.remoteAddress ?? '';
		this.#authorize(address, credentialsOf(request)).then(
			(allowed) => this.#admitted(allowed, request, response),
			() => this.#admitted(false, request, response),
		);
	}

	#begin(request: IncomingMessage, response: ServerResponse): void {
		const upload = new Upload(request, response, this.#target, this.#logger, () => {
			if (this.#upload === upload) this.#upload = undefined;
		});
		if (!upload.done) this.#upload = upload;
	}

	#admitted(allowed: boolean, request: IncomingMessage, response: ServerResponse): void {
		this.#deciding = false;
		if (request.destroyed) return;
		if (allowed) {
			this.#begin(request, response);
			return;
		}
		const remoteAddress = request.socket.remoteAddress ?? '?';
		const reason = 'wrong or missing credentials';
		this.#logger.info(
			{ event: 'publish.refused', protocol: 'http', remoteAddress, reason },
			`http upload from ${remoteAddress} refused: ${reason}`,
		);
		response
			.writeHead(401, {
				'www-authenticate': 'Basic realm="tapedeck", Bearer',
				connection: 'close',
				'content-type': 'text/plain',
			})
			.end('publishing here takes credentials: Authorization: Bearer <key> or Basic, or ?key=\n', () =>
				request.socket.destroy(),
			);
	}
}

/** What an upload presents: `Authorization` (Bearer → `token`, Basic → `user` + `password`) and the URL's query. */
const credentialsOf = (request: IncomingMessage): Record<string, string> => {
	const query = (request.url ?? '').split('?')[1] ?? '';
	const credentials: Record<string, string> = Object.fromEntries(new URLSearchParams(query));
	const header = request.headers.authorization;
	const bearer = /^bearer\s+(.+)$/i.exec(header ?? '');
	if (bearer) credentials.token = bearer[1]!.trim();
	const presented = parseAuthorization(header);
	if (presented?.scheme === 'basic') {
		credentials.user = presented.user;
		credentials.password = presented.password;
	}
	return credentials;
};

/** One upload: sniff, demux, end the session when the body ends or the connection drops. */
class Upload {
	readonly socket: Socket;
	#demuxer: Demuxer | undefined;
	#head: Uint8Array[] = [];
	#headBytes = 0;
	#bytes = 0;
	#done = false;

	constructor(
		request: IncomingMessage,
		readonly response: ServerResponse,
		readonly target: StreamPublisher,
		readonly logger: Logger,
		readonly onDone: () => void,
	) {
		this.socket = request.socket;
		const hint = contentTypeKind(request.headers['content-type']);
		request.on('data', (chunk: Buffer) => this.#onData(chunk, hint));
		request.on('end', () => this.#finish('upload finished', 200));
		request.on('close', () => this.#finish('publisher disconnected', 499));
		request.on('error', (error) => this.#finish(`publisher disconnected: ${error.message}`, 400));
	}

	/** Whether media reached the stream (a demuxed packet), not merely bytes. */
	get delivering(): boolean {
		return (this.#demuxer?.stats.packets ?? 0) > 0;
	}

	get done(): boolean {
		return this.#done;
	}

	#onData(chunk: Buffer, hint: DemuxerKind | undefined): void {
		if (this.#done) return;
		this.#bytes += chunk.length;
		if (this.#demuxer) {
			this.#demuxer.push(chunk);
			return;
		}
		this.#head.push(chunk);
		this.#headBytes += chunk.length;
		if (this.#headBytes >= SNIFF_BYTES) this.#startDemuxer(hint);
	}

	#startDemuxer(hint: DemuxerKind | undefined): boolean {
		const head = Buffer.concat(this.#head);
		this.#head = [];
		const kind = sniffDemuxerKind(head) ?? hint;
		if (!kind) {
			this.#done = true;
			const remoteAddress = this.socket.remoteAddress;
			this.logger.warn(
				{ event: 'session.error', protocol: 'http', remoteAddress, reason: 'neither MPEG-TS nor FLV' },
				'http upload: neither MPEG-TS nor FLV',
			);
			this.response.writeHead(415, { 'content-type': 'text/plain' }).end('the body is neither MPEG-TS nor FLV\n');
			this.onDone();
			return false;
		}
		this.#demuxer = createDemuxer(kind, this.target);
		this.#demuxer.push(head);
		return true;
	}

	#finish(reason: string, status: number): void {
		if (this.#done) return;
		if (!this.#demuxer && this.#headBytes > 0 && !this.#startDemuxer(undefined)) return;
		this.#done = true;
		const demuxer = this.#demuxer;
		if (demuxer) {
			demuxer.end();
			this.target.end(reason);
		}
		if (!this.response.headersSent) {
			this.response
				.writeHead(status === 499 ? 200 : status, { 'content-type': 'application/json' })
				.end(JSON.stringify({ success: status !== 400, bytes: this.#bytes }));
		}
		this.onDone();
	}
}
