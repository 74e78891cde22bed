/**
 * The onMetaData script tag body, written once at the start with room reserved and rewritten in
 * place at the end (or by crash repair) with the same byte length.
 *
 * Layout: AMF0 string "onMetaData", then an ECMA array of the scalar fields, `keyframes`
 * ({times, filepositions} strict arrays of numbers) and `_padding`, a strict array of AMF0 nulls
 * (one byte each) that absorbs whatever the keyframe arrays do not use. Readers skip arrays of
 * nulls without turning them into tags (ffmpeg's flvdec, for one), and a null pads to any byte.
 *
 * Reference: Adobe "Video File Format Specification" v10.1 §E.5 onMetaData; AMF0 §2.10, §2.12.
 */
import { AmfEcmaArray, type AmfObject, encodeAmf0 } from '../../src/bytes/amf0.ts';

export const METADATA_NAME = 'onMetaData';
const PADDING_KEY = '_padding';

/**
 * The body for `fields` plus a keyframe index, padded to exactly `size` bytes; without `size`,
 * the natural (unpadded) size. Returns undefined when it cannot fit in `size`.
 */
export const encodeMetadataBody = (
	fields: AmfObject,
	times: readonly number[],
	positions: readonly number[],
	size?: number,
): Uint8Array | undefined => {
	const unpadded = encode(fields, times, positions, 0);
	if (size === undefined) return unpadded;
	const room = size - unpadded.length;
	if (room < 0) return undefined;
	return room === 0 ? unpadded : encode(fields, times, positions, room);
};

/** The body size that leaves room for `capacity` keyframes: the header reserves exactly this. */
export const reservedMetadataSize = (fields: AmfObject, capacity: number): number => {
	const zeros = new Array<number>(capacity).fill(0);
	return encode(fields, zeros, zeros, 0).length;
};

const encode = (fields: AmfObject, times: readonly number[], positions: readonly number[], nulls: number) =>
	encodeAmf0(
		METADATA_NAME,
		new AmfEcmaArray({
			...fields,
			keyframes: { times: [...times], filepositions: [...positions] },
			[PADDING_KEY]: new Array<null>(nulls).fill(null),
		}),
	);
