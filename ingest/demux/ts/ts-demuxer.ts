import { TS_PACKET_SIZE, TsStreamType } from '../../../src/codec/mpeg-ts.ts';
import {
	type Demuxer,
	type DemuxStats,
	emptyDemuxStats,
	type MediaReceiver,
} from '../../../src/core/media-receiver.ts';
import { TimestampUnwrapper } from '../../../src/core/time.ts';
import type { CodecId } from '../../../src/core/track.ts';
import { codecOfStream, identifiedByPayload, kindOfCodec } from './codec-of-stream.ts';
import { createElementaryStream } from './create-elementary-stream.ts';
import { DataElementaryStream } from './data-elementary-stream.ts';
import type { ElementaryStream, StreamIdentity } from './elementary-stream.ts';
import { PesAssembler, type TimestampJumpListener } from './pes-assembler.ts';
import { type ProgramDescription, ProgramSelector } from './program-selector.ts';
import { PsiSectionAssembler, type SectionListener } from './psi-section-assembler.ts';
import { type ElementaryStreamInfo, PAT_PID, type ProgramMap, parsePat, parsePmt } from './psi-tables.ts';
import { type SniffedStreamFactory, SniffingElementaryStream } from './sniffing-elementary-stream.ts';
import { TrackGate } from './track-gate.ts';
import { type TsPacketListener, TsPacketReader } from './ts-packet-reader.ts';

/** Every 13-bit PID. */
const PID_COUNT = 8192;

/** Adaptation field bytes before any stuffing (§2.4.3.4): the flags byte, PCR and OPCR (6 each), splice_countdown. */
const stuffingFree = (flags: number): number =>
	1 + (flags & 0x10 ? 6 : 0) + (flags & 0x08 ? 6 : 0) + (flags & 0x04 ? 1 : 0);

/** One elementary stream of the program map that tapedeck reads: PES, or sections (SCTE-35). */
type DemuxedStream = {
	/** 'sniffed': a private PES whose content will tell (see SniffingElementaryStream). */
	readonly codec: CodecId | 'sniffed';
	readonly identity: StreamIdentity;
	readonly pes: PesAssembler | undefined;
	readonly sections: PsiSectionAssembler | undefined;
	readonly data: DataElementaryStream | undefined;
};

export type TsDemuxerOptions = {
	/** program_number of the program to record; default: the first program with video, else the first. */
	readonly program?: number;
};

/**
 * MPEG-TS demuxer (ISO/IEC 13818-1): bytes in any split (188-, 192- or 204-byte packets) → tracks
 * and access units in the canonical payload form. Reads every program of the PAT and records one
 * (see ProgramSelector); follows PMT version changes by announcing the new track set; unwraps
 * 33-bit PTS/DTS on one timeline for the program; counts continuity gaps, CRC failures and
 * unparsable units in `stats` and says what did not reach the bus through `receiver.warn`.
 * Timestamp jumps (a PCR discontinuity_indicator, a DTS step back or far ahead) are passed on as
 * 'timestamp_jump' warnings, just before the first packet after them; the timestamps stay those of
 * the input, unwrapped, so the receiver re-origins all tracks together.
 *
 * Memory contract: the inner loop allocates nothing per TS packet. Each PID assembles its PES
 * into one reusable buffer, and the `Packet.data` handed to `receiver.push` is a view of that
 * buffer (rewritten in place from Annex B where possible): it is valid only during the call.
 * A receiver that keeps a packet past `push` must copy `data`. Only packets buffered before the
 * first announcement (see TrackGate) are copies.
 */
export class TsDemuxer
	implements Demuxer, TsPacketListener, SectionListener, TimestampJumpListener, SniffedStreamFactory
{
	readonly stats: DemuxStats = emptyDemuxStats();
	readonly #reader: TsPacketReader;
	readonly #gate: TrackGate;
	readonly #selector: ProgramSelector;
	readonly #clock = new TimestampUnwrapper(33);
	/** The consumer of each PID's payloads: PES assemblers, and section assemblers (apart, so calls stay monomorphic). */
	readonly #pes: (PesAssembler | undefined)[] = new Array(PID_COUNT);
	readonly #psi: (PsiSectionAssembler | undefined)[] = new Array(PID_COUNT);
	/** Last continuity_counter per PID, −1 before the first packet. */
	readonly #continuity = new Int8Array(PID_COUNT).fill(-1);
	/** PID of the last packet given to a consumer. */
	#lastPid = -1;
	readonly #pmtPids = new Set<number>();
	#pcrPid = -1;
	/** Last PCR base (90 kHz, 33 bits) of the recorded program; NaN before the first. */
	#pcr = Number.NaN;
	readonly #streams = new Map<number, DemuxedStream>();
	/** Track identity per kind and PID, kept across PMT versions so ids and names stay stable. */
	readonly #identities = new Map<string, StreamIdentity>();
	readonly #kindCounts = new Map<string, number>();

	constructor(receiver: MediaReceiver, options: TsDemuxerOptions = {}) {
		this.#reader = new TsPacketReader(this, this.stats);
		this.#gate = new TrackGate(receiver, this.stats);
		this.#selector = new ProgramSelector(options.program, (warning) => this.#gate.warn(warning));
		this.#psi[PAT_PID] = new PsiSectionAssembler(PAT_PID, this);
	}

	/** Every program of the PAT with its streams, which are carried and why not (for `probe`). */
	get programs(): readonly ProgramDescription[] {
		return this.#selector.describe();
	}

	/** Bytes per packet unit in the input: 188, 192 (M2TS) or 204 (with parity). */
	get packetSize(): number {
		return this.#reader.packetSize;
	}

	push(chunk: Uint8Array): void {
		this.stats.bytes += chunk.length;
		this.#reader.push(chunk);
	}

	end(): void {
		this.#reader.end();
		for (const stream of this.#streams.values()) stream.pes?.end();
		this.#gate.end();
	}

	/** One TS packet (§2.4.3.2): header, optional adaptation field, payload to the PID's consumer. */
	tsPacket(data: Uint8Array, offset: number): void {
		const b1 = data[offset + 1]!;
		if (b1 & 0x80) {
			this.stats.skippedBytes += TS_PACKET_SIZE; // transport_error_indicator: the packet is damaged
			return;
		}
		const pid = ((b1 & 0x1f) << 8) | data[offset + 2]!;
		const pes = this.#pes[pid];
		const psi = pes ? undefined : this.#psi[pid];
		const b3 = data[offset + 3]!;
		const adaptationFieldControl = (b3 >> 4) & 3;
		if (pid === this.#pcrPid && adaptationFieldControl & 2) this.#clockReference(data, offset + 4);
		if (!pes && !psi) return;
		this.#lastPid = pid;
		let start = offset + 4;
		let discontinuityIndicator = false;
		let stuffed = false;
		if (adaptationFieldControl & 2) {
			const length = data[start]!; // adaptation_field_length
			if (length > 0) {
				const flags = data[start + 1]!;
				discontinuityIndicator = (flags & 0x80) !== 0;
				stuffed = (flags & 0x03) === 0 && length > stuffingFree(flags); // no private data or extension to tell apart
			} else {
				stuffed = true; // an empty adaptation field is one byte of stuffing
			}
			start += 1 + length;
		}
		if (!(adaptationFieldControl & 1)) return; // no payload: the counter does not advance
		const end = offset + TS_PACKET_SIZE;
		const counter = b3 & 0x0f;
		const last = this.#continuity[pid]!;
		this.#continuity[pid] = counter;
		const unitStart = (b1 & 0x40) !== 0;
		if (last >= 0 && counter !== ((last + 1) & 0x0f) && !discontinuityIndicator) {
			if (counter === last) return; // a duplicate packet (§2.4.3.3): sent twice, read once
			this.stats.discontinuities++;
			if (pes) pes.discontinuity(unitStart);
			else psi!.discontinuity();
		}
		if (start >= end) {
			if (start > end) this.stats.skippedBytes += TS_PACKET_SIZE; // adaptation field longer than the packet
			return;
		}
		if (pes) pes.payload(data, start, end, unitStart, stuffed);
		else psi!.payload(data, start, end, unitStart);
	}

	/** The packet before a sync loss may hold bytes of something else: drop what its PID was assembling. */
	syncLost(): void {
		this.stats.discontinuities++;
		if (this.#lastPid < 0) return;
		const pes = this.#pes[this.#lastPid];
		if (pes) pes.discontinuity(false);
		else this.#psi[this.#lastPid]?.discontinuity();
	}

	section(pid: number, section: Uint8Array, length: number): void {
		if (pid === PAT_PID) {
			const entries = parsePat(section, length);
			if (entries) this.#followPat(this.#selector.setPat(entries).map((entry) => entry.pmtPid));
			return;
		}
		const data = this.#streams.get(pid)?.data;
		if (data) {
			data.section(section.subarray(0, length), this.#now());
			return;
		}
		const map = this.#pmtPids.has(pid) ? parsePmt(section, length) : undefined;
		const selected = map && this.#selector.setPmt(pid, map);
		if (selected) this.#applyProgramMap(selected);
	}

	sectionLost(): void {
		this.stats.droppedUnits++;
	}

	timestampJump(identity: StreamIdentity, from: number, to: number): void {
		const seconds = (ticks: number) => (ticks / 90_000).toFixed(3);
		this.#gate.warn({
			code: 'timestamp_jump',
			message: `${identity.name} (PID ${identity.pid}): DTS jumps from ${seconds(from)} s to ${seconds(to)} s; timestamps kept as in the input`,
		});
	}

	/** PCR (§2.4.3.5) of the recorded program, and its discontinuity_indicator: a new time base. */
	#clockReference(data: Uint8Array, at: number): void {
		const length = data[at]!;
		if (length === 0) return;
		const flags = data[at + 1]!;
		if (flags & 0x80 && !Number.isNaN(this.#pcr)) {
			this.#gate.warn({
				code: 'timestamp_jump',
				message: `PCR PID ${this.#pcrPid}: discontinuity_indicator, a new time base; timestamps kept as in the input`,
			});
		}
		if (flags & 0x10 && length >= 7) {
			// program_clock_reference_base, 33 bits
			this.#pcr =
				data[at + 2]! * 2 ** 25 +
				((data[at + 3]! << 17) | (data[at + 4]! << 9) | (data[at + 5]! << 1) | (data[at + 6]! >> 7));
		}
	}

	/** The time of the program now: the last video DTS, else the last PCR (for data sections, which carry none). */
	#now(): number {
		for (const stream of this.#streams.values()) {
			const video = stream.codec !== 'sniffed' && kindOfCodec(stream.codec) === 'video';
			if (video && stream.pes && !Number.isNaN(stream.pes.lastDts)) return stream.pes.lastDts;
		}
		return Number.isNaN(this.#pcr) ? Number.NaN : this.#clock.unwrap(this.#pcr);
	}

	#followPat(pmtPids: readonly number[]): void {
		for (const pid of this.#pmtPids) {
			if (!pmtPids.includes(pid)) {
				this.#psi[pid] = undefined;
				this.#pmtPids.delete(pid);
			}
		}
		for (const pid of pmtPids) {
			if (this.#pmtPids.has(pid) || pid === PAT_PID) continue;
			this.#pmtPids.add(pid);
			this.#psi[pid] = new PsiSectionAssembler(pid, this);
			this.#continuity[pid] = -1;
		}
	}

	/** A new program map: keep streams whose PID and codec stay, flush and drop the others, add new ones. */
	#applyProgramMap(map: ProgramMap): void {
		this.#pcrPid = map.pcrPid;
		const kept = new Map<number, DemuxedStream>();
		for (const info of map.streams) {
			const codec = codecOfStream(info) ?? (identifiedByPayload(info) ? 'sniffed' : undefined);
			if (!codec || info.pid === PAT_PID || this.#pmtPids.has(info.pid) || kept.has(info.pid)) continue;
			const existing = this.#streams.get(info.pid);
			kept.set(info.pid, existing?.codec === codec ? existing : this.#openStream(info, codec));
		}
		for (const [pid, stream] of this.#streams) {
			if (kept.get(pid) === stream) continue;
			stream.pes?.end();
			if (!kept.has(pid)) {
				this.#pes[pid] = undefined;
				this.#psi[pid] = undefined;
			}
		}
		this.#streams.clear();
		for (const [pid, stream] of kept) {
			this.#streams.set(pid, stream);
			this.#pes[pid] = stream.pes;
			this.#psi[pid] = stream.sections;
		}
		this.#gate.setStreams([...kept.values()].map((stream) => stream.identity.id));
		for (const stream of kept.values()) stream.data?.configure();
	}

	#openStream(info: ElementaryStreamInfo, codec: CodecId | 'sniffed'): DemuxedStream {
		const pid = info.pid;
		const kind = codec === 'sniffed' ? 'audio' : kindOfCodec(codec);
		const key = `${kind}:${pid}`;
		let identity = this.#identities.get(key);
		if (!identity) {
			const count = (this.#kindCounts.get(kind) ?? 0) + 1;
			this.#kindCounts.set(kind, count);
			identity = { id: this.#identities.size + 1, name: count === 1 ? kind : `${kind}${count}`, pid };
			this.#identities.set(key, identity);
		}
		this.#continuity[pid] = -1;
		if (kind === 'data' && codec !== 'sniffed') {
			const data = new DataElementaryStream(codec, identity, this.#gate, this.stats);
			return { codec, identity, pes: undefined, sections: new PsiSectionAssembler(pid, this), data };
		}
		const es =
			codec === 'sniffed'
				? new SniffingElementaryStream(identity, this.#gate, this.stats, this)
				: createElementaryStream(info, codec, identity, this.#gate, this.stats);
		const pes = new PesAssembler(es, this.#clock, this.stats, identity, this);
		return { codec, identity, pes, sections: undefined, data: undefined };
	}

	sniffedStream(codec: CodecId, identity: StreamIdentity): ElementaryStream {
		this.#selector.sniffed(identity.pid, codec);
		const info: ElementaryStreamInfo = {
			streamType: TsStreamType.PrivatePes,
			pid: identity.pid,
			descriptors: [],
			programDescriptors: [],
		};
		return createElementaryStream(info, codec, identity, this.#gate, this.stats);
	}
}
