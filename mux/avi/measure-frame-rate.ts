/**
 * The video frame rate an AVI declares (strh dwRate/dwScale): AVI has no timestamps, so every
 * frame's time is its index over this rate, measured once from the first frames' DTS.
 */
import type { Packet } from '../../src/core/packet.ts';

/** Frame rates a measured rate is snapped to, as (rate, scale) pairs. */
const STANDARD_RATES: readonly (readonly [number, number])[] = [
	[24000, 1001],
	[24, 1],
	[25, 1],
	[30000, 1001],
	[30, 1],
	[48, 1],
	[50, 1],
	[60000, 1001],
	[60, 1],
];

/**
 * Frame rate as (dwRate, dwScale) from the held frames' DTS: a standard rate within 0.5 %, else
 * 90 kHz ticks. The frame slots the span holds are counted by the median DTS step, so frames lost
 * among the held ones do not lower the rate, and the rate is averaged over the span, so timestamps
 * rounded to milliseconds (FLV) do not skew it.
 */
export const measureFrameRate = (video: readonly Packet[], timescale: number): readonly [number, number] => {
	const first = video[0];
	const last = video[video.length - 1];
	if (!first || !last || video.length < 2 || last.dts <= first.dts) return [25, 1];
	const steps = video
		.slice(1)
		.map((p, i) => p.dts - video[i]!.dts)
		.sort((x, y) => x - y);
	const median = steps[steps.length >> 1]!;
	const span = last.dts - first.dts;
	const slots = median > 0 ? Math.max(1, Math.round(span / median)) : video.length - 1;
	const fps = (slots * timescale) / span;
	for (const [rate, scale] of STANDARD_RATES) {
		if (Math.abs(fps - rate / scale) / (rate / scale) < 0.005) return [rate, scale];
	}
	const ticks = Math.max(1, Math.round(timescale / fps));
	const divisor = gcd(ticks, timescale);
	return [timescale / divisor, ticks / divisor];
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
