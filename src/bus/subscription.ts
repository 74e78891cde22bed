import { TapedeckError } from '../core/errors.ts';
import type { MediaWarning } from '../core/media-receiver.ts';
import type { Packet } from '../core/packet.ts';
import type { Track } from '../core/track.ts';
import type { ArenaPacket } from './packet-arena.ts';

/** What a subscriber implements. Calls arrive in order, from a scheduled drain, never from inside the publisher's push. */
export interface BusConsumer {
	/** The stream's tracks: once per publisher session, and again when they change mid-session. */
	onTracks(tracks: readonly Track[]): void;
	onPacket(packet: Packet): void;
	/** The publisher went away. The subscription stays attached and delivers the next session when it starts. */
	onEnd(reason: string): void;
	/**
	 * The subscription gave up (its ring overflowed, or a handler above threw): it is closed and
	 * delivers nothing more.
	 */
	onError(error: TapedeckError): void;
	/** Optional: what the publisher's input carried that did not reach the bus as it was (see MediaWarning). */
	onWarning?(warning: MediaWarning): void;
}

export type SubscriptionOptions = {
	/** Most packets waiting for the consumer; past it the subscription drops, flags and errors instead of growing. */
	readonly capacity?: number;
	/** Most payload bytes waiting for the consumer. */
	readonly maxBytes?: number;
};

export const DEFAULT_SUBSCRIPTION_CAPACITY = 8192;
export const DEFAULT_SUBSCRIPTION_MAX_BYTES = 64 << 20;

/** A control event travelling in order with the packets (rare: a session, a track change, a warning). */
class Control {
	constructor(
		readonly kind: 'tracks' | 'end' | 'warning',
		readonly tracks: readonly Track[],
		readonly reason: string,
		readonly warning?: MediaWarning,
	) {}
}

type Entry = ArenaPacket | Control;

/**
 * One consumer's bounded queue on a live stream: a fixed ring the publisher fills synchronously and
 * the consumer empties from one scheduled drain per burst. A full ring never blocks or grows: the
 * subscription drops the packet, counts it, closes itself and reports the loss to its consumer,
 * which decides how to resume (the recorder finalizes its file and subscribes again from the GOP cache).
 * The ring retains each packet it queues and releases it once `onPacket` has returned, or when the
 * subscription closes with it still queued: from then on the stream may reuse its bytes.
 */
export class Subscription {
	readonly #consumer: BusConsumer;
	readonly #ring: Array<Entry | undefined>;
	readonly #maxBytes: number;
	#head = 0;
	#count = 0;
	#bytes = 0;
	#scheduled = false;
	#closed = false;
	#onClose: ((subscription: Subscription) => void) | undefined;
	/** Packets lost to overflow. */
	dropped = 0;
	/** Packets handed to the consumer. */
	delivered = 0;
	/** Most entries that waited at once: how close the consumer came to overflowing. */
	highWater = 0;

	constructor(
		consumer: BusConsumer,
		options: SubscriptionOptions = {},
		onClose?: (subscription: Subscription) => void,
	) {
		const capacity = options.capacity ?? DEFAULT_SUBSCRIPTION_CAPACITY;
		if (!Number.isInteger(capacity) || capacity < 2) {
			throw new TapedeckError('invalid_argument', `subscription capacity must be an integer ≥ 2, got ${capacity}`);
		}
		this.#consumer = consumer;
		this.#ring = new Array<Entry | undefined>(capacity);
		this.#maxBytes = options.maxBytes ?? DEFAULT_SUBSCRIPTION_MAX_BYTES;
		this.#onClose = onClose;
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** Entries waiting for the consumer. */
	get pending(): number {
		return this.#count;
	}

	offerTracks(tracks: readonly Track[]): void {
		this.#offer(new Control('tracks', tracks, ''), 0);
	}

	offerPacket(packet: ArenaPacket): void {
		if (this.#offer(packet, packet.data.length)) packet.retain();
	}

	offerEnd(reason: string): void {
		this.#offer(new Control('end', [], reason), 0);
	}

	offerWarning(warning: MediaWarning): void {
		if (this.#consumer.onWarning) this.#offer(new Control('warning', [], '', warning), 0);
	}

	/** Delivers every waiting entry now (a stopping consumer takes what the bus already holds for it). */
	flush(): void {
		if (!this.#closed) this.#drain();
	}

	/** Detaches from the stream; nothing more is delivered. Idempotent. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		const ring = this.#ring;
		for (let i = 0; i < this.#count; i++) {
			const slot = (this.#head + i) % ring.length;
			const entry = ring[slot];
			ring[slot] = undefined;
			if (!(entry instanceof Control)) entry?.release();
		}
		this.#count = 0;
		this.#bytes = 0;
		const onClose = this.#onClose;
		this.#onClose = undefined;
		onClose?.(this);
	}

	/** False when the entry was not queued (closed, or overflowed just now). */
	#offer(entry: Entry, bytes: number): boolean {
		if (this.#closed) return false;
		const capacity = this.#ring.length;
		if (this.#count === capacity || this.#bytes + bytes > this.#maxBytes) {
			this.#overflow();
			return false;
		}
		this.#ring[(this.#head + this.#count) % capacity] = entry;
		this.#count++;
		this.#bytes += bytes;
		if (this.#count > this.highWater) this.highWater = this.#count;
		if (!this.#scheduled) {
			this.#scheduled = true;
			setImmediate(this.#drain);
		}
		return true;
	}

	#overflow(): void {
		const lost = this.#count + 1;
		this.dropped += lost;
		this.#giveUp(
			new TapedeckError(
				'internal',
				`subscriber fell behind: its queue of ${this.#ring.length} packets / ${this.#maxBytes} bytes overflowed and ${lost} packets were dropped`,
			),
		);
	}

	/**
	 * Closes and tells the consumer why, later and outside the publisher's call. A consumer whose
	 * `onError` throws too is beyond help: what it threw is dropped rather than end the process.
	 */
	#giveUp(error: TapedeckError): void {
		this.close();
		queueMicrotask(() => {
			try {
				this.#consumer.onError(error);
			} catch {
				// Nothing left to tell: the subscription is closed already.
			}
		});
	}

	/**
	 * Runs from `setImmediate`, where an exception would end the process with every other stream: a
	 * handler that throws closes this subscription alone and its consumer hears why.
	 */
	readonly #drain = (): void => {
		this.#scheduled = false;
		try {
			this.#deliver();
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error);
			this.#giveUp(new TapedeckError('internal', `subscriber failed on a delivery: ${message}`, { cause: error }));
		}
	};

	#deliver(): void {
		const capacity = this.#ring.length;
		while (this.#count > 0 && !this.#closed) {
			const entry = this.#ring[this.#head] as Entry;
			this.#ring[this.#head] = undefined;
			this.#head = (this.#head + 1) % capacity;
			this.#count--;
			if (entry instanceof Control) {
				this.#control(entry);
				continue;
			}
			this.#bytes -= entry.data.length;
			this.delivered++;
			try {
				this.#consumer.onPacket(entry);
			} finally {
				entry.release();
			}
		}
	}

	#control(entry: Control): void {
		if (entry.kind === 'tracks') this.#consumer.onTracks(entry.tracks);
		else if (entry.kind === 'end') this.#consumer.onEnd(entry.reason);
		else if (entry.warning) this.#consumer.onWarning?.(entry.warning);
	}
}
