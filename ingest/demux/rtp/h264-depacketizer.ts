import { buildAvcC, H264NalType, h264NalType, parseH264Sps } from '../../../src/codec/h264.ts';
import type { NalCodec, NalRole, ParameterSetKind } from './nal-access-unit-builder.ts';
import { NalDepacketizer } from './nal-depacketizer.ts';
import type { AccessUnitReceiver, CodecParameters } from './rtp-depacketizer.ts';

/**
 * H.264 over RTP (RFC 6184): single NAL unit packets (types 1–23), STAP-A aggregates (24) and
 * FU-A fragments (28), i.e. packetization-mode 0 and 1. STAP-B, MTAP and FU-B (interleaved mode 2)
 * are counted as unsupported and damage their access unit.
 */
const STAP_A = 24;
const FU_A = 28;

const ROLES: readonly NalRole[] = Array.from({ length: 32 }, (_, type): NalRole => {
	if (type === H264NalType.Sps) return { kind: 'parameter-set', set: 'sps' };
	if (type === H264NalType.Pps) return { kind: 'parameter-set', set: 'pps' };
	if (type === H264NalType.AccessUnitDelimiter) return { kind: 'drop' };
	if (type >= 1 && type <= 5) return { kind: 'slice', keyframe: type === H264NalType.IdrSlice };
	return { kind: 'other' };
});

const H264: NalCodec = {
	role: (nal, start) => ROLES[h264NalType(nal[start]!)]!,
	build: (sets: ReadonlyMap<ParameterSetKind, readonly Uint8Array[]>): CodecParameters | undefined => {
		const sps = sets.get('sps');
		const pps = sets.get('pps');
		if (!sps?.length || !pps?.length) return undefined;
		const info = parseH264Sps(sps[0]!);
		return {
			codec: 'h264',
			config: buildAvcC(sps, pps),
			video: { width: info.width, height: info.height },
			// Without a bitstream restriction, Baseline (66) and Constrained Baseline have no B-frames.
			...(info.maxNumReorderFrames !== undefined
				? { reorderDepth: info.maxNumReorderFrames }
				: info.profileIdc === 66
					? { reorderDepth: 0 }
					: {}),
		};
	},
};

/** `sprop-parameter-sets=<base64>,<base64>,…` (RFC 6184 §8.1) → NAL units. */
export const decodeSpropSets = (value: string | undefined): Uint8Array[] =>
	(value ?? '')
		.split(',')
		.map((part) => new Uint8Array(Buffer.from(part.trim(), 'base64')))
		.filter((nal) => nal.length > 0);

export class H264Depacketizer extends NalDepacketizer {
	readonly #header = new Uint8Array(1);

	constructor(receiver: AccessUnitReceiver, fmtp: ReadonlyMap<string, string> = new Map()) {
		super(H264, receiver, decodeSpropSets(fmtp.get('sprop-parameter-sets')));
	}

	protected unpack(p: Uint8Array): void {
		const builder = this.builder;
		if (p.length === 0) return;
		const type = h264NalType(p[0]!);
		if (type >= 1 && type <= 23) {
			builder.addNal(p, 0, p.length);
		} else if (type === STAP_A) {
			// STAP-A: header byte, then (16-bit size, NAL unit) repeated (§5.7.1).
			let at = 1;
			while (at + 2 <= p.length) {
				const size = (p[at]! << 8) | p[at + 1]!;
				at += 2;
				if (size === 0 || at + size > p.length) {
					builder.damage();
					break;
				}
				builder.addNal(p, at, at + size);
				at += size;
			}
		} else if (type === FU_A && p.length >= 2) {
			// FU indicator (F, NRI, type 28), FU header (S, E, R, original type) (§5.8).
			const fu = p[1]!;
			if (fu & 0x80) {
				this.#header[0] = (p[0]! & 0xe0) | (fu & 0x1f);
				builder.startFragment(this.#header, p, 2, p.length, (fu & 0x40) !== 0);
			} else {
				builder.continueFragment(p, 2, p.length, (fu & 0x40) !== 0);
			}
		} else {
			builder.unsupported();
		}
	}
}
