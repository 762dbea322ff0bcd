import picomatch from 'picomatch';
import type { NormalisedEvent } from './types';

/** Which deliveries start the workflow. Every list empty (or absent) means "no restriction". */
export interface DeliveryFilter {
	/** Normalised event names (`push`, `tag`, `delete`, …; for Flux, event reasons). */
	events?: string[];
	/** Globs over branch names, e.g. `main`, `release/*`; `!`-prefixed globs exclude. */
	branches?: string[];
	/** Globs over tag names, e.g. `v*`. */
	tags?: string[];
	/** Globs over changed paths, e.g. `src/**`, `!**\/*.md`. */
	paths?: string[];
}

export type FilterDecision = { accept: true } | { accept: false; reason: string };

/**
 * A glob list: a value matches when some include glob matches it (or there are only excludes) and no
 * `!exclude` glob does. `dot: true` so `.github/**` is an ordinary path.
 */
function globList(globs: string[]): (value: string) => boolean {
	const includes = globs.filter((glob) => !glob.startsWith('!'));
	const excludes = globs.filter((glob) => glob.startsWith('!')).map((glob) => glob.slice(1));
	const included = includes.length ? picomatch(includes, { dot: true }) : () => true;
	const excluded = excludes.length ? picomatch(excludes, { dot: true }) : () => false;
	return (value) => included(value) && !excluded(value);
}

function present(list: string[] | undefined): list is string[] {
	return Array.isArray(list) && list.length > 0;
}

/**
 * Accept or ignore a verified delivery, with the reason when ignored (it goes back to the sender, who sees it
 * in its delivery log). Branch globs apply to events that name a branch, tag globs to events that name a tag.
 * Path globs apply to branch pushes whose payload lists every pushed commit; when the sender cut the list
 * short (or the branch is new) the changed files aren't known, and the delivery is accepted rather than lost.
 * This path filter is what keeps the pipeline's own manifest-bump commit from starting another build.
 */
export function filterDelivery(event: NormalisedEvent, filter: DeliveryFilter): FilterDecision {
	if (present(filter.events) && !filter.events.includes(event.event)) {
		return { accept: false, reason: `event "${event.event}" is not one of: ${filter.events.join(', ')}` };
	}
	if (present(filter.branches) && event.branch !== null && !globList(filter.branches)(event.branch)) {
		return { accept: false, reason: `branch "${event.branch}" matches none of: ${filter.branches.join(', ')}` };
	}
	if (present(filter.tags) && event.tag !== null && !globList(filter.tags)(event.tag)) {
		return { accept: false, reason: `tag "${event.tag}" matches none of: ${filter.tags.join(', ')}` };
	}
	if (present(filter.paths) && event.event === 'push' && event.changedFilesComplete) {
		const matches = globList(filter.paths);
		if (!event.changedFiles.some(matches)) {
			const count = event.changedFiles.length;
			return {
				accept: false,
				reason: `none of the ${count} changed file${count === 1 ? '' : 's'} matches: ${filter.paths.join(', ')}`,
			};
		}
	}
	return { accept: true };
}
