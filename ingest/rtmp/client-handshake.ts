/**
 * The client side of the RTMP handshake (Adobe RTMP specification 1.0 §5.2): C0+C1 out, S0+S1+S2
 * in, C2 out. C1 is always signed (digest handshake) because some servers refuse unsigned
 * players; a server that answers with an unsigned S1 gets the plain C2, an echo of S1.
 */
import {
	CLIENT_KEY,
	CLIENT_SIGNING_KEY,
	findDigest,
	HANDSHAKE_SIZE,
	makeSignedPacket,
	makeSignedResponse,
	RTMP_VERSION,
	SERVER_SIGNING_KEY,
} from './handshake-digest.ts';
import { HandshakeInbox } from './handshake-inbox.ts';

/** Flash Player version in C1 (9.0.124.2: the first with the digest handshake, what ffmpeg sends). */
const PLAYER_VERSION = [9, 0, 124, 2];

export class ClientHandshake {
	/** S0 + S1 + S2. */
	private readonly inbox = new HandshakeInbox('S');
	/** Whether S1 carried a valid server digest (the server speaks the digest handshake). */
	digest = false;

	constructor(private readonly send: (bytes: Uint8Array) => void) {}

	/** Sends C0 + C1. */
	start(): void {
		const { packet } = makeSignedPacket(PLAYER_VERSION, CLIENT_SIGNING_KEY, 0);
		const c0c1 = new Uint8Array(1 + HANDSHAKE_SIZE);
		c0c1[0] = RTMP_VERSION;
		c0c1.set(packet, 1);
		this.send(c0c1);
	}

	/** Feeds server bytes; returns undefined until S2 is in, then the bytes that followed it. */
	push(bytes: Uint8Array): Uint8Array | undefined {
		const take = this.inbox.take(bytes);
		if (!this.inbox.complete) return undefined;
		this.answer();
		return bytes.subarray(take);
	}

	private answer(): void {
		const s1 = this.inbox.firstPacket();
		const signed = s1[4] !== 0 ? findDigest(s1, SERVER_SIGNING_KEY) : undefined;
		this.digest = signed !== undefined;
		this.send(signed ? makeSignedResponse(signed.digest, CLIENT_KEY) : s1.slice());
	}
}
