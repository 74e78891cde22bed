/**
 * AMF3 decoding, as far as RTMP data messages need it (Adobe "Action Message Format -- AMF 3",
 * January 2013). Encoders that speak AMF3 send `@setDataFrame`/`onMetaData` as AMF0 with an
 * AVM+ switch (AMF0 marker 0x11) in front of an AMF3 value; that value lands here.
 *
 * Values map onto the same plain JS shapes as AMF0 (`AmfValue`). Byte arrays decode to
 * `undefined` (metadata never needs them); vectors, dictionaries and externalizable objects
 * are refused: their bodies cannot be skipped without knowing the class.
 */

import { AmfReaderBase, setEntry } from './amf-reader-base.ts';
import type { AmfObject, AmfValue } from './amf0.ts';

/** AMF3 §3.1 type markers. */
const Amf3Marker = {
	undefined: 0x00,
	null: 0x01,
	false: 0x02,
	true: 0x03,
	integer: 0x04,
	double: 0x05,
	string: 0x06,
	xmlDocument: 0x07,
	date: 0x08,
	array: 0x09,
	object: 0x0a,
	xml: 0x0b,
	byteArray: 0x0c,
} as const;

/** §3.12: an object's class description, shared by reference between objects of one class. */
type Traits = { readonly dynamic: boolean; readonly sealed: readonly string[] };

/** Reads AMF3 values; the three reference tables (§2.2) live as long as the reader. */
export class Amf3Reader extends AmfReaderBase {
	private readonly strings: string[] = [];
	private readonly objects: AmfValue[] = [];
	private readonly traits: Traits[] = [];

	constructor(bytes: Uint8Array, offset = 0) {
		super('AMF3', bytes, offset);
	}

	readValue(): AmfValue {
		return this.value(0);
	}

	/** §1.3.1 U29: up to three 7-bit groups with a continuation bit, then one full byte. */
	private u29(): number {
		let result = 0;
		for (let i = 0; i < 3; i++) {
			const b = this.u8();
			result = result * 128 + (b & 0x7f);
			if ((b & 0x80) === 0) return result;
		}
		return result * 256 + this.u8();
	}

	/** §3.8 UTF-8-vr: low bit 0 = string-table reference; the empty string is never referenced. */
	private string(): string {
		const at = this.position;
		const header = this.u29();
		const index = Math.floor(header / 2);
		if (header % 2 === 0) {
			const s = this.strings[index];
			if (s === undefined) throw this.corrupt(`string reference ${index} out of range`, at);
			return s;
		}
		const s = this.utf8(index);
		if (s !== '') this.strings.push(s);
		return s;
	}

	/** Low bit 0 of an object header = object-table reference. */
	private objectReference(header: number, at: number): AmfValue {
		const index = Math.floor(header / 2);
		if (index >= this.objects.length) throw this.corrupt(`object reference ${index} out of range`, at);
		return this.objects[index];
	}

	private value(depth: number): AmfValue {
		this.checkDepth(depth);
		const at = this.position;
		const marker = this.u8();
		switch (marker) {
			case Amf3Marker.undefined:
				return undefined;
			case Amf3Marker.null:
				return null;
			case Amf3Marker.false:
				return false;
			case Amf3Marker.true:
				return true;
			case Amf3Marker.integer: {
				// §3.6: a 29-bit two's-complement integer.
				const v = this.u29();
				return v >= 0x10000000 ? v - 0x20000000 : v;
			}
			case Amf3Marker.double:
				return this.double();
			case Amf3Marker.string:
				return this.string();
			case Amf3Marker.xmlDocument:
			case Amf3Marker.xml: {
				const header = this.u29();
				if (header % 2 === 0) return this.objectReference(header, at);
				const s = this.utf8(Math.floor(header / 2));
				this.objects.push(s);
				return s;
			}
			case Amf3Marker.date: {
				const header = this.u29();
				if (header % 2 === 0) return this.objectReference(header, at);
				const date = new Date(this.double());
				this.objects.push(date);
				return date;
			}
			case Amf3Marker.array:
				return this.array(depth, at);
			case Amf3Marker.object:
				return this.object(depth, at);
			case Amf3Marker.byteArray: {
				const header = this.u29();
				if (header % 2 === 0) return this.objectReference(header, at);
				const length = Math.floor(header / 2);
				this.need(length);
				this.position += length;
				this.objects.push(undefined);
				return undefined;
			}
			default:
				throw this.corrupt(`unsupported type marker 0x${marker.toString(16).padStart(2, '0')}`, at);
		}
	}

	/** §3.11: associative part (key/value until an empty key), then the dense part. */
	private array(depth: number, at: number): AmfValue {
		const header = this.u29();
		if (header % 2 === 0) return this.objectReference(header, at);
		const count = Math.floor(header / 2);
		if (count > this.bytes.length - this.position) throw this.corrupt(`array of ${count} values`, at);
		const slot = this.objects.length;
		this.objects.push(undefined);
		let associative: AmfObject | undefined;
		for (let key = this.string(); key !== ''; key = this.string()) {
			associative ??= {};
			setEntry(associative, key, this.value(depth + 1));
		}
		const dense: AmfValue[] = [];
		for (let i = 0; i < count; i++) dense.push(this.value(depth + 1));
		// A mixed array has no exact AMF0/JS twin: keys and indices share one object.
		const result: AmfValue = associative === undefined ? dense : Object.assign(associative, { ...dense });
		this.objects[slot] = result;
		return result;
	}

	/** §3.12: U29O-traits header (inline or referenced traits), sealed values, then dynamic members. */
	private object(depth: number, at: number): AmfValue {
		const header = this.u29();
		if (header % 2 === 0) return this.objectReference(header, at);
		let traits: Traits | undefined;
		if (Math.floor(header / 2) % 2 === 0) {
			const index = Math.floor(header / 4);
			traits = this.traits[index];
			if (traits === undefined) throw this.corrupt(`traits reference ${index} out of range`, at);
		} else {
			if (Math.floor(header / 4) % 2 === 1) throw this.corrupt('externalizable object (class-defined body)', at);
			const dynamic = Math.floor(header / 8) % 2 === 1;
			const sealedCount = Math.floor(header / 16);
			if (sealedCount > this.bytes.length - this.position) throw this.corrupt(`${sealedCount} sealed members`, at);
			this.string(); // class name: we keep properties only
			const sealed: string[] = [];
			for (let i = 0; i < sealedCount; i++) sealed.push(this.string());
			traits = { dynamic, sealed };
			this.traits.push(traits);
		}
		const target: AmfObject = {};
		this.objects.push(target);
		for (const key of traits.sealed) setEntry(target, key, this.value(depth + 1));
		if (traits.dynamic) {
			for (let key = this.string(); key !== ''; key = this.string()) setEntry(target, key, this.value(depth + 1));
		}
		return target;
	}
}
