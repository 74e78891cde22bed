/**
 * Bench peer: mediabunny's Conversion (packet copy, no decoding) from a TS file to MP4.
 * Usage: node --import tsx bench/peers/mediabunny-remux.ts <input.ts> <output.mp4>
 * (the bench runs it bundled by esbuild, as bench/work/mediabunny-remux.mjs, so it starts like tapedeck's bundle)
 */
import { ALL_FORMATS, Conversion, FilePathSource, FilePathTarget, Input, Mp4OutputFormat, Output } from 'mediabunny';

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: mediabunny-remux <input> <output>');

const conversion = await Conversion.init({
	input: new Input({ source: new FilePathSource(input), formats: ALL_FORMATS }),
	output: new Output({ format: new Mp4OutputFormat(), target: new FilePathTarget(output) }),
});
if (!conversion.isValid) {
	throw new Error(`mediabunny cannot convert: ${JSON.stringify(conversion.discardedTracks.map((t) => t.reason))}`);
}
await conversion.execute();
