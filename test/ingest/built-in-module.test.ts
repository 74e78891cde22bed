/** How Callaba inputs that name a built-in listener map onto modules and bus streams. */

import * as assert from 'uvu/assert';
import {
	builtInInputTypes,
	builtInModules,
	builtInProtocolOf,
	builtInStreamKey,
	findBuiltInModule,
} from '../../ingest/built-in-module.ts';
import type { InputSpec, InputType } from '../../ingest/create-input.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { test } from '../helpers/suite.ts';

const input = (input_type: InputType, extra: Partial<InputSpec> = {}): InputSpec => ({ input_type, ...extra });
const modules = builtInModules({ host: '127.0.0.1', rtmpPort: 1935, srtPort: 9710, rtspPort: 0 });

const throwsCode = (fn: () => unknown, code: string, message: RegExp) => {
	try {
		fn();
	} catch (error) {
		assert.instance(error, TapedeckError);
		assert.is((error as TapedeckError).code, code);
		assert.match((error as Error).message, message);
		return;
	}
	assert.unreachable('should have thrown');
};

test('one module per listener that is on, named after its protocol', () => {
	assert.equal(modules, [
		{ id: 'rtmp', protocol: 'rtmp', url: 'rtmp://127.0.0.1:1935' },
		{ id: 'srt', protocol: 'srt', url: 'srt://127.0.0.1:9710' },
	]);
	assert.equal(builtInInputTypes('srt'), ['INPUT_TYPE_SRT_SOFTWARE', 'INPUT_TYPE_SRT_HARDWARE']);
	assert.equal(builtInInputTypes('rtsp'), []);
	assert.is(builtInProtocolOf(input('INPUT_TYPE_RTMP_HARDWARE')), 'rtmp');
	assert.is(builtInProtocolOf(input('INPUT_TYPE_SRT_LISTEN')), undefined);
});

test('input_stream_id: app/stream, a bare name in app "live", SRT stream ids, RTMP keys without their query', () => {
	const key = (type: InputType, id: string) => builtInStreamKey(input(type, { input_stream_id: id }));
	assert.equal(key('INPUT_TYPE_RTMP_SOFTWARE', 'show/cam1'), { vhost: 'default', app: 'show', stream: 'cam1' });
	assert.equal(key('INPUT_TYPE_RTMP_SOFTWARE', 'cam1'), { vhost: 'default', app: 'live', stream: 'cam1' });
	assert.equal(key('INPUT_TYPE_RTMP_SOFTWARE', 'live/cam1?key=secret'), {
		vhost: 'default',
		app: 'live',
		stream: 'cam1',
	});
	assert.equal(key('INPUT_TYPE_SRT_SOFTWARE', '#!::r=show/cam2,m=publish'), {
		vhost: 'default',
		app: 'show',
		stream: 'cam2',
	});
	assert.equal(key('INPUT_TYPE_SRT_HARDWARE', 'cam2'), { vhost: 'default', app: 'live', stream: 'cam2' });
	throwsCode(() => key('INPUT_TYPE_SRT_SOFTWARE', '  '), 'invalid_argument', /input_stream_id is required/);
	throwsCode(() => key('INPUT_TYPE_RTMP_SOFTWARE', '/'), 'invalid_argument', /names no stream/);
});

test('input_module_id: unknown → not_found listing the known ones, another protocol → invalid_argument', () => {
	assert.is(
		findBuiltInModule(input('INPUT_TYPE_SRT_SOFTWARE', { input_module_id: 'srt' }), modules).url,
		'srt://127.0.0.1:9710',
	);
	throwsCode(
		() =>
			findBuiltInModule(input('INPUT_TYPE_RTMP_SOFTWARE', { input_module_id: '670fe44e12a2054e88a0457f' }), modules),
		'not_found',
		/"670fe44e12a2054e88a0457f" is no built-in listener of this server; built-in listeners: "rtmp", "srt"/,
	);
	throwsCode(
		() => findBuiltInModule(input('INPUT_TYPE_SRT_SOFTWARE', { input_module_id: 'rtmp' }), modules),
		'invalid_argument',
		/needs a SRT one/,
	);
	throwsCode(
		() => findBuiltInModule(input('INPUT_TYPE_SRT_SOFTWARE'), []),
		'invalid_argument',
		/none \(all turned off\)/,
	);
});

test.run();
