import { bytesEqual } from '../../../src/bytes/bytes-equal.ts';
import {
	MPEG2_INTRA_PICTURE,
	Mpeg2StartCode,
	mpeg2PictureCodingType,
	mpeg2UnitRole,
	parseMpeg2SequenceHeader,
} from '../../../src/codec/mpeg2-video.ts';
import type { NalSpans } from '../../../src/codec/nal.ts';
import { TapedeckError } from '../../../src/core/errors.ts';
import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import type { Track } from '../../../src/core/track.ts';
import type { AccessUnitSink, StreamIdentity } from './elementary-stream.ts';
import type { AccessUnitReader } from './video-elementary-stream.ts';

/** Bytes of a `00 00 01` start code prefix. */
const PREFIX = 3;

/**
 * MPEG-1/2 video access units (ISO/IEC 13818-2) to the bus form: the picture's bytes as coded,
 * start codes and the sequence/GOP headers before it included (MPEG-2 has no other framing). The
 * track config is the sequence header with the extensions after it, as an MP4 or MOV sample
 * description carries it; a picture is a keyframe when it is intra-coded, or when a sequence or
 * GOP header comes before it.
 */
export class Mpeg2AccessUnitReader implements AccessUnitReader {
	readonly #identity: StreamIdentity;
	readonly #sink: AccessUnitSink;
	readonly #stats: DemuxStats;
	#config: Uint8Array = new Uint8Array(0);

	constructor(identity: StreamIdentity, sink: AccessUnitSink, stats: DemuxStats) {
		this.#identity = identity;
		this.#sink = sink;
		this.#stats = stats;
	}

	role(data: Uint8Array, at: number): number {
		return mpeg2UnitRole(data, at);
	}

	read(data: Uint8Array, spans: NalSpans, from: number, pts: number, dts: number): void {
		let keyframe = false;
		let sequence = -1;
		let sequenceEnd = -1;
		for (let i = from; i < spans.count; i++) {
			const start = spans.starts[i]!;
			const code = data[start]!;
			if (code === Mpeg2StartCode.SequenceHeader) {
				sequence = i;
				sequenceEnd = i + 1;
				keyframe = true;
			} else if (code === Mpeg2StartCode.Extension && sequenceEnd === i) {
				sequenceEnd = i + 1; // extensions right after the sequence header belong to it (§6.2.2.2)
			} else if (code === Mpeg2StartCode.Group) {
				keyframe = true;
			} else if (code === Mpeg2StartCode.Picture && mpeg2PictureCodingType(data, start) === MPEG2_INTRA_PICTURE) {
				keyframe = true;
			}
		}
		if (sequence >= 0) this.#updateConfig(data, spans, sequence, sequenceEnd);
		if (spans.count <= from) return;
		const bytes = data.subarray(spans.starts[from]! - PREFIX, spans.ends[spans.count - 1]);
		this.#sink.unit({ trackId: this.#identity.id, dts, pts, duration: 0, keyframe, data: bytes });
	}

	/** A sequence header (and its extensions) other than the current config: a new track version. */
	#updateConfig(data: Uint8Array, spans: NalSpans, first: number, end: number): void {
		const header = data.subarray(spans.starts[first]! - PREFIX, spans.ends[end - 1]);
		if (bytesEqual(header, this.#config)) return;
		try {
			const extension = end > first + 1 ? data.subarray(spans.starts[first + 1], spans.ends[first + 1]) : undefined;
			const video = parseMpeg2SequenceHeader(data.subarray(spans.starts[first], spans.ends[first]), extension);
			this.#config = header.slice();
			const track: Track = {
				id: this.#identity.id,
				kind: 'video',
				codec: 'mpeg2video',
				timescale: 90_000,
				config: this.#config,
				name: this.#identity.name,
				video,
			};
			this.#sink.configured(track);
		} catch (error) {
			if (!(error instanceof TapedeckError)) throw error;
			this.#stats.droppedUnits++;
		}
	}
}
