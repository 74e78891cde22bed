/**
 * What the AMF0 and AMF3 readers share: a cursor over a byte view with bounds-checked primitive
 * reads (both formats are big-endian), errors naming the format and offset, and the limits both
 * apply to hostile input.
 */
import { TapedeckError } from '../core/errors.ts';
import type { AmfObject, AmfValue } from './amf0.ts';

/** Nesting deeper than this is hostile input, not metadata: refuse it before the stack does. */
export const MAX_AMF_DEPTH = 64;

const utf8Decoder = new TextDecoder('utf-8');

/** Sets a decoded key as an own property, so a `__proto__` key from the wire stays data. */
export const setEntry = (target: AmfObject, key: string, value: AmfValue): void => {
	if (key === '__proto__') {
		Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
	} else {
		target[key] = value;
	}
};

export abstract class AmfReaderBase {
	protected readonly view: DataView;
	protected position: number;

	constructor(
		/** 'AMF0' or 'AMF3', the prefix of every error. */
		private readonly format: string,
		protected readonly bytes: Uint8Array,
		offset: number,
	) {
		this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
		this.position = offset;
	}

	get offset(): number {
		return this.position;
	}

	protected corrupt(rule: string, offset: number): TapedeckError {
		return new TapedeckError('corrupt_input', `${this.format}: ${rule} at offset ${offset}`);
	}

	protected need(count: number): void {
		if (this.position + count > this.bytes.length) {
			throw this.corrupt(`value needs ${count} bytes, ${this.bytes.length - this.position} left`, this.position);
		}
	}

	protected u8(): number {
		this.need(1);
		return this.bytes[this.position++]!;
	}

	protected u16(): number {
		this.need(2);
		const v = this.view.getUint16(this.position);
		this.position += 2;
		return v;
	}

	protected u32(): number {
		this.need(4);
		const v = this.view.getUint32(this.position);
		this.position += 4;
		return v;
	}

	protected double(): number {
		this.need(8);
		const v = this.view.getFloat64(this.position);
		this.position += 8;
		return v;
	}

	protected utf8(length: number): string {
		this.need(length);
		const s = utf8Decoder.decode(this.bytes.subarray(this.position, this.position + length));
		this.position += length;
		return s;
	}

	/** The depth guard every value read starts with. */
	protected checkDepth(depth: number): void {
		if (depth > MAX_AMF_DEPTH) throw this.corrupt(`nesting deeper than ${MAX_AMF_DEPTH}`, this.position);
	}
}
