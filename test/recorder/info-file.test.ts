import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { appendInfoFile, formatIsoWithOffset } from '../../src/recorder/info-file.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const entry = (sequence: number, lastSequence: boolean) => ({
	transactionId: 'TX',
	id: 'rec<1>',
	metadata: 'a&b',
	vhost: 'default',
	app: 'app',
	stream: 'cam',
	filePath: '/rec/cam_0.ts',
	recordBytes: 1234,
	recordTime: 4000.4,
	sequence,
	lastSequence,
	createdTime: new Date(2026, 0, 1, 0, 0, 0, 5),
	startTime: new Date(2026, 0, 1, 0, 0, 1),
	finishTime: new Date(2026, 0, 1, 0, 0, 5),
});

test('appends <file> entries in OME element order, concurrent appends all land', async () => {
	const path = join(tempDir('info'), 'sub', 'info.xml');
	await Promise.all([appendInfoFile(path, entry(0, false)), appendInfoFile(path, entry(1, true))]);
	const xml = readFileSync(path, 'utf8');
	assert.ok(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<files>\n'));
	assert.ok(xml.trimEnd().endsWith('</files>'));
	assert.is(xml.match(/<file>/g)?.length, 2);
	const order = [...xml.split('</file>')[0]!.matchAll(/<(\w+)>/g)].map((m) => m[1]).slice(2);
	assert.equal(order, [
		'transactionId',
		'id',
		'metadata',
		'vhost',
		'app',
		'stream',
		'filePath',
		'recordBytes',
		'recordTime',
		'sequence',
		'lastSequence',
		'createdTime',
		'startTime',
		'finishTime',
	]);
	assert.match(xml, '<id>rec&lt;1&gt;</id>');
	assert.match(xml, '<filePath><![CDATA[/rec/cam_0.ts]]></filePath>');
	assert.match(xml, '<recordTime>4000</recordTime>');
	assert.match(xml, '<sequence>1</sequence>\n    <lastSequence>true</lastSequence>');
});

test('times are ISO-8601 local with milliseconds and offset', () => {
	assert.match(formatIsoWithOffset(new Date(2026, 0, 1, 0, 0, 0, 5)), /^2026-01-01T00:00:00\.005[+-]\d\d:\d\d$/);
});

test.run();
