import { GrowableBuffer } from '../../../src/bytes/growable-buffer.ts';
import {
	type AccessUnitReceiver,
	type CodecParameters,
	type DepacketizerStats,
	emptyDepacketizerStats,
} from './rtp-depacketizer.ts';

/** What the builder asks of a NAL-based codec (H.264, H.265). */
export interface NalCodec {
	/** What a NAL unit is to the access unit, from its header. */
	role(nal: Uint8Array, start: number): NalRole;
	/**
	 * Builds parameters from the parameter sets (each list in arrival order, keyed by role), or
	 * undefined when some are missing. Throws on parameter sets that do not parse.
	 */
	build(sets: ReadonlyMap<ParameterSetKind, readonly Uint8Array[]>): CodecParameters | undefined;
}

export type ParameterSetKind = 'vps' | 'sps' | 'pps';

export type NalRole =
	| { readonly kind: 'slice'; readonly keyframe: boolean }
	| { readonly kind: 'parameter-set'; readonly set: ParameterSetKind }
	/** Access unit delimiters and the like: framing that the length-prefixed form does not carry. */
	| { readonly kind: 'drop' }
	| { readonly kind: 'other' };

/**
 * Assembles NAL units from RTP packets into access units (4-byte length-prefixed, parameter sets
 * moved to the codec configuration). An access unit ends on the marker bit or when the timestamp
 * changes (RFC 6184 §5.1, RFC 7798 §4.1). After any loss the access units touched by it are
 * dropped, and so is everything up to the next keyframe: a decoder cannot use frames whose
 * references are missing, so passing them on would only write corrupt video.
 */
export class NalAccessUnitBuilder {
	readonly stats: DepacketizerStats = emptyDepacketizerStats();
	readonly #codec: NalCodec;
	readonly #receiver: AccessUnitReceiver;
	readonly #au = new GrowableBuffer(65_536);
	readonly #sets = new Map<ParameterSetKind, Uint8Array[]>();
	/** Parameter sets seen in the current access unit, replacing the stored ones when it completes. */
	readonly #pendingSets = new Map<ParameterSetKind, Uint8Array[]>();
	#parameters: CodecParameters | undefined;
	#timestamp = 0;
	#active = false;
	#damaged = false;
	#keyframe = false;
	#slices = 0;
	/** Offset of the length field of the NAL unit being reassembled from fragments, −1 when none. */
	#fragmentAt = -1;
	/** Nothing is passed on before the first keyframe: earlier frames lack their references. */
	#waitKeyframe = true;

	constructor(codec: NalCodec, receiver: AccessUnitReceiver, initialSets: readonly Uint8Array[]) {
		this.#codec = codec;
		this.#receiver = receiver;
		for (const nal of initialSets) {
			const role = codec.role(nal, 0);
			if (role.kind === 'parameter-set') this.#remember(this.#sets, role.set, nal);
		}
		this.#parameters = this.#build(this.#sets);
	}

	get parameters(): CodecParameters | undefined {
		return this.#parameters;
	}

	/** Starts a packet: closes the access unit when the timestamp moved, marks damage after loss. */
	begin(timestamp: number, lostBefore: number): void {
		if (this.#active && timestamp !== this.#timestamp) this.#finish();
		if (lostBefore > 0) {
			// The lost packets belong to the access unit in progress or to this packet's one: both are damaged.
			this.#waitKeyframe = true;
			this.#damaged = true;
		}
		if (!this.#active) {
			this.#active = true;
			this.#timestamp = timestamp;
			this.#au.length = 0;
			this.#keyframe = false;
			this.#slices = 0;
			this.#fragmentAt = -1;
		}
	}

	/** Ends a packet; the marker bit closes the access unit. */
	end(marker: boolean): void {
		if (marker) this.#finish();
	}

	/** A whole NAL unit `data[start, end)`. */
	addNal(data: Uint8Array, start: number, end: number): void {
		if (end <= start) return;
		if (this.#fragmentAt >= 0) this.damage(); // a fragmented unit never got its end fragment
		const role = this.#codec.role(data, start);
		if (role.kind === 'drop') return;
		if (role.kind === 'parameter-set') {
			this.#remember(this.#pendingSets, role.set, data.slice(start, end));
			return;
		}
		this.#countSlice(role);
		this.#writeLength(end - start);
		this.#au.append(data, start, end);
	}

	/**
	 * The first fragment of a NAL unit: its reconstructed header, then the first payload bytes.
	 * `last` completes the unit at once (a fragment that is also the end one, or a whole NAL unit
	 * whose header travels apart from its payload).
	 */
	startFragment(header: Uint8Array, data: Uint8Array, start: number, end: number, last: boolean): void {
		if (this.#fragmentAt >= 0) this.damage();
		this.#fragmentAt = this.#au.length;
		this.#writeLength(0);
		this.#au.append(header);
		this.#au.append(data, start, end);
		if (last) this.continueFragment(data, end, end, true);
	}

	/** A middle or last fragment; a fragment with no start before it damages the access unit. */
	continueFragment(data: Uint8Array, start: number, end: number, last: boolean): void {
		if (this.#fragmentAt < 0) {
			this.damage();
			return;
		}
		this.#au.append(data, start, end);
		if (!last) return;
		const at = this.#fragmentAt;
		this.#fragmentAt = -1;
		const length = this.#au.length - at - 4;
		const bytes = this.#au.bytes;
		const role = this.#codec.role(bytes, at + 4);
		if (role.kind === 'slice' || role.kind === 'other') {
			this.#countSlice(role);
			bytes[at] = length >>> 24;
			bytes[at + 1] = (length >>> 16) & 0xff;
			bytes[at + 2] = (length >>> 8) & 0xff;
			bytes[at + 3] = length & 0xff;
			return;
		}
		if (role.kind === 'parameter-set')
			this.#remember(this.#pendingSets, role.set, bytes.slice(at + 4, at + 4 + length));
		this.#au.length = at;
	}

	/** Something in this access unit could not be read. */
	damage(): void {
		this.#damaged = true;
		this.#waitKeyframe = true;
	}

	/** A packet of a payload format we do not take: counted, and its access unit is damaged. */
	unsupported(): void {
		this.stats.unsupportedPackets++;
		this.damage();
	}

	/** Passes on the pending access unit if it is complete. */
	flush(): void {
		if (this.#active) this.#finish();
	}

	#finish(): void {
		this.#active = false;
		if (this.#fragmentAt >= 0) this.#damaged = true;
		const damaged = this.#damaged;
		this.#damaged = false;
		if (this.#pendingSets.size > 0 && !damaged) this.#adoptPendingSets();
		this.#pendingSets.clear();
		if (this.#slices === 0) return;
		if (damaged || (this.#waitKeyframe && !this.#keyframe) || this.#parameters === undefined) {
			this.stats.droppedUnits++;
			this.#waitKeyframe = true;
			return;
		}
		this.#waitKeyframe = false;
		this.stats.accessUnits++;
		this.#receiver.accessUnit(this.#timestamp, this.#timestamp, 0, this.#keyframe, this.#au.view());
	}

	#adoptPendingSets(): void {
		const next = new Map(this.#sets);
		for (const [kind, units] of this.#pendingSets) next.set(kind, units);
		if (sameSets(next, this.#sets) && this.#parameters) return;
		const parameters = this.#build(next);
		if (!parameters) return;
		this.#sets.clear();
		for (const [kind, units] of next) this.#sets.set(kind, units);
		this.#parameters = parameters;
		this.#receiver.parameters(parameters);
	}

	#build(sets: ReadonlyMap<ParameterSetKind, readonly Uint8Array[]>): CodecParameters | undefined {
		try {
			return this.#codec.build(sets);
		} catch {
			this.stats.droppedUnits++;
			return undefined;
		}
	}

	#remember(into: Map<ParameterSetKind, Uint8Array[]>, kind: ParameterSetKind, nal: Uint8Array): void {
		const list = into.get(kind);
		if (!list) into.set(kind, [nal]);
		else if (!list.some((unit) => equalBytes(unit, nal)) && list.length < 16) list.push(nal);
	}

	#countSlice(role: NalRole): void {
		if (role.kind !== 'slice') return;
		this.#slices++;
		if (role.keyframe) this.#keyframe = true;
	}

	#writeLength(length: number): void {
		this.#au.reserve(this.#au.length + 4);
		const bytes = this.#au.bytes;
		const at = this.#au.length;
		bytes[at] = length >>> 24;
		bytes[at + 1] = (length >>> 16) & 0xff;
		bytes[at + 2] = (length >>> 8) & 0xff;
		bytes[at + 3] = length & 0xff;
		this.#au.length += 4;
	}
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
};

const sameSets = (
	a: ReadonlyMap<ParameterSetKind, readonly Uint8Array[]>,
	b: ReadonlyMap<ParameterSetKind, readonly Uint8Array[]>,
): boolean => {
	if (a.size !== b.size) return false;
	for (const [kind, units] of a) {
		const other = b.get(kind);
		if (!other || other.length !== units.length) return false;
		for (let i = 0; i < units.length; i++) if (!equalBytes(units[i]!, other[i]!)) return false;
	}
	return true;
};
