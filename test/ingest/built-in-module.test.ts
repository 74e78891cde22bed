/** How the server's built-in listeners are listed as modules, and how a stream name on one maps onto the bus. */

import * as assert from 'uvu/assert';
import { builtInModules, builtInStreamKey } from '../../ingest/built-in-module.ts';
import { TapedeckError } from '../../src/core/errors.ts';
import { test } from '../helpers/suite.ts';

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
	assert.equal(
		modules.map(({ id, protocol, url }) => ({ id, protocol, url })),
		[
			{ id: 'rtmp', protocol: 'rtmp', url: 'rtmp://127.0.0.1:1935' },
			{ id: 'srt', protocol: 'srt', url: 'srt://127.0.0.1:9710' },
		],
	);
	assert.equal(modules[1]?.streamKey('show/cam2'), { vhost: 'default', app: 'show', stream: 'cam2' });
});

test('stream names: app/stream, a bare name in app "live", SRT stream ids, RTMP keys without their query', () => {
	assert.equal(builtInStreamKey('rtmp', 'show/cam1'), { vhost: 'default', app: 'show', stream: 'cam1' });
	assert.equal(builtInStreamKey('rtmp', 'cam1'), { vhost: 'default', app: 'live', stream: 'cam1' });
	assert.equal(builtInStreamKey('rtmp', 'live/cam1?key=secret'), { vhost: 'default', app: 'live', stream: 'cam1' });
	assert.equal(builtInStreamKey('srt', '#!::r=show/cam2,m=publish'), { vhost: 'default', app: 'show', stream: 'cam2' });
	assert.equal(builtInStreamKey('srt', 'cam2'), { vhost: 'default', app: 'live', stream: 'cam2' });
	assert.equal(
		builtInStreamKey('srt', ''),
		{ vhost: 'default', app: 'live', stream: 'default' },
		'a caller without id',
	);
	throwsCode(
		() => builtInStreamKey('rtmp', '  '),
		'invalid_argument',
		/stream on the built-in RTMP listener is required/,
	);
	throwsCode(() => builtInStreamKey('rtmp', '/'), 'invalid_argument', /names no stream/);
});

test.run();
