/**
 * Keeps every write, repair and removal of the recorder inside the recordings root. A template can
 * be confined by text (PathTemplate), but a symbolic link inside the root could still lead out: a
 * folder link would take a recording, or a file removal, wherever it points. So each folder between
 * the root and a file is checked to be a real folder (never followed when it is a link), created one
 * by one when missing, and the folder reached must resolve to the root's own real path below it.
 * Files themselves are opened with O_NOFOLLOW | O_EXCL (FileSink `exclusive`).
 */
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TapedeckError } from '../core/errors.ts';

/**
 * Makes sure the folder of `path` is a real folder inside `root`, creating the missing ones when
 * `create` (the root itself too). Throws a TapedeckError naming the offending folder otherwise.
 */
export const containedFolder = (root: string, path: string, create: boolean): string => {
	const rootPath = resolve(root);
	const folder = dirname(resolve(path));
	const inside = relative(rootPath, folder);
	if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
		throw new TapedeckError('invalid_argument', `${path} is outside the recordings folder ${rootPath}`);
	}
	if (create) mkdirSync(rootPath, { recursive: true });
	let current = rootPath;
	for (const name of inside === '' ? [] : inside.split(sep)) {
		current = join(current, name);
		if (!checkFolder(current, rootPath)) {
			if (!create) return folder;
			mkdirSync(current);
		}
	}
	const real = realpathSync(folder);
	if (real !== join(realpathSync(rootPath), inside)) {
		throw new TapedeckError(
			'invalid_argument',
			`${folder} resolves to ${real}, outside the recordings folder ${rootPath}`,
		);
	}
	return folder;
};

/** True for a real folder, false when missing; throws for a link or anything else. */
const checkFolder = (path: string, root: string): boolean => {
	let stats: ReturnType<typeof lstatSync>;
	try {
		stats = lstatSync(path);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
		throw new TapedeckError('io', `cannot inspect ${path}: ${(error as Error).message}`, { cause: error });
	}
	if (stats.isSymbolicLink()) {
		throw new TapedeckError(
			'invalid_argument',
			`${path} is a symbolic link: recordings are never written, repaired or removed through one (recordings folder ${root})`,
		);
	}
	if (!stats.isDirectory()) throw new TapedeckError('invalid_argument', `${path} is not a folder`);
	return true;
};
