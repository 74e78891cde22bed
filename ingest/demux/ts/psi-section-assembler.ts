import { copyBytes } from '../../../src/bytes/copy-bytes.ts';
import { crc32Mpeg } from '../../../src/bytes/crc32-mpeg.ts';

/**
 * Reassembles PSI sections (ISO/IEC 13818-1 §2.4.4) from the payloads of one PID: a section may
 * span packets and a packet may hold several sections; `pointer_field` marks where the first new
 * one begins. Sections with section_syntax_indicator set must pass their CRC_32 or are dropped.
 */
export interface SectionListener {
	/** One whole, CRC-checked section in `section[0, length)`; valid only during the call. */
	section(pid: number, section: Uint8Array, length: number): void;
	/** A section failed its CRC or was cut short. */
	sectionLost(pid: number): void;
}

/** Longest section: private sections may reach 4096 bytes (§2.4.4.11); PAT and PMT stop at 1024. */
const MAX_SECTION = 4096;

export class PsiSectionAssembler {
	readonly pid: number;
	readonly #listener: SectionListener;
	readonly #buffer = new Uint8Array(MAX_SECTION);
	#length = 0;
	/** Bytes of the section being assembled, known once its 3-byte header is in; 0 before. */
	#expected = 0;
	#collecting = false;

	constructor(pid: number, listener: SectionListener) {
		this.pid = pid;
		this.#listener = listener;
	}

	/** The payload of one TS packet of this PID: `data[start, end)`. */
	payload(data: Uint8Array, start: number, end: number, unitStart: boolean): void {
		let at = start;
		if (unitStart) {
			const pointer = data[at]!; // pointer_field
			at++;
			// the bytes before the pointed-to section end the one begun in earlier packets
			if (this.#collecting && this.#length > 0) this.#take(data, at, Math.min(at + pointer, end));
			if (this.#length > 0) this.#lose();
			at += pointer;
			this.#collecting = at < end;
		}
		while (this.#collecting && at < end) {
			if (this.#length === 0 && data[at] === 0xff) {
				this.#collecting = false; // stuffing after the last section
				return;
			}
			at = this.#take(data, at, end);
		}
	}

	/** Loss of continuity: the section in progress cannot be completed. */
	discontinuity(): void {
		if (this.#collecting && this.#length > 0) this.#lose();
		this.#collecting = false;
	}

	/** Appends what the current section still needs from `data[at, end)`, delivers it when whole; returns the new `at`. */
	#take(data: Uint8Array, at: number, end: number): number {
		while (at < end) {
			const want = this.#expected || 3;
			const count = Math.min(want - this.#length, end - at);
			copyBytes(data, at, this.#buffer, this.#length, count);
			this.#length += count;
			at += count;
			if (this.#length < want) return at;
			if (this.#expected === 0) {
				// table_id, section_syntax_indicator, '0', reserved, section_length (12 bits)
				this.#expected = 3 + (((this.#buffer[1]! & 0x0f) << 8) | this.#buffer[2]!);
				if (this.#expected > MAX_SECTION) {
					this.#lose();
					this.#collecting = false;
					return end;
				}
				continue;
			}
			this.#deliver();
			return at;
		}
		return at;
	}

	#deliver(): void {
		const length = this.#expected;
		this.#length = 0;
		this.#expected = 0;
		const syntax = (this.#buffer[1]! & 0x80) !== 0;
		if (syntax && (length < 12 || crc32Mpeg(this.#buffer, 0, length) !== 0)) {
			this.#listener.sectionLost(this.pid);
			return;
		}
		this.#listener.section(this.pid, this.#buffer, length);
	}

	#lose(): void {
		this.#length = 0;
		this.#expected = 0;
		this.#listener.sectionLost(this.pid);
	}
}
