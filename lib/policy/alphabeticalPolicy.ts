// Flux `alphabetical` policy: Go byte order (uppercase before lowercase, `1.10` before `1.9`);
// `asc` picks the greatest, `desc` the smallest.
import { compareByteOrder } from './byteOrder';
import type { Ranking } from './ranking';
import type { FilteredTag } from './tagFilter';
import type { TagOrder } from './types';

// Below U+D800 UTF-16 order is code point (= UTF-8 byte) order, so the engine's native string sort applies.
const NEEDS_BYTE_ORDER = /[\uD800-\uFFFF]/;

export function rankAlphabetically(entries: readonly FilteredTag[], order: TagOrder): Ranking {
	const byValue = new Map(entries.map((e) => [e.value, e]));
	if (byValue.size === entries.length && !entries.some((e) => NEEDS_BYTE_ORDER.test(e.value))) {
		const values = entries.map((e) => e.value).sort();
		if (order === 'asc') values.reverse();
		return { candidates: values.map((v) => byValue.get(v)!) };
	}
	const sign = order === 'asc' ? -1 : 1;
	return { candidates: [...entries].sort((a, b) => sign * compareByteOrder(a.value, b.value)) };
}
