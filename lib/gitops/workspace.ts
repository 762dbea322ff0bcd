import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { GitAccess } from './gitAccess';
import { GitCommandError, GitRunner } from './gitRunner';

/** Where cached clones live unless told otherwise. Disposable: delete it any time; each worker may have one. */
export function defaultCacheDir(): string {
	return process.env.N8N_BUILDKIT_GIT_CACHE_DIR || join(tmpdir(), 'n8n-nodes-buildkit', 'git-cache');
}

export function workspaceDir(cacheDir: string, url: string, branch: string): string {
	const key = createHash('sha256').update(`${url}#${branch}`).digest('hex').slice(0, 24);
	return join(cacheDir, key);
}

/** Sparse-checkout folders needed for the repository-relative paths an edit reads ('' = everything). */
export function sparseFolders(scope: string[]): string[] | 'all' {
	const folders = new Set<string>();
	for (const path of scope) {
		if (path === '') return 'all';
		const folder = /\.ya?ml$|\/Kustomization$|^Kustomization$/i.test(path) ? dirname(path) : path;
		if (folder !== '.') folders.add(folder);
	}
	return [...folders].sort();
}

const STATE_FILE = 'n8n-buildkit-workspace.json';

interface WorkspaceState {
	url: string;
	branch: string;
	partial: boolean;
	sparse: string[] | 'all';
}

/**
 * A cached clone of one branch of one repository. Cold: a shallow, blob-less (`--filter=blob:none`), sparse
 * clone, so only the folders an edit reads are fetched; a normal clone when the server refuses filters. Warm:
 * fetch + reset --hard + clean, a few tens of milliseconds. Callers hold the repository lock while using it.
 */
export class Workspace {
	private constructor(
		readonly dir: string,
		readonly git: GitRunner,
		private state: WorkspaceState,
		readonly warm: boolean,
	) {}

	get partialClone(): boolean {
		return this.state.partial;
	}

	static async open(opts: { cacheDir: string; url: string; branch: string; access: GitAccess; scope: string[] }): Promise<Workspace> {
		const dir = workspaceDir(opts.cacheDir, opts.url, opts.branch);
		const statePath = join(dir, '.git', STATE_FILE);
		if (existsSync(statePath)) {
			const state = JSON.parse(await readFile(statePath, 'utf8')) as WorkspaceState;
			const workspace = new Workspace(dir, new GitRunner(dir, opts.access), state, true);
			try {
				await workspace.refresh(opts.branch);
				await workspace.widen(opts.scope);
				return workspace;
			} catch (error) {
				// A broken cache is thrown away and rebuilt; a remote problem is the caller's to report.
				if (error instanceof GitCommandError && /fatal: (not a git repository|bad object|unable to read)|corrupt|index file/i.test(error.output)) {
					await rm(dir, { recursive: true, force: true });
				} else throw error;
			}
		}
		return Workspace.cloneCold(dir, opts);
	}

	private static async cloneCold(dir: string, opts: { url: string; branch: string; access: GitAccess; scope: string[] }): Promise<Workspace> {
		await mkdir(dirname(dir), { recursive: true });
		const staging = `${dir}.clone-${randomBytes(4).toString('hex')}`;
		const parent = new GitRunner(dirname(dir), opts.access);
		const base = ['clone', '--quiet', '--no-tags', '--single-branch', '--depth', '1', '--branch', opts.branch, '--sparse'];
		let partial = true;
		try {
			try {
				const { stderr } = await parent.run([...base, '--filter=blob:none', '--', opts.url, staging]);
				if (/filtering not recognized by server/i.test(stderr)) partial = false;
			} catch (error) {
				if (!(error instanceof GitCommandError) || !/filter|partial clone|promisor/i.test(error.output)) throw error;
				await rm(staging, { recursive: true, force: true });
				await parent.run([...base, '--', opts.url, staging]);
				partial = false;
			}
			await rm(dir, { recursive: true, force: true });
			await rename(staging, dir);
		} catch (error) {
			await rm(staging, { recursive: true, force: true });
			throw error;
		}
		const workspace = new Workspace(dir, new GitRunner(dir, opts.access), { url: opts.url, branch: opts.branch, partial, sparse: [] }, false);
		// A sparse index holds only the checked-out folders (25 entries, not 5,000): reset and commit stay fast.
		await workspace.git.run(['sparse-checkout', 'init', '--cone', '--sparse-index']);
		await workspace.widen(opts.scope);
		return workspace;
	}

	private async saveState(): Promise<void> {
		await writeFile(join(this.dir, '.git', STATE_FILE), JSON.stringify(this.state));
	}

	/** Makes the sparse checkout include what the edit reads (checking out their blobs on demand). */
	async widen(scope: string[]): Promise<void> {
		const wanted = sparseFolders(scope);
		if (this.state.sparse === 'all') return;
		if (wanted === 'all') {
			await this.git.run(['sparse-checkout', 'disable']);
			this.state.sparse = 'all';
		} else {
			const missing = wanted.filter((f) => !(this.state.sparse as string[]).some((have) => f === have || f.startsWith(`${have}/`)));
			if (missing.length === 0 && existsSync(join(this.dir, '.git', STATE_FILE))) return;
			if (missing.length > 0) await this.git.run(['sparse-checkout', 'add', '--', ...missing]);
			this.state.sparse = [...(this.state.sparse as string[]), ...missing].sort();
		}
		await this.saveState();
	}

	/**
	 * Fetches `branch` (and `pushBranch` when it differs and exists) and resets the work tree to the tip to build
	 * on: the push branch when it exists (updates stack up on a review branch), else the branch. Returns that ref.
	 */
	async refresh(branch: string, pushBranch = branch): Promise<string> {
		const refspec = (b: string) => `+refs/heads/${b}:refs/remotes/origin/${b}`;
		await this.git.run(['fetch', '--quiet', '--no-tags', '--depth', '1', 'origin', refspec(branch)]);
		let base = `origin/${branch}`;
		if (pushBranch !== branch) {
			try {
				await this.git.run(['fetch', '--quiet', '--no-tags', '--depth', '1', 'origin', refspec(pushBranch)]);
				base = `origin/${pushBranch}`;
			} catch (error) {
				if (!(error instanceof GitCommandError) || !/couldn't find remote ref/i.test(error.output)) throw error;
				await this.git.run(['update-ref', '-d', `refs/remotes/origin/${pushBranch}`]).catch(() => undefined);
			}
		}
		await this.git.run(['reset', '--quiet', '--hard', base]);
		await this.git.run(['clean', '-qffdx']);
		return base;
	}

	/** The commit HEAD points at, read from .git directly (saves a git process per bump). */
	async head(): Promise<string> {
		const head = (await readFile(join(this.dir, '.git', 'HEAD'), 'utf8')).trim();
		if (!head.startsWith('ref: ')) return head;
		const ref = head.slice(5);
		const loose = await readFile(join(this.dir, '.git', ref), 'utf8').catch(() => undefined);
		return loose ? loose.trim() : (await this.git.run(['rev-parse', 'HEAD'])).stdout.trim();
	}
}
