import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import { AAC_SAMPLES_PER_FRAME, parseAudioSpecificConfig } from '../../../src/codec/aac.ts';
import { TapedeckError } from '../../../src/core/errors.ts';
import {
	type AccessUnitReceiver,
	type CodecParameters,
	type DepacketizerStats,
	emptyDepacketizerStats,
	type RtpDepacketizer,
} from './rtp-depacketizer.ts';
import type { RtpPacket } from './rtp-packet.ts';

/** The AU header layout an SDP declares for mpeg4-generic (RFC 3640 §4.1). */
type AuHeaderLayout = {
	readonly sizeLength: number;
	readonly indexLength: number;
	readonly indexDeltaLength: number;
	readonly ctsDeltaLength: number;
	readonly dtsDeltaLength: number;
	readonly randomAccess: boolean;
	readonly streamStateLength: number;
	readonly auxiliarySizeLength: number;
};

const MAX_AUS_PER_PACKET = 64;

/**
 * AAC over RTP as mpeg4-generic (RFC 3640), AAC-hbr and AAC-lbr modes: an AU-headers section
 * (one size + index per access unit), then the access units back to back. Several AUs per packet
 * get consecutive timestamps one frame apart; an AU larger than a packet is reassembled from
 * fragments with the same timestamp (§3.2.3.5). Interleaving (non-zero AU-Index or
 * AU-Index-delta, §3.2.3.2) is detected and counted, and the AUs are taken in arrival order.
 */
export class AacDepacketizer implements RtpDepacketizer {
	readonly stats: DepacketizerStats = emptyDepacketizerStats();
	readonly initialParameters: CodecParameters;
	readonly #receiver: AccessUnitReceiver;
	readonly #layout: AuHeaderLayout;
	/** One AAC frame in RTP clock ticks. */
	readonly #frameTicks: number;
	readonly #sizes = new Uint32Array(MAX_AUS_PER_PACKET);
	readonly #fragment = new GrowableBuffer(4096);
	#fragmentSize = 0;
	#fragmentTimestamp = 0;

	constructor(receiver: AccessUnitReceiver, clockRate: number, fmtp: ReadonlyMap<string, string>) {
		this.#receiver = receiver;
		const hex = fmtp.get('config') ?? '';
		if (!/^([0-9a-f]{2})+$/i.test(hex)) {
			throw new TapedeckError(
				'unsupported',
				`mpeg4-generic needs an AudioSpecificConfig in fmtp config=, got "${hex}"`,
			);
		}
		const config = new Uint8Array(Buffer.from(hex, 'hex'));
		const aac = parseAudioSpecificConfig(config);
		this.initialParameters = {
			codec: 'aac',
			config,
			audio: { sampleRate: aac.sampleRate, channels: aac.channels },
		};
		const declared = Number(fmtp.get('constantduration') ?? 0);
		this.#frameTicks =
			declared > 0 ? declared : Math.round((AAC_SAMPLES_PER_FRAME * clockRate) / aac.sampleRate) || 1024;
		const int = (name: string): number => {
			const value = Number(fmtp.get(name) ?? 0);
			return Number.isInteger(value) && value >= 0 && value <= 32 ? value : 0;
		};
		this.#layout = {
			sizeLength: int('sizelength'),
			indexLength: int('indexlength'),
			indexDeltaLength: int('indexdeltalength'),
			ctsDeltaLength: int('ctsdeltalength'),
			dtsDeltaLength: int('dtsdeltalength'),
			randomAccess: fmtp.get('randomaccessindication') === '1',
			streamStateLength: int('streamstateindication'),
			auxiliarySizeLength: int('auxiliarydatasizelength'),
		};
		if (this.#layout.sizeLength === 0) {
			throw new TapedeckError(
				'unsupported',
				'mpeg4-generic without sizelength (one AU per packet, no headers) is not supported',
			);
		}
	}

	push(packet: RtpPacket, timestamp: number, lostBefore: number): void {
		const p = packet.payload;
		if (lostBefore > 0 || (this.#fragmentSize > 0 && timestamp !== this.#fragmentTimestamp)) this.#dropFragment();
		if (p.length < 2) return;
		const headerBits = (p[0]! << 8) | p[1]!;
		const headerEnd = 2 + Math.ceil(headerBits / 8);
		if (headerEnd > p.length) {
			this.stats.droppedUnits++;
			return;
		}
		const count = this.#readHeaders(p, headerBits);
		if (count < 0) {
			this.stats.droppedUnits++;
			return;
		}
		let at = headerEnd;
		if (this.#layout.auxiliarySizeLength > 0) {
			const auxBits = readBits(p, headerEnd * 8, this.#layout.auxiliarySizeLength);
			at = headerEnd + Math.ceil((this.#layout.auxiliarySizeLength + auxBits) / 8);
		}
		if (this.#fragmentSize > 0) {
			this.#continueFragment(p, at, timestamp);
			return;
		}
		for (let i = 0; i < count; i++) {
			const size = this.#sizes[i]!;
			if (count === 1 && at + size > p.length) {
				this.#startFragment(p, at, size, timestamp);
				return;
			}
			if (at + size > p.length) {
				this.stats.droppedUnits += count - i;
				return;
			}
			this.#emit(timestamp + i * this.#frameTicks, p.subarray(at, at + size));
			at += size;
		}
	}

	flush(): void {
		this.#dropFragment();
	}

	/** Fills `#sizes` from the AU-headers section; returns the AU count, or −1 when it does not add up. */
	#readHeaders(p: Uint8Array, headerBits: number): number {
		const l = this.#layout;
		let bit = 16;
		const end = 16 + headerBits;
		let count = 0;
		let interleaved = false;
		while (bit < end) {
			if (count === MAX_AUS_PER_PACKET) return -1;
			const indexBits = count === 0 ? l.indexLength : l.indexDeltaLength;
			if (bit + l.sizeLength + indexBits > end) return -1;
			this.#sizes[count] = readBits(p, bit, l.sizeLength);
			bit += l.sizeLength;
			if (readBits(p, bit, indexBits) !== 0) interleaved = true;
			bit += indexBits;
			// CTS-flag + CTS-delta (not on the first AU), DTS-flag + DTS-delta, RAP-flag, stream state (§3.2.1.1).
			if (l.ctsDeltaLength > 0 && count > 0) bit += readBits(p, bit, 1) ? 1 + l.ctsDeltaLength : 1;
			if (l.dtsDeltaLength > 0) bit += readBits(p, bit, 1) ? 1 + l.dtsDeltaLength : 1;
			if (l.randomAccess) bit += 1;
			bit += l.streamStateLength;
			count++;
		}
		if (bit !== end) return -1;
		if (interleaved) this.stats.interleavedPackets++;
		return count;
	}

	#emit(timestamp: number, frame: Uint8Array): void {
		this.stats.accessUnits++;
		this.#receiver.accessUnit(timestamp, timestamp, this.#frameTicks, true, frame);
	}

	#startFragment(p: Uint8Array, at: number, size: number, timestamp: number): void {
		this.#fragment.length = 0;
		this.#fragment.append(p, at, p.length);
		this.#fragmentSize = size;
		this.#fragmentTimestamp = timestamp;
	}

	#continueFragment(p: Uint8Array, at: number, timestamp: number): void {
		this.#fragment.append(p, at, p.length);
		if (this.#fragment.length < this.#fragmentSize) return;
		const size = this.#fragmentSize;
		this.#fragmentSize = 0;
		if (this.#fragment.length !== size) {
			this.stats.droppedUnits++;
			return;
		}
		this.#emit(timestamp, this.#fragment.view());
	}

	#dropFragment(): void {
		if (this.#fragmentSize === 0) return;
		this.#fragmentSize = 0;
		this.stats.droppedUnits++;
	}
}

/** `n` bits (n ≤ 32) at bit offset `bit`, most significant first; bits past the end read as 0. */
const readBits = (data: Uint8Array, bit: number, n: number): number => {
	let value = 0;
	for (let i = 0; i < n; i++) {
		const at = bit + i;
		value = value * 2 + (((data[at >> 3] ?? 0) >> (7 - (at & 7))) & 1);
	}
	return value;
};
