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

/**
 * `note` on an accepted delivery says why a filter could not be applied (it goes back to the sender with the
 * 200 answer); `reason` on an ignored one says which filter ignored it (sent back with the 202 answer).
 */
export type FilterDecision = { accept: true; note?: string } | { accept: false; reason: string };

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
 * Branch globs without tag globs ignore every tag event: a tag can point at any commit, so a branch filter
 * alone must not let tags through. Path globs apply to branch pushes whose payload names every changed file;
 * when it may not (see changedFilesIncompleteReason) the push is accepted with a note rather than lost:
 * building too often is safe, skipping a build is not. This path filter is what keeps the pipeline's own
 * manifest-bump commit from starting another build.
 */
export function filterDelivery(event: NormalisedEvent, filter: DeliveryFilter): FilterDecision {
	if (present(filter.events) && !filter.events.includes(event.event)) {
		return {
			accept: false,
			reason: `event "${event.event}" is not one of: ${filter.events.join(', ')}`,
		};
	}
	if (
		present(filter.branches) &&
		event.branch !== null &&
		!globList(filter.branches)(event.branch)
	) {
		return {
			accept: false,
			reason: `branch "${event.branch}" matches none of: ${filter.branches.join(', ')}`,
		};
	}
	if (event.tag !== null && present(filter.branches) && !present(filter.tags)) {
		return {
			accept: false,
			reason: `tag "${event.tag}" is not built: Branches is set (${filter.branches.join(', ')}) and Tags is empty; add tag globs (e.g. v*) to build tags`,
		};
	}
	if (present(filter.tags) && event.tag !== null && !globList(filter.tags)(event.tag)) {
		return {
			accept: false,
			reason: `tag "${event.tag}" matches none of: ${filter.tags.join(', ')}`,
		};
	}
	if (present(filter.paths) && event.event === 'push') {
		if (!event.changedFilesComplete) {
			const why =
				event.changedFilesIncompleteReason ?? 'the payload may not list every changed file';
			return { accept: true, note: `path filter not applied: ${why}` };
		}
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
