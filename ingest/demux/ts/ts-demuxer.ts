import {
	type Demuxer,
	type DemuxStats,
	emptyDemuxStats,
	type MediaReceiver,
} from '../../../src/core/media-receiver.ts';
import { TimestampUnwrapper } from '../../../src/core/time.ts';
import type { CodecId, TrackKind } from '../../../src/core/track.ts';
import { type AudioFraming, ac3Framing, adtsFraming, mpegAudioFraming } from './audio-framing.ts';
import { codecOfStream, opusChannels } from './codec-of-stream.ts';
import type { ElementaryStream, StreamIdentity } from './elementary-stream.ts';
import { FramedAudioElementaryStream } from './framed-audio-elementary-stream.ts';
import { H26xAccessUnitReader } from './h26x-access-unit-reader.ts';
import { Mpeg2AccessUnitReader } from './mpeg2-access-unit-reader.ts';
import { OpusFraming } from './opus-framing.ts';
import { PesAssembler } from './pes-assembler.ts';
import { PsiSectionAssembler, type SectionListener } from './psi-section-assembler.ts';
import { type ElementaryStreamInfo, PAT_PID, type ProgramMap, parsePat, parsePmt } from './psi-tables.ts';
import { TrackGate } from './track-gate.ts';
import { TS_PACKET_SIZE, type TsPacketListener, TsPacketReader } from './ts-packet-reader.ts';
import { VideoElementaryStream } from './video-elementary-stream.ts';

/** Every 13-bit PID. */
const PID_COUNT = 8192;

/** One elementary stream of the program map that tapedeck reads. */
type DemuxedStream = { readonly codec: CodecId; readonly identity: StreamIdentity; readonly pes: PesAssembler };

/**
 * MPEG-TS demuxer (ISO/IEC 13818-1): bytes in any split → tracks and access units in the
 * canonical payload form. Reads the first program of the PAT; follows PMT version changes
 * by announcing the new track set; unwraps 33-bit PTS/DTS on one timeline for the whole
 * program; counts continuity gaps, CRC failures and unparsable units in `stats` instead of
 * throwing.
 *
 * Memory contract: the inner loop allocates nothing per TS packet. Each PID assembles its PES
 * into one reusable buffer, and the `Packet.data` handed to `receiver.push` is a view of that
 * buffer (rewritten in place from Annex B where possible): it is valid only during the call.
 * A receiver that keeps a packet past `push` must copy `data`. Only packets buffered before the
 * first announcement (see TrackGate) are copies.
 */
export class TsDemuxer implements Demuxer, TsPacketListener, SectionListener {
	readonly stats: DemuxStats = emptyDemuxStats();
	readonly #reader: TsPacketReader;
	readonly #gate: TrackGate;
	readonly #clock = new TimestampUnwrapper(33);
	/** The consumer of each PID's payloads: PES assemblers, and PAT/PMT section assemblers (apart, so calls stay monomorphic). */
	readonly #pes: (PesAssembler | undefined)[] = new Array(PID_COUNT);
	readonly #psi: (PsiSectionAssembler | undefined)[] = new Array(PID_COUNT);
	/** Last continuity_counter per PID, −1 before the first packet. */
	readonly #continuity = new Int8Array(PID_COUNT).fill(-1);
	/** PID of the last packet given to a consumer. */
	#lastPid = -1;
	#pmtPid = -1;
	#pmtVersion = -1;
	readonly #streams = new Map<number, DemuxedStream>();
	/** Track identity per kind and PID, kept across PMT versions so ids and names stay stable. */
	readonly #identities = new Map<string, StreamIdentity>();
	readonly #kindCounts = new Map<TrackKind, number>();

	constructor(receiver: MediaReceiver) {
		this.#reader = new TsPacketReader(this, this.stats);
		this.#gate = new TrackGate(receiver, this.stats);
		this.#psi[PAT_PID] = new PsiSectionAssembler(PAT_PID, this);
	}

	push(chunk: Uint8Array): void {
		this.stats.bytes += chunk.length;
		this.#reader.push(chunk);
	}

	end(): void {
		this.#reader.end();
		for (const stream of this.#streams.values()) stream.pes.end();
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
		if (!pes && !psi) return;
		this.#lastPid = pid;
		const b3 = data[offset + 3]!;
		const adaptationFieldControl = (b3 >> 4) & 3;
		let start = offset + 4;
		let discontinuityIndicator = false;
		if (adaptationFieldControl & 2) {
			const length = data[start]!; // adaptation_field_length
			if (length > 0) discontinuityIndicator = (data[start + 1]! & 0x80) !== 0;
			start += 1 + length;
		}
		if (!(adaptationFieldControl & 1)) return; // no payload: the counter does not advance
		const end = offset + TS_PACKET_SIZE;
		const counter = b3 & 0x0f;
		const last = this.#continuity[pid]!;
		this.#continuity[pid] = counter;
		if (last >= 0 && counter !== ((last + 1) & 0x0f) && !discontinuityIndicator) {
			if (counter === last) return; // a duplicate packet (§2.4.3.3): sent twice, read once
			this.stats.discontinuities++;
			if (pes) pes.discontinuity((b1 & 0x40) !== 0);
			else psi!.discontinuity();
		}
		if (start >= end) {
			if (start > end) this.stats.skippedBytes += TS_PACKET_SIZE; // adaptation field longer than the packet
			return;
		}
		const unitStart = (b1 & 0x40) !== 0;
		if (pes) pes.payload(data, start, end, unitStart);
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
			const pmtPid = parsePat(section, length);
			if (pmtPid !== undefined && pmtPid !== this.#pmtPid) this.#followPmt(pmtPid);
		} else if (pid === this.#pmtPid) {
			const map = parsePmt(section, length);
			if (map && map.version !== this.#pmtVersion) this.#applyProgramMap(map);
		}
	}

	sectionLost(): void {
		this.stats.droppedUnits++;
	}

	#followPmt(pmtPid: number): void {
		if (this.#pmtPid >= 0) this.#psi[this.#pmtPid] = undefined;
		this.#pmtPid = pmtPid;
		this.#pmtVersion = -1;
		this.#psi[pmtPid] = new PsiSectionAssembler(pmtPid, this);
		this.#continuity[pmtPid] = -1;
	}

	/** A new program map: keep streams whose PID and codec stay, flush and drop the others, add new ones. */
	#applyProgramMap(map: ProgramMap): void {
		this.#pmtVersion = map.version;
		const kept = new Map<number, DemuxedStream>();
		for (const info of map.streams) {
			const codec = codecOfStream(info);
			if (!codec || info.pid === PAT_PID || info.pid === this.#pmtPid || kept.has(info.pid)) continue;
			const existing = this.#streams.get(info.pid);
			kept.set(info.pid, existing?.codec === codec ? existing : this.#openStream(info, codec));
		}
		for (const [pid, stream] of this.#streams) {
			if (kept.get(pid) === stream) continue;
			stream.pes.end();
			if (!kept.has(pid)) this.#pes[pid] = undefined;
		}
		this.#streams.clear();
		for (const [pid, stream] of kept) {
			this.#streams.set(pid, stream);
			this.#pes[pid] = stream.pes;
		}
		this.#gate.setStreams([...kept.values()].map((stream) => stream.identity.id));
	}

	#openStream(info: ElementaryStreamInfo, codec: CodecId): DemuxedStream {
		const pid = info.pid;
		const kind: TrackKind = codec === 'h264' || codec === 'h265' || codec === 'mpeg2video' ? 'video' : 'audio';
		const key = `${kind}:${pid}`;
		let identity = this.#identities.get(key);
		if (!identity) {
			const count = (this.#kindCounts.get(kind) ?? 0) + 1;
			this.#kindCounts.set(kind, count);
			identity = { id: this.#identities.size + 1, name: count === 1 ? kind : `${kind}${count}`, pid };
			this.#identities.set(key, identity);
		}
		this.#continuity[pid] = -1;
		const es = this.#createElementaryStream(info, codec, identity);
		return { codec, identity, pes: new PesAssembler(es, this.#clock, this.stats) };
	}

	#createElementaryStream(info: ElementaryStreamInfo, codec: CodecId, identity: StreamIdentity): ElementaryStream {
		const audio = (framing: AudioFraming) => new FramedAudioElementaryStream(framing, identity, this.#gate, this.stats);
		switch (codec) {
			case 'h264':
			case 'h265':
				return new VideoElementaryStream(new H26xAccessUnitReader(codec, identity, this.#gate, this.stats), this.stats);
			case 'mpeg2video':
				return new VideoElementaryStream(new Mpeg2AccessUnitReader(identity, this.#gate, this.stats), this.stats);
			case 'mp3':
				return audio(mpegAudioFraming);
			case 'ac3':
				return audio(ac3Framing);
			case 'opus':
				return audio(new OpusFraming(opusChannels(info)));
			default:
				return audio(adtsFraming);
		}
	}
}
