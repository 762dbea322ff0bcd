import { errors } from './status';

/** The PATCH flavours clients send: JSON merge patch, strategic merge (read as a merge patch), JSON patch. */
/** RFC 7386 merge patch; strategic-merge directives (`$patch`, `$setElementOrder/…`) are dropped. */
export function mergePatch(target: any, patch: any): any {
	if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
	const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
	for (const [k, v] of Object.entries(patch)) {
		if (k.startsWith('$')) continue;
		if (v === null) delete out[k];
		else out[k] = mergePatch(out[k], v);
	}
	return out;
}

export function jsonPatch(target: any, ops: any[]): any {
	const doc = structuredClone(target);
	for (const op of ops) {
		const parts = String(op.path)
			.split('/')
			.slice(1)
			.map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
		const last = parts.pop()!;
		let parent = doc;
		for (const p of parts) parent = parent?.[p];
		if (parent == null)
			throw errors.badRequest(
				`jsonpatch ${op.op} operation does not apply: doc is missing path: ${op.path}`,
			);
		if (op.op === 'add' && Array.isArray(parent))
			parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
		else if (op.op === 'add' || op.op === 'replace') parent[last] = op.value;
		else if (op.op === 'remove' && Array.isArray(parent)) parent.splice(Number(last), 1);
		else if (op.op === 'remove') delete parent[last];
		else if (op.op === 'test' && JSON.stringify(parent[last]) !== JSON.stringify(op.value))
			throw errors.badRequest(`testing value ${op.path} failed`);
	}
	return doc;
}
