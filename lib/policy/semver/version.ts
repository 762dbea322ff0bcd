// Semantic versions with the parsing and precedence rules of Masterminds/semver v3, which Flux uses.
// npm `semver` agrees on precedence but not on what it accepts (leading zeros coerced inside ranges,
// uint64 segments beyond 2^53), so parsing is done here by hand: no regex, one pass, which also keeps
// 10,000-tag scans cheap.

/** A segment is a JS number while it is exactly representable, a bigint beyond that (Go uses uint64). */
export type Segment = number | bigint;

export interface SemverVersion {
	readonly major: Segment;
	readonly minor: Segment;
	readonly patch: Segment;
	/** Prerelease without the leading '-', '' when absent. */
	readonly prerelease: string;
	/** Prerelease identifiers, numeric ones already converted (null when there is no prerelease). */
	readonly prereleaseParts: ReadonlyArray<string | Segment> | null;
	/** The text as given (Flux reports this, not a normalised form). */
	readonly original: string;
}

const UINT64_MAX = 18446744073709551615n;
const MAX_SAFE_DIGITS = 15;

function isDigit(code: number): boolean {
	return code >= 48 && code <= 57;
}

function isIdentifierChar(code: number): boolean {
	return isDigit(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45;
}

function allDigits(text: string): boolean {
	for (let i = 0; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return false;
	return true;
}

/** Go strconv.ParseUint(s, 10, 64): digits only, non-empty, at most 2^64-1 (leading zeros allowed). */
export function parseUint64(text: string): Segment | undefined {
	if (text.length === 0 || !allDigits(text)) return undefined;
	if (text.length <= MAX_SAFE_DIGITS) return Number(text);
	const big = BigInt(text);
	return big > UINT64_MAX ? undefined : big;
}

function parseStrictSegment(text: string): Segment | undefined {
	if (text.length > 1 && text.charCodeAt(0) === 48) return undefined; // leading zero
	return parseUint64(text);
}

function validDotted(text: string, numericMayNotStartWithZero: boolean): boolean {
	if (text.length === 0) return false;
	for (const part of text.split('.')) {
		if (part.length === 0) return false;
		let numeric = true;
		for (let i = 0; i < part.length; i++) {
			const code = part.charCodeAt(i);
			if (!isIdentifierChar(code)) return false;
			if (!isDigit(code)) numeric = false;
		}
		if (numericMayNotStartWithZero && numeric && part.length > 1 && part.charCodeAt(0) === 48)
			return false;
	}
	return true;
}

export const validPrerelease = (text: string): boolean => validDotted(text, true);
export const validMetadata = (text: string): boolean => validDotted(text, false);

function prereleasePartsOf(prerelease: string): Array<string | Segment> | null {
	if (prerelease === '') return null;
	// A numeric identifier too large for uint64 is compared as text, as Masterminds does.
	return prerelease.split('.').map((part) => parseUint64(part) ?? part);
}

function build(
	major: Segment,
	minor: Segment,
	patch: Segment,
	prerelease: string,
	original: string,
): SemverVersion {
	return {
		major,
		minor,
		patch,
		prerelease,
		prereleaseParts: prereleasePartsOf(prerelease),
		original,
	};
}

/**
 * Masterminds StrictNewVersion: exactly X.Y.Z, no leading zeros, optional -prerelease and +metadata.
 * Flux (fluxcd/pkg/version.ParseVersion) additionally strips one leading "v" before this check, which
 * `parseTagVersion` does; `1.2`, `v1`, `1.2.3.4` and `01.2.3` are therefore not versions for Flux.
 */
export function parseStrictVersion(text: string, original = text): SemverVersion | undefined {
	const firstDot = text.indexOf('.');
	if (firstDot < 0) return undefined;
	const secondDot = text.indexOf('.', firstDot + 1);
	if (secondDot < 0) return undefined;
	let rest = text.slice(secondDot + 1);
	let metadata = '';
	const plus = rest.indexOf('+');
	if (plus >= 0) {
		metadata = rest.slice(plus + 1);
		rest = rest.slice(0, plus);
		if (!validMetadata(metadata)) return undefined;
	}
	let prerelease = '';
	const dash = rest.indexOf('-');
	if (dash >= 0) {
		prerelease = rest.slice(dash + 1);
		rest = rest.slice(0, dash);
		if (!validPrerelease(prerelease)) return undefined;
	}
	const major = parseStrictSegment(text.slice(0, firstDot));
	const minor = parseStrictSegment(text.slice(firstDot + 1, secondDot));
	const patch = parseStrictSegment(rest);
	if (major === undefined || minor === undefined || patch === undefined) return undefined;
	return build(major, minor, patch, prerelease, original);
}

/** How Flux reads a tag as a version: one optional leading "v", then strict semver. */
export function parseTagVersion(tag: string): SemverVersion | undefined {
	return parseStrictVersion(tag.charCodeAt(0) === 118 /* v */ ? tag.slice(1) : tag, tag);
}

/**
 * Masterminds NewVersion (the coercing parser used for the versions inside a constraint):
 * `v?` then 1–3 numeric segments (leading zeros allowed, missing ones are 0), then optional
 * -prerelease and +metadata.
 */
export function parseLooseVersion(text: string): SemverVersion | undefined {
	let i = text.charCodeAt(0) === 118 ? 1 : 0;
	const segments: Segment[] = [];
	for (;;) {
		const start = i;
		while (i < text.length && isDigit(text.charCodeAt(i))) i++;
		if (i === start) return undefined;
		const value = parseUint64(text.slice(start, i));
		if (value === undefined) return undefined;
		segments.push(value);
		if (segments.length === 3 || text.charCodeAt(i) !== 46 /* . */) break;
		i++;
	}
	let prerelease = '';
	let rest = text.slice(i);
	if (rest.startsWith('-')) {
		const plus = rest.indexOf('+');
		prerelease = plus < 0 ? rest.slice(1) : rest.slice(1, plus);
		rest = plus < 0 ? '' : rest.slice(plus);
		if (!validPrerelease(prerelease)) return undefined;
	}
	if (rest.startsWith('+')) {
		if (!validMetadata(rest.slice(1))) return undefined;
		rest = '';
	}
	if (rest !== '') return undefined;
	return build(segments[0], segments[1] ?? 0, segments[2] ?? 0, prerelease, text);
}

function compareSegments(a: Segment, b: Segment): number {
	// `<` and `>` compare number and bigint exactly, so mixed widths need no conversion.
	return a < b ? -1 : a > b ? 1 : 0;
}

function comparePrereleasePart(
	a: string | Segment | undefined,
	b: string | Segment | undefined,
): number {
	if (a === b) return 0;
	// A shorter prerelease (missing identifier) sorts first.
	if (a === undefined) return -1;
	if (b === undefined) return 1;
	const aText = typeof a === 'string';
	const bText = typeof b === 'string';
	if (aText && bText) return a < b ? -1 : 1; // ASCII identifiers: UTF-16 order equals byte order
	if (aText) return 1; // numeric identifiers have lower precedence than alphanumeric ones
	if (bText) return -1;
	return compareSegments(a, b);
}

export function comparePrerelease(
	a: ReadonlyArray<string | Segment> | null,
	b: ReadonlyArray<string | Segment> | null,
): number {
	if (a === null) return b === null ? 0 : 1; // a release outranks any of its prereleases
	if (b === null) return -1;
	const length = Math.max(a.length, b.length);
	for (let i = 0; i < length; i++) {
		const d = comparePrereleasePart(a[i], b[i]);
		if (d !== 0) return d;
	}
	return 0;
}

/** Precedence per semver 2.0 (build metadata ignored), as Masterminds Version.Compare. */
export function compareVersions(a: SemverVersion, b: SemverVersion): number {
	return (
		compareSegments(a.major, b.major) ||
		compareSegments(a.minor, b.minor) ||
		compareSegments(a.patch, b.patch) ||
		comparePrerelease(a.prereleaseParts, b.prereleaseParts)
	);
}
