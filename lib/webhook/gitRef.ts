/** Small facts about git refs and object names that every provider's push payload needs. */

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ALL_ZEROS = /^0+$/;

/** A full SHA-1 or SHA-256 object name, or null (short SHAs and the all-zero "no object" name are not commits). */
export function fullSha(value: unknown): string | null {
	if (typeof value !== 'string') return null;
	const lower = value.toLowerCase();
	return FULL_SHA.test(lower) && !ALL_ZEROS.test(lower) ? lower : null;
}

/** Git announces a deleted ref as a push whose new value is the all-zero object name. */
export function isDeletion(after: unknown): boolean {
	return typeof after === 'string' && after.length > 0 && ALL_ZEROS.test(after);
}

/** `refs/heads/x` → branch x, `refs/tags/v1` → tag v1; anything else (refs/pull/…) is neither. */
export function branchAndTag(ref: string | null): { branch: string | null; tag: string | null } {
	if (ref?.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length), tag: null };
	if (ref?.startsWith('refs/tags/')) return { branch: null, tag: ref.slice('refs/tags/'.length) };
	return { branch: null, tag: null };
}

interface CommitFiles {
	id?: unknown;
	added?: unknown;
	modified?: unknown;
	removed?: unknown;
}

/** Every path any listed commit added, modified or removed, each once, in first-seen order. */
export function changedFilesOf(commits: unknown): string[] {
	const files = new Set<string>();
	if (!Array.isArray(commits)) return [];
	for (const commit of commits as CommitFiles[]) {
		for (const list of [commit?.added, commit?.modified, commit?.removed]) {
			if (!Array.isArray(list)) continue;
			for (const file of list) if (typeof file === 'string') files.add(file);
		}
	}
	return [...files];
}

/**
 * The first listed commit that carries none of the added/modified/removed lists (Gitea's documented example,
 * generic senders), so its files are unknown; null when every commit has them.
 */
export function commitWithoutFileLists(commits: readonly unknown[]): string | null {
	for (const commit of commits as CommitFiles[]) {
		if (![commit?.added, commit?.modified, commit?.removed].some(Array.isArray)) {
			return typeof commit?.id === 'string' ? commit.id.slice(0, 12) : '(no id)';
		}
	}
	return null;
}
