import { TsStreamType } from '../../../src/codec/mpeg-ts.ts';
import type { DemuxStats } from '../../../src/core/media-receiver.ts';
import type { CodecId } from '../../../src/core/track.ts';
import { type AudioFraming, ac3Framing, adtsFraming, mpegAudioFraming } from './audio-framing.ts';
import { opusChannels } from './codec-of-stream.ts';
import type { AccessUnitSink, ElementaryStream, StreamIdentity } from './elementary-stream.ts';
import { FramedAudioElementaryStream } from './framed-audio-elementary-stream.ts';
import { H26xAccessUnitReader } from './h26x-access-unit-reader.ts';
import { LatmFraming } from './latm-framing.ts';
import { Mpeg2AccessUnitReader } from './mpeg2-access-unit-reader.ts';
import { OpusFraming } from './opus-framing.ts';
import type { ElementaryStreamInfo } from './psi-tables.ts';
import { type AccessUnitReader, VideoElementaryStream } from './video-elementary-stream.ts';

/**
 * The elementary stream that reads a PES stream of `codec`: video access units by their codec's
 * reader, audio by its framing (AAC as ADTS, or LATM for stream_type 0x11).
 */
export const createElementaryStream = (
	info: ElementaryStreamInfo,
	codec: CodecId,
	identity: StreamIdentity,
	sink: AccessUnitSink,
	stats: DemuxStats,
): ElementaryStream => {
	const video = (reader: AccessUnitReader) => new VideoElementaryStream(reader, identity, sink, stats);
	const audio = (framing: AudioFraming) => new FramedAudioElementaryStream(framing, identity, sink, stats);
	switch (codec) {
		case 'h264':
		case 'h265':
			return video(new H26xAccessUnitReader(codec, identity, sink, stats));
		case 'mpeg2video':
			return video(new Mpeg2AccessUnitReader(identity, sink, stats));
		case 'mp3':
			return audio(mpegAudioFraming);
		case 'ac3':
			return audio(ac3Framing);
		case 'opus':
			return audio(new OpusFraming(opusChannels(info)));
		default:
			return audio(info.streamType === TsStreamType.AacLatm ? new LatmFraming() : adtsFraming);
	}
};
