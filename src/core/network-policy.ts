import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { TapedeckError } from './errors.ts';

/**
 * Where sockets opened on an API client's request may go: a job's own listeners bind only the
 * addresses the operator allows, and pulls reach only the destinations the operator allows. A
 * client of the API is not trusted with the machine's network position (an internal service behind
 * a redirect, every interface of a host meant to be reachable on loopback only).
 */
export type NetworkPolicy = {
	/**
	 * Addresses a job's own listener may bind. The wildcards `0.0.0.0` and `::` are refused unless
	 * listed here. Multicast groups (joined, not bound to an interface) are always allowed.
	 */
	readonly listenAddresses: readonly string[];
	/** HTTP redirects a pull follows, each to the same scheme only; 0 follows none. */
	readonly pullRedirects: number;
	/**
	 * Destinations a pull may reach: host names (`cams.example.com`, `*.example.com`) or addresses and
	 * CIDRs (`10.1.0.0/16`, `2001:db8::/32`), matched against every address the name resolves to.
	 * Empty: any destination.
	 */
	readonly pullAllow: readonly string[];
};

/** The policy of a server whose listeners bind `listenHost`: that address and loopback, no redirects, any pull. */
export const defaultNetworkPolicy = (listenHost: string): NetworkPolicy => ({
	listenAddresses: [...new Set([listenHost, '127.0.0.1', '::1'])],
	pullRedirects: 0,
	pullAllow: [],
});

const MULTICAST = new BlockList();
MULTICAST.addSubnet('224.0.0.0', 4, 'ipv4');
MULTICAST.addSubnet('ff00::', 8, 'ipv6');

/** Throws a 400-kind error when `address` is not one a job's listener may bind. */
export const checkListenAddress = (policy: NetworkPolicy, address: string): void => {
	const family = isIP(address);
	if (family && MULTICAST.check(address, family === 4 ? 'ipv4' : 'ipv6')) return;
	if (policy.listenAddresses.includes(address)) return;
	throw new TapedeckError(
		'invalid_argument',
		`a job's listener may not bind "${address}": allowed are ${policy.listenAddresses.join(', ')} (the server's listen-address setting)`,
	);
};

/**
 * Throws when `url` is not a destination pulls may reach: its host matches a name pattern, or every
 * address the host resolves to lies in an allowed address or CIDR.
 */
export const checkPullDestination = async (policy: NetworkPolicy, url: URL): Promise<void> => {
	if (policy.pullAllow.length === 0) return;
	const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
	if (policy.pullAllow.some((pattern) => hostMatches(pattern.toLowerCase(), host))) return;
	const allowed = allowedAddresses(policy.pullAllow);
	const addresses = isIP(host)
		? [host]
		: await lookup(host, { all: true }).then(
				(found) => found.map((entry) => entry.address),
				() => [],
			);
	const outside = addresses.find((address) => !allowed.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4'));
	if (addresses.length > 0 && outside === undefined) return;
	throw new TapedeckError(
		'invalid_argument',
		`pulling from ${url.protocol}//${url.host} is not allowed${outside ? ` (${outside})` : ''}: allowed destinations are ${policy.pullAllow.join(', ')} (the server's pull-allow setting)`,
	);
};

/**
 * The URL a redirect leads to, when the policy lets a pull follow it: within the redirect budget,
 * the same scheme as `from` (https never becomes http, http never becomes file or rtsp), and an
 * allowed destination.
 */
export const followRedirect = async (
	policy: NetworkPolicy,
	from: URL,
	location: string | null,
	hops: number,
): Promise<URL> => {
	if (hops >= policy.pullRedirects) {
		throw new TapedeckError(
			'invalid_argument',
			policy.pullRedirects === 0
				? `${from.href} redirects to ${location ?? '(no Location)'}; pulls follow no redirects (the server's pull-redirects setting)`
				: `${from.href}: more than ${policy.pullRedirects} redirects`,
		);
	}
	let to: URL;
	try {
		to = new URL(location ?? '', from);
	} catch {
		throw new TapedeckError('invalid_argument', `${from.href} redirects to an invalid URL: ${location}`);
	}
	if (location === null || to.protocol !== from.protocol) {
		throw new TapedeckError(
			'invalid_argument',
			`${from.href} redirects to ${location}: another scheme is never followed`,
		);
	}
	await checkPullDestination(policy, to);
	return to;
};

const hostMatches = (pattern: string, host: string): boolean =>
	pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : pattern === host;

/** The address and CIDR entries of an allow-list (name patterns are matched apart). */
const allowedAddresses = (entries: readonly string[]): BlockList => {
	const list = new BlockList();
	for (const entry of entries) {
		const [address = '', bits] = entry.split('/');
		const family = isIP(address);
		if (!family) continue;
		const type = family === 4 ? 'ipv4' : 'ipv6';
		if (bits === undefined) list.addAddress(address, type);
		else list.addSubnet(address, Number(bits), type);
	}
	return list;
};

/** Throws a named error for an allow-list entry that is neither a name pattern nor an address or CIDR. */
export const validatePullAllowEntry = (entry: string): void => {
	const [address = '', bits, extra] = entry.split('/');
	const family = isIP(address);
	if (family && extra === undefined) {
		const max = family === 4 ? 32 : 128;
		if (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max)) return;
	}
	if (!family && bits === undefined && /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(address)) return;
	throw new TapedeckError(
		'invalid_argument',
		`pull-allow entries are host names (*.example.com), addresses or CIDRs (10.0.0.0/8), got "${entry}"`,
	);
};
