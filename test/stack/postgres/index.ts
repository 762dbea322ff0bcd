import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	chownSync,
	closeSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	openSync,
	readFileSync,
	readdirSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, sleep } from '../registry/processes';

/**
 * A throwaway PostgreSQL (Debian `postgresql`): `initdb` into a temp dir, `postgres` on a free 127.0.0.1 port
 * with its unix socket in that dir, stopped by its PID. PostgreSQL refuses to run as root, so as root the data
 * dir belongs to the `postgres` user the Debian package creates and both programs run as that user.
 * Durability is switched off (fsync, synchronous_commit, full_page_writes): the data is thrown away anyway.
 */

export interface RunningPostgres {
	host: '127.0.0.1';
	port: number;
	database: string;
	user: string;
	password: string;
	/** Directory of the unix socket (psql -h <socketDir>). */
	socketDir: string;
	pid: number;
	logFile: string;
	/** Runs one SQL statement with psql over the unix socket; returns the unaligned, tuples-only output. */
	sql(statement: string): Promise<string>;
	stop(): Promise<void>;
}

const run = promisify(execFile);
const DATABASE = 'n8n';
const USER = 'n8n';

/** The newest /usr/lib/postgresql/<version>/bin that has initdb; installs `postgresql` with apt-get when missing (root). */
export function postgresBinDir(): string {
	const find = () => {
		const root = '/usr/lib/postgresql';
		if (!existsSync(root)) return undefined;
		const versions = readdirSync(root)
			.filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
			.sort((a, b) => Number(b) - Number(a));
		return versions.length > 0 ? join(root, versions[0], 'bin') : undefined;
	};
	const found = find();
	if (found) return found;
	if (process.getuid?.() !== 0) {
		throw new Error(
			'PostgreSQL is missing: install the Debian package with `sudo apt-get install -y postgresql`',
		);
	}
	execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], {
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
		stdio: 'pipe',
	});
	// The package creates and may start a system cluster on :5432; the stack runs its own on a free port.
	try {
		execFileSync('sh', ['-c', 'systemctl disable --now postgresql || service postgresql stop'], {
			stdio: 'ignore',
		});
	} catch {
		/* no service manager here: nothing was started */
	}
	const installed = find();
	if (!installed) throw new Error('initdb is still missing after apt-get install postgresql');
	return installed;
}

/** Who runs the server: the current user, or (as root, which PostgreSQL refuses) the `postgres` system user. */
function serverIdentity(): { uid: number; gid: number } | undefined {
	if (process.getuid?.() !== 0) return undefined;
	try {
		const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
		const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
		return { uid, gid };
	} catch {
		throw new Error(
			'running as root needs the `postgres` user (created by the Debian postgresql package) to run the server',
		);
	}
}

function tail(file: string): string {
	try {
		return readFileSync(file, 'utf8').slice(-3000);
	} catch {
		return '';
	}
}

/**
 * initdb + postgres on a free 127.0.0.1 port; a password-protected role and database (both `n8n`) for TCP
 * clients, trust only on the unix socket inside the temp dir.
 */
export async function startPostgres(): Promise<RunningPostgres> {
	const bin = postgresBinDir();
	const identity = serverIdentity();
	const base = mkdtempSync(join(tmpdir(), 'postgres-stack-'));
	const dataDir = join(base, 'data');
	const socketDir = join(base, 'socket');
	const logFile = join(base, 'postgres.log');
	const pwFile = join(base, 'pwfile');
	const password = randomBytes(18).toString('hex');
	mkdirSync(socketDir, { mode: 0o700 });
	writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
	writeFileSync(logFile, '');
	if (identity)
		for (const path of [base, socketDir, pwFile, logFile])
			chownSync(path, identity.uid, identity.gid);
	const as = {
		cwd: base,
		...(identity ?? {}),
		env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
	};
	const stopFiles = () => rmSync(base, { recursive: true, force: true });
	try {
		await run(
			join(bin, 'initdb'),
			[
				'-D',
				dataDir,
				'-U',
				USER,
				`--pwfile=${pwFile}`,
				'--auth-local=trust',
				'--auth-host=scram-sha-256',
				'-E',
				'UTF8',
				'--locale=C',
				'--no-sync',
			],
			as,
		);
	} catch (error) {
		stopFiles();
		throw new Error(`initdb failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
	}
	rmSync(pwFile);
	const port = await freePort();
	const log = openSync(logFile, 'a');
	const child = spawn(
		join(bin, 'postgres'),
		[
			'-D',
			dataDir,
			'-p',
			String(port),
			'-c',
			'listen_addresses=127.0.0.1',
			'-c',
			`unix_socket_directories=${socketDir}`,
			'-c',
			'fsync=off',
			'-c',
			'synchronous_commit=off',
			'-c',
			'full_page_writes=off',
			'-c',
			'max_connections=100',
			'-c',
			'shared_buffers=32MB',
		],
		{ ...as, stdio: ['ignore', log, log] },
	);
	closeSync(log);
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
			// SIGINT is PostgreSQL's "fast" shutdown: it ends client sessions instead of waiting for them.
			child.kill('SIGINT');
			const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
			await exited;
			clearTimeout(timer);
		}
		stopFiles();
	};
	const psql = async (database: string, statement: string) => {
		const { stdout } = await run(
			join(bin, 'psql'),
			[
				'-h',
				socketDir,
				'-p',
				String(port),
				'-U',
				USER,
				'-d',
				database,
				'-X',
				'-A',
				'-t',
				'-v',
				'ON_ERROR_STOP=1',
				'-c',
				statement,
			],
			as,
		);
		return stdout.trim();
	};
	try {
		const deadline = Date.now() + 30_000;
		for (;;) {
			if (child.exitCode !== null)
				throw new Error(`postgres exited with code ${child.exitCode}:\n${tail(logFile)}`);
			const ready = await run(
				join(bin, 'pg_isready'),
				['-h', socketDir, '-p', String(port), '-q'],
				as,
			).then(
				() => true,
				() => false,
			);
			if (ready) break;
			if (Date.now() > deadline)
				throw new Error(`postgres was not ready after 30 s:\n${tail(logFile)}`);
			await sleep(100);
		}
		await psql('postgres', `CREATE DATABASE ${DATABASE} OWNER ${USER}`);
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		host: '127.0.0.1',
		port,
		database: DATABASE,
		user: USER,
		password,
		socketDir,
		pid: child.pid!,
		logFile,
		sql: (statement: string) => psql(DATABASE, statement),
		stop,
	};
}
