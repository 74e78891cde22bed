/**
 * A remux's warnings on stderr: each distinct one the first time it is raised, and at the end the
 * ones that came back, with their counts (from the recorder's WarningLog, which counts them). A
 * damaged input can raise the same warning thousands of times; the user hears it once.
 */
import type { RecordingWarning, RecordingWarnings } from '../recorder/warning-log.ts';

/** Distinct warnings printed as they come; beyond them the rest are only counted, so a stream damaged all along cannot flood the terminal. */
export const MAX_PRINTED = 200;

export class WarningPrinter {
	readonly #printed = new Set<string>();
	readonly #print: (line: string) => void;

	constructor(print: (line: string) => void) {
		this.#print = print;
	}

	/** Prints `warning` unless it was printed before (same code and message). */
	add(warning: RecordingWarning): void {
		const key = `${warning.code}\n${warning.message}`;
		if (this.#printed.has(key) || this.#printed.size >= MAX_PRINTED) return;
		this.#printed.add(key);
		this.#print(`tapedeck: warning: ${warning.message}`);
	}

	/** The closing lines: repeated warnings with their counts, then the total by kind. */
	summary(warnings: RecordingWarnings): void {
		for (const { message, count } of warnings.recent)
			if (count > 1) this.#print(`tapedeck: warning ×${count}: ${message}`);
		if (warnings.total === 0) return;
		const byCode = Object.entries(warnings.byCode).map(([code, count]) => `${count} ${code}`);
		this.#print(`tapedeck: ${warnings.total} warning${warnings.total === 1 ? '' : 's'} (${byCode.join(', ')})`);
	}
}
