import type { GitSource } from '../../gitUrl';

/**
 * The scheme and host git names a remote by in a credential request (`protocol=`, `host=`: host[:port] as
 * written in the URL). The build pod's credential helper answers only for these, so a token never goes to a
 * server the URL does not name.
 */
export function gitServerOf(git: GitSource): { scheme: 'https' | 'http' | 'ssh'; host: string } {
	if (git.kind === 'https' || git.kind === 'http') {
		// Validated URLs have no userinfo: the authority is host[:port].
		const authority = /^https?:\/\/([^/]+)/.exec(git.url)?.[1] ?? git.host;
		return { scheme: git.kind, host: authority };
	}
	return { scheme: 'ssh', host: git.host };
}
