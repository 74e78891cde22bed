/**
 * The client side of the RTMP handshake (Adobe RTMP specification 1.0 §5.2): C0+C1 out, S0+S1+S2
 * in, C2 out. C1 is always signed (digest handshake) because some servers refuse unsigned
 * players; a server that answers with an unsigned S1 gets the plain C2, an echo of S1.
 */
import { TapedeckError } from '../../src/core/errors.ts';
import {
	CLIENT_KEY,
	CLIENT_KEY_TEXT_LENGTH,
	findDigest,
	HANDSHAKE_SIZE,
	makeSignedPacket,
	makeSignedResponse,
	RTMP_VERSION,
	SERVER_KEY,
	SERVER_KEY_TEXT_LENGTH,
} from './handshake-digest.ts';

/** Flash Player version in C1 (9.0.124.2: the first with the digest handshake, what ffmpeg sends). */
const PLAYER_VERSION = [9, 0, 124, 2];

export class ClientHandshake {
	/** S0 + S1 + S2, accumulated across socket reads. */
	private readonly received = new Uint8Array(1 + 2 * HANDSHAKE_SIZE);
	private length = 0;
	/** Whether S1 carried a valid server digest (the server speaks the digest handshake). */
	digest = false;

	constructor(private readonly send: (bytes: Uint8Array) => void) {}

	/** Sends C0 + C1. */
	start(): void {
		const { packet } = makeSignedPacket(PLAYER_VERSION, CLIENT_KEY.subarray(0, CLIENT_KEY_TEXT_LENGTH), 0);
		const c0c1 = new Uint8Array(1 + HANDSHAKE_SIZE);
		c0c1[0] = RTMP_VERSION;
		c0c1.set(packet, 1);
		this.send(c0c1);
	}

	/** Feeds server bytes; returns undefined until S2 is in, then the bytes that followed it. */
	push(bytes: Uint8Array): Uint8Array | undefined {
		const take = Math.min(bytes.length, this.received.length - this.length);
		this.received.set(bytes.subarray(0, take), this.length);
		this.length += take;
		if (this.length < this.received.length) return undefined;
		this.answer();
		return bytes.subarray(take);
	}

	private answer(): void {
		const version = this.received[0]!;
		if (version !== RTMP_VERSION) {
			throw new TapedeckError(
				'unsupported',
				`RTMP handshake: S0 version ${version}, only ${RTMP_VERSION} is supported`,
			);
		}
		const s1 = this.received.subarray(1, 1 + HANDSHAKE_SIZE);
		const signed = s1[4] !== 0 ? findDigest(s1, SERVER_KEY.subarray(0, SERVER_KEY_TEXT_LENGTH)) : undefined;
		this.digest = signed !== undefined;
		this.send(signed ? makeSignedResponse(signed.digest, CLIENT_KEY) : s1.slice());
	}
}
