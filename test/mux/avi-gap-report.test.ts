/**
 * An audio gap in the input (a whole audio PES lost from an MPEG-TS, as on a lossy link) becomes, in
 * AVI (whose audio has no timestamps), silent frames or, for a codec with none (AC-3), an unfilled
 * gap. Either way the user is told: `tapedeck remux` prints it, and a recording has it in its stats
 * (what the job's getStat and the server log show), naming the track, the gap count and length.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { StreamRegistry } from '../../src/bus/stream-registry.ts';
import type { Packet } from '../../src/core/packet.ts';
import type { Track } from '../../src/core/track.ts';
import { PathTemplate } from '../../src/recorder/path-template.ts';
import { type RecordedFile, Recording } from '../../src/recorder/recording.ts';
import { decodeErrors, probeStreams } from '../helpers/media-check.ts';
import { run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { packetsOf, unitStartAt, withoutPackets } from '../helpers/ts-edit.ts';
import { demuxTs, ffmpegMake, H264_FAST, lavfiInputs } from '../helpers/ts-media.ts';
import { waitFor } from '../helpers/wait.ts';

const BIN = join(import.meta.dirname, '../../src/cli/bin.mjs');
const OUT = tempDir('avi-gap');
/** ffmpeg's default PID for the first audio stream of an MPEG-TS. */
const AUDIO_PID = 0x101;

/** Two seconds of H.264 and `audioArgs` audio as MPEG-TS, with the third audio PES taken out (ffmpeg packs up to ~3 KB of frames per PES: a few hundred ms). */
const gappedTs = async (name: string, audioArgs: readonly string[]): Promise<{ path: string; bytes: Uint8Array }> => {
	const ts = await ffmpegMake(
		[...lavfiInputs(2), ...H264_FAST, '-g', '25', ...audioArgs, '-f', 'mpegts'],
		join(OUT, `${name}-clean.ts`),
	);
	const audio = packetsOf(ts, AUDIO_PID);
	const starts = audio.filter((at) => unitStartAt(ts, at));
	const lost = audio.filter((at) => at >= starts[2]! && at < starts[3]!);
	const bytes = withoutPackets(ts, lost);
	const path = join(OUT, `${name}-gap.ts`);
	writeFileSync(path, bytes);
	return { path, bytes };
};

const CASES = [
	{ codec: 'aac', args: ['-c:a', 'aac', '-b:a', '64k'], filled: true },
	{ codec: 'mp2', args: ['-c:a', 'mp2', '-b:a', '128k'], filled: true },
	{ codec: 'ac3', args: ['-c:a', 'ac3', '-b:a', '96k'], filled: false },
] as const;

/** `track 2 (aac): 1 audio gap (NNN ms in all) filled with N silent frames: …` or `… not filled (…)`. */
const gapLine = (codec: string, filled: boolean): RegExp =>
	filled
		? new RegExp(`track \\d+ \\(${codec}\\): 1 audio gap \\((\\d+) ms in all\\) filled with (\\d+) silent frames`)
		: new RegExp(
				`track \\d+ \\(${codec}\\): 1 audio gap \\((\\d+) ms in all\\) not filled \\(no silent ${codec} frame`,
			);

for (const { codec, args, filled } of CASES) {
	test(`remux to AVI, ${codec} with a lost PES: the gap is named on stderr (${filled ? 'filled with silence' : 'not filled'})`, async () => {
		const input = await gappedTs(`remux-${codec}`, args);
		const output = join(OUT, `remux-${codec}.avi`);
		const result = await run(process.execPath, [BIN, 'remux', input.path, output], 30_000);
		assert.is(result.code, 0, result.stderr);
		const match = gapLine(codec, filled).exec(result.stderr);
		assert.ok(match, result.stderr);
		// The gap is one PES: several frames of 1024 (AAC) or 1152/1536 samples at 48 kHz, under a second.
		const ms = Number(match[1]);
		assert.ok(ms >= 40 && ms <= 1000, `${ms} ms`);
		if (filled) assert.ok(Number(match[2]) >= 2, 'several silent frames');
		assert.is(await decodeErrors(output), '');
	});
}

test('a recording to AVI has the gap in its warnings (the job stats and the server log)', async () => {
	const { codec, args, filled } = CASES[0];
	const input = await gappedTs(`record-${codec}`, args);
	const { collector } = demuxTs(input.bytes);
	const registry = new StreamRegistry();
	const key = { vhost: 'default', app: 'live', stream: 'gap' };
	const files: RecordedFile[] = [];
	const recording = new Recording(
		{
			id: 'gap',
			transactionId: 'TX',
			key,
			streamName: 'gap',
			format: 'avi',
			filePath: new PathTemplate(`\${Stream}.avi`, tempDir('avi-gap-rec')),
			segmentationRule: 'discontinuity',
			createdAt: new Date(),
			firstSequence: 0,
		},
		{
			registry,
			observer: { fileOpened: () => {}, fileClosed: (file) => files.push(file), stateChanged: () => {} },
		},
	);
	recording.start();
	publish(registry, key, collector.tracks, collector.packets);
	assert.ok(await waitFor(() => files.length === 1, 20_000), 'the file is closed when the stream ends');
	await recording.stop();
	const warning = recording.warnings.recent.find((w) => gapLine(codec, filled).test(w.message));
	assert.ok(warning, JSON.stringify(recording.warnings.recent));
	const audio = (await probeStreams(files[0]!.path)).find((s) => s.codecType === 'audio');
	assert.ok(audio && audio.packets > 0);
});

const publish = (
	registry: StreamRegistry,
	key: Parameters<StreamRegistry['publish']>[0],
	tracks: readonly Track[],
	packets: readonly Packet[],
): void => {
	const publisher = registry.publish(key, 'test');
	publisher.announce(tracks);
	for (const packet of packets) publisher.push(packet);
	publisher.end('done');
};

test.run();
