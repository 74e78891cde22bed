import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TapedeckError } from '../../src/core/errors.ts';
import { DEFAULT_VHOST, type StreamHub, type StreamKey, type StreamPublisher } from '../../src/core/stream-hub.ts';
import { RtpMediaSession, selectFormat } from './rtp-media-session.ts';
import { RtpTransports } from './rtp-transports.ts';
import { type DigestRealm, parseAuthorization } from './rtsp-auth.ts';
import { RtspHeaders, type RtspRequest, type RtspResponse, response, serializeMessage } from './rtsp-message.ts';
import { RtspReader } from './rtsp-reader.ts';
import { formatTransport, parseTransports, type TransportSpec } from './rtsp-transport.ts';
import { parseSdp, resolveControl, type SessionDescription } from './sdp.ts';
import { bindUdpPortPair, type PortRange } from './udp-port-pair.ts';

export type RtspServerSessionOptions = {
	readonly hub: StreamHub;
	/** Host the UDP RTP sockets bind to (the listener's). */
	readonly host: string;
	readonly rtpPorts: PortRange;
	readonly sessionTimeoutMs: number;
	/** App used when the path has one segment (`rtsp://host/live.sdp`). */
	readonly defaultApp: string;
	readonly realm: DigestRealm;
	/** Passwords to check a Digest answer against (Digest needs the password); Basic goes to the hub as is. */
	readonly digestPasswords: (key: StreamKey, user: string) => readonly string[];
	readonly allowBasic: boolean;
	readonly onClose: (session: RtspServerSession) => void;
};

const PUBLIC = 'OPTIONS, ANNOUNCE, SETUP, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER';

type State = 'init' | 'announced' | 'recording' | 'closed';

/**
 * One publisher connection to the RTSP listener (RFC 2326 §10 methods, record direction):
 * ANNOUNCE (SDP + auth) → SETUP per stream (interleaved TCP or UDP client_port) → RECORD (the
 * stream goes live on the hub) → TEARDOWN or disconnect or timeout (the stream ends).
 * Requests are handled one at a time in arrival order; media flows as soon as RECORD answers.
 */
export class RtspServerSession {
	readonly #socket: Socket;
	readonly #options: RtspServerSessionOptions;
	readonly #reader: RtspReader;
	readonly #transports: RtpTransports;
	readonly #id = randomBytes(8).toString('hex');
	#state: State = 'init';
	#queue: Promise<void> = Promise.resolve();
	#key: StreamKey | undefined;
	#baseUrl = '';
	#sdp: SessionDescription | undefined;
	#authorized = false;
	#publisher: StreamPublisher | undefined;
	#media: RtpMediaSession | undefined;
	#ending = false;
	#lastActivity = performance.now();
	#timer: NodeJS.Timeout | undefined;
	#ticks = 0;

	constructor(socket: Socket, options: RtspServerSessionOptions) {
		this.#socket = socket;
		this.#options = options;
		this.#transports = new RtpTransports((frame) => this.#write(frame));
		this.#transports.onActivity = () => {
			this.#lastActivity = performance.now();
		};
		// The stream is over once every stream said BYE, but the connection stays for the TEARDOWN that
		// follows: a publisher whose TEARDOWN meets a closed connection may wait on it instead of leaving.
		this.#transports.onBye = () => this.#endStream('publisher sent RTCP BYE');
		this.#reader = new RtspReader({
			message: (message) => {
				if (message.kind === 'request') this.#enqueue(message);
			},
			interleaved: (channel, data) => this.#transports.interleaved(channel, data),
		});
		socket.on('data', (chunk: Buffer) => {
			try {
				this.#reader.push(chunk);
			} catch (error) {
				this.#send(response(400));
				this.close(error instanceof Error ? error.message : String(error));
			}
		});
		socket.on('close', () => this.close('publisher disconnected'));
		socket.on('error', () => this.close('connection error'));
		this.#timer = setInterval(() => this.#tick(), 100);
	}

	get stats() {
		return {
			state: this.#state,
			key: this.#key,
			rtp: this.#media?.stats(),
			strangers: this.#transports.strangerPackets,
		};
	}

	/** Ends the session: the stream (if live) ends, sockets close. Idempotent. */
	close(reason: string): void {
		if (this.#state === 'closed') return;
		this.#state = 'closed';
		clearInterval(this.#timer);
		this.#endStream(reason);
		this.#socket.destroy();
		this.#options.onClose(this);
	}

	/**
	 * Ends the stream on the hub once the packets already sent are read (RtpTransports.settle), then what
	 * the media session still holds goes first; idempotent (the first reason stays).
	 */
	#endStream(reason: string): void {
		if (this.#ending) return;
		this.#ending = true;
		this.#transports.settle(() => {
			this.#media?.end();
			this.#media = undefined;
			this.#transports.close();
			this.#publisher?.end(reason);
			this.#publisher = undefined;
		});
	}

	#enqueue(request: RtspRequest): void {
		this.#lastActivity = performance.now();
		this.#queue = this.#queue.then(async () => {
			if (this.#state === 'closed') return;
			let reply: RtspResponse;
			try {
				reply = await this.#handle(request);
			} catch (error) {
				const status = error instanceof TapedeckError && error.code === 'conflict' ? 409 : 400;
				reply = response(status);
			}
			const cseq = request.headers.get('cseq');
			if (cseq !== undefined) reply.headers.set('CSeq', cseq);
			reply.headers.set('Server', 'tapedeck');
			if (this.#inSession() && !reply.headers.get('session')) {
				reply.headers.set('Session', `${this.#id};timeout=${Math.round(this.#options.sessionTimeoutMs / 1000)}`);
			}
			this.#send(reply);
			if (request.method === 'TEARDOWN' && reply.status === 200) this.close('publisher sent TEARDOWN');
		});
	}

	#inSession(): boolean {
		return this.#state === 'announced' || this.#state === 'recording';
	}

	async #handle(request: RtspRequest): Promise<RtspResponse> {
		switch (request.method) {
			case 'OPTIONS':
				return response(200, new RtspHeaders([['Public', PUBLIC]]));
			case 'ANNOUNCE':
				return this.#announce(request);
			case 'SETUP':
				return this.#setup(request);
			case 'RECORD':
				return this.#record();
			case 'TEARDOWN':
			case 'GET_PARAMETER':
			case 'SET_PARAMETER':
				return response(200);
			default:
				return response(405, new RtspHeaders([['Allow', PUBLIC]]));
		}
	}

	async #announce(request: RtspRequest): Promise<RtspResponse> {
		if (this.#state !== 'init') return response(455);
		const url = parseUrl(request.uri);
		const key = url && keyOf(url, this.#options.defaultApp);
		if (!url || !key) return response(404);
		const credentials: Record<string, string> = Object.fromEntries(url.searchParams);
		const presented = parseAuthorization(request.headers.get('authorization'));
		if (presented?.scheme === 'basic' && this.#options.allowBasic) {
			credentials.user = presented.user;
			credentials.password = presented.password;
		} else if (presented?.scheme === 'digest') {
			const password = this.#options
				.digestPasswords(key, presented.user)
				.find((candidate) => this.#options.realm.verify(presented, request.method, candidate));
			if (password !== undefined) {
				credentials.user = presented.user;
				credentials.password = password;
			}
		}
		const allowed = await this.#options.hub.authorize({
			key,
			protocol: 'rtsp',
			remoteAddress: this.#socket.remoteAddress ?? '',
			credentials,
		});
		if (!allowed) {
			const headers = new RtspHeaders();
			for (const challenge of this.#options.realm.challenges(this.#options.allowBasic)) {
				headers.append('WWW-Authenticate', challenge);
			}
			return response(401, headers);
		}
		const sdp = parseSdp(new TextDecoder().decode(request.body));
		if (!sdp.media.some((m) => selectFormat(m))) return response(415);
		this.#authorized = true;
		this.#key = key;
		this.#sdp = sdp;
		this.#baseUrl = request.headers.get('content-base') ?? request.uri.split('?')[0]!;
		this.#state = 'announced';
		return response(200);
	}

	async #setup(request: RtspRequest): Promise<RtspResponse> {
		const sdp = this.#sdp;
		if (this.#state !== 'announced' || !sdp) return response(455);
		const target = request.uri.split('?')[0]!;
		const mediaIndex = sdp.media.findIndex((m) => resolveControl(this.#baseUrl, m.control) === target);
		if (mediaIndex < 0) return response(404);
		const offers = parseTransports(request.headers.get('transport') ?? '');
		const offer = offers.find((t) => !t.multicast && (t.lower === 'tcp' || t.clientPort));
		if (!offer) return response(461);
		let reply: TransportSpec;
		if (offer.lower === 'tcp') {
			const channels = offer.interleaved ?? [mediaIndex * 2, mediaIndex * 2 + 1];
			this.#transports.add(mediaIndex, { kind: 'tcp', rtpChannel: channels[0], rtcpChannel: channels[1] });
			reply = { lower: 'tcp', profile: 'RTP/AVP/TCP', multicast: false, interleaved: channels, mode: 'record' };
		} else {
			const clientPort = offer.clientPort!;
			const pair = await bindUdpPortPair(this.#options.host, this.#options.rtpPorts);
			this.#transports.add(mediaIndex, {
				kind: 'udp',
				pair,
				peerHost: this.#socket.remoteAddress ?? '',
				peerRtpPort: clientPort[0],
				peerRtcpPort: clientPort[1],
			});
			reply = {
				lower: 'udp',
				profile: 'RTP/AVP',
				multicast: false,
				clientPort,
				serverPort: [pair.port, pair.port + 1],
				mode: 'record',
			};
		}
		return response(200, new RtspHeaders([['Transport', formatTransport(reply)]]));
	}

	async #record(): Promise<RtspResponse> {
		if (this.#state !== 'announced' || !this.#sdp || !this.#key) return response(455);
		if (!this.#authorized) return response(401);
		if (this.#transports.transports.size === 0) return response(455);
		this.#publisher = this.#options.hub.publish(this.#key, 'rtsp', this.#socket.remoteAddress);
		const media = this.#sdp.media.map((m, i) => (this.#transports.transports.has(i) ? m : { ...m, payloadTypes: [] }));
		this.#media = new RtpMediaSession(media, this.#publisher, {
			reorderCapacity: this.#transports.usesUdp ? 64 : 0,
		});
		this.#transports.attach(this.#media);
		this.#state = 'recording';
		return response(200);
	}

	#tick(): void {
		const now = performance.now();
		this.#media?.tick(now);
		if (++this.#ticks % 50 === 0) this.#transports.sendReceiverReports(now);
		if (now - this.#lastActivity > this.#options.sessionTimeoutMs) this.close('session timed out');
	}

	#send(message: RtspResponse): void {
		this.#write(serializeMessage(message));
	}

	#write(bytes: Uint8Array): void {
		if (!this.#socket.destroyed && this.#socket.writable) this.#socket.write(bytes);
	}
}

const parseUrl = (uri: string): URL | undefined => {
	try {
		return new URL(uri);
	} catch {
		return undefined;
	}
};

/** `/app/stream…` → default/app/stream…; a single segment goes under the default app. */
const keyOf = (url: URL, defaultApp: string): StreamKey | undefined => {
	const segments = url.pathname
		.split('/')
		.filter((s) => s !== '')
		.map((s) => decodeURIComponent(s));
	if (segments.length === 0) return undefined;
	if (segments.length === 1) return { vhost: DEFAULT_VHOST, app: defaultApp, stream: segments[0]! };
	return { vhost: DEFAULT_VHOST, app: segments[0]!, stream: segments.slice(1).join('/') };
};
