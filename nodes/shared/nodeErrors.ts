// The one adapter from the engine's errors (lib/errors.ts) to n8n's: an InputError becomes a
// NodeOperationError that names the parameter by the label the user sees (or the credential field), a
// RemoteError a NodeApiError with the HTTP status; the engine's hint becomes the error's description.
import {
	NodeApiError,
	NodeOperationError,
	type INode,
	type INodeProperties,
	type JsonObject,
} from 'n8n-workflow';
import { InputError, RemoteError } from '../../lib/errors';

interface PropertyLike {
	name?: string;
	displayName?: string;
	options?: readonly unknown[];
	values?: readonly unknown[];
}

/** The label path the user sees for a parameter name such as `options.buildArgs` ("Options › Build Args"). */
export function parameterLabel(
	properties: readonly INodeProperties[],
	field: string,
): string | undefined {
	let candidates: readonly unknown[] = properties;
	const labels: string[] = [];
	for (const name of field.split('.')) {
		const property = candidates.find((p): p is PropertyLike => (p as PropertyLike)?.name === name);
		if (!property?.displayName) return undefined;
		labels.push(property.displayName);
		// Collections hold their parameters in `options`; fixed collections one level further, in `values`.
		candidates = (property.options ?? []).flatMap((o) =>
			(o as PropertyLike).values ? [o, ...(o as PropertyLike).values!] : [o],
		);
	}
	return labels.join(' › ');
}

export interface NodeErrorContext {
	itemIndex?: number;
	/** The node's parameters, to name a field by its label. */
	properties: readonly INodeProperties[];
	/** Said after the engine's hint on every error of this node (e.g. "Nothing was pushed."). */
	note?: string;
}

const sentence = (...parts: Array<string | undefined>) =>
	parts.filter(Boolean).join(' ') || undefined;

/** Any error an engine call threw, as the n8n error to throw (n8n errors pass through unchanged). */
export function toNodeError(
	node: INode,
	error: unknown,
	context: NodeErrorContext,
): NodeOperationError | NodeApiError {
	const { itemIndex, properties, note } = context;
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	if (error instanceof InputError) {
		const where = error.credential
			? `Fix the "${error.field}" field of the ${error.credential} credential.`
			: error.field
				? `Check the "${parameterLabel(properties, error.field) ?? error.field}" parameter.`
				: undefined;
		return new NodeOperationError(node, error.message, {
			itemIndex,
			description: sentence(error.hint, where, note),
		});
	}
	if (error instanceof RemoteError) {
		const httpCode = error.statusCode !== undefined ? String(error.statusCode) : undefined;
		return new NodeApiError(
			node,
			{ message: error.message, ...(httpCode ? { httpCode } : {}) } as JsonObject,
			{
				itemIndex,
				message: error.message,
				httpCode,
				description: sentence(
					error.hint,
					error.attempts > 1 ? `Tried ${error.attempts} times.` : undefined,
					note,
				),
			},
		);
	}
	return new NodeOperationError(node, error instanceof Error ? error : new Error(String(error)), {
		itemIndex,
		description: note,
	});
}
