/** Option parsing shared by the subcommands: node:util's parseArgs, strict, with errors in tapedeck's words. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { TapedeckError } from '../core/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export const parseCommandLine = <O extends Options>(argv: readonly string[], options: O, command: string) => {
	try {
		return parseArgs({ args: [...argv], options, allowPositionals: true as const, strict: true as const });
	} catch (error) {
		// parseArgs says e.g. "Unknown option '--fromat'. To specify a positional argument starting with…".
		const reason = ((error as Error).message.split('. ')[0] ?? String(error)).replace(/\.$/, '');
		throw new TapedeckError('invalid_argument', `${command}: ${reason}; see tapedeck ${command} --help`);
	}
};

/** program_number is 16 bits; 0 names the network PID in the PAT, not a program (ISO/IEC 13818-1 §2.4.4.3). */
export const programNumber = (value: string | undefined): number | undefined => {
	if (value === undefined) return undefined;
	const parsed = Number(value);
	if (!/^\d+$/.test(value) || parsed < 1 || parsed > 0xffff) {
		throw new TapedeckError('invalid_argument', `--program must be a program number from 1 to 65535, got "${value}"`);
	}
	return parsed;
};
