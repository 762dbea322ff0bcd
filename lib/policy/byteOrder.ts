// Go compares strings byte by byte (UTF-8), which is code point order. JavaScript's `<` compares UTF-16
// units, which agrees except when a surrogate (U+D800–DFFF, used for code points above U+FFFF) meets a
// character in U+E000–FFFF. Mapping units as below restores code point order without decoding.
function codePointRank(unit: number): number {
	if (unit < 0xd800) return unit;
	if (unit <= 0xdfff) return unit + 0x2000;
	return unit - 0x800;
}

export function compareByteOrder(a: string, b: string): number {
	if (a === b) return 0;
	const length = Math.min(a.length, b.length);
	for (let i = 0; i < length; i++) {
		const x = a.charCodeAt(i);
		const y = b.charCodeAt(i);
		if (x !== y) return codePointRank(x) - codePointRank(y);
	}
	return a.length - b.length;
}
