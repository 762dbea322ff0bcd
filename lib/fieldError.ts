/**
 * A parameter value that cannot be used. `field` is the node parameter's name (e.g. `gitRepositoryUrl`,
 * `options.buildArgs`), and the message says what is wrong and how to fix it, so a node can turn it into a
 * NodeOperationError as it is. Messages quote the offending value only when it cannot carry a secret.
 */
export class FieldError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'FieldError';
	}
}

/** Shows a user value inside an error message: JSON-quoted (so newlines and quotes are visible) and cut short. */
export function quoteValue(value: string, max = 80): string {
	const shown = value.length > max ? `${value.slice(0, max)}…` : value;
	return JSON.stringify(shown);
}
