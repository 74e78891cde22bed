/**
 * The muxer registry: one entry per container tapedeck writes. The conformance suite
 * (test/conformance/muxers.test.ts) runs every format listed here.
 */
import { TapedeckError } from '../src/core/errors.ts';
import type { Track } from '../src/core/track.ts';
import type { Sink } from '../src/sink/sink.ts';
import { AviMuxer } from './avi/avi-muxer.ts';
import { assertContainerCarries, isLeftOut } from './codec-carriers.ts';
import { FlvMuxer } from './flv/flv-muxer.ts';
import { FragmentedMp4Muxer } from './mp4/fragmented-mp4-muxer.ts';
import { Mp4Muxer } from './mp4/mp4-muxer.ts';
import { CONTAINER_FORMATS, type ContainerFormat, type Muxer, type MuxerFactory, type MuxerOptions } from './muxer.ts';
import { TsMuxer } from './ts/ts-muxer.ts';

const MUXERS: Partial<Record<ContainerFormat, MuxerFactory>> = {
	ts: (tracks, sink, options) => new TsMuxer(tracks, sink, options),
	mp4: (tracks, sink, options) => new Mp4Muxer(tracks, sink, { ...options, brand: 'mp4' }),
	fmp4: (tracks, sink, options) => new FragmentedMp4Muxer(tracks, sink, options),
	mov: (tracks, sink, options) => new Mp4Muxer(tracks, sink, { ...options, brand: 'mov' }),
	flv: (tracks, sink, options) => new FlvMuxer(tracks, sink, options),
	avi: (tracks, sink, options) => new AviMuxer(tracks, sink, options),
};

/** The formats a muxer is registered for, in CONTAINER_FORMATS order. */
export const MUXER_FORMATS: readonly ContainerFormat[] = CONTAINER_FORMATS.filter((f) => MUXERS[f] !== undefined);

/**
 * A muxer for `format`; throws UnsupportedCodecError, before any byte is written, when an audio or
 * video track's codec cannot go in it. Data tracks `format` cannot carry are left out: the muxer
 * ignores their packets, and a data track never stops a recording.
 */
export const createMuxer = (
	format: ContainerFormat,
	tracks: readonly Track[],
	sink: Sink,
	options: MuxerOptions = {},
): Muxer => {
	const factory = MUXERS[format];
	if (!factory) {
		throw new TapedeckError(
			'unsupported',
			`no muxer for format ${format}; available: ${MUXER_FORMATS.join(', ') || 'none'}`,
		);
	}
	const media = tracks.filter((track) => track.kind !== 'data');
	assertContainerCarries(format, media);
	return factory(
		tracks.filter((track) => !isLeftOut(format, track)),
		sink,
		options,
	);
};
