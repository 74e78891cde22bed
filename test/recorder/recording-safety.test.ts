/**
 * A recording with real-world trouble, on the bus with real muxers, checked with ffprobe: files are
 * never replaced, never written through a link, a late track costs the other nothing, errors stay
 * inside one recording (which retries), and warnings reach the recording's stats.
 */
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
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
import { waitFor } from '../helpers/wait.ts';

type Media = { tracks: readonly Track[]; packets: Packet[] };

/** The fixture's tracks and packets (copied: the demuxer reuses its buffers). */
const load = (() => {
	let media: Media | undefined;
	return (): Media => {
		if (media) return media;
		const packets: Packet[] = [];
		let tracks: readonly Track[] = [];
		const demuxer = createDemuxer('ts', {
			announce: (announced) => {
				tracks = announced;
			},
			push: (packet) => packets.push({ ...packet, data: packet.data.slice() }),
		});
		demuxer.push(readFileSync(fixture('h264-aac48')));
		demuxer.end();
		media = { tracks, packets };
		return media;
	};
})();

const roots: string[] = [];
const newRoot = (): string => {
	const root = mkdtempSync(join(tmpdir(), 'tapedeck-safety-'));
	roots.push(root);
	return root;
};

const makeRecording = (
	registry: StreamRegistry,
	key: StreamKey,
	root: string,
	options: { format?: RecordFormat; template?: string; deps?: Partial<RecordingDeps> } = {},
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

/** Publishes the fixture once: all tracks, or video alone until `lateAudioS`, then both. */
const publish = async (registry: StreamRegistry, key: StreamKey, lateAudioS?: number): Promise<void> => {
	const { tracks, packets } = load();
	const publisher = registry.publish(key, 'test');
	const video = tracks.filter((t) => t.kind === 'video');
	publisher.announce(lateAudioS === undefined ? tracks : video);
	let late = lateAudioS !== undefined;
	let count = 0;
	for (const packet of packets) {
		const track = tracks.find((t) => t.id === packet.trackId)!;
		if (late && track.kind === 'video' && packet.dts / track.timescale >= lateAudioS! + 1.4) {
			late = false;
			publisher.announce(tracks);
		}
		if (late && track.kind !== 'video') continue;
		publisher.push(packet);
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

test('a track that starts late costs the other nothing; MP4 gets a numbered second file with both', async () => {
	const root = newRoot();
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'late' };
	const { recording, files } = makeRecording(registry, key, root, { format: 'mp4' });
	await publish(registry, key, 1.5);
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
