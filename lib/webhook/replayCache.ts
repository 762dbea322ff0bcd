export interface ReplayCacheOptions {
	/** How long a delivery id (and body fingerprint) is remembered. */
	windowMs: number;
	/** At most this many keys are remembered (a delivery takes two: id and body fingerprint); the oldest go first. */
	maxEntries: number;
	/** Milliseconds clock; injectable so tests need no waiting. */
	now?: () => number;
}

/**
 * Delivery ids seen within a time window, in bounded memory. Ids are kept in first-seen order (a Map keeps
 * insertion order), so both expiry and eviction only ever remove from the front: O(1) amortised per delivery.
 * A replay does not refresh the entry: the window counts from the first delivery, as a sender's retry
 * schedule does.
 */
export class ReplayCache {
	private readonly seenAt = new Map<string, number>();

	private readonly now: () => number;

	constructor(readonly options: ReplayCacheOptions) {
		this.now = options.now ?? Date.now;
	}

	/**
	 * True when any of `keys` (one delivery's names: its id, its body fingerprint) was already seen inside the
	 * window (a replay); otherwise remembers them all and returns false.
	 */
	isReplay(...keys: string[]): boolean {
		const now = this.now();
		this.forgetOlderThan(now - this.options.windowMs);
		if (keys.some((key) => this.seenAt.has(key))) return true;
		for (const key of keys) this.seenAt.set(key, now);
		while (this.seenAt.size > this.options.maxEntries)
			this.seenAt.delete(this.seenAt.keys().next().value as string);
		return false;
	}

	get size(): number {
		return this.seenAt.size;
	}

	private forgetOlderThan(cutoff: number): void {
		for (const [id, at] of this.seenAt) {
			if (at > cutoff) break;
			this.seenAt.delete(id);
		}
	}
}

/**
 * One ReplayCache per workflow trigger (key: workflow id + node name), itself bounded: the least recently
 * used trigger's cache is dropped when more than `maxCaches` are live in this process.
 */
export class ReplayCacheRegistry {
	private readonly caches = new Map<string, ReplayCache>();

	constructor(private readonly maxCaches = 256) {}

	/** The trigger's cache; a changed window or size (the workflow was edited) starts a fresh one. */
	cacheFor(key: string, options: ReplayCacheOptions): ReplayCache {
		let cache = this.caches.get(key);
		this.caches.delete(key);
		if (
			!cache ||
			cache.options.windowMs !== options.windowMs ||
			cache.options.maxEntries !== options.maxEntries
		) {
			cache = new ReplayCache(options);
		}
		this.caches.set(key, cache);
		while (this.caches.size > this.maxCaches)
			this.caches.delete(this.caches.keys().next().value as string);
		return cache;
	}

	/** Drops a trigger's memory (the workflow was deactivated). */
	forget(key: string): void {
		this.caches.delete(key);
	}
}
