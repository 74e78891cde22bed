/**
 * The peer's half of the RTMP handshake (Adobe RTMP specification 1.0 §5.2): a version byte and
 * two 1536-byte packets (C0 C1 C2 from a client, S0 S1 S2 from a server), accumulated across
 * socket reads.
 */
import { TapedeckError } from '../../src/core/errors.ts';
import { HANDSHAKE_SIZE, RTMP_VERSION } from './handshake-digest.ts';

export class HandshakeInbox {
	private readonly received = new Uint8Array(1 + 2 * HANDSHAKE_SIZE);
	private length = 0;

	/** `peer` names the messages in errors: 'C' for a client's C0/C1/C2, 'S' for a server's. */
	constructor(private readonly peer: 'C' | 'S') {}

	/** Copies what the handshake still lacks from `bytes`; returns how many bytes it took. */
	take(bytes: Uint8Array): number {
		const take = Math.min(bytes.length, this.received.length - this.length);
		this.received.set(bytes.subarray(0, take), this.length);
		this.length += take;
		return take;
	}

	/** Whether the version byte and the first packet (C1/S1) are in. */
	get hasFirstPacket(): boolean {
		return this.length >= 1 + HANDSHAKE_SIZE;
	}

	/** Whether all three messages are in. */
	get complete(): boolean {
		return this.length === this.received.length;
	}

	/** The first packet (C1/S1), once the version byte before it is checked. */
	firstPacket(): Uint8Array {
		const version = this.received[0]!;
		if (version !== RTMP_VERSION) {
			// 6 is RTMPE (encrypted), anything else is not RTMP at all.
			throw new TapedeckError(
				'unsupported',
				`RTMP handshake: ${this.peer}0 version ${version}, only ${RTMP_VERSION} is supported`,
			);
		}
		return this.received.subarray(1, 1 + HANDSHAKE_SIZE);
	}
}
