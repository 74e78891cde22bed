import type { RtpPacket } from './rtp-packet.ts';

/** Where packets leave the buffer, in sequence order. */
export interface ReorderOutput {
	/**
	 * `lostBefore` packets were given up on just before this one (0 when it follows its predecessor);
	 * `arrivalMs` is when it arrived.
	 */
	sequenced(packet: RtpPacket, lostBefore: number, arrivalMs: number): void;
}

export type ReorderStats = {
	received: number;
	/** Packets never received, given up on (sequence gaps). */
	lost: number;
	/** Packets that arrived after a gap and waited in the buffer for it to fill. */
	reordered: number;
	/** Packets that arrived after their place was given up on, or twice. */
	late: number;
	/** Sequence jumps too large to be loss: the sender restarted; the buffer resynchronised. */
	resyncs: number;
};

/** A jump this far (in either direction) is a new sender state, not loss or reordering (RFC 3550 §A.1 MAX_DROPOUT). */
const MAX_DROPOUT = 3000;

/**
 * A small jitter/reorder buffer on the 16-bit RTP sequence number: a ring of `capacity` slots.
 * In-order packets pass straight through; a packet after a gap waits until the gap fills, the ring
 * is full, or the oldest waiting packet is `maxDelayMs` old. Capacity 0 (TCP, where order is given)
 * passes everything through and only counts gaps.
 */
export class RtpReorderBuffer {
	readonly stats: ReorderStats = { received: 0, lost: 0, reordered: 0, late: 0, resyncs: 0 };
	readonly #output: ReorderOutput;
	readonly #capacity: number;
	readonly #maxDelayMs: number;
	readonly #slots: (RtpPacket | undefined)[];
	readonly #arrivals: Float64Array;
	/** Sequence number expected next; -1 before the first packet. */
	#next = -1;
	#waiting = 0;
	#lostRun = 0;

	constructor(output: ReorderOutput, capacity = 64, maxDelayMs = 200) {
		this.#output = output;
		this.#capacity = capacity;
		this.#maxDelayMs = maxDelayMs;
		this.#slots = new Array<RtpPacket | undefined>(capacity).fill(undefined);
		this.#arrivals = new Float64Array(capacity);
	}

	push(packet: RtpPacket, arrivalMs: number): void {
		this.stats.received++;
		if (this.#next < 0) this.#next = packet.sequence;
		let ahead = (packet.sequence - this.#next + 65536) % 65536;
		if (ahead >= 32768) ahead -= 65536;
		if (ahead > MAX_DROPOUT || ahead < -MAX_DROPOUT) {
			this.stats.resyncs++;
			this.flush();
			this.#next = packet.sequence;
			ahead = 0;
		}
		if (ahead < 0) {
			this.stats.late++;
			return;
		}
		if (ahead === 0) {
			this.#emit(packet, arrivalMs);
			this.#drainInOrder();
			return;
		}
		if (this.#capacity === 0) {
			this.#lostRun += ahead;
			this.stats.lost += ahead;
			this.#next = (this.#next + ahead) % 65536;
			this.#emit(packet, arrivalMs);
			return;
		}
		while (ahead >= this.#capacity) {
			this.#skipOne();
			ahead = (packet.sequence - this.#next + 65536) % 65536;
		}
		if (ahead === 0) {
			this.#emit(packet, arrivalMs);
			this.#drainInOrder();
			return;
		}
		const slot = packet.sequence % this.#capacity;
		if (this.#slots[slot] !== undefined) {
			this.stats.late++;
			return;
		}
		this.#slots[slot] = packet;
		this.#arrivals[slot] = arrivalMs;
		this.#waiting++;
		this.stats.reordered++;
	}

	/** Gives up on gaps whose next waiting packet has waited `maxDelayMs`; call on a timer. */
	expire(nowMs: number): void {
		while (this.#waiting > 0) {
			const oldest = this.#oldestArrival();
			if (nowMs - oldest < this.#maxDelayMs) return;
			this.#skipToNextWaiting();
		}
	}

	/** Releases every waiting packet, gaps counted as lost (end of stream, resync). */
	flush(): void {
		while (this.#waiting > 0) this.#skipToNextWaiting();
	}

	#emit(packet: RtpPacket, arrivalMs: number): void {
		const lost = this.#lostRun;
		this.#lostRun = 0;
		this.#next = (packet.sequence + 1) % 65536;
		this.#output.sequenced(packet, lost, arrivalMs);
	}

	#drainInOrder(): void {
		while (this.#waiting > 0) {
			const slot = this.#next % this.#capacity;
			const packet = this.#slots[slot];
			if (packet === undefined || packet.sequence !== this.#next) return;
			this.#slots[slot] = undefined;
			this.#waiting--;
			this.#emit(packet, this.#arrivals[slot]!);
		}
	}

	/** Moves past the expected sequence number: emits it if it is waiting, else counts it lost. */
	#skipOne(): void {
		const slot = this.#next % this.#capacity;
		const packet = this.#slots[slot];
		if (packet !== undefined && packet.sequence === this.#next) {
			this.#slots[slot] = undefined;
			this.#waiting--;
			this.#emit(packet, this.#arrivals[slot]!);
			this.#drainInOrder();
			return;
		}
		this.#lostRun++;
		this.stats.lost++;
		this.#next = (this.#next + 1) % 65536;
	}

	#skipToNextWaiting(): void {
		const before = this.#waiting;
		while (this.#waiting === before) this.#skipOne();
	}

	#oldestArrival(): number {
		let oldest = Number.POSITIVE_INFINITY;
		for (let i = 0; i < this.#capacity; i++) {
			if (this.#slots[i] !== undefined) oldest = Math.min(oldest, this.#arrivals[i]!);
		}
		return oldest;
	}
}
