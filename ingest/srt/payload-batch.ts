/**
 * Delivered SRT payloads crossing from the SRT thread to the main thread, many per message: one
 * buffer of entries `endpoint (u32) · socket id (u32) · length (u32) · payload`. The buffers are
 * transferred, never copied, and come back (`recycle`) once read, so in the steady state neither
 * thread allocates per payload, and the main thread's heap sees no datagram at all.
 */

const ENTRY_HEADER = 12;
export const BATCH_BYTES = 256 * 1024;
/** Spare buffers kept for reuse; more than that (after a stall of the main thread) are left to the GC. */
const MAX_SPARE = 8;
/**
 * Bytes handed over and not yet returned, at most: a main thread that stays behind its input (an
 * overloaded host) must not make the SRT thread queue without end until the process runs out of memory.
 * 64 MiB is seconds of the heaviest load we measure (50 × 6 Mb/s ≈ 37 MB/s).
 */
export const MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;

/** SRT-thread side: fills a buffer, hands it over, reuses returned ones. */
export class PayloadBatchWriter {
	readonly #maxInFlight: number;
	readonly #spare: ArrayBuffer[] = [];
	/** Bytes of the buffers handed over and not yet recycled. */
	#inFlight = 0;
	#buffer: ArrayBuffer | undefined;
	#bytes: Uint8Array = new Uint8Array(0);
	#view: DataView = new DataView(new ArrayBuffer(0));
	#length = 0;

	constructor(maxInFlightBytes = MAX_IN_FLIGHT_BYTES) {
		this.#maxInFlight = maxInFlightBytes;
	}

	get isEmpty(): boolean {
		return this.#length === 0;
	}

	/**
	 * Appends one payload; `hand` receives the full buffer first when this one does not fit. Returns
	 * false, storing nothing, while the main thread holds `maxInFlightBytes` already: the caller counts
	 * the payload as dropped.
	 */
	append(
		endpoint: number,
		socketId: number,
		payload: Uint8Array,
		hand: (buffer: ArrayBuffer, length: number) => void,
	): boolean {
		const needed = ENTRY_HEADER + payload.length;
		if (this.#buffer !== undefined && this.#length + needed > this.#bytes.length) this.take(hand);
		if (this.#buffer === undefined && this.#inFlight + Math.max(needed, BATCH_BYTES) > this.#maxInFlight) return false;
		if (this.#buffer === undefined) this.#open(needed);
		const at = this.#length;
		this.#view.setUint32(at, endpoint);
		this.#view.setUint32(at + 4, socketId);
		this.#view.setUint32(at + 8, payload.length);
		this.#bytes.set(payload, at + ENTRY_HEADER);
		this.#length = at + needed;
		return true;
	}

	/** Hands over the current buffer, if anything is in it. */
	take(hand: (buffer: ArrayBuffer, length: number) => void): void {
		const buffer = this.#buffer;
		if (buffer === undefined || this.#length === 0) return;
		const length = this.#length;
		this.#buffer = undefined;
		this.#length = 0;
		this.#inFlight += buffer.byteLength;
		hand(buffer, length);
	}

	/** A buffer back from the main thread (every handed buffer comes back, whatever its size). */
	recycle(buffer: ArrayBuffer): void {
		this.#inFlight -= buffer.byteLength;
		if (buffer.byteLength === BATCH_BYTES && this.#spare.length < MAX_SPARE) this.#spare.push(buffer);
	}

	#open(needed: number): void {
		const buffer =
			needed <= BATCH_BYTES ? (this.#spare.pop() ?? new ArrayBuffer(BATCH_BYTES)) : new ArrayBuffer(needed);
		this.#buffer = buffer;
		this.#bytes = new Uint8Array(buffer);
		this.#view = new DataView(buffer);
	}
}

/** Main-thread side: calls `each` with a view of every payload, valid during the call only. */
export const readPayloadBatch = (
	buffer: ArrayBuffer,
	length: number,
	each: (endpoint: number, socketId: number, payload: Uint8Array) => void,
): void => {
	const view = new DataView(buffer, 0, length);
	const bytes = new Uint8Array(buffer, 0, length);
	let at = 0;
	while (at + ENTRY_HEADER <= length) {
		const size = view.getUint32(at + 8);
		const start = at + ENTRY_HEADER;
		each(view.getUint32(at), view.getUint32(at + 4), bytes.subarray(start, start + size));
		at = start + size;
	}
};
