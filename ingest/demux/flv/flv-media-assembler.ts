/**
 * FLV tag bodies → tracks and canonical packets. Shared by the FLV byte-stream demuxer and the
 * RTMP ingest, whose audio/video/data messages carry the same bodies:
 *
 *   const assembler = new FlvMediaAssembler(receiver, stats);
 *   assembler.script(dataMessagePayload);          // @setDataFrame / onMetaData
 *   assembler.video(videoMessagePayload, timestamp32);
 *   assembler.audio(audioMessagePayload, timestamp32);
 *   assembler.end();                                // stream over: flush held packets
 *
 * Timestamps are the wire's 32-bit milliseconds; they are unwrapped here (one clock for both
 * tracks, as FLV and RTMP interleave them) and turned into 90 kHz video ticks and sample-rate
 * audio ticks. Track ids are fixed: video 1, audio 2.
 *
 * Tracks are announced once every expected track has its configuration (expectations come from
 * the FLV header flags and onMetaData), or once `HOLD_MS` of media has waited, so a recorder
 * does not start a file with video only and split it when audio shows up 40 ms later.
 */
import { type AmfObject, type AmfValue, decodeAmf0 } from '../../../src/bytes/amf0.ts';
import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import { AAC_SAMPLES_PER_FRAME, parseAudioSpecificConfig } from '../../../src/codec/aac.ts';
import { parseAvcC, parseH264Sps } from '../../../src/codec/h264.ts';
import { H265NalType, parseH265Sps, parseHvcC } from '../../../src/codec/h265.ts';
import { parseMp3Header } from '../../../src/codec/mp3.ts';
import type { DemuxStats, MediaReceiver } from '../../../src/core/media-receiver.ts';
import type { Packet } from '../../../src/core/packet.ts';
import { rescale, TimestampUnwrapper } from '../../../src/core/time.ts';
import type { Track } from '../../../src/core/track.ts';
import { type FlvAudioTag, parseAudioTagBody } from './flv-audio-tag.ts';
import { type FlvVideoCodec, parseVideoTagBody } from './flv-video-tag.ts';

export const FLV_VIDEO_TRACK_ID = 1;
export const FLV_AUDIO_TRACK_ID = 2;

/** Longest media span held back while waiting for an expected track's configuration. */
const HOLD_MS = 2000;
/** Most packets held back for the same reason (a bound on memory when timestamps are broken). */
const HOLD_PACKETS = 1000;
const VIDEO_TIMESCALE = 90_000;

type AudioClock = { frameSamples: number; lastTicks: number | undefined };

export class FlvMediaAssembler {
	readonly #receiver: MediaReceiver;
	readonly #stats: DemuxStats;
	readonly #clock = new TimestampUnwrapper(32);
	#video: Track | undefined;
	#audio: Track | undefined;
	/** NAL length-field size of the source when it is not 4 (then frames are rewritten). */
	#videoLengthSize = 4;
	readonly #scratch = new GrowableBuffer(1 << 16);
	readonly #audioClock: AudioClock = { frameSamples: AAC_SAMPLES_PER_FRAME, lastTicks: undefined };
	#expectVideo: boolean | undefined;
	#expectAudio: boolean | undefined;
	#announced = false;
	#held: Packet[] = [];
	#metadata: AmfObject | undefined;

	constructor(receiver: MediaReceiver, stats: DemuxStats) {
		this.#receiver = receiver;
		this.#stats = stats;
	}

	/** The last onMetaData object seen. */
	get metadata(): AmfObject | undefined {
		return this.#metadata;
	}

	/** Which tracks the source says it carries (FLV header TypeFlags). */
	expect(video: boolean, audio: boolean): void {
		this.#expectVideo = video;
		this.#expectAudio = audio;
	}

	/** An AMF0 data tag/message: keeps onMetaData (also inside RTMP's @setDataFrame), ignores the rest. */
	script(body: Uint8Array): void {
		let values: AmfValue[];
		try {
			values = decodeAmf0(body);
		} catch {
			this.#stats.droppedUnits++;
			return;
		}
		const at = values[0] === '@setDataFrame' ? 1 : 0;
		const object = values[at + 1];
		if (values[at] !== 'onMetaData' || typeof object !== 'object' || object === null || Array.isArray(object)) return;
		if (object instanceof Date) return;
		this.#metadata = object;
		const hasVideo = object['videocodecid'] !== undefined;
		const hasAudio = object['audiocodecid'] !== undefined;
		if (hasVideo) this.#expectVideo = true;
		if (hasAudio) this.#expectAudio = true;
		if (hasVideo || hasAudio) {
			this.#expectVideo ??= false;
			this.#expectAudio ??= false;
		}
	}

	/** A video tag/message body with its wire timestamp (32-bit ms). */
	video(body: Uint8Array, timestamp32: number): void {
		const tag = parseVideoTagBody(body, this.#clock.unwrap(timestamp32));
		switch (tag.kind) {
			case 'config':
				this.#videoConfig(tag.codec, tag.config);
				return;
			case 'frame': {
				const track = this.#video;
				if (!track || track.codec !== tag.codec) {
					this.#stats.droppedUnits++;
					return;
				}
				const data = this.#videoLengthSize === 4 ? tag.data : this.#toFourByteLengths(tag.data);
				if (!data) {
					this.#stats.droppedUnits++;
					return;
				}
				const dts = tag.dtsMs * (VIDEO_TIMESCALE / 1000);
				const pts = tag.ptsMs * (VIDEO_TIMESCALE / 1000);
				this.#emit({ trackId: track.id, dts, pts, duration: 0, keyframe: tag.keyframe, data }, tag.dtsMs);
				return;
			}
			case 'drop':
				this.#stats.droppedUnits++;
				return;
			case 'ignore':
				return;
		}
	}

	/** An audio tag/message body with its wire timestamp (32-bit ms). */
	audio(body: Uint8Array, timestamp32: number): void {
		const ms = this.#clock.unwrap(timestamp32);
		const tag: FlvAudioTag = parseAudioTagBody(body);
		switch (tag.kind) {
			case 'config':
				this.#aacConfig(tag.config);
				return;
			case 'frame': {
				if (tag.codec === 'mp3') this.#mp3Track(tag.data);
				const track = this.#audio;
				if (!track || track.codec !== tag.codec) {
					this.#stats.droppedUnits++;
					return;
				}
				const ticks = this.#audioTicks(ms, track.timescale);
				const packet = {
					trackId: track.id,
					dts: ticks,
					pts: ticks,
					duration: this.#audioClock.frameSamples,
					keyframe: true,
					data: tag.data,
				};
				this.#emit(packet, ms);
				return;
			}
			case 'drop':
				this.#stats.droppedUnits++;
				return;
			case 'ignore':
				return;
		}
	}

	/** End of stream: announces what there is and delivers held packets. */
	end(): void {
		if (!this.#announced && (this.#video || this.#audio)) this.#announce();
	}

	#videoConfig(codec: FlvVideoCodec, config: Uint8Array): void {
		const current = this.#video;
		if (current && current.codec === codec && sameBytes(current.config, config)) return;
		let size: { width: number; height: number; lengthSize: number };
		try {
			size = videoParameters(codec, config, this.#metadata);
		} catch (error) {
			this.#rejectConfig('video', codec, error);
			return;
		}
		this.#videoLengthSize = size.lengthSize;
		const stored = new Uint8Array(config);
		// The bus carries 4-byte NAL lengths: patch lengthSizeMinusOne when the source used 1 or 2 bytes.
		if (size.lengthSize !== 4) {
			if (codec === 'h264') stored[4] = stored[4]! | 0x03;
			else if (codec === 'h265') stored[21] = stored[21]! | 0x03;
		}
		this.#setTrack({
			id: FLV_VIDEO_TRACK_ID,
			kind: 'video',
			codec,
			timescale: VIDEO_TIMESCALE,
			config: stored,
			name: 'video',
			video: { width: size.width, height: size.height },
		});
	}

	#aacConfig(config: Uint8Array): void {
		const current = this.#audio;
		if (current && current.codec === 'aac' && sameBytes(current.config, config)) return;
		let asc: { sampleRate: number; channels: number };
		try {
			asc = parseAudioSpecificConfig(config);
		} catch (error) {
			this.#rejectConfig('audio', 'aac', error);
			return;
		}
		this.#audioClock.frameSamples = AAC_SAMPLES_PER_FRAME;
		this.#setTrack({
			id: FLV_AUDIO_TRACK_ID,
			kind: 'audio',
			codec: 'aac',
			timescale: asc.sampleRate,
			config: new Uint8Array(config),
			name: 'audio',
			audio: { sampleRate: asc.sampleRate, channels: asc.channels },
		});
	}

	/** A sequence header that cannot be read is damage, not a new configuration: the track keeps its own. */
	#rejectConfig(kind: 'video' | 'audio', codec: string, error: unknown): void {
		this.#stats.droppedUnits++;
		const reason = error instanceof Error ? error.message : String(error);
		const kept = (kind === 'video' ? this.#video : this.#audio) ? 'the previous one is kept' : 'no track yet';
		this.#receiver.warn?.({
			code: 'corrupt_data',
			message: `${kind} ${codec} sequence header unreadable (${reason}): ${kept}`,
		});
	}

	/** MP3 has no sequence header: the first frame header describes the track, a different one re-describes it. */
	#mp3Track(data: Uint8Array): void {
		const header = parseMp3Header(data);
		if (!header) return;
		const current = this.#audio;
		const same =
			current?.codec === 'mp3' &&
			current.audio?.sampleRate === header.sampleRate &&
			current.audio.channels === header.channels;
		if (same) return;
		this.#audioClock.frameSamples = header.samplesPerFrame;
		this.#setTrack({
			id: FLV_AUDIO_TRACK_ID,
			kind: 'audio',
			codec: 'mp3',
			timescale: header.sampleRate,
			config: new Uint8Array(0),
			name: 'audio',
			audio: { sampleRate: header.sampleRate, channels: header.channels },
		});
	}

	/**
	 * A new or changed track. Packets held for the old version go out under the old announcement
	 * first; once announced, a change is a new announcement (a new track version).
	 */
	#setTrack(track: Track): void {
		if (!this.#announced && this.#held.length > 0 && (track.kind === 'video' ? this.#video : this.#audio)) {
			this.#announce();
		}
		if (track.kind === 'video') this.#video = track;
		else {
			this.#audio = track;
			this.#audioClock.lastTicks = undefined;
		}
		if (this.#announced) this.#receiver.announce(this.#tracks());
		else if (this.#ready()) this.#announce();
	}

	/**
	 * FLV timestamps are whole milliseconds, so audio ticks computed from them jitter by up to a
	 * millisecond. A frame within a millisecond of where the previous one ends is placed exactly
	 * there; anything else (a gap, a jump) follows the absolute timestamp, so nothing drifts.
	 */
	#audioTicks(ms: number, rate: number): number {
		const clock = this.#audioClock;
		const ticks = rescale(ms, 1000, rate);
		const expected = clock.lastTicks === undefined ? ticks : clock.lastTicks + clock.frameSamples;
		const placed = Math.abs(ticks - expected) * 1000 <= rate ? expected : ticks;
		clock.lastTicks = placed;
		return placed;
	}

	#emit(packet: Packet, ms: number): void {
		this.#stats.packets++;
		if (this.#announced) {
			this.#receiver.push(packet);
			return;
		}
		// A real copy: the input may be a Node Buffer, whose `.slice()` is a view.
		this.#held.push({ ...packet, data: new Uint8Array(packet.data) });
		const first = this.#held[0]!;
		const firstMs = first.trackId === FLV_VIDEO_TRACK_ID ? first.dts / 90 : (first.dts * 1000) / this.#timescale(first);
		if (this.#ready() || ms - firstMs >= HOLD_MS || this.#held.length >= HOLD_PACKETS) this.#announce();
	}

	#timescale(packet: Packet): number {
		return (packet.trackId === FLV_VIDEO_TRACK_ID ? this.#video : this.#audio)?.timescale ?? 1000;
	}

	#ready(): boolean {
		const videoOk = this.#video !== undefined || this.#expectVideo === false;
		const audioOk = this.#audio !== undefined || this.#expectAudio === false;
		return videoOk && audioOk && (this.#video !== undefined || this.#audio !== undefined);
	}

	#announce(): void {
		this.#announced = true;
		this.#receiver.announce(this.#tracks());
		const held = this.#held;
		this.#held = [];
		for (const packet of held) this.#receiver.push(packet);
	}

	#tracks(): Track[] {
		const tracks: Track[] = [];
		if (this.#video) tracks.push(this.#video);
		if (this.#audio) tracks.push(this.#audio);
		return tracks;
	}

	/** Rewrites 1-, 2- or 3-byte NAL length fields as 4-byte ones (ISO/IEC 14496-15 §5.3.3.1.2 lengthSizeMinusOne). */
	#toFourByteLengths(data: Uint8Array): Uint8Array | undefined {
		const size = this.#videoLengthSize;
		const out = this.#scratch;
		out.length = 0;
		let at = 0;
		while (at + size <= data.length) {
			let length = 0;
			for (let i = 0; i < size; i++) length = length * 256 + data[at + i]!;
			at += size;
			if (at + length > data.length) return undefined;
			out.reserve(out.length + 4 + length);
			const bytes = out.bytes;
			bytes[out.length] = length >>> 24;
			bytes[out.length + 1] = (length >>> 16) & 0xff;
			bytes[out.length + 2] = (length >>> 8) & 0xff;
			bytes[out.length + 3] = length & 0xff;
			out.length += 4;
			out.append(data, at, at + length);
			at += length;
		}
		return out.view();
	}
}

/** Width, height and NAL length size from a configuration record, falling back to onMetaData's size. */
const videoParameters = (
	codec: FlvVideoCodec,
	config: Uint8Array,
	metadata: AmfObject | undefined,
): { width: number; height: number; lengthSize: number } => {
	if (codec === 'h264') {
		const avc = parseAvcC(config);
		const sps = avc.sps[0];
		const size = sps ? parseH264Sps(sps) : metadataSize(metadata);
		return { width: size.width, height: size.height, lengthSize: avc.lengthSize };
	}
	if (codec === 'h265') {
		const hevc = parseHvcC(config);
		const sps = hevc.arrays.find((a) => a.nalType === H265NalType.Sps)?.units[0];
		const size = sps ? parseH265Sps(sps) : metadataSize(metadata);
		return { width: size.width, height: size.height, lengthSize: hevc.lengthSize };
	}
	return { ...metadataSize(metadata), lengthSize: 4 };
};

const metadataSize = (metadata: AmfObject | undefined): { width: number; height: number } => {
	const width = metadata?.['width'];
	const height = metadata?.['height'];
	return { width: typeof width === 'number' ? width : 0, height: typeof height === 'number' ? height : 0 };
};

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
};
