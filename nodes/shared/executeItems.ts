// The per-item loop every action node uses, so Continue On Fail and pairedItem behave the same everywhere:
// each input item yields one output item paired with it; an error is mapped by toNodeError first, then either
// becomes `{ error: message }` (Continue On Fail) or fails the node.
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { mapConcurrently } from './mapConcurrently';
import { toNodeError } from './nodeErrors';

export interface ExecuteItemsOptions {
	properties: readonly INodeProperties[];
	/** Items run at once (I/O-bound work such as watches); 1 = one after another. */
	concurrency?: number;
	/** See NodeErrorContext.note. */
	note?: string;
	/** Called once when an item fails the node, before the error is thrown (e.g. to stop the other items). */
	onFail?: () => void;
}

export async function executeItems(
	context: IExecuteFunctions,
	options: ExecuteItemsOptions,
	run: (itemIndex: number) => Promise<IDataObject>,
): Promise<INodeExecutionData[][]> {
	const node = context.getNode();
	const one = async (_item: INodeExecutionData, itemIndex: number): Promise<INodeExecutionData> => {
		const pairedItem = { item: itemIndex };
		try {
			return { json: await run(itemIndex), pairedItem };
		} catch (caught) {
			const error = toNodeError(node, caught, {
				itemIndex,
				properties: options.properties,
				note: options.note,
			});
			if (context.continueOnFail()) return { json: { error: error.message }, pairedItem };
			options.onFail?.();
			throw error;
		}
	};
	return [await mapConcurrently(context.getInputData(), options.concurrency ?? 1, one)];
}

/**
 * The signal for waits that run side by side: n8n's cancellation, and the first item that fails the node
 * (without Continue On Fail), so the other waits stop instead of leaking. Pass `onFail` to executeItems.
 */
export function stopOnFailure(context: IExecuteFunctions): {
	signal: AbortSignal;
	onFail: () => void;
} {
	const failed = new AbortController();
	const cancel = context.getExecutionCancelSignal?.();
	return {
		signal: cancel ? AbortSignal.any([cancel, failed.signal]) : failed.signal,
		onFail: () => failed.abort(),
	};
}
