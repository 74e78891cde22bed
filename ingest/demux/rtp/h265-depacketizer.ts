import { buildHvcC, H265NalType, h265NalType, isH265Irap, parseH265Sps } from '../../../src/codec/h265.ts';
import { decodeSpropSets } from './h264-depacketizer.ts';
import type { NalCodec, NalRole, ParameterSetKind } from './nal-access-unit-builder.ts';
import { NalDepacketizer } from './nal-depacketizer.ts';
import type { AccessUnitReceiver, CodecParameters } from './rtp-depacketizer.ts';

/**
 * H.265 over RTP (RFC 7798): single NAL unit packets, aggregation packets (AP, type 48) and
 * fragmentation units (FU, type 49), with the optional DONL/DOND fields when the SDP says
 * sprop-max-don-diff > 0. PACI packets (50) are counted as unsupported.
 */
const AP = 48;
const FU = 49;

const ROLES: readonly NalRole[] = Array.from({ length: 64 }, (_, type): NalRole => {
	if (type === H265NalType.Vps) return { kind: 'parameter-set', set: 'vps' };
	if (type === H265NalType.Sps) return { kind: 'parameter-set', set: 'sps' };
	if (type === H265NalType.Pps) return { kind: 'parameter-set', set: 'pps' };
	if (type === H265NalType.AccessUnitDelimiter) return { kind: 'drop' };
	// VCL NAL unit types are 0–31 (Table 7-1); of those, IRAP pictures (16–23) start decoding.
	if (type < 32) return { kind: 'slice', keyframe: isH265Irap(type) };
	return { kind: 'other' };
});

const H265: NalCodec = {
	role: (nal, start) => ROLES[h265NalType(nal[start]!)]!,
	build: (sets: ReadonlyMap<ParameterSetKind, readonly Uint8Array[]>): CodecParameters | undefined => {
		const vps = sets.get('vps');
		const sps = sets.get('sps');
		const pps = sets.get('pps');
		if (!vps?.length || !sps?.length || !pps?.length) return undefined;
		const info = parseH265Sps(sps[0]!);
		return {
			codec: 'h265',
			config: buildHvcC(vps, sps, pps),
			video: { width: info.width, height: info.height },
			...(info.maxNumReorderPics === undefined ? {} : { reorderDepth: info.maxNumReorderPics }),
		};
	},
};

export class H265Depacketizer extends NalDepacketizer {
	/** Bytes of DONL (2) before each unit when decoding order numbers are present, else 0. */
	readonly #donl: number;
	readonly #header = new Uint8Array(2);

	constructor(receiver: AccessUnitReceiver, fmtp: ReadonlyMap<string, string> = new Map()) {
		super(
			H265,
			receiver,
			['sprop-vps', 'sprop-sps', 'sprop-pps'].flatMap((name) => decodeSpropSets(fmtp.get(name))),
		);
		this.#donl = Number(fmtp.get('sprop-max-don-diff') ?? 0) > 0 ? 2 : 0;
	}

	protected unpack(p: Uint8Array): void {
		const builder = this.builder;
		if (p.length < 2) return;
		const type = h265NalType(p[0]!);
		if (type < AP) {
			if (this.#donl === 0) builder.addNal(p, 0, p.length);
			else if (p.length > 2 + this.#donl) {
				// Single NAL unit packet with DONL: the two header bytes, DONL, then the payload.
				this.#header[0] = p[0]!;
				this.#header[1] = p[1]!;
				builder.startFragment(this.#header, p, 2 + this.#donl, p.length, true);
			}
		} else if (type === AP) {
			// AP: payload header, then ([DONL/DOND], 16-bit size, NAL unit) repeated (§4.4.2).
			let at = 2;
			let first = true;
			while (at < p.length) {
				at += this.#donl === 0 ? 0 : first ? 2 : 1;
				first = false;
				if (at + 2 > p.length) {
					builder.damage();
					break;
				}
				const size = (p[at]! << 8) | p[at + 1]!;
				at += 2;
				if (size < 2 || at + size > p.length) {
					builder.damage();
					break;
				}
				builder.addNal(p, at, at + size);
				at += size;
			}
		} else if (type === FU && p.length >= 3) {
			// Payload header (type 49), FU header (S, E, original type), [DONL in the first fragment] (§4.4.3).
			const fu = p[2]!;
			if (fu & 0x80) {
				this.#header[0] = (p[0]! & 0x81) | ((fu & 0x3f) << 1);
				this.#header[1] = p[1]!;
				builder.startFragment(this.#header, p, Math.min(p.length, 3 + this.#donl), p.length, (fu & 0x40) !== 0);
			} else {
				builder.continueFragment(p, 3, p.length, (fu & 0x40) !== 0);
			}
		} else {
			builder.unsupported();
		}
	}
}
