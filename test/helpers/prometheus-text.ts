/**
 * A strict reader of the Prometheus text exposition format 0.0.4 (prometheus.io, "Exposition formats"), as a
 * scraper would reject what breaks it: every sample belongs to a family whose `# TYPE` came first and whose lines
 * are contiguous, names and label names are well formed, label values use only the three escapes, values are Go
 * floats, no series repeats, counters are never negative, and histogram/summary samples carry their suffixes.
 */

export type Sample = {
	readonly name: string;
	readonly labels: Readonly<Record<string, string>>;
	readonly value: number;
};
export type Family = { readonly type: string; readonly help: string | undefined; readonly samples: Sample[] };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
	histogram: ['_bucket', '_sum', '_count'],
	summary: ['', '_sum', '_count'],
};

/** Parses `text`; throws naming the line and the rule it breaks. */
export const parsePrometheusText = (text: string): Map<string, Family> => {
	const families = new Map<string, Family>();
	const seriesSeen = new Set<string>();
	const closed = new Set<string>();
	let current: string | undefined;
	const lines = text.split('\n');
	if (lines.at(-1) !== '') throw new Error('the exposition must end with a line feed');
	lines.forEach((line, index) => {
		const fail = (why: string): never => {
			throw new Error(`line ${index + 1}: ${why}: ${JSON.stringify(line)}`);
		};
		if (line === '') return;
		const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
		if (meta) {
			const [, keyword, name, rest = ''] = meta as unknown as [string, string, string, string?];
			if (!METRIC_NAME.test(name)) fail('bad metric name');
			const family = families.get(name);
			if (keyword === 'TYPE') {
				if (!TYPES.has(rest.trim())) fail('unknown type');
				if (family && family.type !== 'pending') fail('a second TYPE');
				families.set(name, { type: rest.trim(), help: family?.help, samples: family?.samples ?? [] });
			} else {
				if (family?.help !== undefined) fail('a second HELP');
				if (/\\[^\\n]/.test(rest)) fail('bad escape in HELP');
				families.set(name, { type: family?.type ?? 'pending', help: rest, samples: family?.samples ?? [] });
			}
			return;
		}
		if (line.startsWith('#')) return;
		const sample = parseSample(line, fail);
		const [familyName, family] = familyOf(families, sample.name) ?? fail('sample of a family without TYPE');
		if (family.type === 'pending') fail('sample before its TYPE');
		if (familyName !== current) {
			if (closed.has(familyName)) fail('the lines of a family are not contiguous');
			if (current !== undefined) closed.add(current);
			current = familyName;
		}
		const key = `${sample.name}{${Object.entries(sample.labels)
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([k, v]) => `${k}=${JSON.stringify(v)}`)
			.join(',')}}`;
		if (seriesSeen.has(key)) fail('a series repeated');
		seriesSeen.add(key);
		if (family.type === 'counter' && !(sample.value >= 0)) fail('a counter below zero');
		if (family.type === 'histogram' && sample.name.endsWith('_bucket') && sample.labels['le'] === undefined)
			fail('a bucket without le');
		family.samples.push(sample);
	});
	for (const [name, family] of families) if (family.type === 'pending') throw new Error(`${name}: HELP without TYPE`);
	return families;
};

/** The family a sample name belongs to: its own name, or a histogram's/summary's with a suffix. */
const familyOf = (families: Map<string, Family>, name: string): [string, Family] | undefined => {
	for (const [family, suffixes] of Object.entries(SUFFIXES)) {
		for (const suffix of suffixes) {
			if (!name.endsWith(suffix)) continue;
			const base = name.slice(0, name.length - suffix.length);
			const found = families.get(base);
			if (found?.type === family) return [base, found];
		}
	}
	const own = families.get(name);
	return own && own.type !== 'histogram' ? [name, own] : undefined;
};

const parseSample = (line: string, fail: (why: string) => never): Sample => {
	const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? fail('bad metric name');
	let at = name.length;
	const labels: Record<string, string> = {};
	if (line[at] === '{') {
		at++;
		while (line[at] !== '}') {
			const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(at))?.[0] ?? fail('bad label name');
			if (!LABEL_NAME.test(labelName) || labelName.startsWith('__')) fail('reserved label name');
			at += labelName.length;
			if (line[at] !== '=' || line[at + 1] !== '"') fail('label without ="');
			at += 2;
			let value = '';
			for (;;) {
				const char = line[at++] ?? fail('unterminated label value');
				if (char === '"') break;
				if (char !== '\\') {
					value += char;
					continue;
				}
				const escaped = line[at++];
				if (escaped === 'n') value += '\n';
				else if (escaped === '\\' || escaped === '"') value += escaped;
				else fail('bad escape in a label value');
			}
			if (labelName in labels) fail('a label repeated');
			labels[labelName] = value;
			if (line[at] === ',') at++;
			else if (line[at] !== '}') fail('labels not separated by commas');
		}
		at++;
	}
	const rest = line.slice(at);
	const match = /^ (\S+)(?: (-?\d+))?$/.exec(rest) ?? fail('no value, or extra fields');
	return { name, labels, value: parseValue(match[1]!, fail) };
};

/**
 * A Go float as Prometheus reads it (strconv.ParseFloat): decimal or exponent forms, and `NaN`, `Inf`, `Infinity`
 * in any case, the infinities signed or not (prom-client writes NaN as `Nan`).
 */
const parseValue = (text: string, fail: (why: string) => never): number => {
	const special = /^([-+]?)(nan|inf|infinity)$/i.exec(text);
	if (special) {
		if (special[2]!.toLowerCase() === 'nan') return special[1] ? fail('a signed NaN') : Number.NaN;
		return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
	}
	if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail('value is not a float');
	return Number(text);
};

/** The value of the one sample named `name` whose labels include `labels`; undefined when there is none. */
export const sampleValue = (
	families: Map<string, Family>,
	name: string,
	labels: Readonly<Record<string, string>> = {},
): number | undefined => {
	const base = familyOf(families, name)?.[1];
	const matches = (base?.samples ?? []).filter(
		(s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
	);
	if (matches.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${matches.length} samples match`);
	return matches[0]?.value;
};
