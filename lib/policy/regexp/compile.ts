// Go regexp patterns compiled to JavaScript RegExps that match the same tags, after the safety check.
import { GoRegexpSyntaxError, parseGoRegexp, type RegexNode } from './syntax';
import { checkRegexSafety, UnsafeRegexError } from './safety';

export const MAX_PATTERN_LENGTH = 256;

export interface GoRegexp {
	readonly pattern: string;
	readonly regex: RegExp;
	/** Index = capture group number (Go numbering); names from `(?P<name>)` / `(?<name>)`. */
	readonly groupNames: ReadonlyArray<string | undefined>;
}

let modifiersSupported: boolean | undefined;
function regexpModifiersSupported(): boolean {
	if (modifiersSupported === undefined) {
		try {
			new RegExp('(?i:a)', 'u');
			modifiersSupported = true;
		} catch {
			modifiersSupported = false; // Node < 23
		}
	}
	return modifiersSupported;
}

function quantifier(min: number, max: number): string {
	if (min === 0 && max === Infinity) return '*';
	if (min === 1 && max === Infinity) return '+';
	if (min === 0 && max === 1) return '?';
	if (min === max) return `{${min}}`;
	return max === Infinity ? `{${min},}` : `{${min},${max}}`;
}

function emit(node: RegexNode, scopedFold: boolean): string {
	switch (node.type) {
		case 'char':
			return scopedFold && node.fold ? `(?i:${node.js})` : node.js;
		case 'assert':
			return node.js;
		case 'group': {
			const body = node.alternatives
				.map((seq) => seq.map((n) => emit(n, scopedFold)).join(''))
				.join('|');
			return `${node.capture ? '(' : '(?:'}${body})`;
		}
		case 'repeat':
			return `${emit(node.body, scopedFold)}${quantifier(node.min, node.max)}${node.greedy ? '' : '?'}`;
	}
}

function charNodes(nodes: RegexNode[]): Array<Extract<RegexNode, { type: 'char' }>> {
	return nodes.flatMap((node) => {
		if (node.type === 'char') return [node];
		if (node.type === 'repeat') return charNodes([node.body]);
		if (node.type === 'group') return charNodes(node.alternatives.flat());
		return [];
	});
}

/**
 * Parses a Go (RE2) pattern, refuses what Go refuses plus what could backtrack without bound here,
 * and returns an equivalent `u`-flag RegExp. Throws GoRegexpSyntaxError or UnsafeRegexError.
 */
export function compileGoRegexp(pattern: string): GoRegexp {
	if (pattern.length > MAX_PATTERN_LENGTH) {
		throw new UnsafeRegexError(
			`the pattern is ${pattern.length} characters long; at most ${MAX_PATTERN_LENGTH} are accepted`,
		);
	}
	const parsed = parseGoRegexp(pattern);
	checkRegexSafety(parsed);
	const chars = charNodes(parsed.alternatives.flat());
	const folded = chars.filter((c) => c.fold).length;
	const wholeFold = folded > 0 && folded === chars.length;
	const scopedFold = folded > 0 && !wholeFold;
	if (scopedFold && !regexpModifiersSupported()) {
		throw new GoRegexpSyntaxError(
			'(?i) for part of a pattern needs Node.js 23 or later; put (?i) at the very start instead',
		);
	}
	const source = parsed.alternatives
		.map((seq) => seq.map((n) => emit(n, scopedFold)).join(''))
		.join('|');
	try {
		return {
			pattern,
			regex: new RegExp(source, wholeFold ? 'iu' : 'u'),
			groupNames: parsed.groupNames,
		};
	} catch (error) {
		throw new GoRegexpSyntaxError(
			`cannot be expressed as a JavaScript RegExp: ${(error as Error).message}`,
		);
	}
}
