import { redactUrlCredentials } from '../gitUrl';

/** Redacts URLs with credentials and every given secret (as is and URL-encoded) from text. */
export function redact(text: string, secrets: readonly string[] = []): string {
	let out = redactUrlCredentials(text);
	for (const secret of secrets) {
		if (!secret || secret.length < 4) continue;
		for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
	}
	return out;
}
