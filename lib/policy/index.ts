// Public surface of the tag-policy engine (contract in briefs/interfaces.md).
export type TagPolicy =
	| { kind: 'semver'; range: string }
	| { kind: 'numerical'; order: 'asc' | 'desc' }
	| { kind: 'alphabetical'; order: 'asc' | 'desc' };

export interface TagFilter {
	pattern?: string;
	extract?: string;
	exclude?: string[];
}

export interface TagSelection {
	latest?: string;
	latestTag?: string;
	candidates: string[];
	scanned: number;
	matched: number;
}

export type TagPolicyField = 'semverRange' | 'filterPattern' | 'filterExtract' | 'exclude';

export class TagPolicyError extends Error {
	readonly field: TagPolicyField;
	constructor(field: TagPolicyField, message: string) {
		super(message);
		this.name = 'TagPolicyError';
		this.field = field;
	}
}

export function selectLatestTag(tags: string[], policy: TagPolicy, filter?: TagFilter): TagSelection {
	void tags;
	void policy;
	void filter;
	throw new Error('selectLatestTag: not implemented yet');
}
