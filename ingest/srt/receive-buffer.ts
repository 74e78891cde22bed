/**
 * The receiver's ring of packets keyed by sequence offset from the delivery head (libsrt
 * `CRcvBuffer`). Slots between the head and the highest sequence received are either a payload,
 * empty (lost so far: the loss list is read straight from the ring), or `ABANDONED` (dropped on the
 * sender's request or undecryptable: never delivered, never reported lost again).
 */
import type { LossRange } from './loss-list.ts';
import { seqAdd, seqOffset } from './sequence.ts';

export const ABANDONED: Uint8Array = new Uint8Array(0);

export type InsertResult = 'stored' | 'duplicate' | 'belated' | 'overflow';

export class ReceiveBuffer {
	readonly capacity: number;
	readonly #payloads: (Uint8Array | undefined)[];
	/** Delivery time of each stored packet (µs, local clock). */
	readonly #times: Float64Array;
	#head = 0;
	#headSeq: number;
	/** Slots from the head up to and including the highest sequence received. */
	#span = 0;
	/** Slots from the head that are filled or abandoned without a gap: the ACK point is head + contiguous. */
	#contiguous = 0;
	#latestTime = 0;

	constructor(initialSeq: number, capacity: number) {
		this.capacity = capacity;
		this.#payloads = new Array<Uint8Array | undefined>(capacity).fill(undefined);
		this.#times = new Float64Array(capacity);
		this.#headSeq = initialSeq;
	}

	/** Sequence of the next packet to deliver. */
	get headSeq(): number {
		return this.#headSeq;
	}

	/** First sequence not received contiguously: what a full ACK reports. */
	get ackSeq(): number {
		return seqAdd(this.#headSeq, this.#contiguous);
	}

	/** Sequence one past the highest received: where the next new packet is expected. */
	get nextSeq(): number {
		return seqAdd(this.#headSeq, this.#span);
	}

	get span(): number {
		return this.#span;
	}

	get isEmpty(): boolean {
		return this.#span === 0;
	}

	/** Time covered by the buffered packets (µs): newest delivery time − head delivery time. */
	get timespan(): number {
		const first = this.#firstFilled();
		return first < 0 ? 0 : this.#latestTime - (this.#times[this.#slot(first)] ?? 0);
	}

	insert(seq: number, payload: Uint8Array, time: number): InsertResult {
		const offset = seqOffset(this.#headSeq, seq);
		if (offset < 0) return 'belated';
		if (offset >= this.capacity) return 'overflow';
		const slot = this.#slot(offset);
		if (offset < this.#span && this.#payloads[slot] !== undefined) return 'duplicate';
		this.#payloads[slot] = payload;
		this.#times[slot] = time;
		if (offset >= this.#span) {
			this.#span = offset + 1;
			this.#latestTime = time;
		}
		if (offset === this.#contiguous) this.#extendContiguous();
		return 'stored';
	}

	/** Marks the range as abandoned (DROPREQ, undecryptable packet); returns how many slots were still missing. */
	abandon(first: number, last: number): number {
		const from = Math.max(0, seqOffset(this.#headSeq, first));
		const to = Math.min(this.capacity - 1, seqOffset(this.#headSeq, last));
		if (to < from) return 0;
		let missing = 0;
		for (let offset = from; offset <= to; offset++) {
			const slot = this.#slot(offset);
			if (offset < this.#span && this.#payloads[slot] !== undefined) continue;
			this.#payloads[slot] = ABANDONED;
			missing++;
		}
		if (to >= this.#span) this.#span = to + 1;
		this.#extendContiguous();
		return missing;
	}

	/** The head payload (`ABANDONED` or undefined when missing) and its delivery time. */
	get head(): Uint8Array | undefined {
		return this.#span === 0 ? undefined : this.#payloads[this.#head];
	}

	get headTime(): number {
		return this.#times[this.#head] ?? 0;
	}

	/** Offset from the head of the first stored payload after a gap, or −1. */
	firstAfterGap(): number {
		for (let offset = this.#contiguous; offset < this.#span; offset++) {
			const p = this.#payloads[this.#slot(offset)];
			if (p !== undefined && p !== ABANDONED) return offset;
		}
		return -1;
	}

	timeAt(offset: number): number {
		return this.#times[this.#slot(offset)] ?? 0;
	}

	/** Removes the head slot (delivered, abandoned or given up); returns whether it held nothing. */
	shift(): boolean {
		const missing = this.#payloads[this.#head] === undefined;
		this.#payloads[this.#head] = undefined;
		this.#head = this.#head + 1 === this.capacity ? 0 : this.#head + 1;
		this.#headSeq = seqAdd(this.#headSeq, 1);
		this.#span--;
		if (this.#contiguous > 0) this.#contiguous--;
		else this.#extendContiguous();
		return missing;
	}

	/** Moves an empty buffer's head to `seq` (the sender jumped further ahead than the ring holds). */
	restartAt(seq: number): void {
		if (this.#span !== 0) return;
		this.#headSeq = seq;
		this.#contiguous = 0;
	}

	/** Missing sequences between the ACK point and the highest received, as ranges (at most `max`). */
	lossRanges(max: number): LossRange[] {
		const ranges: LossRange[] = [];
		let start = -1;
		for (let offset = this.#contiguous; offset <= this.#span; offset++) {
			const missing = offset < this.#span && this.#payloads[this.#slot(offset)] === undefined;
			if (missing && start < 0) start = offset;
			else if (!missing && start >= 0) {
				ranges.push({ first: seqAdd(this.#headSeq, start), last: seqAdd(this.#headSeq, offset - 1) });
				start = -1;
				if (ranges.length === max) break;
			}
		}
		return ranges;
	}

	#slot(offset: number): number {
		const i = this.#head + offset;
		return i >= this.capacity ? i - this.capacity : i;
	}

	#firstFilled(): number {
		for (let offset = 0; offset < this.#span; offset++) {
			const p = this.#payloads[this.#slot(offset)];
			if (p !== undefined && p !== ABANDONED) return offset;
		}
		return -1;
	}

	#extendContiguous(): void {
		while (this.#contiguous < this.#span && this.#payloads[this.#slot(this.#contiguous)] !== undefined)
			this.#contiguous++;
	}
}
