/**
 * SRT counter arithmetic (draft-sharabayko-srt §3.1; libsrt `common.h` CSeqNo / CMsgNo).
 * Packet sequence numbers are 31 bits and wrap 2^31−1 → 0; full-ACK numbers run 1…2^31−1, then 0.
 * Every comparison takes the wrap into account: libsrt drops a peer that acknowledges or reports a
 * sequence it never sent.
 */

export const SEQ_MODULUS = 0x80000000;
export const SEQ_MAX = 0x7fffffff;
/** Half the sequence space: a distance larger than this is read as the other way around the wrap. */
const SEQ_HALF = 0x40000000;

/** `seq + n` modulo 2^31 (n may be negative). */
export const seqAdd = (seq: number, n: number): number => (((seq + n) % SEQ_MODULUS) + SEQ_MODULUS) % SEQ_MODULUS;

/** Signed distance from `from` to `to`: positive when `to` comes after `from`. */
export const seqOffset = (from: number, to: number): number => {
	const d = to - from;
	if (d >= SEQ_HALF) return d - SEQ_MODULUS;
	if (d < -SEQ_HALF) return d + SEQ_MODULUS;
	return d;
};

/** The full-ACK number after `ackNo` (31 bits, wraps to 0). */
export const ackNoNext = (ackNo: number): number => (ackNo >= SEQ_MAX ? 0 : ackNo + 1);
