/**
 * The admission webhook: before a publisher is let in, an HTTP POST to a URL the operator runs, as
 * OvenMediaEngine's AdmissionWebhooks and MediaMTX's `authHTTPAddress` do. Body (JSON):
 *
 *   { "action": "publish", "protocol": "rtmp", "vhost": "default", "app": "live", "stream": "cam",
 *     "remoteAddress": "203.0.113.7", "credentials": { "key": "…" } }
 *
 * Allowed only by a 2xx answer whose body is empty (MediaMTX: "2xx = allowed") or a JSON object with
 * `"allowed": true` (OME's shape; its `reason` is logged). Anything else denies: another status, a
 * redirect (not followed), `"allowed": false`, another body, a network error, no answer in time.
 */
import type { PublishRequest } from '../core/stream-hub.ts';

export type AdmissionWebhookOptions = {
	readonly url: string;
	/** No answer within this long denies (default 3 s). */
	readonly timeoutMs?: number;
};

export type AdmissionDecision = { readonly allowed: boolean; readonly reason: string };

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 3000;
/** An answer is a small JSON object: more than this is not read (and denies). */
const MAX_ANSWER_BYTES = 64 * 1024;

export class AdmissionWebhook {
	readonly url: string;
	readonly timeoutMs: number;

	constructor(options: AdmissionWebhookOptions) {
		this.url = options.url;
		this.timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
	}

	async decide(request: PublishRequest): Promise<AdmissionDecision> {
		const body = JSON.stringify({
			action: 'publish',
			protocol: request.protocol,
			vhost: request.key.vhost,
			app: request.key.app,
			stream: request.key.stream,
			remoteAddress: request.remoteAddress,
			credentials: request.credentials,
		});
		let response: Response;
		let text: string;
		try {
			// One signal bounds the whole exchange, the answer's body included.
			const signal = AbortSignal.timeout(this.timeoutMs);
			response = await fetch(this.url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body,
				redirect: 'manual',
				signal,
			});
			text = await response.text();
		} catch (error) {
			const name = (error as Error).name;
			const why = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${this.timeoutMs} ms` : '';
			return { allowed: false, reason: `webhook failed: ${why || (error as Error).message}` };
		}
		return readAnswer(response.status, text);
	}
}

const readAnswer = (status: number, text: string): AdmissionDecision => {
	if (status < 200 || status > 299) return { allowed: false, reason: `webhook answered ${status}` };
	if (text.trim() === '') return { allowed: true, reason: `webhook answered ${status}` };
	if (text.length > MAX_ANSWER_BYTES) return { allowed: false, reason: 'webhook answer too long' };
	let answer: unknown;
	try {
		answer = JSON.parse(text);
	} catch {
		return { allowed: false, reason: 'webhook answer is neither empty nor JSON' };
	}
	if (typeof answer !== 'object' || answer === null) return { allowed: false, reason: 'webhook answer is no object' };
	const { allowed, reason } = answer as { allowed?: unknown; reason?: unknown };
	const said = typeof reason === 'string' && reason !== '' ? `: ${reason.slice(0, 200)}` : '';
	if (allowed === true) return { allowed: true, reason: `webhook allowed${said}` };
	return { allowed: false, reason: `webhook denied${said}` };
};
