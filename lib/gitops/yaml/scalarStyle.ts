import { isScalar, parseDocument, Scalar } from 'yaml';

// Kubernetes and Helm read YAML through go-yaml with 1.1 rules (`on`, `yes`, `0x1f`, `1_000` are not strings
// there), the `yaml` package and most tools use 1.2: a plain value must mean the same thing under both.
const SCHEMAS = ['1.1', '1.2'] as const;

function resolvePlain(text: string, version: '1.1' | '1.2', inFlow: boolean): Scalar | undefined {
	const doc = parseDocument(inFlow ? `[${text}]` : text, { version, prettyErrors: false });
	if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
	const node = inFlow ? (doc.contents as { items?: unknown[] } | null)?.items : [doc.contents];
	if (!node || node.length !== 1 || !isScalar(node[0])) return undefined;
	const scalar = node[0];
	return scalar.type === 'PLAIN' ? scalar : undefined;
}

/** True when `text` written plain reads back as the same string under YAML 1.1 and 1.2. */
export function plainKeepsString(text: string, inFlow = false): boolean {
	if (text === '' || /[\n\r\t]/.test(text)) return false;
	return SCHEMAS.every((version) => {
		const scalar = resolvePlain(text, version, inFlow);
		return scalar !== undefined && typeof scalar.value === 'string' && scalar.value === text;
	});
}

/** True when plain `text` is a non-string of the same JS type as `previous` and prints back as itself (`3`, `true`). */
function plainKeepsType(text: string, previous: unknown, inFlow: boolean): boolean {
	return SCHEMAS.every((version) => {
		const scalar = resolvePlain(text, version, inFlow);
		return (
			scalar !== undefined &&
			typeof scalar.value === typeof previous &&
			String(scalar.value) === text
		);
	});
}

/** True when plain `text` is a finite number under YAML 1.1 and 1.2 and prints back as itself. */
export function plainIsNumber(text: string, inFlow = false): boolean {
	return Number.isFinite(Number(text)) && plainKeepsType(text, 0, inFlow);
}

/**
 * How a written value is typed. auto: a string unless the old value was a number or boolean and the new text
 * is one too; string: always a string; number: always a number (the text must be one).
 */
export type ValueType = 'auto' | 'string' | 'number';

/**
 * A git commit id or an abbreviation of one (7 to 64 lower-case hex digits). `auto` always writes it as a
 * string: an all-digit short SHA replacing an integer must not become a number, which Helm prints as 7.654321e+06.
 */
export function looksLikeCommitId(text: string): boolean {
	return /^[0-9a-f]{7,64}$/.test(text);
}

/**
 * The style to write `value` in: the node's own style when that is safe (quotes stay quotes, block stays
 * block), plain only when it cannot be read back as another type, otherwise double quotes. A value that was
 * a number or boolean may stay plain when the new text is one too (`replicas: 1` → `3`), unless it looks like
 * a commit id; `number` writes plain (checkEdit made sure the text is a number).
 */
export function scalarTypeFor(
	node: Scalar,
	value: string,
	inFlow: boolean,
	valueType: ValueType = 'auto',
): Scalar.Type {
	if (valueType === 'number') return 'PLAIN';
	const current = node.type ?? 'PLAIN';
	const multiLine = value.includes('\n');
	if (current === 'BLOCK_LITERAL' || current === 'BLOCK_FOLDED') return current;
	if (multiLine) return 'QUOTE_DOUBLE';
	if (current === 'QUOTE_DOUBLE' || current === 'QUOTE_SINGLE') return current;
	const keepsType =
		valueType === 'auto' &&
		!looksLikeCommitId(value) &&
		typeof node.value !== 'string' &&
		node.value !== null;
	if (keepsType && plainKeepsType(value, node.value, inFlow)) return 'PLAIN';
	return plainKeepsString(value, inFlow) ? 'PLAIN' : 'QUOTE_DOUBLE';
}
