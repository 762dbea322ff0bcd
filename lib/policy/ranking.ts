import type { FilteredTag } from './tagFilter';

/** What a policy returns: every candidate, best first; candidates[0] is the latest. */
export interface Ranking {
	readonly candidates: FilteredTag[];
}
