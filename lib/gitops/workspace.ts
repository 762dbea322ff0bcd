import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { GitAccess } from './gitAccess';
import { GitCommandError, GitRunner } from './gitRunner';

/** Where cached clones live unless told otherwise. Disposable: delete it any time; each worker may have one. */
export function defaultCacheDir(): string {
	return (
		process.env.N8N_BUILDKIT_GIT_CACHE_DIR || join(tmpdir(), 'n8n-nodes-buildkit', 'git-cache')
	);
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

/**
 * The cold clone's filter: every blob up to 1 MiB comes with the commit (for a manifests repository, the whole
 * tip), bigger ones on demand. With `blob:none` each first read of a folder and each refresh that changed a
 * file in the cone cost one more round trip to the server (a lazy fetch, ~50-70 ms); with this filter a
 * refresh brings the changed manifests in its own pack. Large files (vendored charts, binaries) stay remote.
 */
const CLONE_FILTER = 'blob:limit=1m';

/**
 * A cache is cloned afresh after this many fetches. Each fetch that brings objects leaves one more promisor pack
 * (a partial clone never unpacks them) that every later command searches, each of our commits stays behind as
 * loose objects, and the history since the clone only grows; gc cannot clean a shallow partial clone (it counts
 * every promisor object as reachable). A fresh clone costs one cold bump (~0.3 s on the bench repo), about 1.5 ms
 * a bump spread over 200.
 */
export const RECLONE_AFTER = 200;

interface WorkspaceState {
	url: string;
	branch: string;
	partial: boolean;
	sparse: string[] | 'all';
	/**
	 * The commit HEAD, index and work tree are known to match exactly (set after a reset and after a pushed
	 * commit; cleared before an edit writes files). A refresh that finds the remote still there skips reset and clean.
	 */
	cleanAt?: string;
	/** Fetches since the clone (see RECLONE_AFTER). */
	fetches?: number;
}

/** The saved state, or 'broken' when it cannot be read or parsed (the cache is then rebuilt like a corrupt clone). */
async function readState(path: string): Promise<WorkspaceState | 'broken'> {
	try {
		const state = JSON.parse(await readFile(path, 'utf8')) as WorkspaceState;
		const sparseOk =
			state?.sparse === 'all' ||
			(Array.isArray(state?.sparse) && state.sparse.every((f) => typeof f === 'string'));
		return typeof state?.url === 'string' && typeof state.partial === 'boolean' && sparseOk
			? state
			: 'broken';
	} catch {
		return 'broken';
	}
}

/**
 * A cached clone of one branch of one repository. Cold: a shallow, sparse clone without large blobs, so only
 * the folders an edit reads are checked out; a normal clone when the server refuses filters. Warm: one fetch,
 * then reset --hard + clean only when the remote moved or the last bump left the tree dirty. Callers hold the
 * repository lock while using it.
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

	/** Opens (or clones) the cache and brings it to the tip an edit builds on (see refresh). */
	static async open(opts: {
		cacheDir: string;
		url: string;
		branch: string;
		pushBranch?: string;
		access: GitAccess;
		scope: string[];
		recloneAfter?: number;
	}): Promise<Workspace> {
		const dir = workspaceDir(opts.cacheDir, opts.url, opts.branch);
		const statePath = join(dir, '.git', STATE_FILE);
		let scope = opts.scope;
		const state = existsSync(statePath) ? await readState(statePath) : undefined;
		if (state === 'broken') {
			await rm(dir, { recursive: true, force: true });
		} else if (state) {
			// We hold the repository lock, so an index.lock is the leftover of a git process killed mid-write
			// (a cancelled execution): remove it, and trust neither index nor work tree until the next reset.
			if (existsSync(join(dir, '.git', 'index.lock'))) {
				await rm(join(dir, '.git', 'index.lock'), { force: true });
				state.cleanAt = undefined;
			}
			const workspace = new Workspace(dir, new GitRunner(dir, opts.access), state, true);
			if ((state.fetches ?? 0) >= (opts.recloneAfter ?? RECLONE_AFTER)) {
				// The fresh clone keeps the cone, so the folders read before need no lazy fetch later.
				scope = state.sparse === 'all' ? [''] : [...state.sparse, ...opts.scope];
			} else {
				try {
					await workspace.refresh(opts.branch, opts.pushBranch);
					await workspace.widen(opts.scope);
					return workspace;
				} catch (error) {
					// A broken cache is thrown away and rebuilt; a remote problem is the caller's to report.
					if (!(
						error instanceof GitCommandError &&
						/fatal: (not a git repository|bad object|unable to read)|corrupt|index file/i.test(
							error.output,
						)
					))
						throw error;
				}
			}
			await rm(dir, { recursive: true, force: true });
		}
		const workspace = await Workspace.cloneCold(dir, { ...opts, scope });
		if (opts.pushBranch && opts.pushBranch !== opts.branch)
			await workspace.refresh(opts.branch, opts.pushBranch);
		return workspace;
	}

	private static async cloneCold(
		dir: string,
		opts: { url: string; branch: string; access: GitAccess; scope: string[] },
	): Promise<Workspace> {
		await mkdir(dirname(dir), { recursive: true });
		const staging = `${dir}.clone-${randomBytes(4).toString('hex')}`;
		const parent = new GitRunner(dirname(dir), opts.access);
		const base = [
			'clone',
			'--quiet',
			'--no-tags',
			'--single-branch',
			'--depth',
			'1',
			'--branch',
			opts.branch,
			'--sparse',
		];
		let partial = true;
		try {
			try {
				const { stderr } = await parent.run([
					...base,
					`--filter=${CLONE_FILTER}`,
					'--',
					opts.url,
					staging,
				]);
				if (/filtering not recognized by server/i.test(stderr)) partial = false;
			} catch (error) {
				if (
					!(error instanceof GitCommandError) ||
					!/filter|partial clone|promisor/i.test(error.output)
				)
					throw error;
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
		const workspace = new Workspace(
			dir,
			new GitRunner(dir, opts.access),
			{ url: opts.url, branch: opts.branch, partial, sparse: [] },
			false,
		);
		workspace.state.cleanAt = await workspace.head();
		await workspace.widen(opts.scope, true);
		return workspace;
	}

	/** Written to a temp file and renamed over the old one, so a process killed mid-write never leaves half a file. */
	private async saveState(): Promise<void> {
		const path = join(this.dir, '.git', STATE_FILE);
		const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
		try {
			await writeFile(temp, JSON.stringify(this.state));
			await rename(temp, path);
		} catch (error) {
			await rm(temp, { force: true });
			throw error;
		}
	}

	/**
	 * Makes the sparse checkout include what the edit reads. The first call (cold) sets up a cone-mode sparse
	 * checkout with a sparse index, which holds only the checked-out folders, so reset and commit stay fast.
	 */
	async widen(scope: string[], first = false): Promise<void> {
		const wanted = sparseFolders(scope);
		if (this.state.sparse === 'all') return;
		if (wanted === 'all') {
			await this.git.run(['sparse-checkout', 'disable']);
			this.state.sparse = 'all';
		} else if (first) {
			await this.git.run(['sparse-checkout', 'set', '--cone', '--sparse-index', '--', ...wanted]);
			this.state.sparse = wanted;
		} else {
			const missing = wanted.filter(
				(f) =>
					!(this.state.sparse as string[]).some((have) => f === have || f.startsWith(`${have}/`)),
			);
			if (missing.length === 0) return;
			await this.git.run(['sparse-checkout', 'add', '--', ...missing]);
			this.state.sparse = [...(this.state.sparse as string[]), ...missing].sort();
		}
		await this.saveState();
	}

	/**
	 * Fetches `branch` (and `pushBranch` when it differs and exists) and makes the work tree the tip to build
	 * on: the push branch when it exists (updates stack up on a review branch), else the branch. Returns that ref.
	 * The fetch always runs, so what an edit sees (and a "no change" answer) is the remote's current state.
	 */
	async refresh(branch: string, pushBranch = branch): Promise<string> {
		await this.fetch(branch);
		let base = `origin/${branch}`;
		if (pushBranch !== branch) {
			try {
				await this.fetch(pushBranch);
				base = `origin/${pushBranch}`;
			} catch (error) {
				if (!(error instanceof GitCommandError) || !/couldn't find remote ref/i.test(error.output))
					throw error;
				await this.git
					.run(['update-ref', '-d', `refs/remotes/origin/${pushBranch}`])
					.catch(() => undefined);
			}
		}
		const tip = await this.readRef(`refs/remotes/${base}`);
		if (tip && tip === this.state.cleanAt && tip === (await this.head())) {
			await this.saveState(); // the fetch count
			return base;
		}
		await this.git.run(['reset', '--quiet', '--hard', base]);
		await this.git.run(['clean', '-qffdx']);
		await this.markClean(tip ?? (await this.head()));
		return base;
	}

	/**
	 * Fetches one branch into the shallow clone, without `--depth`: when the remote has not moved (the usual case
	 * right after our own push) git sees that from the ref list and stops there; with `--depth 1` it would ask
	 * for a pack anyway (another request and an index-pack, ~25-40 ms) and add a line to `.git/shallow` that is
	 * sent on every later fetch. When the branch moved, the server sends the commits since a commit we have.
	 * (If history was rewritten back past the clone, that is the history up to the clone: a one-off full fetch.)
	 * No FETCH_HEAD (nothing reads it), no forced-update scan (the cache follows the remote, forced or not); gc
	 * and maintenance are off in the pinned config.
	 */
	private async fetch(branch: string): Promise<void> {
		const refspec = `+refs/heads/${branch}:refs/remotes/origin/${branch}`;
		await this.git.run([
			'fetch',
			'--quiet',
			'--no-tags',
			'--no-write-fetch-head',
			'--no-show-forced-updates',
			'origin',
			refspec,
		]);
		this.state.fetches = (this.state.fetches ?? 0) + 1;
	}

	/** Records that HEAD, index and work tree are exactly `commit` (see WorkspaceState.cleanAt). */
	async markClean(commit: string | undefined): Promise<void> {
		this.state.cleanAt = commit;
		await this.saveState();
	}

	/** The commit HEAD points at, read from .git directly (saves a git process per bump). */
	async head(): Promise<string> {
		const head = (await readFile(join(this.dir, '.git', 'HEAD'), 'utf8')).trim();
		const commit = head.startsWith('ref: ') ? await this.readRef(head.slice(5)) : head;
		return commit ?? (await this.git.run(['rev-parse', 'HEAD'])).stdout.trim();
	}

	/** A ref's commit from its loose file or packed-refs; undefined when neither has it. */
	private async readRef(ref: string): Promise<string | undefined> {
		const loose = await readFile(join(this.dir, '.git', ref), 'utf8').catch(() => undefined);
		if (loose !== undefined)
			return /^[0-9a-f]{40,64}$/.test(loose.trim()) ? loose.trim() : undefined;
		const packed = await readFile(join(this.dir, '.git', 'packed-refs'), 'utf8').catch(() => '');
		const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
		return line?.split(' ')[0];
	}
}
