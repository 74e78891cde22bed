/**
 * The layer rule: which folder may import which. Data flows one way — ingest → bus → recorder → mux → sink — and
 * each folder may import only the layers below it, so a contract lives where the data it describes is produced and
 * nothing downstream reaches back upstream. The README's architecture section draws the same rule.
 *
 * `findViolations` reads the relative imports of a set of source files (static `import`/`export … from`, side-effect
 * `import '…'` and dynamic `import('…')`, type-only imports included: a type edge couples two layers as much as a
 * value edge) and returns every edge against the rule, with file and line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

/** A folder of the tree, matched by path prefix (the longest prefix wins), and the layers it may import. */
type Layer = { readonly prefix: string; readonly mayImport: readonly string[] | 'anything' };

const BASE = ['src/core/', 'src/codec/', 'src/bytes/'];

/** Every folder that holds TypeScript. A file in a folder not listed here is itself a violation. */
export const LAYERS: readonly Layer[] = [
	{ prefix: 'src/core/', mayImport: [] },
	{ prefix: 'src/bytes/', mayImport: BASE },
	{ prefix: 'src/codec/', mayImport: BASE },
	{ prefix: 'ingest/', mayImport: BASE },
	{ prefix: 'mux/', mayImport: [...BASE, 'src/sink/'] },
	{ prefix: 'src/bus/', mayImport: ['src/core/', 'src/bytes/'] },
	{ prefix: 'src/sink/', mayImport: ['src/core/'] },
	{ prefix: 'src/store/', mayImport: ['src/core/'] },
	{ prefix: 'src/recorder/', mayImport: ['mux/', ...BASE, 'src/bus/', 'src/sink/', 'src/store/'] },
	{ prefix: 'src/ops/', mayImport: ['src/recorder/', 'src/bus/', 'src/store/', 'src/sink/', 'src/config/', ...BASE] },
	{ prefix: 'src/api/', mayImport: ['src/ops/', 'src/recorder/', 'src/core/', 'src/config/'] },
	{ prefix: 'src/auth/', mayImport: ['src/core/'] },
	{ prefix: 'src/config/', mayImport: ['src/core/'] },
	{ prefix: 'src/cli/', mayImport: 'anything' },
	{ prefix: 'bench/', mayImport: 'anything' },
	{ prefix: 'test/', mayImport: 'anything' },
	{ prefix: 'fixtures/', mayImport: 'anything' },
];

export type Violation = { readonly file: string; readonly line: number; readonly target: string; readonly why: string };

/** `file:line file → target`, the form the test prints and KNOWN_DEBTS lists (without the line). */
export const describeViolation = (v: Violation): string => `${v.file}:${v.line} → ${v.target} (${v.why})`;

const layerOf = (path: string): Layer | undefined => {
	let best: Layer | undefined;
	for (const layer of LAYERS) {
		if (path.startsWith(layer.prefix) && (!best || layer.prefix.length > best.prefix.length)) best = layer;
	}
	return best;
};

/**
 * Module specifiers with the offset of each: `import … from '…'` and `export … from '…'` (statements may span lines),
 * `import '…'`, and `import('…')` with a plain string or a template literal without substitutions.
 */
const SPECIFIERS = [
	/^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1/gm,
	/^[ \t]*import\s*(['"])([^'"]+)\1/gm,
	/\bimport\(\s*(['"`])([^'"`$]+)\1\s*\)/g,
];

const lineAt = (text: string, offset: number): number => {
	let line = 1;
	for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
	return line;
};

/** Every module specifier in `text`, with its line. */
export const importSpecifiers = (text: string): { specifier: string; line: number }[] => {
	const found: { specifier: string; line: number }[] = [];
	for (const pattern of SPECIFIERS) {
		for (const match of text.matchAll(pattern)) {
			const specifier = match[2] ?? '';
			found.push({ specifier, line: lineAt(text, (match.index ?? 0) + match[0].indexOf(specifier)) });
		}
	}
	return found.sort((a, b) => a.line - b.line);
};

/** Relative imports of one file as repository paths, each with its line. */
export const relativeImports = (file: string, text: string): { target: string; line: number }[] =>
	importSpecifiers(text)
		.filter(({ specifier }) => specifier.startsWith('./') || specifier.startsWith('../'))
		.map(({ specifier, line }) => ({
			target: posix.normalize(join(dirname(file), specifier).replaceAll('\\', '/')),
			line,
		}));

/** Every edge against the rule in `files` (repository-relative path → source text). */
export const findViolations = (files: ReadonlyMap<string, string>): Violation[] => {
	const violations: Violation[] = [];
	for (const [file, text] of files) {
		const from = layerOf(file);
		if (!from) {
			violations.push({ file, line: 1, target: file, why: 'folder has no layer in the import rule' });
			continue;
		}
		if (from.mayImport === 'anything') continue;
		for (const { target, line } of relativeImports(file, text)) {
			const to = layerOf(target);
			if (to === from) continue;
			if (to && from.mayImport.includes(to.prefix)) continue;
			const why = to ? `${from.prefix} may not import ${to.prefix}` : `${from.prefix} imports outside every layer`;
			violations.push({ file, line, target, why });
		}
	}
	return violations;
};

/** Folders that hold our TypeScript, and folders inside them that hold generated or installed code. */
const SOURCE_FOLDERS = ['src', 'ingest', 'mux', 'bench', 'test', 'fixtures'];
const SKIPPED = new Set(['node_modules', 'dist', 'out']);

/** Every TypeScript file of the tree at `root`: repository-relative path → source text. */
export const readSourceTree = (root: string): Map<string, string> => {
	const files = new Map<string, string>();
	const walk = (dir: string): void => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) {
				if (!SKIPPED.has(entry.name)) walk(path);
			} else if (/\.m?ts$/.test(entry.name)) {
				files.set(relative(root, path).replaceAll('\\', '/'), readFileSync(path, 'utf8'));
			}
		}
	};
	for (const folder of SOURCE_FOLDERS) walk(join(root, folder));
	return files;
};
