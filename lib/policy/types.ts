// The public shapes of the tag-policy engine (re-exported by index.ts).
export type TagOrder = 'asc' | 'desc';

/** Flux ImagePolicy `spec.policy`: one of semver / numerical / alphabetical. */
export type TagPolicy =
	| { kind: 'semver'; range: string }
	| { kind: 'numerical'; order: TagOrder }
	| { kind: 'alphabetical'; order: TagOrder };

export type { TagFilter } from './tagFilter';

export interface TagSelection {
	/** The value the policy chose: the extracted value when `extract` is used, else the tag. */
	latest?: string;
	/** The original tag behind `latest`. */
	latestTag?: string;
	/** Every tag that satisfies exclude, filter and policy, best first (original tags). */
	candidates: string[];
	/** Tags given. */
	scanned: number;
	/** Tags that satisfy the policy (= candidates.length). */
	matched: number;
	/** Tags left after exclude and filterPattern, before the policy; says why nothing matched. */
	filtered: number;
}
