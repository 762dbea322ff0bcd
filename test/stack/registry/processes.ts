import { execFile, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);

const REPO_ROOT = resolve(__dirname, '../../..');

/** A port that was free a moment ago on 127.0.0.1, for servers (like distribution) that cannot report port 0. */
export async function freePort(): Promise<number> {
	return new Promise((done, fail) => {
		const server = createServer();
		server.once('error', fail);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => done(port));
		});
	});
}

/** Makes sure a system tool exists, installing it through scripts/ensure-system.sh (apt, as root) if not. */
export async function ensureTool(binary: string): Promise<void> {
	const has = async () =>
		execFileAsync('sh', ['-c', `command -v ${binary}`]).then(
			() => true,
			() => false,
		);
	if (await has()) return;
	await execFileAsync('bash', [resolve(REPO_ROOT, 'scripts/ensure-system.sh')], {
		maxBuffer: 16 * 1024 * 1024,
	});
	if (!(await has()))
		throw new Error(
			`${binary} is missing and could not be installed (see scripts/ensure-system.sh)`,
		);
}

/** Sends SIGTERM to a child we started and waits for it to go, escalating to SIGKILL after a grace period. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((done) => child.once('exit', () => done()));
	child.kill('SIGTERM');
	const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
	await exited;
	clearTimeout(timer);
}

/** Resolves with the first stdout line matching `pattern`, or fails if the child exits first. */
export async function waitForLine(
	child: ChildProcess,
	pattern: RegExp,
	what: string,
): Promise<RegExpMatchArray> {
	return new Promise((done, fail) => {
		let buffered = '';
		const onData = (chunk: Buffer) => {
			buffered += chunk.toString();
			const match = buffered.match(pattern);
			if (match) {
				child.stdout?.off('data', onData);
				done(match);
			}
		};
		child.stdout?.on('data', onData);
		child.once('exit', (code) => fail(new Error(`${what} exited (${code}) before it was ready`)));
	});
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
