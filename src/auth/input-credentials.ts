/**
 * The publish credentials a recording's own listen input carries in its spec, under the names the
 * API accepts: `publish_key`, `user` + `password`, `passphrase` (SRT), `allowed_sources` (addresses or
 * IPv4 CIDR blocks; the only check UDP can make).
 */
import { TapedeckError } from '../core/errors.ts';
import { isSourcePattern, type StreamCredentials } from './stream-credentials.ts';

export const inputCredentialsOf = (input: Readonly<Record<string, unknown>>): StreamCredentials => {
	const text = (name: string): string | undefined => {
		const value = input[name];
		if (value === undefined || value === null || value === '') return undefined;
		if (typeof value !== 'string') throw new TapedeckError('invalid_argument', `input.${name} must be a string`);
		return value;
	};
	const key = text('publish_key');
	const user = text('user');
	const password = text('password');
	const passphrase = text('passphrase');
	if ((user === undefined) !== (password === undefined))
		throw new TapedeckError('invalid_argument', 'input.user and input.password go together');
	const sources = input['allowed_sources'];
	if (
		sources !== undefined &&
		!(Array.isArray(sources) && sources.every((s) => typeof s === 'string' && isSourcePattern(s)))
	)
		throw new TapedeckError(
			'invalid_argument',
			`input.allowed_sources must be a list of IP addresses or IPv4 CIDR blocks, got ${JSON.stringify(sources)}`,
		);
	return {
		...(key === undefined ? {} : { key }),
		...(user === undefined ? {} : { user, password: password as string }),
		...(passphrase === undefined ? {} : { passphrase }),
		...(sources === undefined ? {} : { sources: sources as string[] }),
	};
};
