import { Document, isAlias, isMap, isScalar, isSeq, Scalar } from 'yaml';
import { inputError } from '../errors';

export type PathSegment = string | number;

/**
 * Parses `spec.template.spec.containers[0].image`, `a["key.with.dots"]`, `items[2]`. Dots separate map keys,
 * `[n]` indexes a sequence, a quoted bracket is a key that may hold dots.
 */
export function parseYamlPath(path: string, field = 'yamlPath'): PathSegment[] {
	const segments: PathSegment[] = [];
	const pattern = /\[(\d+)\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*'([^']*)'\s*\]|([^.[\]]+)|(\.)/gy;
	let expectKey = true;
	let match: RegExpExecArray | null;
	const trimmed = path.trim();
	while (pattern.lastIndex < trimmed.length && (match = pattern.exec(trimmed)) !== null) {
		const [, index, doubleQuoted, singleQuoted, bare, dot] = match;
		if (dot !== undefined) {
			if (expectKey) break;
			expectKey = true;
			continue;
		}
		if (bare !== undefined && !expectKey) break;
		if (index !== undefined) segments.push(Number(index));
		else if (doubleQuoted !== undefined) segments.push(JSON.parse(`"${doubleQuoted}"`) as string);
		else if (singleQuoted !== undefined) segments.push(singleQuoted);
		else segments.push(bare);
		expectKey = false;
	}
	if (trimmed === '' || pattern.lastIndex !== trimmed.length || expectKey) {
		throw inputError(
			`Invalid YAML path "${path}": use keys separated by dots with [n] for list items, e.g. spec.containers[0].image`,
			field,
		);
	}
	return segments;
}

export function formatYamlPath(segments: PathSegment[]): string {
	return segments
		.map((s, i) =>
			typeof s === 'number' ? `[${s}]` : /[.[\]]/.test(s) ? `["${s}"]` : i === 0 ? s : `.${s}`,
		)
		.join('');
}

export interface ResolvedScalar {
	node: Scalar;
	inFlow: boolean;
	afterKey: boolean;
}

/** Finds the scalar at `segments`, or says how far the path got and why it stopped. */
export function resolveScalar(
	doc: Document.Parsed,
	segments: PathSegment[],
): ResolvedScalar | { missing: string } {
	let node: unknown = doc.contents;
	let inFlow = false;
	let afterKey = false;
	for (let i = 0; i < segments.length; i++) {
		const segment = segments[i];
		const here = formatYamlPath(segments.slice(0, i)) || 'the document root';
		if (isAlias(node))
			return { missing: `${here} is an alias (*${node.source}); edit the anchored value instead` };
		if (typeof segment === 'number') {
			if (!isSeq(node)) return { missing: `${here} is not a list, so [${segment}] does not exist` };
			if (segment >= node.items.length)
				return {
					missing: `${here} has ${node.items.length} items, so [${segment}] does not exist`,
				};
			inFlow ||= Boolean(node.flow);
			node = node.items[segment];
			afterKey = false;
		} else {
			if (!isMap(node)) return { missing: `${here} is not a map, so "${segment}" does not exist` };
			const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
			if (!pair) return { missing: `"${segment}" not found under ${here}` };
			inFlow ||= Boolean(node.flow);
			node = pair.value;
			afterKey = true;
		}
	}
	const where = formatYamlPath(segments);
	if (isAlias(node))
		return { missing: `${where} is an alias (*${node.source}); edit the anchored value instead` };
	if (!isScalar(node))
		return {
			missing: `${where} is a ${isMap(node) ? 'map' : isSeq(node) ? 'list' : 'empty value'}, not a single value`,
		};
	return { node, inFlow, afterKey };
}
