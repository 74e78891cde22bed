/**
 * The error kinds the engine raises. Each carries a stable `code` that API dialects map
 * to their own status codes and bodies in one place.
 */
export type ErrorCode =
	| 'invalid_argument'
	| 'not_found'
	| 'conflict'
	| 'unsupported'
	| 'corrupt_input'
	| 'io'
	| 'disk_full'
	| 'internal';

export class TapedeckError extends Error {
	readonly code: ErrorCode;

	constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'TapedeckError';
		this.code = code;
	}
}

/** The codec cannot be carried by the container: raised before any byte is written. */
export class UnsupportedCodecError extends TapedeckError {
	constructor(codec: string, container: string, containersThatCan: readonly string[]) {
		super(
			'unsupported',
			`codec ${codec} cannot be written to ${container}; containers that carry ${codec}: ${containersThatCan.join(', ') || 'none'}`,
		);
	}
}
