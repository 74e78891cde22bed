import { connect, type Socket } from 'node:net';
import { TapedeckError } from '../../src/core/errors.ts';
import {
	authorizationFor,
	type Challenge,
	type Credentials,
	parseChallenges,
	preferredChallenge,
} from './rtsp-auth.ts';
import {
	RtspHeaders,
	type RtspMessage,
	type RtspRequest,
	type RtspResponse,
	request,
	response,
	serializeMessage,
	sessionId,
} from './rtsp-message.ts';
import { RtspReader } from './rtsp-reader.ts';

type Pending = { resolve: (r: RtspResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * The client side of one RTSP connection (RFC 2326): requests with CSeq, responses matched back
 * to them, the Session header carried once the server gave one, Basic/Digest answered on a 401
 * (one retry), interleaved frames handed out as they come.
 */
export class RtspClientConnection {
	readonly #socket: Socket;
	readonly #reader: RtspReader;
	readonly #pending = new Map<number, Pending>();
	readonly #credentials: Credentials | undefined;
	readonly #timeoutMs: number;
	#cseq = 0;
	#challenge: Challenge | undefined;
	#nonceCount = 0;
	#closed: string | undefined;
	/** The server's session id, from the first response that carries one. */
	session: string | undefined;
	/** The Session header value as received (with its timeout parameter). */
	sessionHeader: string | undefined;
	onInterleaved: (channel: number, data: Uint8Array) => void = () => {};
	onClose: (reason: string) => void = () => {};

	private constructor(socket: Socket, credentials: Credentials | undefined, timeoutMs: number) {
		this.#socket = socket;
		this.#credentials = credentials;
		this.#timeoutMs = timeoutMs;
		this.#reader = new RtspReader({
			message: (message) => this.#message(message),
			interleaved: (channel, data) => this.onInterleaved(channel, data),
		});
		socket.on('data', (chunk: Buffer) => {
			try {
				this.#reader.push(chunk);
			} catch (error) {
				this.close(error instanceof Error ? error.message : String(error));
			}
		});
		socket.on('close', () => this.close('server closed the connection'));
		socket.on('error', (error) => this.close(`connection error: ${error.message}`));
	}

	static open(host: string, port: number, credentials: Credentials | undefined, timeoutMs: number) {
		return new Promise<RtspClientConnection>((resolve, reject) => {
			const socket = connect({ host, port, noDelay: true });
			const timer = setTimeout(() => {
				socket.destroy();
				reject(new TapedeckError('io', `RTSP connect to ${host}:${port} timed out after ${timeoutMs} ms`));
			}, timeoutMs);
			socket.once('error', (error) => {
				clearTimeout(timer);
				reject(new TapedeckError('io', `RTSP connect to ${host}:${port} failed: ${error.message}`));
			});
			socket.once('connect', () => {
				clearTimeout(timer);
				socket.removeAllListeners('error');
				resolve(new RtspClientConnection(socket, credentials, timeoutMs));
			});
		});
	}

	get remoteAddress(): string {
		return this.#socket.remoteAddress ?? '';
	}

	/** Sends a request; on a 401 with credentials at hand, answers the challenge once. */
	async request(method: string, uri: string, headers = new RtspHeaders(), body?: Uint8Array): Promise<RtspResponse> {
		let reply = await this.#send(method, uri, headers, body);
		if (reply.status === 401 && this.#credentials) {
			const challenge = preferredChallenge(parseChallenges(reply.headers.getAll('www-authenticate')));
			if (!challenge) return reply;
			this.#challenge = challenge;
			this.#nonceCount = 0;
			reply = await this.#send(method, uri, headers, body);
		}
		return reply;
	}

	/** Sends raw bytes on the connection (interleaved RTCP). */
	write(bytes: Uint8Array): void {
		if (!this.#closed && this.#socket.writable) this.#socket.write(bytes);
	}

	close(reason = 'closed'): void {
		if (this.#closed) return;
		this.#closed = reason;
		this.#socket.destroy();
		for (const pending of this.#pending.values()) {
			clearTimeout(pending.timer);
			pending.reject(new TapedeckError('io', `RTSP connection closed: ${reason}`));
		}
		this.#pending.clear();
		this.onClose(reason);
	}

	#send(method: string, uri: string, headers: RtspHeaders, body?: Uint8Array): Promise<RtspResponse> {
		if (this.#closed) return Promise.reject(new TapedeckError('io', `RTSP connection closed: ${this.#closed}`));
		const cseq = ++this.#cseq;
		const out = new RtspHeaders(headers.entries());
		out.set('CSeq', String(cseq));
		out.set('User-Agent', 'tapedeck');
		if (this.session && !out.get('session')) out.set('Session', this.session);
		if (this.#challenge && this.#credentials) {
			out.set('Authorization', authorizationFor(this.#challenge, this.#credentials, method, uri, ++this.#nonceCount));
		}
		const message: RtspRequest = request(method, uri, out, body);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#pending.delete(cseq);
				reject(new TapedeckError('io', `RTSP ${method} got no answer within ${this.#timeoutMs} ms`));
			}, this.#timeoutMs);
			this.#pending.set(cseq, { resolve, reject, timer });
			this.write(serializeMessage(message));
		});
	}

	#message(message: RtspMessage): void {
		if (message.kind === 'request') {
			// Servers may ping clients (GET_PARAMETER, OPTIONS); anything else is not for a player.
			const ok = message.method === 'GET_PARAMETER' || message.method === 'OPTIONS';
			const reply = response(ok ? 200 : 501);
			const cseq = message.headers.get('cseq');
			if (cseq !== undefined) reply.headers.set('CSeq', cseq);
			this.write(serializeMessage(reply));
			return;
		}
		const cseq = Number(message.headers.get('cseq'));
		const pending = this.#pending.get(cseq);
		if (!pending) return;
		this.#pending.delete(cseq);
		clearTimeout(pending.timer);
		const header = message.headers.get('session');
		if (header && !this.session) {
			this.session = sessionId(header);
			this.sessionHeader = header;
		}
		pending.resolve(message);
	}
}
