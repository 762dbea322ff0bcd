// Flux `numerical` policy: every value must parse as a Go float or the whole policy fails (so
// non-numeric tags must be filtered out first); `asc` picks the largest, `desc` the smallest, and
// among equal values the later one in input order wins (Flux compares with a strict `<`/`>`).
import { TagPolicyError } from './errors';
import { parseGoFloat } from './goParseFloat';
import type { Ranking } from './ranking';
import type { FilteredTag } from './tagFilter';
import type { TagOrder } from './types';

function parseAll(entries: readonly FilteredTag[]): number[] {
	return entries.map(({ value, tag }) => {
		const number = parseGoFloat(value);
		if (number === undefined) {
			const origin = value === tag ? '' : ` (extracted from tag '${tag}')`;
			throw new TagPolicyError(
				'filterPattern',
				'invalid-number',
				`numerical policy: '${value}'${origin} is not a number, and Flux's numerical policy fails on any non-numeric value. ` +
					'Set filterPattern to keep only numeric tags (e.g. `^[0-9]+$`) or extract the number with a capture group.',
			);
		}
		return number;
	});
}

export function rankByNumber(entries: readonly FilteredTag[], order: TagOrder): Ranking {
	const values = parseAll(entries);
	const asc = order === 'asc';
	// Flux's own scan, kept as is so NaN and ties resolve exactly as in Flux.
	let latest = -1;
	for (let i = 0; i < values.length; i++) {
		if (i === 0 || !(asc ? values[i] < values[latest] : values[i] > values[latest])) latest = i;
	}
	const rank = (i: number) => (Number.isNaN(values[i]) ? -Infinity : asc ? values[i] : -values[i]);
	const sorted = values.map((_, i) => i).sort((a, b) => rank(b) - rank(a) || b - a);
	const best = sorted.filter((i) => i !== latest);
	if (latest >= 0) best.unshift(latest);
	return { candidates: best.map((i) => entries[i]) };
}
