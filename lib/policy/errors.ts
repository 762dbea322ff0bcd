import { InputError } from '../errors';

// `field` is the node parameter the user must change, so every message names the fix.
export type TagPolicyField =
	'semverRange' | 'filterPattern' | 'filterExtract' | 'exclude' | 'order' | 'policy';

export type TagPolicyErrorCode =
	| 'invalid-range'
	| 'invalid-regex'
	| 'unsafe-regex'
	| 'invalid-extract'
	| 'invalid-number'
	| 'invalid-order'
	| 'invalid-policy';

export class TagPolicyError extends InputError {
	declare readonly field: TagPolicyField;
	readonly code: TagPolicyErrorCode;

	constructor(field: TagPolicyField, code: TagPolicyErrorCode, message: string) {
		super(field, message);
		this.code = code;
	}
}
