// Flux `semver` policy: tags that parse as strict semver (one optional leading "v") and satisfy the
// range; the greatest wins, and among equal versions (`1.0.0` and `v1.0.0`) the first one seen.
import type { Ranking } from './ranking';
import {
	compareVersions,
	parseTagVersion,
	satisfiesRange,
	type SemverRange,
	type SemverVersion,
} from './semver';
import { sortByKeyDescending } from './sortByKey';
import type { FilteredTag } from './tagFilter';

interface Matched {
	readonly entry: FilteredTag;
	readonly version: SemverVersion;
}

/**
 * major.minor.patch and "is a release" packed into one double (19 + 16 + 16 + 1 bits) so that key
 * order is version order up to prerelease details; undefined when a segment is too large for that.
 */
function sortKey(v: SemverVersion): number | undefined {
	const { major, minor, patch } = v;
	if (typeof major !== 'number' || typeof minor !== 'number' || typeof patch !== 'number')
		return undefined;
	if (major >= 2 ** 19 || minor >= 2 ** 16 || patch >= 2 ** 16) return undefined;
	return major * 2 ** 34 + minor * 2 ** 18 + patch * 2 + (v.prerelease === '' ? 1 : 0);
}

// Stable sorts keep input order among equal versions, so [0] is the one Flux picks.
const byVersionDescending = (a: Matched, b: Matched) => compareVersions(b.version, a.version);

function sortMatched(matched: Matched[]): Matched[] {
	const keys = new Float64Array(matched.length);
	for (let i = 0; i < matched.length; i++) {
		const key = sortKey(matched[i].version);
		if (key === undefined) return matched.sort(byVersionDescending);
		keys[i] = key;
	}
	return sortByKeyDescending(matched, keys, byVersionDescending);
}

export function rankBySemver(entries: readonly FilteredTag[], range: SemverRange): Ranking {
	const matched: Matched[] = [];
	for (const entry of entries) {
		const version = parseTagVersion(entry.value);
		if (version && satisfiesRange(version, range)) matched.push({ entry, version });
	}
	return { candidates: sortMatched(matched).map((m) => m.entry) };
}
