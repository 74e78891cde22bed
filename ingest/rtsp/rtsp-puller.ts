import { TapedeckError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { IngestSource, StreamPublisher } from '../../src/core/stream-hub.ts';
import { RtpMediaSession, type RtpSessionStats, selectFormat } from './rtp-media-session.ts';
import { RtpTransports } from './rtp-transports.ts';
import type { Credentials } from './rtsp-auth.ts';
import { RtspClientConnection } from './rtsp-client-connection.ts';
import { RtspHeaders, type RtspResponse, sessionTimeout } from './rtsp-message.ts';
import { formatTransport, parseTransports } from './rtsp-transport.ts';
import { contentBase, parseSdp, resolveControl, type SdpMedia } from './sdp.ts';
import { bindUdpPortPair, type PortRange } from './udp-port-pair.ts';

export type RtspPullerOptions = {
	readonly url: string;
	readonly target: StreamPublisher;
	/** `tcp` (interleaved), `udp`, or `auto`: TCP first, UDP when the server refuses it (461). Default auto. */
	readonly transport?: 'tcp' | 'udp' | 'auto';
	/** Credentials; default the URL's user:password. */
	readonly credentials?: Credentials;
	/** Local address and ports for UDP RTP/RTCP. Default 0.0.0.0, 31000–31999. */
	readonly udpHost?: string;
	readonly rtpPorts?: PortRange;
	/** Each request's answer, and the connection, within this. Default 10 s. */
	readonly requestTimeoutMs?: number;
	/** No media for this long after PLAY is a dead session. Default 10 s. */
	readonly dataTimeoutMs?: number;
	/** Reconnect back-off: first wait and cap. Default 1 s doubling to 30 s. */
	readonly retryMs?: { readonly initial: number; readonly max: number };
	readonly logger?: Logger;
};

export type RtspPullerState = 'idle' | 'connecting' | 'playing' | 'waiting' | 'stopped';

/**
 * Pulls a stream from an RTSP server or camera (`INPUT_TYPE_RTSP_URL`): OPTIONS, DESCRIBE, SETUP
 * each stream tapedeck can take, PLAY; Basic/Digest on demand; keep-alive within the session
 * timeout (GET_PARAMETER when the server lists it, else OPTIONS); on any failure the session ends
 * and the puller reconnects with exponential back-off until `stop()`, which sends TEARDOWN.
 * Each connection is a new session of the target stream (announce … end).
 */
export class RtspPuller implements IngestSource {
	readonly #options: RtspPullerOptions;
	readonly #url: URL;
	readonly #credentials: Credentials | undefined;
	#state: RtspPullerState = 'idle';
	#loop: Promise<void> | undefined;
	#connection: RtspClientConnection | undefined;
	#media: RtpMediaSession | undefined;
	#wake: (() => void) | undefined;
	#played = false;
	/** Connections made, and the last failure. */
	sessions = 0;
	/** Keep-alive requests sent (GET_PARAMETER or OPTIONS). */
	keepAlives = 0;
	lastError: string | undefined;

	constructor(options: RtspPullerOptions) {
		let url: URL;
		try {
			url = new URL(options.url);
		} catch {
			throw new TapedeckError(
				'invalid_argument',
				`RTSP URL must be rtsp://host[:port]/path, got ${JSON.stringify(options.url)}`,
			);
		}
		if (url.protocol !== 'rtsp:') {
			throw new TapedeckError(
				'invalid_argument',
				`RTSP URL must start with rtsp://, got ${JSON.stringify(options.url)}`,
			);
		}
		this.#options = options;
		this.#url = url;
		this.#credentials =
			options.credentials ??
			(url.username
				? { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
				: undefined);
	}

	get description(): string {
		return `RTSP pull from rtsp://${this.#url.host}${this.#url.pathname}`;
	}

	get state(): RtspPullerState {
		return this.#state;
	}

	/** The current session's RTP statistics. */
	get stats(): RtpSessionStats | undefined {
		return this.#media?.stats();
	}

	async start(): Promise<void> {
		if (this.#loop) return;
		this.#state = 'connecting';
		this.#loop = this.#run();
	}

	async stop(): Promise<void> {
		if (this.#state === 'stopped') return;
		this.#state = 'stopped';
		this.#wake?.();
		const connection = this.#connection;
		if (connection?.session) {
			await connection.request('TEARDOWN', this.#requestUrl()).catch(() => undefined);
		}
		connection?.close('puller stopped');
		await this.#loop;
	}

	async #run(): Promise<void> {
		const retry = this.#options.retryMs ?? { initial: 1000, max: 30_000 };
		let wait = retry.initial;
		while (!this.#stopped()) {
			this.#state = 'connecting';
			this.#played = false;
			await this.#session().catch((error: unknown) => {
				this.lastError = error instanceof Error ? error.message : String(error);
				const reason = this.lastError;
				this.#options.logger?.warn(
					{ event: 'input.failed', input: this.description, reason },
					`${this.description}: ${reason}`,
				);
			});
			if (this.#stopped()) break;
			// A session that played resets the back-off: the next failure is a new outage.
			wait = this.#played ? retry.initial : Math.min(wait * 2, retry.max);
			this.#state = 'waiting';
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, wait);
				this.#wake = () => {
					clearTimeout(timer);
					resolve();
				};
			});
		}
	}

	/** One connection from OPTIONS to its end: resolves when stopped, rejects on any failure. */
	async #session(): Promise<void> {
		const timeoutMs = this.#options.requestTimeoutMs ?? 10_000;
		const connection = await RtspClientConnection.open(
			this.#url.hostname,
			Number(this.#url.port || 554),
			this.#credentials,
			timeoutMs,
		);
		this.#connection = connection;
		this.sessions++;
		const transports = new RtpTransports((frame) => connection.write(frame));
		connection.onInterleaved = (channel, data) => transports.interleaved(channel, data);
		let timer: NodeJS.Timeout | undefined;
		let played = false;
		try {
			const url = this.#requestUrl();
			const options = await connection.request('OPTIONS', url);
			const pingMethod = /GET_PARAMETER/i.test(options.headers.get('public') ?? '') ? 'GET_PARAMETER' : 'OPTIONS';
			const described = expectOk(
				await connection.request('DESCRIBE', url, new RtspHeaders([['Accept', 'application/sdp']])),
				'DESCRIBE',
			);
			const sdp = parseSdp(new TextDecoder().decode(described.body));
			const base = contentBase(url, described.headers, sdp);
			const setUp = await this.#setupAll(connection, transports, sdp.media, base);
			const media = new RtpMediaSession(setUp, this.#options.target, {
				reorderCapacity: transports.usesUdp ? 64 : 0,
			});
			for (const reason of media.skipped)
				this.#options.logger?.warn(
					{ event: 'media.warning', input: this.description, reason },
					`${this.description}: ${reason}`,
				);
			this.#media = media;
			transports.attach(media);
			// Aggregate control: PLAY goes to the session-level control URL when the SDP names one.
			const aggregate = sdp.control && sdp.control !== '*' ? resolveControl(base, sdp.control) : url;
			const play = expectOk(
				await connection.request('PLAY', aggregate, new RtspHeaders([['Range', 'npt=0.000-']])),
				'PLAY',
			);
			applyRtpInfo(media, setUp, base, play.headers.get('rtp-info'));
			played = true;
			this.#played = true;
			this.#state = 'playing';
			await new Promise<void>((resolve, reject) => {
				const dataTimeoutMs = this.#options.dataTimeoutMs ?? 10_000;
				const pingEveryMs = Math.min(
					30_000,
					Math.max(1000, ((sessionTimeout(connection.sessionHeader) ?? 60) * 1000) / 2),
				);
				let lastData = performance.now();
				let lastPing = performance.now();
				let ticks = 0;
				transports.onActivity = () => {
					lastData = performance.now();
				};
				transports.onBye = () => reject(new TapedeckError('io', 'server sent RTCP BYE'));
				connection.onClose = (reason) => (this.#stopped() ? resolve() : reject(new TapedeckError('io', reason)));
				timer = setInterval(() => {
					const now = performance.now();
					media.tick(now);
					if (++ticks % 50 === 0) transports.sendReceiverReports(now);
					if (now - lastData > dataTimeoutMs) reject(new TapedeckError('io', `no media for ${dataTimeoutMs} ms`));
					if (now - lastPing > pingEveryMs) {
						lastPing = now;
						this.keepAlives++;
						connection.request(pingMethod, url).catch((error: Error) => reject(error));
					}
				}, 100);
			});
		} finally {
			clearInterval(timer);
			this.#media?.end();
			transports.close();
			connection.close('session over');
			if (played) this.#options.target.end(this.#stopped() ? 'puller stopped' : 'source disconnected');
		}
	}

	/** SETUP every media line tapedeck can take; returns the media list with the others disabled. */
	async #setupAll(
		connection: RtspClientConnection,
		transports: RtpTransports,
		media: readonly SdpMedia[],
		base: string,
	): Promise<SdpMedia[]> {
		let lower: 'tcp' | 'udp' = this.#options.transport === 'udp' ? 'udp' : 'tcp';
		const result: SdpMedia[] = [];
		for (const [index, m] of media.entries()) {
			if (!selectFormat(m)) {
				result.push({ ...m, payloadTypes: [] });
				continue;
			}
			const control = resolveControl(base, m.control);
			let reply = await this.#setup(connection, transports, index, control, lower);
			if (reply.status === 461 && lower === 'tcp' && (this.#options.transport ?? 'auto') === 'auto') {
				lower = 'udp';
				reply = await this.#setup(connection, transports, index, control, lower);
			}
			expectOk(reply, 'SETUP');
			result.push(m);
		}
		if (transports.transports.size === 0) {
			throw new TapedeckError('unsupported', 'the server offers no stream tapedeck can take (H.264, H.265, AAC, MP2T)');
		}
		return result;
	}

	async #setup(
		connection: RtspClientConnection,
		transports: RtpTransports,
		index: number,
		control: string,
		lower: 'tcp' | 'udp',
	): Promise<RtspResponse> {
		if (lower === 'tcp') {
			const channels: [number, number] = [index * 2, index * 2 + 1];
			const offer = formatTransport({ lower, profile: 'RTP/AVP/TCP', multicast: false, interleaved: channels });
			const reply = await connection.request('SETUP', control, new RtspHeaders([['Transport', offer]]));
			if (reply.status === 200) {
				const answer = parseTransports(reply.headers.get('transport') ?? '')[0];
				const [rtp, rtcp] = answer?.interleaved ?? channels;
				transports.add(index, { kind: 'tcp', rtpChannel: rtp, rtcpChannel: rtcp });
			}
			return reply;
		}
		const pair = await bindUdpPortPair(
			this.#options.udpHost ?? '0.0.0.0',
			this.#options.rtpPorts ?? { min: 31_000, max: 31_999 },
		);
		const offer = formatTransport({
			lower,
			profile: 'RTP/AVP',
			multicast: false,
			clientPort: [pair.port, pair.port + 1],
		});
		const reply = await connection.request('SETUP', control, new RtspHeaders([['Transport', offer]]));
		const answer = parseTransports(reply.headers.get('transport') ?? '')[0];
		if (reply.status !== 200 || !answer?.serverPort) {
			pair.rtp.close();
			pair.rtcp.close();
			return reply.status === 200 ? { ...reply, status: 461 } : reply;
		}
		transports.add(index, {
			kind: 'udp',
			pair,
			peerHost: connection.remoteAddress,
			peerRtpPort: answer.serverPort[0],
			peerRtcpPort: answer.serverPort[1],
		});
		return reply;
	}

	#stopped(): boolean {
		return this.#state === 'stopped';
	}

	/** The URL as sent in requests: without credentials. */
	#requestUrl(): string {
		const url = new URL(this.#url.href);
		url.username = '';
		url.password = '';
		return url.href;
	}
}

const expectOk = (reply: RtspResponse, method: string): RtspResponse => {
	if (reply.status === 200) return reply;
	const hint = reply.status === 401 ? ' (credentials missing or refused)' : '';
	throw new TapedeckError('io', `RTSP ${method} answered ${reply.status} ${reply.reason}${hint}`);
};

/** `RTP-Info: url=…;seq=…;rtptime=…, url=…` (RFC 2326 §12.33) → each media line's rtptime. */
const applyRtpInfo = (
	media: RtpMediaSession,
	lines: readonly SdpMedia[],
	base: string,
	header: string | undefined,
): void => {
	if (!header) return;
	const controls = lines.map((m) => resolveControl(base, m.control));
	for (const entry of header.split(',')) {
		const fields = new Map(
			entry.split(';').map((part) => {
				const eq = part.indexOf('=');
				return [part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim()] as const;
			}),
		);
		const url = fields.get('url');
		const rtptime = Number(fields.get('rtptime'));
		if (!url || !Number.isInteger(rtptime)) continue;
		const index = controls.findIndex((c) => c === url || c.endsWith(url) || url.endsWith(c));
		if (index >= 0) media.setRtpInfo(index, rtptime);
	}
};
