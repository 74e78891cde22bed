/**
 * RTCP (RFC 3550 §6.4): reads sender reports out of compound packets and writes the receiver
 * report + SDES CNAME compound a receiver sends back.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** What a sender report says: this RTP timestamp was sampled at this NTP wall-clock instant. */
export type SenderReport = {
	readonly ssrc: number;
	/** NTP time as seconds since 1900 (double: the 32.32 fixed point value). */
	readonly ntpSeconds: number;
	/** The middle 32 bits of the NTP timestamp, echoed as LSR in receiver reports (§6.4.1). */
	readonly ntpMiddle: number;
	readonly rtpTimestamp: number;
};

export type RtcpSummary = { readonly senderReports: readonly SenderReport[]; readonly bye: boolean };

const TWO_POW_32 = 4294967296;

/** Walks a compound RTCP packet; malformed trailing parts are ignored (§6.1 compound rules are not enforced). */
export const parseRtcp = (bytes: Uint8Array): RtcpSummary => {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const senderReports: SenderReport[] = [];
	let bye = false;
	let offset = 0;
	while (offset + 4 <= bytes.length) {
		if (bytes[offset]! >> 6 !== 2) break;
		const type = bytes[offset + 1]!;
		const length = (view.getUint16(offset + 2) + 1) * 4;
		if (offset + length > bytes.length) break;
		if (type === RTCP_SR && length >= 28) {
			// SR: SSRC, NTP seconds, NTP fraction, RTP timestamp, packet count, octet count (§6.4.1).
			const seconds = view.getUint32(offset + 8);
			const fraction = view.getUint32(offset + 12);
			senderReports.push({
				ssrc: view.getUint32(offset + 4),
				ntpSeconds: seconds + fraction / TWO_POW_32,
				ntpMiddle: ((seconds & 0xffff) * 65536 + (fraction >>> 16)) >>> 0,
				rtpTimestamp: view.getUint32(offset + 20),
			});
		} else if (type === RTCP_BYE) {
			bye = true;
		}
		offset += length;
	}
	return { senderReports, bye };
};

/** One report block: what the receiver saw of one source (§6.4.1). */
export type ReceptionReport = {
	readonly ssrc: number;
	/** Lost fraction since the previous report, 0–255 (lost / expected × 256). */
	readonly fractionLost: number;
	/** Packets lost since the start, clamped to 24 bits signed. */
	readonly cumulativeLost: number;
	/** Cycles × 65536 + highest sequence number received. */
	readonly extendedHighestSequence: number;
	/** Interarrival jitter in timestamp units. */
	readonly jitter: number;
	/** Middle 32 bits of the last SR's NTP time, 0 if none. */
	readonly lastSenderReport: number;
	/** Delay since that SR in 1/65536 s, 0 if none. */
	readonly delaySinceLastSenderReport: number;
};

/** A compound RR + SDES(CNAME) packet from `ssrc` carrying the given report blocks (at most 31). */
export const buildReceiverReport = (ssrc: number, cname: string, reports: readonly ReceptionReport[]): Uint8Array => {
	const blocks = reports.slice(0, 31);
	const rrLength = 8 + blocks.length * 24;
	const name = new TextEncoder().encode(cname.slice(0, 255));
	// SDES chunk: SSRC, CNAME item (type 1, length, text), end item, padded to a 32-bit boundary (§6.5).
	const chunk = 4 + 2 + name.length + 1;
	const sdesLength = 4 + Math.ceil(chunk / 4) * 4;
	const out = new Uint8Array(rrLength + sdesLength);
	const view = new DataView(out.buffer);
	out[0] = 0x80 | blocks.length;
	out[1] = RTCP_RR;
	view.setUint16(2, rrLength / 4 - 1);
	view.setUint32(4, ssrc >>> 0);
	let offset = 8;
	for (const block of blocks) {
		view.setUint32(offset, block.ssrc >>> 0);
		const lost = Math.max(-0x800000, Math.min(0x7fffff, block.cumulativeLost));
		view.setUint32(offset + 4, ((Math.max(0, Math.min(255, block.fractionLost)) << 24) | (lost & 0xffffff)) >>> 0);
		view.setUint32(offset + 8, block.extendedHighestSequence % TWO_POW_32);
		view.setUint32(offset + 12, Math.max(0, Math.min(TWO_POW_32 - 1, Math.round(block.jitter))));
		view.setUint32(offset + 16, block.lastSenderReport >>> 0);
		view.setUint32(offset + 20, Math.max(0, Math.min(TWO_POW_32 - 1, Math.round(block.delaySinceLastSenderReport))));
		offset += 24;
	}
	out[offset] = 0x81;
	out[offset + 1] = RTCP_SDES;
	view.setUint16(offset + 2, sdesLength / 4 - 1);
	view.setUint32(offset + 4, ssrc >>> 0);
	out[offset + 8] = 1;
	out[offset + 9] = name.length;
	out.set(name, offset + 10);
	return out;
};
