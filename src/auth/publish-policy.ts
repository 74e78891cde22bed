/**
 * Who may publish: per-stream credentials from the configuration, an optional admission webhook, and
 * what happens to a stream nobody configured. One policy serves the built-in listeners (`authorize`)
 * and, through `gate`, each recording's own listen input with the credentials its job carries.
 *
 * A publish is allowed when its stream's static check passes (or the stream has no entry and
 * publishing is open, or a webhook is configured) and then the webhook, if any, allows it. Every
 * decision is logged with the protocol, stream, remote address and reason.
 */
import { isIP } from 'node:net';
import { TapedeckError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { formatStreamKey, type PublishRequest, type StreamKey } from '../core/stream-hub.ts';
import { AdmissionWebhook } from './admission-webhook.ts';
import { credentialProblem, isSourcePattern, type StreamCredentials } from './stream-credentials.ts';

/** The publish settings of the configuration (`src/config/publish-config.ts`). */
export type PublishSettings = {
	readonly open: boolean | undefined;
	readonly streams: Readonly<Record<string, StreamCredentials>>;
	readonly srtPassphrase: string | undefined;
	readonly webhook: { readonly url: string; readonly timeoutMs: number } | undefined;
};

export type PublishPolicyOptions = {
	/** `app/stream`, `app/*` or `*` → what publishing there takes. The most specific entry applies. */
	readonly streams?: Readonly<Record<string, StreamCredentials>>;
	/**
	 * Streams without an entry: anyone may publish them (true) or nobody but whom the webhook allows
	 * (false). The server defaults it to true only while every listener is on loopback.
	 */
	readonly open: boolean;
	/**
	 * `open` holds only because the server's listeners are on loopback (nobody asked for it): a job's
	 * own listener bound beyond loopback is then not open.
	 */
	readonly openOnLoopbackOnly?: boolean;
	/** Passphrase of the built-in SRT listener for streams whose entry names none. */
	readonly srtPassphrase?: string;
	readonly webhook?: AdmissionWebhook;
	/** Hears every decision: `publish.accepted`, `publish.refused`. */
	readonly logger: Logger;
};

/** The publish check of a recording's own listen input: what `PublishPolicy.gate` returns. */
export type PublishGate = {
	authorize(request: PublishRequest): Promise<boolean>;
	/** Passwords a Digest answer from `user` may have been computed with. */
	digestPasswords(user: string): string[];
};

export class PublishPolicy {
	readonly #o: PublishPolicyOptions;

	constructor(options: PublishPolicyOptions) {
		for (const [name, entry] of Object.entries(options.streams ?? {})) checkSources(entry, `stream "${name}"`);
		this.#o = options;
	}

	/**
	 * The policy of a server whose listeners bind `hosts`. Unless the settings say, streams without an
	 * entry are open only while every host is loopback; a server reachable from the network with
	 * nothing guarding publishing (no stream entry, no webhook, `open` not set to true) refuses to start.
	 */
	static forServer(settings: PublishSettings, hosts: readonly string[], logger: Logger): PublishPolicy {
		const loopback = hosts.every(isLoopback);
		const nothingSet = Object.keys(settings.streams).length === 0 && settings.webhook === undefined;
		if (!loopback && nothingSet && settings.open !== true) {
			throw new TapedeckError(
				'invalid_argument',
				`listeners on ${hosts.filter((h) => !isLoopback(h)).join(', ')} are reachable beyond this machine, ` +
					'but no publish keys or admission webhook are configured: anyone could publish. Configure keys or a ' +
					'webhook (--publish-config <file>, --publish-webhook <url>), or allow open publishing explicitly ' +
					'with --allow-open-publish (or "open": true)',
			);
		}
		const open = settings.open ?? loopback;
		if (open && !loopback)
			logger.warn(
				{ event: 'publish.open', hosts },
				'publish: open publishing beyond loopback was asked for: streams without keys accept anyone',
			);
		return new PublishPolicy({
			streams: settings.streams,
			open,
			openOnLoopbackOnly: settings.open === undefined,
			...(settings.srtPassphrase === undefined ? {} : { srtPassphrase: settings.srtPassphrase }),
			...(settings.webhook ? { webhook: new AdmissionWebhook(settings.webhook) } : {}),
			logger,
		});
	}

	/** Whether anything guards publishing: a key, a webhook, or streams closed by default. */
	get guarded(): boolean {
		return !this.#o.open || this.#o.webhook !== undefined;
	}

	/** The built-in listeners' check. */
	authorize(request: PublishRequest): Promise<boolean> {
		const entry = this.entryFor(request.key);
		if (entry === undefined && !this.#o.open && this.#o.webhook === undefined)
			return Promise.resolve(this.#decide(request, false, 'no publish credentials are configured for this stream'));
		return this.#check(request, entry ?? {});
	}

	/**
	 * The check of a recording's own listen input bound to `bindHost`: the credentials its job carries
	 * (none: anyone, when publishing is open — and, unless open publishing was asked for, the listener
	 * is on loopback), then the webhook.
	 */
	gate(required: StreamCredentials, bindHost?: string): PublishGate {
		checkSources(required, "the input's credentials");
		const guarded = Object.keys(required).length > 0;
		const reachable = bindHost !== undefined && !isLoopback(bindHost);
		const open = this.#o.open && !(this.#o.openOnLoopbackOnly && reachable);
		return {
			authorize: (request) => {
				if (!guarded && !open && this.#o.webhook === undefined)
					return Promise.resolve(
						this.#decide(
							request,
							false,
							`the job's input sets no publish credentials${reachable ? ` and listens on ${bindHost}` : ''}`,
						),
					);
				return this.#check(request, required);
			},
			digestPasswords: (user) => digestPasswordsOf(required, user),
		};
	}

	/** The SRT passphrase of `key` on the built-in listener: its entry's, else the listener-wide one. */
	passphraseFor(key: StreamKey): string | undefined {
		return this.entryFor(key)?.passphrase ?? this.#o.srtPassphrase;
	}

	/** Passwords a Digest answer from `user` may have been computed with, for a publish of `key`. */
	digestPasswords(key: StreamKey, user: string): string[] {
		const entry = this.entryFor(key);
		return digestPasswordsOf(entry ?? {}, user);
	}

	/** The entry for `key`: `app/stream`, else `app/*`, else `*`. */
	entryFor(key: StreamKey): StreamCredentials | undefined {
		const streams = this.#o.streams ?? {};
		return streams[`${key.app}/${key.stream}`] ?? streams[`${key.app}/*`] ?? streams['*'];
	}

	async #check(request: PublishRequest, required: StreamCredentials): Promise<boolean> {
		const problem = credentialProblem(required, request);
		if (problem !== undefined) return this.#decide(request, false, problem);
		const webhook = this.#o.webhook;
		if (webhook === undefined)
			return this.#decide(request, true, Object.keys(required).length > 0 ? 'credentials accepted' : 'open stream');
		const decision = await webhook.decide(request);
		return this.#decide(request, decision.allowed, decision.reason);
	}

	#decide(request: PublishRequest, allowed: boolean, reason: string): boolean {
		const { protocol, remoteAddress } = request;
		const stream = formatStreamKey(request.key);
		this.#o.logger.info(
			{ event: allowed ? 'publish.accepted' : 'publish.refused', stream, protocol, remoteAddress, reason },
			`publish ${allowed ? 'allowed' : 'refused'}: ${protocol} ${stream} from ${remoteAddress || '?'}: ${reason}`,
		);
		return allowed;
	}
}

/** A TapedeckError naming the first source of `entry` that is no IP address or IPv4 CIDR block. */
const checkSources = (entry: StreamCredentials, where: string): void => {
	const bad = entry.sources?.find((source) => !isSourcePattern(source));
	if (bad !== undefined)
		throw new TapedeckError('invalid_argument', `${where}: source "${bad}" is no IP address or IPv4 CIDR block`);
};

/** 127.0.0.0/8, ::1, localhost (and IPv4-mapped loopback). */
export const isLoopback = (host: string): boolean => {
	const plain = host.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
	if (plain === 'localhost' || plain === '::1') return true;
	return isIP(plain) === 4 && plain.startsWith('127.');
};

/** Passwords `required` accepts from `user` (its key with any user name, its password with its user). */
export const digestPasswordsOf = (required: StreamCredentials, user: string): string[] => {
	const passwords: string[] = [];
	if (required.key !== undefined) passwords.push(required.key);
	if (required.password !== undefined && required.user === user) passwords.push(required.password);
	return passwords;
};
