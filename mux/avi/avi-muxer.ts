/**
 * AVI writer (RIFF AVI with OpenDML extensions) for H.264/H.265/MPEG-2 video and AAC/MP3/MP2/AC-3 audio.
 *
 * AVI has no timestamps: a stream's chunks are consecutive frames of dwScale/dwRate seconds
 * each, starting dwStart frames in. So the muxer
 * - holds the first `RATE_PROBE_FRAMES` video frames back to measure the frame rate (snapped to
 *   a standard rate when within 0.5 %), then writes them;
 * - places each video frame in its frame slot from its DTS, writing empty '00dc' chunks (dropped
 *   frames, as ffmpeg does) over gaps of up to `MAX_GAP_SECONDS`;
 * - keeps the streams' relative start with dwStart, rounded to whole frames (a video frame, an
 *   audio frame of 1024/1152/1536 samples): AVI cannot say finer. A stream that starts after the
 *   frame rate is measured (audio seconds late) gets its dwStart from its first packet;
 * - places each audio frame in its frame slot from its DTS too: over a gap of a frame or more
 *   (frames lost upstream) it writes silent frames of the stream's codec (SilentAudioFrame), so
 *   later audio is not pulled early; `stats.silentFrames` counts them, `stats.unfilledGaps` the
 *   gaps of a codec it has no silence for (AC-3). At the end of the file one warning per track
 *   (MuxerOptions.warn) names its gaps, their total length and whether they were filled.
 * Video goes out in decode order (B-frames as they come, like ffmpeg), as Annex B with the
 * parameter sets in front of every keyframe that lacks them; audio one frame per chunk.
 *
 * Past `riffSizeLimit` (default 1 GiB) the file continues in AVIX RIFFs with OpenDML indexes
 * (see AviRiffWriter), so hours-long recordings stay seekable. The option can be lowered (to
 * 64 KiB at least) to exercise that path with small files.
 */
import { GrowableBuffer } from '../../src/bytes/growable-buffer.ts';
import { H264NalType, h264NalType } from '../../src/codec/h264.ts';
import { H265NalType, h265NalType } from '../../src/codec/h265.ts';
import { appendAnnexB, NalSpans, scanLengthPrefixed } from '../../src/codec/nal.ts';
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
import { buildAviHeader, readAviLayout } from './avi-header.ts';
import { AviRiffWriter, type AviStreamInfo } from './avi-riff-writer.ts';
import { type AviStreamFormat, aviStreamFormat } from './avi-stream-format.ts';
import { measureFrameRate } from './measure-frame-rate.ts';
import { silentAudioFrame } from './silent-audio-frame.ts';

export type AviMuxerOptions = MuxerOptions & {
	/** Bytes after which a RIFF is closed and an AVIX RIFF begins. Default 1 GiB (the OpenDML convention). */
	readonly riffSizeLimit?: number;
	/** Super index entries reserved per stream (16 bytes each); one is used per RIFF. Default 256. */
	readonly superIndexCapacity?: number;
};

/** MuxerStats plus what the AVI timeline needed: frames of silence written over audio gaps, per track id. */
export type AviMuxerStats = MuxerStats & {
	readonly silentFrames: Map<number, number>;
	/** Audio gaps left unfilled (no silent frame for the codec): later audio of that track plays early. */
	readonly unfilledGaps: Map<number, number>;
};

export const DEFAULT_RIFF_SIZE_LIMIT = 1024 * 1024 * 1024;
const MIN_RIFF_SIZE_LIMIT = 64 * 1024;
/** RIFF sizes are 32-bit; staying under 2 GiB keeps every offset a positive int32 for old readers. */
const MAX_RIFF_SIZE_LIMIT = 2 * 1024 * 1024 * 1024 - 1;
const DEFAULT_SUPER_INDEX_CAPACITY = 256;
const RATE_PROBE_FRAMES = 16;
/** Longer gaps are not filled with dropped-frame chunks or silence (a timestamp jump is not a pause). */
const MAX_GAP_SECONDS = 10;

export class AviMuxer implements Muxer {
	readonly format: ContainerFormat = 'avi';
	readonly stats: AviMuxerStats = { packets: new Map(), bytes: 0, silentFrames: new Map(), unfilledGaps: new Map() };
	readonly #sink: Sink;
	readonly #formats: readonly AviStreamFormat[];
	readonly #streams: AviStreamInfo[];
	readonly #streamOf = new Map<number, number>();
	readonly #video: number;
	readonly #riffSizeLimit: number;
	readonly #superIndexCapacity: number;
	readonly #warn: MuxerOptions['warn'];
	/** Per stream: audio gaps met, and their total length in seconds (for the closing warning). */
	readonly #gaps: number[];
	readonly #gapSeconds: number[];
	#writer: AviRiffWriter | undefined;
	/** Packets held (copied) until the frame rate is known; undefined once released. */
	#held: Packet[] | undefined = [];
	#heldVideo = 0;
	/** Seconds every stream's first chunk is measured from; undefined until the first packet is placed. */
	#origin: number | undefined;
	/**
	 * Per stream: the slot (chunk index counted from the file's start, dwStart included) the next
	 * chunk fills, and the (slot, seconds) pair a packet's DTS is measured from: the origin for
	 * video, the stream's own first frame for audio (so a start between two slots does not make
	 * timestamp jitter flip frames across a slot boundary).
	 */
	readonly #nextSlot: number[];
	readonly #anchorSlot: number[];
	readonly #anchorSeconds: number[];
	#finished = false;
	/** Reused for each H.264/H.265 frame: its NAL units, and the frame as Annex B. */
	readonly #spans = new NalSpans();
	readonly #annexB = new GrowableBuffer(1 << 16);

	constructor(tracks: readonly Track[], sink: Sink, options: AviMuxerOptions = {}) {
		this.#formats = tracks.map(aviStreamFormat);
		if (tracks.length === 0 || tracks.length > 99) {
			throw new TapedeckError('invalid_argument', `AVI needs 1 to 99 tracks, got ${tracks.length}`);
		}
		this.#riffSizeLimit = options.riffSizeLimit ?? DEFAULT_RIFF_SIZE_LIMIT;
		if (
			!Number.isInteger(this.#riffSizeLimit) ||
			this.#riffSizeLimit < MIN_RIFF_SIZE_LIMIT ||
			this.#riffSizeLimit > MAX_RIFF_SIZE_LIMIT
		) {
			throw new TapedeckError(
				'invalid_argument',
				`riffSizeLimit must be an integer from ${MIN_RIFF_SIZE_LIMIT} to ${MAX_RIFF_SIZE_LIMIT} bytes, got ${options.riffSizeLimit}`,
			);
		}
		this.#superIndexCapacity = options.superIndexCapacity ?? DEFAULT_SUPER_INDEX_CAPACITY;
		if (!Number.isInteger(this.#superIndexCapacity) || this.#superIndexCapacity < 1) {
			throw new TapedeckError(
				'invalid_argument',
				`superIndexCapacity must be a positive integer, got ${options.superIndexCapacity}`,
			);
		}
		this.#sink = sink;
		this.#warn = options.warn;
		this.#streams = this.#formats.map((f) => ({
			suffix: f.suffix,
			type: f.type,
			scale: f.type === 'auds' ? f.samplesPerFrame : 1,
			rate: f.type === 'auds' ? (f.track.audio?.sampleRate ?? f.track.timescale) : 25,
			start: 0,
		}));
		for (const [i, t] of tracks.entries()) this.#streamOf.set(t.id, i);
		this.#nextSlot = tracks.map(() => 0);
		this.#anchorSlot = tracks.map(() => 0);
		this.#anchorSeconds = tracks.map(() => Number.NaN);
		this.#gaps = tracks.map(() => 0);
		this.#gapSeconds = tracks.map(() => 0);
		this.#video = this.#formats.findIndex((f) => f.type === 'vids');
		if (this.#video < 0) this.#held = undefined;
	}

	writeHeader(): void {
		if (this.#writer) return;
		const header = buildAviHeader(this.#formats, this.#superIndexCapacity);
		const layout = readAviLayout(header);
		if (!layout) throw new TapedeckError('internal', 'AVI header could not be read back');
		this.#sink.write(header);
		this.#writer = new AviRiffWriter(this.#sink, layout, this.#streams, this.#riffSizeLimit);
	}

	writePacket(packet: Packet): void {
		if (!this.#writer) this.writeHeader();
		const stream = this.#streamOf.get(packet.trackId);
		if (stream === undefined) return;
		const held = this.#held;
		if (held) {
			held.push({ ...packet, data: new Uint8Array(packet.data) });
			if (stream === this.#video && ++this.#heldVideo >= RATE_PROBE_FRAMES) this.#release();
			return;
		}
		this.#write(stream, packet);
	}

	/** AVI declares its streams (strh/strf) in the header, and its frames carry no timestamps to re-place: a new file. */
	updateTrack(track: Track): TrackUpdate {
		if (isLeftOut(this.format, track)) return CONTINUED;
		return { outcome: 'new-file', reason: `AVI: the stream headers were written before track ${track.id} changed` };
	}

	finish(): void {
		if (this.#finished) return;
		if (!this.#writer) this.writeHeader();
		this.#finished = true;
		if (this.#held) this.#release();
		this.#writer!.finish();
		this.stats.bytes = this.#sink.position;
		this.#reportGaps();
	}

	/** One warning per audio track that had gaps: how many, how long in all, filled with silence or not. */
	#reportGaps(): void {
		for (const [stream, gaps] of this.#gaps.entries()) {
			if (gaps === 0) continue;
			const track = this.#formats[stream]!.track;
			const ms = Math.round(this.#gapSeconds[stream]! * 1000);
			const what = `track ${track.id} (${track.codec}): ${gaps} audio gap${gaps === 1 ? '' : 's'} (${ms} ms in all)`;
			const silent = this.stats.silentFrames.get(track.id);
			this.#warn?.({
				code: 'dropped_data',
				message: silent
					? `${what} filled with ${silent} silent frame${silent === 1 ? '' : 's'}: AVI audio has no timestamps, so later audio keeps its time`
					: `${what} not filled (no silent ${track.codec} frame to write): AVI audio has no timestamps, so the audio after each gap plays that much early`,
			});
		}
	}

	/** Measures the frame rate and the streams' starts from the held packets, then writes them. */
	#release(): void {
		const held = this.#held ?? [];
		this.#held = undefined;
		const firsts = new Map<number, number>();
		for (const p of held) {
			const stream = this.#streamOf.get(p.trackId)!;
			if (!firsts.has(stream)) firsts.set(stream, p.dts / this.#formats[stream]!.track.timescale);
		}
		if (firsts.size > 0) this.#origin = Math.min(...firsts.values());
		if (this.#video >= 0) {
			const info = this.#streams[this.#video]!;
			const video = held.filter((p) => p.trackId === this.#formats[this.#video]!.track.id);
			const [rate, scale] = measureFrameRate(video, this.#formats[this.#video]!.track.timescale);
			info.rate = rate;
			info.scale = scale;
		}
		for (const [stream, first] of firsts) this.#place(stream, first);
		// Timing is in the header before the first chunk, so even a crashed file plays at the right rate.
		this.#writer!.patchTotals();
		for (const p of held) this.#write(this.#streamOf.get(p.trackId)!, p);
	}

	/** Sets a stream's dwStart from its first frame's time, and what its later frames are placed from. */
	#place(stream: number, first: number): void {
		const info = this.#streams[stream]!;
		const origin = this.#origin ?? first;
		info.start = Math.max(0, Math.round((first - origin) / (info.scale / info.rate)));
		this.#nextSlot[stream] = info.start;
		const video = stream === this.#video;
		this.#anchorSlot[stream] = video ? 0 : info.start;
		this.#anchorSeconds[stream] = video ? origin : first;
	}

	#write(stream: number, packet: Packet): void {
		const writer = this.#writer!;
		const format = this.#formats[stream]!;
		const count = (this.stats.packets.get(packet.trackId) ?? 0) + 1;
		this.stats.packets.set(packet.trackId, count);
		const seconds = packet.dts / format.track.timescale;
		if (Number.isNaN(this.#anchorSeconds[stream])) {
			// A stream that starts after the timing was set (audio seconds late; with no video, the first).
			this.#origin ??= seconds;
			this.#place(stream, seconds);
			writer.patchTotals();
		}
		const missing = this.#missingSlots(stream, seconds);
		if (stream === this.#video) {
			// Dropped-frame chunks up to this frame's slot, so video keeps pace with its timestamps.
			for (let i = 0; i < missing; i++) writer.writeChunk(stream, [], 0, false);
			this.#writeVideo(stream, format, packet);
		} else {
			if (missing > 0) this.#fillSilence(stream, packet, missing);
			writer.writeChunk(stream, [packet.data], packet.data.length, true);
		}
		this.#nextSlot[stream]!++;
		this.stats.bytes = this.#sink.position;
	}

	/**
	 * Empty slots before this packet's slot (a gap of a frame or more), 0 when none. A gap longer
	 * than `MAX_GAP_SECONDS` either way is a timestamp jump, not a pause: later frames are placed
	 * from this one instead.
	 */
	#missingSlots(stream: number, seconds: number): number {
		const info = this.#streams[stream]!;
		const frameSeconds = info.scale / info.rate;
		const slot = this.#anchorSlot[stream]! + Math.round((seconds - this.#anchorSeconds[stream]!) / frameSeconds);
		const missing = slot - this.#nextSlot[stream]!;
		if (Math.abs(missing) * frameSeconds > MAX_GAP_SECONDS) {
			this.#reanchor(stream, seconds);
			return 0;
		}
		if (missing <= 0) return 0;
		this.#nextSlot[stream] = slot;
		return missing;
	}

	#reanchor(stream: number, seconds: number): void {
		this.#anchorSlot[stream] = this.#nextSlot[stream]!;
		this.#anchorSeconds[stream] = seconds;
	}

	/** Silent frames over an audio gap; a codec without one leaves the gap (counted) and re-places from here. */
	#fillSilence(stream: number, packet: Packet, missing: number): void {
		const silence = silentAudioFrame(this.#formats[stream]!.track, packet.data);
		const stats = this.stats;
		const info = this.#streams[stream]!;
		this.#gaps[stream]!++;
		this.#gapSeconds[stream]! += (missing * info.scale) / info.rate;
		if (!silence) {
			stats.unfilledGaps.set(packet.trackId, (stats.unfilledGaps.get(packet.trackId) ?? 0) + 1);
			this.#nextSlot[stream]! -= missing;
			this.#reanchor(stream, packet.dts / this.#formats[stream]!.track.timescale);
			return;
		}
		for (let i = 0; i < missing; i++) this.#writer!.writeChunk(stream, [silence], silence.length, true);
		stats.silentFrames.set(packet.trackId, (stats.silentFrames.get(packet.trackId) ?? 0) + missing);
	}

	/**
	 * H.264/H.265: length-prefixed NAL units → Annex B, with the parameter sets after any AUD of a
	 * keyframe that lacks them. MPEG-2 video is a byte stream already: written as it is.
	 */
	#writeVideo(stream: number, format: AviStreamFormat, packet: Packet): void {
		const data = packet.data;
		if (format.track.codec === 'mpeg2video') {
			this.#writer!.writeChunk(stream, [data], data.length, packet.keyframe);
			return;
		}
		const spans = this.#spans;
		scanLengthPrefixed(data, spans);
		const h264 = format.track.codec === 'h264';
		let hasParameterSets = false;
		for (let i = 0; i < spans.count; i++) {
			const type = h264 ? h264NalType(data[spans.starts[i]!]!) : h265NalType(data[spans.starts[i]!]!);
			if (h264 ? type === H264NalType.Sps : type === H265NalType.Vps || type === H265NalType.Sps)
				hasParameterSets = true;
		}
		const first = spans.count > 0 ? data[spans.starts[0]!]! : 0;
		const audUnits =
			spans.count > 0 &&
			(h264
				? h264NalType(first) === H264NalType.AccessUnitDelimiter
				: h265NalType(first) === H265NalType.AccessUnitDelimiter)
				? 1
				: 0;
		const out = this.#annexB;
		out.length = 0;
		appendAnnexB(data, spans, out, 0, audUnits);
		if (packet.keyframe && !hasParameterSets) out.append(format.parameterSets);
		appendAnnexB(data, spans, out, audUnits);
		this.#writer!.writeChunk(stream, [out.view()], out.length, packet.keyframe);
	}
}
