/**
 * The configuration file: YAML or JSON (YAML 1.2 reads both), checked against the schema as a whole so
 * that the first bad value or unknown key is named by its path, in one line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { TapedeckError } from '../core/errors.ts';
import { CONFIG_SCHEMA, type Tree } from './config-schema.ts';
import { issueText, Setting } from './setting.ts';

/** The file's values by section, each already of its setting's type; absent keys are absent. */
export type FileValues = { readonly [key: string]: unknown };

/** Names looked for in the data folder when no file is named, in this order. */
const DEFAULT_NAMES = ['tapedeck.yaml', 'tapedeck.yml', 'tapedeck.json'];

export const defaultConfigFile = (dataDir: string): string | undefined =>
	DEFAULT_NAMES.map((name) => join(dataDir, name)).find((path) => existsSync(path));

/** A bad configuration: one line, `config: <key>: <problem>`. */
export const configError = (message: string): TapedeckError =>
	new TapedeckError('invalid_argument', `config: ${message}`);

const treeSchema = (tree: Tree): z.ZodType<FileValues> =>
	z.strictObject(
		Object.fromEntries(
			Object.entries(tree).map(([key, node]) => [
				key,
				// A section whose keys are all commented out reads as null: empty, as in the reference.
				node instanceof Setting ? node.kind.zod.optional() : treeSchema(node).nullish(),
			]),
		),
	);

const FILE_SCHEMA = treeSchema(CONFIG_SCHEMA);

/** The keys the schema knows at `path` (a map's or list's item keys below its entries). */
const knownKeys = (path: readonly PropertyKey[]): readonly string[] => {
	let node: Tree | Setting<unknown> = CONFIG_SCHEMA;
	for (let i = 0; i < path.length; i++) {
		if (node instanceof Setting) return Object.keys(node.kind.fields ?? {});
		const next: Tree | Setting<unknown> | undefined = node[String(path[i])];
		if (next === undefined) return [];
		node = next;
	}
	return Object.keys(node instanceof Setting ? (node.kind.fields ?? {}) : node);
};

/** Reads and checks a configuration file; `wrap` places an older file's content in its section. */
export const readConfigFile = (
	path: string,
	wrap: (content: unknown) => unknown = (content) => content,
): FileValues => {
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (error) {
		throw configError(`cannot read ${path}: ${(error as Error).message}`);
	}
	let content: unknown;
	try {
		content = parse(text) ?? {};
	} catch (error) {
		throw configError(`${path} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
	}
	const raw = wrap(content);
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
		throw configError(`${path} must hold a map of settings (key: value), got ${JSON.stringify(content)}`);
	const parsed = FILE_SCHEMA.safeParse(raw);
	if (parsed.success) return parsed.data;
	const issue = parsed.error.issues[0];
	throw configError(`${issue ? issueText(issue, raw, knownKeys) : 'invalid'} (in ${path})`);
};
