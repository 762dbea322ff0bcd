import { InputError, quoteValue } from './errors';

/**
 * Git remote URL checks shared by Create BuildKit Job (the URL goes into a pod) and Bump Git Manifest (git
 * runs here). They keep git safe: no transport that runs commands (`ext::`), no local files (`file://`)
 * unless allowed, no host that ssh would read as an option (`-oProxyCommand=…`), no value git would read as a
 * flag, no control characters, and no credentials in a URL (they would land in logs, Job specs and errors).
 */

export type GitUrlKind = 'https' | 'http' | 'ssh' | 'scp' | 'file';

export interface GitSource {
	url: string;
	kind: GitUrlKind;
	host: string;
}

export interface GitUrlRules {
	/** How messages name the URL, e.g. "Repository URL"; the field name when not given. */
	label?: string;
	/** Accept http:// remotes; when refused, `hints.plainHttp` says how to allow them. */
	allowPlainHttp: boolean;
	/** Accept file:// remotes (tests, local mirrors). */
	allowFile?: boolean;
	/**
	 * Characters a path may hold. 'rfc3986': RFC 3986 path characters, no query or fragment, for a URL handed
	 * on to BuildKit (which reads "#" as a ref). 'argv': any printable ASCII, for a URL git gets as one argv
	 * entry after "--".
	 */
	pathCharacters: 'rfc3986' | 'argv';
	/** Where credentials go instead of the URL, each a sentence ending the message. */
	hints: { credentials: string; sshPassword: string; plainHttp?: string };
}

const MAX_URL_LENGTH = 2048;
const hostname =
	'(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*';
const ipv6 = '\\[[0-9A-Fa-f:.]+\\]';
const hostPattern = `(?:${hostname}|${ipv6})`;
const PATH_CHARS = {
	// RFC 3986 path characters minus "?" and "#".
	rfc3986: "[A-Za-z0-9._~!$&'()*+,;=:@%/-]",
	argv: '[\\x21-\\x7e]',
};
const userPattern = '[A-Za-z0-9._-]+';

function patterns(pathChars: string) {
	return {
		http: new RegExp(`^(https?)://(${hostPattern})(?::([0-9]{1,5}))?(/${pathChars}*)$`),
		ssh: new RegExp(
			`^ssh://(?:(${userPattern})@)?(${hostPattern})(?::([0-9]{1,5}))?(/${pathChars}*)$`,
		),
		scp: new RegExp(`^(${userPattern})@(${hostPattern}):(${pathChars}+)$`),
		file: new RegExp(`^file://(?:localhost)?(/${pathChars}+)$`),
	};
}
const PATTERNS = { rfc3986: patterns(PATH_CHARS.rfc3986), argv: patterns(PATH_CHARS.argv) };

/**
 * Replaces the userinfo of every URL in `text` with "***" (`https://user:token@host` → `https://***@host`), so a
 * URL, a git error or a log line can be shown without its secret. git prints remote URLs in its errors, quoted.
 */
export function redactUrlCredentials(text: string): string {
	return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, '$1***@');
}

/** Checks a git remote URL; throws a InputError naming `field` that says what to change (never echoing credentials). */
export function checkGitUrl(text: string, field: string, rules: GitUrlRules): GitSource {
	const label = rules.label ?? field;
	const shown = () => quoteValue(redactUrlCredentials(String(text)));
	const fail = (why: string): never => {
		throw new InputError(field, `${label} ${shown()} ${why}`);
	};
	if (typeof text !== 'string' || text.length === 0) {
		throw new InputError(
			field,
			`${label} is empty: give the repository's clone URL, e.g. https://github.com/org/app.git or git@github.com:org/app.git.`,
		);
	}
	if (text.length > MAX_URL_LENGTH) fail(`is longer than ${MAX_URL_LENGTH} characters.`);
	if (/[\s\p{Cc}]/u.test(text))
		fail('contains whitespace or control characters: paste the clone URL alone.');
	if (/[^\u0020-\u007e]/.test(text))
		fail('contains non-ASCII characters: percent-encode them (e.g. %C3%A9).');
	if (text.startsWith('-'))
		fail('starts with "-", which git would read as an option: give the clone URL.');
	if (/^[a-z][a-z0-9+.-]*::/i.test(text))
		fail(
			'uses a git remote helper ("ext::", "fd::" …), which can run commands: use an https:// or ssh URL.',
		);
	const re = PATTERNS[rules.pathCharacters];
	if (rules.allowFile && /^file:/i.test(text)) {
		const m = re.file.exec(text);
		if (!m || m[1].startsWith('/-'))
			fail('is not a valid file URL: expected file:///path/to/repo.git.');
		return { url: text, kind: 'file', host: '' };
	}
	if (/^(file|git|ftp|ftps|rsync):/i.test(text) || text.startsWith('/') || text.startsWith('.')) {
		fail(
			'is not a network git URL: use https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git.',
		);
	}
	if (rules.pathCharacters === 'rfc3986' && /[?#]/.test(text)) {
		fail(
			'has a "?" query or "#" fragment: give the plain clone URL and put the branch, tag or commit in gitRevision.',
		);
	}

	if (/^https?:\/\//i.test(text)) {
		const authority = text.replace(/^https?:\/\//i, '').split('/')[0];
		if (authority.includes('@'))
			fail(
				`carries credentials (a user name, password or token): remove them from the URL; ${rules.hints.credentials}`,
			);
		const m = re.http.exec(text);
		if (!m) return fail('is not a valid https URL: expected https://host[:port]/org/repo.git.');
		const scheme = m[1].toLowerCase();
		if (scheme === 'http' && !rules.allowPlainHttp)
			fail(
				`uses plain http, which sends the code (and any token) unencrypted: use https://${rules.hints.plainHttp ? `, or ${rules.hints.plainHttp}` : ''}.`,
			);
		checkPort(m[3], fail);
		if (m[4] === '/' || m[4] === '')
			fail('has no repository path: expected https://host/org/repo.git.');
		return { url: text, kind: scheme === 'http' ? 'http' : 'https', host: m[2] };
	}
	if (/^ssh:\/\//i.test(text)) {
		const authority = text.slice('ssh://'.length).split('/')[0];
		if (/^[^@]*:[^@]*@/.test(authority))
			fail(`carries a password: ssh URLs take a user name only; ${rules.hints.sshPassword}`);
		const m = re.ssh.exec(text);
		if (!m) return fail('is not a valid ssh URL: expected ssh://git@host[:port]/org/repo.git.');
		checkPort(m[3], fail);
		if (m[4] === '/') fail('has no repository path: expected ssh://git@host/org/repo.git.');
		return { url: text, kind: 'ssh', host: m[2] };
	}
	const scp = re.scp.exec(text);
	if (scp) {
		if (scp[3].startsWith('-'))
			fail('has a path starting with "-": expected git@host:org/repo.git.');
		return { url: text, kind: 'scp', host: scp[2] };
	}
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text))
		fail('uses an unsupported scheme: use https:// or ssh:// (or git@host:org/repo.git).');
	return fail(
		'is not a git URL this node accepts: use https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git.',
	);
}

function checkPort(port: string | undefined, fail: (why: string) => never): void {
	if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
		fail('has a port outside 1-65535.');
}
