/**
 * What a remux could not keep as it was, said on stderr: each distinct warning once, when it first
 * happens, and at the end how often each came back. A damaged input can raise the same warning
 * thousands of times; the user needs to hear it once, with its count.
 */
import type { MediaWarning } from '../core/media-receiver.ts';

/** A media warning, or a remux notice of the same shape (a later file renamed so it replaces none). */
export type RemuxWarning = MediaWarning | { readonly code: 'new_file'; readonly message: string };

export type WarningCount = { readonly code: RemuxWarning['code']; readonly message: string; readonly count: number };

/**
 * Distinct messages kept, beyond which new ones are only counted by code: a stream damaged all
 * along may word every warning differently (offsets, times), and memory must stay bounded.
 */
const MAX_DISTINCT = 200;

export class WarningLog {
	readonly #counts = new Map<string, { warning: RemuxWarning; count: number }>();
	readonly #unlistedByCode = new Map<RemuxWarning['code'], number>();
	readonly #print: ((line: string) => void) | undefined;

	/** `print` hears each distinct warning the first time it is raised (e.g. a line on stderr). */
	constructor(print?: (line: string) => void) {
		this.#print = print;
	}

	add(warning: RemuxWarning): void {
		const key = `${warning.code}\n${warning.message}`;
		const known = this.#counts.get(key);
		if (known) {
			known.count++;
			return;
		}
		if (this.#counts.size >= MAX_DISTINCT) {
			this.#unlistedByCode.set(warning.code, (this.#unlistedByCode.get(warning.code) ?? 0) + 1);
			return;
		}
		this.#counts.set(key, { warning, count: 1 });
		this.#print?.(`tapedeck: warning: ${warning.message}`);
	}

	/** Every distinct warning with how often it was raised, in the order first raised. */
	get counts(): WarningCount[] {
		return [...this.#counts.values()].map(({ warning, count }) => ({ ...warning, count }));
	}

	get total(): number {
		let total = 0;
		for (const { count } of this.#counts.values()) total += count;
		for (const count of this.#unlistedByCode.values()) total += count;
		return total;
	}

	/** The closing lines: the warnings raised more than once with their counts, and those not listed. */
	summary(): string[] {
		const lines = this.counts
			.filter(({ count }) => count > 1)
			.map(({ message, count }) => `tapedeck: warning ×${count}: ${message}`);
		for (const [code, count] of this.#unlistedByCode) {
			lines.push(`tapedeck: ${count} more ${code} warnings, not listed (over ${MAX_DISTINCT} distinct)`);
		}
		if (this.total > 0) lines.push(`tapedeck: ${this.total} warning${this.total === 1 ? '' : 's'} in all`);
		return lines;
	}
}
