/**
 * One setting of `tapedeck serve`: its kind (how a value is read — from the configuration file, or the
 * text of an environment variable or flag — and printed), its default, what it means, and its
 * environment variable and flag. The configuration schema is a tree of these; validation, the
 * environment variable names, `tapedeck config` and the README's reference all come from it.
 */
import type { z } from 'zod';

/** What a value should have been; the message names the expectation and the value found. */
export class SettingProblem extends Error {}

export type Kind<V> = {
	/** For the reference: `port`, `duration`, … */
	readonly name: string;
	/** The value, or a SettingProblem saying what is expected. */
	readonly read: (value: unknown) => V;
	/** As the configuration file would hold it (`30s` for 30000 ms). */
	print?(value: V): unknown;
	/** A flag without a value (`--allow-open-publish`). */
	readonly switch?: boolean;
	/** The keys of each item of a list or map of objects: documented, validated and masked like settings. */
	readonly fields?: Fields;
	/** The same rule for zod, which walks the file's structure and names the path of a bad value. */
	readonly zod: z.ZodType<V>;
};

export type SettingMeta = {
	readonly description: string;
	/** A value other than the default, as the file would hold it: the reference shows it, the tests set it. */
	readonly example: unknown;
	readonly flag?: string;
	readonly short?: string;
	/** The environment variable; by default `TAPEDECK_` and the key's path (`log.level` → `TAPEDECK_LOG_LEVEL`). */
	readonly env?: string;
	/** Printed as `***` by `tapedeck config`. */
	readonly secret?: boolean;
	/** For a field of a list or map item: it must be present. */
	readonly required?: boolean;
	/** The default in words, when it is computed (`api.host`). */
	readonly defaultText?: string;
};

export class Setting<V> {
	constructor(
		readonly kind: Kind<Exclude<V, undefined>>,
		readonly defaultValue: V,
		readonly meta: SettingMeta,
	) {}
}

export type Fields = { readonly [key: string]: Setting<unknown> };

/** Settings by key, in sections. */
export type Tree = { readonly [key: string]: Setting<unknown> | Tree };

export function setting<V>(kind: Kind<V>, meta: SettingMeta & { readonly default: V }): Setting<V>;
export function setting<V>(kind: Kind<V>, meta: SettingMeta): Setting<V | undefined>;
export function setting<V>(kind: Kind<V>, meta: SettingMeta & { readonly default?: V }): Setting<V | undefined> {
	return new Setting<V | undefined>(kind as Kind<Exclude<V | undefined, undefined>>, meta.default, meta);
}

/** A value as the problem message quotes it. */
export const shown = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** One zod issue as a line: the path inside the value, what was expected, and what was found. */
export const issueText = (
	issue: z.core.$ZodIssue,
	input: unknown,
	known?: (path: readonly PropertyKey[]) => readonly string[],
): string => {
	const at = issue.path.map(String).join('.');
	const prefix = at === '' ? '' : `${at}: `;
	if (issue.code === 'unrecognized_keys') {
		const names = issue.keys.map((key) => `"${key}"`).join(', ');
		const list = known?.(issue.path);
		return `${prefix}unknown key ${names}${list ? ` (known: ${list.join(', ')})` : ''}`;
	}
	if (issue.code === 'invalid_type') {
		const found = issue.path.reduce<unknown>(
			(value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key],
			input,
		);
		const expected =
			issue.expected === 'object' || issue.expected === 'record' ? 'a section of keys' : `a ${issue.expected}`;
		return `${prefix}expected ${expected}, got ${shown(found)}`;
	}
	return `${prefix}${issue.message}`;
};
