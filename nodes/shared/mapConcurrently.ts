/**
 * Runs `work` over every item with at most `limit` in flight and returns the results in item order. Waits are
 * I/O-bound (one watch connection each), so items wait side by side instead of one after another; the bound
 * keeps a thousand-item input from opening a thousand connections at once.
 */
export async function mapConcurrently<T, R>(
	items: readonly T[],
	limit: number,
	work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
	const results = new Array<R>(items.length);
	let next = 0;
	let failed = false;
	const worker = async (): Promise<void> => {
		// Once one item has failed the whole call fails: start no more work.
		while (next < items.length && !failed) {
			const index = next++;
			results[index] = await work(items[index], index).catch((error: unknown) => {
				failed = true;
				return Promise.reject(error);
			});
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return results;
}
