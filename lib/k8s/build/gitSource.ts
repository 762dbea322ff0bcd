import { checkGitUrl, type GitSource, type GitUrlKind } from '../../gitUrl';
import { InputError, quoteValue } from '../../errors';

export { type GitSource, type GitUrlKind };

/**
 * Git source checks. The URL and revision reach the pod only as env vars, so these checks are not what keeps
 * a shell safe; they keep git safe (lib/gitUrl.ts, shared with Bump Git Manifest) and BuildKit's reading of
 * the URL unambiguous (RFC 3986 characters, no "#"). Credentials are refused because they would land in the
 * Job spec, the annotations and the provenance.
 */
export function validateGitUrl(text: string, field: string, allowPlainHttp: boolean): GitSource {
	return checkGitUrl(text, field, {
		allowPlainHttp,
		pathCharacters: 'rfc3986',
		hints: {
			credentials:
				'store the token in a Kubernetes Secret (key "token") and name it in Options → Git Secret Name.',
			sshPassword:
				'put the key in a Secret (key "ssh-privatekey") and name it in Options → Git Secret Name.',
			plainHttp: 'turn on Options → Allow Plain HTTP Git for an in-cluster server',
		},
	});
}

const FULL_SHA = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;

export function isFullCommitSha(revision: string): boolean {
	return FULL_SHA.test(revision);
}

/**
 * A branch, tag (optionally as refs/heads/… or refs/tags/…) or full commit SHA, checked against
 * `git check-ref-format` rules plus: no leading "-" or "+" (git would read a flag or a forced refspec).
 * A full SHA comes back lower-cased; abbreviated SHAs are refused because a remote cannot be asked for one.
 */
export function validateGitRevision(text: string, field: string): string {
	const fail = (why: string): never => {
		throw new InputError(field, `${field} ${quoteValue(String(text))} ${why}`);
	};
	if (typeof text !== 'string' || text.length === 0) {
		throw new InputError(
			field,
			`${field} is empty: give a branch (main), a tag (v1.2.3) or a full 40-character commit SHA.`,
		);
	}
	if (isFullCommitSha(text)) return text.toLowerCase();
	if (text.length > 255) fail('is longer than 255 characters.');
	if (/^[0-9a-fA-F]{7,63}$/.test(text)) {
		fail(
			'looks like an abbreviated commit SHA, which cannot be fetched: give the full 40-character SHA (or refs/heads/<name> if it is really a branch).',
		);
	}
	if (/^[-+]/.test(text)) fail('starts with "-" or "+": give a branch, tag or full commit SHA.');
	if (/[\p{Cc} ~^:?*[\\]/u.test(text))
		fail(
			'contains a space, control character or one of ~ ^ : ? * [ \\, which git refs cannot hold.',
		);
	if (text.includes('..') || text.includes('@{') || text === '@')
		fail('contains "..", "@{" or is "@", which git refs cannot hold.');
	if (text.startsWith('/') || text.endsWith('/') || text.includes('//'))
		fail('has an empty path component (leading, trailing or double "/").');
	if (text.endsWith('.')) fail('ends with ".", which git refs cannot.');
	for (const component of text.split('/')) {
		if (component.startsWith('.'))
			fail('has a path component starting with ".", which git refs cannot.');
		if (component.endsWith('.lock'))
			fail('has a path component ending in ".lock", which git refs cannot.');
	}
	return text;
}
