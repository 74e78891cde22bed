/**
 * `INPUT_TYPE_RTMP_URL`: plays `rtmp://host[:port]/app/stream` from a remote server into a
 * `StreamPublisher`, and keeps playing: when a connection ends the stream's session ends, and
 * the puller reconnects after an exponential back-off (0.5 s doubling to 30 s, back to 0.5 s
 * after a connection that delivered media). Each connection is a new session of the target.
 */
import type { Logger } from '../../src/core/logger.ts';
import type { IngestSource, StreamPublisher } from '../../src/core/stream-hub.ts';
import { type RtmpPlayOptions, RtmpPlaySession } from './rtmp-play-session.ts';
import { parseRtmpUrl, type RtmpUrl } from './rtmp-url.ts';

export type RtmpPullerOptions = RtmpPlayOptions & {
	readonly firstRetryMs?: number;
	readonly maxRetryMs?: number;
	readonly logger?: Logger;
};

export class RtmpPuller implements IngestSource {
	readonly description: string;
	private readonly url: RtmpUrl;
	private session: RtmpPlaySession | undefined;
	private loop: Promise<void> | undefined;
	private stopped = false;
	private wake: (() => void) | undefined;
	/** Connections that delivered media. */
	sessions = 0;
	/** Connection attempts, successful or not. */
	attempts = 0;

	constructor(
		url: string,
		private readonly target: StreamPublisher,
		private readonly options: RtmpPullerOptions = {},
	) {
		this.url = parseRtmpUrl(url);
		this.description = `RTMP pull ${url}`;
	}

	async start(): Promise<void> {
		if (this.loop) return;
		this.stopped = false;
		this.loop = this.run();
	}

	async stop(): Promise<void> {
		this.stopped = true;
		this.session?.close('input stopped');
		this.wake?.();
		await this.loop;
		this.loop = undefined;
		this.target.end('input stopped');
	}

	private async run(): Promise<void> {
		const first = this.options.firstRetryMs ?? 500;
		const max = this.options.maxRetryMs ?? 30_000;
		let retryMs = first;
		while (!this.stopped) {
			this.attempts++;
			const session = new RtmpPlaySession(this.url, this.target, this.options);
			this.session = session;
			const outcome = await session.done;
			this.session = undefined;
			if (outcome.delivered) {
				this.sessions++;
				this.target.end(outcome.reason);
			}
			if (this.stopped) break;
			this.options.logger?.warn(
				{ event: 'input.failed', input: this.description, reason: outcome.reason },
				`${this.description}: ${outcome.reason}`,
			);
			const waitMs = outcome.delivered ? first : retryMs;
			retryMs = Math.min(waitMs * 2, max);
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, waitMs);
				this.wake = () => {
					clearTimeout(timer);
					resolve();
				};
			});
			this.wake = undefined;
		}
	}
}
