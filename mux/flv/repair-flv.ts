/**
 * Crash repair for an FLV the recorder was writing (`.part`): keeps every whole tag, cuts the
 * partial last one, restores the final PreviousTagSize, and rewrites onMetaData in place with
 * the duration, file size, frame rate and keyframe index the muxer would have written at finish.
 *
 * A tag is whole when its header is valid (TagType 8/9/18, StreamID 0), its body is entirely in
 * the file and the PreviousTagSize after it, when present, matches it (Adobe "Video File Format
 * Specification" v10.1 §E.3). The first tag that fails is where the file is cut.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { type AmfObject, decodeAmf0 } from '../../src/bytes/amf0.ts';
import { FLV_TAG_HEADER_BYTES, FlvTagType } from '../../src/codec/flv.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { FileWindow } from '../file-window.ts';
import type { RepairReport } from '../repair-report.ts';
import { FlvKeyframeIndex } from './flv-keyframe-index.ts';
import { encodeMetadataBody, METADATA_NAME } from './flv-metadata.ts';

/** `bytesCut`: the partial tag at the end. */
export type FlvRepairReport = RepairReport & {
	readonly tags: number;
	readonly videoKeyframes: number;
	readonly durationSeconds: number;
	/** False when the file has no onMetaData with room for the new values (then only the cut was done). */
	readonly metadataRewritten: boolean;
};

type Scan = {
	cut: number;
	/** Data size of the last whole tag, whose PreviousTagSize may be missing. */
	lastDataSize: number;
	trailerPresent: boolean;
	tags: number;
	metadata: { position: number; size: number } | undefined;
	keyframes: FlvKeyframeIndex;
	firstMs: number;
	videoFrames: number;
	firstVideoMs: number;
	lastVideoMs: number;
	maxVideoPtsMs: number;
	audioFrames: number;
	firstAudioMs: number;
	lastAudioMs: number;
	videoBytes: number;
	audioBytes: number;
};

export const repairFlv = async (path: string): Promise<FlvRepairReport> => {
	const file = await open(path, 'r+');
	try {
		const size = (await file.stat()).size;
		const window = new FileWindow(file, size);
		const header = await window.read(0, 9);
		if (header.length < 9 || header[0] !== 0x46 || header[1] !== 0x4c || header[2] !== 0x56) {
			throw new TapedeckError('corrupt_input', `${path} is not an FLV file: it does not start with "FLV"`);
		}
		const dataOffset = new DataView(header.buffer, header.byteOffset, 9).getUint32(5);
		const metadataCapacity = await keyframeRoom(window, dataOffset + 4);
		const scan = await scanTags(window, dataOffset + 4, metadataCapacity);
		let end = scan.cut;
		await file.truncate(end);
		if (scan.tags > 0 && !scan.trailerPresent) {
			const trailer = new Uint8Array(4);
			new DataView(trailer.buffer).setUint32(0, FLV_TAG_HEADER_BYTES + scan.lastDataSize);
			await file.write(trailer, 0, 4, end);
			end += 4;
		} else if (scan.tags === 0 && end < dataOffset + 4) {
			await file.write(new Uint8Array(dataOffset + 4 - end), 0, dataOffset + 4 - end, end);
			end = dataOffset + 4;
		}
		const duration = durationOf(scan);
		const metadataRewritten = scan.metadata ? await rewriteMetadata(file, window, scan, end, duration) : false;
		await file.sync();
		return {
			path,
			bytesBefore: size,
			bytesAfter: end,
			bytesCut: size - end,
			tags: scan.tags,
			videoKeyframes: scan.keyframes.count,
			durationSeconds: duration,
			metadataRewritten,
		};
	} finally {
		await file.close();
	}
};

/** Walks whole tags from `start` (just after PreviousTagSize0). */
const scanTags = async (window: FileWindow, start: number, capacity: number): Promise<Scan> => {
	const scan: Scan = {
		cut: start,
		lastDataSize: 0,
		trailerPresent: true,
		tags: 0,
		metadata: undefined,
		keyframes: new FlvKeyframeIndex(capacity),
		firstMs: Number.POSITIVE_INFINITY,
		videoFrames: 0,
		firstVideoMs: 0,
		lastVideoMs: 0,
		maxVideoPtsMs: 0,
		audioFrames: 0,
		firstAudioMs: 0,
		lastAudioMs: 0,
		videoBytes: 0,
		audioBytes: 0,
	};
	let at = start;
	while (at + FLV_TAG_HEADER_BYTES <= window.size) {
		const head = await window.read(at, FLV_TAG_HEADER_BYTES + 5);
		const type = head[0]!;
		const dataSize = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
		const timestamp = head[7]! * 0x1000000 + ((head[4]! << 16) | (head[5]! << 8) | head[6]!);
		const streamId = head[8]! | head[9]! | head[10]!;
		const bodyEnd = at + FLV_TAG_HEADER_BYTES + dataSize;
		if ((type !== FlvTagType.Audio && type !== FlvTagType.Video && type !== FlvTagType.Script) || streamId !== 0) break;
		if (bodyEnd > window.size) break;
		const trailerPresent = bodyEnd + 4 <= window.size;
		if (trailerPresent) {
			const trailer = await window.read(bodyEnd, 4);
			const previous = trailer[0]! * 0x1000000 + ((trailer[1]! << 16) | (trailer[2]! << 8) | trailer[3]!);
			if (previous !== FLV_TAG_HEADER_BYTES + dataSize) break;
		}
		const body = await window.read(at + FLV_TAG_HEADER_BYTES, Math.min(dataSize, 8));
		record(scan, type, timestamp, dataSize, body, at);
		scan.tags++;
		scan.lastDataSize = dataSize;
		scan.trailerPresent = trailerPresent;
		scan.cut = trailerPresent ? bodyEnd + 4 : bodyEnd;
		if (!trailerPresent) break;
		at = bodyEnd + 4;
	}
	return scan;
};

const record = (scan: Scan, type: number, timestamp: number, dataSize: number, body: Uint8Array, at: number) => {
	if (type === FlvTagType.Script) {
		scan.metadata ??= { position: at, size: dataSize };
		return;
	}
	scan.firstMs = Math.min(scan.firstMs, timestamp);
	if (type === FlvTagType.Audio) {
		scan.audioBytes += dataSize;
		if (scan.audioFrames++ === 0) scan.firstAudioMs = timestamp;
		scan.lastAudioMs = timestamp;
		return;
	}
	scan.videoBytes += dataSize;
	if (!isVideoFrame(body)) return;
	if (scan.videoFrames++ === 0) scan.firstVideoMs = timestamp;
	scan.lastVideoMs = timestamp;
	scan.maxVideoPtsMs = Math.max(scan.maxVideoPtsMs, timestamp + compositionTime(body));
	if (((body[0]! >> 4) & 0x07) === 1) scan.keyframes.add(timestamp / 1000, at);
};

/** The SI24 CompositionTime: after AVCPacketType (legacy), after the FourCC of CodedFrames (enhanced). */
const compositionTime = (body: Uint8Array): number => {
	const at = body[0]! & 0x80 ? ((body[0]! & 0x0f) === 1 ? 5 : -1) : 2;
	if (at < 0 || body.length < at + 3) return 0;
	const value = (body[at]! << 16) | (body[at + 1]! << 8) | body[at + 2]!;
	return value & 0x800000 ? value - 0x1000000 : value;
};

/** A coded frame: not a sequence header/end, command frame or Enhanced RTMP metadata. */
const isVideoFrame = (body: Uint8Array): boolean => {
	if (body.length < 2) return false;
	const frameType = (body[0]! >> 4) & 0x07;
	if (frameType === 5) return false;
	// Enhanced RTMP: VideoPacketType CodedFrames (1) or CodedFramesX (3); legacy: AVCPacketType NALU (1).
	if (body[0]! & 0x80) return (body[0]! & 0x0f) === 1 || (body[0]! & 0x0f) === 3;
	return body[1] === 1;
};

/** From the first timestamp to the end of the last frame (frame lengths from the mean spacing), as the muxer counts. */
const durationOf = (scan: Scan): number => {
	if (!Number.isFinite(scan.firstMs)) return 0;
	const spacing = (first: number, last: number, count: number) => (count > 1 ? (last - first) / (count - 1) : 0);
	const videoEnd = scan.videoFrames
		? scan.maxVideoPtsMs + spacing(scan.firstVideoMs, scan.lastVideoMs, scan.videoFrames)
		: 0;
	const audioEnd = scan.audioFrames
		? scan.lastAudioMs + spacing(scan.firstAudioMs, scan.lastAudioMs, scan.audioFrames)
		: 0;
	return Math.max(0, Math.max(videoEnd, audioEnd) - scan.firstMs) / 1000;
};

/**
 * Keyframe entries that fit in the file's onMetaData next to its other fields (18 bytes each:
 * two AMF0 numbers), so the rewrite keeps the tag's size. Our muxer reserved this room.
 */
const keyframeRoom = async (window: FileWindow, at: number): Promise<number> => {
	const metadata = await readMetadata(window, at);
	if (!metadata) return 2;
	const bare = encodeMetadataBody(updatedFields(metadata.object, 0, 0, undefined), [], [])!;
	const entries = Math.floor((metadata.size - bare.length) / 18);
	return Math.max(2, entries - (entries % 2));
};

const readMetadata = async (
	window: FileWindow,
	at: number,
): Promise<{ object: AmfObject; size: number } | undefined> => {
	const head = await window.read(at, FLV_TAG_HEADER_BYTES);
	if (head.length < FLV_TAG_HEADER_BYTES || head[0] !== FlvTagType.Script) return undefined;
	const size = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
	const body = (await window.read(at + FLV_TAG_HEADER_BYTES, size)).slice();
	if (body.length < size) return undefined;
	try {
		const [name, object] = decodeAmf0(body);
		if (name !== METADATA_NAME || typeof object !== 'object' || !object || Array.isArray(object)) return undefined;
		if (object instanceof Date) return undefined;
		return { object, size };
	} catch {
		return undefined;
	}
};

/** Re-encodes onMetaData with the scanned totals at its own size; false when it cannot fit. */
const rewriteMetadata = async (
	file: FileHandle,
	window: FileWindow,
	scan: Scan,
	fileSize: number,
	duration: number,
): Promise<boolean> => {
	const position = scan.metadata!.position;
	const existing = await readMetadata(window, position);
	if (!existing) return false;
	const fields = updatedFields(existing.object, duration, fileSize, scan);
	let times = scan.keyframes.times();
	let positions = scan.keyframes.positions();
	let body = encodeMetadataBody(fields, times, positions, existing.size);
	// A metadata tag written by another muxer may have less room: thin the index until it fits.
	while (!body && times.length > 0) {
		times = times.filter((_, i) => i % 2 === 0 && i < times.length - 1);
		positions = positions.filter((_, i) => i % 2 === 0 && i < positions.length - 1);
		body = encodeMetadataBody(fields, times, positions, existing.size);
	}
	if (!body) return false;
	await file.write(body, 0, body.length, position + FLV_TAG_HEADER_BYTES);
	return true;
};

/** The file's onMetaData fields with the totals a finished file would have; keyframes are added by the encoder. */
const updatedFields = (existing: AmfObject, duration: number, fileSize: number, scan: Scan | undefined): AmfObject => {
	const fields: AmfObject = { ...existing };
	delete fields['keyframes'];
	delete fields['_padding'];
	fields['duration'] = duration;
	fields['filesize'] = fileSize;
	if (scan && scan.videoFrames > 1 && scan.lastVideoMs > scan.firstVideoMs) {
		const fps = (scan.videoFrames - 1) / ((scan.lastVideoMs - scan.firstVideoMs) / 1000);
		fields['framerate'] = Math.round(fps * 1000) / 1000;
	}
	if (scan && duration > 0) {
		if ('videodatarate' in fields) fields['videodatarate'] = (scan.videoBytes * 8) / 1000 / duration;
		if ('audiodatarate' in fields) fields['audiodatarate'] = (scan.audioBytes * 8) / 1000 / duration;
	}
	return fields;
};
