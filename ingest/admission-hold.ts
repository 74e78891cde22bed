/**
 * Media that arrives while a publisher's admission is being decided (the auth hook or webhook is
 * asynchronous; an encoder may send its first media in the same read as its publish request). It is
 * held, bounded in bytes, until the verdict: delivered in order if allowed, discarded if not. What does
 * not fit is counted and reported, never silently lost.
 */

/** What a hold keeps by default: seconds of a typical stream's start (sequence headers, a first GOP). */
export const DEFAULT_HOLD_BYTES = 4 * 1024 * 1024;

type Held = { readonly bytes: Uint8Array; readonly deliver: (bytes: Uint8Array) => void };

export class AdmissionHold {
	readonly #limit: number;
	#held: Held[] = [];
	#bytes = 0;
	/** Messages that arrived once the hold was full: dropped. */
	overflowed = 0;

	constructor(limitBytes = DEFAULT_HOLD_BYTES) {
		this.#limit = limitBytes;
	}

	get size(): number {
		return this.#held.length;
	}

	/** Keeps a copy of `bytes` (the caller's view is only valid during its call) for `deliver`. */
	hold(bytes: Uint8Array, deliver: (bytes: Uint8Array) => void): void {
		if (this.#bytes + bytes.length > this.#limit) {
			this.overflowed++;
			return;
		}
		this.#bytes += bytes.length;
		this.#held.push({ bytes: bytes.slice(), deliver });
	}

	/** Delivers everything held, in arrival order, and empties the hold. */
	release(): void {
		const held = this.#held;
		this.discard();
		for (const { bytes, deliver } of held) deliver(bytes);
	}

	/** Forgets everything held; returns how many messages that was. */
	discard(): number {
		const count = this.#held.length;
		this.#held = [];
		this.#bytes = 0;
		return count;
	}
}

/**
 * The admission check of a source that publishes into one stream of its own (HTTP and UDP listen
 * inputs): the publisher's address and what it presented, to the publish policy's gate.
 */
export type AdmissionCheck = (remoteAddress: string, credentials: Readonly<Record<string, string>>) => Promise<boolean>;
