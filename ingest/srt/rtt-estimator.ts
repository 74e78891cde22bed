/**
 * Round-trip time from full ACK → ACKACK pairs (draft-sharabayko-srt §4.10; libsrt
 * `CACKWindow` and `CUDT::processCtrlAckAck`). Keeps the send time of the last few full ACKs by ACK
 * number; an ACKACK gives one sample. First sample: SRTT = rtt, RTTVar = rtt / 2; then the EWMAs
 * RTTVar = ¾·RTTVar + ¼·|SRTT − rtt|, SRTT = ⅞·SRTT + ⅛·rtt.
 */

/** How many outstanding full ACKs we remember (libsrt keeps 1024; a few hundred ms of ACKs is plenty). */
const WINDOW = 128;

export class RttEstimator {
	/** µs; libsrt's initial values before the first sample. */
	rtt = 100_000;
	rttVar = 50_000;
	samples = 0;
	readonly #ackNumbers = new Float64Array(WINDOW).fill(-1);
	readonly #sentAt = new Float64Array(WINDOW);
	/** Sequence each ACK acknowledged, so an ACKACK tells which ACK point the sender has confirmed. */
	readonly #ackSeqs = new Float64Array(WINDOW);

	recordAck(ackNo: number, ackSeq: number, now: number): void {
		const slot = ackNo % WINDOW;
		this.#ackNumbers[slot] = ackNo;
		this.#sentAt[slot] = now;
		this.#ackSeqs[slot] = ackSeq;
	}

	/** Takes one sample; returns the acknowledged sequence of that ACK, or −1 for an unknown ACK number. */
	onAckAck(ackNo: number, now: number): number {
		const slot = ackNo % WINDOW;
		if (this.#ackNumbers[slot] !== ackNo) return -1;
		this.#ackNumbers[slot] = -1;
		const sample = Math.max(1, now - (this.#sentAt[slot] ?? now));
		if (this.samples === 0) {
			this.rtt = sample;
			this.rttVar = sample / 2;
		} else {
			this.rttVar = (3 * this.rttVar + Math.abs(this.rtt - sample)) / 4;
			this.rtt = (7 * this.rtt + sample) / 8;
		}
		this.samples++;
		return this.#ackSeqs[slot] ?? -1;
	}
}
