// Flux's tag selection in one call: exclusion list → filterTags (pattern, extract) → policy.
// Everything user-written (range, regexes, template) is compiled once per distinct policy+filter and
// cached, so scanning 10,000 tags is a single pass plus one sort.
import { rankAlphabetically } from './alphabeticalPolicy';
import { TagPolicyError } from './errors';
import { rankByNumber } from './numericalPolicy';
import type { Ranking } from './ranking';
import { rankBySemver } from './semverPolicy';
import { parseSemverRange, SemverRangeSyntaxError } from './semver';
import { applyTagFilter, compileTagFilter, type FilteredTag, type TagFilter } from './tagFilter';
import type { TagOrder, TagPolicy, TagSelection } from './types';

export type TagSelector = (tags: readonly string[]) => TagSelection;
type Ranker = (entries: readonly FilteredTag[]) => Ranking;

const RANGE_EXAMPLES =
	'e.g. `^1.2`, `~1.4`, `>=1.0.0 <2.0.0`, `1.x`, or `>=1.0.0-0` to include prereleases';

function parseOrder(order: unknown): TagOrder {
	// Flux accepts the order in any case and defaults to ascending.
	if (order === undefined || order === '') return 'asc';
	const lower = typeof order === 'string' ? order.toLowerCase() : '';
	if (lower === 'asc' || lower === 'desc') return lower;
	throw new TagPolicyError(
		'order',
		'invalid-order',
		`order '${String(order)}' is not valid; use 'asc' (pick the highest) or 'desc' (pick the lowest).`,
	);
}

function compileRanker(policy: TagPolicy): Ranker {
	switch (policy?.kind) {
		case 'semver': {
			if (typeof policy.range !== 'string') {
				throw new TagPolicyError(
					'semverRange',
					'invalid-range',
					`semverRange is required for the semver policy (${RANGE_EXAMPLES}).`,
				);
			}
			let range;
			try {
				range = parseSemverRange(policy.range);
			} catch (error) {
				if (!(error instanceof SemverRangeSyntaxError)) throw error;
				throw new TagPolicyError(
					'semverRange',
					'invalid-range',
					`semverRange \`${policy.range}\` is not a valid range (Masterminds/Flux syntax): ${error.message}. Write one like ${RANGE_EXAMPLES}.`,
				);
			}
			return (entries) => rankBySemver(entries, range);
		}
		case 'numerical': {
			const order = parseOrder(policy.order);
			return (entries) => rankByNumber(entries, order);
		}
		case 'alphabetical': {
			const order = parseOrder(policy.order);
			return (entries) => rankAlphabetically(entries, order);
		}
		default:
			throw new TagPolicyError(
				'policy',
				'invalid-policy',
				`policy kind '${String((policy as { kind?: unknown })?.kind)}' is not valid; use 'semver', 'numerical' or 'alphabetical'.`,
			);
	}
}

/** Validates and compiles once; throws TagPolicyError naming the field to fix. */
export function compileTagSelector(policy: TagPolicy, filter?: TagFilter): TagSelector {
	const rank = compileRanker(policy);
	const compiledFilter = compileTagFilter(filter);
	return (tags) => {
		const { entries, kept } = applyTagFilter(tags, compiledFilter);
		const { candidates } = rank(entries);
		const best = candidates[0];
		return {
			latest: best?.value,
			latestTag: best?.tag,
			candidates: candidates.map((c) => c.tag),
			scanned: tags.length,
			matched: candidates.length,
			filtered: kept,
		};
	};
}

const CACHE_LIMIT = 64;
const selectorCache = new Map<string, TagSelector>();

function cachedSelector(policy: TagPolicy, filter?: TagFilter): TagSelector {
	const key = JSON.stringify([policy, filter ?? null]);
	let selector = selectorCache.get(key);
	if (!selector) {
		selector = compileTagSelector(policy, filter);
		if (selectorCache.size >= CACHE_LIMIT) selectorCache.delete(selectorCache.keys().next().value!);
		selectorCache.set(key, selector);
	}
	return selector;
}

/**
 * Picks the newest tag the way Flux's ImagePolicy would. No candidate is not an error here:
 * `latestTag` is undefined and `scanned`/`filtered`/`matched` say where the tags were lost.
 * Throws TagPolicyError for invalid input (and for a non-numeric value under `numerical`, as Flux does).
 */
export function selectLatestTag(
	tags: string[],
	policy: TagPolicy,
	filter?: TagFilter,
): TagSelection {
	return cachedSelector(policy, filter)(tags);
}
