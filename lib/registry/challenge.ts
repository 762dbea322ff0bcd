/**
 * Parses `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme followed by auth-params whose
 * values may be tokens or quoted strings (with backslash escapes, and commas inside quotes). Registries send
 * `Basic realm="..."` or `Bearer realm="...",service="...",scope="..."`, sometimes several challenges at once.
 */
export interface AuthChallenge {
	scheme: string;
	params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

export function parseWwwAuthenticate(header: string | string[] | undefined): AuthChallenge[] {
	const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
	const challenges: AuthChallenge[] = [];
	let i = 0;
	const skip = (chars: RegExp) => {
		while (i < text.length && chars.test(text[i])) i++;
	};
	const token = (): string | undefined => {
		TOKEN.lastIndex = i;
		const match = TOKEN.exec(text);
		if (!match) return undefined;
		i = TOKEN.lastIndex;
		return match[0];
	};
	const quoted = (): string => {
		let value = '';
		for (i++; i < text.length && text[i] !== '"'; i++)
			value += text[i] === '\\' ? (text[++i] ?? '') : text[i];
		i++;
		return value;
	};
	// Lenient on unquoted values: some registries send realm=https://... without quotes.
	const bare = (): string => {
		const from = i;
		while (i < text.length && !/[\s,]/.test(text[i])) i++;
		return text.slice(from, i);
	};
	while (i < text.length) {
		skip(/[\s,]/);
		const scheme = token();
		if (!scheme) break;
		const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
		challenges.push(challenge);
		for (;;) {
			skip(/[\s,]/);
			const start = i;
			const name = token();
			skip(/\s/);
			if (!name || text[i] !== '=') {
				i = start; // not a param: the start of the next challenge (or token68, which registries do not use)
				break;
			}
			i++;
			skip(/\s/);
			challenge.params[name.toLowerCase()] = text[i] === '"' ? quoted() : bare();
		}
	}
	return challenges;
}
