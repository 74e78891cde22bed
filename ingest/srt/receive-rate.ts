/**
 * The receive rates a full ACK reports (draft-sharabayko-srt §3.2.4): packets and bytes per second
 * over the last one-second window, and the link capacity estimated from packet pairs (libsrt sends
 * every 16th packet and the next back to back: their arrival gap is one packet's time on the link).
 * Times are in µs.
 */
const RATE_WINDOW = 1_000_000;
const PROBE_INTERVAL = 16;

export class ReceiveRate {
	/** Packets and bytes per second over the last closed window. */
	packetRate = 0;
	byteRate = 0;
	#windowStart: number;
	#windowPackets = 0;
	#windowBytes = 0;
	#probeSeq = -1;
	#probeAt = 0;
	/** Smoothed packet-pair gap, µs; 0 until the first pair. */
	#probeInterval = 0;

	constructor(now: number) {
		this.#windowStart = now;
	}

	/** Link capacity in packets per second; 1000 until a packet pair has been seen. */
	get capacity(): number {
		return this.#probeInterval > 0 ? Math.round(1e6 / this.#probeInterval) : 1000;
	}

	/** A data packet of `bytes` payload bytes arrived. */
	onPacket(seq: number, bytes: number, now: number): void {
		this.#windowPackets++;
		this.#windowBytes += bytes;
		if (seq % PROBE_INTERVAL === 0) {
			this.#probeSeq = seq;
			this.#probeAt = now;
		} else if (seq % PROBE_INTERVAL === 1 && this.#probeSeq === seq - 1) {
			const interval = Math.max(1, now - this.#probeAt);
			this.#probeInterval = this.#probeInterval === 0 ? interval : (7 * this.#probeInterval + interval) / 8;
			this.#probeSeq = -1;
		}
	}

	/** Closes the window once it spans a second. */
	tick(now: number): void {
		if (now - this.#windowStart < RATE_WINDOW) return;
		const seconds = (now - this.#windowStart) / 1e6;
		this.packetRate = this.#windowPackets / seconds;
		this.byteRate = this.#windowBytes / seconds;
		this.#windowPackets = 0;
		this.#windowBytes = 0;
		this.#windowStart = now;
	}
}
