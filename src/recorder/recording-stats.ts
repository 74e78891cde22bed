/** Seconds the rolling bitrate averages over. */
const WINDOW_S = 5;

/**
 * Live counters of one recording: what arrived, what was lost, and a rolling input bitrate over the
 * last few whole seconds (one bucket per second in a fixed ring, so counting a packet is two additions).
 */
export class RecordingStats {
	packets = 0;
	bytes = 0;
	/** Packets lost because the recording fell behind the stream (subscription overflow). */
	droppedPackets = 0;
	/** Times the recording went into `error` (a full disk, a write queue past its bound, …) and retried. */
	failures = 0;
	/** Wall-clock ms of the last packet (0 before the first), for liveness. */
	lastPacketMs = 0;
	readonly #buckets = new Float64Array(WINDOW_S + 1);
	#bucketSecond = 0;
	readonly #now: () => number;

	constructor(now: () => number = Date.now) {
		this.#now = now;
	}

	count(bytes: number): void {
		const nowMs = this.#now();
		this.#advance(Math.floor(nowMs / 1000));
		this.#buckets[this.#bucketSecond % this.#buckets.length]! += bytes;
		this.packets++;
		this.bytes += bytes;
		this.lastPacketMs = nowMs;
	}

	/** Kilobits per second over the last complete seconds (0 when nothing arrived lately). */
	get bitrateKbps(): number {
		const second = Math.floor(this.#now() / 1000);
		this.#advance(second);
		let bytes = 0;
		for (let s = second - WINDOW_S; s < second; s++) bytes += this.#buckets[s % this.#buckets.length]!;
		return Math.round((bytes * 8) / 1000 / WINDOW_S);
	}

	/** Moves the ring to `second`, zeroing the buckets of the seconds skipped. */
	#advance(second: number): void {
		if (second <= this.#bucketSecond) return;
		const size = this.#buckets.length;
		const from = Math.max(this.#bucketSecond + 1, second - size + 1);
		for (let s = from; s <= second; s++) this.#buckets[s % size] = 0;
		this.#bucketSecond = second;
	}
}
