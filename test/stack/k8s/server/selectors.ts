import { errors } from './status';

/** Label and field selectors with the apiserver's grammar (equality and set-based) and its 400s. */
export interface LabelRequirement {
	key: string;
	op: 'in' | 'notin' | 'exists' | '!';
	values: string[];
}

function splitTopLevel(text: string): string[] {
	const parts: string[] = [];
	let depth = 0;
	let current = '';
	for (const ch of text) {
		if (ch === '(') depth++;
		if (ch === ')') depth--;
		if (ch === ',' && depth === 0) {
			parts.push(current);
			current = '';
		} else current += ch;
	}
	parts.push(current);
	return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const LABEL_KEY =
	/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isValidLabelValue(value: string): boolean {
	return value.length <= 63 && LABEL_VALUE.test(value);
}

export function isValidLabelKey(key: string): boolean {
	return LABEL_KEY.test(key) && key.length <= 316;
}

function badSelector(term: string, why: string): never {
	throw errors.badRequest(`unable to parse requirement: ${why} (in "${term}")`);
}

function checkKey(term: string, key: string): string {
	if (!isValidLabelKey(key)) badSelector(term, `invalid label key "${key}"`);
	return key;
}

function checkValue(term: string, value: string): string {
	if (!isValidLabelValue(value)) badSelector(term, `invalid label value: "${value}"`);
	return value;
}

export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
	if (!selector) return [];
	return splitTopLevel(selector).map((term): LabelRequirement => {
		const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
		if (set) {
			const values = set[3].split(',').map((v) => checkValue(term, v.trim()));
			return { key: checkKey(term, set[1]), op: set[2] as 'in' | 'notin', values };
		}
		const neq = /^([^=!\s]+)\s*!=\s*(\S*)$/.exec(term);
		if (neq)
			return { key: checkKey(term, neq[1]), op: 'notin', values: [checkValue(term, neq[2])] };
		const eq = /^([^=!\s]+)\s*==?\s*(\S*)$/.exec(term);
		if (eq) return { key: checkKey(term, eq[1]), op: 'in', values: [checkValue(term, eq[2])] };
		if (term.startsWith('!'))
			return { key: checkKey(term, term.slice(1).trim()), op: '!', values: [] };
		if (/^\S+$/.test(term)) return { key: checkKey(term, term), op: 'exists', values: [] };
		return badSelector(term, 'found unexpected token');
	});
}

export function labelsMatch(
	labels: Record<string, string> | undefined,
	requirements: LabelRequirement[],
): boolean {
	const l = labels ?? {};
	return requirements.every((r) => {
		const has = Object.prototype.hasOwnProperty.call(l, r.key);
		switch (r.op) {
			case 'exists':
				return has;
			case '!':
				return !has;
			case 'in':
				return has && r.values.includes(l[r.key]);
			case 'notin':
				return !has || !r.values.includes(l[r.key]);
		}
	});
}

export interface FieldRequirement {
	field: string;
	value: string;
	negate: boolean;
}

/** Field selectors accept only the fields each resource registers; anything else is a 400 like the real one. */
export function parseFieldSelector(
	selector: string | undefined,
	supported: readonly string[],
): FieldRequirement[] {
	if (!selector) return [];
	return splitTopLevel(selector).map((term) => {
		const m = /^([^=!]+?)\s*(!=|==|=)\s*(.*)$/.exec(term);
		if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
		const field = m[1].trim();
		if (!['metadata.name', 'metadata.namespace', ...supported].includes(field)) {
			throw errors.badRequest(`field label not supported: ${field}`);
		}
		return { field, value: m[3].trim(), negate: m[2] === '!=' };
	});
}

function fieldValue(obj: any, path: string): string {
	let cur = obj;
	for (const part of path.split('.')) cur = cur == null ? undefined : cur[part];
	return cur == null ? '' : String(cur);
}

export function fieldsMatch(obj: any, requirements: FieldRequirement[]): boolean {
	return requirements.every((r) => (fieldValue(obj, r.field) === r.value) !== r.negate);
}
