/**
 * Durations and sizes as people write them in a configuration file (`30s`, `7d`, `10GiB`), and back:
 * a setting is printed in the largest unit that states it exactly, so what `tapedeck config` prints
 * reads the same as what was written and loads again to the same value.
 */

/** Milliseconds per duration unit. */
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Bytes per size unit: SI (kB = 1000) and binary (KiB = 1024), as `df -H` and `df -h` mean them. */
const SIZE_UNITS: Readonly<Record<string, number>> = {
	b: 1,
	kb: 1e3,
	mb: 1e6,
	gb: 1e9,
	tb: 1e12,
	kib: 1024,
	mib: 1024 ** 2,
	gib: 1024 ** 3,
	tib: 1024 ** 4,
};

const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/**
 * A number, or a text holding a number with an optional unit, in `base`-sized units (a duration in
 * seconds has base 1000); undefined when it is neither or does not come out a whole number.
 */
const quantity = (value: unknown, units: Readonly<Record<string, number>>, base: number): number | undefined => {
	if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
	if (typeof value !== 'string') return undefined;
	const match = QUANTITY.exec(value);
	if (!match) return undefined;
	const unit = match[2]?.toLowerCase() ?? '';
	const factor = unit === '' ? base : units[unit];
	if (factor === undefined) return undefined;
	const result = (Number(match[1]) * factor) / base;
	return Number.isSafeInteger(result) ? result : undefined;
};

/** `30s` → 30000 (base 1 ms) or 30 (base 1000 ms); a bare number is in the base unit. */
export const parseDuration = (value: unknown, baseMs = 1): number | undefined =>
	quantity(value, DURATION_UNITS, baseMs);

/** `10GiB` → 10737418240; a bare number is bytes. */
export const parseSize = (value: unknown): number | undefined => quantity(value, SIZE_UNITS, 1);

/** The largest unit that divides `amount` (in base units) exactly, e.g. 86400000 ms → `1d`; 0 stays 0. */
const exactly = (amount: number, units: readonly (readonly [string, number])[], base: number): string | number => {
	if (amount === 0) return 0;
	const value = amount * base;
	for (const [unit, factor] of units) if (value % factor === 0) return `${value / factor}${unit}`;
	return amount;
};

const LARGEST_DURATION_FIRST = [...Object.entries(DURATION_UNITS)].reverse();
const LARGEST_BINARY_SIZE_FIRST = Object.entries({ TiB: 1024 ** 4, GiB: 1024 ** 3, MiB: 1024 ** 2, KiB: 1024 });

export const formatDuration = (amount: number, baseMs = 1): string | number =>
	exactly(amount, LARGEST_DURATION_FIRST, baseMs);

export const formatSize = (bytes: number): string | number => exactly(bytes, LARGEST_BINARY_SIZE_FIRST, 1);
