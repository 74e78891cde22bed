/**
 * The import rule (test/architecture/import-rule.ts) over the whole tree: every relative import of every
 * TypeScript file follows the layers, and the checker itself catches an edge against them.
 */
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { test } from '../helpers/suite.ts';
import { describeViolation, findViolations, readSourceTree, relativeImports } from './import-rule.ts';

const ROOT = join(import.meta.dirname, '../..');
test('every relative import in the tree follows the layer rule', () => {
	const files = readSourceTree(ROOT);
	assert.ok(files.has('src/core/track.ts') && files.size > 100, `read ${files.size} files`);
	const violations = findViolations(files);
	assert.ok(
		violations.length === 0,
		`imports against the layer rule:\n${violations.map(describeViolation).join('\n')}`,
	);
});

test('an edge against the rule is reported with its file and line', () => {
	const files = new Map([
		['src/core/track.ts', "import type { Sink } from '../sink/sink.ts';\n"],
		['src/bus/live-stream.ts', "import type { Track } from '../core/track.ts';\nimport { x } from '../bytes/x.ts';\n"],
		[
			'src/recorder/recording.ts',
			[
				"import { TsMuxer } from '../../mux/ts/ts-muxer.ts';",
				'import {',
				'\tRtmpListener,',
				"} from '../../ingest/rtmp/rtmp-listener.ts';",
				"export { parse } from '../api/parse.ts';",
				"const lazy = () => import('../../ingest/udp/udp.ts');",
				'const template = () => import(`../cli/main.ts`);',
			].join('\n'),
		],
		['mux/ts/ts-muxer.ts', "import '../../ingest/demux/ts/ts-demuxer.ts';\nimport { fs } from 'node:fs';\n"],
		['src/cli/main.ts', "import { anything } from '../../ingest/x.ts';\n"],
		['test/x.test.ts', "import { anything } from '../src/api/app.ts';\n"],
		['tools/stray.ts', ''],
	]);
	assert.equal(findViolations(files).map(describeViolation), [
		'src/core/track.ts:1 → src/sink/sink.ts (src/core/ may not import src/sink/)',
		'src/recorder/recording.ts:4 → ingest/rtmp/rtmp-listener.ts (src/recorder/ may not import ingest/)',
		'src/recorder/recording.ts:5 → src/api/parse.ts (src/recorder/ may not import src/api/)',
		'src/recorder/recording.ts:6 → ingest/udp/udp.ts (src/recorder/ may not import ingest/)',
		'src/recorder/recording.ts:7 → src/cli/main.ts (src/recorder/ may not import src/cli/)',
		'mux/ts/ts-muxer.ts:1 → ingest/demux/ts/ts-demuxer.ts (mux/ may not import ingest/)',
		'tools/stray.ts:1 → tools/stray.ts (folder has no layer in the import rule)',
	]);
});

test('imports are read as repository paths, packages ignored', () => {
	assert.equal(relativeImports('src/api/ome/ome-api.ts', "import { a } from './a.ts';\nimport 'hono';\n"), [
		{ target: 'src/api/ome/a.ts', line: 1 },
	]);
});

test.run();
