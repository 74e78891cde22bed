import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { type Ac3Header, parseAc3Header } from '../../src/codec/ac3.ts';
import { probeStreams } from '../helpers/media-check.ts';
import { test } from '../helpers/suite.ts';

const frames = (data: Uint8Array): Ac3Header[] => {
	const list: Ac3Header[] = [];
	for (let at = 0; at < data.length; ) {
		const header = parseAc3Header(data, at);
		if (!header) throw new Error(`no AC-3 sync frame at ${at}`);
		list.push(header);
		at += header.frameLength;
	}
	return list;
};

test('5.1 at 44.1 kHz: the frame walk (44.1 kHz sizes) lands on every sync word; rate, channels with LFE, count agree with ffprobe', async () => {
	const file = fixture('ac3-51-44k');
	const list = frames(new Uint8Array(readFileSync(file)));
	const [probed] = await probeStreams(file);
	assert.is(list.length, probed!.packets);
	const first = list[0]!;
	assert.equal([first.sampleRate, first.channels, first.acmod, first.lfeon], [44_100, 6, 7, true]);
});

test('stereo at 48 kHz inside MPEG-TS: 192 kbit/s frames of 768 bytes', () => {
	const ts = new Uint8Array(readFileSync(fixture('h264-ac3')));
	let found: Ac3Header | undefined;
	for (let at = 0; at + 1 < ts.length && !found; at++) {
		if (ts[at] === 0x0b && ts[at + 1] === 0x77) found = parseAc3Header(ts, at);
	}
	assert.equal([found!.sampleRate, found!.channels, found!.bitrate, found!.frameLength], [48_000, 2, 192_000, 768]);
	assert.is(parseAc3Header(Uint8Array.of(0x0b, 0x77, 0, 0, 0xff, 0, 0)), undefined, 'reserved fscod/frmsizecod');
	assert.is(parseAc3Header(Uint8Array.of(0x0b, 0x77, 0)), undefined, 'too short');
});

test.run();
