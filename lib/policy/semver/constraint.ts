// Version ranges with the grammar and matching rules of Masterminds/semver v3 (what Flux's `semver.range`
// means). npm `semver` reads several of these differently, which is why this is not delegated to it:
// - `,` is AND (`>0,<2.0`); npm rejects it.
// - `^1.x-0`, `~1.2.x-rc` (wildcards plus a prerelease) are valid; npm rejects them.
// - A prerelease anywhere in an AND group admits prereleases of ANY major.minor.patch to that group
//   (`>=1.0.0-0` matches `2.0.0-rc.1`); npm only admits prereleases of the same tuple.
// - `""` is invalid (npm reads it as `*`).
// The text is scanned by hand in one pass, so no user-controlled string ever meets a backtracking regex.
import {
	comparePrerelease,
	compareVersions,
	parseLooseVersion,
	type SemverVersion,
} from './version';

type Operator = '' | '=' | '!=' | '>' | '<' | '>=' | '=>' | '<=' | '=<' | '~' | '~>' | '^';
const OPERATORS = new Set<string>([
	'',
	'=',
	'!=',
	'>',
	'<',
	'>=',
	'=>',
	'<=',
	'=<',
	'~',
	'~>',
	'^',
]);
const OPERATOR_CHARS = '=!<>~^';

/** One comparison such as `>=1.2` after wildcard resolution. */
interface Comparison {
	readonly operator: Operator;
	readonly version: SemverVersion;
	/** Any part given as x/X/* or left out (`1`, `1.x`, `1.2`): the comparison is a range, not a point. */
	readonly dirty: boolean;
	readonly minorDirty: boolean;
	readonly patchDirty: boolean;
}

interface AndGroup {
	readonly comparisons: readonly Comparison[];
	/** A prerelease in any comparison lets prereleases through the whole group (Masterminds rule). */
	readonly admitsPrereleases: boolean;
}

export interface SemverRange {
	readonly text: string;
	readonly groups: readonly AndGroup[];
}

export class SemverRangeSyntaxError extends Error {}

export const MAX_RANGE_LENGTH = 256;

// Go's `\s` (RE2, ASCII): tab, newline, form feed, carriage return, space. Not \v, not Unicode spaces.
function isSpace(ch: string | undefined): boolean {
	return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\f' || ch === '\r';
}

function isPartChar(ch: string | undefined): boolean {
	// Masterminds' version-part class is `[0-9|x|X|\*]`: the `|` is a literal member by accident of
	// regex syntax. A part containing it never parses as a version later, so the range is still rejected.
	return (
		ch !== undefined &&
		((ch >= '0' && ch <= '9') || ch === 'x' || ch === 'X' || ch === '*' || ch === '|')
	);
}

function isIdentChar(ch: string | undefined): boolean {
	return ch !== undefined && /^[0-9A-Za-z-]$/.test(ch);
}

function isWildcard(part: string | undefined): boolean {
	return part === 'x' || part === 'X' || part === '*';
}

/** A version as written inside a range: `v?P(.P)?(.P)?(-ids)?(+ids)?` with P digits or a wildcard. */
interface RangeVersionText {
	readonly text: string;
	readonly major: string;
	readonly minor?: string;
	readonly patch?: string;
	readonly prerelease: string; // with the leading '-', or ''
}

class Scanner {
	pos = 0;
	constructor(readonly text: string) {}

	peek(offset = 0): string | undefined {
		return this.text[this.pos + offset];
	}

	skipSpaces(): number {
		const start = this.pos;
		while (isSpace(this.peek())) this.pos++;
		return this.pos - start;
	}

	readWhile(test: (ch: string | undefined) => boolean): string {
		const start = this.pos;
		while (this.pos < this.text.length && test(this.peek())) this.pos++;
		return this.text.slice(start, this.pos);
	}

	/** Dot-separated identifiers; stops before a dot that is not followed by an identifier. */
	readIdentifiers(): string {
		const start = this.pos;
		this.readWhile(isIdentChar);
		while (this.peek() === '.' && isIdentChar(this.peek(1))) {
			this.pos++;
			this.readWhile(isIdentChar);
		}
		return this.text.slice(start, this.pos);
	}

	readVersionText(): RangeVersionText | undefined {
		const start = this.pos;
		if (this.peek() === 'v') this.pos++;
		const major = this.readWhile(isPartChar);
		if (major === '') {
			this.pos = start;
			return undefined;
		}
		let minor: string | undefined;
		let patch: string | undefined;
		if (this.peek() === '.' && isPartChar(this.peek(1))) {
			this.pos++;
			minor = this.readWhile(isPartChar);
			if (this.peek() === '.' && isPartChar(this.peek(1))) {
				this.pos++;
				patch = this.readWhile(isPartChar);
			}
		}
		let prerelease = '';
		if (this.peek() === '-' && isIdentChar(this.peek(1))) {
			const preStart = this.pos;
			this.pos++;
			this.readIdentifiers();
			prerelease = this.text.slice(preStart, this.pos);
		}
		if (this.peek() === '+' && isIdentChar(this.peek(1))) {
			this.pos++;
			this.readIdentifiers();
		}
		return { text: this.text.slice(start, this.pos), major, minor, patch, prerelease };
	}
}

/**
 * Masterminds rewrites hyphen ranges before anything else: `A - B` (spaces required around the hyphen)
 * becomes `>= A, <= B `. Done with the same scanner so the rewrite accepts exactly the version shapes
 * the rest of the grammar does.
 */
function rewriteHyphenRanges(text: string): string {
	let out = '';
	let i = 0;
	while (i < text.length) {
		const rewritten = hyphenRangeAt(text, i);
		if (rewritten) {
			out += `>= ${rewritten.from}, <= ${rewritten.to} `;
			i = rewritten.end;
		} else {
			out += text[i];
			i++;
		}
	}
	return out;
}

function hyphenRangeAt(
	text: string,
	start: number,
): { from: string; to: string; end: number } | undefined {
	const s = new Scanner(text);
	s.pos = start;
	s.skipSpaces();
	const from = s.readVersionText();
	if (!from) return undefined;
	if (s.skipSpaces() === 0 || s.peek() !== '-') return undefined;
	s.pos++;
	if (s.skipSpaces() === 0) return undefined;
	const to = s.readVersionText();
	if (!to) return undefined;
	s.skipSpaces();
	return { from: from.text, to: to.text, end: s.pos };
}

function resolveComparison(
	operator: Operator,
	written: RangeVersionText,
	segment: string,
): Comparison {
	let version: SemverVersion | undefined;
	let dirty = true;
	let minorDirty = false;
	let patchDirty = false;
	if (isWildcard(written.major)) {
		version = parseLooseVersion(`0.0.0${written.prerelease}`);
	} else if (written.minor === undefined || isWildcard(written.minor)) {
		minorDirty = true;
		version = parseLooseVersion(`${written.major}.0.0${written.prerelease}`);
	} else if (written.patch === undefined || isWildcard(written.patch)) {
		patchDirty = true;
		version = parseLooseVersion(`${written.major}.${written.minor}.0${written.prerelease}`);
	} else {
		dirty = false;
		version = parseLooseVersion(written.text);
	}
	if (!version)
		throw new SemverRangeSyntaxError(`"${written.text}" in "${segment}" is not a version`);
	return { operator, version, dirty, minorDirty, patchDirty };
}

/** `\s*op\s*version\s*` then any number of `(\s+|,\s*)op\s*version\s*`. */
function parseAndGroup(segment: string): AndGroup {
	const s = new Scanner(segment);
	const comparisons: Comparison[] = [];
	s.skipSpaces();
	for (;;) {
		const operator = s.readWhile((ch) => ch !== undefined && OPERATOR_CHARS.includes(ch));
		if (!OPERATORS.has(operator))
			throw new SemverRangeSyntaxError(`improper constraint: "${segment}"`);
		s.skipSpaces();
		const written = s.readVersionText();
		if (!written) throw new SemverRangeSyntaxError(`improper constraint: "${segment}"`);
		comparisons.push(resolveComparison(operator as Operator, written, segment));
		const spaces = s.skipSpaces();
		if (s.pos >= segment.length) break;
		if (s.peek() === ',') {
			s.pos++;
			s.skipSpaces();
		} else if (spaces === 0) {
			throw new SemverRangeSyntaxError(`improper constraint: "${segment}"`);
		}
	}
	return { comparisons, admitsPrereleases: comparisons.some((c) => c.version.prerelease !== '') };
}

export function parseSemverRange(text: string): SemverRange {
	if (text.length > MAX_RANGE_LENGTH) {
		throw new SemverRangeSyntaxError(
			`the range is ${text.length} characters long; at most ${MAX_RANGE_LENGTH} are accepted`,
		);
	}
	const groups = rewriteHyphenRanges(text).split('||').map(parseAndGroup);
	return { text, groups };
}

// ---- matching (Masterminds constraint functions) ----

function sameMajorMinor(v: SemverVersion, c: Comparison): boolean {
	return v.major == c.version.major && (c.minorDirty || v.minor == c.version.minor);
}

function tilde(v: SemverVersion, c: Comparison): boolean {
	if (compareVersions(v, c.version) < 0) return false;
	const con = c.version;
	// ~0.0.0 (and `~*`) accepts everything at or above 0.0.0.
	if (con.major == 0 && con.minor == 0 && con.patch == 0 && !c.minorDirty && !c.patchDirty)
		return true;
	return sameMajorMinor(v, c);
}

function caret(v: SemverVersion, c: Comparison): boolean {
	if (compareVersions(v, c.version) < 0) return false;
	const con = c.version;
	if (con.major > 0 || c.minorDirty) return v.major == con.major;
	if (v.major > 0) return false;
	if (con.minor > 0 || c.patchDirty) return v.minor == con.minor;
	if (v.minor > 0) return false;
	return v.patch == con.patch;
}

function notEqual(v: SemverVersion, c: Comparison): boolean {
	const con = c.version;
	if (c.dirty) {
		if (con.major != v.major) return true;
		if (c.minorDirty) return false;
		if (con.minor != v.minor) return true;
		if (c.patchDirty) {
			// `!=1.2.x-rc`: only the prerelease can still tell the two apart.
			if (v.prerelease === '' && con.prerelease === '') return false;
			return comparePrerelease(v.prereleaseParts, con.prereleaseParts) !== 0;
		}
		if (con.patch != v.patch) return true;
	}
	return compareVersions(v, con) !== 0;
}

function greaterThan(v: SemverVersion, c: Comparison): boolean {
	const con = c.version;
	if (!c.dirty) return compareVersions(v, con) > 0;
	if (v.major > con.major) return true;
	if (v.major < con.major || c.minorDirty) return false; // `>1` needs 2.0.0 or more
	if (c.patchDirty) return v.minor > con.minor; // `>1.1` needs 1.2.0 or more
	return compareVersions(v, con) > 0;
}

function lessThanOrEqual(v: SemverVersion, c: Comparison): boolean {
	const con = c.version;
	if (!c.dirty) return compareVersions(v, con) <= 0;
	if (v.major > con.major) return false;
	return !(v.major == con.major && v.minor > con.minor && !c.minorDirty);
}

function satisfiesComparison(v: SemverVersion, c: Comparison): boolean {
	switch (c.operator) {
		case '':
		case '=':
			return c.dirty ? tilde(v, c) : compareVersions(v, c.version) === 0;
		case '!=':
			return notEqual(v, c);
		case '>':
			return greaterThan(v, c);
		case '<':
			return compareVersions(v, c.version) < 0;
		case '>=':
		case '=>':
			return compareVersions(v, c.version) >= 0;
		case '<=':
		case '=<':
			return lessThanOrEqual(v, c);
		case '~':
		case '~>':
			return tilde(v, c);
		case '^':
			return caret(v, c);
	}
}

export function satisfiesRange(v: SemverVersion, range: SemverRange): boolean {
	for (const group of range.groups) {
		if (v.prerelease !== '' && !group.admitsPrereleases) continue;
		if (group.comparisons.every((c) => satisfiesComparison(v, c))) return true;
	}
	return false;
}
