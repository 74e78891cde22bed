/**
 * SegmentWriter logic against a recording fake muxer; the real muxers are exercised end to end
 * in test/conformance/.
 */

import * as assert from 'uvu/assert';
import { CONTINUED, type ContainerFormat, type Muxer, type MuxerStats, type TrackUpdate } from '../../mux/muxer.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { MediaWarning } from '../../src/core/media-receiver.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { type SegmentInfo, SegmentWriter, type SegmentWriterOptions } from '../../src/recorder/segment-writer.ts';
import { SplitPolicy } from '../../src/recorder/split-policy.ts';
import { TrackFilter } from '../../src/recorder/track-filter.ts';
import { MemorySink } from '../../src/sink/memory-sink.ts';
import { test } from '../helpers/suite.ts';

const VIDEO: Track = {
	id: 1,
	kind: 'video',
	codec: 'h264',
	timescale: 90_000,
	config: new Uint8Array([1, 2]),
	name: 'video',
};
const AUDIO: Track = {
	id: 2,
	kind: 'audio',
	codec: 'aac',
	timescale: 48_000,
	config: new Uint8Array([3]),
	name: 'audio',
};

/** What one fake file received. */
type FakeFile = { tracks: readonly Track[]; header: boolean; packets: Packet[]; finished: boolean; sink: MemorySink };

class FakeMuxer implements Muxer {
	readonly format: ContainerFormat = 'ts';
	readonly stats: MuxerStats = { packets: new Map(), bytes: 0 };
	constructor(
		readonly file: FakeFile,
		readonly failOn?: (p: Packet) => Error | undefined,
		readonly takes?: (track: Track) => TrackUpdate,
	) {}
	writeHeader(): void {
		this.file.header = true;
		this.file.sink.write(new Uint8Array(10));
	}
	writePacket(packet: Packet): void {
		const error = this.failOn?.(packet);
		if (error) throw error;
		this.file.packets.push({ ...packet });
		this.file.sink.write(packet.data);
	}
	updateTrack(track: Track): TrackUpdate {
		return this.takes?.(track) ?? { outcome: 'new-file', reason: 'a fake muxer takes no new track' };
	}
	finish(): void {
		this.file.finished = true;
	}
}

type SetupOptions = Partial<SegmentWriterOptions> & {
	failOn?: (p: Packet) => Error | undefined;
	/** What the fake muxer answers to `updateTrack` (default: a new file). */
	takes?: (track: Track) => TrackUpdate;
};

const setup = (options: SetupOptions = {}) => {
	const files: FakeFile[] = [];
	const closed: SegmentInfo[] = [];
	const errors: Error[] = [];
	const writer = new SegmentWriter({
		format: 'ts',
		segmentationRule: 'discontinuity',
		openSegment: (sequence) => {
			const sink = new MemorySink();
			files.push({ tracks: [], header: false, packets: [], finished: false, sink });
			return { sink, path: `file-${sequence}.ts` };
		},
		createMuxer: (_format, tracks) => {
			const file = files.at(-1)!;
			file.tracks = tracks;
			return new FakeMuxer(file, options.failOn, options.takes);
		},
		onSegmentClosed: (info) => closed.push(info),
		onError: (error) => errors.push(error),
		...options,
	});
	return { writer, files, closed, errors };
};

const payload = new Uint8Array(100);
const v = (ms: number, keyframe = false): Packet => ({
	trackId: 1,
	dts: ms * 90,
	pts: ms * 90 + 3600,
	duration: 3600,
	keyframe,
	data: payload,
});
const a = (ms: number): Packet => ({
	trackId: 2,
	dts: ms * 48,
	pts: ms * 48,
	duration: 1024,
	keyframe: true,
	data: payload,
});

/** 25 fps video with a keyframe every second, AAC every ~21 ms, `seconds` long, from `startMs`. */
const feed = (writer: SegmentWriter, seconds: number, startMs = 10_000) => {
	let audioMs = startMs;
	for (let frame = 0; frame < seconds * 25; frame++) {
		const ms = startMs + frame * 40;
		writer.push(v(ms, frame % 25 === 0));
		while (audioMs < ms + 40) {
			writer.push(a(audioMs));
			audioMs += 1024 / 48;
		}
	}
};

test('drops video until the first keyframe; audio after the keyframe time is kept', async () => {
	const { writer, files, errors } = setup();
	writer.announce([VIDEO, AUDIO]);
	writer.push(v(9960));
	writer.push(a(9980));
	writer.push(a(10_010)); // arrives before the keyframe but plays after it
	writer.push(v(10_000, true));
	writer.push(v(10_040));
	await writer.close();
	assert.equal(errors, []);
	assert.is(files.length, 1);
	const [file] = files;
	assert.equal(
		file!.packets.map((p) => [p.trackId, p.dts, p.keyframe]),
		// the file's 0 is its earliest presentation time: the audio 30 ms before the keyframe's PTS
		[
			[1, -900, true],
			[2, 0, true],
			[1, 2700, false],
		],
	);
	assert.is(writer.stats.droppedBeforeKeyframe, 1);
	assert.is(writer.stats.droppedBeforeStart, 1);
	assert.ok(file!.header && file!.finished);
	assert.equal(file!.tracks, [VIDEO, AUDIO]);
});

test('interval splits at the first keyframe after it; every file starts with a keyframe, presented at 0', async () => {
	const { writer, files, closed } = setup({ split: new SplitPolicy({ intervalMs: 2500 }) });
	writer.announce([VIDEO, AUDIO]);
	feed(writer, 7);
	await writer.close();
	assert.is(files.length, 3);
	for (const file of files) {
		assert.ok(file.packets[0]!.keyframe && file.packets[0]!.trackId === 1);
		assert.is(Math.min(...file.packets.map((p) => p.pts)), 0, 'no empty lead');
		if (file !== files[0]) assert.is(file.packets[0]!.pts, 0, 'the audio before the keyframe went to the file before');
		assert.equal(file.tracks, [VIDEO, AUDIO]);
		assert.ok(file.finished);
	}
	assert.equal(
		closed.map((c) => [c.sequence, c.path]),
		[
			[0, 'file-0.ts'],
			[1, 'file-1.ts'],
			[2, 'file-2.ts'],
		],
	);
	// each file's duration is its media, give or take the audio frame that straddles the cut: file 0's
	// audio starts at the keyframe's DTS, 40 ms before its PTS; later files start at the keyframe's PTS
	const durations = [3040, 3000, 1000];
	for (const c of closed) assert.ok(Math.abs(c.durationMs - durations[c.sequence]!) <= 22, `${c.durationMs} ms`);
	assert.is(closed[0]!.packets, files[0]!.packets.length);
	assert.is(closed[0]!.bytes, files[0]!.sink.position);
	assert.equal([...closed[1]!.firstDts.keys()], [1, 2]);
	const videoPackets = files.reduce((n, f) => n + f.packets.filter((p) => p.trackId === 1).length, 0);
	assert.is(videoPackets, 7 * 25);
});

test('audio stamped before a cut but arriving after it goes to the file it belongs to', async () => {
	const { writer, files, closed } = setup({ split: new SplitPolicy({ intervalMs: 1000 }) });
	writer.announce([VIDEO, AUDIO]);
	writer.push(v(0, true));
	writer.push(a(0));
	writer.push(v(1000, true)); // the cut
	writer.push(a(980)); // late: belongs to file 0
	assert.is(closed.length, 0, 'file 0 waits for the lagging audio');
	writer.push(a(1020)); // plays before the keyframe does (PTS 1040): file 0 too
	assert.is(closed.length, 0);
	writer.push(a(1041)); // past the cut's presentation time: file 0 can end
	writer.push(v(1040));
	await writer.close();
	assert.equal(
		files.map((f) => f.packets.map((p) => [p.trackId, p.dts])),
		[
			[
				[1, 0],
				[2, 0],
				[2, 980 * 48],
				[2, 1020 * 48],
			],
			// file 1's 0 is its keyframe's PTS: the keyframe decodes 40 ms before it
			[
				[1, -3600],
				[2, 48],
				[1, 0],
			],
		],
	);
	assert.is(writer.stats.droppedBeforeStart, 0);
	assert.equal(
		closed.map((c) => c.sequence),
		[0, 1],
	);
});

test('continuity: each file carries on where the previous ended', async () => {
	const { writer, files } = setup({ segmentationRule: 'continuity', split: new SplitPolicy({ intervalMs: 2000 }) });
	writer.announce([VIDEO, AUDIO]);
	feed(writer, 6);
	await writer.close();
	assert.equal(
		files.map((f) => f.packets[0]!.dts),
		[0, 180_000, 360_000],
	);
	const lastVideo = files[0]!.packets.filter((p) => p.trackId === 1).at(-1)!;
	assert.is(lastVideo.dts + lastVideo.duration, files[1]!.packets[0]!.dts);
});

test('schedule splits on the injected clock, at the next keyframe', async () => {
	let now = Date.parse('2026-11-22T13:07:58Z');
	const { writer, files, closed } = setup({
		split: new SplitPolicy({ schedule: '0 * *', timeZone: 'UTC' }),
		now: () => new Date(now),
	});
	writer.announce([VIDEO, AUDIO]);
	for (let frame = 0; frame < 150; frame++) {
		now += 40; // media and wall clock advance together; the tick at 13:08:00 falls in frame 50
		writer.push(v(frame * 40, frame % 30 === 0));
	}
	await writer.close();
	assert.is(files.length, 2);
	// Tick at frame 50 (2 s), next keyframe at frame 60.
	assert.is(files[0]!.packets.length, 60);
	assert.ok(files[1]!.packets[0]!.keyframe);
	assert.is(closed[1]!.startedAt.toISOString(), '2026-11-22T13:08:00.440Z');
});

test('maxBytes splits at the next keyframe past the size', async () => {
	const { writer, files } = setup({ split: new SplitPolicy({ maxBytes: 3000 }) });
	writer.announce([VIDEO]);
	for (let frame = 0; frame < 100; frame++) writer.push(v(frame * 40, frame % 25 === 0));
	await writer.close();
	assert.equal(
		files.map((f) => f.packets.length),
		[50, 50],
	);
});

test('audio only: any packet is a cut point', async () => {
	const { writer, files } = setup({ split: new SplitPolicy({ intervalMs: 1000 }) });
	writer.announce([AUDIO]);
	for (let i = 0; i < 100; i++) writer.push(a(5000 + (i * 1024) / 48));
	await writer.close();
	assert.is(files.length, 3);
	assert.is(files[0]!.packets[0]!.dts, 0);
	assert.is(files[0]!.packets.length, 47);
});

test('changed track parameters end the file; the next starts at a keyframe with the new header', async () => {
	const { writer, files } = setup({ segmentationRule: 'continuity' });
	writer.announce([VIDEO, AUDIO]);
	feed(writer, 1);
	writer.announce([{ ...VIDEO }, { ...AUDIO }]); // same content: nothing happens
	const changed = { ...VIDEO, config: new Uint8Array([9, 9]) };
	writer.announce([changed, AUDIO]);
	writer.push(v(11_000));
	writer.push(v(11_040, true));
	await writer.close();
	assert.is(files.length, 2);
	assert.is(files[1]!.tracks[0], changed);
	assert.equal(files[1]!.packets[0]!.dts, (11_040 - 10_000) * 90);
});

test('endSegment: the next file is sequence + 1 and, under continuity, carries on after a source restart', async () => {
	const { writer, files, closed } = setup({ segmentationRule: 'continuity', firstSequence: 5 });
	writer.announce([VIDEO]);
	writer.push(v(10_000, true));
	writer.push(v(10_040));
	await writer.endSegment();
	assert.equal(
		closed.map((c) => c.sequence),
		[5],
	);
	assert.is(writer.current, undefined);
	writer.announce([VIDEO]);
	writer.push(v(20, true)); // the reconnected source's clock starts over
	writer.push(v(60));
	assert.is(writer.current?.sequence, 6);
	await writer.close();
	assert.equal(
		// file 0 presents [0, 80 ms): file 1 decodes from 40 ms and presents from 80 ms
		files[1]!.packets.map((p) => p.dts),
		[3600, 7200],
	);
});

test('a malformed packet is dropped and counted; the file carries on', async () => {
	const { writer, files, errors } = setup({
		failOn: (p) => (p.dts === 3600 ? new TapedeckError('corrupt_input', 'bad NAL') : undefined),
	});
	writer.announce([VIDEO]);
	for (let frame = 0; frame < 4; frame++) writer.push(v(frame * 40, frame === 0));
	await writer.close();
	assert.equal(errors, []);
	assert.is(writer.stats.rejected, 1);
	assert.is(files[0]!.packets.length, 3);
});

test('an I/O error stops the writer through onError; push never throws', async () => {
	const { writer, files, errors } = setup({
		failOn: (p) => (p.dts === 3600 ? new TapedeckError('disk_full', 'disk full') : undefined),
	});
	writer.announce([VIDEO]);
	for (let frame = 0; frame < 10; frame++) writer.push(v(frame * 40, frame === 0));
	await writer.close();
	await writer.close();
	assert.is(errors.length, 1);
	assert.is(errors[0]!.message, 'disk full');
	assert.is(writer.error, errors[0]);
	assert.is(files[0]!.packets.length, 2);
	assert.ok(files[0]!.finished, 'the partial file is finalized');
});

test('an unknown track in the filter is reported through onError', async () => {
	const { writer, files, errors } = setup({ trackFilter: new TrackFilter({ names: ['commentary'] }) });
	writer.announce([VIDEO, AUDIO]);
	writer.push(v(0, true));
	await writer.close();
	assert.is(files.length, 0);
	assert.match(errors[0]!.message, 'no track with name "commentary"');
});

test('the track filter keeps only the chosen tracks', async () => {
	const { writer, files } = setup({ trackFilter: TrackFilter.parse('audio') });
	writer.announce([VIDEO, AUDIO]);
	feed(writer, 1);
	await writer.close();
	assert.equal(files[0]!.tracks, [AUDIO]);
	assert.ok(files[0]!.packets.every((p) => p.trackId === 2));
	assert.is(files[0]!.packets[0]!.dts, 0);
});

test('a track that starts late opens the next file from its first packet; the other loses nothing', async () => {
	const warnings: MediaWarning[] = [];
	const { writer, files } = setup({ onWarning: (w) => warnings.push(w) });
	writer.announce([VIDEO]);
	let audioMs = 1500;
	let audio = 0;
	for (let frame = 0; frame < 75; frame++) {
		const ms = frame * 40;
		if (frame === 38) writer.announce([VIDEO, AUDIO]);
		writer.push(v(ms, frame % 25 === 0));
		while (frame >= 38 && audioMs < ms + 40) {
			writer.push(a(audioMs));
			audio++;
			audioMs += 1024 / 48;
		}
	}
	await writer.close();
	assert.equal(
		files.map((f) => f.tracks.length),
		[1, 2],
	);
	const video = files.map((f) => f.packets.filter((p) => p.trackId === 1).length);
	assert.equal(video, [50, 25], 'every video frame, the cut at the keyframe after the new track');
	const second = files[1]!.packets;
	assert.is(second.filter((p) => p.trackId === 2).length, audio, 'every audio packet, from before the keyframe on');
	assert.is(second[0]!.trackId, 2, 'the file starts with the audio');
	assert.is(second[0]!.dts, 0, "the file's origin is the audio's first packet");
	assert.is(second.find((p) => p.trackId === 1)!.dts, (2000 - 1500) * 90, 'video from the keyframe, 0.5 s in');
	assert.ok(warnings.some((w) => w.code === 'parameter_change'));
	assert.not.ok(warnings.some((w) => w.code === 'dropped_data'));
});

test('frames of a changed video track before its keyframe are dropped, and the warning names them', async () => {
	const warnings: MediaWarning[] = [];
	const { writer, files } = setup({ onWarning: (w) => warnings.push(w) });
	writer.announce([VIDEO, AUDIO]);
	feed(writer, 1, 0);
	const changed = { ...VIDEO, config: new Uint8Array([9, 9]), video: { width: 1280, height: 720 } };
	writer.announce([changed, AUDIO]);
	// The new parameter sets come 10 frames (0.4 s) before the next keyframe.
	let audioMs = 1000;
	for (let frame = 0; frame < 35; frame++) {
		const ms = 1000 + frame * 40;
		writer.push(v(ms, frame === 10));
		while (audioMs < ms + 40) {
			writer.push(a(audioMs));
			audioMs += 1024 / 48;
		}
	}
	await writer.close();
	assert.equal(
		files.map((f) => f.packets.filter((p) => p.trackId === 1).length),
		[25, 25],
	);
	assert.is(writer.stats.droppedBeforeKeyframe, 10);
	const named = warnings.filter((w) => w.code === 'dropped_data').map((w) => w.message);
	assert.equal(named, [
		'track 1 (h264): 10 frame(s) from 1.000 s to 1.360 s came with new parameter sets before a keyframe; no decoder can start on them: dropped',
	]);
});

test('packets still waiting for a keyframe when the writer closes are counted and named', async () => {
	const warnings: MediaWarning[] = [];
	const { writer } = setup({ onWarning: (w) => warnings.push(w) });
	writer.announce([VIDEO, AUDIO]);
	feed(writer, 1, 0);
	writer.announce([VIDEO, { ...AUDIO, timescale: 44_100, audio: { sampleRate: 44_100, channels: 2 } }]);
	for (let i = 0; i < 5; i++) writer.push({ ...a(1000 + i * 23), dts: 44_100 + i * 1024, pts: 44_100 + i * 1024 });
	await writer.close();
	assert.is(writer.stats.droppedBeforeKeyframe, 5);
	assert.ok(warnings.some((w) => w.message === '5 packets held for a keyframe that never came: dropped'));
});

test('a video track that sends nothing stops holding the file back; when it starts, it joins', async () => {
	const warnings: MediaWarning[] = [];
	const { writer, files } = setup({ missingTrackWaitMs: 2000, onWarning: (w) => warnings.push(w) });
	writer.announce([VIDEO, AUDIO]);
	for (let i = 0; i < 150; i++) writer.push(a((i * 1024) / 48));
	for (let frame = 0; frame < 25; frame++) writer.push(v(3300 + frame * 40, frame === 0));
	await writer.close();
	assert.equal(
		files.map((f) => f.tracks.map((t) => t.kind)),
		[['audio'], ['video', 'audio']],
	);
	assert.is(files[0]!.packets.length, 150, 'all the audio');
	assert.is(files[1]!.packets.length, 25);
	assert.ok(warnings.some((w) => w.message.includes('sent nothing')));
});

test('a muxer that takes new parameters carries on in the same file', async () => {
	const updated: Track[] = [];
	const warnings: MediaWarning[] = [];
	const { writer, files } = setup({
		takes: (track) => {
			updated.push(track);
			return CONTINUED;
		},
		onWarning: (w) => warnings.push(w),
	});
	writer.announce([VIDEO, AUDIO]);
	feed(writer, 1);
	const changed = { ...VIDEO, config: new Uint8Array([9, 9]), video: { width: 1280, height: 720 } };
	writer.announce([changed, AUDIO]);
	feed(writer, 1, 11_000);
	await writer.close();
	assert.is(files.length, 1);
	assert.equal(updated, [changed]);
	assert.is(files[0]!.packets.filter((p) => p.trackId === 1).length, 50);
	assert.match(warnings.at(-1)!.message, 'carried on in the same file');
});

test('timestamp trouble is sanitized before the muxer; no packet is dropped for its timestamp', async () => {
	const warnings: MediaWarning[] = [];
	const { writer, files } = setup({ onWarning: (w) => warnings.push(w) });
	writer.announce([VIDEO]);
	writer.push(v(0, true));
	writer.push(v(40));
	writer.push(v(40)); // duplicate DTS: nudged
	writer.push(v(0)); // one frame back: nudged too
	writer.push(v(3_600_000)); // an hour ahead: a jump, carried on one frame later
	writer.push(v(3_600_040));
	writer.push(v(1_000)); // an hour back: a jump again
	await writer.close();
	const dts = files[0]!.packets.map((p) => p.dts);
	// 0 is the keyframe's PTS, 40 ms after its DTS
	assert.equal(dts, [-3600, 0, 1, 2, 3602, 7202, 10_802]);
	assert.equal(
		{ ...writer.stats },
		{
			nudged: 2,
			discontinuities: 2,
			droppedBeforeStart: 0,
			droppedBeforeKeyframe: 0,
			rejected: 0,
			notCarried: 0,
			segments: 1,
		},
	);
	assert.equal(
		warnings.map((w) => w.code),
		['timestamp_jump', 'timestamp_jump'],
	);
});

test.run();
