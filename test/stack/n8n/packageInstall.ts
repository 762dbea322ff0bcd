import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	renameSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT, n8nToolchain, withNode24Path } from './toolchain';

export const PACKAGE_NAME = 'n8n-nodes-buildkit';

const SOURCE_DIRS = ['lib', 'nodes', 'credentials', 'icons'];
export const CACHE_ROOT =
	process.env.BUILDKIT_CACHE_DIR ?? join(homedir(), '.cache', 'n8n-nodes-buildkit');

function walk(dir: string, out: string[] = []): string[] {
	if (!existsSync(dir)) return out;
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const full = join(dir, entry.name);
		if (entry.isDirectory()) walk(full, out);
		else out.push(full);
	}
	return out;
}

/** Source files whose compiled (or copied) counterpart in dist/ is missing or older than the source. */
export function staleBuildOutputs(root = REPO_ROOT): string[] {
	const stale: string[] = [];
	for (const dir of SOURCE_DIRS) {
		for (const file of walk(join(root, dir))) {
			let target: string | undefined;
			if (file.endsWith('.d.ts') || file.endsWith('.test.ts')) continue;
			if (file.endsWith('.ts')) target = file.slice(0, -3) + '.js';
			else if (file.endsWith('.svg')) target = file;
			if (!target) continue;
			const built = join(root, 'dist', relative(root, target));
			// gulp copies icons with the source's mtime truncated to milliseconds: allow that 1 ms.
			if (!existsSync(built) || statSync(built).mtimeMs + 1 < statSync(file).mtimeMs)
				stale.push(relative(root, file));
		}
	}
	return stale;
}

/** Holds a directory lock while `fn` runs, so parallel jest workers don't build or install at the same time. */
export function withLock<T>(lockDir: string, fn: () => T): T {
	const deadline = Date.now() + 5 * 60_000;
	for (;;) {
		try {
			mkdirSync(lockDir);
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			// A lock older than the deadline was left by a killed process.
			if (Date.now() - statSync(lockDir).mtimeMs > 5 * 60_000)
				rmSync(lockDir, { recursive: true, force: true });
			if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockDir}`);
			Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
		}
	}
	try {
		return fn();
	} finally {
		rmSync(lockDir, { recursive: true, force: true });
	}
}

/**
 * `npm run build` when dist/ is older than the sources. tsc still emits when a file elsewhere in the tree
 * has a type error (others may be mid-edit), so a failing type check is reported but does not stop the pack.
 */
export function ensureBuilt(): void {
	if (staleBuildOutputs().length === 0) return;
	const tools = n8nToolchain();
	const env = withNode24Path(process.env, tools);
	mkdirSync(join(REPO_ROOT, 'test', '.tmp'), { recursive: true });
	withLock(join(REPO_ROOT, 'test', '.tmp', 'build.lock'), () => {
		if (staleBuildOutputs().length === 0) return;
		try {
			execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO_ROOT, env, stdio: 'pipe' });
		} catch (error) {
			const out = String((error as { stdout?: Buffer }).stdout ?? '');
			process.stderr.write(
				`[n8n stack] tsc reported errors; packing what it emitted:\n${out.slice(0, 2000)}\n`,
			);
		}
		execFileSync('npx', ['gulp', 'build:icons'], { cwd: REPO_ROOT, env, stdio: 'pipe' });
	});
}

/** `npm pack` of the repository (after ensureBuilt) into a fresh temp dir; returns the tarball path. */
export function packPackage(): string {
	ensureBuilt();
	const dest = mkdtempSync(join(tmpdir(), 'buildkit-pack-'));
	const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], {
		cwd: REPO_ROOT,
		env: withNode24Path(process.env, n8nToolchain()),
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const [{ filename }] = JSON.parse(out) as Array<{ filename: string }>;
	return join(dest, filename);
}

/** The package.json n8n's installer leaves behind: no dev, peer or optional dependencies. */
export function stripForInstall(pkg: Record<string, unknown>): Record<string, unknown> {
	const {
		devDependencies: _dev,
		peerDependencies: _peer,
		optionalDependencies: _opt,
		...rest
	} = pkg;
	return rest;
}

/**
 * n8n refuses the whole package when one listed file is missing. While nodes are still being written, the stack
 * loads what dist/ has and says what it left out (tests that expect every node then fail, as they should).
 */
function withoutMissingEntries(pkg: Record<string, any>, dir: string): Record<string, any> {
	const n8n = pkg.n8n as { nodes?: string[]; credentials?: string[] } | undefined;
	if (!n8n) return pkg;
	const present = (files: string[] = []) => {
		const missing = files.filter((f) => !existsSync(join(dir, f)));
		if (missing.length > 0)
			process.stderr.write(
				`[n8n stack] not in the packed dist/, not loaded: ${missing.join(', ')}\n`,
			);
		return files.filter((f) => existsSync(join(dir, f)));
	};
	return {
		...pkg,
		n8n: { ...n8n, nodes: present(n8n.nodes), credentials: present(n8n.credentials) },
	};
}

/** Runtime dependencies are cached by the lockfile and the dependency list, so repeated starts skip npm. */
function dependencyCacheKey(pkg: Record<string, unknown>): string {
	const hash = createHash('sha256');
	hash.update(readFileSync(join(REPO_ROOT, 'package-lock.json')));
	hash.update(JSON.stringify(pkg.dependencies ?? {}));
	return hash.digest('hex').slice(0, 16);
}

/**
 * The package's runtime node_modules, made once per dependency set exactly as n8n's
 * CommunityPackagesService installs a package: `npm install` in the package dir with scripts off.
 */
function installedDependencies(pkg: Record<string, unknown>): string {
	const dir = join(CACHE_ROOT, 'package-deps', dependencyCacheKey(pkg));
	const modules = join(dir, 'node_modules');
	if (existsSync(modules)) return modules;
	mkdirSync(dir, { recursive: true });
	return withLock(`${dir}.lock`, () => {
		if (existsSync(modules)) return modules;
		const staging = mkdtempSync(join(dir, 'staging-'));
		writeFileSync(join(staging, 'package.json'), JSON.stringify(pkg, null, 2));
		execFileSync(
			'npm',
			[
				'install',
				'--audit=false',
				'--fund=false',
				'--bin-links=false',
				'--install-strategy=shallow',
				'--ignore-scripts=true',
				'--package-lock=false',
				'--omit=dev',
			],
			{ cwd: staging, env: withNode24Path(process.env, n8nToolchain()), stdio: 'pipe' },
		);
		renameSync(join(staging, 'node_modules'), modules);
		rmSync(staging, { recursive: true, force: true });
		return modules;
	});
}

/**
 * Installs the packed package into `<userFolder>/.n8n/nodes/node_modules/n8n-nodes-buildkit`, where n8n's
 * community-package loader finds it at start (no database row needed). Returns the package directory.
 */
export function installPackage(userFolder: string, tarball: string): string {
	const target = join(userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
	mkdirSync(target, { recursive: true });
	execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
	const pkg = withoutMissingEntries(
		stripForInstall(JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'))),
		target,
	);
	writeFileSync(join(target, 'package.json'), JSON.stringify(pkg, null, 2));
	symlinkSync(installedDependencies(pkg), join(target, 'node_modules'), 'dir');
	return target;
}
