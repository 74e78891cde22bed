/**
 * Names no two files alike: a recording never replaces a file, its own earlier ones included. A
 * wanted path that exists (as a file, a link, or a `.part` being written) or is claimed by a file
 * this process is writing gets a number before its extension: `name.mp4` → `name_1.mp4`, then
 * `name_2.mp4`, the first free one. Claims are process-wide, so two recordings (or a split with no
 * `${Sequence}` in its template) never write to one path at once.
 */
import { lstatSync } from 'node:fs';
import { extname } from 'node:path';

const claimed = new Set<string>();

/** `path` with `_n` before its extension. */
export const withNumber = (path: string, n: number): string => {
	const extension = extname(path);
	return `${path.slice(0, path.length - extension.length)}_${n}${extension}`;
};

/** Claims the first free path for `wanted` (itself when free); release it once the file has its final name. */
export const claimFreePath = (wanted: string): string => {
	for (let n = 0; ; n++) {
		const candidate = n === 0 ? wanted : withNumber(wanted, n);
		if (claimed.has(candidate) || exists(candidate) || exists(`${candidate}.part`)) continue;
		claimed.add(candidate);
		return candidate;
	}
};

export const releasePath = (path: string): void => {
	claimed.delete(path);
};

const exists = (path: string): boolean => {
	try {
		lstatSync(path);
		return true;
	} catch {
		return false;
	}
};
