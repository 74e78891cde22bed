/**
 * The names a remux writes to, chosen so that it never destroys a file: not its own input, not a
 * file that was there before (unless the user said --overwrite), not a file it wrote itself a
 * moment ago. A remux whose output has no `${Sequence}` but needs a later file (the stream changed
 * resolution, a track came late) writes that file as `name_1.ext`, `name_2.ext`, … (the next
 * free one, so an existing `name_1.ext` stays untouched) and says so.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TapedeckError } from '../core/errors.ts';
import { withNumber } from '../recorder/free-path.ts';

// biome-ignore lint/suspicious/noTemplateCurlyInString: OvenMediaEngine's path macro, literally.
export const SEQUENCE_MACRO = '${Sequence}';

export class OutputPaths {
	readonly #template: string;
	readonly #input: string;
	readonly #overwrite: boolean;
	readonly #used = new Set<string>();
	/** Without `${Sequence}`: the suffix the next later file tries first. */
	#nextSuffix = 1;

	/** Checks the first file's name at once, so a refused output costs no work. */
	constructor(template: string, input: string, overwrite: boolean) {
		this.#template = template;
		this.#input = realPath(input);
		this.#overwrite = overwrite;
		this.#check(this.#expand(0));
	}

	/** The path of file number `sequence` (0 first); throws a TapedeckError when it may not be written. */
	take(sequence: number): { readonly path: string; readonly renamed: boolean } {
		const renamed = sequence > 0 && !this.#template.includes(SEQUENCE_MACRO);
		const path = renamed ? this.#freeSuffixed() : this.#expand(sequence);
		this.#check(path);
		this.#used.add(realPath(path));
		return { path, renamed };
	}

	/** With `${Sequence}` the number goes there; file 0 of a plain name is the name itself. */
	#expand(sequence: number): string {
		return this.#template.replaceAll(SEQUENCE_MACRO, String(sequence));
	}

	/** `name_<n>.ext` (the recorder's numbering) for the first n not taken, by this remux or (without --overwrite) by a file already there. */
	#freeSuffixed(): string {
		for (;;) {
			const path = withNumber(this.#template, this.#nextSuffix++);
			if (!this.#used.has(realPath(path)) && (this.#overwrite || !existsSync(path))) return path;
		}
	}

	#check(path: string): void {
		const real = realPath(path);
		if (real === this.#input) {
			throw new TapedeckError('invalid_argument', `the output ${path} is the input file; choose another output`);
		}
		if (this.#used.has(real)) {
			throw new TapedeckError(
				'invalid_argument',
				`the output ${path} would be written twice; put ${SEQUENCE_MACRO} in the output path`,
			);
		}
		if (!this.#overwrite && existsSync(path)) {
			throw new TapedeckError(
				'conflict',
				`the output ${path} exists; tapedeck remux replaces no file unless given --overwrite (-y)`,
			);
		}
	}
}

/** The path with every symbolic link and `..` resolved; for a file not yet there, its folder's. */
const realPath = (path: string): string => {
	try {
		return realpathSync(path);
	} catch {
		try {
			return join(realpathSync(dirname(resolve(path))), basename(path));
		} catch {
			return resolve(path);
		}
	}
};
