import type { RequestHeaders } from './types';

/**
 * One request header by name, case-insensitively. Node joins repeated custom headers with ", " and keeps
 * only a few as arrays; an array with more than one value counts as absent, because two different values
 * for one signature or id header cannot both be trusted.
 */
export function readHeader(headers: RequestHeaders, name: string): string | undefined {
	const value = headers[name.toLowerCase()];
	if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
	return value;
}

/** The first of several alternative headers that is present (e.g. X-Gitea-Delivery, then X-Forgejo-Delivery). */
export function firstHeader(headers: RequestHeaders, names: readonly string[]): string | undefined {
	for (const name of names) {
		const value = readHeader(headers, name);
		if (value !== undefined && value !== '') return value;
	}
	return undefined;
}
