import { linesLogger } from '../helpers/memory-logger.ts';
/** The connection guard's rules on fake connections: who is closed, when, and why. */

import * as assert from 'uvu/assert';
import { ConnectionGuard, type GuardedConnection } from '../../ingest/connection-guard.ts';
import { test } from '../helpers/suite.ts';
import { waitFor } from '../helpers/wait.ts';

type Fake = GuardedConnection & { bytes: number; live: boolean; closedWith: string | undefined };

const fake = (bytes = 0): Fake => {
	const connection: Fake = {
		bytes,
		live: false,
		closedWith: undefined,
		publishing: () => connection.live,
		progress: () => connection.bytes,
		close: (reason) => {
			connection.closedWith = reason;
		},
	};
	return connection;
};

const LIMITS = { handshakeTimeoutMs: 1000, idleTimeoutMs: 1000, maxPendingPerSource: 3, maxPending: 5 };

test('over the per-source limit, the one that sent the least goes; a publisher never', async () => {
	const logs: string[] = [];
	const guard = new ConnectionGuard('test listener', { ...LIMITS, handshakeTimeoutMs: 3000 }, linesLogger(logs));
	const publisher = fake(2000);
	const idle = [fake(1), fake(0), fake(5)];
	guard.add('10.0.0.1', idle[0]!);
	guard.add('10.0.0.1', publisher);
	guard.add('10.0.0.1', idle[1]!);
	guard.add('10.0.0.1', idle[2]!);
	assert.ok(await waitFor(() => idle[1]!.closedWith !== undefined, 2500));
	assert.match(idle[1]!.closedWith ?? '', /4 connections from 10\.0\.0\.1 are not publishing yet \(at most 3\)/);
	assert.is(publisher.closedWith, undefined);
	assert.is(guard.pending, 3);
	assert.ok(logs.some((line) => /^test listener: closed a connection from 10\.0\.0\.1: /.test(line)));
	// Another source is not touched by the first one's crowd.
	const other = fake(0);
	guard.add('10.0.0.2', other);
	publisher.live = true;
	const all = [...idle, other];
	assert.ok(await waitFor(() => all.every((c) => c.closedWith !== undefined), 5000), 'handshake time');
	assert.match(idle[0]!.closedWith ?? '', /not publishing within 3000 ms/);
	assert.is(publisher.closedWith, undefined, 'publishing in time');
	assert.match(other.closedWith ?? '', /not publishing within 3000 ms/);
	assert.is(guard.pending, 0);
});

test('over the total, the busiest source gives way; a cap makes room or refuses the newcomer', async () => {
	const guard = new ConnectionGuard('test listener', { ...LIMITS, handshakeTimeoutMs: 5000 });
	const busy = [fake(), fake(), fake()];
	for (const c of busy) guard.add('10.0.0.9', c);
	const quiet = [fake(), fake(), fake()];
	for (const [i, c] of quiet.entries()) guard.add(`10.1.0.${i}`, c);
	assert.ok(await waitFor(() => busy.some((c) => c.closedWith !== undefined), 2500));
	assert.match(busy.find((c) => c.closedWith)?.closedWith ?? '', /6 connections are not publishing yet \(at most 5\)/);
	assert.ok(quiet.every((c) => c.closedWith === undefined));
	// At a listener's cap: an old waiting connection makes room for the newcomer…
	const newcomer = fake();
	guard.add('10.2.0.1', newcomer);
	guard.enforceCap(11, 10, '10.2.0.1', (why) => newcomer.close(why));
	assert.is(newcomer.closedWith, undefined);
	assert.is(busy.filter((c) => c.closedWith).length, 2);
	// …but one that just arrived is never judged: with none old enough, the newcomer is refused.
	const fresh = new ConnectionGuard('fresh', LIMITS);
	const first = fake();
	fresh.add('10.3.0.1', first);
	const late = fake();
	fresh.add('10.3.0.2', late);
	fresh.enforceCap(2, 1, '10.3.0.2', (why) => late.close(why));
	assert.is(late.closedWith, 'more than 1 connections');
	assert.is(first.closedWith, undefined);
	for (const c of [...busy, ...quiet, newcomer, first]) c.close('test over');
});

test.run();
