import { DEFAULT_EXCLUDE } from '../policy/defaults';
import type { PolicyName } from './queryTags';

/** Page size (the `n` sent) and page limit of a tag listing. */
export const TAG_LIST_DEFAULTS = { pageSize: 1000, maxPages: 100 } as const;

/** Defaults of a query, shared with the node's parameters. */
export const QUERY_DEFAULTS = {
	policy: 'semver',
	semverRange: '*',
	order: 'asc',
	exclude: DEFAULT_EXCLUDE,
	...TAG_LIST_DEFAULTS,
} as const satisfies {
	policy: PolicyName;
	semverRange: string;
	order: 'asc' | 'desc';
	exclude: readonly string[];
	pageSize: number;
	maxPages: number;
};
