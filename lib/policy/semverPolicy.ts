// Flux `semver` policy: tags that parse as strict semver (one optional leading "v") and satisfy the
// range; the greatest wins, and among equal versions (`1.0.0` and `v1.0.0`) the first one seen.
import type { FilteredTag } from './tagFilter';
import { satisfiesRange, type SemverRange } from './semverConstraint';
import { compareVersions, parseTagVersion, type SemverVersion } from './semverVersion';
import type { Ranking } from './ranking';

export function rankBySemver(entries: readonly FilteredTag[], range: SemverRange): Ranking {
	const matched: Array<{ entry: FilteredTag; version: SemverVersion }> = [];
	for (const entry of entries) {
		const version = parseTagVersion(entry.value);
		if (version && satisfiesRange(version, range)) matched.push({ entry, version });
	}
	// Array.prototype.sort is stable, so equal versions keep input order and [0] is Flux's pick.
	matched.sort((a, b) => compareVersions(b.version, a.version));
	return { candidates: matched.map((m) => m.entry) };
}
