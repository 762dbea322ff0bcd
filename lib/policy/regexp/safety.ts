// Go runs Flux's patterns on RE2, which is linear-time whatever the pattern. Node's RegExp engine
// backtracks, so a pattern that is harmless in Flux can take seconds (polynomial) or forever
// (exponential) per tag here. This check bounds the work before any tag meets the pattern.
//
// The model: a tag has at most MAX_TAG_LENGTH characters, so a variable-width piece (`x*`, `x{2,9}`,
// `(a|bc)`) can end in at most that many places. Backtracking multiplies those choices only along a
// chain of pieces that can consume the same characters (`.*.*`, `\d+\d+`) and only when something
// after them can fail. A piece that must consume a character the earlier pieces cannot (`\d+\.`)
// ends the chain. An unanchored pattern is tried at every start position, which is one more link.
// The estimated worst case at every point that can fail must stay within MAX_TAG_LENGTH², i.e. a
// few thousand steps per tag. Separately, a repeated group may not contain another variable
// repetition (`(a+)+`, `(.*)*`) or alternatives that can start alike or be empty (`(a|a)*`,
// `(a|ab)+`, `(a|)*`): those are the exponential cases.
import { ALL_CHARS, NO_CHARS, rangesOverlap, unionRanges, type CharRanges } from './charRanges';
import type { ParsedGoRegexp, RegexNode } from './syntax';

export const MAX_TAG_LENGTH = 128; // OCI distribution spec: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
export const MAX_BACKTRACK_ESTIMATE = MAX_TAG_LENGTH * MAX_TAG_LENGTH;

export class UnsafeRegexError extends Error {}

// ---- static facts about a node ----

function lengthBounds(node: RegexNode): [number, number] {
	switch (node.type) {
		case 'char':
			return [1, 1];
		case 'assert':
			return [0, 0];
		case 'repeat': {
			const [lo, hi] = lengthBounds(node.body);
			return [lo * node.min, hi === 0 ? 0 : hi * node.max];
		}
		case 'group': {
			const bounds = node.alternatives.map(sequenceLengthBounds);
			return [Math.min(...bounds.map((b) => b[0])), Math.max(...bounds.map((b) => b[1]))];
		}
	}
}

function sequenceLengthBounds(sequence: RegexNode[]): [number, number] {
	return sequence.reduce<[number, number]>(
		(acc, node) => {
			const [lo, hi] = lengthBounds(node);
			return [acc[0] + lo, acc[1] + hi];
		},
		[0, 0],
	);
}

/** Every code point the node may consume. */
function consumable(node: RegexNode): CharRanges {
	switch (node.type) {
		case 'char':
			return node.set;
		case 'assert':
			return NO_CHARS;
		case 'repeat':
			return consumable(node.body);
		case 'group':
			return unionRanges(...node.alternatives.flat().map(consumable));
	}
}

/** Code points the node may consume first. */
function firstChars(node: RegexNode): CharRanges {
	switch (node.type) {
		case 'char':
			return node.set;
		case 'assert':
			return NO_CHARS;
		case 'repeat':
			return firstChars(node.body);
		case 'group':
			return unionRanges(...node.alternatives.map(sequenceFirstChars));
	}
}

function sequenceFirstChars(sequence: RegexNode[]): CharRanges {
	const sets: CharRanges[] = [];
	for (const node of sequence) {
		sets.push(firstChars(node));
		if (lengthBounds(node)[0] > 0) break;
	}
	return unionRanges(...sets);
}

function isVariableRepeat(node: RegexNode): boolean {
	return node.type === 'repeat' && node.min !== node.max;
}

function someNode(node: RegexNode, test: (n: RegexNode) => boolean): boolean {
	if (test(node)) return true;
	if (node.type === 'repeat') return someNode(node.body, test);
	if (node.type === 'group')
		return node.alternatives.some((seq) => seq.some((n) => someNode(n, test)));
	return false;
}

// ---- exponential cases ----

function ambiguousAlternation(node: RegexNode): boolean {
	if (node.type !== 'group' || node.alternatives.length < 2) return false;
	const firsts = node.alternatives.map(sequenceFirstChars);
	if (node.alternatives.some((seq) => sequenceLengthBounds(seq)[0] === 0)) return true;
	for (let i = 0; i < firsts.length; i++) {
		for (let j = i + 1; j < firsts.length; j++)
			if (rangesOverlap(firsts[i], firsts[j])) return true;
	}
	return false;
}

function flatten(sequence: RegexNode[]): RegexNode[] {
	return sequence.flatMap((node) =>
		node.type === 'group' && node.alternatives.length === 1
			? flatten(node.alternatives[0])
			: [node],
	);
}

/**
 * `(\.[0-9]+)+`, `(-[a-z]+)*`: each iteration starts with a character no inner repetition can take,
 * so where one iteration ends and the next begins is never in doubt.
 */
function delimitedBody(body: RegexNode): boolean {
	const [first] = flatten([body]);
	if (!first || first.type !== 'char') return false;
	// "No inner repetition may consume the delimiter" == "no node that is one overlaps it".
	return !someNode(body, (n) => isVariableRepeat(n) && rangesOverlap(consumable(n), first.set));
}

function checkRepeatedBody(node: RegexNode): void {
	if (node.type !== 'repeat' || node.max <= 1) return;
	const body = node.body;
	if (someNode(body, isVariableRepeat)) {
		if (!delimitedBody(body)) {
			throw new UnsafeRegexError(
				'a repeated group contains another repetition (like `(a+)+` or `(.*)*`); start the group with a separator the inner part cannot match, as in `(\\.[0-9]+)+`',
			);
		}
		new ChainCheck().walk([body], []);
	}
	if (lengthBounds(body)[0] === 0) {
		throw new UnsafeRegexError(
			'a repeated group can match the empty string (like `(a?)*` or `(a|)*`)',
		);
	}
	if (someNode(body, ambiguousAlternation)) {
		throw new UnsafeRegexError(
			'a repeated group has alternatives that can start with the same character or be empty (like `(a|a)*` or `(a|ab)+`)',
		);
	}
}

// ---- polynomial cases ----

/** A variable-width piece whose end position is still undecided when later pieces run. */
interface OpenPiece {
	readonly chars: CharRanges;
	/** Ways the chain ending in this piece can be split over the input. */
	readonly ways: number;
}

/** How many different lengths (or alternatives) a node can match with: its branching factor. */
function branching(node: RegexNode): number {
	if (node.type === 'repeat') {
		if (node.min === node.max) return 1;
		return node.max === Infinity
			? MAX_TAG_LENGTH
			: Math.min(node.max - node.min + 1, MAX_TAG_LENGTH);
	}
	if (node.type === 'group' && node.alternatives.length > 1) {
		const [lo, hi] = lengthBounds(node);
		if (lo === hi && !ambiguousAlternation(node)) return 1;
		return node.alternatives.reduce(
			(sum, seq) => sum + seq.reduce((p, n) => p * branching(n), 1),
			0,
		);
	}
	return 1;
}

class ChainCheck {
	worst = 1;

	private note(cost: number): void {
		this.worst = Math.max(this.worst, cost);
		if (cost > MAX_BACKTRACK_ESTIMATE) {
			throw new UnsafeRegexError(
				'pieces that can match the same characters follow each other (like `.*.*x`, `\\d+\\d+x` or an unanchored `a*a*b`), so a failing tag could backtrack through every way of splitting it',
			);
		}
	}

	walk(sequence: RegexNode[], open: OpenPiece[]): OpenPiece[] {
		for (const node of sequence) {
			checkRepeatedBody(node);
			if (node.type === 'group' && node.alternatives.length === 1) {
				open = this.walk(node.alternatives[0], open);
				continue;
			}
			if (node.type === 'group') {
				for (const alternative of node.alternatives) this.walk(alternative, [...open]);
			}
			if (node.type === 'repeat' && node.max <= 1) this.walk([node.body], [...open]);
			const pending = Math.max(1, ...open.map((p) => p.ways));
			const [minLength] = lengthBounds(node);
			const ways = branching(node);
			if (minLength > 0 || node.type === 'assert') this.note(pending * ways);
			const chars = consumable(node);
			if (minLength > 0) {
				// A piece that must consume a character none of the open pieces can take fixes where they end.
				const first = firstChars(node);
				open = open.filter((p) => rangesOverlap(p.chars, first));
			}
			if (ways > 1) {
				const feeding = open.filter((p) => rangesOverlap(p.chars, chars)).map((p) => p.ways);
				open = [...open, { chars, ways: Math.max(1, ...feeding) * ways }];
			}
		}
		return open;
	}
}

function startsAnchored(sequence: RegexNode[]): boolean {
	const first = sequence[0];
	if (!first) return false;
	if (first.type === 'assert') return first.beginText;
	if (first.type === 'group' && first.alternatives.length === 1)
		return startsAnchored(first.alternatives[0]);
	return false;
}

/** Throws UnsafeRegexError when the pattern could backtrack beyond the bound on some tag. */
export function checkRegexSafety(parsed: ParsedGoRegexp): void {
	const sequence: RegexNode[] =
		parsed.alternatives.length === 1
			? parsed.alternatives[0]
			: [{ type: 'group', capture: false, alternatives: parsed.alternatives }];
	// An unanchored search retries at every position: an implicit leading `.*?`.
	const search: OpenPiece[] = startsAnchored(sequence)
		? []
		: [{ chars: ALL_CHARS, ways: MAX_TAG_LENGTH }];
	new ChainCheck().walk(sequence, search);
}
