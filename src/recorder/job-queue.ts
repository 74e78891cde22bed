/**
 * Runs the operations on one job one at a time, in the order they were asked for: a `remove` asked
 * before a `start` is done before it (so the start finds no job), and an `update` is never
 * interleaved with a stop or start of the same job. Jobs do not wait for each other.
 */
export class JobQueue {
	readonly #tails = new Map<string, Promise<unknown>>();

	/** Runs `task` once every earlier task of `id` has settled; resolves or rejects with it. */
	run<T>(id: string, task: () => Promise<T>): Promise<T> {
		const previous = this.#tails.get(id) ?? Promise.resolve();
		const next = previous.then(task, task);
		const settled = next.catch(() => {});
		this.#tails.set(id, settled);
		void settled.then(() => {
			if (this.#tails.get(id) === settled) this.#tails.delete(id);
		});
		return next;
	}
}
