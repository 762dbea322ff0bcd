// The engine's one error model. Every error lib/ throws at a caller is an InputError (a value the user must
// change, named by `field`) or a RemoteError (a server refused or could not be reached), so one adapter per
// host (nodes/shared/nodeErrors.ts for n8n) turns any of them into that host's errors. Messages say what is
// wrong and, where it is short, how to fix it; `hint` carries the longer fix. No message carries a secret.

/** What both kinds share: the message, and a fix that does not fit in it. */
export abstract class EngineError extends Error {
	readonly hint?: string;

	constructor(message: string, hint?: string, cause?: unknown) {
		super(message, cause === undefined ? undefined : { cause });
		this.name = new.target.name;
		this.hint = hint;
	}
}

export interface InputErrorOptions {
	hint?: string;
	/** Set when `field` is a field of this credential (its display name) rather than a node parameter. */
	credential?: string;
	cause?: unknown;
}

/**
 * A value that cannot be used. `field` is the node parameter's name (e.g. `gitRepositoryUrl`,
 * `options.buildArgs`) or, with `credential`, the credential's field. Messages quote the offending value only
 * when it cannot carry a secret.
 */
export class InputError extends EngineError {
	readonly field: string;
	readonly credential?: string;

	constructor(field: string, message: string, options: InputErrorOptions = {}) {
		super(message, options.hint, options.cause);
		this.field = field;
		this.credential = options.credential;
	}
}

export interface RemoteErrorOptions {
	/** HTTP status of the refusal; absent when the server was not reached. */
	statusCode?: number;
	hint?: string;
	/** Requests made before giving up (1 = no retry). */
	attempts?: number;
	cause?: unknown;
}

/** A server (Kubernetes API, registry, git remote) refused the request or could not be reached. */
export class RemoteError extends EngineError {
	readonly statusCode?: number;
	readonly attempts: number;

	constructor(message: string, options: RemoteErrorOptions = {}) {
		super(message, options.hint, options.cause);
		this.statusCode = options.statusCode;
		this.attempts = options.attempts ?? 1;
	}
}

/**
 * Shows a user value inside an error message: JSON-quoted (so newlines and quotes are visible) and cut short.
 * JSON leaves DEL and the C1 controls as they are; they are escaped too, so no control character reaches a log.
 */
export function quoteValue(value: string, max = 80): string {
	const shown = value.length > max ? `${value.slice(0, max)}…` : value;
	return JSON.stringify(shown).replace(
		/\p{Cc}/gu,
		(c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
	);
}
