/**
 * Clock drift between the sender and us, as libsrt's `DriftTracer<1000, 5000>` tracks it: samples
 * (µs) are averaged 1000 at a time, and an average beyond ±5 ms is a correction to the TSBPD base.
 */
const DRIFT_SAMPLES = 1000;
const DRIFT_MAX = 5_000;

export class DriftTracer {
	#sum = 0;
	#count = 0;

	/** Adds one sample; returns the correction to apply (µs), 0 while none is due. */
	sample(drift: number): number {
		this.#sum += drift;
		if (++this.#count < DRIFT_SAMPLES) return 0;
		const average = this.#sum / this.#count;
		this.#sum = 0;
		this.#count = 0;
		return Math.abs(average) > DRIFT_MAX ? average : 0;
	}
}
