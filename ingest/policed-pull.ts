/**
 * A pull whose destination the network policy must allow before it connects: the check resolves
 * the host (names are matched against the allow-list, addresses against its CIDRs), and a refusal
 * fails `start()`, so the job shows the reason as its error.
 */
import { checkPullDestination, type NetworkPolicy } from '../src/core/network-policy.ts';
import type { IngestSource } from '../src/core/stream-hub.ts';

export class PolicedPull implements IngestSource {
	readonly #source: IngestSource;
	readonly #url: URL;
	readonly #network: NetworkPolicy;

	constructor(source: IngestSource, url: string, network: NetworkPolicy) {
		this.#source = source;
		// The source parsed the URL already; a host the WHATWG parser reads differently is checked as written.
		this.#url = new URL(url);
		this.#network = network;
	}

	get description(): string {
		return this.#source.description;
	}

	async start(): Promise<void> {
		await checkPullDestination(this.#network, this.#url);
		await this.#source.start();
	}

	stop(): Promise<void> {
		return this.#source.stop();
	}
}
