import { BuildInputError, quoteValue } from './buildInputsError';

/**
 * Git source checks. The URL and revision reach the pod only as env vars, so these checks are not what keeps
 * a shell safe; they keep git safe: no transport that runs commands (`ext::`), no local files (`file://`),
 * no host that ssh would read as an option (`-oProxyCommand=…`), no value git would read as a flag, and no
 * credentials in a URL (they would land in the Job spec, the annotations and the provenance).
 */

export type GitUrlKind = 'https' | 'http' | 'ssh' | 'scp';

export interface GitSource {
	url: string;
	kind: GitUrlKind;
	host: string;
}

const MAX_URL_LENGTH = 2048;
const hostname = '(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*';
const ipv6 = '\\[[0-9A-Fa-f:.]+\\]';
const hostPattern = `(?:${hostname}|${ipv6})`;
// RFC 3986 path characters minus "?" and "#" (no query or fragment: BuildKit reads "#" as a ref selector).
const pathChars = "[A-Za-z0-9._~!$&'()*+,;=:@%/-]";
const userPattern = '[A-Za-z0-9._-]+';

const httpRegex = new RegExp(`^(https?)://(${hostPattern})(?::([0-9]{1,5}))?(/${pathChars}*)$`);
const sshRegex = new RegExp(`^ssh://(?:(${userPattern})@)?(${hostPattern})(?::([0-9]{1,5}))?(/${pathChars}*)$`);
const scpRegex = new RegExp(`^(${userPattern})@(${hostPattern}):(${pathChars}+)$`);

/** Replaces any userinfo with "***" so an error message can show the URL without its secret. */
export function redactUrl(text: string): string {
	return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}

export function validateGitUrl(text: string, field: string, allowPlainHttp: boolean): GitSource {
	const shown = () => quoteValue(redactUrl(String(text)));
	const fail = (why: string): never => {
		throw new BuildInputError(field, `${field} ${shown()} ${why}`);
	};
	if (typeof text !== 'string' || text.length === 0) {
		throw new BuildInputError(field, `${field} is empty: give the repository's clone URL, e.g. https://github.com/org/app.git or git@github.com:org/app.git.`);
	}
	if (text.length > MAX_URL_LENGTH) fail(`is longer than ${MAX_URL_LENGTH} characters.`);
	if (/[\s\u0000-\u001f\u007f]/.test(text)) fail('contains whitespace or control characters: paste the clone URL alone.');
	if (/[^\u0020-\u007e]/.test(text)) fail('contains non-ASCII characters: percent-encode them (e.g. %C3%A9).');
	if (text.startsWith('-')) fail('starts with "-", which git would read as an option: give the clone URL.');
	if (/^[a-z][a-z0-9+.-]*::/i.test(text)) fail('uses a git remote helper ("ext::", "fd::" …), which can run commands: use an https:// or ssh URL.');
	if (/^(file|git|ftp|ftps|rsync):/i.test(text) || text.startsWith('/') || text.startsWith('.')) {
		fail('is not a network git URL: use https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git.');
	}
	if (/[?#]/.test(text)) fail('has a "?" query or "#" fragment: give the plain clone URL and put the branch, tag or commit in gitRevision.');

	if (/^https?:\/\//i.test(text)) {
		const authority = text.replace(/^https?:\/\//i, '').split('/')[0];
		if (authority.includes('@')) {
			throw new BuildInputError(
				field,
				`${field} ${shown()} carries credentials: remove them from the URL, store the token in a Kubernetes Secret (key "token") and name it in Options → Git Secret Name.`,
			);
		}
		const m = httpRegex.exec(text);
		if (!m) return fail('is not a valid https URL: expected https://host[:port]/org/repo.git.');
		const scheme = m[1].toLowerCase();
		if (scheme === 'http' && !allowPlainHttp) {
			fail('uses plain http, which sends the code (and any token) unencrypted: use https://, or turn on Options → Allow Plain HTTP Git for an in-cluster server.');
		}
		checkPort(m[3], fail);
		if (m[4] === '/' || m[4] === '') fail('has no repository path: expected https://host/org/repo.git.');
		return { url: text, kind: scheme === 'http' ? 'http' : 'https', host: m[2] };
	}
	if (/^ssh:\/\//i.test(text)) {
		const authority = text.slice('ssh://'.length).split('/')[0];
		if (/^[^@]*:[^@]*@/.test(authority)) {
			throw new BuildInputError(field, `${field} ${shown()} carries a password: ssh URLs take a user name only; put the key in a Secret (key "ssh-privatekey") and name it in Options → Git Secret Name.`);
		}
		const m = sshRegex.exec(text);
		if (!m) return fail('is not a valid ssh URL: expected ssh://git@host[:port]/org/repo.git.');
		checkPort(m[3], fail);
		if (m[4] === '/') fail('has no repository path: expected ssh://git@host/org/repo.git.');
		return { url: text, kind: 'ssh', host: m[2] };
	}
	const scp = scpRegex.exec(text);
	if (scp) {
		if (scp[3].startsWith('-')) fail('has a path starting with "-": expected git@host:org/repo.git.');
		return { url: text, kind: 'scp', host: scp[2] };
	}
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) fail('uses an unsupported scheme: use https:// or ssh:// (or git@host:org/repo.git).');
	return fail('is not a git URL this node accepts: use https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git.');
}

function checkPort(port: string | undefined, fail: (why: string) => never): void {
	if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) fail('has a port outside 1-65535.');
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
		throw new BuildInputError(field, `${field} ${quoteValue(String(text))} ${why}`);
	};
	if (typeof text !== 'string' || text.length === 0) {
		throw new BuildInputError(field, `${field} is empty: give a branch (main), a tag (v1.2.3) or a full 40-character commit SHA.`);
	}
	if (isFullCommitSha(text)) return text.toLowerCase();
	if (text.length > 255) fail('is longer than 255 characters.');
	if (/^[0-9a-fA-F]{7,63}$/.test(text)) {
		fail('looks like an abbreviated commit SHA, which cannot be fetched: give the full 40-character SHA (or refs/heads/<name> if it is really a branch).');
	}
	if (/^[-+]/.test(text)) fail('starts with "-" or "+": give a branch, tag or full commit SHA.');
	if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(text)) fail('contains a space, control character or one of ~ ^ : ? * [ \\, which git refs cannot hold.');
	if (text.includes('..') || text.includes('@{') || text === '@') fail('contains "..", "@{" or is "@", which git refs cannot hold.');
	if (text.startsWith('/') || text.endsWith('/') || text.includes('//')) fail('has an empty path component (leading, trailing or double "/").');
	if (text.endsWith('.')) fail('ends with ".", which git refs cannot.');
	for (const component of text.split('/')) {
		if (component.startsWith('.')) fail('has a path component starting with ".", which git refs cannot.');
		if (component.endsWith('.lock')) fail('has a path component ending in ".lock", which git refs cannot.');
	}
	return text;
}
