/**
 * Progressive MP4 and MOV (ISO/IEC 14496-12, QTFF): ftyp, mdat with the samples as they arrive,
 * moov at the end. One muxer for both: the brand table (`brands.ts`) holds what differs.
 *
 * Chunks are runs of consecutive samples of one track, so the payload is written straight to
 * the sink, never held. Sample tables are typed-array columns (`SampleTable`). Timestamps are
 * kept as they come (absolute DTS, PTS − DTS offsets); the moov turns them into stts/ctts and an
 * edit list per track that puts its first PTS where it was given (`edit-list.ts`), so the A/V
 * offset of the source and, under `continuity`, the recording's timeline survive.
 *
 * New parameters mid-file (`updateTrack`: another resolution, profile, codec configuration,
 * sample rate or channel count) need a new file; see `Muxer.updateTrack` for why a second sample
 * description entry is not used. A late track simply joins: the moov is written at the end.
 *
 * Bad input is counted, not fatal: packets of unknown tracks and packets whose DTS does not
 * increase are dropped (`droppedPackets`).
 */
import type { Packet } from '../../src/core/packet.ts';
import { sameTrackParameters, type Track } from '../../src/core/track.ts';
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
import { BRANDS, type Mp4Brand } from './brands.ts';
import type { MovieTrack } from './movie-box.ts';
import { ProgressiveLayout } from './progressive-layout.ts';
import { checkTrackForMp4, sampleDescription } from './sample-description.ts';
import { SampleTable } from './sample-table.ts';

export type Mp4MuxerOptions = MuxerOptions & {
	/** `mp4` (ISO brands, the default) or `mov` (QuickTime). */
	readonly brand?: Mp4Brand;
	/** Write co64 chunk offsets even for small files (tests of the large-file path). */
	readonly forceCo64?: boolean;
};

type TrackState = {
	readonly track: Track;
	readonly samples: SampleTable;
	/** The first bytes of the first frame (AC-3 builds dac3 from them). */
	firstFrame: Uint8Array | undefined;
};

export class Mp4Muxer implements Muxer {
	readonly format: ContainerFormat;
	readonly stats: MuxerStats = { packets: new Map(), bytes: 0 };
	readonly #sink: Sink;
	readonly #brand: Mp4Brand;
	readonly #layout: ProgressiveLayout;
	readonly #tracks: TrackState[];
	readonly #byId = new Map<number, TrackState>();
	#current: TrackState | undefined;
	#dropped = 0;
	#state: 'new' | 'writing' | 'finished' = 'new';

	constructor(tracks: readonly Track[], sink: Sink, options: Mp4MuxerOptions = {}) {
		this.#brand = options.brand ?? 'mp4';
		this.format = this.#brand;
		// Data tracks (ID3, SCTE-35) have no sample entry here: they are left out, their packets counted as dropped.
		const media = tracks.filter((track) => track.kind !== 'data');
		for (const track of media) checkTrackForMp4(track, this.#brand);
		this.#sink = sink;
		this.#layout = new ProgressiveLayout(sink, BRANDS[this.#brand], { forceCo64: options.forceCo64 });
		this.#tracks = [];
		for (const track of media) this.#addTrack(track);
	}

	/** Packets dropped: unknown or data track, or a DTS that does not increase. */
	get droppedPackets(): number {
		return this.#dropped;
	}

	writeHeader(): void {
		if (this.#state !== 'new') return;
		this.stats.bytes += this.#layout.writeHead();
		this.#state = 'writing';
	}

	updateTrack(track: Track): TrackUpdate {
		if (isLeftOut(this.format, track)) return CONTINUED;
		try {
			checkTrackForMp4(track, this.#brand);
		} catch (error) {
			return { outcome: 'new-file', reason: (error as Error).message };
		}
		const state = this.#byId.get(track.id);
		if (!state) {
			this.#addTrack(track);
			return CONTINUED;
		}
		if (sameTrackParameters(state.track, track)) return CONTINUED;
		return {
			outcome: 'new-file',
			reason: `${this.#brand}: track ${track.id} has new parameters (${describe(state.track)} → ${describe(track)}); players follow one sample description per track`,
		};
	}

	writePacket(packet: Packet): void {
		if (this.#state === 'new') this.writeHeader();
		const state = this.#byId.get(packet.trackId);
		const samples = state?.samples;
		if (!state || !samples || this.#state !== 'writing') {
			this.#dropped++;
			return;
		}
		if (samples.count > 0 && packet.dts <= (samples.dts[samples.count - 1] as number)) {
			this.#dropped++;
			return;
		}
		if (state !== this.#current) {
			samples.startChunk(this.#sink.position);
			this.#current = state;
		}
		state.firstFrame ??= packet.data.slice(0, AC3_HEADER_BYTES);
		this.#sink.write(packet.data);
		samples.add(packet.dts, packet.pts - packet.dts, packet.data.length, packet.keyframe, packet.duration);
		this.stats.bytes += packet.data.length;
		this.stats.packets.set(packet.trackId, (this.stats.packets.get(packet.trackId) ?? 0) + 1);
	}

	finish(): void {
		if (this.#state === 'finished') return;
		if (this.#state === 'new') this.writeHeader();
		this.#state = 'finished';
		const quickTime = BRANDS[this.#brand].quickTime;
		// A track that never got a sample is left out: it has nothing to describe (AC-3 not even a dac3).
		const written = this.#tracks.filter((state) => state.samples.count > 0);
		const movieTracks: MovieTrack[] = written.map(({ track, firstFrame, samples }) => ({
			id: track.id,
			kind: track.kind === 'video' ? 'video' : 'audio',
			timescale: track.timescale,
			width: track.video?.width ?? 0,
			height: track.video?.height ?? 0,
			sampleDescription: sampleDescription(track, firstFrame, {
				quickTime,
				averageBitrate: averageBitrate(samples, track),
			}),
			samples,
		}));
		this.stats.bytes += this.#layout.finish(movieTracks);
	}

	#addTrack(track: Track): void {
		const state: TrackState = { track, samples: new SampleTable(), firstFrame: undefined };
		this.#tracks.push(state);
		this.#byId.set(track.id, state);
		this.stats.packets.set(track.id, 0);
	}
}

const describe = (track: Track): string =>
	track.video
		? `${track.codec} ${track.video.width}x${track.video.height}`
		: `${track.codec} ${track.audio?.sampleRate ?? track.timescale} Hz ${track.audio?.channels ?? '?'} ch`;

const averageBitrate = (samples: SampleTable, track: Track): number => {
	const seconds = samples.mediaDuration / track.timescale;
	return seconds > 0 ? Math.min(2 ** 32 - 1, Math.round((samples.totalBytes * 8) / seconds)) : 0;
};
