/**
 * When a recording starts its next file. Three triggers, any combination except interval with
 * schedule (OvenMediaEngine rejects that pair too):
 * - interval: media milliseconds since the file's first packet;
 * - schedule: OvenMediaEngine's `<second minute hour>` cron subset, ticks read from the wall clock;
 * - maxBytes: the file's size.
 * The writer asks only at a cut point (a video keyframe, or any packet when there is no video), so
 * every trigger cuts at the first keyframe at or after the moment it fired. OME cuts schedule splits
 * on any packet, which leaves files starting on a non-keyframe; we deliberately do not.
 */
import { type CronExpression, CronExpressionParser } from 'cron-parser';
import { TapedeckError } from '../core/errors.ts';

export type SplitPolicyOptions = {
	readonly intervalMs?: number;
	/** `<second minute hour>`, each `*`, a number or `*\/N` (e.g. `0 *\/10 *`: every ten minutes). */
	readonly schedule?: string;
	readonly maxBytes?: number;
	/** IANA zone the schedule's hours are read in; default the machine's zone. */
	readonly timeZone?: string;
};

/** What the writer knows about the open file when it reaches a cut point. */
export type SplitCheck = {
	/** Media milliseconds from the file's first packet to this one. */
	readonly elapsedMs: number;
	readonly bytes: number;
	readonly now: Date;
};

/** One OME schedule field: `*`, `*\/N` or a number, with the field's range. */
const SCHEDULE_FIELDS = [
	{ name: 'second', max: 59 },
	{ name: 'minute', max: 59 },
	{ name: 'hour', max: 23 },
] as const;

export class SplitPolicy {
	readonly intervalMs: number | undefined;
	readonly schedule: string | undefined;
	readonly maxBytes: number | undefined;
	readonly #cron: CronExpression | undefined;
	readonly #timeZone: string;
	/** Epoch ms of the next schedule tick after the open file started. */
	#nextTick = Number.POSITIVE_INFINITY;

	constructor(options: SplitPolicyOptions) {
		this.intervalMs = positive('interval', options.intervalMs);
		this.maxBytes = positive('maxBytes', options.maxBytes);
		if (this.intervalMs !== undefined && options.schedule !== undefined) {
			throw new TapedeckError(
				'invalid_argument',
				`split: interval (${this.intervalMs} ms) and schedule ("${options.schedule}") cannot be used together; pick one`,
			);
		}
		this.#timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
		if (options.schedule !== undefined) {
			this.schedule = options.schedule;
			this.#cron = CronExpressionParser.parse(toSixFieldCron(options.schedule), { tz: this.#timeZone });
		}
	}

	/** A policy from optional settings, or undefined when none is set (one file per recording). */
	static from(options: SplitPolicyOptions): SplitPolicy | undefined {
		const { intervalMs, schedule, maxBytes } = options;
		return intervalMs === undefined && schedule === undefined && maxBytes === undefined
			? undefined
			: new SplitPolicy(options);
	}

	/** A new file started at `now`: the schedule's next tick is the first one after it. */
	fileStarted(now: Date): void {
		const cron = this.#cron;
		if (!cron) return;
		cron.reset(now);
		this.#nextTick = cron.next().getTime();
	}

	/** Whether the file should end before the packet at this cut point. */
	shouldSplit(check: SplitCheck): boolean {
		if (this.intervalMs !== undefined && check.elapsedMs >= this.intervalMs) return true;
		if (this.maxBytes !== undefined && check.bytes >= this.maxBytes) return true;
		return check.now.getTime() >= this.#nextTick;
	}

	/** True when the policy reads the wall clock, so the writer only calls `now()` when it must. */
	get needsClock(): boolean {
		return this.#cron !== undefined;
	}
}

const positive = (name: string, value: number | undefined): number | undefined => {
	if (value === undefined) return undefined;
	if (!Number.isFinite(value) || value <= 0) {
		throw new TapedeckError('invalid_argument', `split: ${name} must be a positive number, got ${value}`);
	}
	return value;
};

/**
 * Validates OME's `<second minute hour>` and expands it to the six-field `S M H * * *` that
 * cron-parser reads. OME accepts no lists, ranges or names, so neither do we.
 */
export const toSixFieldCron = (schedule: string): string => {
	const fields = schedule.trim().split(/\s+/);
	if (fields.length !== 3) {
		throw new TapedeckError(
			'invalid_argument',
			`schedule must have 3 fields "<second minute hour>" (e.g. "0 */10 *"), got ${fields.length}: "${schedule}"`,
		);
	}
	fields.forEach((field, i) => {
		const { name, max } = SCHEDULE_FIELDS[i]!;
		const match = /^(?:\*|\*\/(\d+)|(\d+))$/.exec(field);
		const step = match?.[1] === undefined ? undefined : Number(match[1]);
		const value = match?.[2] === undefined ? undefined : Number(match[2]);
		const valid = match !== null && (step === undefined || (step >= 1 && step <= max)) && (value ?? 0) <= max;
		if (!valid) {
			throw new TapedeckError(
				'invalid_argument',
				`schedule ${name} field must be *, */N or a number 0-${max}, got "${field}" in "${schedule}"`,
			);
		}
	});
	return `${fields.join(' ')} * * *`;
};
