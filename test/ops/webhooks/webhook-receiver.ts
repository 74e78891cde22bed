/**
 * A webhook receiver as an operator would write one: node:http on a port from the OS, checking each
 * signature with the README's lines, keeping every delivery; it can go down (closed) and come back
 * on the same port, and answer slowly.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The README's signature check, as a receiver copies it. */
export const verifySignature = (rawBody: Buffer | string, header: string | undefined, secret: string): boolean => {
	const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
	const given = Buffer.from(header ?? '');
	return given.length === expected.length && timingSafeEqual(given, expected);
};

export type Delivery = {
	readonly id: string;
	readonly type: string;
	readonly body: Record<string, unknown>;
	readonly raw: string;
	readonly signed: boolean;
	readonly timestamp: string | undefined;
};

export class WebhookReceiver {
	readonly deliveries: Delivery[] = [];
	readonly #secret: string;
	/** Milliseconds each answer waits. */
	answerDelayMs = 0;
	#server: Server | undefined;
	#port = 0;

	constructor(secret: string) {
		this.#secret = secret;
	}

	get url(): string {
		return `http://127.0.0.1:${this.#port}/hook`;
	}

	/** Listens (on the same port as before, once it had one). */
	async up(): Promise<void> {
		const server = createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				const raw = Buffer.concat(chunks);
				this.deliveries.push({
					id: String(request.headers['x-tapedeck-event-id']),
					type: String(request.headers['x-tapedeck-event']),
					body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
					raw: raw.toString('utf8'),
					signed: verifySignature(raw, request.headers['x-tapedeck-signature'] as string | undefined, this.#secret),
					timestamp: request.headers['x-tapedeck-timestamp'] as string | undefined,
				});
				setTimeout(() => response.writeHead(204).end(), this.answerDelayMs);
			});
		});
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(this.#port, '127.0.0.1', () => resolve());
		});
		this.#port = (server.address() as AddressInfo).port;
		this.#server = server;
	}

	/** Stops listening and drops open connections: deliveries fail until `up()`. */
	async down(): Promise<void> {
		const server = this.#server;
		this.#server = undefined;
		if (!server) return;
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	/** Distinct event ids received of `type`. */
	ids(type: string): Set<string> {
		return new Set(this.deliveries.filter((d) => d.type === type).map((d) => d.id));
	}
}
