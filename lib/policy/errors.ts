// The node maps `field` to the parameter the user must change, so every message names the fix.
export type TagPolicyField = 'semverRange' | 'filterPattern' | 'filterExtract' | 'exclude' | 'order' | 'policy';

export type TagPolicyErrorCode =
	| 'invalid-range'
	| 'invalid-regex'
	| 'unsafe-regex'
	| 'invalid-extract'
	| 'invalid-number'
	| 'invalid-order'
	| 'invalid-policy';

export class TagPolicyError extends Error {
	readonly field: TagPolicyField;
	readonly code: TagPolicyErrorCode;

	constructor(field: TagPolicyField, code: TagPolicyErrorCode, message: string) {
		super(message);
		this.name = 'TagPolicyError';
		this.field = field;
		this.code = code;
	}
}
