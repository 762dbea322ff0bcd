import { isMap, isScalar, isSeq, Pair, Scalar } from 'yaml';

export interface ScalarSite {
	node: Scalar;
	/** The map key this scalar is the value of, when it is one. */
	key?: string;
	/** The map holding `key` (for sibling lookups such as kustomize images[]). */
	parent?: unknown;
	/** Comment on the scalar's own line, then the comment block just above it (a sequence item's). */
	lineComment?: string;
	headComment?: string;
	inFlow: boolean;
	afterKey: boolean;
}

/** Visits every scalar that is a map value or a sequence item, with the comments Flux's setters look at. */
export function walkScalars(
	root: unknown,
	visit: (site: ScalarSite) => void,
	inFlow = false,
): void {
	if (isMap(root)) {
		const flow = inFlow || Boolean(root.flow);
		for (const pair of root.items as Pair[]) {
			const value = pair.value;
			if (isScalar(value)) {
				const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
				visit({
					node: value,
					key,
					parent: root,
					lineComment: value.comment ?? undefined,
					inFlow: flow,
					afterKey: true,
				});
			} else walkScalars(value, visit, flow);
		}
	} else if (isSeq(root)) {
		const flow = inFlow || Boolean(root.flow);
		root.items.forEach((item, index) => {
			if (isScalar(item)) {
				// `yaml` hangs the comment above a sequence's first item on the sequence itself.
				const headComment = item.commentBefore ?? (index === 0 ? root.commentBefore : undefined);
				visit({
					node: item,
					lineComment: item.comment ?? undefined,
					headComment: headComment ?? undefined,
					inFlow: flow,
					afterKey: false,
				});
			} else walkScalars(item, visit, flow);
		});
	}
}
