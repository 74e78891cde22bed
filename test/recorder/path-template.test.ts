import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { TapedeckError } from '../../src/core/errors.ts';
import { PathTemplate, type PathValues } from '../../src/recorder/path-template.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const root = tempDir('paths');
const values: PathValues = {
	virtualHost: 'default',
	application: 'app',
	stream: 'cam',
	sequence: 3,
	id: 'rec1',
	transactionId: 'TX',
	startTime: new Date(2026, 0, 2, 3, 4, 5),
	endTime: new Date(2026, 0, 2, 4, 5, 6),
};

const rejects = (template: string, pattern: RegExp) =>
	assert.throws(
		() => new PathTemplate(template, root),
		(e: TapedeckError) => e.code === 'invalid_argument' && pattern.test(e.message),
	);

test('expands every OME macro, time formats with or without separators', () => {
	const t = new PathTemplate(
		`\${VirtualHost}/\${Application}/\${Stream}_\${SourceStream}_\${Sequence}_\${Id}_\${TransactionId}_\${StartTime:YYYYMMDDhhmmss}_\${EndTime:YYYY-MM-DD_hh.mm.ss}.ts`,
		root,
	);
	assert.is(t.expand(values), join(root, 'default/app/cam_cam_3_rec1_TX_20260102030405_2026-01-02_04.05.06.ts'));
	assert.ok(t.usesEndTime);
});

test('EndTime before the end is known expands like StartTime', () => {
	const t = new PathTemplate(`\${EndTime:YYYYMMDD}.mp4`, root);
	const { endTime: _ignored, ...open } = values;
	assert.is(t.expand(open), join(root, '20260102.mp4'));
});

test('macro values cannot add folders or climb out', () => {
	const t = new PathTemplate(`\${Stream}/\${Id}.ts`, root);
	assert.is(t.expand({ ...values, stream: '../../etc', id: 'a/b' }), join(root, '.._.._etc/a_b.ts'));
	assert.is(t.expand({ ...values, stream: '..' }), join(root, '_/rec1.ts'));
});

test('rejects .., absolute paths outside the root, NUL, unknown macros, formatless times', () => {
	rejects('../x.ts', /\.\./);
	rejects('a/../../x.ts', /\.\./);
	rejects('/etc/passwd', /outside the recordings folder/);
	rejects('a\0b.ts', /NUL/);
	rejects(`\${Nope}.ts`, /unknown macro \$\{Nope\}/);
	rejects(`\${StartTime}.ts`, /needs a format/);
	rejects('', /empty/);
});

test('an absolute path inside the root is fine', () => {
	const t = new PathTemplate(join(root, `x/\${Id}.ts`), root);
	assert.is(t.expand(values), join(root, 'x/rec1.ts'));
});

test.run();
