/** A value with the bytes its journal line takes. */
export type Sized<V> = { value: V; bytes: number };

/**
 * The live state of a journal store in memory: documents by id, each with its items by id in the
 * order they were first added, and the size their journal lines take (what a compaction writes).
 */
export class LiveDocuments<T extends { readonly id: string }, F extends { readonly id: string }> {
	readonly #documents = new Map<string, Sized<T>>();
	readonly #items = new Map<string, Map<string, Sized<F>>>();
	#bytes = 0;

	/** Bytes the live documents and items take as journal lines. */
	get bytes(): number {
		return this.#bytes;
	}

	has(id: string): boolean {
		return this.#documents.has(id);
	}

	get(id: string): T | undefined {
		return this.#documents.get(id)?.value;
	}

	all(): T[] {
		return Array.from(this.#documents.values(), (entry) => entry.value);
	}

	items(id: string): F[] {
		const items = this.#items.get(id);
		return items ? Array.from(items.values(), (entry) => entry.value) : [];
	}

	item(id: string, itemId: string): F | undefined {
		return this.#items.get(id)?.get(itemId)?.value;
	}

	hasItem(id: string, itemId: string): boolean {
		return this.#items.get(id)?.has(itemId) ?? false;
	}

	itemCount(id: string): number {
		return this.#items.get(id)?.size ?? 0;
	}

	setDocument(value: T, bytes: number): void {
		this.#bytes += bytes - (this.#documents.get(value.id)?.bytes ?? 0);
		this.#documents.set(value.id, { value, bytes });
	}

	/** Removes a document with its items. */
	dropDocument(id: string): void {
		this.#bytes -= this.#documents.get(id)?.bytes ?? 0;
		this.#documents.delete(id);
		for (const entry of this.#items.get(id)?.values() ?? []) this.#bytes -= entry.bytes;
		this.#items.delete(id);
	}

	setItem(doc: string, value: F, bytes: number): void {
		let items = this.#items.get(doc);
		if (!items) {
			items = new Map();
			this.#items.set(doc, items);
		}
		this.#bytes += bytes - (items.get(value.id)?.bytes ?? 0);
		items.set(value.id, { value, bytes });
	}

	dropItem(doc: string, id: string): void {
		const items = this.#items.get(doc);
		this.#bytes -= items?.get(id)?.bytes ?? 0;
		items?.delete(id);
	}

	/**
	 * Sizes every document and item anew with `measure` (the bytes of its line as just written), in
	 * the order a rewritten journal must hold them: each document, then its items.
	 */
	resize(measure: (entry: { doc: T } | { doc: T; item: F }) => number): void {
		this.#bytes = 0;
		for (const [id, entry] of this.#documents) {
			entry.bytes = measure({ doc: entry.value });
			this.#bytes += entry.bytes;
			for (const item of this.#items.get(id)?.values() ?? []) {
				item.bytes = measure({ doc: entry.value, item: item.value });
				this.#bytes += item.bytes;
			}
		}
	}
}
