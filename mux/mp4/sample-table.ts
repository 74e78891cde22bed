/**
 * The per-track sample table of a progressive file (ISO/IEC 14496-12 §8.6–8.7) as growable
 * typed-array columns: one number per sample per column, never an object per sample, so an
 * hours-long recording costs a few bytes a sample.
 *
 * Durations are not stored: a sample lasts until the next sample's DTS (stts is derived from the
 * DTS column when the moov is written); the last sample lasts `lastDuration`.
 */
const INITIAL_CAPACITY = 256;

export class SampleTable {
	/** Samples added. */
	count = 0;
	/** Decode time of each sample, in track ticks (exact doubles past 2^32). */
	dts = new Float64Array(INITIAL_CAPACITY);
	/** Composition offset (PTS − DTS) of each sample, signed. */
	compositionOffsets = new Int32Array(INITIAL_CAPACITY);
	sizes = new Uint32Array(INITIAL_CAPACITY);
	/** 1-based numbers of the sync samples (stss). */
	syncSamples = new Uint32Array(INITIAL_CAPACITY);
	syncCount = 0;
	/** File offset of each chunk: doubles, so offsets past 4 GiB stay exact (co64). */
	chunkOffsets = new Float64Array(64);
	/** Index (0-based) of the first sample of each chunk. */
	chunkFirstSamples = new Uint32Array(64);
	chunkCount = 0;
	/** Duration of the last sample: the packet's own, or the previous delta when it had none. */
	lastDuration = 0;
	/** Smallest PTS seen: where presentation of the track starts. */
	minPts = Number.POSITIVE_INFINITY;
	/** Smallest composition offset seen: negative ones need ctts version 1. */
	minCompositionOffset = 0;
	totalBytes = 0;

	/** Opens a chunk: the samples added next are stored contiguously from `offset`. */
	startChunk(offset: number): void {
		if (this.chunkCount === this.chunkOffsets.length) {
			this.chunkOffsets = growFloat64(this.chunkOffsets);
			this.chunkFirstSamples = growUint32(this.chunkFirstSamples);
		}
		this.chunkOffsets[this.chunkCount] = offset;
		this.chunkFirstSamples[this.chunkCount] = this.count;
		this.chunkCount++;
	}

	/** Appends a sample; `duration` (0 when unknown) only matters if it stays the last one. */
	add(dts: number, compositionOffset: number, size: number, sync: boolean, duration: number): void {
		const index = this.count;
		if (index === this.dts.length) this.#grow();
		const previous = index > 0 ? (this.dts[index - 1] as number) : dts;
		this.dts[index] = dts;
		this.compositionOffsets[index] = compositionOffset;
		this.sizes[index] = size;
		if (sync) {
			if (this.syncCount === this.syncSamples.length) this.syncSamples = growUint32(this.syncSamples);
			this.syncSamples[this.syncCount++] = index + 1;
		}
		this.lastDuration = duration > 0 ? duration : dts - previous || this.lastDuration;
		if (dts + compositionOffset < this.minPts) this.minPts = dts + compositionOffset;
		if (compositionOffset < this.minCompositionOffset) this.minCompositionOffset = compositionOffset;
		this.totalBytes += size;
		this.count = index + 1;
	}

	/** Duration of sample `index` in track ticks. */
	duration(index: number): number {
		return index + 1 < this.count ? (this.dts[index + 1] as number) - (this.dts[index] as number) : this.lastDuration;
	}

	/** Decode time from the first sample to the end of the last, in track ticks. */
	get mediaDuration(): number {
		return this.count === 0 ? 0 : (this.dts[this.count - 1] as number) - (this.dts[0] as number) + this.lastDuration;
	}

	/** Removes the first `n` samples, keeping the rest (a fragment carries a sample whose duration is not known yet). */
	removeFirst(n: number): void {
		const count = this.count;
		this.dts.copyWithin(0, n, count);
		this.compositionOffsets.copyWithin(0, n, count);
		this.sizes.copyWithin(0, n, count);
		let kept = 0;
		for (let i = 0; i < this.syncCount; i++) {
			const number = this.syncSamples[i] as number;
			if (number > n) this.syncSamples[kept++] = number - n;
		}
		this.syncCount = kept;
		this.count = count - n;
		this.chunkCount = 0;
		this.minPts = Number.POSITIVE_INFINITY;
		this.minCompositionOffset = 0;
		this.totalBytes = 0;
		for (let i = 0; i < this.count; i++) {
			const offset = this.compositionOffsets[i] as number;
			this.minPts = Math.min(this.minPts, (this.dts[i] as number) + offset);
			this.minCompositionOffset = Math.min(this.minCompositionOffset, offset);
			this.totalBytes += this.sizes[i] as number;
		}
	}

	#grow(): void {
		this.dts = growFloat64(this.dts);
		const offsets = new Int32Array(this.dts.length);
		offsets.set(this.compositionOffsets);
		this.compositionOffsets = offsets;
		this.sizes = growUint32(this.sizes);
	}
}

const growFloat64 = (column: Float64Array): Float64Array<ArrayBuffer> => {
	const next = new Float64Array(column.length * 2);
	next.set(column);
	return next;
};

const growUint32 = (column: Uint32Array): Uint32Array<ArrayBuffer> => {
	const next = new Uint32Array(column.length * 2);
	next.set(column);
	return next;
};
