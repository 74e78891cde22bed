/** Longest run copied byte by byte: `set` needs a `subarray` view object per call, a loop allocates nothing. */
const SHORT_RUN = 256;

/**
 * Copies `count` bytes from `source[from]` to `target[to]`. Short runs (one TS packet's payload)
 * go through a loop so the per-packet paths allocate nothing; longer ones through `set`.
 */
export const copyBytes = (source: Uint8Array, from: number, target: Uint8Array, to: number, count: number): void => {
	if (count > SHORT_RUN) {
		target.set(source.subarray(from, from + count), to);
		return;
	}
	for (let i = 0; i < count; i++) target[to + i] = source[from + i]!;
};
