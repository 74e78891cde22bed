/**
 * A one-line progress bar on stderr for long remuxes: bytes read of the total and the read rate.
 * Draws only when stderr is a terminal, so pipes and logs stay clean.
 */
const REDRAW_MS = 100;
const BAR_WIDTH = 24;
const MB = 1_000_000;

type ProgressStream = { readonly isTTY?: boolean; write(text: string): boolean };

export class ProgressBar {
	readonly #total: number;
	readonly #stream: ProgressStream;
	readonly #enabled: boolean;
	readonly #startedAt = performance.now();
	#lastDraw = 0;
	#drawn = false;

	constructor(total: number, stream: ProgressStream = process.stderr) {
		this.#total = total;
		this.#stream = stream;
		this.#enabled = stream.isTTY === true;
	}

	/** Records progress; redraws at most every 100 ms. */
	update(bytes: number): void {
		if (!this.#enabled) return;
		const now = performance.now();
		if (now - this.#lastDraw < REDRAW_MS) return;
		this.#lastDraw = now;
		this.#draw(bytes, now);
	}

	/** Draws the final state and moves to a fresh line. */
	done(bytes: number): void {
		if (!this.#enabled) return;
		this.#draw(bytes, performance.now());
		if (this.#drawn) this.#stream.write('\n');
	}

	#draw(bytes: number, now: number): void {
		const fraction = this.#total > 0 ? Math.min(1, bytes / this.#total) : 0;
		const filled = Math.round(fraction * BAR_WIDTH);
		const seconds = Math.max((now - this.#startedAt) / 1000, 1e-3);
		const line = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${(bytes / MB).toFixed(1)}/${(this.#total / MB).toFixed(1)} MB  ${(bytes / MB / seconds).toFixed(1)} MB/s`;
		this.#stream.write(`\r${line}`);
		this.#drawn = true;
	}
}
