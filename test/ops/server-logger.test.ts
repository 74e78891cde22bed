/**
 * The server's pino logger: JSON lines with the level by name, an ISO time, the event and the
 * message; pretty lines for people; `auto` picks pretty on a terminal only; the level filters.
 */
import { PassThrough } from 'node:stream';
import * as assert from 'uvu/assert';
import { createServerLogger, isPretty } from '../../src/cli/server-logger.ts';
import type { LogConfig } from '../../src/config/operations-config.ts';
import { test } from '../helpers/suite.ts';

/** A logger writing into memory, and what it wrote. */
const capture = (config: LogConfig, terminal: boolean) => {
	const stream = new PassThrough();
	const chunks: Buffer[] = [];
	stream.on('data', (chunk: Buffer) => chunks.push(chunk));
	const logger = createServerLogger(config, { destination: stream, terminal });
	return { logger, text: () => Buffer.concat(chunks).toString() };
};

test('format: json and pretty as asked; auto is pretty on a terminal and JSON otherwise', () => {
	assert.is(isPretty('json', true), false);
	assert.is(isPretty('pretty', false), true);
	assert.is(isPretty('auto', true), true);
	assert.is(isPretty('auto', false), false);
});

test('JSON: one object per line with level name, ISO time, event, fields, child bindings and message', () => {
	const { logger, text } = capture({ level: 'info', format: 'auto' }, false);
	logger.child({ job: 'j1' }).warn({ event: 'file.closed', bytes: 42 }, 'file closed');
	logger.debug({ event: 'hidden' }, 'below the level');
	const lines = text().trim().split('\n');
	assert.is(lines.length, 1, text());
	const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
	assert.is(line['level'], 'warn');
	assert.match(String(line['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
	assert.equal([line['event'], line['bytes'], line['job'], line['msg']], ['file.closed', 42, 'j1', 'file closed']);
});

test('pretty: one readable line per event (time, level, event, message, fields), no JSON; debug when asked', () => {
	const { logger, text } = capture({ level: 'debug', format: 'pretty' }, false);
	logger.info({ event: 'listener.started', protocol: 'rtmp' }, 'listening: RTMP listener on 127.0.0.1:1935');
	logger.debug({ event: 'publish.answered' }, 'shown at debug');
	const lines = text().trim().split('\n');
	assert.is(lines.length, 2, text());
	assert.match(
		lines[0] ?? '',
		/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] INFO: listener\.started: listening: RTMP listener on 127\.0\.0\.1:1935 \{"protocol":"rtmp"\}$/,
	);
	assert.match(lines[1] ?? '', /DEBUG: publish\.answered: shown at debug/);
	assert.throws(() => JSON.parse(lines[0] ?? ''));
});

test.run();
