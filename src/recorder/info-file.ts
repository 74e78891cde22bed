import { constants } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One finished file as OvenMediaEngine's info XML lists it (`<file>` children in OME's order). */
export type InfoFileEntry = {
	readonly transactionId: string;
	readonly id: string;
	readonly metadata?: string;
	readonly vhost: string;
	readonly app: string;
	readonly stream: string;
	readonly filePath: string;
	readonly recordBytes: number;
	/** Media duration, milliseconds. */
	readonly recordTime: number;
	readonly sequence: number;
	/** True only for the file closed by a stop request. */
	readonly lastSequence: boolean;
	readonly createdTime: Date;
	readonly startTime: Date;
	readonly finishTime: Date;
};

const DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';
const CLOSE = '</files>';

/** Appends serialised per path: several recordings may share one info file. */
const queues = new Map<string, Promise<void>>();

/**
 * Appends one `<file>` to the info XML at `path` (created with its `<files>` root when missing),
 * in the element order OME's code writes: transactionId, id, metadata, vhost, app, stream, filePath,
 * recordBytes, recordTime, sequence, lastSequence, createdTime, startTime, finishTime. The document
 * is rewritten to a temporary file and renamed, so a crash never leaves half a document.
 */
export const appendInfoFile = (path: string, entry: InfoFileEntry): Promise<void> => {
	const previous = queues.get(path) ?? Promise.resolve();
	const next = previous.then(() => writeEntry(path, entry));
	const settled = next.catch(() => {});
	queues.set(path, settled);
	void settled.then(() => {
		if (queues.get(path) === settled) queues.delete(path);
	});
	return next;
};

const writeEntry = async (path: string, entry: InfoFileEntry): Promise<void> => {
	let document = await readFile(path, 'utf8').catch(() => '');
	const closeAt = document.lastIndexOf(CLOSE);
	if (closeAt < 0) document = `${DECLARATION}\n<files>\n${CLOSE}\n`;
	const at = document.lastIndexOf(CLOSE);
	const updated = `${document.slice(0, at)}${renderEntry(entry)}${document.slice(at)}`;
	await mkdir(dirname(path), { recursive: true });
	const temp = `${path}.tmp`;
	// Never through a link planted where the temporary file goes.
	const flag = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
	await writeFile(temp, updated, { mode: 0o644, flag });
	await rename(temp, path);
};

const renderEntry = (entry: InfoFileEntry): string => {
	const fields: Array<[string, string]> = [
		['transactionId', escapeXml(entry.transactionId)],
		['id', escapeXml(entry.id)],
		// OME writes the element whether or not the task has metadata.
		['metadata', escapeXml(entry.metadata ?? '')],
		['vhost', escapeXml(entry.vhost)],
		['app', escapeXml(entry.app)],
		['stream', escapeXml(entry.stream)],
		['filePath', `<![CDATA[${entry.filePath.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`],
		['recordBytes', String(entry.recordBytes)],
		['recordTime', String(Math.round(entry.recordTime))],
		['sequence', String(entry.sequence)],
		['lastSequence', String(entry.lastSequence)],
		['createdTime', formatIsoWithOffset(entry.createdTime)],
		['startTime', formatIsoWithOffset(entry.startTime)],
		['finishTime', formatIsoWithOffset(entry.finishTime)],
	];
	return `  <file>\n${fields.map(([name, value]) => `    <${name}>${value}</${name}>\n`).join('')}  </file>\n`;
};

const escapeXml = (text: string): string =>
	text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** ISO-8601 in server local time with milliseconds and the UTC offset, as OME prints times: `2023-03-15T21:15:20.113+09:00`. */
export const formatIsoWithOffset = (date: Date): string => {
	const offset = -date.getTimezoneOffset();
	const sign = offset >= 0 ? '+' : '-';
	const abs = Math.abs(offset);
	return (
		`${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
		`T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
		`${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
	);
};
