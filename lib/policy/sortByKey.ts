// Sorting 10,000 candidates with a JavaScript comparator costs more than parsing them. Policies that
// can express their order as a number sort the distinct numbers natively (typed-array sort) and only
// use a comparator inside groups of equal keys.

/** Items best first: higher key first; equal keys ordered by `tieBreak` (stable, so input order otherwise). */
export function sortByKeyDescending<T>(
	items: readonly T[],
	keys: Float64Array,
	tieBreak: (a: T, b: T) => number,
): T[] {
	const buckets = new Map<number, T[]>();
	for (let i = 0; i < items.length; i++) {
		const bucket = buckets.get(keys[i]);
		if (bucket) bucket.push(items[i]);
		else buckets.set(keys[i], [items[i]]);
	}
	const distinct = Float64Array.from(buckets.keys()).sort();
	const out: T[] = [];
	for (let i = distinct.length - 1; i >= 0; i--) {
		const bucket = buckets.get(distinct[i])!;
		if (bucket.length > 1) bucket.sort(tieBreak);
		for (const item of bucket) out.push(item);
	}
	return out;
}
