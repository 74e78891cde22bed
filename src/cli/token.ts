/** `tapedeck token [--data DIR] [--days N]`: prints a JWT for the API's `x-access-token` header. */
import { issueAccessJwt } from '../api/auth.ts';
import { DEFAULTS } from '../config/defaults.ts';
import { loadAccessToken, loadServeConfig, parseOptions } from '../config/load.ts';
import { TapedeckError } from '../core/errors.ts';

export async function runToken(argv: string[]): Promise<void> {
	const { values } = parseOptions(argv, { data: { type: 'string', short: 'd' }, days: { type: 'string' } });
	const days = Number(values.days ?? DEFAULTS.tokenDays);
	if (!Number.isFinite(days) || days <= 0) {
		throw new TapedeckError('invalid_argument', `--days must be a positive number, got "${values.days}"`);
	}
	const config = loadServeConfig(values.data === undefined ? [] : ['--data', values.data]);
	const token = loadAccessToken(config.dataDir);
	if (token.generated) console.error(`generated a new access token in ${token.path}`);
	console.log(await issueAccessJwt(token.secret, days));
}
