import type { ReceptionReport, SenderReport } from '../demux/rtp/rtcp-packet.ts';
import type { RtpPacket } from '../demux/rtp/rtp-packet.ts';

/**
 * What a receiver tracks about one RTP source to write its report block (RFC 3550 §6.4.1):
 * extended highest sequence number and loss (Appendix A.1, A.3), interarrival jitter (A.8),
 * and the last sender report's NTP middle bits with its arrival time.
 */
export class RtpReceptionStats {
	ssrc = 0;
	received = 0;
	#started = false;
	#baseSequence = 0;
	#maxSequence = 0;
	#cycles = 0;
	#expectedPrior = 0;
	#receivedPrior = 0;
	#transit = Number.NaN;
	#jitter = 0;
	#lastSr = 0;
	#lastSrArrivalMs = 0;

	/** Counts an arriving packet; `arrivalTicks` is the arrival time in the stream's clock units. */
	onPacket(packet: RtpPacket, arrivalTicks: number): void {
		this.ssrc = packet.ssrc;
		this.received++;
		const seq = packet.sequence;
		if (!this.#started) {
			this.#started = true;
			this.#baseSequence = seq;
			this.#maxSequence = seq;
		} else {
			const delta = (seq - this.#maxSequence + 65536) % 65536;
			if (delta > 0 && delta < 32768) {
				if (seq < this.#maxSequence) this.#cycles += 65536;
				this.#maxSequence = seq;
			}
		}
		// Jitter: J += (|D(i−1, i)| − J) / 16, D from relative transit times (§6.4.1, A.8).
		const transit = arrivalTicks - packet.timestamp;
		if (!Number.isNaN(this.#transit)) {
			let d = Math.abs(transit - this.#transit);
			if (d > 2147483648) d = 4294967296 - d;
			this.#jitter += (d - this.#jitter) / 16;
		}
		this.#transit = transit;
	}

	onSenderReport(report: SenderReport, arrivalMs: number): void {
		this.#lastSr = report.ntpMiddle;
		this.#lastSrArrivalMs = arrivalMs;
	}

	/** The report block for now; advances the "since last report" counters. */
	report(nowMs: number): ReceptionReport | undefined {
		if (!this.#started) return undefined;
		const extendedMax = this.#cycles + this.#maxSequence;
		const expected = extendedMax - this.#baseSequence + 1;
		const expectedInterval = expected - this.#expectedPrior;
		const receivedInterval = this.received - this.#receivedPrior;
		this.#expectedPrior = expected;
		this.#receivedPrior = this.received;
		const lostInterval = expectedInterval - receivedInterval;
		return {
			ssrc: this.ssrc,
			fractionLost: expectedInterval > 0 && lostInterval > 0 ? Math.floor((lostInterval * 256) / expectedInterval) : 0,
			cumulativeLost: expected - this.received,
			extendedHighestSequence: extendedMax,
			jitter: this.#jitter,
			lastSenderReport: this.#lastSr,
			delaySinceLastSenderReport: this.#lastSr === 0 ? 0 : ((nowMs - this.#lastSrArrivalMs) * 65536) / 1000,
		};
	}
}
