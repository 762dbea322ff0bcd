/**
 * A registry answered with an error (or could not be reached). Messages name the registry, the request and the
 * registry's own error code, and never carry credentials: every message passes through `redact` with the
 * secrets the client holds.
 */
export class RegistryError extends Error {
	readonly status?: number;
	readonly code?: string;
	readonly attempts: number;

	constructor(message: string, details: { status?: number; code?: string; attempts?: number } = {}) {
		super(message);
		this.name = 'RegistryError';
		this.status = details.status;
		this.code = details.code;
		this.attempts = details.attempts ?? 1;
	}
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * Replaces every occurrence of each secret, of its base64, and (given the username) of the base64 of
 * `username:secret` (a Basic Authorization value) with `***`. A secret of one or two characters is left in
 * place in its plain form only: removing every "a" would wreck the message and hide nothing; its base64
 * forms are long enough to be removed safely.
 */
export function redact(text: string, secrets: Array<string | undefined>, username?: string): string {
	let out = text;
	for (const secret of secrets) {
		if (!secret) continue;
		// The Basic value first: base64(secret) can be its tail (when username: is a multiple of 3 bytes).
		const forms = [...(username ? [base64(`${username}:${secret}`)] : []), base64(secret), ...(secret.length >= 3 ? [secret] : [])];
		for (const form of forms) out = out.split(form).join('***');
	}
	return out;
}

/** The registry's `{"errors":[{"code","message"}]}` body, summarised; falls back to a short text excerpt. */
export function describeErrorBody(body: Buffer | string | undefined): { code?: string; message?: string } {
	const text = body === undefined ? '' : body.toString();
	try {
		const parsed = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
		const first = parsed.errors?.[0];
		if (first) return { code: first.code, message: first.message };
	} catch {
		// not JSON: Quay answers 429 as nginx HTML, proxies send plain text
	}
	const excerpt = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
	return excerpt ? { message: excerpt } : {};
}
