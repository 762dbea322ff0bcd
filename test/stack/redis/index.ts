import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep, stopChild } from '../registry/processes';

/**
 * A throwaway Redis (Debian `redis-server`) for n8n queue mode: its own config file in a temp dir, bound to
 * 127.0.0.1 on a free port, no persistence (no RDB snapshots, no AOF), stopped by its PID.
 */

export interface RunningRedis {
	host: '127.0.0.1';
	port: number;
	pid: number;
	/** Temp dir holding redis.conf and the log; removed on stop. */
	dir: string;
	logFile: string;
	/** Sends one command and returns the parsed reply (strings, numbers, arrays, null; an error reply throws). */
	command(...args: string[]): Promise<RespValue>;
	stop(): Promise<void>;
}

export type RespValue = string | number | null | RespValue[];

function which(binary: string): string | undefined {
	try {
		return (
			execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined
		);
	} catch {
		return undefined;
	}
}

/** The redis-server binary, installed with apt-get when missing and running as root; otherwise names the package. */
export function ensureRedisServer(): string {
	const found = which('redis-server');
	if (found) return found;
	if (process.getuid?.() !== 0 || !which('apt-get')) {
		throw new Error(
			'redis-server is missing: install the Debian package with `sudo apt-get install -y redis-server`',
		);
	}
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], {
		env,
		stdio: 'pipe',
	});
	// The package may start a system service on :6379; the stack runs its own on a free loopback port.
	try {
		execFileSync(
			'sh',
			['-c', 'systemctl disable --now redis-server || service redis-server stop'],
			{ stdio: 'ignore' },
		);
	} catch {
		/* no service manager here: nothing was started */
	}
	const installed = which('redis-server');
	if (!installed)
		throw new Error('redis-server is still missing after apt-get install redis-server');
	return installed;
}

/** The config: loopback only, protected mode on, no unix socket, nothing written to disk but the log. */
export function redisConfig(port: number, dir: string, logFile: string): string {
	return [
		'bind 127.0.0.1',
		`port ${port}`,
		'protected-mode yes',
		'daemonize no',
		'supervised no',
		'unixsocket ""',
		'save ""',
		'appendonly no',
		`dir ${dir}`,
		`logfile ${logFile}`,
		'loglevel notice',
		'databases 16',
		'',
	].join('\n');
}

function tail(file: string): string {
	try {
		return readFileSync(file, 'utf8').slice(-2000);
	} catch {
		return '';
	}
}

function encode(args: string[]): Buffer {
	const parts = [`*${args.length}\r\n`];
	for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
	return Buffer.from(parts.join(''));
}

/** Parses one RESP2 reply at `pos`; returns undefined while the reply is incomplete. */
function parseReply(buf: Buffer, pos = 0): { value: RespValue; end: number } | undefined {
	const lineEnd = buf.indexOf('\r\n', pos);
	if (lineEnd < 0) return undefined;
	const type = String.fromCharCode(buf[pos]);
	const line = buf.toString('utf8', pos + 1, lineEnd);
	switch (type) {
		case '+':
			return { value: line, end: lineEnd + 2 };
		case '-':
			throw new Error(`redis: ${line}`);
		case ':':
			return { value: Number(line), end: lineEnd + 2 };
		case '$': {
			const length = Number(line);
			if (length < 0) return { value: null, end: lineEnd + 2 };
			const end = lineEnd + 2 + length;
			if (buf.length < end + 2) return undefined;
			return { value: buf.toString('utf8', lineEnd + 2, end), end: end + 2 };
		}
		case '*': {
			const count = Number(line);
			if (count < 0) return { value: null, end: lineEnd + 2 };
			const items: RespValue[] = [];
			let at = lineEnd + 2;
			for (let i = 0; i < count; i++) {
				const item = parseReply(buf, at);
				if (!item) return undefined;
				items.push(item.value);
				at = item.end;
			}
			return { value: items, end: at };
		}
		default:
			throw new Error(`redis: unexpected reply type ${JSON.stringify(type)}`);
	}
}

/** One command over a fresh connection (the stack only needs a few: PING, KEYS, HGET, LLEN). */
export async function redisCommand(port: number, ...args: string[]): Promise<RespValue> {
	return await new Promise((resolve, reject) => {
		const socket = connect({ host: '127.0.0.1', port });
		let buf = Buffer.alloc(0);
		socket.setTimeout(5000, () =>
			socket.destroy(new Error(`redis on 127.0.0.1:${port} did not answer ${args[0]}`)),
		);
		socket.once('error', reject);
		socket.on('data', (chunk) => {
			buf = Buffer.concat([buf, chunk]);
			try {
				const reply = parseReply(buf);
				if (!reply) return;
				socket.end();
				resolve(reply.value);
			} catch (error) {
				socket.destroy();
				reject(error);
			}
		});
		socket.once('connect', () => socket.write(encode(args)));
	});
}

/** Starts redis-server with its own config on a free 127.0.0.1 port and waits until it answers PING. */
export async function startRedis(): Promise<RunningRedis> {
	const binary = ensureRedisServer();
	const dir = mkdtempSync(join(tmpdir(), 'redis-stack-'));
	const port = await freePort();
	const logFile = join(dir, 'redis.log');
	const configFile = join(dir, 'redis.conf');
	writeFileSync(configFile, redisConfig(port, dir, logFile), { mode: 0o600 });
	const out = openSync(join(dir, 'stdout.log'), 'a');
	const child = spawn(binary, [configFile], { cwd: dir, stdio: ['ignore', out, out] });
	closeSync(out);
	const stop = async () => {
		await stopChild(child, 5000);
		rmSync(dir, { recursive: true, force: true });
	};
	const deadline = Date.now() + 15_000;
	for (;;) {
		if (child.exitCode !== null) {
			const log = [logFile, join(dir, 'stdout.log')].map(tail).join('\n');
			await stop();
			throw new Error(`redis-server exited with code ${child.exitCode}:\n${log}`);
		}
		if ((await redisCommand(port, 'PING').catch(() => undefined)) === 'PONG') break;
		if (Date.now() > deadline) {
			await stop();
			throw new Error('redis-server did not answer PING within 15 s');
		}
		await sleep(50);
	}
	return {
		host: '127.0.0.1',
		port,
		pid: child.pid!,
		dir,
		logFile,
		command: (...args: string[]) => redisCommand(port, ...args),
		stop,
	};
}
