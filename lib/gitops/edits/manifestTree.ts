import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { quoteValue } from '../../errors';
import { inputError } from '../errors';

/** Files Flux's setters consider: `*.yaml`, `*.yml` and a file named exactly `Kustomization`. */
export function isManifestFileName(name: string): boolean {
	return /\.ya?ml$/i.test(name) || basename(name) === 'Kustomization';
}

const LABELS: Record<string, string> = {
	path: 'Path',
	file: 'File',
	chartPath: 'Chart Path',
	valuesFile: 'Values File',
};

/**
 * A relative path, checked to stay inside `within` (the repository root, or the chart folder for a values
 * file) before any git command sees it: no absolute paths, no `..` escapes, nothing git would read as an
 * option, nothing in `.git`, no control characters. '' and '.' mean the root. Returns the normalised path.
 */
export function repoPath(path: string, field: string, within = 'the repository'): string {
	const fail = (why: string): never => {
		throw inputError(`${LABELS[field] ?? field} ${quoteValue(path)} ${why}`, field);
	};
	if (/\p{Cc}/u.test(path)) fail('contains a control character: give a plain relative path');
	const trimmed = path.trim();
	const escapes = `is outside ${within}: give a path relative to ${within === 'the repository' ? 'the repository root' : within}, e.g. apps/webapp`;
	if (posix.isAbsolute(trimmed)) fail(escapes);
	const cleaned = posix.normalize(trimmed || '.').replace(/\/+$/, '');
	if (cleaned === '..' || cleaned.startsWith('../')) fail(escapes);
	if (cleaned.startsWith('-'))
		fail(
			'starts with "-", which git would read as an option: give a relative path such as apps/webapp',
		);
	if (cleaned.split('/').includes('.git'))
		fail("is inside .git, which holds git's own files: give a path of the work tree");
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
