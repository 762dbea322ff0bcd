// The two Flux stages before a policy sees any tag: ImageRepository `exclusionList` (drop tags that
// match any pattern) and ImagePolicy `filterTags` (keep tags the pattern finds, optionally rewritten
// by `extract`; two tags that extract to the same value collapse, the later one wins).
import { DEFAULT_EXCLUDE } from './defaults';
import { TagPolicyError, type TagPolicyField } from './errors';
import {
	compileGoRegexp,
	compileTemplate,
	expandTemplate,
	GoRegexpSyntaxError,
	MAX_PATTERN_LENGTH,
	MAX_TAG_LENGTH,
	type GoRegexp,
	type TemplatePart,
} from './regexp';

export interface TagFilter {
	/** Go (RE2) regex, searched (not anchored) in each tag. */
	pattern?: string;
	/** Go Regexp.Expand template: `$1`, `${1}`, `$name`, `${name}`. Empty = the whole tag. */
	extract?: string;
	/** Regexes; a tag matching any is dropped. Undefined = Flux's default `^.*\.sig$`; [] = none. */
	exclude?: string[];
}

/** Flux's limit on ImageRepository.spec.exclusionList. */
export const MAX_EXCLUDE_PATTERNS = 25;

export interface CompiledTagFilter {
	readonly exclude: readonly RegExp[];
	readonly pattern?: GoRegexp;
	readonly extract?: readonly TemplatePart[];
}

/** A value the policy orders, and the tag it came from. */
export interface FilteredTag {
	readonly value: string;
	readonly tag: string;
}

export interface FilterResult {
	readonly entries: FilteredTag[];
	/** Tags that passed exclusion and the pattern (before duplicates collapse). */
	readonly kept: number;
}

function compileField(pattern: string, field: TagPolicyField, label: string): GoRegexp {
	try {
		return compileGoRegexp(pattern);
	} catch (error) {
		const syntax = error instanceof GoRegexpSyntaxError;
		throw new TagPolicyError(
			field,
			syntax ? 'invalid-regex' : 'unsafe-regex',
			syntax
				? `${label} \`${pattern}\` is not a valid Go (RE2) regular expression: ${error.message}. Fix the syntax; Go's \`(?P<name>…)\` groups are accepted.`
				: `${label} \`${pattern}\` is refused because it could backtrack without bound in Node.js: ${(error as Error).message}. ` +
						`Anchor it (\`^…$\`), separate repeated parts with a fixed character (e.g. \`^(\\d+)\\.(\\d+)$\`), and avoid nested or overlapping repetition.`,
		);
	}
}

export function compileTagFilter(filter: TagFilter = {}): CompiledTagFilter {
	const excludePatterns = filter.exclude ?? DEFAULT_EXCLUDE;
	if (!Array.isArray(excludePatterns) || excludePatterns.some((p) => typeof p !== 'string')) {
		throw new TagPolicyError(
			'exclude',
			'invalid-regex',
			'exclude must be a list of regular expressions (strings).',
		);
	}
	if (excludePatterns.length > MAX_EXCLUDE_PATTERNS) {
		throw new TagPolicyError(
			'exclude',
			'invalid-regex',
			`exclude has ${excludePatterns.length} patterns; at most ${MAX_EXCLUDE_PATTERNS} are accepted (as in Flux). Combine them with \`|\`.`,
		);
	}
	const exclude = excludePatterns.map((pattern, index) => {
		if (pattern === '') {
			throw new TagPolicyError(
				'exclude',
				'invalid-regex',
				`exclude entry ${index + 1} is empty, which would exclude every tag; remove it.`,
			);
		}
		return compileField(pattern, 'exclude', `exclude entry ${index + 1}`).regex;
	});

	const patternText = filter.pattern ?? '';
	const extractText = filter.extract ?? '';
	if (extractText !== '' && patternText === '') {
		throw new TagPolicyError(
			'filterExtract',
			'invalid-extract',
			'filterExtract needs a filterPattern with capture groups to take values from (e.g. pattern `^main-(?P<ts>[0-9]+)$`, extract `$ts`).',
		);
	}
	if (extractText.length > MAX_PATTERN_LENGTH) {
		throw new TagPolicyError(
			'filterExtract',
			'invalid-extract',
			`filterExtract is ${extractText.length} characters long; at most ${MAX_PATTERN_LENGTH} are accepted.`,
		);
	}
	if (patternText === '') return { exclude };
	const pattern = compileField(patternText, 'filterPattern', 'filterPattern');
	return {
		exclude,
		pattern,
		extract: extractText === '' ? undefined : compileTemplate(extractText, pattern),
	};
}

function excluded(tag: string, exclude: readonly RegExp[]): boolean {
	for (const regex of exclude) if (regex.test(tag)) return true;
	return false;
}

/**
 * Tags longer than an OCI tag can be (128) or not strings are skipped before any regex runs: they
 * cannot come from a conforming registry, and the regex safety bound assumes the length limit.
 */
export function applyTagFilter(tags: readonly string[], compiled: CompiledTagFilter): FilterResult {
	const { exclude, pattern, extract } = compiled;
	let kept = 0;
	if (!pattern) {
		const entries: FilteredTag[] = [];
		for (const tag of tags) {
			if (
				typeof tag !== 'string' ||
				tag === '' ||
				tag.length > MAX_TAG_LENGTH ||
				excluded(tag, exclude)
			)
				continue;
			entries.push({ value: tag, tag });
			kept++;
		}
		return { entries, kept };
	}
	const byValue = new Map<string, string>();
	for (const tag of tags) {
		if (
			typeof tag !== 'string' ||
			tag === '' ||
			tag.length > MAX_TAG_LENGTH ||
			excluded(tag, exclude)
		)
			continue;
		const match = pattern.regex.exec(tag);
		if (!match) continue;
		kept++;
		byValue.set(extract ? expandTemplate(extract, match) : tag, tag);
	}
	return { entries: Array.from(byValue, ([value, tag]) => ({ value, tag })), kept };
}
