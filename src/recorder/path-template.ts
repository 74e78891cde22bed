import { isAbsolute, relative, resolve, sep } from 'node:path';
import { TapedeckError } from '../core/errors.ts';

/** What the macros of a file or info path expand to. */
export type PathValues = {
	readonly virtualHost: string;
	readonly application: string;
	readonly stream: string;
	/** The input stream's own name; defaults to `stream`. */
	readonly sourceStream?: string;
	readonly sequence: number;
	readonly id: string;
	readonly transactionId: string;
	readonly startTime: Date;
	/** Unknown while the file is written: `${EndTime}` then expands like `${StartTime}`. */
	readonly endTime?: Date;
};

const MACRO = /\$\{([A-Za-z]+)(?::([^}]*))?\}/g;
const TIME_TOKEN = /YYYY|MM|DD|hh|mm|ss/g;
const TIME_MACROS = new Set(['StartTime', 'EndTime']);
const PLAIN_MACROS = new Set([
	'VirtualHost',
	'Application',
	'Stream',
	'SourceStream',
	'Sequence',
	'Id',
	'TransactionId',
]);

/**
 * A file path with OvenMediaEngine's macros: `${VirtualHost} ${Application} ${Stream} ${SourceStream}
 * ${Sequence} ${Id} ${TransactionId} ${StartTime:fmt} ${EndTime:fmt}`, where `fmt` uses the tokens
 * `YYYY MM DD hh mm ss` in server local time, as OME does. Unlike OME, a format may hold separators
 * (`${StartTime:YYYY-MM-DD}` works), `${SourceStream}` is the real source name, and unknown macros
 * are rejected instead of left literal.
 *
 * Every expanded path is confined to `root`: the template may not climb with `..` or point elsewhere
 * when absolute, and macro values cannot add directories (a `/` in a stream name becomes `_`).
 */
export class PathTemplate {
	readonly template: string;
	readonly root: string;

	constructor(template: string, root: string) {
		this.template = template;
		this.root = resolve(root);
		if (template.trim() === '') throw new TapedeckError('invalid_argument', 'a file path template must not be empty');
		if (template.includes('\0')) {
			throw new TapedeckError('invalid_argument', `file path ${JSON.stringify(template)} must not contain a NUL byte`);
		}
		if (template.split(/[\\/]/).includes('..')) {
			throw new TapedeckError('invalid_argument', `file path "${template}" must not contain a ".." segment`);
		}
		for (const match of template.matchAll(MACRO)) {
			const [text, name = '', format] = match;
			if (TIME_MACROS.has(name)) {
				if (format === undefined) {
					throw new TapedeckError('invalid_argument', `macro ${text} needs a format, e.g. \${${name}:YYYYMMDDhhmmss}`);
				}
			} else if (!PLAIN_MACROS.has(name)) {
				throw new TapedeckError(
					'invalid_argument',
					`unknown macro ${text} in file path "${template}"; known: ${[...PLAIN_MACROS, ...TIME_MACROS].map((m) => `\${${m}}`).join(' ')}`,
				);
			}
		}
		if (isAbsolute(template)) this.#confine(resolve(template.replace(MACRO, 'x')));
	}

	/** True when the template names the file by its end time, which is only known at close. */
	get usesEndTime(): boolean {
		return this.template.includes('${EndTime');
	}

	/** The absolute path for these values, inside `root`. */
	expand(values: PathValues): string {
		const expanded = this.template.replace(MACRO, (_text, name: string, format: string | undefined) =>
			expandMacro(name, format ?? '', values),
		);
		return this.#confine(resolve(this.root, expanded));
	}

	#confine(path: string): string {
		const inside = relative(this.root, path);
		if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
			throw new TapedeckError('invalid_argument', `file path "${path}" is outside the recordings folder ${this.root}`);
		}
		return path;
	}
}

const expandMacro = (name: string, format: string, values: PathValues): string => {
	switch (name) {
		case 'VirtualHost':
			return safeSegment(values.virtualHost);
		case 'Application':
			return safeSegment(values.application);
		case 'Stream':
			return safeSegment(values.stream);
		case 'SourceStream':
			return safeSegment(values.sourceStream ?? values.stream);
		case 'Sequence':
			return String(values.sequence);
		case 'Id':
			return safeSegment(values.id);
		case 'TransactionId':
			return safeSegment(values.transactionId);
		case 'StartTime':
			return formatLocalTime(values.startTime, format);
		default:
			return formatLocalTime(values.endTime ?? values.startTime, format);
	}
};

/** A macro value as one harmless path segment: no separators, no NUL, never `.` or `..`. */
export const safeSegment = (value: string): string => {
	const cleaned = value.replace(/[/\\\0]/g, '_');
	return cleaned === '' || cleaned === '.' || cleaned === '..' ? '_' : cleaned;
};

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** Formats with the tokens YYYY MM DD hh mm ss (local time); anything else is kept as written. */
export const formatLocalTime = (date: Date, format: string): string =>
	format.replace(TIME_TOKEN, (token) => {
		switch (token) {
			case 'YYYY':
				return pad(date.getFullYear(), 4);
			case 'MM':
				return pad(date.getMonth() + 1, 2);
			case 'DD':
				return pad(date.getDate(), 2);
			case 'hh':
				return pad(date.getHours(), 2);
			case 'mm':
				return pad(date.getMinutes(), 2);
			default:
				return pad(date.getSeconds(), 2);
		}
	});
