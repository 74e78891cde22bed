/**
 * NAK loss-list codec (draft-sharabayko-srt §3.2.5). A lone lost sequence is one word with bit 0
 * clear; a range a..b is two words, `a | 0x80000000` then `b`.
 */
import { readWord, writeWord } from './srt-packet.ts';

/** Inclusive range of lost sequence numbers (`last` may be numerically smaller across the wrap). */
export type LossRange = { first: number; last: number };

export const encodeLossList = (ranges: readonly LossRange[]): Uint8Array => {
	let words = 0;
	for (const r of ranges) words += r.first === r.last ? 1 : 2;
	const out = new Uint8Array(words * 4);
	let at = 0;
	for (const r of ranges) {
		if (r.first === r.last) {
			writeWord(out, at, r.first);
			at += 4;
		} else {
			writeWord(out, at, (r.first | 0x80000000) >>> 0);
			writeWord(out, at + 4, r.last);
			at += 8;
		}
	}
	return out;
};

/** Decodes a loss list; a range marker without its end word is ignored (truncated datagram). */
export const decodeLossList = (cif: Uint8Array): LossRange[] => {
	const ranges: LossRange[] = [];
	for (let at = 0; at + 4 <= cif.length; at += 4) {
		const w = readWord(cif, at);
		if (w >= 0x80000000) {
			if (at + 8 > cif.length) break;
			ranges.push({ first: w & 0x7fffffff, last: readWord(cif, at + 4) & 0x7fffffff });
			at += 4;
		} else {
			ranges.push({ first: w, last: w });
		}
	}
	return ranges;
};
