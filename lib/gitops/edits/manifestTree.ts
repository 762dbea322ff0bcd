import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, sep } from 'node:path';
import { inputError } from '../errors';

/** Files Flux's setters consider: `*.yaml`, `*.yml` and a file named exactly `Kustomization`. */
export function isManifestFileName(name: string): boolean {
	return /\.ya?ml$/i.test(name) || basename(name) === 'Kustomization';
}

/**
 * A repository-relative path, checked to stay inside the work tree: no absolute paths, no `..` escapes.
 * '' and '.' mean the root.
 */
export function repoPath(path: string, field: string): string {
	const cleaned = normalize(path.trim().replace(/^\.\/+/, '') || '.').replace(/\/+$/, '');
	if (isAbsolute(cleaned) || cleaned === '..' || cleaned.startsWith(`..${sep}`)) {
		throw inputError(`"${path}" is outside the repository: give a path relative to the repository root`, field);
	}
	return cleaned === '.' ? '' : cleaned;
}

/** Reads a regular file of the work tree; undefined when it does not exist. Symlinks are never followed. */
export async function readTreeFile(root: string, path: string): Promise<string | undefined> {
	const full = join(root, path);
	const stat = await lstat(full).catch(() => undefined);
	if (!stat || !stat.isFile()) return undefined;
	return readFile(full, 'utf8');
}

export async function isTreeDirectory(root: string, path: string): Promise<boolean> {
	const stat = await lstat(join(root, path)).catch(() => undefined);
	return Boolean(stat?.isDirectory());
}

/** Manifest files under `dir` (recursive, sorted, `.git` and symlinks skipped), relative to root. */
export async function listManifestFiles(root: string, dir: string): Promise<string[]> {
	const found: string[] = [];
	const walk = async (current: string): Promise<void> => {
		const entries = await readdir(join(root, current), { withFileTypes: true });
		for (const entry of entries) {
			const path = current ? `${current}/${entry.name}` : entry.name;
			if (entry.isDirectory() && entry.name !== '.git') await walk(path);
			else if (entry.isFile() && isManifestFileName(entry.name)) found.push(path);
		}
	};
	await walk(dir);
	return found.sort();
}

