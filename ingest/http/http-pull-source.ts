/**
 * Pulls an MPEG-TS or FLV stream with HTTP GET (a live `.ts`/`.flv` URL, http or https) and keeps
 * pulling: when the response ends or fails, the session ends and the source reconnects with an
 * exponential back-off (0.5 s doubling to 10 s, back to 0.5 s after a session that delivered media).
 * Redirects are followed only as far as the network policy allows (none by default), never to
 * another scheme, and only to allowed destinations.
 */
import { TapedeckError } from '../../src/core/errors.ts';
import { type Logger, silentLogger } from '../../src/core/logger.ts';
import type { Demuxer } from '../../src/core/media-receiver.ts';
import { defaultNetworkPolicy, followRedirect, type NetworkPolicy } from '../../src/core/network-policy.ts';
import type { IngestSource, StreamPublisher } from '../../src/core/stream-hub.ts';
import { createDemuxer, sniffDemuxerKind } from '../demux/create-demuxer.ts';
import { contentTypeKind } from './content-type-kind.ts';

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;
const SNIFF_BYTES = 188 * 3;

export class HttpPullSource implements IngestSource {
	readonly description: string;
	readonly #url: URL;
	readonly #target: StreamPublisher;
	readonly #logger: Logger;
	readonly #network: NetworkPolicy;
	#abort: AbortController | undefined;
	#loop: Promise<void> | undefined;
	#wake: (() => void) | undefined;
	/** Sessions started (connections that delivered a recognisable stream). */
	sessions = 0;

	constructor(
		url: string,
		target: StreamPublisher,
		logger: Logger = silentLogger,
		network: NetworkPolicy = defaultNetworkPolicy('127.0.0.1'),
	) {
		let parsed: URL;
		try {
			parsed = new URL(url);
		} catch {
			throw new TapedeckError('invalid_argument', `input_stream_url must be an http(s):// URL, got "${url}"`);
		}
		if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
			throw new TapedeckError('invalid_argument', `input_stream_url must be an http(s):// URL, got "${url}"`);
		}
		this.#url = parsed;
		this.#target = target;
		this.#logger = logger;
		this.#network = network;
		this.description = `GET ${parsed.href}`;
	}

	async start(): Promise<void> {
		if (this.#loop) return;
		const abort = new AbortController();
		this.#abort = abort;
		this.#loop = this.#run(abort.signal);
	}

	async stop(): Promise<void> {
		this.#abort?.abort();
		this.#wake?.();
		await this.#loop;
		this.#loop = undefined;
	}

	async #run(signal: AbortSignal): Promise<void> {
		let retryMs = FIRST_RETRY_MS;
		while (!signal.aborted) {
			const delivered = await this.#session(signal).catch((error: unknown) => {
				if (signal.aborted) return false;
				const reason = (error as Error).message;
				this.#logger.warn({ event: 'input.failed', input: this.description, reason }, `${this.description}: ${reason}`);
				return false;
			});
			if (signal.aborted) break;
			retryMs = delivered ? FIRST_RETRY_MS : Math.min(retryMs * 2, MAX_RETRY_MS);
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, retryMs);
				this.#wake = () => {
					clearTimeout(timer);
					resolve();
				};
			});
		}
	}

	/** The GET, through the redirects the policy allows (RFC 9110 §15.4). */
	async #get(signal: AbortSignal): Promise<Response> {
		let url = this.#url;
		for (let hops = 0; ; hops++) {
			const response = await fetch(url, { signal, redirect: 'manual' });
			if (response.status < 300 || response.status > 399 || response.status === 304) return response;
			await response.body?.cancel();
			url = await followRedirect(this.#network, url, response.headers.get('location'), hops);
			this.#logger.info(
				{ event: 'input.redirected', input: this.description, url: url.href },
				`${this.description}: redirected to ${url.href}`,
			);
		}
	}

	/** One GET; resolves true when it delivered media. */
	async #session(signal: AbortSignal): Promise<boolean> {
		const response = await this.#get(signal);
		if (!response.ok || !response.body) {
			throw new Error(`HTTP ${response.status} ${response.statusText}`);
		}
		const hint = contentTypeKind(response.headers.get('content-type'));
		let demuxer: Demuxer | undefined;
		const head: Uint8Array[] = [];
		let headBytes = 0;
		const open = (): Demuxer | undefined => {
			const bytes = Buffer.concat(head);
			const kind = sniffDemuxerKind(bytes) ?? hint;
			if (!kind) throw new Error('the response is neither MPEG-TS nor FLV');
			this.sessions++;
			const created = createDemuxer(kind, this.#target);
			created.push(bytes);
			return created;
		};
		let reason = 'response ended';
		try {
			for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
				if (demuxer) {
					demuxer.push(chunk);
					continue;
				}
				head.push(chunk);
				headBytes += chunk.length;
				if (headBytes >= SNIFF_BYTES) demuxer = open();
			}
			if (!demuxer && headBytes > 0) demuxer = open();
		} catch (error) {
			reason = signal.aborted ? 'input stopped' : `connection lost: ${(error as Error).message}`;
		} finally {
			if (demuxer) {
				demuxer.end();
				this.#target.end(reason);
			}
		}
		return demuxer !== undefined && demuxer.stats.packets > 0;
	}
}
