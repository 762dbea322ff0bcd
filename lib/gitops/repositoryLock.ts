import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

const tails = new Map<string, Promise<unknown>>();

/** How long a lock file may stand before it is taken for the leftover of a killed process on another host. */
const STALE_AFTER_MS = 10 * 60_000;
const WAIT_LIMIT_MS = 5 * 60_000;

/**
 * Runs `task` while holding the clone cache at `key` (a work tree path): one work tree has one index and one
 * HEAD. Within a process, tasks queue on a promise chain; across processes that share the cache folder (several
 * n8n queue-mode workers on one host), on a lock file created with O_EXCL next to the work tree. A lock left by a
 * dead process on this host, or older than STALE_AFTER_MS, is broken. Processes with separate cache folders never
 * meet here; their concurrent pushes are handled by the push retry loop.
 */
export async function withRepositoryLock<T>(key: string, task: () => Promise<T>): Promise<T> {
	const previous = tails.get(key) ?? Promise.resolve();
	const locked = () => withLockFile(`${key}.lock`, task);
	const run = previous.then(locked, locked);
	const tail = run.catch(() => undefined);
	tails.set(key, tail);
	try {
		return await run;
	} finally {
		if (tails.get(key) === tail) tails.delete(key);
	}
}

async function withLockFile<T>(lockPath: string, task: () => Promise<T>): Promise<T> {
	await mkdir(dirname(lockPath), { recursive: true });
	const owner = `${hostname()} ${process.pid}`;
	const deadline = Date.now() + WAIT_LIMIT_MS;
	for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
		try {
			const handle = await open(lockPath, 'wx');
			await handle.writeFile(owner);
			await handle.close();
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		if (await isStale(lockPath)) {
			await unlink(lockPath).catch(() => undefined);
			continue;
		}
		if (Date.now() > deadline) {
			throw new Error(`The git clone cache is locked by another process (${lockPath}) for over ${WAIT_LIMIT_MS / 60_000} minutes`);
		}
		await new Promise((resolve) => setTimeout(resolve, delay));
	}
	try {
		return await task();
	} finally {
		await unlink(lockPath).catch(() => undefined);
	}
}

async function isStale(lockPath: string): Promise<boolean> {
	try {
		const [info, text] = await Promise.all([stat(lockPath), readFile(lockPath, 'utf8')]);
		if (Date.now() - info.mtimeMs > STALE_AFTER_MS) return true;
		const [host, pid] = text.trim().split(' ');
		if (host !== hostname() || !pid) return false;
		process.kill(Number(pid), 0);
		return false;
	} catch (error) {
		// ESRCH: the owner is gone. ENOENT: released meanwhile (try again). An empty file being written counts as held.
		const code = (error as NodeJS.ErrnoException).code;
		return code === 'ESRCH' || code === 'ENOENT';
	}
}
