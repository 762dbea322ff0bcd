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
 * saying which it is. Full refs are unambiguous; for bare names a version-looking name is a tag, anything else
 * a branch. Only for git commits: see artifactName.
 */
function refFromName(name: string): Pick<FluxRevision, 'ref' | 'branch' | 'tag'> {
	if (name.startsWith('refs/')) return { ref: name, ...branchAndTag(name) };
	if (VERSION_LIKE.test(name)) return { ref: `refs/tags/${name}`, branch: null, tag: name };
	return { ref: `refs/heads/${name}`, branch: name, tag: null };
}

/**
 * The name in front of an artifact digest (`latest@sha256:…` from an OCIRepository, or from a Kustomization or
 * HelmRelease built from one) is the OCI tag the source follows: never a git branch, and no git ref.
 */
function artifactName(name: string): Pick<FluxRevision, 'ref' | 'branch' | 'tag'> {
	return { ref: null, branch: null, tag: name };
}

/**
 * Whether `<algorithm>:<hex>` names a git commit. sha1 always does; sha256 does only when a GitRepository
 * reports it (a SHA-256 git repository). Every other object reporting sha256 carries an artifact digest, since
 * OCI sources are common and SHA-256 git repositories are rare: a Kustomization on a SHA-256 git repository is
 * described as an artifact (its `revision` is still passed on as it is).
 */
function namesGitCommit(algorithm: string, kind: string | undefined): boolean {
	return algorithm === 'sha1' || (algorithm === 'sha256' && kind === 'GitRepository');
}

/**
 * Parses a Flux revision (`main@sha1:<sha>`, `v1.2.0@sha1:<sha>`, `refs/heads/main@sha1:<sha>`,
 * `latest@sha256:<digest>`, `sha256:<digest>`, legacy `main/<sha>`). Anything else, such as a Helm chart
 * version, parses to nothing: the caller keeps the raw `revision`.
 */
export function parseFluxRevision(
	revision: string | null | undefined,
	kind?: string,
): FluxRevision {
	if (!revision) return NOTHING;
	const current = CURRENT_FORMAT.exec(revision);
	if (current) {
		const [, name, algorithm, hex] = current;
		const isGitCommit = namesGitCommit(algorithm, kind);
		const named = !name
			? { ref: null, branch: null, tag: null }
			: isGitCommit
				? refFromName(name)
				: artifactName(name);
		return {
			...named,
			commit: isGitCommit ? fullSha(hex) : null,
			digest: isGitCommit ? null : `${algorithm}:${hex}`,
		};
	}
	const legacy = LEGACY_FORMAT.exec(revision);
	if (legacy) return { ...refFromName(legacy[1]), commit: fullSha(legacy[2]), digest: null };
	return { ...NOTHING, commit: fullSha(revision) };
}
