/**
 * Which tracks a recording keeps: OvenMediaEngine's `trackIds` / `variantNames`. A track is kept
 * when its id or its name is listed; with neither list every track is kept. A listed id or name
 * that matches no track is an error, not a silently empty file.
 */
import { TapedeckError } from '../core/errors.ts';
import type { Track } from '../core/track.ts';

export type TrackFilterOptions = { readonly ids?: readonly number[]; readonly names?: readonly string[] };

export class TrackFilter {
	readonly ids: readonly number[];
	readonly names: readonly string[];

	constructor(options: TrackFilterOptions) {
		this.ids = options.ids ?? [];
		this.names = options.names ?? [];
		for (const id of this.ids) {
			if (!Number.isInteger(id) || id < 0) {
				throw new TapedeckError('invalid_argument', `track filter: a track id must be an integer ≥ 0, got ${id}`);
			}
		}
	}

	/** Parses the CLI form `1,audio`: numbers are track ids, anything else a track name. */
	static parse(spec: string): TrackFilter {
		const items = spec
			.split(',')
			.map((item) => item.trim())
			.filter((item) => item !== '');
		if (items.length === 0) {
			throw new TapedeckError('invalid_argument', `track filter: expected track ids or names, got "${spec}"`);
		}
		const isId = (item: string) => /^\d+$/.test(item);
		return new TrackFilter({ ids: items.filter(isId).map(Number), names: items.filter((item) => !isId(item)) });
	}

	/** The tracks kept, in their announced order; throws naming what is missing and what exists. */
	select(tracks: readonly Track[]): Track[] {
		if (this.ids.length === 0 && this.names.length === 0) return [...tracks];
		const missing = [
			...this.ids.filter((id) => !tracks.some((t) => t.id === id)).map((id) => `id ${id}`),
			...this.names.filter((name) => !tracks.some((t) => t.name === name)).map((name) => `name "${name}"`),
		];
		if (missing.length > 0) {
			const available = tracks.map((t) => `${t.id} "${t.name}" (${t.kind} ${t.codec})`).join(', ') || 'none';
			throw new TapedeckError(
				'not_found',
				`track filter: no track with ${missing.join(', ')}; the stream has ${available}`,
			);
		}
		return tracks.filter((t) => this.ids.includes(t.id) || this.names.includes(t.name));
	}
}
