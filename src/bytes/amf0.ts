/**
 * AMF0, the Action Message Format RTMP commands and FLV script tags are written in
 * (Adobe "Action Message Format -- AMF 0", December 2007).
 *
 * Decoding maps every AMF0 type onto plain JS values: objects, typed objects and ECMA arrays
 * become plain objects, strict arrays become arrays, the AVM+ switch (0x11) hands one value to
 * the AMF3 decoder. Encoding picks the type from the JS value; wrap a record in `AmfEcmaArray`
 * to send it as an ECMA array (what `onMetaData` conventionally is).
 */
import { TapedeckError } from '../core/errors.ts';
import { AmfReaderBase, setEntry } from './amf-reader-base.ts';
import { Amf3Reader } from './amf3.ts';

export type AmfValue = number | boolean | string | null | undefined | Date | AmfObject | AmfValue[];
export type AmfObject = { [key: string]: AmfValue };

/** Encode-side marker: these entries are written as an ECMA array (0x08) instead of an object (0x03). */
export class AmfEcmaArray {
	constructor(readonly entries: AmfObject) {}
}

/** AMF0 §2.1 type markers. */
export const Amf0Marker = {
	number: 0x00,
	boolean: 0x01,
	string: 0x02,
	object: 0x03,
	movieclip: 0x04,
	null: 0x05,
	undefined: 0x06,
	reference: 0x07,
	ecmaArray: 0x08,
	objectEnd: 0x09,
	strictArray: 0x0a,
	date: 0x0b,
	longString: 0x0c,
	unsupported: 0x0d,
	recordset: 0x0e,
	xmlDocument: 0x0f,
	typedObject: 0x10,
	avmplusObject: 0x11,
} as const;

const utf8Encoder = new TextEncoder();

/** Reads AMF0 values one after another from a byte view. */
export class Amf0Reader extends AmfReaderBase {
	/** AMF0 §2.9: complex values in decode order, what reference markers index. */
	private readonly references: AmfValue[] = [];

	constructor(bytes: Uint8Array, offset = 0) {
		super('AMF0', bytes, offset);
	}

	get done(): boolean {
		return this.position >= this.bytes.length;
	}

	readValue(): AmfValue {
		return this.value(0);
	}

	/** Every remaining value (a command: name, transaction id, command object, arguments…). */
	readAll(): AmfValue[] {
		const values: AmfValue[] = [];
		while (!this.done) values.push(this.value(0));
		return values;
	}

	private value(depth: number): AmfValue {
		this.checkDepth(depth);
		const at = this.position;
		const marker = this.u8();
		switch (marker) {
			case Amf0Marker.number:
				return this.double();
			case Amf0Marker.boolean:
				return this.u8() !== 0;
			case Amf0Marker.string:
				return this.utf8(this.u16());
			case Amf0Marker.longString:
			case Amf0Marker.xmlDocument:
				return this.utf8(this.u32());
			case Amf0Marker.null:
				return null;
			case Amf0Marker.undefined:
			case Amf0Marker.unsupported:
				return undefined;
			case Amf0Marker.reference: {
				const index = this.u16();
				if (index >= this.references.length) throw this.corrupt(`reference ${index} to an undecoded object`, at);
				return this.references[index];
			}
			case Amf0Marker.object:
				return this.properties({}, depth);
			case Amf0Marker.typedObject:
				// §2.18: the class name precedes an ordinary property list; we keep the properties only.
				this.utf8(this.u16());
				return this.properties({}, depth);
			case Amf0Marker.ecmaArray:
				// §2.10: the count is advisory (encoders get it wrong); the end marker is what ends it.
				this.u32();
				return this.properties({}, depth);
			case Amf0Marker.strictArray:
				return this.strictArray(depth);
			case Amf0Marker.date: {
				const ms = this.double();
				this.u16(); // §2.13: time-zone, reserved, "should be set to 0x0000"
				return new Date(ms);
			}
			case Amf0Marker.avmplusObject:
				return this.amf3Value();
			default:
				throw this.corrupt(`unsupported type marker 0x${marker.toString(16).padStart(2, '0')}`, at);
		}
	}

	/** §2.5: UTF-8-empty key + object-end marker closes the list; a list cut at the end of data is accepted. */
	private properties(target: AmfObject, depth: number): AmfObject {
		this.references.push(target);
		while (this.position < this.bytes.length) {
			const key = this.utf8(this.u16());
			if (key === '' && this.position < this.bytes.length && this.bytes[this.position] === Amf0Marker.objectEnd) {
				this.position++;
				return target;
			}
			setEntry(target, key, this.value(depth + 1));
		}
		return target;
	}

	private strictArray(depth: number): AmfValue[] {
		const at = this.position;
		const count = this.u32();
		// Every value takes at least its marker byte: a larger count cannot be honest.
		if (count > this.bytes.length - this.position) throw this.corrupt(`strict array of ${count} values`, at);
		const values: AmfValue[] = [];
		this.references.push(values);
		for (let i = 0; i < count; i++) values.push(this.value(depth + 1));
		return values;
	}

	private amf3Value(): AmfValue {
		const reader = new Amf3Reader(this.bytes, this.position);
		const v = reader.readValue();
		this.position = reader.offset;
		return v;
	}
}

/** Decodes every value in `bytes`. */
export const decodeAmf0 = (bytes: Uint8Array): AmfValue[] => new Amf0Reader(bytes).readAll();

/** Builds AMF0 bytes in a growable buffer; `bytes()` returns a view of what was written. */
export class Amf0Writer {
	private buffer = new Uint8Array(256);
	private view = new DataView(this.buffer.buffer);
	private position = 0;

	bytes(): Uint8Array {
		return this.buffer.subarray(0, this.position);
	}

	reset(): void {
		this.position = 0;
	}

	writeValue(value: AmfValue | AmfEcmaArray): this {
		if (typeof value === 'number') {
			this.reserve(9);
			this.buffer[this.position++] = Amf0Marker.number;
			this.view.setFloat64(this.position, value);
			this.position += 8;
		} else if (typeof value === 'boolean') {
			this.reserve(2);
			this.buffer[this.position++] = Amf0Marker.boolean;
			this.buffer[this.position++] = value ? 1 : 0;
		} else if (typeof value === 'string') {
			this.writeString(value);
		} else if (value === null) {
			this.marker(Amf0Marker.null);
		} else if (value === undefined) {
			this.marker(Amf0Marker.undefined);
		} else if (value instanceof Date) {
			this.reserve(11);
			this.buffer[this.position++] = Amf0Marker.date;
			this.view.setFloat64(this.position, value.getTime());
			this.view.setUint16(this.position + 8, 0);
			this.position += 10;
		} else if (Array.isArray(value)) {
			this.marker(Amf0Marker.strictArray);
			this.u32(value.length);
			for (const item of value) this.writeValue(item);
		} else if (value instanceof AmfEcmaArray) {
			const keys = Object.keys(value.entries);
			this.marker(Amf0Marker.ecmaArray);
			this.u32(keys.length);
			this.writeProperties(value.entries);
		} else {
			this.marker(Amf0Marker.object);
			this.writeProperties(value);
		}
		return this;
	}

	private writeProperties(entries: AmfObject): void {
		for (const key of Object.keys(entries)) {
			this.writeUtf8(key, 2);
			this.writeValue(entries[key]);
		}
		this.reserve(3);
		this.u16(0);
		this.buffer[this.position++] = Amf0Marker.objectEnd;
	}

	/** §2.4 / §2.14: strings over 65535 UTF-8 bytes must be long strings. */
	private writeString(value: string): void {
		const encoded = utf8Encoder.encode(value);
		const long = encoded.length > 0xffff;
		this.marker(long ? Amf0Marker.longString : Amf0Marker.string);
		this.writeEncoded(encoded, long ? 4 : 2);
	}

	private writeUtf8(value: string, lengthBytes: 2 | 4): void {
		this.writeEncoded(utf8Encoder.encode(value), lengthBytes);
	}

	private writeEncoded(encoded: Uint8Array, lengthBytes: 2 | 4): void {
		if (lengthBytes === 2) {
			if (encoded.length > 0xffff) {
				throw new TapedeckError('invalid_argument', `AMF0: key of ${encoded.length} bytes exceeds 65535`);
			}
			this.u16(encoded.length);
		} else {
			this.u32(encoded.length);
		}
		this.reserve(encoded.length);
		this.buffer.set(encoded, this.position);
		this.position += encoded.length;
	}

	private marker(marker: number): void {
		this.reserve(1);
		this.buffer[this.position++] = marker;
	}

	private u16(v: number): void {
		this.reserve(2);
		this.view.setUint16(this.position, v);
		this.position += 2;
	}

	private u32(v: number): void {
		this.reserve(4);
		this.view.setUint32(this.position, v);
		this.position += 4;
	}

	private reserve(count: number): void {
		if (this.position + count <= this.buffer.length) return;
		let size = this.buffer.length * 2;
		while (size < this.position + count) size *= 2;
		const grown = new Uint8Array(size);
		grown.set(this.buffer.subarray(0, this.position));
		this.buffer = grown;
		this.view = new DataView(grown.buffer);
	}
}

/** Encodes `values` one after another into a fresh buffer. */
export const encodeAmf0 = (...values: readonly (AmfValue | AmfEcmaArray)[]): Uint8Array => {
	const writer = new Amf0Writer();
	for (const v of values) writer.writeValue(v);
	return writer.bytes();
};
