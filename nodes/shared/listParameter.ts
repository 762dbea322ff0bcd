/**
 * A list parameter as entered: a multi-options array, or text with one item per separator (commas or lines by
 * default). Items are trimmed and empty ones dropped; nothing given is an empty list.
 */
export function listParameter(value: unknown, separator: RegExp = /[,\n]/): string[] {
	if (Array.isArray(value)) return value.map((item) => String(item).trim()).filter(Boolean);
	if (value === undefined || value === null) return [];
	return String(value)
		.split(separator)
		.map((item) => item.trim())
		.filter(Boolean);
}
