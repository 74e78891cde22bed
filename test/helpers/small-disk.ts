/**
 * A small real disk for tests of what a full one does: a tmpfs of a few MiB mounted on a fresh temp
 * folder (the test runs as root, as in CI's container), unmounted and removed when the test process exits.
 * Without the right to mount, `mountSmallDisk` answers undefined and the test says it is skipped.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mounted: string[] = [];

process.on('exit', () => {
	for (const dir of mounted) {
		try {
			execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
			rmSync(dir, { recursive: true, force: true });
		} catch {
			// Already gone: nothing to clean.
		}
	}
});

// The run's time limit sends SIGTERM: exit through the handler above, so no mount outlives the file.
process.once('SIGTERM', () => process.exit(143));

/** A folder on a new tmpfs of `bytes`; undefined when this process may not mount one. */
export const mountSmallDisk = (prefix: string, bytes: number): string | undefined => {
	const dir = mkdtempSync(join(tmpdir(), `tapedeck-${prefix}-`));
	try {
		execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
	} catch {
		rmSync(dir, { recursive: true, force: true });
		return undefined;
	}
	mounted.push(dir);
	return dir;
};

/** Fills the disk holding `dir` to its last byte with a file of its own; returns that file's path. */
export const fillDisk = (dir: string): string => {
	const path = join(dir, 'ballast');
	const fd = openSync(path, 'a');
	const block = Buffer.alloc(64 * 1024, 0x55);
	try {
		for (let size = block.length; size > 0; ) {
			try {
				writeSync(fd, block, 0, size);
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
				// The last blocks: smaller writes take what a whole one could not.
				size >>= 1;
			}
		}
	} finally {
		closeSync(fd);
	}
	return path;
};
