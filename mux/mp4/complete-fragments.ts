/**
 * How much of a fragmented MP4 is whole: the bytes up to the end of its last complete moof + mdat
 * pair (ISO/IEC 14496-12 §8.8.4, §8.1.1). A file cut short (a full disk, a killed process) is made
 * playable as it is by truncating it there, when there is no room to rebuild it as a progressive file.
 */
import { open } from 'node:fs/promises';
import { FileBoxReader } from './box-reader.ts';

export type CompleteFragments = {
	/** Bytes from the start of the file to the end of the last complete fragment (or top-level box before any). */
	readonly bytes: number;
	/** Complete moof + mdat pairs within them. */
	readonly fragments: number;
};

export const completeFragments = async (path: string): Promise<CompleteFragments> => {
	const handle = await open(path, 'r');
	try {
		const reader = new FileBoxReader(path, handle, (await handle.stat()).size);
		let bytes = 0;
		let fragments = 0;
		for (let box = await reader.headerAt(0); box && reader.complete(box); box = await reader.headerAt(bytes)) {
			if (box.type === 'moof') {
				// A moof is whole only with its mdat: the samples it describes are there.
				const mdat = await reader.headerAt(box.start + box.size);
				if (mdat?.type !== 'mdat' || !reader.complete(mdat)) break;
				box = mdat;
				fragments++;
			}
			bytes = box.start + box.size;
		}
		return { bytes, fragments };
	} finally {
		await handle.close();
	}
};
