/**
 * Finds the `rel="next"` target of an RFC 8288 `Link` header and resolves it against the URL of the request
 * that returned it (registries send relative, absolute, or path-only links; rel may list several relations).
 */
export function parseNextLink(
	header: string | string[] | undefined,
	requestUrl: string,
): URL | undefined {
	const text = Array.isArray(header) ? header.join(', ') : header;
	if (!text) return undefined;
	// Each link-value: <uri-reference> followed by ;-separated params. A URI may contain commas, so scan by <...>.
	const pattern = /<([^>]*)>((?:\s*;\s*[^;,<]+(?:="[^"]*"|=[^;,<]*)?)*)/g;
	for (const [, target, params] of text.matchAll(pattern)) {
		const rel = params.match(/;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i);
		const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
		if (relations.includes('next')) {
			try {
				return new URL(target, requestUrl);
			} catch {
				return undefined;
			}
		}
	}
	return undefined;
}
