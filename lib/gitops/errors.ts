import { FieldError } from '../fieldError';

/**
 * Why a bump could not be done. `input` problems are the caller's to fix (a path, a file, a value); `remote`
 * problems come from the git server (unreachable, authentication, a rejected push). `field` names the
 * parameter the message is about, so the node can point at it.
 */
export type BumpErrorKind = 'input' | 'remote';

export class BumpError extends Error {
	constructor(
		message: string,
		readonly kind: BumpErrorKind,
		readonly field?: string,
		readonly description?: string,
	) {
		super(message);
		this.name = 'BumpError';
	}
}

export function inputError(message: string, field?: string, description?: string): BumpError {
	return new BumpError(message, 'input', field, description);
}

export function remoteError(message: string, description?: string): BumpError {
	return new BumpError(message, 'remote', undefined, description);
}

/** Runs a check shared with other nodes (lib/gitUrl.ts, lib/imageReference.ts), turning its FieldError into an input error. */
export function asInputError<T>(check: () => T): T {
	try {
		return check();
	} catch (error) {
		if (error instanceof FieldError) throw inputError(error.message, error.field);
		throw error;
	}
}
