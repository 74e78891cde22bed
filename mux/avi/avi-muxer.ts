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
 *   audio frame of 1024/1152/1536 samples): AVI cannot say finer.
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

export type AviMuxerOptions = MuxerOptions & {
	/** Bytes after which a RIFF is closed and an AVIX RIFF begins. Default 1 GiB (the OpenDML convention). */
	readonly riffSizeLimit?: number;
	/** Super index entries reserved per stream (16 bytes each); one is used per RIFF. Default 256. */
	readonly superIndexCapacity?: number;
};

export const DEFAULT_RIFF_SIZE_LIMIT = 1024 * 1024 * 1024;
const MIN_RIFF_SIZE_LIMIT = 64 * 1024;
/** RIFF sizes are 32-bit; staying under 2 GiB keeps every offset a positive int32 for old readers. */
const MAX_RIFF_SIZE_LIMIT = 2 * 1024 * 1024 * 1024 - 1;
const DEFAULT_SUPER_INDEX_CAPACITY = 256;
const RATE_PROBE_FRAMES = 16;
/** Longer gaps are not filled with dropped-frame chunks (a timestamp jump is not a pause). */
const MAX_GAP_SECONDS = 10;
/** Frame rates a measured rate is snapped to, as (rate, scale) pairs. */
const STANDARD_RATES: readonly (readonly [number, number])[] = [
	[24000, 1001],
	[24, 1],
	[25, 1],
	[30000, 1001],
	[30, 1],
	[48, 1],
	[50, 1],
	[60000, 1001],
	[60, 1],
];

export class AviMuxer implements Muxer {
	readonly format: ContainerFormat = 'avi';
	readonly stats: MuxerStats = { packets: new Map(), bytes: 0 };
	readonly #sink: Sink;
	readonly #formats: readonly AviStreamFormat[];
	readonly #streams: AviStreamInfo[];
	readonly #streamOf = new Map<number, number>();
	readonly #video: number;
	readonly #riffSizeLimit: number;
	readonly #superIndexCapacity: number;
	#writer: AviRiffWriter | undefined;
	/** Packets held (copied) until the frame rate is known; undefined once released. */
	#held: Packet[] | undefined = [];
	#heldVideo = 0;
	/** Seconds every stream's first chunk is measured from. */
	#origin = 0;
	#frameSeconds = 0;
	#nextVideoSlot = 0;
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
		this.#streams = this.#formats.map((f) => ({
			suffix: f.suffix,
			type: f.type,
			scale: f.type === 'auds' ? f.samplesPerFrame : 1,
			rate: f.type === 'auds' ? (f.track.audio?.sampleRate ?? f.track.timescale) : 25,
			start: 0,
		}));
		for (const [i, t] of tracks.entries()) this.#streamOf.set(t.id, i);
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
		this.#origin = Math.min(...firsts.values());
		if (this.#video >= 0) {
			const info = this.#streams[this.#video]!;
			const video = held.filter((p) => p.trackId === this.#formats[this.#video]!.track.id);
			const [rate, scale] = measureFrameRate(video, this.#formats[this.#video]!.track.timescale);
			info.rate = rate;
			info.scale = scale;
			this.#frameSeconds = scale / rate;
		}
		for (const [stream, first] of firsts) {
			const info = this.#streams[stream]!;
			info.start = Math.round((first - this.#origin) / (info.scale / info.rate));
			if (stream === this.#video) this.#nextVideoSlot = info.start;
		}
		// Timing is in the header before the first chunk, so even a crashed file plays at the right rate.
		this.#writer!.patchTotals();
		for (const p of held) this.#write(this.#streamOf.get(p.trackId)!, p);
	}

	#write(stream: number, packet: Packet): void {
		const writer = this.#writer!;
		const format = this.#formats[stream]!;
		const count = (this.stats.packets.get(packet.trackId) ?? 0) + 1;
		this.stats.packets.set(packet.trackId, count);
		if (stream !== this.#video) {
			writer.writeChunk(stream, [packet.data], packet.data.length, true);
		} else {
			this.#fillGap(stream, packet);
			this.#writeVideo(stream, format, packet);
			this.#nextVideoSlot++;
		}
		this.stats.bytes = this.#sink.position;
	}

	/** Dropped-frame chunks up to this frame's slot, so video keeps pace with its timestamps. */
	#fillGap(stream: number, packet: Packet): void {
		const seconds = packet.dts / this.#formats[stream]!.track.timescale - this.#origin;
		const slot = Math.round(seconds / this.#frameSeconds);
		const missing = slot - this.#nextVideoSlot;
		if (missing <= 0 || missing * this.#frameSeconds > MAX_GAP_SECONDS) return;
		for (let i = 0; i < missing; i++) this.#writer!.writeChunk(stream, [], 0, false);
		this.#nextVideoSlot = slot;
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

/** Frame rate as (dwRate, dwScale) from the held frames' DTS: a standard rate within 0.5 %, else 90 kHz ticks. */
const measureFrameRate = (video: readonly Packet[], timescale: number): readonly [number, number] => {
	const first = video[0];
	const last = video[video.length - 1];
	if (!first || !last || video.length < 2 || last.dts <= first.dts) return [25, 1];
	const fps = ((video.length - 1) * timescale) / (last.dts - first.dts);
	for (const [rate, scale] of STANDARD_RATES) {
		if (Math.abs(fps - rate / scale) / (rate / scale) < 0.005) return [rate, scale];
	}
	const ticks = Math.max(1, Math.round(timescale / fps));
	const divisor = gcd(ticks, timescale);
	return [timescale / divisor, ticks / divisor];
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
