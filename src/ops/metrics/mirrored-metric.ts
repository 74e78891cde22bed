import { Counter, Gauge, type Registry } from 'prom-client';

/** One series of a metric: its label values and its value. */
export type Series<L extends string> = readonly [labels: Readonly<Record<L, string>>, value: number];

export type MirroredMetricOptions<L extends string> = {
	/** `counter` for figures that only grow while their object lives (Prometheus's `rate()` reads them), else `gauge`. */
	readonly type: 'counter' | 'gauge';
	readonly name: string;
	readonly help: string;
	readonly labelNames: readonly L[];
	/** Every series as it is now, read at each scrape. */
	readonly read: () => Iterable<Series<L>> | Promise<Iterable<Series<L>>>;
};

/**
 * A metric that mirrors figures the server already keeps (a stream's byte count, a job's state)
 * instead of being incremented along the way: each scrape drops every series and reads them again.
 * So a stream that ended or a job that was removed leaves the output at the next scrape, and the
 * label sets stay as bounded as the objects they describe.
 */
export const mirroredMetric = <L extends string>(register: Registry, options: MirroredMetricOptions<L>): void => {
	const { type, read, ...described } = options;
	const config = { ...described, registers: [register], collect: async () => refill(await read()) };
	const metric: Counter<L> | Gauge<L> = type === 'counter' ? new Counter<L>(config) : new Gauge<L>(config);
	// A counter cannot be set, only raised: raised from zero after the reset, either kind takes the figure.
	const refill = (series: Iterable<Series<L>>): void => {
		metric.reset();
		for (const [labels, value] of series) metric.inc(labels, value);
	};
};
