/**
 * What is shipped, exercised as far as a machine without a container runtime or a running systemd allows: the npm
 * package (its bin runs with no dependency installed), the systemd unit (`systemd-analyze verify`, then its
 * ExecStart run as the unit would, as an unprivileged user) and the Dockerfile (its build stage's build, then its
 * runtime stage's entry point with its environment, as its user, answering its HEALTHCHECK), each stopped by
 * SIGTERM with exit 0.
 */
import { chmodSync, chownSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../../fixtures/fixtures.ts';
import { VERSION } from '../../src/cli/version.ts';
import { waitForApi } from '../e2e/server-process.ts';
import { ffprobeErrors } from '../helpers/media-check.ts';
import { freePort } from '../helpers/ports.ts';
import { Peer, run } from '../helpers/process.ts';
import { test } from '../helpers/suite.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { BUILD_MS, builtBundle, ROOT } from './bundle.ts';
import { argsOf, envOf, execForm, parseDockerfile } from './dockerfile.ts';

/** The user tests run the servers as: what Docker's `USER node` and the unit's `User=tapedeck` are, unprivileged. */
const UNPRIVILEGED = { uid: 1000, gid: 1000 };
const asRoot = process.getuid?.() === 0;

/** A folder the unprivileged user can read (and, with `writable`, own). */
const sharedDir = (prefix: string, writable = false): string => {
	const dir = tempDir(prefix);
	chmodSync(dir, 0o755);
	if (writable && asRoot) chownSync(dir, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
	return dir;
};

/** The bundle alone in a folder of its own, executable, as npm or the image installs it. */
const installedBundle = async (name: string): Promise<string> => {
	const path = join(sharedDir('installed'), name);
	copyFileSync(await builtBundle(), path);
	chmodSync(path, 0o755);
	return path;
};

/**
 * Runs `argv` as the unprivileged user with `env` added (its TAPEDECK_PORT serving the API on loopback, built-in
 * listeners off), waits for the API, calls `whileUp`, then sends SIGTERM and expects exit 0 within 20 s.
 */
const serveThenTerminate = async (
	argv: readonly string[],
	env: Record<string, string>,
	whileUp: (url: string) => Promise<void> = async () => {},
): Promise<void> => {
	const drop = asRoot
		? ['setpriv', `--reuid=${UNPRIVILEGED.uid}`, `--regid=${UNPRIVILEGED.gid}`, '--clear-groups']
		: [];
	const off = ['--rtmp-port', '0', '--srt-port', '0', '--rtsp-port', '0'];
	const [program = '', ...args] = [
		...drop,
		'env',
		...Object.entries(env).map(([k, v]) => `${k}=${v}`),
		...argv,
		...off,
	];
	const peer = new Peer(program, args);
	try {
		const server = await waitForApi(peer, `http://127.0.0.1:${env['TAPEDECK_PORT']}`);
		await whileUp(server.url);
		peer.child.kill('SIGTERM');
		const timer = setTimeout(() => peer.child.kill('SIGKILL'), 20_000);
		const code = await peer.exited;
		clearTimeout(timer);
		assert.is(peer.child.signalCode, null, 'exited by itself');
		assert.is(code, 0, peer.stderr);
	} finally {
		await peer.stop();
	}
};

test(
	'npm pack: the package is the bundle with package.json, README and LICENSE; its bin runs with no dependency installed',
	async () => {
		await builtBundle();
		const dir = sharedDir('pack');
		const packed = await run('npm', ['pack', ROOT, '--ignore-scripts', '--silent', '--pack-destination', dir]);
		assert.is(packed.code, 0, packed.stderr);
		const tarball = join(dir, packed.stdout.trim());
		const listed = await run('tar', ['tzf', tarball]);
		assert.equal(listed.stdout.trim().split('\n').sort(), [
			'package/LICENSE',
			'package/README.md',
			'package/dist/tapedeck.cjs',
			'package/package.json',
		]);
		assert.is((await run('tar', ['xzf', tarball, '-C', dir])).code, 0);
		const manifest = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8')) as {
			bin: { tapedeck: string };
		};
		const bin = join(dir, 'package', manifest.bin.tapedeck);
		assert.is((await run(bin, ['--version'])).stdout.trim(), VERSION);
		const output = join(dir, 'out.mp4');
		const remux = await run(bin, ['remux', fixture('h264-aac48'), output]);
		assert.is(remux.code, 0, remux.stderr);
		assert.is(await ffprobeErrors(output), '');
		assert.match(readFileSync(join(dir, 'package/LICENSE'), 'utf8'), /MIT License[\s\S]*the tapedeck authors/);
	},
	BUILD_MS + 60_000,
);

/** `Key=value` lines of a unit file, by key (a key may repeat). */
const directives = (unit: string): Map<string, string[]> => {
	const found = new Map<string, string[]>();
	for (const line of unit.split('\n')) {
		const match = /^(\w+)=(.*)$/.exec(line.trim());
		if (match) found.set(match[1]!, [...(found.get(match[1]!) ?? []), match[2]!]);
	}
	return found;
};

test(
	'deploy/tapedeck.service: verified by systemd-analyze, stops with SIGTERM within a limit, hardened; its ExecStart serves as an unprivileged user',
	async () => {
		await builtBundle();
		const unit = readFileSync(join(ROOT, 'deploy/tapedeck.service'), 'utf8');
		const keys = directives(unit);
		const one = (key: string) => keys.get(key)?.at(-1);
		assert.is(one('User'), 'tapedeck');
		assert.is(one('KillSignal'), 'SIGTERM');
		assert.ok(Number(one('TimeoutStopSec')) >= 30, `TimeoutStopSec=${one('TimeoutStopSec')}`);
		assert.is(one('ProtectSystem'), 'strict');
		const environment = Object.fromEntries(
			(keys.get('Environment') ?? []).flatMap((line) => line.split(/\s+/).map((pair) => pair.split('='))),
		) as Record<string, string>;
		const dataDir = environment['TAPEDECK_DATA'] ?? '';
		assert.is(one('ReadWritePaths'), dataDir, 'the data folder is the one writable path');
		assert.match(readFileSync(join(ROOT, 'deploy/tapedeck.sysusers'), 'utf8'), /^u tapedeck .* \/var\/lib\/tapedeck /m);
		const [program, ...args] = (one('ExecStart') ?? '').split(' ');
		assert.is(program, '/usr/local/bin/tapedeck', "npm install -g's bin");

		// systemd-analyze checks the unit's syntax, every directive's value, and that ExecStart is executable: here
		// it names the bundle installed in a temp folder.
		const bin = await installedBundle('tapedeck');
		const copy = join(sharedDir('unit'), 'tapedeck.service');
		writeFileSync(copy, unit.replace(`ExecStart=${program}`, `ExecStart=${bin}`));
		const verified = await run('systemd-analyze', ['verify', copy]);
		assert.is(verified.code, 0, verified.stderr);
		assert.is(verified.stderr, '', 'no warning either');

		const port = String(await freePort());
		const env = { ...environment, TAPEDECK_DATA: sharedDir('unit-data', true), TAPEDECK_PORT: port };
		await serveThenTerminate([bin, ...args], env);
	},
	BUILD_MS + 60_000,
);

test(
	'Dockerfile: the build stage bundles what the runtime stage copies; its entry point serves as its non-root user, answers the HEALTHCHECK, and exits 0 on SIGTERM',
	async () => {
		const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
		assert.is(stages.length, 2);
		const [build, runtime] = stages as [(typeof stages)[0], (typeof stages)[0]];
		for (const stage of stages) assert.match(stage.from, /^node:20-bookworm/, 'Node 20 on Debian');
		assert.ok(
			argsOf(build, 'RUN').some((command) => command.startsWith('npm ci ')),
			'installs from the lock file',
		);
		assert.ok(argsOf(build, 'RUN').includes('npm run build'));
		// Outside docker, the build stage's WORKDIR is this checkout and its build is npm run build.
		await builtBundle();
		const workdir = argsOf(build, 'WORKDIR')[0] ?? '';
		const copies = argsOf(runtime, 'COPY').filter((args) => args.startsWith(`--from=${build.name} `));
		assert.is(copies.length, 1, 'the bundle alone crosses over');
		const [, source = '', target = ''] = copies[0]!.split(' ');
		assert.ok(source.startsWith(`${workdir}/`));
		const bundle = await installedBundle('tapedeck.cjs');
		assert.is(readFileSync(join(ROOT, source.slice(workdir.length + 1)), 'utf8'), readFileSync(bundle, 'utf8'));

		const user = argsOf(runtime, 'USER')[0];
		assert.ok(user !== undefined && user !== 'root' && user !== '0', `USER ${user}`);
		const env = envOf(runtime);
		assert.ok(argsOf(runtime, 'VOLUME').includes(env['TAPEDECK_DATA'] ?? ''), 'the data folder is a volume');
		const entry = execForm(argsOf(runtime, 'ENTRYPOINT')[0] ?? '[]').map((arg) => (arg === target ? bundle : arg));
		const command = execForm(argsOf(runtime, 'CMD')[0] ?? '[]');
		const healthcheck = argsOf(runtime, 'HEALTHCHECK')[0] ?? '';
		assert.match(healthcheck, /\/healthz/);
		const probe = execForm(healthcheck.slice(healthcheck.indexOf('CMD ') + 4));

		// The image's environment, but loopback instead of every interface (a test binds nothing beyond it), and
		// the data folder and API port of this test.
		const port = String(await freePort());
		const runEnv = {
			...env,
			TAPEDECK_HOST: '127.0.0.1',
			TAPEDECK_DATA: sharedDir('image-data', true),
			TAPEDECK_PORT: port,
		};
		await serveThenTerminate([...entry, ...command], runEnv, async (url) => {
			const [program = '', ...args] = probe;
			const health = await run(program, args, 20_000, runEnv);
			assert.is(health.code, 0, `healthy: ${health.stderr} (GET /healthz: ${(await fetch(`${url}/healthz`)).status})`);
		});
		const [program = '', ...args] = probe;
		assert.is((await run(program, args, 20_000, runEnv)).code, 1, 'unhealthy once stopped');
	},
	BUILD_MS + 60_000,
);

test.run();
