import * as assert from 'uvu/assert';
import { TapedeckError } from '../../src/core/errors.ts';
import type { Track } from '../../src/core/track.ts';
import { TrackFilter } from '../../src/recorder/track-filter.ts';
import { test } from '../helpers/suite.ts';

const tracks: Track[] = [
	{ id: 1, kind: 'video', codec: 'h264', timescale: 90_000, config: new Uint8Array(), name: 'video' },
	{ id: 2, kind: 'audio', codec: 'aac', timescale: 48_000, config: new Uint8Array(), name: 'audio' },
	{ id: 3, kind: 'audio', codec: 'aac', timescale: 48_000, config: new Uint8Array(), name: 'commentary' },
];
const ids = (selected: Track[]) => selected.map((t) => t.id);

test('no ids and no names keeps every track', () => {
	assert.equal(ids(new TrackFilter({}).select(tracks)), [1, 2, 3]);
});

test('a track is kept when its id or its name is listed (OME trackIds / variantNames)', () => {
	assert.equal(ids(new TrackFilter({ ids: [2] }).select(tracks)), [2]);
	assert.equal(ids(new TrackFilter({ names: ['commentary'] }).select(tracks)), [3]);
	assert.equal(ids(new TrackFilter({ ids: [1], names: ['commentary'] }).select(tracks)), [1, 3]);
});

test('CLI form: numbers are ids, words are names', () => {
	const filter = TrackFilter.parse('1, commentary');
	assert.equal(filter.ids, [1]);
	assert.equal(filter.names, ['commentary']);
	assert.equal(ids(TrackFilter.parse('audio').select(tracks)), [2]);
});

test('unknown ids or names fail with what exists', () => {
	try {
		new TrackFilter({ ids: [7], names: ['director'] }).select(tracks);
		assert.unreachable();
	} catch (error) {
		assert.instance(error, TapedeckError);
		assert.is((error as TapedeckError).code, 'not_found');
		assert.match((error as Error).message, 'no track with id 7, name "director"');
		assert.match((error as Error).message, '1 "video" (video h264)');
	}
});

test('malformed filters are rejected', () => {
	assert.throws(() => TrackFilter.parse(' , '), /expected track ids or names/);
	assert.throws(() => new TrackFilter({ ids: [1.5] }), /integer/);
});

test.run();
