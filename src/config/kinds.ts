/**
 * The kinds of setting values: texts, ports, integers, durations and sizes with units, switches, choices,
 * lists, and maps or lists of objects. Each reads the file's value or a variable's or flag's text.
 */
import { z } from 'zod';
import { type Fields, issueText, type Kind, SettingProblem, shown } from './setting.ts';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.ts';

const problem = (expected: string, value: unknown): never => {
	throw new SettingProblem(
		value === undefined ? `missing: expected ${expected}` : `expected ${expected}, got ${shown(value)}`,
	);
};

/** A kind from its read function; zod runs the same function. */
const scalar = <V>(name: string, read: (value: unknown) => V, extra: Partial<Kind<V>> = {}): Kind<V> => ({
	name,
	read,
	...extra,
	zod: z.unknown().transform((value, context) => {
		try {
			return read(value);
		} catch (error) {
			if (!(error instanceof SettingProblem)) throw error;
			context.addIssue({ code: 'custom', message: error.message });
			return z.NEVER;
		}
	}),
});

/** An integer given as a number or as decimal text (an environment variable); undefined otherwise. */
const wholeNumber = (value: unknown): number | undefined => {
	const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
	return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
};

const range = (min: number, max: number | undefined, unit = ''): string =>
	max === undefined ? `at least ${min}${unit}` : `${min}${unit} to ${max}${unit}`;

export const text = scalar('text', (value) =>
	typeof value === 'string' && value.trim() !== '' ? value : problem('a non-empty text', value),
);

export const url = scalar('URL', (value) =>
	typeof value === 'string' && /^https?:\/\/\S+$/.test(value) ? value : problem('an http:// or https:// URL', value),
);

export const integer = (min: number, max?: number): Kind<number> =>
	scalar(`integer, ${range(min, max)}`, (value) => {
		const number = wholeNumber(value);
		return number !== undefined && number >= min && (max === undefined || number <= max)
			? number
			: problem(`an integer ${range(min, max)}`, value);
	});

export const port = scalar('port', (value) => {
	const number = wholeNumber(value);
	return number !== undefined && number >= 0 && number <= 65535 ? number : problem('a port 0-65535', value);
});

/** A duration in `baseMs` units (1: milliseconds, 1000: seconds), as a number or with a unit (`30s`, `7d`). */
export const duration = (min: number, max?: number, baseMs = 1): Kind<number> => {
	const unit = baseMs === 1000 ? ' s' : ' ms';
	return scalar(
		`duration (${unit.trim()}, or 500ms, 30s, 5m, 2h, 7d)`,
		(value) => {
			const amount = parseDuration(value, baseMs);
			return amount !== undefined && amount >= min && (max === undefined || amount <= max)
				? amount
				: problem(`a duration of ${range(min, max, unit)} (a number, or with a unit: 30s, 5m, 7d)`, value);
		},
		{ print: (amount) => formatDuration(amount, baseMs) },
	);
};

export const size = (min: number): Kind<number> =>
	scalar(
		'size (bytes, or 500MB, 10GiB)',
		(value) => {
			const bytes = parseSize(value);
			return bytes !== undefined && bytes >= min
				? bytes
				: problem(`a size of at least ${min} bytes (or 1MiB, 10GB)`, value);
		},
		{ print: formatSize },
	);

const TRUE = ['true', '1'];
const FALSE = ['false', '0'];

export const boolean = scalar(
	'true or false',
	(value) => {
		if (typeof value === 'boolean') return value;
		if (typeof value === 'string' && TRUE.includes(value.toLowerCase())) return true;
		if (typeof value === 'string' && FALSE.includes(value.toLowerCase())) return false;
		return problem('true or false', value);
	},
	{ switch: true },
);

export const oneOf = <const T extends string>(values: readonly T[]): Kind<T> =>
	scalar(values.join(' | '), (value) =>
		values.includes(value as T) ? (value as T) : problem(`one of ${values.join(', ')}`, value),
	);

/** Texts: a list in the file, comma-separated in a variable or flag; `check` refuses an entry. */
export const list = (check: (entry: string) => void = () => {}): Kind<readonly string[]> =>
	scalar('list (comma-separated in a variable or flag)', (value) => {
		const entries = typeof value === 'string' ? value.split(',').map((entry) => entry.trim()) : value;
		if (!Array.isArray(entries) || !entries.every((entry) => typeof entry === 'string' && entry !== ''))
			return problem('a list of non-empty texts', value);
		for (const entry of entries) {
			try {
				check(entry);
			} catch (error) {
				throw new SettingProblem(`${(error as Error).message.replace(/, got .*$/, '')}, got ${shown(entry)}`);
			}
		}
		return entries as readonly string[];
	});

type Item = { readonly [key: string]: unknown };

const itemSchema = (fields: Fields, check: ((item: Item) => string | undefined) | undefined) => {
	const shape = Object.fromEntries(
		Object.entries(fields).map(([key, field]) => [
			key,
			field.meta.required ? field.kind.zod : field.kind.zod.optional(),
		]),
	);
	return z.strictObject(shape).superRefine((item, context) => {
		const message = check?.(item);
		if (message !== undefined) context.addIssue({ code: 'custom', message });
	});
};

/** A variable's text holding JSON, as the value it holds (left as it is when it is not JSON). */
const fromJson = (value: unknown): unknown => {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch {
		return value;
	}
};

/** A structured kind: zod does the work; a variable holds the value as JSON. */
const structured = <V>(name: string, fields: Fields, schema: z.ZodType<V>): Kind<V> => {
	const zod = z.preprocess(fromJson, schema);
	return {
		name,
		fields,
		zod,
		read: (value) => {
			const parsed = zod.safeParse(value);
			if (parsed.success) return parsed.data;
			throw new SettingProblem(parsed.error.issues.map((issue) => issueText(issue, fromJson(value)))[0]);
		},
	};
};

/** A map of objects by name (`app/stream` → its credentials); `keyRule` says what a name must look like. */
export const mapOf = <V extends Item>(
	fields: Fields,
	keyRule: { readonly pattern: RegExp; readonly text: string },
	check?: (item: Item) => string | undefined,
): Kind<Readonly<Record<string, V>>> =>
	structured(
		`map of name → {${Object.keys(fields).join(', ')}}`,
		fields,
		z.record(z.string(), itemSchema(fields, check)).superRefine((map, context) => {
			for (const name of Object.keys(map))
				if (!keyRule.pattern.test(name))
					context.addIssue({
						code: 'custom',
						path: [name],
						message: `expected a name of ${keyRule.text}, got ${shown(name)}`,
					});
		}) as unknown as z.ZodType<Readonly<Record<string, V>>>,
	);

/** A list of objects. */
export const listOf = <V extends Item>(fields: Fields): Kind<readonly V[]> =>
	structured(
		`list of {${Object.keys(fields).join(', ')}}`,
		fields,
		z.array(itemSchema(fields, undefined)) as unknown as z.ZodType<readonly V[]>,
	);
