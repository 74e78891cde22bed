/**
 * mux.js (video.js's HLS transmuxer) as an independent reader of our MPEG-TS: it parses PAT/PMT and
 * reassembles PES into H.264 access units and AAC frames the way browsers' HLS players do.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import muxjs from 'mux.js';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { remuxFile } from '../../src/cli/remux.ts';
import { probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

type EsEvent = { type: string; dts?: number; pts?: number };
type Stream = { pipe(next: Stream): Stream; on(event: 'data', listener: (event: EsEvent) => void): void };
type Mp2t = {
	TransportPacketStream: new () => Stream & { push(bytes: Uint8Array): void; flush(): void };
	TransportParseStream: new () => Stream;
	ElementaryStream: new () => Stream;
};

/** Outputs go to a fresh folder outside the tree, removed when the suite ends. */
const OUT = tempDir('ts-muxjs');

test('mux.js reads our TS: both streams in the PMT, one PES per frame, monotonic DTS', async () => {
	const output = join(OUT, 'muxjs-check.ts');
	await remuxFile({ input: fixture('h264-aac48'), output, format: 'ts' });
	const { TransportPacketStream, TransportParseStream, ElementaryStream } = (muxjs as { mp2t: Mp2t }).mp2t;
	const packets = new TransportPacketStream();
	const parse = new TransportParseStream();
	const elementary = new ElementaryStream();
	packets.pipe(parse).pipe(elementary);
	const pmtTypes = new Set<string>();
	parse.on('data', (event) => {
		if (event.type === 'pmt') {
			const table = (event as unknown as { programMapTable: { video?: number; audio?: number } }).programMapTable;
			if (table.video) pmtTypes.add('video');
			if (table.audio) pmtTypes.add('audio');
		}
	});
	const dts: Record<string, number[]> = { video: [], audio: [] };
	elementary.on('data', (event) => {
		if ((event.type === 'video' || event.type === 'audio') && event.dts !== undefined) dts[event.type]!.push(event.dts);
	});
	packets.push(new Uint8Array(readFileSync(output)));
	packets.flush();
	assert.equal([...pmtTypes].sort(), ['audio', 'video']);
	const [video] = (await probeStreams(output)).filter((s) => s.codecType === 'video');
	assert.is(dts['video']!.length, video!.packets, 'one video PES per access unit');
	assert.ok(dts['audio']!.length > 0, 'audio PES found');
	for (const kind of ['video', 'audio']) {
		const list = dts[kind]!;
		for (let i = 1; i < list.length; i++) assert.ok(list[i]! > list[i - 1]!, `${kind} DTS increases at ${i}`);
	}
});

test.after(() => rmSync(OUT, { recursive: true, force: true }));

test.run();
