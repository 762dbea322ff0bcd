import { execFile, spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const run = promisify(execFile);

/** Environment for the stack's own git commands: no user or system config, no prompts, fixed identity. */
export const stackGitEnv: NodeJS.ProcessEnv = {
	PATH: process.env.PATH,
	HOME: tmpdir(),
	GIT_CONFIG_NOSYSTEM: '1',
	GIT_CONFIG_GLOBAL: '/dev/null',
	GIT_TERMINAL_PROMPT: '0',
	GIT_AUTHOR_NAME: 'stack',
	GIT_AUTHOR_EMAIL: 'stack@127.0.0.1',
	GIT_COMMITTER_NAME: 'stack',
	GIT_COMMITTER_EMAIL: 'stack@127.0.0.1',
};

export async function git(args: string[], cwd?: string, input?: string): Promise<string> {
	if (input === undefined) {
		const { stdout } = await run('git', args, {
			cwd,
			env: stackGitEnv,
			maxBuffer: 256 * 1024 * 1024,
		});
		return stdout;
	}
	return new Promise((resolve, reject) => {
		const child = spawn('git', args, { cwd, env: stackGitEnv });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.on('error', reject);
		child.on('close', (code) =>
			code === 0 ? resolve(stdout) : reject(new Error(`git ${args.join(' ')}: ${stderr}`)),
		);
		child.stdin.end(input);
	});
}

export interface BareRepoOptions {
	branch?: string;
	message?: string;
	/** uploadpack.allowFilter; true by default so partial clones work. */
	allowFilter?: boolean;
}

/** Server-side settings of every stack repo: push over HTTP, partial clone, and a reflog to audit pushes. */
async function configureBareRepo(dir: string, allowFilter: boolean): Promise<void> {
	await git(['config', 'http.receivepack', 'true'], dir);
	await git(['config', 'uploadpack.allowFilter', String(allowFilter)], dir);
	await git(['config', 'uploadpack.allowAnySHA1InWant', 'true'], dir);
	await git(['config', 'core.logAllRefUpdates', 'always'], dir);
}

/** Creates `<root>/<name>.git` with one commit holding `files` (path → exact bytes as a string). */
export async function createBareRepoAt(
	root: string,
	name: string,
	files: Record<string, string>,
	opts: BareRepoOptions = {},
): Promise<string> {
	const branch = opts.branch ?? 'main';
	const bare = join(root, `${name}.git`);
	await mkdir(dirname(bare), { recursive: true });
	await git(['init', '-q', '--bare', '-b', branch, bare]);
	await configureBareRepo(bare, opts.allowFilter ?? true);
	if (Object.keys(files).length === 0) return bare;
	const work = await mkdtemp(join(tmpdir(), 'stack-git-seed-'));
	try {
		await git(['init', '-q', '-b', branch], work);
		await git(['config', 'core.autocrlf', 'false'], work);
		for (const [path, content] of Object.entries(files)) {
			await mkdir(dirname(join(work, path)), { recursive: true });
			await writeFile(join(work, path), content);
		}
		await git(['add', '-A'], work);
		await git(['commit', '-q', '-m', opts.message ?? 'initial'], work);
		await git(['push', '-q', bare, `HEAD:refs/heads/${branch}`], work);
	} finally {
		await rm(work, { recursive: true, force: true });
	}
	return bare;
}

/** A `file://` repository (no server), for the local-path case and fast unit tests. */
export async function createFileRepo(
	files: Record<string, string>,
	opts: BareRepoOptions & { root?: string; name?: string } = {},
): Promise<{ url: string; dir: string }> {
	const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'stack-git-file-')));
	const dir = await createBareRepoAt(root, opts.name ?? 'repo', files, opts);
	return { url: pathToFileURL(dir).href, dir };
}

export interface GitServer {
	baseUrl: string;
	root: string;
	username?: string;
	password?: string;
	pid: number;
	repoUrl(name: string): string;
	/** The same repo with credentials in the URL, for the stack's own git commands only. */
	authedRepoUrl(name: string): string;
	createBareRepo(
		name: string,
		files: Record<string, string>,
		opts?: BareRepoOptions,
	): Promise<string>;
	/** Serves a copy of an existing bare repo (objects hard-linked) as `name`. */
	importBareRepo(
		name: string,
		sourceDir: string,
		opts?: { allowFilter?: boolean },
	): Promise<string>;
	repoDir(name: string): string;
	stop(): Promise<void>;
}

const servers = new Map<string, string>(); // baseUrl -> root, so helpers accept URLs

/** Starts `git http-backend` behind a loopback HTTP server in its own process (see http-server.js). */
export async function startGitServer(
	opts: { username?: string; password?: string; root?: string } = {},
): Promise<GitServer> {
	const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'stack-git-http-')));
	const args = [join(__dirname, 'http-server.js'), '--root', root];
	if (opts.username !== undefined)
		args.push('--username', opts.username, '--password', opts.password ?? '');
	const child = spawn(process.execPath, args, {
		stdio: ['ignore', 'pipe', 'inherit'],
		env: { PATH: process.env.PATH, HOME: process.env.HOME },
	});
	const line = await new Promise<string>((resolve, reject) => {
		const lines = createInterface({ input: child.stdout! });
		lines.once('line', resolve);
		child.once('exit', (code) => reject(new Error(`git http server exited with ${code}`)));
		child.once('error', reject);
	});
	const { url } = JSON.parse(line) as { url: string };
	servers.set(url, root);
	const pid = child.pid!;
	const repoDir = (name: string) => join(root, `${name}.git`);
	const repoUrl = (name: string) => `${url}/${name}.git`;
	const authedRepoUrl = (name: string) => {
		if (opts.username === undefined) return repoUrl(name);
		const u = new URL(repoUrl(name));
		u.username = encodeURIComponent(opts.username);
		u.password = encodeURIComponent(opts.password ?? '');
		return u.href;
	};
	return {
		baseUrl: url,
		root,
		username: opts.username,
		password: opts.password,
		pid,
		repoUrl,
		authedRepoUrl,
		repoDir,
		async createBareRepo(name, files, repoOpts) {
			await createBareRepoAt(root, name, files, repoOpts);
			return repoUrl(name);
		},
		async importBareRepo(name, sourceDir, importOpts) {
			await git(['clone', '-q', '--bare', sourceDir, repoDir(name)]);
			await git(['remote', 'remove', 'origin'], repoDir(name));
			await configureBareRepo(repoDir(name), importOpts?.allowFilter ?? true);
			return repoUrl(name);
		},
		async stop() {
			servers.delete(url);
			if (child.exitCode !== null) return;
			const exited = new Promise((resolve) => child.once('exit', resolve));
			process.kill(pid, 'SIGTERM');
			await exited;
		},
	};
}

/** Maps a served URL, a file:// URL or a path to the bare repo directory. */
export function bareRepoDir(repoDirOrUrl: string): string {
	if (repoDirOrUrl.startsWith('file://')) return fileURLToPath(repoDirOrUrl);
	if (/^https?:\/\//.test(repoDirOrUrl)) {
		const u = new URL(repoDirOrUrl);
		const root = servers.get(`${u.protocol}//${u.host}`);
		if (!root) throw new Error(`no stack git server serves ${u.host}`);
		return join(root, decodeURIComponent(u.pathname));
	}
	return repoDirOrUrl;
}

/** The exact bytes (as UTF-8 text) of `file` at the tip of `branch` on the server side. */
export async function readRemoteFile(
	repoDirOrUrl: string,
	branch: string,
	file: string,
): Promise<string> {
	return git(['cat-file', 'blob', `refs/heads/${branch}:${file}`], bareRepoDir(repoDirOrUrl));
}

/** Commits reachable from `branch`, newest first. */
export async function remoteLog(
	repoDirOrUrl: string,
	branch = 'main',
): Promise<Array<{ sha: string; message: string; parents: string[] }>> {
	const out = await git(
		['log', '--format=%H%x00%P%x00%B%x1e', `refs/heads/${branch}`],
		bareRepoDir(repoDirOrUrl),
	);
	return out
		.split('\x1e')
		.map((entry) => entry.replace(/^\n/, ''))
		.filter((entry) => entry.length > 0)
		.map((entry) => {
			const [sha, parents, message] = entry.split('\x00');
			return { sha, parents: parents ? parents.split(' ') : [], message: message.trimEnd() };
		});
}

/** Every update the server recorded for `branch` (oldest first): from → to. A force-push shows as to not descending from. */
export async function remoteRefUpdates(
	repoDirOrUrl: string,
	branch = 'main',
): Promise<Array<{ from: string; to: string }>> {
	const dir = bareRepoDir(repoDirOrUrl);
	const text = await readFile(join(dir, 'logs', 'refs', 'heads', branch), 'utf8').catch(() => '');
	return text
		.split('\n')
		.filter(Boolean)
		.map((line) => {
			const [from, to] = line.split(' ');
			return { from, to };
		});
}

/** True when every recorded update of `branch` was a fast-forward (no force-push ever rewrote it). */
export async function onlyFastForwards(repoDirOrUrl: string, branch = 'main'): Promise<boolean> {
	const dir = bareRepoDir(repoDirOrUrl);
	for (const { from, to } of await remoteRefUpdates(dir, branch)) {
		if (/^0+$/.test(from)) continue;
		try {
			await git(['merge-base', '--is-ancestor', from, to], dir);
		} catch {
			return false;
		}
	}
	return true;
}

/**
 * Commits `files` (path → content) on top of `branch` directly in the bare repo (no clone: hash-object +
 * a temporary index + commit-tree + update-ref) and returns the new commit's SHA, as a developer's push would.
 */
export async function commitFiles(
	repoDirOrUrl: string,
	files: Record<string, string>,
	opts: { branch?: string; message?: string } = {},
): Promise<string> {
	const dir = bareRepoDir(repoDirOrUrl);
	const branch = opts.branch ?? 'main';
	const parent = (await git(['rev-parse', `refs/heads/${branch}`], dir)).trim();
	const index = join(await mkdtemp(join(tmpdir(), 'stack-git-index-')), 'index');
	const withIndex = (args: string[], input?: string) =>
		new Promise<string>((resolve, reject) => {
			const child = spawn('git', args, {
				cwd: dir,
				env: { ...stackGitEnv, GIT_INDEX_FILE: index },
			});
			let out = '';
			let err = '';
			child.stdout.on('data', (d) => (out += d));
			child.stderr.on('data', (d) => (err += d));
			child.on('close', (code) =>
				code === 0 ? resolve(out.trim()) : reject(new Error(`git ${args.join(' ')}: ${err}`)),
			);
			// git may exit before reading all of stdin (EPIPE); its exit code and stderr tell what happened.
			child.stdin.on('error', () => undefined);
			child.stdin.end(input);
		});
	try {
		await withIndex(['read-tree', parent]);
		for (const [path, content] of Object.entries(files)) {
			const blob = await withIndex(['hash-object', '-w', '--stdin'], content);
			await withIndex(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
		}
		const tree = await withIndex(['write-tree']);
		const commit = await withIndex([
			'commit-tree',
			tree,
			'-p',
			parent,
			'-m',
			opts.message ?? 'Change the app',
		]);
		await git(['update-ref', `refs/heads/${branch}`, commit, parent], dir);
		return commit;
	} finally {
		await rm(dirname(index), { recursive: true, force: true });
	}
}
