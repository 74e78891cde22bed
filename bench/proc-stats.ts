/**
 * What the bench reads from Linux's /proc about processes it started: CPU time (proc(5) /proc/<pid>/stat
 * utime + stime, every thread included), resident memory (/proc/<pid>/status VmRSS, VmHWM) and the
 * receive-buffer drops of UDP sockets (/proc/net/udp, last column), matched by local port.
 */
import { readFileSync } from 'node:fs';

/** proc(5): utime and stime are in clock ticks; USER_HZ is 100 on every Linux the bench runs on. */
const CLOCK_TICKS = 100;

/** User + system CPU seconds the process has used so far (0 once it is gone). */
export const cpuSeconds = (pid: number): number => {
	let stat: string;
	try {
		stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return 0;
	}
	// Fields after "pid (comm)": the command may hold spaces or parentheses, so split after the last ')'.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
};

/** A memory line of /proc/<pid>/status in MB (VmRSS now, VmHWM peak); 0 once the process is gone. */
export const memoryMb = (pid: number, field: 'VmRSS' | 'VmHWM'): number => {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
		return match ? Number(match[1]) / 1024 : 0;
	} catch {
		return 0;
	}
};

/** Sum of `measure` over processes. */
export const sumOver = (pids: readonly number[], measure: (pid: number) => number): number =>
	pids.reduce((sum, pid) => sum + measure(pid), 0);

/** Datagrams the kernel dropped (receive buffer full) on IPv4 UDP sockets bound to one of `ports`. */
export const udpDrops = (ports: ReadonlySet<number>): number => {
	const table = readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1);
	let drops = 0;
	for (const line of table) {
		const columns = line.trim().split(/\s+/);
		const local = columns[1];
		if (!local) continue;
		const port = Number.parseInt(local.slice(local.indexOf(':') + 1), 16);
		if (ports.has(port)) drops += Number(columns.at(-1));
	}
	return drops;
};
