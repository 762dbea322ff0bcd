// Go's strconv.ParseFloat(s, 64) acceptance, which decides what Flux's `numerical` policy can order.
// It differs from JavaScript's Number(): Go accepts `1_000` (digit separators), `inf`/`infinity`
// (any case, signed) and `nan`, requires a `p` exponent on hex (`0x10` is an error, Number gives 16),
// rejects surrounding spaces and the empty string, and reports overflow (`1e400`) as an error.

const SPECIAL = /^([+-]?)(inf|infinity)$/i;

function isDigit(ch: string | undefined, hex: boolean): boolean {
	if (ch === undefined) return false;
	return (ch >= '0' && ch <= '9') || (hex && /^[a-fA-F]$/.test(ch));
}

/** Go's rule: an underscore must sit between digits (or after a base prefix). */
function underscoresOk(text: string): boolean {
	let s = text;
	if (s[0] === '+' || s[0] === '-') s = s.slice(1);
	let saw = '^';
	let i = 0;
	const hex = /^0[xX]/.test(s);
	if (/^0[bBoOxX]/.test(s)) {
		i = 2;
		saw = '0';
	}
	for (; i < s.length; i++) {
		if (isDigit(s[i], hex)) {
			saw = '0';
			continue;
		}
		if (s[i] === '_') {
			if (saw !== '0') return false;
			saw = '_';
			continue;
		}
		if (saw === '_') return false;
		saw = '!';
	}
	return saw !== '_';
}

/** Returns the value, or undefined where Go returns an error. */
export function parseGoFloat(text: string): number | undefined {
	const special = SPECIAL.exec(text);
	if (special) return special[1] === '-' ? -Infinity : Infinity;
	if (/^nan$/i.test(text)) return NaN;

	let i = 0;
	let negative = false;
	if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
	const hex = text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X');
	if (hex) i += 2;

	let mantissa = '';
	let fractionDigits = 0;
	let sawDot = false;
	for (; i < text.length; i++) {
		const ch = text[i];
		if (ch === '_') continue;
		if (ch === '.' && !sawDot) {
			sawDot = true;
			continue;
		}
		if (!isDigit(ch, hex)) break;
		mantissa += ch;
		if (sawDot) fractionDigits++;
	}
	if (mantissa === '') return undefined;

	let exponent = 0;
	const expChar = hex ? 'p' : 'e';
	if (text[i]?.toLowerCase() === expChar) {
		i++;
		let expNegative = false;
		if (text[i] === '+' || text[i] === '-') expNegative = text[i++] === '-';
		if (!isDigit(text[i], false)) return undefined;
		let digits = '';
		for (; i < text.length && (isDigit(text[i], false) || text[i] === '_'); i++)
			if (text[i] !== '_') digits += text[i];
		exponent = Number(digits) * (expNegative ? -1 : 1);
	} else if (hex) {
		return undefined; // hexadecimal floats need a p exponent
	}
	if (i !== text.length) return undefined;
	if (text.includes('_') && !underscoresOk(text)) return undefined;

	let value: number;
	if (hex) {
		value = 0;
		for (const digit of mantissa) value = value * 16 + parseInt(digit, 16);
		value *= 2 ** (exponent - 4 * fractionDigits);
	} else {
		value = Number(text.replace(/_/g, ''));
	}
	if (!Number.isFinite(value)) return undefined; // Go: ErrRange
	return negative && hex ? -value : value;
}
