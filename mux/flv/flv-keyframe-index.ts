/**
 * The `keyframes` object of onMetaData ({times, filepositions}), which players and ffmpeg use to
 * seek without scanning. Its room is reserved in the header before any keyframe is known, so it
 * holds at most `capacity` entries.
 *
 * Policy when more keyframes come than reserved: the index thins itself instead of stopping.
 * When full, every second entry is dropped and from then on only every second keyframe (then
 * every fourth, …) is recorded, so the index always spans the whole file, with coarser seek
 * points the longer the recording runs. With the default capacity and a 1 s GOP, files up to
 * 30 minutes keep every keyframe.
 */
export const DEFAULT_KEYFRAME_CAPACITY = 1800;
/** Beyond this the reserved header (18 bytes an entry) stops being small next to the media. */
export const MAX_KEYFRAME_CAPACITY = 100_000;

export class FlvKeyframeIndex {
	readonly capacity: number;
	readonly #times: Float64Array;
	readonly #positions: Float64Array;
	#count = 0;
	/** Only keyframes whose ordinal is a multiple of the stride are kept. */
	#stride = 1;
	#seen = 0;

	/** `capacity` is rounded up to an even number so halving keeps the stride aligned. */
	constructor(capacity: number) {
		this.capacity = Math.max(2, capacity + (capacity % 2));
		this.#times = new Float64Array(this.capacity);
		this.#positions = new Float64Array(this.capacity);
	}

	get count(): number {
		return this.#count;
	}

	/** Records a keyframe tag: its timestamp in seconds and the file offset of its tag header. */
	add(timeSeconds: number, position: number): void {
		const ordinal = this.#seen++;
		if (ordinal % this.#stride !== 0) return;
		if (this.#count === this.capacity) {
			this.#halve();
			if (ordinal % this.#stride !== 0) return;
		}
		this.#times[this.#count] = timeSeconds;
		this.#positions[this.#count] = position;
		this.#count++;
	}

	times(): number[] {
		return Array.from(this.#times.subarray(0, this.#count));
	}

	positions(): number[] {
		return Array.from(this.#positions.subarray(0, this.#count));
	}

	#halve(): void {
		const half = this.capacity / 2;
		for (let i = 0; i < half; i++) {
			this.#times[i] = this.#times[2 * i]!;
			this.#positions[i] = this.#positions[2 * i]!;
		}
		this.#count = half;
		this.#stride *= 2;
	}
}
