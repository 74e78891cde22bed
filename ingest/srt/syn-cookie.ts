/**
 * SYN cookies for the listener's induction phase (draft-sharabayko-srt §4.3.1): the listener keeps no
 * state until a caller echoes a cookie it can recompute. libsrt hashes host:port with a minute counter;
 * we use a keyed HMAC of the same inputs and accept the current and the previous minute.
 */
import { createHmac, randomBytes } from 'node:crypto';

const MINUTE_MS = 60_000;

export class SynCookie {
	readonly #secret = randomBytes(32);
	readonly #now: () => number;

	constructor(now: () => number = Date.now) {
		this.#now = now;
	}

	issue(address: string, port: number): number {
		return this.#compute(address, port, Math.floor(this.#now() / MINUTE_MS));
	}

	verify(address: string, port: number, cookie: number): boolean {
		const minute = Math.floor(this.#now() / MINUTE_MS);
		return cookie === this.#compute(address, port, minute) || cookie === this.#compute(address, port, minute - 1);
	}

	#compute(address: string, port: number, minute: number): number {
		return createHmac('sha256', this.#secret).update(`${address}:${port}:${minute}`).digest().readUInt32BE(0);
	}
}
