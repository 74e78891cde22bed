/** Seconds the current bitrate averages over: long enough to smooth a GOP, short enough to show a stall. */
export const BITRATE_WINDOW_S = 5;

/** What the sampler reads of a stream: its byte counter, which only grows while the stream object lives. */
export type ByteCounted = { readonly stats: { readonly bytes: number } };

/** One stream's last samples: a fixed ring of (time, bytes) pairs, one a second. */
type Samples = {
	readonly times: Float64Array;
	readonly bytes: Float64Array;
	next: number;
	count: number;
	seen: number;
};

const SLOTS = BITRATE_WINDOW_S + 1;

/**
 * The current input bitrate of each live stream: a one-second timer samples every stream's byte
 * counter, and a reading divides the bytes added since the oldest sample in the window by the time
 * elapsed. Streams that stopped being sampled (ended) are forgotten at the next sample, so the
 * memory follows the live streams.
 */
export class StreamBitrate {
	readonly #samples = new Map<ByteCounted, Samples>();
	readonly #now: () => number;
	#round = 0;

	/** `now`: a monotonic clock in ms (injectable for tests). */
	constructor(now: () => number = () => performance.now()) {
		this.#now = now;
	}

	/** Samples every stream of `live`; forgets the ones no longer among them. */
	sample(live: Iterable<ByteCounted>): void {
		const now = this.#now();
		const round = ++this.#round;
		for (const stream of live) {
			let samples = this.#samples.get(stream);
			if (!samples) {
				samples = { times: new Float64Array(SLOTS), bytes: new Float64Array(SLOTS), next: 0, count: 0, seen: 0 };
				this.#samples.set(stream, samples);
			}
			samples.times[samples.next] = now;
			samples.bytes[samples.next] = stream.stats.bytes;
			samples.next = (samples.next + 1) % SLOTS;
			samples.count = Math.min(samples.count + 1, SLOTS);
			samples.seen = round;
		}
		for (const [stream, samples] of this.#samples) if (samples.seen !== round) this.#samples.delete(stream);
	}

	/** Bits per second over the window up to now; 0 until the stream has been sampled for a second. */
	bitsPerSecond(stream: ByteCounted): number {
		const samples = this.#samples.get(stream);
		if (!samples || samples.count === 0) return 0;
		const oldest = (samples.next - samples.count + SLOTS) % SLOTS;
		const elapsedMs = this.#now() - samples.times[oldest]!;
		if (elapsedMs < 1000) return 0;
		return ((stream.stats.bytes - samples.bytes[oldest]!) * 8 * 1000) / elapsedMs;
	}

	/** Streams being followed now. */
	get size(): number {
		return this.#samples.size;
	}
}
