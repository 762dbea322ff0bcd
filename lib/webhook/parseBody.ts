/**
 * The JSON object a delivery carries. GitHub and Gitea can also be set to send
 * `application/x-www-form-urlencoded` with the JSON in a `payload` field; the signature still covers the raw
 * form body, so this runs only after verification. Returns null when there is no JSON object to be had.
 */
export function parseDeliveryBody(
	rawBody: Buffer,
	contentType: string | undefined,
): Record<string, unknown> | null {
	let text = rawBody.toString('utf8');
	if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
	if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
		const payload = new URLSearchParams(text).get('payload');
		if (payload === null) return null;
		text = payload;
	}
	try {
		const parsed: unknown = JSON.parse(text);
		return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
			? (parsed as Record<string, unknown>)
			: null;
	} catch {
		return null;
	}
}
