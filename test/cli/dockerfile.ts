/**
 * Reads a Dockerfile into its stages and instructions, as far as the packaging test needs: line continuations,
 * comments, the JSON (exec) and shell forms. No image is built here (no container runtime on the test machines):
 * the test runs what the instructions say outside one.
 */
export type Instruction = { readonly keyword: string; readonly args: string };
export type Stage = { readonly from: string; readonly name: string | undefined; readonly instructions: Instruction[] };

export const parseDockerfile = (text: string): Stage[] => {
	const stages: Stage[] = [];
	const logical = text
		.replace(/\\\n/g, ' ')
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line !== '' && !line.startsWith('#'));
	for (const line of logical) {
		const [keyword = '', ...rest] = line.split(/\s+/);
		const args = rest.join(' ');
		if (keyword.toUpperCase() === 'FROM') {
			const [from = '', as, name] = args.split(/\s+/);
			stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
			continue;
		}
		const stage = stages.at(-1);
		if (!stage) throw new Error(`${keyword} before the first FROM`);
		stage.instructions.push({ keyword: keyword.toUpperCase(), args });
	}
	return stages;
};

/** The arguments of every `keyword` instruction of `stage`. */
export const argsOf = (stage: Stage, keyword: string): string[] =>
	stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);

/** An exec-form (JSON array) argument list: `["node", "x.cjs"]`. */
export const execForm = (args: string): string[] => {
	const parsed: unknown = JSON.parse(args);
	if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string'))
		throw new Error(`not an exec-form list: ${args}`);
	return parsed;
};

/** `ENV A=1 B=2` lines of `stage` as a record (values without spaces or quotes, as this project writes them). */
export const envOf = (stage: Stage): Record<string, string> =>
	Object.fromEntries(
		argsOf(stage, 'ENV').flatMap((args) =>
			args.split(/\s+/).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
		),
	);
