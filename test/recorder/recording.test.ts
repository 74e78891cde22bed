/**
 * The recording engine on the bus, without the API: files fed from fixtures through the real TS
 * demuxer into a publisher, recorded by real muxers, checked with ffprobe/ffmpeg.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { StreamPublisher } from '../../src/core/stream-hub.ts';
import { PathTemplate } from '../../src/recorder/path-template.ts';
import {
	type RecordedFile,
	type RecordFormat,
	Recording,
	type RecordingSpec,
	type RecordingState,
} from '../../src/recorder/recording.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import type { Sink } from '../../src/sink/sink.ts';
import { avOffsetMismatches, decodeErrors, ffprobeErrors, probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait.ts';

/** MP4 by default: written fragmented, finalized by defragmenting, the longest path. */
const FORMAT: RecordFormat = (process.env['TAPEDECK_TEST_FORMAT'] as RecordFormat | undefined) ?? 'mp4';
const key = { vhost: 'default', app: 'live', stream: 'cam' };

/** Pushes a whole TS file through the demuxer into the publisher at once. */
const feed = (publisher: StreamPublisher, file: string): void => {
	const demuxer = createDemuxer('ts', publisher);
	const bytes = readFileSync(file);
	for (let i = 0; i < bytes.length; i += 65_536) demuxer.push(bytes.subarray(i, i + 65_536));
	demuxer.end();
};

/**
 * Pushes a TS file one TS packet at a time, letting the recording consume what arrived before going
 * on, and moves the test clock along the video DTS: wall time that follows media time, but fast.
 */
const feedPaced = async (publisher: StreamPublisher, file: string, clock: (seconds: number) => void): Promise<void> => {
	let first: number | undefined;
	const demuxer = createDemuxer('ts', {
		announce: (tracks) => publisher.announce(tracks),
		push: (packet) => {
			if (packet.trackId === 1) {
				first ??= packet.dts;
				clock((packet.dts - first) / 90_000);
			}
			publisher.push(packet);
		},
	});
	const bytes = readFileSync(file);
	for (let i = 0; i < bytes.length; i += 188 * 20) {
		demuxer.push(bytes.subarray(i, i + 188 * 20));
		await new Promise((resolve) => setImmediate(resolve));
	}
	demuxer.end();
};

const settle = async (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms));

type Harness = { recording: Recording; files: RecordedFile[]; states: RecordingState[]; root: string };

const makeRecording = (
	registry: StreamRegistry,
	overrides: Partial<RecordingSpec> = {},
	deps: { openSink?: (path: string) => Sink; now?: () => Date } = {},
): Harness => {
	const root = tempDir('rec');
	const files: RecordedFile[] = [];
	const states: RecordingState[] = [];
	const recording = new Recording(
		{
			id: 'rec1',
			transactionId: 'TX',
			key,
			streamName: 'cam',
			format: FORMAT,
			filePath: new PathTemplate(`\${Id}/\${Stream}_\${Sequence}.${FORMAT}`, root),
			infoPath: new PathTemplate(`\${Id}/info.xml`, root),
			segmentationRule: 'discontinuity',
			createdAt: new Date(),
			firstSequence: 0,
			...overrides,
		},
		{
			registry,
			observer: {
				fileOpened: () => {},
				fileClosed: (file) => files.push(file),
				stateChanged: (state) => states.push(state),
			},
			...deps,
		},
	);
	return { recording, files, states, root };
};

const assertPlayable = async (path: string) => {
	assert.ok(existsSync(path), `${path} exists`);
	assert.is(await ffprobeErrors(path), '', `ffprobe clean: ${path}`);
	assert.is(await decodeErrors(path), '', `decodes: ${path}`);
};

test('reservation: ready until the stream comes, a drop finalizes sequence 0, the return writes sequence 1', async () => {
	const registry = new StreamRegistry();
	const h = makeRecording(registry);
	h.recording.start();
	await settle();
	assert.is(h.recording.state, 'ready');
	assert.match(h.recording.reason, 'waiting for stream default/live/cam');
	const publisher = registry.publish(key, 'test');
	feed(publisher, fixture('h264-aac48'));
	await settle();
	assert.is(h.recording.state, 'recording');
	publisher.end('publisher went away');
	assert.ok(await waitFor(() => h.files.length === 1, 10_000), 'sequence 0 finalized');
	assert.is(h.recording.state, 'ready');
	assert.match(h.recording.reason, 'publisher went away');
	feed(publisher, fixture('h264-aac48'));
	publisher.end();
	await settle(200);
	await h.recording.stop();
	assert.is(h.recording.state, 'stopped');
	assert.equal(
		h.files.map((f) => [f.sequence, f.state]),
		[
			[0, 'complete'],
			[1, 'complete'],
		],
	);
	for (const file of h.files) {
		assert.ok(file.path.endsWith(`cam_${file.sequence}.${FORMAT}`));
		assert.ok(!existsSync(file.partPath), 'no .part left');
		await assertPlayable(file.path);
		assert.ok(Math.abs(file.durationMs - 4000) < 200, `duration ${file.durationMs}`);
	}
	const info = readFileSync(join(h.root, 'rec1/info.xml'), 'utf8');
	assert.is(info.match(/<file>/g)?.length, 2);
	assert.equal(h.states, ['recording', 'ready', 'recording', 'ready', 'stopping', 'stopped']);
});

test('a stop right after the last push keeps every packet the bus already held', async () => {
	const registry = new StreamRegistry();
	const h = makeRecording(registry);
	h.recording.start();
	const publisher = registry.publish(key, 'test');
	feed(publisher, fixture('h264-aac48'));
	// No settle: the packets are still queued on the bus when the stop comes.
	await h.recording.stop();
	assert.is(h.files.length, 1);
	const file = h.files[0]!;
	await assertPlayable(file.path);
	const [source, recorded] = await Promise.all([probeStreams(fixture('h264-aac48')), probeStreams(file.path)]);
	assert.equal(
		recorded.map((s) => s.packets),
		source.map((s) => s.packets),
		'every packet of the source is in the file',
	);
});

test('a recording that starts mid-stream begins on the cached keyframe', async () => {
	const registry = new StreamRegistry();
	const publisher = registry.publish(key, 'test');
	feed(publisher, fixture('h264-aac48'));
	const h = makeRecording(registry);
	h.recording.start();
	await settle(100);
	await h.recording.stop();
	assert.is(h.files.length, 1);
	const file = h.files[0]!;
	await assertPlayable(file.path);
	const video = (await probeStreams(file.path)).find((s) => s.codecType === 'video');
	assert.ok(video && video.keyframePts[0] === video.pts[0], 'first video packet is a keyframe');
	assert.ok(file.durationMs > 0 && file.durationMs <= 1100, `one cached GOP, got ${file.durationMs} ms`);
});

const splitCase = (name: string, spec: Partial<RecordingSpec>, clocked: boolean) =>
	test(`${name}: files cut on keyframes, play alone and add up`, async () => {
		const registry = new StreamRegistry();
		let mediaSeconds = 0;
		const base = new Date(2026, 0, 1, 12, 0, 0).getTime();
		const h = makeRecording(registry, spec, clocked ? { now: () => new Date(base + mediaSeconds * 1000) } : {});
		h.recording.start();
		const publisher = registry.publish(key, 'test');
		if (clocked) {
			await feedPaced(publisher, fixture('h264-aac48-10s'), (s) => {
				mediaSeconds = s;
			});
		} else {
			feed(publisher, fixture('h264-aac48-10s'));
		}
		await settle(100);
		await h.recording.stop();
		assert.ok(h.files.length >= 3, `${h.files.length} files`);
		let total = 0;
		for (const file of h.files) {
			await assertPlayable(file.path);
			const video = (await probeStreams(file.path)).find((s) => s.codecType === 'video')!;
			assert.is(video.keyframePts[0], Math.min(...video.pts), `${file.path} starts on a keyframe`);
			total += file.durationMs;
		}
		assert.ok(Math.abs(total - 10_000) < 300, `durations add up: ${total}`);
	});

splitCase('interval split every 3 s of media', { split: { intervalMs: 3000 } }, false);
splitCase('schedule split on every 3rd second', { split: { schedule: '*/3 * *' } }, true);

// FLV keeps timestamps as written; MP4/MOV (recorded fragmented, then defragmented) by tfdt and an initial empty edit.
for (const format of ['flv', 'mp4', 'mov'] as const) {
	test(`${format}: segmentation rules: discontinuity restarts at 0, continuity carries on, A/V kept`, async () => {
		const input = await probeStreams(fixture('h264-aac48-10s'));
		for (const rule of ['discontinuity', 'continuity'] as const) {
			const registry = new StreamRegistry();
			const root = tempDir('rule');
			const h = makeRecording(registry, {
				split: { intervalMs: 4000 },
				segmentationRule: rule,
				format,
				filePath: new PathTemplate(`\${Id}/\${Stream}_\${Sequence}.${format}`, root),
			});
			h.recording.start();
			feed(registry.publish(key, 'test'), fixture('h264-aac48-10s'));
			await settle(100);
			await h.recording.stop();
			assert.ok(h.files.length >= 2);
			const files = await Promise.all(h.files.map((file) => probeStreams(file.path)));
			const videos = files.map((streams) => streams.find((s) => s.codecType === 'video')!);
			// FLV stores milliseconds, so its audio may be half a millisecond off either way.
			const tolerance = format === 'flv' ? 0.0011 : 0.001;
			assert.equal(avOffsetMismatches(input, files, tolerance), [], `${rule}: A/V offsets as in the input`);
			if (rule === 'discontinuity') {
				for (const video of videos) assert.ok(Math.abs(Math.min(...video.dts)) < 0.2, `file starts near 0`);
			} else {
				assert.ok(Math.abs(Math.min(...videos[0]!.dts)) < 0.2);
				for (let i = 1; i < videos.length; i++) {
					// ffprobe's start time of file i is where file i − 1's video stopped being shown.
					const end = videos[i - 1]!.firstPts + videos[i - 1]!.duration;
					assert.ok(
						Math.abs(videos[i]!.firstPts - end) <= 0.001,
						`continuity: file ${i} at ${videos[i]!.firstPts} s, not ${end} s`,
					);
				}
			}
		}
	});
}

test('mp4 continuity across a reconnect: the file after the drop starts where the one before ended', async () => {
	const registry = new StreamRegistry();
	const h = makeRecording(registry, { segmentationRule: 'continuity', format: 'mp4' });
	h.recording.start();
	const publisher = registry.publish(key, 'test');
	feed(publisher, fixture('h264-aac48'));
	await settle();
	publisher.end('publisher went away');
	await settle(200);
	feed(publisher, fixture('h264-aac48'));
	publisher.end();
	await settle(200);
	await h.recording.stop();
	assert.is(h.files.length, 2);
	const [before, after] = await Promise.all(h.files.map((file) => probeStreams(file.path)));
	// The timeline resumes at the latest decode end of any track (here audio, 11 ms after the video's).
	const end = Math.max(...before!.map((s) => Math.max(...s.dts) + s.duration / s.packets));
	const video = after!.find((s) => s.codecType === 'video')!;
	assert.ok(
		Math.abs(Math.min(...video.dts) - end) < 0.002,
		`file 1 decodes from ${Math.min(...video.dts)} s, not ${end} s`,
	);
});

test('a full disk: clear error, what was written stays playable, other recordings carry on', async () => {
	const registry = new StreamRegistry();
	const failing = makeRecording(registry, { id: 'full' }, { openSink: (path) => new FullDiskSink(path, 100_000) });
	const healthy = makeRecording(registry, { id: 'fine' });
	failing.recording.start();
	healthy.recording.start();
	feed(registry.publish(key, 'test'), fixture('h264-aac48'));
	await settle(200);
	assert.is(failing.recording.state, 'error');
	assert.match(failing.recording.reason, /disk full/);
	assert.is(healthy.recording.state, 'recording');
	await failing.recording.stop();
	await healthy.recording.stop();
	assert.is(failing.recording.state, 'stopped');
	assert.is(failing.files.length, 1);
	assert.is(failing.files[0]!.state, 'recovered', failing.files[0]!.error);
	assert.ok(failing.files[0]!.bytes > 0 && failing.files[0]!.bytes <= 100_000);
	assert.is(await ffprobeErrors(failing.files[0]!.path), '');
	assert.is(healthy.files[0]!.state, 'complete');
	await assertPlayable(healthy.files[0]!.path);
	assert.equal(
		readdirSync(join(failing.root, 'full')).filter((n) => n.endsWith('.part')),
		[],
	);
});

test('a track filter that matches nothing puts the recording in error with the reason; stop still works', async () => {
	const registry = new StreamRegistry();
	const h = makeRecording(registry, { tracks: { names: ['commentary'] } });
	h.recording.start();
	feed(registry.publish(key, 'test'), fixture('h264-aac48'));
	await settle();
	assert.is(h.recording.state, 'error');
	assert.match(h.recording.reason, 'no track with name "commentary"');
	await h.recording.stop();
	assert.is(h.recording.state, 'stopped');
	assert.equal(h.files, []);
});

/** A file sink whose disk fills up after `limit` bytes: the write that passes it fails with ENOSPC. */
class FullDiskSink extends FileSink {
	readonly #limit: number;
	constructor(path: string, limit: number) {
		super(path);
		this.#limit = limit;
	}
	override write(data: Uint8Array): void {
		if (this.position + data.length > this.#limit) {
			throw new TapedeckError('disk_full', `disk full while writing ${this.path}: free space and retry`);
		}
		super.write(data);
	}
}

test.run();
