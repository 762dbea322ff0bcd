import { branchAndTag, fullSha } from './gitRef';

/** What a Flux revision string says about refs and objects. Every field is null when the string doesn't say. */
export interface FluxRevision {
	ref: string | null;
	branch: string | null;
	tag: string | null;
	/** A full git commit SHA. Helm chart versions like `0.0.2+eb02f2ecb66c` carry only a short one: null. */
	commit: string | null;
	/** An artifact digest (`sha256:…`) from OCIRepository, Bucket and similar sources. */
	digest: string | null;
}

const NOTHING: FluxRevision = { ref: null, branch: null, tag: null, commit: null, digest: null };

/** `<name>@<algorithm>:<hex>` or just `<algorithm>:<hex>` (Flux 2.0+, RFC-0005). */
const CURRENT_FORMAT = /^(?:(.+)@)?(sha1|sha256|sha384|sha512|blake3):([0-9a-f]+)$/;
/** `<branch>/<sha>` (Flux before 2.0). */
const LEGACY_FORMAT = /^(.+)\/([0-9a-f]{40})$/;
/** Looks like a release, so a bare name is taken for a tag rather than a branch. */
const VERSION_LIKE = /^v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.+-]*)?$/;

/**
 * Flux writes the branch name for `spec.ref.branch` and the tag name for `spec.ref.tag`/`semver` without
 * saying which it is. Full refs are unambiguous; for bare names a version-looking name is a tag (OCI
 * artifacts' names are always tags), anything else a branch.
 */
function refFromName(name: string, kind: string | undefined): Pick<FluxRevision, 'ref' | 'branch' | 'tag'> {
	if (name.startsWith('refs/')) return { ref: name, ...branchAndTag(name) };
	if (kind === 'OCIRepository') return { ref: null, branch: null, tag: name };
	if (VERSION_LIKE.test(name)) return { ref: `refs/tags/${name}`, branch: null, tag: name };
	return { ref: `refs/heads/${name}`, branch: name, tag: null };
}

/**
 * Parses a Flux revision (`main@sha1:<sha>`, `v1.2.0@sha1:<sha>`, `refs/heads/main@sha1:<sha>`,
 * `latest@sha256:<digest>`, `sha256:<digest>`, legacy `main/<sha>`). Anything else, such as a Helm chart
 * version, parses to nothing: the caller keeps the raw `revision`.
 */
export function parseFluxRevision(revision: string | null | undefined, kind?: string): FluxRevision {
	if (!revision) return NOTHING;
	const current = CURRENT_FORMAT.exec(revision);
	if (current) {
		const [, name, algorithm, hex] = current;
		const named = name ? refFromName(name, kind) : { ref: null, branch: null, tag: null };
		// A git repository names commits with sha1 (or sha256 in SHA-256 repositories); other sources name artifacts.
		const isGitCommit = algorithm === 'sha1' || (algorithm === 'sha256' && kind === 'GitRepository');
		return {
			...named,
			commit: isGitCommit ? fullSha(hex) : null,
			digest: isGitCommit ? null : `${algorithm}:${hex}`,
		};
	}
	const legacy = LEGACY_FORMAT.exec(revision);
	if (legacy) return { ...refFromName(legacy[1], kind), commit: fullSha(legacy[2]), digest: null };
	return { ...NOTHING, commit: fullSha(revision) };
}
