// Go's Regexp.ExpandString, which Flux uses to turn `filterTags.extract` into the value the policy sees.
// `$1`, `${1}`, `$name`, `${name}`; the name after a bare `$` is as long as possible, so `$1x` means the
// group named "1x" (usually absent, so empty), not group 1 then "x". `$$` is a literal `$`; a `$` that
// starts no valid reference is kept as text. Missing or non-participating groups expand to nothing.
import type { GoRegexp } from './compile';

/** Literal text, or the capture group index to insert (-1: a reference that can never match). */
export type TemplatePart = string | number;

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

function readName(text: string, from: number): number {
	let i = from;
	while (i < text.length) {
		const cp = text.codePointAt(i)!;
		const ch = String.fromCodePoint(cp);
		if (!NAME_CHAR.test(ch)) break;
		i += ch.length;
	}
	return i;
}

function groupIndex(name: string, regexp: GoRegexp): number {
	const numeric =
		/^[0-9]+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length <= 8;
	if (numeric) {
		const index = Number(name);
		return index < regexp.groupNames.length ? index : -1;
	}
	return regexp.groupNames.indexOf(name);
}

/** Parses the template once; `expandTemplate` then only concatenates. */
export function compileTemplate(template: string, regexp: GoRegexp): TemplatePart[] {
	const parts: TemplatePart[] = [];
	let literal = '';
	let i = 0;
	while (i < template.length) {
		const dollar = template.indexOf('$', i);
		if (dollar < 0) break;
		literal += template.slice(i, dollar);
		if (template[dollar + 1] === '$') {
			literal += '$';
			i = dollar + 2;
			continue;
		}
		const braced = template[dollar + 1] === '{';
		const nameStart = dollar + (braced ? 2 : 1);
		const nameEnd = readName(template, nameStart);
		const closed = !braced || template[nameEnd] === '}';
		if (nameEnd === nameStart || !closed) {
			literal += '$';
			i = dollar + 1;
			continue;
		}
		if (literal) parts.push(literal);
		literal = '';
		parts.push(groupIndex(template.slice(nameStart, nameEnd), regexp));
		i = nameEnd + (braced ? 1 : 0);
	}
	literal += template.slice(i);
	if (literal) parts.push(literal);
	return parts;
}

export function expandTemplate(parts: readonly TemplatePart[], match: RegExpExecArray): string {
	let out = '';
	for (const part of parts) {
		if (typeof part === 'string') out += part;
		else if (part >= 0) out += match[part] ?? '';
	}
	return out;
}
