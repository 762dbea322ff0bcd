import { mkdir, open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

const tails = new Map<string, Promise<unknown>>();

/**
 * staleAfterMs: how long a lock file may stand untouched before it is taken for the leftover of a killed process
 * on another host. refreshEveryMs: how often a holder touches its lock file, so a long task (a huge cold clone)
 * never looks stale. Exported so a test can shorten them.
 */
export const lockTiming = {
	staleAfterMs: 10 * 60_000,
	refreshEveryMs: 60_000,
	waitLimitMs: 5 * 60_000,
	/** A stale-lock breaker is only ever held for a few file operations; one older than this was killed mid-break. */
	breakerStaleAfterMs: 30_000,
};

/**
 * Runs `task` while holding the clone cache at `key` (a work tree path): one work tree has one index and one
 * HEAD. Within a process, tasks queue on a promise chain; across processes that share the cache folder (several
 * n8n queue-mode workers on one host), on a lock file created with O_EXCL next to the work tree. A lock left by a
 * dead process on this host, or untouched for staleAfterMs, is broken. Processes with separate cache folders never
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
	const deadline = Date.now() + lockTiming.waitLimitMs;
	for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
		try {
			const handle = await open(lockPath, 'wx');
			await handle.writeFile(owner);
			await handle.close();
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		if ((await isStale(lockPath)) && (await breakStaleLock(lockPath))) continue;
		if (Date.now() > deadline) {
			throw new Error(
				`The git clone cache is locked by another process (${lockPath}) for over ${lockTiming.waitLimitMs / 60_000} minutes`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, delay));
	}
	const refresh = setInterval(() => {
		const now = new Date();
		utimes(lockPath, now, now).catch(() => undefined);
	}, lockTiming.refreshEveryMs);
	refresh.unref();
	try {
		return await task();
	} finally {
		clearInterval(refresh);
		// Only our own lock is removed: if it was broken meanwhile (this process stalled), it belongs to another.
		if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === owner)
			await unlink(lockPath).catch(() => undefined);
	}
}

/**
 * Removes a stale lock file. Two waiters can both judge it stale; if both unlinked, the slower one would remove
 * the lock the faster one has just created, and both would run. So breaking takes a second O_EXCL file, and the
 * staleness is checked again while holding it. Returns false when another waiter is breaking the lock (wait).
 */
async function breakStaleLock(lockPath: string): Promise<boolean> {
	const breaker = `${lockPath}.break`;
	try {
		await (await open(breaker, 'wx')).close();
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		const info = await stat(breaker).catch(() => undefined);
		if (info && Date.now() - info.mtimeMs > lockTiming.breakerStaleAfterMs)
			await unlink(breaker).catch(() => undefined);
		return false;
	}
	try {
		if (await isStale(lockPath)) await unlink(lockPath).catch(() => undefined);
		return true;
	} finally {
		await unlink(breaker).catch(() => undefined);
	}
}

async function isStale(lockPath: string): Promise<boolean> {
	try {
		const [info, text] = await Promise.all([stat(lockPath), readFile(lockPath, 'utf8')]);
		if (Date.now() - info.mtimeMs > lockTiming.staleAfterMs) return true;
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
