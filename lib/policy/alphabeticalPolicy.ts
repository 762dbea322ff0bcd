// Flux `alphabetical` policy: Go byte order (uppercase before lowercase, `1.10` before `1.9`);
// `asc` picks the greatest, `desc` the smallest.
import { compareByteOrder } from './byteOrder';
import type { Ranking } from './ranking';
import type { FilteredTag } from './tagFilter';
import type { TagOrder } from './types';

export function rankAlphabetically(entries: readonly FilteredTag[], order: TagOrder): Ranking {
	const sign = order === 'asc' ? -1 : 1;
	return { candidates: [...entries].sort((a, b) => sign * compareByteOrder(a.value, b.value)) };
}
