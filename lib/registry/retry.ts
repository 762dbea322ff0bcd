/** When and how long to wait before asking a registry again. */

/** 408 timeout, 429 rate limit, and the 5xx a proxy or an overloaded registry answers (499/522 from CDNs). */
export function isRetryableStatus(status: number): boolean {
	return (
		status === 408 ||
		status === 429 ||
		status === 499 ||
		status === 500 ||
		status === 502 ||
		status === 503 ||
		status === 504 ||
		status === 522
	);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(
	value: string | string[] | undefined,
	now = Date.now(),
): number | undefined {
	const text = (Array.isArray(value) ? value[0] : value)?.trim();
	if (!text) return undefined;
	if (/^\d+$/.test(text)) return Number(text) * 1000;
	const date = Date.parse(text);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Exponential backoff (base × 2^(attempt-1), ±10 % jitter, capped), unless the registry said how long to wait,
 * which is honoured as given.
 */
export function retryDelayMs(
	attempt: number,
	retryAfterMs: number | undefined,
	baseMs: number,
	capMs = 10_000,
): number {
	if (retryAfterMs !== undefined) return retryAfterMs;
	const backoff = Math.min(capMs, baseMs * 2 ** (attempt - 1));
	return Math.round(backoff * (0.9 + Math.random() * 0.2));
}
