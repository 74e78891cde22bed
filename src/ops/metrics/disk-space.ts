import { statfs } from 'node:fs/promises';

/** Space on the file system that holds a folder, as an unprivileged writer sees it. */
export type DiskSpace = { readonly freeBytes: number; readonly totalBytes: number };

/**
 * `statfs(2)` of `path`: free counts the blocks available to unprivileged users (`f_bavail`), not the
 * ones reserved for root (`f_bfree`), because the server writes its recordings as an ordinary user.
 */
export const diskSpace = async (path: string): Promise<DiskSpace> => {
	const stats = await statfs(path);
	return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
};
