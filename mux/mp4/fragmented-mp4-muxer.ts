/**
 * Fragmented MP4 (ISO/IEC 14496-12 §8.8): an init segment (ftyp + moov with mvex), then one
 * moof + mdat per fragment, each handed to the sink as soon as it closes, so a killed process
 * loses at most the fragment being built (`defragmentMp4` turns what is left into a
 * progressive file).
 *
 * Fragments are cut on the first video track's keyframes, at the last keyframe before the
 * fragment would pass `fragmentDurationMs` (default 2000; judged with the previous GOP's length),
 * so each fragment starts with a sync sample. Audio-only streams are cut by duration. A fragment
 * that grows past four targets without a keyframe (video stalled) is cut anyway.
 *
 * Timeline: the file keeps the one it is given. tfdt is each sample's DTS as it comes (the
 * recorder's rebaser makes it start at ~0, or carry on from the previous file under `continuity`)
 * and composition offsets stay PTS − DTS (version 1 trun, so offsets may be signed). The A/V
 * offset of the source thus lives in tfdt, without edit lists, which players of fragmented files
 * often ignore. (Shifting offsets negative to hide the B-frame delay instead is what CMAF does,
 * but ffmpeg 5.1 then moves those tracks' PTS later by the largest negative offset.) A track
 * whose first DTS is below 0 (a timeline whose 0 is the earliest presentation time, so B-frames
 * decode before it, as ffmpeg sets it up) is written that much later in tfdt, and the init
 * segment's edit list (media_time) takes it back, as ffmpeg writes it; a later DTS below what that
 * covers cannot be written: dropped and counted, like any that does not increase.
 *
 * A sample's duration is the distance to the next sample's DTS, so the newest sample of each
 * track waits for its successor and moves to the next fragment; only the last sample of the
 * stream takes the packet's own duration (or the previous delta).
 */
import { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import type { Sink } from '../../src/sink/sink.ts';
import { isLeftOut } from '../codec-carriers.ts';
import {
	CONTINUED,
	type ContainerFormat,
	type Muxer,
	type MuxerOptions,
	type MuxerStats,
	type TrackUpdate,
} from '../muxer.ts';
import { AC3_HEADER_BYTES } from './ac3-specific-box.ts';
import { BoxWriter } from './box-writer.ts';
import { BRANDS } from './brands.ts';
import { type TrackRun, writeMovieFragment } from './fragment-box.ts';
import { writeFileType, writeMovie } from './movie-box.ts';
import { checkTrackForMp4, sampleDescription } from './sample-description.ts';
import { SampleTable } from './sample-table.ts';

const DEFAULT_FRAGMENT_MS = 2000;
/** A fragment this many targets long is cut even without a keyframe. */
const FORCED_CUT_FACTOR = 4;

type FragmentTrack = {
	readonly track: Track;
	/** Samples buffered for the fragment being built. */
	readonly samples: SampleTable;
	/** Their payload, back to back. */
	data: Uint8Array;
	dataLength: number;
	/** DTS of the newest sample, across fragments. */
	lastDts: number;
	/** Target fragment length in track ticks. */
	readonly targetTicks: number;
	/** DTS of the previous keyframe (GOP length estimate), driver track only. */
	lastKeyframeDts: number | undefined;
	gopTicks: number;
	firstFrame: Uint8Array | undefined;
	/** Ticks added to every DTS for tfdt, taken back by the init's edit list: the first DTS's distance below 0. */
	decodeOffset: number;
};

export class FragmentedMp4Muxer implements Muxer {
	readonly format: ContainerFormat = 'fmp4';
	readonly stats: MuxerStats = { packets: new Map(), bytes: 0 };
	readonly #sink: Sink;
	readonly #tracks: FragmentTrack[];
	readonly #byId = new Map<number, FragmentTrack>();
	/** The track whose keyframes cut fragments: the first video track, else the first track. */
	readonly #driver: FragmentTrack | undefined;
	readonly #writer = new BoxWriter(1 << 14);
	#sequence = 0;
	#dropped = 0;
	#state: 'new' | 'writing' | 'finished' = 'new';
	#initWritten = false;

	constructor(tracks: readonly Track[], sink: Sink, options: MuxerOptions = {}) {
		const fragmentMs = options.fragmentDurationMs ?? DEFAULT_FRAGMENT_MS;
		if (!Number.isFinite(fragmentMs) || fragmentMs <= 0) {
			throw new TapedeckError('invalid_argument', `fragmentDurationMs must be a positive number, got ${fragmentMs}`);
		}
		// Data tracks (ID3, SCTE-35) have no sample entry here: they are left out, their packets counted as dropped.
		const media = tracks.filter((track) => track.kind !== 'data');
		for (const track of media) checkTrackForMp4(track, 'fmp4');
		this.#sink = sink;
		this.#tracks = media.map((track) => ({
			track,
			samples: new SampleTable(),
			data: new Uint8Array(1 << 16),
			dataLength: 0,
			lastDts: Number.NEGATIVE_INFINITY,
			targetTicks: Math.round((fragmentMs * track.timescale) / 1000),
			lastKeyframeDts: undefined,
			gopTicks: 0,
			firstFrame: undefined,
			decodeOffset: 0,
		}));
		for (const state of this.#tracks) {
			this.#byId.set(state.track.id, state);
			this.stats.packets.set(state.track.id, 0);
		}
		this.#driver = this.#tracks.find((t) => t.track.kind === 'video') ?? this.#tracks[0];
	}

	/** Fragments (moof + mdat) handed to the sink so far. */
	get fragmentsWritten(): number {
		return this.#sequence;
	}

	/** Packets dropped: unknown or data track, or a DTS that is negative or does not increase. */
	get droppedPackets(): number {
		return this.#dropped;
	}

	/** Nothing to write yet: the init segment waits for the first fragment (AC-3 builds dac3 from a frame). */
	writeHeader(): void {
		if (this.#state === 'new') this.#state = 'writing';
	}

	writePacket(packet: Packet): void {
		if (this.#state === 'new') this.writeHeader();
		const state = this.#byId.get(packet.trackId);
		if (!state || this.#state !== 'writing' || packet.dts <= state.lastDts || this.#belowTimeline(state, packet)) {
			this.#dropped++;
			return;
		}
		if (this.#shouldCut(state, packet)) this.#writeFragment(state, packet.dts);
		this.#append(state, packet);
		this.stats.packets.set(packet.trackId, (this.stats.packets.get(packet.trackId) ?? 0) + 1);
	}

	/**
	 * The init segment (written with the first fragment, with samples of the old parameters buffered
	 * before it) holds the only sample descriptions a fragmented file has: a new file. (avc3/hev1
	 * with in-band parameter sets would carry video changes, but not audio ones, and must be chosen
	 * before the first fragment.)
	 */
	updateTrack(track: Track): TrackUpdate {
		if (isLeftOut(this.format, track)) return CONTINUED;
		return {
			outcome: 'new-file',
			reason: `fMP4: the init segment already describes the tracks, not track ${track.id}'s new version`,
		};
	}

	finish(): void {
		if (this.#state === 'finished') return;
		this.#state = 'finished';
		this.#writeFragment(undefined, 0);
	}

	#shouldCut(state: FragmentTrack, packet: Packet): boolean {
		const samples = state.samples;
		if (samples.count === 0) return false;
		const elapsed = packet.dts - (samples.dts[0] as number);
		if (elapsed > FORCED_CUT_FACTOR * state.targetTicks) return true;
		if (state !== this.#driver || !packet.keyframe) return false;
		if (state.lastKeyframeDts !== undefined) state.gopTicks = packet.dts - state.lastKeyframeDts;
		state.lastKeyframeDts = packet.dts;
		// Cut here if the next GOP would carry the fragment past its target.
		return elapsed + state.gopTicks > state.targetTicks;
	}

	#append(state: FragmentTrack, packet: Packet): void {
		const size = packet.data.length;
		if (state.dataLength + size > state.data.length) {
			const grown = new Uint8Array(Math.max(state.data.length * 2, state.dataLength + size));
			grown.set(state.data.subarray(0, state.dataLength));
			state.data = grown;
		}
		state.data.set(packet.data, state.dataLength);
		state.dataLength += size;
		if (state.firstFrame === undefined) state.firstFrame = packet.data.slice(0, AC3_HEADER_BYTES);
		state.samples.add(packet.dts, packet.pts - packet.dts, size, packet.keyframe, packet.duration);
		state.lastDts = packet.dts;
	}

	/**
	 * Writes the buffered samples as one fragment. `cutter` is the track whose packet at `cutDts`
	 * closes the fragment (its samples all have a successor now); other tracks keep their newest
	 * sample for the next fragment. At finish (`cutter` undefined) everything goes.
	 */
	#writeFragment(cutter: FragmentTrack | undefined, cutDts: number): void {
		if (!this.#initWritten) this.#writeInit();
		const finishing = this.#state === 'finished';
		const runs: TrackRun[] = [];
		const emitted: number[] = [];
		for (const state of this.#tracks) {
			const samples = state.samples;
			const count = state === cutter || finishing ? samples.count : samples.count - 1;
			emitted.push(count);
			if (count <= 0) continue;
			runs.push({
				trackId: state.track.id,
				samples,
				count,
				baseMediaDecodeTime: (samples.dts[0] as number) + state.decodeOffset,
				lastDuration: count < samples.count || state === cutter ? nextDts(state, count, cutDts) : samples.lastDuration,
			});
		}
		if (runs.length > 0) this.#writeMoofAndMdat(runs);
		this.#tracks.forEach((state, index) => {
			const count = emitted[index] as number;
			if (count <= 0) return;
			let bytes = 0;
			for (let i = 0; i < count; i++) bytes += state.samples.sizes[i] as number;
			state.data.copyWithin(0, bytes, state.dataLength);
			state.dataLength -= bytes;
			state.samples.removeFirst(count);
		});
	}

	#writeMoofAndMdat(runs: readonly TrackRun[]): void {
		const w = this.#writer;
		w.reset();
		this.#sequence++;
		const payload = writeMovieFragment(w, this.#sequence, runs);
		w.u32(8 + payload); // mdat size
		w.fourcc('mdat'); // mdat type
		// moof and mdat header, then each track's samples straight from its buffer: the sink copies.
		this.#sink.write(w.bytes());
		for (const run of runs) {
			const state = this.#byId.get(run.trackId) as FragmentTrack;
			let bytes = 0;
			for (let i = 0; i < run.count; i++) bytes += run.samples.sizes[i] as number;
			this.#sink.write(state.data.subarray(0, bytes));
		}
		this.stats.bytes += w.length + payload;
	}

	/** A DTS tfdt cannot hold: below 0 once the init segment has fixed the track's offset. */
	#belowTimeline(state: FragmentTrack, packet: Packet): boolean {
		return this.#initWritten && packet.dts + state.decodeOffset < 0;
	}

	/** ftyp + moov (empty sample tables, an edit list where a track's first DTS is below 0, mvex). */
	#writeInit(): void {
		this.#initWritten = true;
		for (const state of this.#tracks) {
			if (state.samples.count > 0) state.decodeOffset = Math.max(0, -(state.samples.dts[0] as number));
		}
		const w = this.#writer;
		w.reset();
		writeFileType(w, BRANDS.fmp4);
		writeMovie(
			w,
			this.#tracks.map(({ track, firstFrame, decodeOffset }) => ({
				id: track.id,
				kind: track.kind === 'video' ? 'video' : 'audio',
				timescale: track.timescale,
				width: track.video?.width ?? 0,
				height: track.video?.height ?? 0,
				sampleDescription: sampleDescription(track, firstFrame, { quickTime: false }),
				decodeOffset,
				samples: new SampleTable(),
			})),
			{ brand: BRANDS.fmp4, fragmented: true },
		);
		this.#sink.write(w.bytes().slice());
		this.stats.bytes += w.length;
	}
}

/** Duration of the last emitted sample: up to the next buffered sample, or to the cutting packet. */
const nextDts = (state: FragmentTrack, count: number, cutDts: number): number => {
	const samples = state.samples;
	const next = count < samples.count ? (samples.dts[count] as number) : cutDts;
	return next - (samples.dts[count - 1] as number);
};
