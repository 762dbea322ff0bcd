// A parser for Go's regexp syntax (RE2, what Flux compiles `filterTags.pattern` and `exclusionList`
// with). It produces a small tree that is both checked for backtracking risk (regexSafety.ts) and
// written out as an equivalent JavaScript RegExp (goRegexp.ts). Parsing it ourselves, rather than
// handing the text to `new RegExp`, is what makes `(?P<name>)`, `\z`, `[[:alpha:]]`, Go's `\s` and `.`
// mean what they mean in Flux, and what lets backreferences and lookarounds be refused (RE2 has none).
import {
	ALL_CHARS,
	caseFoldRanges,
	complementRanges,
	normalizeRanges,
	unionRanges,
	type CharRanges,
} from './charRanges';

/** One code point: a literal, a class or `.`. `js` is a JavaScript atom for a `u`-flag RegExp. */
export interface CharNode {
	readonly type: 'char';
	/** Every code point this atom may consume (over-approximated when unsure). */
	readonly set: CharRanges;
	readonly js: string;
	/** Matched case-insensitively (Go `(?i)`). */
	readonly fold: boolean;
}

export interface AssertNode {
	readonly type: 'assert';
	readonly js: string;
	/** `^` or `\A` outside multi-line mode: the match can only start at position 0. */
	readonly beginText: boolean;
}

export interface GroupNode {
	readonly type: 'group';
	readonly capture: boolean;
	readonly alternatives: RegexNode[][];
}

export interface RepeatNode {
	readonly type: 'repeat';
	readonly min: number;
	readonly max: number; // Infinity when unbounded
	readonly greedy: boolean;
	readonly body: RegexNode;
}

export type RegexNode = CharNode | AssertNode | GroupNode | RepeatNode;

export interface ParsedGoRegexp {
	readonly alternatives: RegexNode[][];
	/** Index = capture group number (1-based, Go numbering); undefined for unnamed groups and index 0. */
	readonly groupNames: ReadonlyArray<string | undefined>;
}

export class GoRegexpSyntaxError extends Error {}

interface Flags {
	i: boolean;
	m: boolean;
	s: boolean;
	U: boolean;
}

/** Go limits counted repetition to 1000. */
const MAX_REPEAT = 1000;

const DIGITS: CharRanges = [[0x30, 0x39]];
const WORD: CharRanges = normalizeRanges([
	[0x30, 0x39],
	[0x41, 0x5a],
	[0x5f, 0x5f],
	[0x61, 0x7a],
]);
const SPACE: CharRanges = normalizeRanges([
	[0x09, 0x0a],
	[0x0c, 0x0d],
	[0x20, 0x20],
]);

const POSIX_CLASSES: Record<string, CharRanges> = {
	alnum: normalizeRanges([
		[0x30, 0x39],
		[0x41, 0x5a],
		[0x61, 0x7a],
	]),
	alpha: normalizeRanges([
		[0x41, 0x5a],
		[0x61, 0x7a],
	]),
	ascii: [[0x00, 0x7f]],
	blank: normalizeRanges([
		[0x09, 0x09],
		[0x20, 0x20],
	]),
	cntrl: normalizeRanges([
		[0x00, 0x1f],
		[0x7f, 0x7f],
	]),
	digit: DIGITS,
	graph: [[0x21, 0x7e]],
	lower: [[0x61, 0x7a]],
	print: [[0x20, 0x7e]],
	punct: normalizeRanges([
		[0x21, 0x2f],
		[0x3a, 0x40],
		[0x5b, 0x60],
		[0x7b, 0x7e],
	]),
	space: normalizeRanges([
		[0x09, 0x0d],
		[0x20, 0x20],
	]),
	upper: [[0x41, 0x5a]],
	word: WORD,
	xdigit: normalizeRanges([
		[0x30, 0x39],
		[0x41, 0x46],
		[0x61, 0x66],
	]),
};

const GENERAL_CATEGORIES = new Set(
	'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
		' ',
	),
);

/** A code point written so it is valid anywhere in a `u`-flag RegExp, inside or outside a class. */
export function jsCodePoint(cp: number): string {
	const isAlnum =
		(cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
	return isAlnum ? String.fromCodePoint(cp) : `\\u{${cp.toString(16)}}`;
}

function jsRanges(set: CharRanges): string {
	return set
		.map(([lo, hi]) => (lo === hi ? jsCodePoint(lo) : `${jsCodePoint(lo)}-${jsCodePoint(hi)}`))
		.join('');
}

function isOctal(ch: string | undefined): boolean {
	return ch !== undefined && ch >= '0' && ch <= '7';
}

function isHex(ch: string | undefined): boolean {
	return ch !== undefined && /^[0-9A-Fa-f]$/.test(ch);
}

/** Members of a bracket class or a Perl/Unicode class escape. */
interface ClassPiece {
	ranges: CharRanges;
	/** JavaScript property escapes (`\p{…}`) that cannot be listed as ranges. */
	jsExtra: string[];
}

class Parser {
	private pos = 0;
	private readonly groupNames: Array<string | undefined> = [undefined];

	constructor(private readonly src: string) {}

	parse(): ParsedGoRegexp {
		const alternatives = this.parseAlternatives({ i: false, m: false, s: false, U: false });
		if (this.pos < this.src.length) this.fail('unexpected )');
		return { alternatives, groupNames: this.groupNames };
	}

	private fail(message: string): never {
		throw new GoRegexpSyntaxError(message);
	}

	private peek(offset = 0): string | undefined {
		return this.src[this.pos + offset];
	}

	private nextCodePoint(): number {
		const cp = this.src.codePointAt(this.pos);
		if (cp === undefined) this.fail('unexpected end of pattern');
		this.pos += cp > 0xffff ? 2 : 1;
		return cp;
	}

	private parseAlternatives(outer: Flags): RegexNode[][] {
		const flags = { ...outer }; // `(?i)` changes flags until the end of the enclosing group only
		const alternatives: RegexNode[][] = [[]];
		let sequence = alternatives[0];
		while (this.pos < this.src.length) {
			const ch = this.peek();
			if (ch === ')') break;
			if (ch === '|') {
				this.pos++;
				sequence = [];
				alternatives.push(sequence);
				continue;
			}
			if (this.quantifierAhead()) {
				const target = sequence.pop();
				if (!target) this.fail(`missing argument to repetition operator: \`${ch}\``);
				sequence.push(this.parseQuantifier(target, flags));
				continue;
			}
			const nodes = this.parseAtom(flags);
			sequence.push(...nodes);
		}
		return alternatives;
	}

	/** Returns [] for a flag-only group like `(?i)`, several nodes for `\Q…\E`, else one node. */
	private parseAtom(flags: Flags): RegexNode[] {
		const ch = this.peek();
		switch (ch) {
			case '(':
				return this.parseGroup(flags);
			case '[':
				return [this.parseBracketClass(flags)];
			case '.':
				this.pos++;
				return [
					this.charNode(flags.s ? ALL_CHARS : complementRanges([[0x0a, 0x0a]]), [], false, false),
				];
			case '^':
				this.pos++;
				return [{ type: 'assert', js: flags.m ? '(?<![^\\n])' : '^', beginText: !flags.m }];
			case '$':
				this.pos++;
				return [{ type: 'assert', js: flags.m ? '(?![^\\n])' : '$', beginText: false }];
			case '\\':
				return this.parseEscapeAtom(flags);
			default: {
				const cp = this.nextCodePoint();
				return [this.literal(cp, flags)];
			}
		}
	}

	private literal(cp: number, flags: Flags): CharNode {
		const set: CharRanges = [[cp, cp]];
		return {
			type: 'char',
			set: flags.i ? caseFoldRanges(set) : set,
			js: jsCodePoint(cp),
			fold: flags.i,
		};
	}

	private charNode(
		ranges: CharRanges,
		jsExtra: string[],
		negated: boolean,
		fold: boolean,
	): CharNode {
		const js = `[${negated ? '^' : ''}${jsRanges(ranges)}${jsExtra.join('')}]`;
		// Over-approximate what can be consumed: property escapes and case folding only widen it.
		let set: CharRanges;
		if (negated) set = complementRanges(ranges);
		else if (jsExtra.length > 0) set = ALL_CHARS;
		else set = fold ? caseFoldRanges(ranges) : ranges;
		return { type: 'char', set, js, fold };
	}

	private parseGroup(flags: Flags): RegexNode[] {
		this.pos++; // (
		let capture = true;
		let name: string | undefined;
		let innerFlags = flags;
		if (this.peek() === '?') {
			const rest = this.src.slice(this.pos + 1);
			if (
				rest.startsWith('P<') ||
				(rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!'))
			) {
				this.pos += rest.startsWith('P<') ? 3 : 2;
				const end = this.src.indexOf('>', this.pos);
				name = end < 0 ? '' : this.src.slice(this.pos, end);
				if (!/^[A-Za-z0-9_]+$/.test(name))
					this.fail(`invalid named capture: \`${this.src.slice(this.pos - 3)}\``);
				if (this.groupNames.includes(name)) this.fail(`duplicate capture group name: \`${name}\``);
				this.pos = end + 1;
			} else if (/^(=|!|<=|<!)/.test(rest)) {
				this.fail('lookahead and lookbehind are not supported (Go regexp has none)');
			} else {
				const m = /^([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
				if (!m || m[2] === '' || (m[3] === ')' && m[1] === '' && m[2] === undefined))
					this.fail(`invalid or unsupported Perl syntax: \`(?${rest.slice(0, 2)}\``);
				this.pos += 1 + m[0].length;
				innerFlags = { ...flags };
				for (const f of m[1]) innerFlags[f as keyof Flags] = true;
				for (const f of m[2] ?? '') innerFlags[f as keyof Flags] = false;
				if (m[3] === ')') {
					// `(?i)`: no group, the flags apply to the rest of the enclosing group.
					Object.assign(flags, innerFlags);
					return [];
				}
				capture = false;
			}
		}
		if (capture) this.groupNames.push(name);
		const alternatives = this.parseAlternatives(innerFlags);
		if (this.peek() !== ')') this.fail(`missing closing ): \`${this.src}\``);
		this.pos++;
		return [{ type: 'group', capture, alternatives }];
	}

	/** `{n}`, `{n,}`, `{n,m}` at the current position, or undefined when `{` is a literal (as in Go). */
	private braceRepeatAhead(): { min: number; max: number; length: number } | undefined {
		const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos, this.pos + 16));
		if (!m) return undefined;
		const min = Number(m[1]);
		const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
		return { min, max, length: m[0].length };
	}

	private quantifierAhead(): boolean {
		const ch = this.peek();
		return (
			ch === '*' ||
			ch === '+' ||
			ch === '?' ||
			(ch === '{' && this.braceRepeatAhead() !== undefined)
		);
	}

	private parseQuantifier(target: RegexNode, flags: Flags): RepeatNode {
		const start = this.pos;
		let min: number;
		let max: number;
		const ch = this.peek();
		if (ch === '{') {
			const brace = this.braceRepeatAhead()!;
			if (brace.min > MAX_REPEAT || brace.max > MAX_REPEAT || brace.min > brace.max) {
				this.fail(
					`invalid repeat count: \`${this.src.slice(start, start + brace.length)}\` (Go allows at most ${MAX_REPEAT})`,
				);
			}
			({ min, max } = brace);
			this.pos += brace.length;
		} else {
			[min, max] = ch === '*' ? [0, Infinity] : ch === '+' ? [1, Infinity] : [0, 1];
			this.pos++;
		}
		let lazy = false;
		if (this.peek() === '?') {
			lazy = true;
			this.pos++;
		}
		if (this.quantifierAhead()) {
			this.fail(`invalid nested repetition operator: \`${this.src.slice(start, this.pos + 1)}\``);
		}
		if (target.type === 'assert') {
			this.fail(
				`a repetition operator after an anchor repeats nothing: \`${this.src.slice(start, this.pos)}\``,
			);
		}
		// Go's (?U) swaps the meaning of greedy and lazy.
		return { type: 'repeat', min, max, greedy: lazy === flags.U, body: target };
	}

	private parseEscapeAtom(flags: Flags): RegexNode[] {
		const next = this.peek(1);
		if (next === 'A' || next === 'z') {
			this.pos += 2;
			// This translator never sets the JavaScript `m` flag, so `^`/`$` always mean text start/end.
			return [{ type: 'assert', js: next === 'A' ? '^' : '$', beginText: next === 'A' }];
		}
		if (next === 'b' || next === 'B') {
			this.pos += 2;
			return [{ type: 'assert', js: `\\${next}`, beginText: false }];
		}
		if (next === 'Q') {
			this.pos += 2;
			let end = this.src.indexOf('\\E', this.pos);
			if (end < 0) end = this.src.length;
			const nodes: RegexNode[] = [];
			while (this.pos < end) nodes.push(this.literal(this.nextCodePoint(), flags));
			this.pos = Math.min(end + 2, this.src.length);
			return nodes;
		}
		const piece = this.parseEscape();
		if (typeof piece === 'number') return [this.literal(piece, flags)];
		return [this.charNode(piece.ranges, piece.jsExtra, false, flags.i)];
	}

	/** An escape that stands for one code point (returned as a number) or a class. */
	private parseEscape(): number | ClassPiece {
		this.pos++; // backslash
		const ch = this.peek();
		if (ch === undefined) this.fail('trailing backslash at end of expression');
		this.pos++;
		const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
		if (ch in simple) return simple[ch];
		const perl: Record<string, CharRanges> = { d: DIGITS, s: SPACE, w: WORD };
		if (ch.toLowerCase() in perl) {
			const ranges = perl[ch.toLowerCase()];
			return { ranges: ch === ch.toLowerCase() ? ranges : complementRanges(ranges), jsExtra: [] };
		}
		if (ch === 'p' || ch === 'P') return this.parseUnicodeClass(ch === 'P');
		if (ch === 'x') return this.parseHexEscape();
		if (isOctal(ch) && (ch === '0' || isOctal(this.peek()))) {
			let digits = ch;
			while (digits.length < 3 && isOctal(this.peek())) digits += this.src[this.pos++];
			return parseInt(digits, 8);
		}
		if (ch >= '1' && ch <= '9')
			this.fail(`backreferences are not supported (Go regexp has none): \`\\${ch}\``);
		const code = ch.charCodeAt(0);
		if (code < 0x80 && !/[0-9A-Za-z]/.test(ch)) return code; // escaped punctuation is literal
		return this.fail(`invalid escape sequence: \`\\${ch}\``);
	}

	private parseHexEscape(): number {
		let hex: string;
		if (this.peek() === '{') {
			const end = this.src.indexOf('}', this.pos);
			hex = end < 0 ? '' : this.src.slice(this.pos + 1, end);
			if (!/^[0-9A-Fa-f]{1,8}$/.test(hex)) this.fail('invalid escape sequence: `\\x{`');
			this.pos = end + 1;
		} else {
			if (!isHex(this.peek()) || !isHex(this.peek(1))) this.fail('invalid escape sequence: `\\x`');
			hex = this.src.slice(this.pos, this.pos + 2);
			this.pos += 2;
		}
		const cp = parseInt(hex, 16);
		if (cp > 0x10ffff) this.fail(`invalid escape sequence: \`\\x{${hex}}\``);
		return cp;
	}

	private parseUnicodeClass(negatedByCase: boolean): ClassPiece {
		let name: string;
		if (this.peek() === '{') {
			const end = this.src.indexOf('}', this.pos);
			if (end < 0) this.fail('invalid character class range: missing }');
			name = this.src.slice(this.pos + 1, end);
			this.pos = end + 1;
		} else {
			name = this.peek() ?? '';
			this.pos++;
		}
		let negated = negatedByCase;
		if (name.startsWith('^')) {
			negated = !negated;
			name = name.slice(1);
		}
		const property = name === 'Any' || GENERAL_CATEGORIES.has(name) ? name : `Script=${name}`;
		const js = `\\${negated ? 'P' : 'p'}{${property}}`;
		try {
			new RegExp(js, 'u');
		} catch {
			this.fail(`invalid character class range: \`\\p{${name}}\``);
		}
		return { ranges: [], jsExtra: [js] };
	}

	private parseBracketClass(flags: Flags): CharNode {
		const start = this.pos;
		this.pos++; // [
		let negated = false;
		if (this.peek() === '^') {
			negated = true;
			this.pos++;
		}
		const ranges: Array<readonly [number, number]> = [];
		const jsExtra: string[] = [];
		let first = true;
		for (;;) {
			if (this.pos >= this.src.length) this.fail(`missing closing ]: \`${this.src.slice(start)}\``);
			if (this.peek() === ']' && !first) break;
			first = false;
			if (this.src.startsWith('[:', this.pos)) {
				const end = this.src.indexOf(':]', this.pos + 2);
				if (end >= 0) {
					let name = this.src.slice(this.pos + 2, end);
					const posixNegated = name.startsWith('^');
					if (posixNegated) name = name.slice(1);
					const posix = POSIX_CLASSES[name];
					if (!posix) this.fail(`invalid character class range: \`[:${name}:]\``);
					ranges.push(...(posixNegated ? complementRanges(posix) : posix));
					this.pos = end + 2;
					continue;
				}
			}
			const lo = this.classMember();
			if (typeof lo !== 'number') {
				ranges.push(...lo.ranges);
				jsExtra.push(...lo.jsExtra);
				continue;
			}
			if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
				this.pos++;
				const hi = this.classMember();
				if (typeof hi !== 'number' || hi < lo)
					this.fail(`invalid character class range: \`${this.src.slice(start, this.pos)}\``);
				ranges.push([lo, hi]);
			} else {
				ranges.push([lo, lo]);
			}
		}
		this.pos++; // ]
		return this.charNode(unionRanges(ranges), jsExtra, negated, flags.i);
	}

	private classMember(): number | ClassPiece {
		if (this.peek() === '\\') return this.parseEscape();
		return this.nextCodePoint();
	}
}

export function parseGoRegexp(pattern: string): ParsedGoRegexp {
	return new Parser(pattern).parse();
}
