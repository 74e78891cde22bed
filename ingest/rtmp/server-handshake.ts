/**
 * The server side of the RTMP handshake (Adobe RTMP specification 1.0 §5.2): C0+C1 in, S0+S1+S2
 * out, C2 in. A C1 signed with the Flash Player key gets the digest answer (see `handshake-digest.ts`),
 * anything else the plain one, where S2 echoes C1.
 */
import { randomFillSync } from 'node:crypto';
import {
	CLIENT_SIGNING_KEY,
	findDigest,
	HANDSHAKE_SIZE,
	makeSignedPacket,
	makeSignedResponse,
	RTMP_VERSION,
	SERVER_KEY,
	SERVER_SIGNING_KEY,
} from './handshake-digest.ts';
import { HandshakeInbox } from './handshake-inbox.ts';

/** The version we announce in S1 when answering a digest handshake (FMS 4.5.0.1, as servers commonly do). */
const SERVER_VERSION = [4, 5, 0, 1];

export class ServerHandshake {
	/** C0 + C1 + C2. */
	private readonly inbox = new HandshakeInbox('C');
	/** Whether C1 carried a digest, once known. */
	digest = false;

	constructor(private readonly send: (bytes: Uint8Array) => void) {}

	/**
	 * Feeds bytes from the client. Returns undefined while the handshake is incomplete, then the
	 * bytes that followed C2 (the first chunks, often in the same read).
	 */
	push(bytes: Uint8Array): Uint8Array | undefined {
		const hadC1 = this.inbox.hasFirstPacket;
		const take = this.inbox.take(bytes);
		// Read before answering: the answer can make the peer send C2 back into this object synchronously.
		const complete = this.inbox.complete;
		if (!hadC1 && this.inbox.hasFirstPacket) this.answer();
		return complete ? bytes.subarray(take) : undefined;
	}

	private answer(): void {
		const c1 = this.inbox.firstPacket();
		const signed = findDigest(c1, CLIENT_SIGNING_KEY);
		const response = new Uint8Array(1 + 2 * HANDSHAKE_SIZE);
		response[0] = RTMP_VERSION;
		if (signed) {
			this.digest = true;
			const s1 = makeSignedPacket(SERVER_VERSION, SERVER_SIGNING_KEY, signed.schema);
			response.set(s1.packet, 1);
			response.set(makeSignedResponse(signed.digest, SERVER_KEY), 1 + HANDSHAKE_SIZE);
		} else {
			// §5.2.3: S1 = time, zero, random; §5.2.4: S2 echoes C1's time and random bytes.
			randomFillSync(response, 9, HANDSHAKE_SIZE - 8);
			response.set(c1, 1 + HANDSHAKE_SIZE);
		}
		this.send(response);
	}
}
