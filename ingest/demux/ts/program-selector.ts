import type { MediaWarning } from '../../../src/core/media-receiver.ts';
import type { CodecId } from '../../../src/core/track.ts';
import { codecOfStream, describeStream, identifiedByPayload, kindOfCodec } from './codec-of-stream.ts';
import type { ElementaryStreamInfo, PatEntry, ProgramMap } from './psi-tables.ts';

/** One elementary stream of a program, as `probe` lists it. */
export type ProgramStreamDescription = {
	readonly pid: number;
	readonly streamType: number;
	/** What the stream holds, from its stream_type and descriptors ('H.264', 'DVB subtitles', …). */
	readonly name: string;
	/** The codec tapedeck reads it as; undefined when it does not read it. */
	readonly codec: CodecId | undefined;
	/** Whether its media reach the bus: a stream tapedeck reads, in the selected program. */
	readonly carried: boolean;
};

/** One program of the PAT, as `probe` lists it (streams once its PMT has been seen). */
export type ProgramDescription = {
	readonly programNumber: number;
	readonly pmtPid: number;
	readonly pcrPid: number | undefined;
	readonly selected: boolean;
	readonly streams: readonly ProgramStreamDescription[];
};

/** PAT sections after which a program whose PMT never came stops holding the choice back. */
const PATS_BEFORE_GIVING_UP = 4;

/**
 * Keeps every program of the PAT with its latest PMT (ISO/IEC 13818-1 §2.4.4.3, §2.4.4.8) and
 * picks the one recorded: `wanted` (a program_number) when given, else the first program with
 * video, else the first. Every stream that will not reach the bus is named once in a warning,
 * with its PID, stream type and why.
 */
export class ProgramSelector {
	readonly #wanted: number | undefined;
	readonly #warn: (warning: MediaWarning) => void;
	#pat: readonly PatEntry[] = [];
	#pats = 0;
	readonly #maps = new Map<number, ProgramMap>();
	#selected: number | undefined;
	readonly #warned = new Set<string>();
	/** Codecs found by content for private PES streams no descriptor identifies, per PID. */
	readonly #sniffed = new Map<number, CodecId>();

	constructor(wanted: number | undefined, warn: (warning: MediaWarning) => void) {
		this.#wanted = wanted;
		this.#warn = warn;
	}

	/** program_number of the recorded program, once chosen. */
	get selected(): number | undefined {
		return this.#selected;
	}

	/** A PAT section: returns the PMT PIDs to read. */
	setPat(entries: readonly PatEntry[]): readonly PatEntry[] {
		this.#pat = entries;
		this.#pats++;
		if (this.#selected === undefined && this.#pats > PATS_BEFORE_GIVING_UP) this.#choose(true);
		return entries;
	}

	/** A PMT section read on `pid`: returns the map to apply when it is a new version of the recorded program. */
	setPmt(pid: number, map: ProgramMap): ProgramMap | undefined {
		const number = map.programNumber;
		if (!this.#pat.some((entry) => entry.pmtPid === pid && entry.programNumber === number)) return undefined;
		if (this.#maps.get(number)?.version === map.version) return undefined;
		this.#maps.set(number, map);
		if (this.#selected === undefined) {
			if (!this.#choose(false)) return undefined;
			for (const known of this.#maps.values()) this.#warnStreams(known);
			return this.#maps.get(this.#selected!);
		}
		this.#warnStreams(map);
		return number === this.#selected ? map : undefined;
	}

	/** The content of the private PES on `pid` turned out to be `codec`. */
	sniffed(pid: number, codec: CodecId): void {
		this.#sniffed.set(pid, codec);
	}

	describe(): ProgramDescription[] {
		return this.#pat.map((entry) => {
			const map = this.#maps.get(entry.programNumber);
			const selected = entry.programNumber === this.#selected;
			return {
				programNumber: entry.programNumber,
				pmtPid: entry.pmtPid,
				pcrPid: map?.pcrPid,
				selected,
				streams: (map?.streams ?? []).map((info) => {
					const codec = codecOfStream(info) ?? (selected ? this.#sniffed.get(info.pid) : undefined);
					return {
						pid: info.pid,
						streamType: info.streamType,
						name: describeStream(info),
						codec,
						carried: selected && !!codec,
					};
				}),
			};
		});
	}

	/** Picks the program once the PMTs it depends on are in (`anyway`: with the ones there are). */
	#choose(anyway: boolean): boolean {
		if (this.#wanted !== undefined) {
			if (this.#maps.has(this.#wanted)) this.#selected = this.#wanted;
			else if (anyway || this.#pat.every((entry) => this.#maps.has(entry.programNumber))) this.#missing();
			return this.#selected !== undefined;
		}
		for (const entry of this.#pat) {
			const map = this.#maps.get(entry.programNumber);
			if (!map) {
				if (anyway) continue;
				return false;
			}
			if (map.streams.some((info) => hasKind(info, 'video'))) {
				this.#selected = entry.programNumber;
				return true;
			}
		}
		const first = this.#pat.find((entry) => this.#maps.has(entry.programNumber));
		this.#selected = first?.programNumber;
		return this.#selected !== undefined;
	}

	#missing(): void {
		const key = `missing:${this.#wanted}`;
		if (this.#warned.has(key)) return;
		this.#warned.add(key);
		const numbers = this.#pat.map((entry) => entry.programNumber).join(', ');
		this.#warn({
			code: 'unsupported_stream',
			message: `program ${this.#wanted} is not in the stream (its programs: ${numbers}): nothing is recorded`,
		});
	}

	#warnStreams(map: ProgramMap): void {
		const selected = map.programNumber === this.#selected;
		for (const info of map.streams) {
			const codec = codecOfStream(info);
			if (selected && (codec || identifiedByPayload(info))) continue; // the sniffer warns if it cannot read it
			const key = `${map.programNumber}:${info.pid}:${info.streamType}`;
			if (this.#warned.has(key)) continue;
			this.#warned.add(key);
			const stream = `PID 0x${hex(info.pid, 4)}: stream type 0x${hex(info.streamType, 2)} (${describeStream(info)})`;
			const why = selected
				? 'tapedeck does not read this stream type'
				: `program ${map.programNumber} not selected (recording program ${this.#selected})`;
			this.#warn({ code: 'unsupported_stream', message: `${stream} not carried: ${why}` });
		}
	}
}

const hasKind = (info: ElementaryStreamInfo, kind: string): boolean => {
	const codec = codecOfStream(info);
	return codec !== undefined && kindOfCodec(codec) === kind;
};

const hex = (value: number, digits: number): string => value.toString(16).padStart(digits, '0');
