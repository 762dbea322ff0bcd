// Sets of Unicode code points as sorted, merged [lo, hi] pairs: what a regex atom can consume.
// The safety check only needs union, complement and "do these overlap", so that is all there is.
export type CharRanges = ReadonlyArray<readonly [number, number]>;

export const MAX_CODE_POINT = 0x10ffff;
export const ALL_CHARS: CharRanges = [[0, MAX_CODE_POINT]];
export const NO_CHARS: CharRanges = [];

export function normalizeRanges(ranges: Iterable<readonly [number, number]>): CharRanges {
	const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
	const out: Array<[number, number]> = [];
	for (const [lo, hi] of sorted) {
		const last = out[out.length - 1];
		if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
		else out.push([lo, hi]);
	}
	return out;
}

export function unionRanges(...sets: CharRanges[]): CharRanges {
	return normalizeRanges(sets.flat());
}

export function complementRanges(set: CharRanges): CharRanges {
	const out: Array<[number, number]> = [];
	let next = 0;
	for (const [lo, hi] of set) {
		if (lo > next) out.push([next, lo - 1]);
		next = hi + 1;
	}
	if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
	return out;
}

export function rangesOverlap(a: CharRanges, b: CharRanges): boolean {
	let i = 0;
	let j = 0;
	while (i < a.length && j < b.length) {
		if (a[i][1] < b[j][0]) i++;
		else if (b[j][1] < a[i][0]) j++;
		else return true;
	}
	return false;
}

/** Adds the other case of ASCII letters; anything non-ASCII under case folding becomes "any char". */
export function caseFoldRanges(set: CharRanges): CharRanges {
	const extra: Array<[number, number]> = [];
	for (const [lo, hi] of set) {
		if (hi > 0x7f) return ALL_CHARS;
		const upperLo = Math.max(lo, 0x41);
		const upperHi = Math.min(hi, 0x5a);
		if (upperLo <= upperHi) extra.push([upperLo + 32, upperHi + 32]);
		const lowerLo = Math.max(lo, 0x61);
		const lowerHi = Math.min(hi, 0x7a);
		if (lowerLo <= lowerHi) extra.push([lowerLo - 32, lowerHi - 32]);
	}
	// Go folds k/K with U+212A (Kelvin) and s/S with U+017F (long s).
	if (extra.length || set.length) {
		const all = unionRanges(set, extra);
		if (
			rangesOverlap(all, [
				[0x4b, 0x4b],
				[0x6b, 0x6b],
			])
		)
			extra.push([0x212a, 0x212a]);
		if (
			rangesOverlap(all, [
				[0x53, 0x53],
				[0x73, 0x73],
			])
		)
			extra.push([0x17f, 0x17f]);
	}
	return unionRanges(set, extra);
}
