import { GrowableBuffer } from '../../src/bytes/growable-buffer.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import { rescale } from '../../src/core/time.ts';
import type { Track, TrackKind } from '../../src/core/track.ts';
import type { Sink } from '../../src/sink/sink.ts';
import { isLeftOut } from '../codec-carriers.ts';
import { CONTINUED, type Muxer, type MuxerOptions, type MuxerStats, type TrackUpdate } from '../muxer.ts';
import { createEsPayloadWriter, type EsPayloadWriter } from './es-payload-writer.ts';
import { buildPatSection, buildPmtSection } from './psi-sections.ts';
import { writeTimestamp } from './ts-fields.ts';
import { DISCONTINUITY, PCR_FLAG, type PidState, RANDOM_ACCESS, TsPacketWriter } from './ts-packet-writer.ts';

const PROGRAM_NUMBER = 1;
/** PIDs as ffmpeg assigns them: PMT 0x1000, elementary streams from 0x100. */
const PAT_PID = 0;
const PMT_PID = 0x1000;
const FIRST_STREAM_PID = 0x100;
/** PAT and PMT are repeated at least this often (100 ms at 90 kHz), and before every video keyframe. */
const TABLE_INTERVAL = 9000;
/** Largest step between consecutive PCR values (ISO/IEC 13818-1 §2.7.2 allows 100 ms; 40 ms is the DVB rule). */
const PCR_INTERVAL = 3600;
/**
 * The mux delay, 500 ms: every PTS and DTS is written this much later than given, and the PCR
 * follows the DTS as given, so it runs this far ahead of what it must deliver: the decoder's
 * buffering time, and room for sources that interleave audio a few hundred ms ahead of video
 * (the PCR must not pass a DTS still to come). ffmpeg does the same with 1.4 s. Timestamps from
 * 0 thus give a first PCR of 0 and a first DTS of 0.5 s, and the PCR never stands still.
 */
export const MUX_DELAY = 45_000;
/** A PCR step larger than this (1 s) is a gap in the media: the PCR jumps instead of being filled in. */
const MAX_PCR_STEP = 90_000;
/** Largest PSI section (section_length ≤ 1021, ISO/IEC 13818-1 §2.4.4.11). */
const MAX_SECTION_BYTES = 1024;

type MuxedStream = PidState & {
	track: Track;
	writer: EsPayloadWriter;
	/** Counts tracks of the same kind before this one: its PES stream_id. */
	readonly ordinal: number;
};

/**
 * MPEG-TS muxer (ISO/IEC 13818-1): one program, PAT/PMT with CRC repeated every 100 ms and before
 * each video keyframe, PCR on the first video PID (or the first track) in the PES of that PID
 * that move it forward, with PCR-only packets where consecutive values would be more than 40 ms
 * apart; one PES per packet with PTS (and DTS when it differs), or whole sections for section
 * streams (SCTE-35). Timestamps are rescaled to 90 kHz and written `MUX_DELAY` later, modulo 2^33.
 * A track re-announced or announced late (`updateTrack`) carries on in the same file under a new
 * PMT version.

 */
export class TsMuxer implements Muxer {
	readonly format = 'ts' as const;
	readonly stats: MuxerStats = { packets: new Map(), bytes: 0 };
	readonly #packets: TsPacketWriter;
	readonly #streams = new Map<number, MuxedStream>();
	readonly #ordinals: Record<TrackKind, number> = { video: 0, audio: 0, data: 0 };
	/** The stream whose PID carries the PCR. */
	readonly #pcrStream: MuxedStream;
	readonly #pat: PidState = { pid: PAT_PID, continuity: 0 };
	readonly #pmt: PidState = { pid: PMT_PID, continuity: 0 };
	readonly #patSection = buildPatSection(PROGRAM_NUMBER, PMT_PID);
	#pmtSection: Uint8Array;
	#pmtVersion = 0;
	/** The PES (or section) being packetized: header then payload. */
	readonly #pes = new GrowableBuffer(1 << 16);
	/** Latest DTS written on any track (90 kHz). */
	#clock = Number.NEGATIVE_INFINITY;
	/** #clock when the tables were last written; NaN after the header, before the first packet. */
	#tablesAt = Number.NEGATIVE_INFINITY;
	/** Last PCR written (90 kHz), NaN before the first. */
	#pcr = Number.NaN;
	/** The next PCR follows a jump: its packet says so with discontinuity_indicator. */
	#pcrJumped = false;

	constructor(tracks: readonly Track[], sink: Sink, _options: MuxerOptions = {}) {
		if (tracks.length === 0) throw new TapedeckError('invalid_argument', 'a TS file needs at least one track, got 0');
		this.#packets = new TsPacketWriter(sink);
		for (const track of tracks) this.#addStream(track, createEsPayloadWriter(track, this.#ordinals[track.kind]));
		const streams = [...this.#streams.values()];
		this.#pcrStream = streams.find((s) => s.track.kind === 'video') ?? streams[0]!;
		const pmt = this.#buildPmt(0);
		if (pmt.length > MAX_SECTION_BYTES) {
			throw new TapedeckError(
				'invalid_argument',
				`${tracks.length} tracks make a PMT of ${pmt.length} bytes, more than 1024`,
			);
		}
		this.#pmtSection = pmt;
	}

	writeHeader(): void {
		this.#writeTables();
		this.#tablesAt = Number.NaN;
	}

	updateTrack(track: Track): TrackUpdate {
		if (isLeftOut(this.format, track)) return CONTINUED;
		const existing = this.#streams.get(track.id);
		if (existing && existing.track.kind !== track.kind) {
			return { outcome: 'new-file', reason: `track ${track.id} changed from ${existing.track.kind} to ${track.kind}` };
		}
		let writer: EsPayloadWriter;
		try {
			writer = createEsPayloadWriter(track, existing?.ordinal ?? this.#ordinals[track.kind]);
		} catch (error) {
			return { outcome: 'new-file', reason: (error as Error).message };
		}
		if (existing) {
			existing.track = track;
			existing.writer = writer;
		} else {
			this.#addStream(track, writer);
		}
		const pmt = this.#buildPmt(this.#pmtVersion);
		if (!sameBytes(pmt, this.#pmtSection)) {
			this.#pmtVersion = (this.#pmtVersion + 1) % 32;
			this.#pmtSection = this.#buildPmt(this.#pmtVersion);
			if (!Number.isNaN(this.#tablesAt)) this.#writeTables(); // the new PMT precedes the track's packets
		}
		return CONTINUED;
	}

	writePacket(packet: Packet): void {
		const stream = this.#streams.get(packet.trackId);
		if (!stream) return;
		const count = (this.stats.packets.get(packet.trackId) ?? 0) + 1;
		if (stream.writer.sections) {
			this.#pes.length = 0;
			stream.writer.write(packet, this.#pes);
			this.#packets.writeSection(stream, this.#pes.bytes, this.#pes.length);
			this.stats.packets.set(packet.trackId, count);
			return;
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
		// a DTS below 0 (B-frames decoding before a timeline that starts at the first presentation) is
		// written inside the mux delay; the PCR, which cannot go below 0, waits at 0 for it
		const withPcr = this.#advanceClock(Math.max(0, dts), stream === this.#pcrStream);
		const length = this.#buildPes(stream, packet, pts + MUX_DELAY, dts + MUX_DELAY);
		const flags = (withPcr ? PCR_FLAG | this.#pcrFlags() : 0) | (packet.keyframe ? RANDOM_ACCESS : 0);
		this.#packets.writePes(stream, this.#pes.bytes, length, flags, this.#pcr);
		this.stats.packets.set(packet.trackId, count);
		this.stats.bytes = this.#packets.written;
	}

	finish(): void {
		this.#packets.flush();
		this.stats.bytes = this.#packets.written;
	}

	#addStream(track: Track, writer: EsPayloadWriter): void {
		const pid = FIRST_STREAM_PID + this.#streams.size;
		this.#streams.set(track.id, { track, pid, writer, continuity: 0, ordinal: this.#ordinals[track.kind]++ });
		this.stats.packets.set(track.id, 0);
	}

	#buildPmt(version: number): Uint8Array {
		const streams = [...this.#streams.values()];
		const programDescriptors = new GrowableBuffer(16);
		for (const s of streams) programDescriptors.append(s.writer.programDescriptors);
		return buildPmtSection(
			PROGRAM_NUMBER,
			version,
			this.#pcrStream.pid,
			programDescriptors.view(),
			streams.map((s) => ({ streamType: s.writer.streamType, pid: s.pid, descriptors: s.writer.descriptors })),
		);
	}

	/**
	 * Moves the PCR towards `dts` (the DTS as given: `MUX_DELAY` behind what is written).
	 * Consecutive PCRs stay at most 40 ms apart: PCR-only packets fill larger steps. A step of more
	 * than a second either way is a gap or a jump in the media, not time to fill: the PCR jumps,
	 * flagged as a discontinuity. Returns whether the PES about to be written on `onPcrPid` carries
	 * the new PCR: only when it moves forward, so PCR values always increase.
	 */
	#advanceClock(dts: number, onPcrPid: boolean): boolean {
		if (Number.isNaN(this.#pcr) || Math.abs(dts - this.#pcr) > MAX_PCR_STEP) {
			this.#pcrJumped = !Number.isNaN(this.#pcr);
			this.#pcr = dts;
			if (!onPcrPid) this.#writePcrPacket();
			return onPcrPid;
		}
		while (dts - this.#pcr > PCR_INTERVAL) {
			this.#pcr += PCR_INTERVAL;
			this.#writePcrPacket();
		}
		if (!onPcrPid || dts <= this.#pcr) return false;
		this.#pcr = dts;
		return true;
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

	#writeTables(): void {
		this.#packets.writeSection(this.#pat, this.#patSection);
		this.#packets.writeSection(this.#pmt, this.#pmtSection);
	}

	/** A PCR-only packet on the PCR PID with the current PCR. */
	#writePcrPacket(): void {
		this.#packets.writePcrOnly(this.#pcrStream, this.#pcr, this.#pcrFlags());
	}

	/** discontinuity_indicator on the first PCR after a jump. */
	#pcrFlags(): number {
		const flags = this.#pcrJumped ? DISCONTINUITY : 0;
		this.#pcrJumped = false;
		return flags;
	}
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
