import { copyFromBuffer } from '../../src/bytes/copy-bytes.ts';
import { GrowableBuffer } from '../../src/bytes/growable-buffer.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import { rescale, TWO_POW_33 } from '../../src/core/time.ts';
import type { Track } from '../../src/core/track.ts';
import type { Sink } from '../../src/sink/sink.ts';
import type { Muxer, MuxerOptions, MuxerStats } from '../muxer.ts';
import { createEsPayloadWriter, type EsPayloadWriter } from './es-payload-writer.ts';
import { buildPatSection, buildPmtSection } from './psi-sections.ts';

const PACKET_SIZE = 188;
const PROGRAM_NUMBER = 1;
/** PIDs as ffmpeg assigns them: PMT 0x1000, elementary streams from 0x100. */
const PMT_PID = 0x1000;
const FIRST_STREAM_PID = 0x100;
/** PAT and PMT are repeated at least this often (100 ms at 90 kHz), and before every video keyframe. */
const TABLE_INTERVAL = 9000;
/** Largest step between consecutive PCR values (ISO/IEC 13818-1 §2.7.2 allows 100 ms; 40 ms is the DVB rule). */
const PCR_INTERVAL = 3600;
/**
 * How far the PCR runs behind the DTS of what is written: the decoder's buffering time. Sources
 * interleave audio a few hundred ms ahead of video, and the PCR must not pass a DTS still to come.
 */
const PCR_DELAY = 45_000;
/** A PCR step larger than this (1 s) is a gap in the media: the PCR jumps instead of being filled in. */
const MAX_PCR_STEP = 90_000;
/** TS packets gathered before one `sink.write`. */
const BATCH_PACKETS = 512;

type MuxedStream = {
	readonly track: Track;
	readonly pid: number;
	readonly writer: EsPayloadWriter;
	/** continuity_counter of the next packet with payload. */
	continuity: number;
};

/**
 * MPEG-TS muxer (ISO/IEC 13818-1): one program, PAT/PMT with CRC repeated every 100 ms and before
 * each video keyframe, PCR on the first video PID (or the first track) in every PES of that PID,
 * with PCR-only packets where consecutive values would be more than 40 ms apart, one PES per
 * packet with PTS (and DTS when it differs). Timestamps are written as given (rescaled to
 * 90 kHz, modulo 2^33); the PCR trails the DTS by 500 ms and never goes below 0.
 *
 * TS packets are written straight into a batch of 512 packets that goes to the sink in one
 * `write` and is then replaced (the sink may keep it); nothing is allocated per TS packet.
 */
export class TsMuxer implements Muxer {
	readonly format = 'ts' as const;
	readonly stats: MuxerStats = { packets: new Map(), bytes: 0 };
	readonly #sink: Sink;
	readonly #streams = new Map<number, MuxedStream>();
	/** The stream whose PID carries the PCR. */
	readonly #pcrStream: MuxedStream;
	readonly #patPacket: Uint8Array;
	readonly #pmtPacket: Uint8Array;
	#patContinuity = 0;
	#pmtContinuity = 0;
	readonly #batch = new Uint8Array(BATCH_PACKETS * PACKET_SIZE);
	#batchLength = 0;
	/** The PES being packetized: header then payload. */
	readonly #pes = new GrowableBuffer(1 << 16);
	/** Latest DTS written on any track (90 kHz). */
	#clock = Number.NEGATIVE_INFINITY;
	/** #clock when the tables were last written; NaN after the header, before the first packet. */
	#tablesAt = Number.NEGATIVE_INFINITY;
	/** Last PCR written (90 kHz), NaN before the first. */
	#pcr = Number.NaN;

	constructor(tracks: readonly Track[], sink: Sink, _options: MuxerOptions = {}) {
		if (tracks.length === 0) throw new TapedeckError('invalid_argument', 'a TS file needs at least one track, got 0');
		this.#sink = sink;
		const ordinals = { video: 0, audio: 0, data: 0 };
		tracks.forEach((track, index) => {
			const writer = createEsPayloadWriter(track, ordinals[track.kind]++);
			this.#streams.set(track.id, { track, pid: FIRST_STREAM_PID + index, writer, continuity: 0 });
			this.stats.packets.set(track.id, 0);
		});
		const streams = [...this.#streams.values()];
		this.#pcrStream = streams.find((s) => s.track.kind === 'video') ?? streams[0]!;
		this.#patPacket = psiPacket(0, buildPatSection(PROGRAM_NUMBER, PMT_PID));
		const pmt = buildPmtSection(
			PROGRAM_NUMBER,
			this.#pcrStream.pid,
			streams.map((s) => ({ streamType: s.writer.streamType, pid: s.pid, descriptors: s.writer.descriptors })),
		);
		this.#pmtPacket = psiPacket(PMT_PID, pmt);
	}

	writeHeader(): void {
		this.#writeTables();
		this.#tablesAt = Number.NaN;
	}

	writePacket(packet: Packet): void {
		const stream = this.#streams.get(packet.trackId);
		if (!stream) {
			throw new TapedeckError(
				'invalid_argument',
				`packet for track ${packet.trackId}, which this TS muxer was not given`,
			);
		}
		const timescale = stream.track.timescale;
		const dts = rescale(packet.dts, timescale, 90_000);
		const pts = rescale(packet.pts, timescale, 90_000);
		const videoKeyframe = packet.keyframe && stream.track.kind === 'video';
		// tables follow the latest DTS of any track: interleaving jitter must not hold them back
		this.#clock = Math.max(this.#clock, dts);
		if (Number.isNaN(this.#tablesAt)) {
			this.#tablesAt = this.#clock; // the header has just written them
		} else if (videoKeyframe || this.#clock - this.#tablesAt >= TABLE_INTERVAL) {
			this.#writeTables();
			this.#tablesAt = this.#clock;
		}
		const onPcrPid = stream === this.#pcrStream;
		this.#advanceClock(dts, onPcrPid);
		const length = this.#buildPes(stream, packet, pts, dts);
		this.#writePes(stream, length, onPcrPid, packet.keyframe);
		this.stats.packets.set(packet.trackId, (this.stats.packets.get(packet.trackId) ?? 0) + 1);
	}

	/**
	 * Moves the PCR towards `dts − PCR_DELAY` (never below 0). Consecutive PCRs stay at most 40 ms
	 * apart: PCR-only packets fill larger steps. A step of more than a second is a gap in the media,
	 * not time to fill, so the PCR jumps. `carried`: the PES about to be written holds the new PCR.
	 */
	#advanceClock(dts: number, carried: boolean): void {
		const target = Math.max(0, dts - PCR_DELAY);
		if (Number.isNaN(this.#pcr) || Math.abs(target - this.#pcr) > MAX_PCR_STEP) {
			this.#pcr = target;
			if (!carried) this.#writePcrPacket();
			return;
		}
		while (target - this.#pcr > PCR_INTERVAL) {
			this.#pcr += PCR_INTERVAL;
			this.#writePcrPacket();
		}
		if (carried) this.#pcr = Math.max(this.#pcr, target);
	}

	finish(): void {
		this.#flush();
	}

	/** PES header (§2.4.3.6) and payload into the PES buffer; returns its length. */
	#buildPes(stream: MuxedStream, packet: Packet, pts: number, dts: number): number {
		const pes = this.#pes;
		pes.length = 0;
		pes.reserve(19);
		const withDts = dts !== pts;
		let b = pes.bytes;
		b[0] = 0; // packet_start_code_prefix
		b[1] = 0;
		b[2] = 1;
		b[3] = stream.writer.streamId; // stream_id
		b[6] = 0x84; // '10', not scrambled, priority 0, data_alignment_indicator 1, no copyright, copy
		b[7] = withDts ? 0xc0 : 0x80; // PTS_DTS_flags, no other optional fields
		b[8] = withDts ? 10 : 5; // PES_header_data_length
		writeTimestamp(b, 9, withDts ? 0x3 : 0x2, pts);
		if (withDts) writeTimestamp(b, 14, 0x1, dts);
		pes.length = withDts ? 19 : 14;
		stream.writer.write(packet, pes);
		b = pes.bytes;
		// PES_packet_length, so readers can deliver the PES without waiting for the next one; video
		// past 65535 bytes uses 0, "unbounded", which only video streams may (§2.4.3.7)
		const length = pes.length - 6 > 0xffff ? 0 : pes.length - 6;
		b[4] = length >> 8;
		b[5] = length & 0xff;
		return pes.length;
	}

	/** Cuts the PES buffer into TS packets; the first carries PCR and random_access_indicator when asked. */
	#writePes(stream: MuxedStream, length: number, withPcr: boolean, randomAccess: boolean): void {
		const data = this.#pes.bytes;
		const source = data.buffer; // read once per PES: `.buffer` is a getter that calls into C++
		const base = data.byteOffset;
		const pid = stream.pid;
		let at = 0;
		let first = true;
		while (at < length) {
			const o = this.#nextPacket();
			const b = this.#batch;
			const flags = first ? (withPcr ? 0x10 : 0) | (randomAccess ? 0x40 : 0) : 0; // PCR_flag, random_access_indicator
			// adaptation field bytes including adaptation_field_length: flags (+ PCR), then stuffing for the last packet
			let adaptation = flags ? (withPcr ? 8 : 2) : 0;
			const room = PACKET_SIZE - 4 - adaptation;
			if (length - at < room) adaptation += room - (length - at);
			b[o] = 0x47; // sync_byte
			b[o + 1] = (first ? 0x40 : 0) | (pid >> 8); // payload_unit_start_indicator, PID
			b[o + 2] = pid & 0xff;
			b[o + 3] = (adaptation ? 0x30 : 0x10) | stream.continuity; // adaptation_field_control, continuity_counter
			stream.continuity = (stream.continuity + 1) & 0x0f;
			if (adaptation) this.#writeAdaptationField(o + 4, adaptation, flags);
			const start = o + 4 + adaptation;
			const count = o + PACKET_SIZE - start;
			copyFromBuffer(source, base + at, b, start, count);
			at += count;
			first = false;
		}
	}

	/** An adaptation field of `size` bytes at `at` (§2.4.3.4): length, flags, PCR if flagged, 0xFF stuffing. */
	#writeAdaptationField(at: number, size: number, flags: number): void {
		const b = this.#batch;
		b[at] = size - 1; // adaptation_field_length
		if (size === 1) return;
		b[at + 1] = flags;
		let w = at + 2;
		if (flags & 0x10) {
			writePcr(b, w, this.#pcr);
			w += 6;
		}
		b.fill(0xff, w, at + size); // stuffing_byte
	}

	/** A packet on the PCR PID with only an adaptation field and a PCR; the continuity_counter does not advance. */
	#writePcrPacket(): void {
		const stream = this.#pcrStream;
		const o = this.#nextPacket();
		const b = this.#batch;
		b[o] = 0x47; // sync_byte
		b[o + 1] = stream.pid >> 8; // PID
		b[o + 2] = stream.pid & 0xff;
		b[o + 3] = 0x20 | ((stream.continuity + 15) & 0x0f); // adaptation field only, the last counter used
		this.#writeAdaptationField(o + 4, PACKET_SIZE - 4, 0x10);
	}

	#writeTables(): void {
		this.#writePsi(this.#patPacket, this.#patContinuity);
		this.#patContinuity = (this.#patContinuity + 1) & 0x0f;
		this.#writePsi(this.#pmtPacket, this.#pmtContinuity);
		this.#pmtContinuity = (this.#pmtContinuity + 1) & 0x0f;
	}

	#writePsi(packet: Uint8Array, continuity: number): void {
		const o = this.#nextPacket();
		this.#batch.set(packet, o);
		this.#batch[o + 3] = 0x10 | continuity;
	}

	/** Offset of the next free packet slot in the batch, flushing a full batch first. */
	#nextPacket(): number {
		if (this.#batchLength === this.#batch.length) this.#flush();
		const offset = this.#batchLength;
		this.#batchLength += PACKET_SIZE;
		return offset;
	}

	#flush(): void {
		if (this.#batchLength === 0) return;
		this.#sink.write(this.#batch.subarray(0, this.#batchLength)); // the sink copies: the batch is reused
		this.stats.bytes += this.#batchLength;
		this.#batchLength = 0;
	}
}

/** A TS packet holding one whole PSI section: pointer_field 0, then 0xFF stuffing. */
const psiPacket = (pid: number, section: Uint8Array): Uint8Array => {
	if (section.length > PACKET_SIZE - 5) {
		throw new TapedeckError(
			'invalid_argument',
			`a ${section.length}-byte PSI section does not fit one TS packet (max ${PACKET_SIZE - 5}): too many tracks`,
		);
	}
	const packet = new Uint8Array(PACKET_SIZE).fill(0xff);
	packet[0] = 0x47; // sync_byte
	packet[1] = 0x40 | (pid >> 8); // payload_unit_start_indicator, PID
	packet[2] = pid & 0xff;
	packet[3] = 0x10; // payload only; continuity_counter set per write
	packet[4] = 0; // pointer_field
	packet.set(section, 5);
	return packet;
};

/**
 * A 33-bit PTS/DTS field (§2.4.3.7): 4-bit prefix, bits 32..30, marker, 29..15, marker, 14..0, marker.
 * Bit 32 is split off with division: bitwise operators would truncate to 32 bits.
 */
const writeTimestamp = (b: Uint8Array, at: number, prefix: number, value: number): void => {
	const v = ((value % TWO_POW_33) + TWO_POW_33) % TWO_POW_33;
	const low = v % 2 ** 30; // bits 29..0 fit a 32-bit integer
	b[at] = (prefix << 4) | (Math.floor(v / 2 ** 30) << 1) | 1;
	b[at + 1] = (low >> 22) & 0xff;
	b[at + 2] = ((low >> 14) & 0xfe) | 1;
	b[at + 3] = (low >> 7) & 0xff;
	b[at + 4] = ((low << 1) & 0xfe) | 1;
};

/** program_clock_reference (§2.4.3.5): 33-bit base at 90 kHz, 6 reserved bits, 9-bit extension 0. */
const writePcr = (b: Uint8Array, at: number, pcr: number): void => {
	const base = ((pcr % TWO_POW_33) + TWO_POW_33) % TWO_POW_33;
	b[at] = Math.floor(base / 2 ** 25) & 0xff;
	b[at + 1] = Math.floor(base / 2 ** 17) & 0xff;
	b[at + 2] = Math.floor(base / 2 ** 9) & 0xff;
	b[at + 3] = Math.floor(base / 2) & 0xff;
	b[at + 4] = ((base % 2) << 7) | 0x7e; // base bit 0, reserved '111111', extension bit 8 = 0
	b[at + 5] = 0; // extension bits 7..0
};
