/**
 * The configuration as people read it, made from the schema: the reference (a configuration file with
 * every key beside its default and what it means, which loads as the defaults), the effective
 * configuration with secrets masked, and the flag list of `tapedeck serve --help`.
 */
import { stringify } from 'yaml';
import { CONFIG_SCHEMA, envName, type Settings, settingsOf, type Tree } from './config-schema.ts';
import { Setting } from './setting.ts';

const MASK = '***';

/** A value as the file would hold it (`30s`, `1GiB`), secrets masked, fields of map and list items too. */
const printed = (setting: Setting<unknown>, value: unknown, mask: boolean): unknown => {
	if (mask && setting.meta.secret) return MASK;
	const { fields } = setting.kind;
	if (fields === undefined) return setting.kind.print ? setting.kind.print(value as never) : value;
	const item = (entry: unknown) =>
		Object.fromEntries(
			Object.entries(entry as Record<string, unknown>).map(([key, field]) => {
				const fieldSetting = fields[key];
				return [key, fieldSetting ? printed(fieldSetting, field, mask) : field];
			}),
		);
	if (Array.isArray(value)) return value.map(item);
	return Object.fromEntries(
		Object.entries(value as Record<string, unknown>).map(([name, entry]) => [name, item(entry)]),
	);
};

/** The settings as a configuration file holds them: units, secrets masked, unset ones left out. */
export const effectiveConfig = (settings: Settings, format: 'yaml' | 'json'): string => {
	const walk = (tree: Tree, values: Record<string, unknown>): Record<string, unknown> =>
		Object.fromEntries(
			Object.entries(tree).flatMap(([key, node]) => {
				const value = values[key];
				if (value === undefined) return [];
				return [
					[key, node instanceof Setting ? printed(node, value, true) : walk(node, value as Record<string, unknown>)],
				];
			}),
		);
	const document = walk(CONFIG_SCHEMA, settings as unknown as Record<string, unknown>);
	return format === 'json' ? JSON.stringify(document, null, 2) : stringify(document).trimEnd();
};

/** One value on one line: a YAML scalar, or a flow list (`[a, b]`) or map. */
const inline = (value: unknown): string => stringify(value, { collectionStyle: 'flow' }).trim();

/** Where else a setting is set, and its default in words when it is computed. */
const origins = (key: string, setting: Setting<unknown>): string => {
	const flag = setting.meta.flag === undefined ? [] : [`--${setting.meta.flag}`];
	const env = setting.kind.fields ? `${envName(key, setting)} (JSON)` : envName(key, setting);
	const by = setting.meta.defaultText === undefined ? '' : `; default: ${setting.meta.defaultText}`;
	return `${[...flag, env].join(', ')}${by}`;
};

/** The reference: every key, with its meaning, kind, flag and variable; unset ones commented out with an example. */
export const configReference = (): string => {
	const lines: string[] = [];
	const walk = (tree: Tree, indent: string, prefix: string) => {
		for (const [name, node] of Object.entries(tree)) {
			if (!(node instanceof Setting)) {
				lines.push(`${indent}${name}:`);
				walk(node, `${indent}  `, `${prefix}${name}.`);
				continue;
			}
			const key = `${prefix}${name}`;
			lines.push(`${indent}# ${node.meta.description}${node.meta.secret ? ' (a secret)' : ''}`);
			lines.push(`${indent}#   ${node.kind.name}; ${origins(key, node)}`);
			for (const [field, setting] of Object.entries(node.kind.fields ?? {}))
				lines.push(`${indent}#   ${field}: ${setting.meta.description}${setting.meta.required ? ' (required)' : ''}`);
			const example = printed(node, node.kind.read(node.meta.example), false);
			const commented = (value: unknown) =>
				node.kind.fields && !(Array.isArray(value) && value.length === 0) && !isEmptyMap(value)
					? stringify({ [name]: value })
							.trimEnd()
							.split('\n')
							.map((line) => `${indent}# ${line}`)
					: [`${indent}# ${name}: ${inline(value)}`];
			if (node.defaultValue === undefined) lines.push(...commented(example));
			else {
				lines.push(`${indent}${name}: ${inline(printed(node, node.defaultValue, false))}`);
				if (node.kind.fields) lines.push(`${indent}# for example:`, ...commented(example));
			}
		}
	};
	walk(CONFIG_SCHEMA, '', '');
	return lines.join('\n');
};

const isEmptyMap = (value: unknown): boolean =>
	typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

/** The flags of `tapedeck serve`, one line each, with the key each sets. */
export const flagsHelp = (): string =>
	settingsOf(CONFIG_SCHEMA)
		.filter(({ setting }) => setting.meta.flag !== undefined)
		.map(({ key, setting }) => {
			const { flag, short } = setting.meta;
			const name = `${short ? `-${short}, ` : '    '}--${flag}${setting.kind.switch ? '' : ' <value>'}`;
			return `  ${name.padEnd(32)} ${setting.meta.description} (${key}; ${envName(key, setting)})`;
		})
		.join('\n');
