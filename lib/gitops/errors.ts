import { InputError, RemoteError } from '../errors';

/**
 * Why a bump could not be done: an InputError is the caller's to fix (a path, a file, a value; `field` names
 * the parameter), a RemoteError comes from the git server (unreachable, authentication, a rejected push).
 */
export type BumpError = InputError | RemoteError;

export function inputError(message: string, field = '', hint?: string): InputError {
	return new InputError(field, message, { hint });
}

export function remoteError(message: string, hint?: string): RemoteError {
	return new RemoteError(message, { hint });
}
