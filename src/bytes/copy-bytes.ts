/** Longest run `copyBytes` copies byte by byte: `set` needs a `subarray` view object per call. */
const SHORT_RUN = 64;

/**
 * Copies `count` bytes from `source[from]` to `target[to]`: short runs through a loop (nothing
 * allocated), longer ones through `set`. For per-TS-packet copies use `copyView`.
 */
export const copyBytes = (source: Uint8Array, from: number, target: Uint8Array, to: number, count: number): void => {
	if (count > SHORT_RUN) {
		target.set(source.subarray(from, from + count), to);
		return;
	}
	for (let i = 0; i < count; i++) target[to + i] = source[from + i]!;
};

/**
 * Copies `count` bytes between two DataViews four bytes at a time. Node 20 has no allocation-free
 * memcpy between buffers (`set` and `Buffer.copy` both make a view object); for a TS packet's 184
 * bytes this is as fast as `set` and twice as fast as a byte loop, and allocates nothing.
 * Both sides use the same byte order, so bytes land unchanged.
 */
export const copyView = (source: DataView, from: number, target: DataView, to: number, count: number): void => {
	let i = 0;
	for (; i + 4 <= count; i += 4) target.setUint32(to + i, source.getUint32(from + i, true), true);
	for (; i < count; i++) target.setUint8(to + i, source.getUint8(from + i));
};
