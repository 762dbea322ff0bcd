/** Removes the user-info of URLs in text (`https://user:token@host` → `https://***@host`). */
export function redactUrls(text: string): string {
	return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}

/** Redacts URLs with credentials and every given secret (and its base64 and URL-encoded forms) from text. */
export function redact(text: string, secrets: readonly string[] = []): string {
	let out = redactUrls(text);
	for (const secret of secrets) {
		if (!secret || secret.length < 4) continue;
		for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
	}
	return out;
}
