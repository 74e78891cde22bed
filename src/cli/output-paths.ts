/**
 * The names a remux writes to, chosen so that it never destroys a file: not its own input, not a
 * file that was there before (unless the user said --overwrite), not a file it wrote itself a
 * moment ago. A remux whose output has no `${Sequence}` but needs a later file (the stream changed
 * resolution, a track came late) writes that file as `name_1.ext`, `name_2.ext`, … and says so.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { TapedeckError } from '../core/errors.ts';

// biome-ignore lint/suspicious/noTemplateCurlyInString: OvenMediaEngine's path macro, literally.
export const SEQUENCE_MACRO = '${Sequence}';

export class OutputPaths {
	readonly #template: string;
	readonly #input: string;
	readonly #overwrite: boolean;
	readonly #used = new Set<string>();

	/** Checks the first file's name at once, so a refused output costs no work. */
	constructor(template: string, input: string, overwrite: boolean) {
		this.#template = template;
		this.#input = realPath(input);
		this.#overwrite = overwrite;
		this.#check(this.#expand(0));
	}

	/** The path of file number `sequence` (0 first); throws a TapedeckError when it may not be written. */
	take(sequence: number): { readonly path: string; readonly renamed: boolean } {
		const path = this.#expand(sequence);
		this.#check(path);
		this.#used.add(realPath(path));
		return { path, renamed: sequence > 0 && !this.#template.includes(SEQUENCE_MACRO) };
	}

	/** With `${Sequence}` the number goes there; without it, every file after the first gets `_<n>` before the extension. */
	#expand(sequence: number): string {
		if (this.#template.includes(SEQUENCE_MACRO)) return this.#template.replaceAll(SEQUENCE_MACRO, String(sequence));
		if (sequence === 0) return this.#template;
		const extension = extname(this.#template);
		const stem = basename(this.#template, extension);
		return join(dirname(this.#template), `${stem}_${sequence}${extension}`);
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
