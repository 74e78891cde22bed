/**
 * Bench peer: mux.js's TS→fMP4 Transmuxer fed from a file read stream. mux.js is built for HLS
 * segments: it emits its output on flush(), so the whole file is pushed and flushed once.
 * Usage: node --import tsx bench/peers/muxjs-remux.ts <input.ts> <output.mp4>
 * (the bench runs it bundled by esbuild, as bench/work/muxjs-remux.mjs, so it starts like tapedeck's bundle)
 */
import { createReadStream, createWriteStream } from 'node:fs';
import muxjs from 'mux.js';

type Segment = { initSegment: Uint8Array; data: Uint8Array };
type Transmuxer = {
	on(event: 'data', listener: (segment: Segment) => void): void;
	push(bytes: Uint8Array): void;
	flush(): void;
};

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: muxjs-remux <input> <output>');

const { Transmuxer } = (muxjs as { mp4: { Transmuxer: new (options: object) => Transmuxer } }).mp4;
const transmuxer = new Transmuxer({ remux: true });
const out = createWriteStream(output);
let wroteInit = false;
transmuxer.on('data', (segment) => {
	if (!wroteInit) {
		out.write(segment.initSegment);
		wroteInit = true;
	}
	out.write(segment.data);
});
for await (const chunk of createReadStream(input, { highWaterMark: 1 << 20 })) transmuxer.push(chunk as Buffer);
transmuxer.flush();
await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
