/**
 * A recording with real-world trouble, on the bus with real muxers, checked with ffprobe: files are
 * never replaced, never written through a link, a late track costs the other nothing, errors stay
 * inside one recording (which retries), and warnings reach the recording's stats.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { createDemuxer } from '../../ingest/demux/create-demuxer.ts';
import { createMuxer } from '../../mux/create-muxer.ts';
import type { Muxer } from '../../mux/muxer.ts';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { StreamKey } from '../../src/core/stream-hub.ts';
import type { Track } from '../../src/core/track.ts';
import { PathTemplate } from '../../src/recorder/path-template.ts';
import { type RecordedFile, type RecordFormat, Recording, type RecordingDeps } from '../../src/recorder/recording.ts';
import { FileSink } from '../../src/sink/file-sink.ts';
import type { Sink } from '../../src/sink/sink.ts';
import { decodeErrors, probeStreams } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait.ts';

type Media = { tracks: readonly Track[]; packets: Packet[] };

/** A TS file's tracks and packets (copied: the demuxer reuses its buffers). */
const demux = (file: string): Media => {
	const packets: Packet[] = [];
	let tracks: readonly Track[] = [];
	const demuxer = createDemuxer('ts', {
		announce: (announced) => {
			tracks = announced;
		},
		push: (packet) => packets.push({ ...packet, data: packet.data.slice() }),
	});
	demuxer.push(readFileSync(file));
	demuxer.end();
	return { tracks, packets };
};

let fixtureMedia: Media | undefined;
const load = (): Media => {
	fixtureMedia ??= demux(fixture('h264-aac48'));
	return fixtureMedia;
};

const roots: string[] = [];
const newRoot = (): string => {
	const root = tempDir('safety');
	roots.push(root);
	return root;
};

const makeRecording = (
	registry: StreamRegistry,
	key: StreamKey,
	root: string,
	options: {
		format?: RecordFormat;
		template?: string;
		deps?: Partial<RecordingDeps>;
		missingTrackWaitMs?: number;
	} = {},
) => {
	const format = options.format ?? 'ts';
	const files: RecordedFile[] = [];
	const recording = new Recording(
		{
			id: key.stream,
			transactionId: 'TX',
			key,
			streamName: key.stream,
			format,
			filePath: new PathTemplate(options.template ?? `\${Stream}.${format}`, root),
			segmentationRule: 'discontinuity',
			createdAt: new Date(),
			firstSequence: 0,
			...(options.missingTrackWaitMs === undefined ? {} : { missingTrackWaitMs: options.missingTrackWaitMs }),
		},
		{
			registry,
			observer: { fileOpened: () => {}, fileClosed: (file) => files.push(file), stateChanged: () => {} },
			retryMs: 50,
			...options.deps,
		},
	);
	recording.start();
	return { recording, files };
};

type PublishOptions = {
	/** Video alone until this many seconds (then at the next keyframe both tracks are announced). */
	readonly lateAudioS?: number;
	/** From `atS` of each track's own time on, its timestamps move by `byS` (a splice, an encoder restart). */
	readonly jump?: { readonly atS: number; readonly byS: number };
};

/** Publishes the fixture once, with the trouble asked for, yielding to the recordings as a live input does. */
const publish = async (registry: StreamRegistry, key: StreamKey, options: PublishOptions = {}): Promise<void> => {
	const { tracks, packets } = load();
	const { lateAudioS, jump } = options;
	const publisher = registry.publish(key, 'test');
	publisher.announce(lateAudioS === undefined ? tracks : tracks.filter((t) => t.kind === 'video'));
	let late = lateAudioS !== undefined;
	let count = 0;
	for (const packet of packets) {
		const track = tracks.find((t) => t.id === packet.trackId)!;
		if (late && track.kind === 'video' && packet.dts / track.timescale >= lateAudioS! + 1.4) {
			late = false;
			publisher.announce(tracks);
		}
		if (late && track.kind !== 'video') continue;
		const moved = jump && packet.dts / track.timescale >= jump.atS + 1.4 ? Math.round(jump.byS * track.timescale) : 0;
		publisher.push(moved === 0 ? packet : { ...packet, dts: packet.dts + moved, pts: packet.pts + moved });
		if (++count % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
	}
	publisher.end('done');
};

const countPackets = (media: Media, kind: 'video' | 'audio') =>
	media.packets.filter((p) => media.tracks.find((t) => t.id === p.trackId)?.kind === kind).length;

const probeCounts = async (paths: string[]) => {
	let video = 0;
	let audio = 0;
	for (const path of paths) {
		for (const stream of await probeStreams(path)) {
			if (stream.codecType === 'video') video += stream.packets;
			if (stream.codecType === 'audio') audio += stream.packets;
		}
	}
	return { video, audio };
};

test('no file is replaced: a second session without a sequence macro is numbered, an existing file is kept', async () => {
	const root = newRoot();
	writeFileSync(join(root, 'cam.ts'), 'not ours');
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'cam' };
	const { recording, files } = makeRecording(registry, key, root);
	await publish(registry, key);
	assert.ok(await waitFor(() => files.length === 1, 10_000), 'first file closed');
	await publish(registry, key);
	assert.ok(await waitFor(() => files.length === 2, 10_000), 'second file closed');
	await recording.stop();
	assert.is(readFileSync(join(root, 'cam.ts'), 'utf8'), 'not ours');
	assert.equal(
		files.map((f) => [f.path, f.state]),
		[
			[join(root, 'cam_1.ts'), 'complete'],
			[join(root, 'cam_2.ts'), 'complete'],
		],
	);
	const counts = await probeCounts(files.map((f) => f.path));
	assert.is(counts.video, 2 * countPackets(load(), 'video'));
	assert.ok(recording.warnings.byCode.file === 2, JSON.stringify(recording.warnings));
	assert.match(recording.warnings.recent[0]!.message, /has no \$\{Sequence\}/);
});

test('a symlinked folder inside the root is never written through', async () => {
	const root = newRoot();
	const outside = newRoot();
	symlinkSync(outside, join(root, 'linked'));
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'cam' };
	const { recording } = makeRecording(registry, key, root, { template: 'linked/cam.ts' });
	await publish(registry, key);
	assert.ok(await waitFor(() => recording.state === 'error' || recording.reason.includes('retrying'), 5000));
	assert.match(recording.reason, /symbolic link/);
	await recording.stop();
	assert.equal(readdirSync(outside), []);
});

test('a symlinked file in the root is neither followed nor replaced: the recording takes the next name', async () => {
	const root = newRoot();
	const outside = join(newRoot(), 'victim.txt');
	writeFileSync(outside, 'precious');
	symlinkSync(outside, join(root, 'cam.ts'));
	symlinkSync(outside, join(root, 'cam_1.ts.part'));
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'cam' };
	const { recording, files } = makeRecording(registry, key, root);
	await publish(registry, key);
	assert.ok(await waitFor(() => files.length === 1, 10_000));
	await recording.stop();
	assert.is(readFileSync(outside, 'utf8'), 'precious');
	assert.is(files[0]!.path, join(root, 'cam_2.ts'));
	assert.is(files[0]!.state, 'complete');
});

test('a track that starts late joins a TS file as it goes: one file, every frame of both', async () => {
	const root = newRoot();
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'late-ts' };
	const { recording, files } = makeRecording(registry, key, root, { format: 'ts' });
	await publish(registry, key, { lateAudioS: 1.5 });
	assert.ok(await waitFor(() => files.length === 1, 15_000));
	await recording.stop();
	assert.is(files.length, 1);
	const counts = await probeCounts([files[0]!.path]);
	assert.is(counts.video, countPackets(load(), 'video'), 'every video frame');
	const audioSent = load().packets.filter((p) => p.trackId !== load().tracks.find((t) => t.kind === 'video')!.id);
	const lateAudio = audioSent.filter((p) => p.dts / 48_000 >= 1.5 + 1.4).length;
	assert.ok(counts.audio >= lateAudio - 2, `the late audio from when it started: ${counts.audio} of ${lateAudio}`);
	assert.is(await decodeErrors(files[0]!.path), '');
});

test('a track that starts late costs the other nothing; MP4 gets a numbered second file with both', async () => {
	const root = newRoot();
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'late' };
	const { recording, files } = makeRecording(registry, key, root, { format: 'mp4' });
	await publish(registry, key, { lateAudioS: 1.5 });
	assert.ok(await waitFor(() => files.length === 2, 15_000), `two files: ${files.length}`);
	await recording.stop();
	assert.equal(
		files.map((f) => [f.path, f.state]),
		[
			[join(root, 'late.mp4'), 'complete'],
			[join(root, 'late_1.mp4'), 'complete'],
		],
	);
	const counts = await probeCounts(files.map((f) => f.path));
	assert.is(counts.video, countPackets(load(), 'video'), 'every video frame is in a file');
	const second = await probeStreams(files[1]!.path);
	assert.ok(
		second.some((s) => s.codecType === 'audio' && s.packets > 50),
		'the late audio is recorded',
	);
	for (const file of files) assert.is(await decodeErrors(file.path), '');
	assert.ok((recording.warnings.byCode.parameter_change ?? 0) >= 1);
});

test('a video track that never sends does not hold the file back: the audio is recorded after the wait', async () => {
	const root = newRoot();
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'novideo' };
	const { recording, files } = makeRecording(registry, key, root, { format: 'mp4', missingTrackWaitMs: 2000 });
	const { tracks, packets } = load();
	const publisher = registry.publish(key, 'test');
	publisher.announce(tracks);
	const audio = packets.filter((p) => tracks.find((t) => t.id === p.trackId)?.kind === 'audio');
	for (const packet of audio) publisher.push(packet);
	publisher.end();
	assert.ok(await waitFor(() => files.length === 1, 10_000));
	await recording.stop();
	const streams = await probeStreams(files[0]!.path);
	assert.equal(
		streams.map((s) => [s.codecType, s.packets]),
		[['audio', audio.length]],
	);
	assert.ok(recording.warnings.recent.some((w) => w.message.includes('sent nothing')));
});

for (const [format, byS] of [
	['mp4', -3],
	['ts', 30],
] as const) {
	test(`a jump of ${byS} s in ${format}: every frame kept, timestamps monotonic, the A/V offset the input's`, async () => {
		const root = newRoot();
		const registry = new StreamRegistry();
		const key = { vhost: 'default', app: 'live', stream: `jump-${format}` };
		const { recording, files } = makeRecording(registry, key, root, { format });
		await publish(registry, key, { jump: { atS: 2, byS } });
		assert.ok(await waitFor(() => files.length === 1, 10_000));
		await recording.stop();
		const [input, output] = [await probeStreams(fixture('h264-aac48')), await probeStreams(files[0]!.path)];
		const frame = 1024 / 48_000;
		for (const kind of ['video', 'audio']) {
			const [a, b] = [input.find((s) => s.codecType === kind)!, output.find((s) => s.codecType === kind)!];
			assert.is(b.packets, a.packets, `${kind}: every packet`);
			for (let i = 1; i < b.dts.length; i++) assert.ok(b.dts[i]! > b.dts[i - 1]!, `${kind} DTS increases at ${i}`);
			assert.ok(b.duration <= a.duration + 2 * frame, `${kind}: continuous, ${b.duration} s for ${a.duration} s`);
		}
		const offset = (streams: typeof input, at: 'first' | 'last') => {
			const pick = (kind: string) => {
				const pts = [...streams.find((s) => s.codecType === kind)!.pts].sort((x, y) => x - y);
				return at === 'first' ? pts[0]! : pts.at(-1)!;
			};
			return pick('audio') - pick('video');
		};
		for (const at of ['first', 'last'] as const) {
			const drift = Math.abs(offset(output, at) - offset(input, at));
			assert.ok(drift <= frame + 0.001, `A/V offset at the ${at} packets within one audio frame: ${drift}`);
		}
		assert.is(recording.warnings.byCode.timestamp_jump, 1);
		assert.is(await decodeErrors(files[0]!.path), '');
	});
}

/** 2 s of 160x120 H.264 + AAC, made now: the same stream after its encoder changed resolution. */
const smaller = async (): Promise<Media> => {
	const path = join(newRoot(), 'small.ts');
	const args = ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=2', '-f', 'lavfi'];
	args.push('-i', 'sine=frequency=440:sample_rate=48000:duration=2', '-c:v', 'libx264', '-g', '25', '-bf', '2');
	args.push('-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'mpegts', path);
	const result = await run('ffmpeg', args);
	assert.is(result.code, 0, result.stderr);
	return demux(path);
};

for (const format of ['mp4', 'ts'] as const) {
	test(`a resolution change in ${format}: every frame kept, each file decodes, none replaced`, async () => {
		const [first, second] = [load(), await smaller()];
		const root = newRoot();
		const registry = new StreamRegistry();
		const key = { vhost: 'default', app: 'live', stream: `change-${format}` };
		const { recording, files } = makeRecording(registry, key, root, { format });
		const publisher = registry.publish(key, 'test');
		publisher.announce(first.tracks);
		for (const packet of first.packets) publisher.push(packet);
		await new Promise((resolve) => setImmediate(resolve));
		publisher.announce(second.tracks);
		const offset = (trackId: number) => (4 + 1.4) * second.tracks.find((t) => t.id === trackId)!.timescale;
		for (const packet of second.packets) {
			const by = offset(packet.trackId);
			publisher.push({ ...packet, dts: packet.dts + by, pts: packet.pts + by });
		}
		publisher.end();
		assert.ok(await waitFor(() => recording.state === 'ready' && files.length >= 1, 10_000));
		await recording.stop();
		assert.ok(files.every((f) => f.state === 'complete'));
		// Fragmented MP4 cannot describe new parameters in a written header; TS carries on (a new PMT version).
		assert.is(files.length, format === 'mp4' ? 2 : 1, `${format}: ${files.length} files`);
		const counts = await probeCounts(files.map((f) => f.path));
		assert.is(counts.video, countPackets(first, 'video') + countPackets(second, 'video'));
		assert.is(counts.audio, countPackets(first, 'audio') + countPackets(second, 'audio'));
		for (const file of files) assert.is(await decodeErrors(file.path), '');
		assert.ok((recording.warnings.byCode.parameter_change ?? 0) >= 1);
	});
}

test('an encoder restart in a TS (two encodes back to back, the clock starting over): every frame in one file', async () => {
	const dir = newRoot();
	const parts = [join(dir, 'a.ts'), join(dir, 'b.ts')];
	for (const [i, path] of parts.entries()) {
		const args = ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=2', '-f', 'lavfi'];
		args.push('-i', 'sine=frequency=440:sample_rate=48000:duration=2', '-c:v', 'libx264', '-g', '25', '-bf', '2');
		args.push('-pix_fmt', 'yuv420p', '-c:a', 'aac', '-output_ts_offset', i === 0 ? '20' : '3', '-f', 'mpegts', path);
		const made = await run('ffmpeg', args);
		assert.is(made.code, 0, made.stderr);
	}
	const joined = join(dir, 'restart.ts');
	writeFileSync(joined, Buffer.concat(parts.map((path) => readFileSync(path))));
	const root = newRoot();
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'restart' };
	const { recording, files } = makeRecording(registry, key, root, { format: 'mp4' });
	const publisher = registry.publish(key, 'test');
	const demuxer = createDemuxer('ts', publisher);
	const bytes = readFileSync(joined);
	for (let at = 0; at < bytes.length; at += 188 * 50) {
		demuxer.push(bytes.subarray(at, at + 188 * 50));
		await new Promise((resolve) => setImmediate(resolve));
	}
	demuxer.end();
	publisher.end();
	assert.ok(await waitFor(() => files.length === 1, 10_000));
	await recording.stop();
	assert.is(files.length, 1, 'one file: the restart is a jump, not a new stream');
	const expected = await probeCounts(parts);
	assert.equal(await probeCounts([files[0]!.path]), expected, 'every frame and audio packet of both encodes');
	for (const stream of await probeStreams(files[0]!.path)) {
		for (let i = 1; i < stream.dts.length; i++) assert.ok(stream.dts[i]! > stream.dts[i - 1]!, `monotonic ${i}`);
		assert.ok(stream.duration < 4.2, `${stream.codecType}: continuous, ${stream.duration} s`);
	}
	assert.ok((recording.warnings.byCode.timestamp_jump ?? 0) >= 1);
	assert.is(await decodeErrors(files[0]!.path), '');
});

test('a disk that fails as the publisher leaves: no crash, the recording retries; another one is untouched', async () => {
	const root = newRoot();
	const registry = new StreamRegistry();
	const bad = { vhost: 'default', app: 'live', stream: 'bad' };
	const good = { vhost: 'default', app: 'live', stream: 'good' };
	let failClose = true;
	const openSink = (path: string): Sink => {
		const sink = new FileSink(path, { exclusive: true });
		const close = sink.close.bind(sink);
		sink.close = async () => {
			await close();
			if (failClose) throw new TapedeckError('disk_full', `disk full while writing ${path}: free space and retry`);
		};
		return sink;
	};
	const failing = makeRecording(registry, bad, root, { deps: { openSink } });
	const healthy = makeRecording(registry, good, root);
	await Promise.all([publish(registry, bad), publish(registry, good)]);
	assert.ok(await waitFor(() => failing.recording.stats.failures === 1, 10_000), 'the failure is counted');
	failClose = false;
	assert.ok(await waitFor(() => failing.recording.state === 'ready', 5000), 'retried on its own');
	await publish(registry, bad);
	assert.ok(await waitFor(() => failing.files.some((f) => f.state === 'complete'), 10_000), 'records again');
	assert.ok(await waitFor(() => healthy.files.length === 1, 10_000));
	await Promise.all([failing.recording.stop(), healthy.recording.stop()]);
	const counts = await probeCounts([healthy.files[0]!.path]);
	assert.is(counts.video, countPackets(load(), 'video'));
	assert.is(counts.audio, countPackets(load(), 'audio'));
});

test('a muxer that throws on packets and at its end: those packets dropped and counted; another recording untouched', async () => {
	const root = newRoot();
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'shared' };
	let calls = 0;
	const throwing: typeof createMuxer = (format, tracks, sink, options) => {
		const muxer = createMuxer(format, tracks, sink, options);
		const writePacket = muxer.writePacket.bind(muxer);
		const wrapped: Muxer = {
			format: muxer.format,
			stats: muxer.stats,
			writeHeader: () => muxer.writeHeader(),
			updateTrack: (track) => muxer.updateTrack(track),
			writePacket: (packet) => {
				if (++calls % 40 === 0) throw new RangeError('offset is out of bounds');
				writePacket(packet);
			},
			finish: () => {
				throw new TypeError('cannot read properties of undefined');
			},
		};
		return wrapped;
	};
	const broken = makeRecording(registry, key, root, { template: 'broken.ts', deps: { createMuxer: throwing } });
	const healthy = makeRecording(registry, key, root, { template: 'healthy.ts' });
	await publish(registry, key);
	assert.ok(await waitFor(() => broken.files.length === 1 && healthy.files.length === 1, 10_000));
	await Promise.all([broken.recording.stop(), healthy.recording.stop()]);
	assert.is(broken.files[0]!.state, 'recovered', 'the file without its trailer is repaired');
	assert.ok(existsSync(broken.files[0]!.path));
	const dropped = broken.recording.warnings.byCode.dropped_data ?? 0;
	assert.ok(dropped >= Math.floor(load().packets.length / 40), `drops counted: ${dropped}`);
	const counts = await probeCounts([healthy.files[0]!.path]);
	assert.is(counts.video, countPackets(load(), 'video'));
	assert.is(counts.audio, countPackets(load(), 'audio'));
});

test('warnings from the input reach the recording through the bus, counted by code', async () => {
	const root = newRoot();
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'warned' };
	const { recording } = makeRecording(registry, key, root);
	const publisher = registry.publish(key, 'test');
	publisher.announce(load().tracks);
	for (let i = 0; i < 3; i++)
		publisher.warn?.({ code: 'unsupported_stream', message: 'PID 0x102: stream type 0x06 not carried' });
	publisher.warn?.({ code: 'corrupt_data', message: 'PID 0x100: PES with a bad header' });
	assert.ok(await waitFor(() => recording.warnings.total === 4, 5000));
	publisher.end();
	await recording.stop();
	const { byCode, recent } = recording.warnings;
	assert.equal(byCode, { unsupported_stream: 3, corrupt_data: 1 });
	assert.equal(
		recent.map((w) => [w.code, w.count]),
		[
			['unsupported_stream', 3],
			['corrupt_data', 1],
		],
	);
});

test('a recording whose file cannot be opened retries with back-off and records once it can', async () => {
	const root = newRoot();
	mkdirSync(join(root, 'full'));
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'retry' };
	let refusals = 2;
	const openSink = (path: string): Sink => {
		if (refusals-- > 0) throw new TapedeckError('disk_full', `disk full while writing ${path}: free space and retry`);
		return new FileSink(path, { exclusive: true });
	};
	const { recording, files } = makeRecording(registry, key, root, { deps: { openSink } });
	const publisher = registry.publish(key, 'test');
	const { tracks, packets } = load();
	publisher.announce(tracks);
	for (const packet of packets) {
		publisher.push(packet);
		await new Promise((resolve) => setImmediate(resolve));
		if (recording.state === 'recording' && recording.currentFile) break;
	}
	assert.ok(await waitFor(() => recording.stats.failures === 2 && recording.currentFile !== undefined, 5000));
	publisher.end();
	assert.ok(await waitFor(() => files.length === 1, 5000));
	await recording.stop();
	assert.is(files[0]!.state, 'complete');
});

test.after(() => {
	for (const root of roots) rmSync(root, { recursive: true, force: true });
});

test.run();
