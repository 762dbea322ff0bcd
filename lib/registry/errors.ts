import { RemoteError } from '../errors';

/**
 * A registry answered with an error (or could not be reached). Messages name the registry, the request and the
 * registry's own error code, and never carry credentials: every message passes through `redact` with the
 * secrets the client holds.
 */
export class RegistryError extends RemoteError {
	/** The registry's own error code (`MANIFEST_UNKNOWN`, `DENIED`, …). */
	readonly code?: string;

	constructor(
		message: string,
		details: { statusCode?: number; code?: string; attempts?: number; hint?: string } = {},
	) {
		super(message, details);
		this.code = details.code;
	}
}

/** The registry's `{"errors":[{"code","message"}]}` body, summarised; falls back to a short text excerpt. */
export function describeErrorBody(body: Buffer | string | undefined): {
	code?: string;
	message?: string;
} {
	const text = body === undefined ? '' : body.toString();
	try {
		const parsed = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
		const first = parsed.errors?.[0];
		if (first) return { code: first.code, message: first.message };
	} catch {
		// not JSON: Quay answers 429 as nginx HTML, proxies send plain text
	}
	const excerpt = text
		.replace(/<[^>]*>/g, ' ')
		.replace(/\s+/g, ' ')
		.trim()
		.slice(0, 200);
	return excerpt ? { message: excerpt } : {};
}
