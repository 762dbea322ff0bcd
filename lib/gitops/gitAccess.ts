import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkGitUrl, type GitUrlRules } from '../gitUrl';
import { InputError } from '../errors';
import { DEFAULT_ALLOW_PLAIN_HTTP } from './defaults';

/** The gitRepositoryApi credential's fields (credentials/GitRepositoryApi.credentials.ts). */
export interface GitCredential {
	authentication?: 'https' | 'ssh';
	username?: string;
	token?: string;
	sshPrivateKey?: string;
	knownHosts?: string;
	authorName?: string;
	authorEmail?: string;
}

export interface GitAccessOptions {
	/** Allow file:// remotes (tests, local mirrors). Off by default, like n8n's Git node. */
	allowFileProtocol?: boolean;
	/** Allow http:// remotes: the repository and the token travel unencrypted. Off by default (DEFAULT_ALLOW_PLAIN_HTTP). */
	allowPlainHttp?: boolean;
	/** Directory to use as HOME, so no user config (~/.gitconfig, ~/.ssh/config) is read. */
	home?: string;
}

/**
 * What one git command needs to reach a remote: an environment (hardening + credentials) and the secrets to
 * redact from anything it prints. Credentials live only in this environment and temp files that `dispose`
 * removes; never in the remote URL, argv or `.git/config`.
 */
export interface GitAccess {
	env: Record<string, string>;
	secrets: string[];
	dispose(): Promise<void>;
}

/**
 * Config pinned for every command, given through GIT_CONFIG_COUNT (highest precedence after -c), so a cached
 * clone's `.git/config` cannot make git run a program: no hooks, no fsmonitor, no credential helpers, no
 * signing programs, no submodules; symlinks are checked out as plain files so edits never leave the tree.
 */
const PINNED_CONFIG: Array<[string, string]> = [
	['core.hooksPath', '/dev/null'],
	['core.fsmonitor', 'false'],
	['core.symlinks', 'false'],
	['core.autocrlf', 'false'],
	['credential.helper', ''],
	['commit.gpgSign', 'false'],
	['tag.gpgSign', 'false'],
	['submodule.recurse', 'false'],
	['fetch.recurseSubmodules', 'false'],
	['gc.auto', '0'],
	['maintenance.auto', 'false'],
	['advice.detachedHead', 'false'],
	['protocol.version', '2'],
	// A redirect would send the next requests (and, with a global extraHeader, the token) to another host.
	['http.followRedirects', 'false'],
];

const URL_RULES: GitUrlRules = {
	label: 'Repository URL',
	allowPlainHttp: DEFAULT_ALLOW_PLAIN_HTTP,
	pathCharacters: 'argv',
	hints: {
		credentials: 'put the user name and token in the Git Repository credential instead.',
		sshPassword: 'put the private key in the Git Repository credential instead.',
		plainHttp: 'turn on Allow Plain HTTP if the server offers nothing else',
	},
};

/** Checks the remote URL's form (lib/gitUrl.ts); returns the transport. Credentials in the URL are refused, not used. */
export function checkRepositoryUrl(
	url: string,
	allowFileProtocol = false,
	allowPlainHttp = DEFAULT_ALLOW_PLAIN_HTTP,
): 'http' | 'ssh' | 'file' {
	const { kind } = checkGitUrl(url.trim(), 'repositoryUrl', {
		...URL_RULES,
		allowFile: allowFileProtocol,
		allowPlainHttp,
	});
	return kind === 'https' ? 'http' : kind === 'scp' ? 'ssh' : kind;
}

/**
 * The config key that sends a header to the remote's origin only (`http.<url>.extraHeader` matches scheme, host
 * and port exactly), so no other host ever gets it, even if git were sent there.
 */
function originHeaderKey(url: string): string {
	const { protocol, host } = new URL(url);
	return `http.${protocol}//${host}/.extraHeader`;
}

function configEnv(pairs: Array<[string, string]>): Record<string, string> {
	const env: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) };
	pairs.forEach(([key, value], i) => {
		env[`GIT_CONFIG_KEY_${i}`] = key;
		env[`GIT_CONFIG_VALUE_${i}`] = value;
	});
	return env;
}

function shellQuote(path: string): string {
	return `'${path.replace(/'/g, `'\\''`)}'`;
}

/** Ambient settings git may legitimately need in a container: CA bundles and proxies. */
function passthroughEnv(): Record<string, string> {
	const keep = [
		'GIT_SSL_CAINFO',
		'GIT_SSL_CAPATH',
		'HTTPS_PROXY',
		'https_proxy',
		'HTTP_PROXY',
		'http_proxy',
		'NO_PROXY',
		'no_proxy',
		'LANG',
		'TZ',
	];
	return Object.fromEntries(
		keep.filter((k) => process.env[k]).map((k) => [k, process.env[k] as string]),
	);
}

export async function prepareGitAccess(
	url: string,
	credential: GitCredential | undefined,
	opts: GitAccessOptions = {},
): Promise<GitAccess> {
	const allowPlainHttp = opts.allowPlainHttp ?? DEFAULT_ALLOW_PLAIN_HTTP;
	const transport = checkRepositoryUrl(url, opts.allowFileProtocol, allowPlainHttp);
	const protocols = [
		...(allowPlainHttp ? ['http'] : []),
		'https',
		'ssh',
		...(opts.allowFileProtocol ? ['file'] : []),
	];
	const config: Array<[string, string]> = [
		...PINNED_CONFIG,
		['user.name', credential?.authorName || 'n8n-buildkit'],
		['user.email', credential?.authorEmail || 'n8n-buildkit@localhost'],
	];
	const secrets: string[] = [];
	const env: Record<string, string> = {
		PATH: process.env.PATH ?? '/usr/bin:/bin',
		HOME: opts.home ?? tmpdir(),
		...passthroughEnv(),
		GIT_CONFIG_NOSYSTEM: '1',
		GIT_CONFIG_GLOBAL: '/dev/null',
		GIT_TERMINAL_PROMPT: '0',
		GIT_ALLOW_PROTOCOL: protocols.join(':'),
		GCM_INTERACTIVE: 'never',
	};
	let tempDir: string | undefined;
	const authentication = credential?.authentication ?? 'https';
	if (credential && authentication === 'https' && transport === 'http' && credential.token) {
		const basic = Buffer.from(`${credential.username || 'git'}:${credential.token}`).toString(
			'base64',
		);
		config.push([originHeaderKey(url), `Authorization: Basic ${basic}`]);
		secrets.push(credential.token, basic);
	}
	if (credential && authentication === 'ssh' && transport === 'ssh') {
		if (!credential.sshPrivateKey?.trim())
			throw new InputError(
				'sshPrivateKey',
				'SSH Private Key is empty in the Git Repository credential',
				{ credential: 'Git Repository' },
			);
		if (!credential.knownHosts?.trim()) {
			throw new InputError(
				'knownHosts',
				'Known Hosts is empty in the Git Repository credential: host keys are always checked; paste `ssh-keyscan <host>` output',
				{
					credential: 'Git Repository',
				},
			);
		}
		tempDir = await mkdtemp(join(tmpdir(), 'n8n-git-ssh-'));
		const keyFile = join(tempDir, 'id');
		const knownHostsFile = join(tempDir, 'known_hosts');
		try {
			await writeFile(keyFile, `${credential.sshPrivateKey.trim()}\n`, { mode: 0o600 });
			await writeFile(knownHostsFile, `${credential.knownHosts.trim()}\n`, { mode: 0o600 });
		} catch (error) {
			// Nobody gets a dispose for a GitAccess never returned: a half-written private key must not stay on disk.
			await rm(tempDir, { recursive: true, force: true });
			throw error;
		}
		env.GIT_SSH_COMMAND = [
			'ssh -F /dev/null',
			`-i ${shellQuote(keyFile)}`,
			'-o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes',
			'-o StrictHostKeyChecking=yes',
			`-o UserKnownHostsFile=${shellQuote(knownHostsFile)}`,
			'-o ConnectTimeout=20',
		].join(' ');
		secrets.push(credential.sshPrivateKey.trim());
	}
	Object.assign(env, configEnv(config));
	const dir = tempDir;
	return {
		env,
		secrets,
		dispose: async () => {
			if (dir) await rm(dir, { recursive: true, force: true });
		},
	};
}
