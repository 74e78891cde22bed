/**
 * Where a process spent its CPU, from a V8 `.cpuprofile` (`node --cpu-prof`): self time per function
 * and per source module. Functions of the esbuild bundle are traced back to their module by the
 * `// path/to/module.ts` line esbuild writes before each module's code.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
/** Milliseconds from the profile's start. */
export type ProfileWindow = { readonly fromMs: number; readonly toMs: number };

export type HotSpot = { name: string; module: string; line: number; ms: number; percent: number };
/** `busyMs` leaves out V8's "(idle)": percentages are of the time the process was running. */
export type ProfileSummary = { busyMs: number; idleMs: number; functions: HotSpot[]; modules: HotSpot[] };

const MODULE_MARKER = /^\/\/ ((?:src|ingest|mux|node_modules)\/\S+\.[cm]?[jt]s)$/;

/** For a bundle: the first line of each module (0-based) and its path, in file order. */
const bundleModules = (path: string): Array<{ line: number; module: string }> => {
	const modules: Array<{ line: number; module: string }> = [];
	readFileSync(path, 'utf8')
		.split('\n')
		.forEach((text, line) => {
			const match = MODULE_MARKER.exec(text);
			if (match?.[1]) modules.push({ line, module: match[1] });
		});
	return modules;
};

/**
 * Reads `profilePath`, keeping the samples inside `window` when given; `root` shortens file URLs to
 * repository paths.
 */
export const summarizeProfile = (
	profilePath: string,
	root: string,
	top = 20,
	window?: ProfileWindow,
): ProfileSummary => {
	const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
	const selfUs = new Map<number, number>();
	let atUs = 0;
	for (const [i, id] of profile.samples.entries()) {
		const delta = profile.timeDeltas[i] ?? 0;
		atUs += delta;
		if (window && (atUs < window.fromMs * 1000 || atUs > window.toMs * 1000)) continue;
		selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
	}
	const bundles = new Map<string, Array<{ line: number; module: string }>>();
	const moduleOf = (frame: CallFrame): string => {
		if (!frame.url) return '(native)';
		if (!frame.url.startsWith('file://')) return frame.url;
		const file = fileURLToPath(frame.url);
		if (!file.endsWith('.cjs')) return relative(root, file);
		let modules = bundles.get(file);
		if (!modules) {
			modules = bundleModules(file);
			bundles.set(file, modules);
		}
		let found = relative(root, file);
		for (const m of modules) {
			if (m.line > frame.lineNumber) break;
			found = m.module;
		}
		return found;
	};
	const byFunction = new Map<string, HotSpot>();
	const byModule = new Map<string, HotSpot>();
	let busyUs = 0;
	let idleUs = 0;
	for (const node of profile.nodes) {
		const us = selfUs.get(node.id) ?? 0;
		if (us === 0) continue;
		if (node.callFrame.functionName === '(idle)') {
			idleUs += us;
			continue;
		}
		busyUs += us;
		const module = moduleOf(node.callFrame);
		const name = node.callFrame.functionName || '(anonymous)';
		const key = `${name}@${module}:${node.callFrame.lineNumber}`;
		const f = byFunction.get(key) ?? { name, module, line: node.callFrame.lineNumber + 1, ms: 0, percent: 0 };
		f.ms += us / 1000;
		byFunction.set(key, f);
		const m = byModule.get(module) ?? { name: module, module, line: 0, ms: 0, percent: 0 };
		m.ms += us / 1000;
		byModule.set(module, m);
	}
	const ranked = (spots: Iterable<HotSpot>) =>
		[...spots]
			.sort((a, b) => b.ms - a.ms)
			.slice(0, top)
			.map((s) => ({ ...s, ms: Math.round(s.ms), percent: (100 * s.ms * 1000) / busyUs }));
	return {
		busyMs: Math.round(busyUs / 1000),
		idleMs: Math.round(idleUs / 1000),
		functions: ranked(byFunction.values()),
		modules: ranked(byModule.values()),
	};
};
