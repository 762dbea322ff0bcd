import { spawn } from 'node:child_process';
import {
	existsSync,
	mkdtempSync,
	readFileSync,
	statSync,
	utimesSync,
	writeFileSync,
} from 'node:fs';
import { unlink } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lockTiming, withRepositoryLock } from '../../../lib/gitops/repositoryLock';

const root = mkdtempSync(join(tmpdir(), 'repo-lock-'));

/** Runs withRepositoryLock in a separate Node process, so the lock is held across processes, not promises. */
function lockInChild(key: string, holdMs: number, log: string, label: string): Promise<number> {
	const script = `
		require(${JSON.stringify(resolve(__dirname, '../../stack/n8n/tsRequire.js'))});
		const { appendFileSync } = require('node:fs');
		const { withRepositoryLock } = require(${JSON.stringify(resolve(__dirname, '../../../lib/gitops/repositoryLock.ts'))});
		withRepositoryLock(${JSON.stringify(key)}, async () => {
			appendFileSync(${JSON.stringify(log)}, '${label}:start\\n');
			await new Promise((r) => setTimeout(r, ${holdMs}));
			appendFileSync(${JSON.stringify(log)}, '${label}:end\\n');
		});`;
	return new Promise((done, fail) => {
		const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
		child.on('error', fail);
		child.on('exit', (code) => done(code ?? -1));
	});
}

describe('withRepositoryLock', () => {
	it('runs the tasks of one key one at a time within a process, and releases on failure', async () => {
		const key = join(root, 'in-process');
		const events: string[] = [];
		const task = (name: string, fail = false) =>
			withRepositoryLock(key, async () => {
				events.push(`${name}:start`);
				await new Promise((r) => setTimeout(r, 20));
				events.push(`${name}:end`);
				if (fail) throw new Error(name);
			});
		const results = await Promise.allSettled([task('a'), task('b', true), task('c')]);
		expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
		expect(events).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
		expect(existsSync(`${key}.lock`)).toBe(false);
	});

	it('keeps two processes sharing a cache folder out of the same work tree', async () => {
		const key = join(root, 'shared', 'work-tree');
		const log = join(root, 'shared.log');
		writeFileSync(log, '');
		await expect(
			Promise.all([lockInChild(key, 300, log, 'p1'), lockInChild(key, 300, log, 'p2')]),
		).resolves.toEqual([0, 0]);
		const lines = readFileSync(log, 'utf8').trim().split('\n');
		// Never two starts in a row: each holder ended before the other began.
		expect(lines).toHaveLength(4);
		expect(lines[0].split(':')[0]).toBe(lines[1].split(':')[0]);
		expect(lines[1].endsWith(':end')).toBe(true);
		expect(lines[2].split(':')[0]).toBe(lines[3].split(':')[0]);
	});

	it('breaks a lock left by a process that is gone', async () => {
		const key = join(root, 'stale');
		writeFileSync(`${key}.lock`, `${hostname()} 999999999`);
		await expect(withRepositoryLock(key, async () => 'ran')).resolves.toBe('ran');
		expect(existsSync(`${key}.lock`)).toBe(false);
	});

	it('keeps touching the lock file while a long task runs, so it never looks stale', async () => {
		const key = join(root, 'long');
		const saved = lockTiming.refreshEveryMs;
		lockTiming.refreshEveryMs = 20;
		try {
			const touched = await withRepositoryLock(key, async () => {
				utimesSync(`${key}.lock`, 0, 0); // as if the task had run for decades
				for (let i = 0; i < 250 && statSync(`${key}.lock`).mtimeMs === 0; i++)
					await new Promise((r) => setTimeout(r, 20));
				return statSync(`${key}.lock`).mtimeMs;
			});
			expect(touched).toBeGreaterThan(0);
		} finally {
			lockTiming.refreshEveryMs = saved;
		}
		expect(existsSync(`${key}.lock`)).toBe(false);
	});

	it('breaks a stale lock only while holding the breaker, so two waiters cannot both take it over', async () => {
		const key = join(root, 'breaking');
		writeFileSync(`${key}.lock`, `${hostname()} 999999999`);
		writeFileSync(`${key}.lock.break`, ''); // another waiter is breaking it right now
		let ran = false;
		const run = withRepositoryLock(key, async () => (ran = true));
		await new Promise((r) => setTimeout(r, 300));
		expect(ran).toBe(false);
		await unlink(`${key}.lock.break`);
		await expect(run).resolves.toBe(true);
		expect(existsSync(`${key}.lock`)).toBe(false);
		expect(existsSync(`${key}.lock.break`)).toBe(false);
	});
});
