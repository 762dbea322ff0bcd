// Go (RE2) patterns in a backtracking engine: same meaning as in Flux, Go's syntax errors, and a
// static bound that refuses patterns which could backtrack catastrophically on a tag.
import { compileTagSelector, TagPolicyError, type TagFilter } from '../../../lib/policy';
import { compileGoRegexp } from '../../../lib/policy/regexp/compile';
import { GoRegexpSyntaxError } from '../../../lib/policy/regexp/syntax';
import { MAX_TAG_LENGTH, UnsafeRegexError } from '../../../lib/policy/regexp/safety';

function find(pattern: string, text: string): string[] | null {
	const match = compileGoRegexp(pattern).regex.exec(text);
	return match ? Array.from(match, (g) => g ?? '') : null;
}

describe('Go syntax is translated to the same meaning', () => {
	test.each([
		['(?P<ts>\\d+)-(?<inc>\\d+)', 'x20220209-04', ['20220209-04', '20220209', '04']],
		['^a\\z', 'a', ['a']],
		['^a\\z', 'a\n', null],
		['^a$', 'a\n', null], // Go's $ without (?m) is end of text only
		['^\\Aa', 'a', ['a']],
		['^[[:alpha:]]+[[:digit:]]$', 'abc1', ['abc1']],
		['^[[:^digit:]]+$', 'ab-c', ['ab-c']],
		['^\\s$', '\v', null], // Go's \s has no \v; JavaScript's does
		['^\\s$', '\f', ['\f']],
		['^.$', '\r', ['\r']], // Go's . excludes only \n; JavaScript's excludes \r too
		['^.$', '\n', null],
		['(?s)^.$', '\n', ['\n']],
		['^[^a]$', '\n', ['\n']],
		['\\Qa.b\\E$', 'xa.b', ['a.b']],
		['\\Qa.b\\E$', 'xaxb', null],
		['^\\x41\\x{42}$', 'AB', ['AB']],
		['(?i)^release-', 'RELEASE-1', ['RELEASE-']],
		['^(?i:rc)\\.X$', 'RC.X', ['RC.X']],
		['^(?i:rc)\\.X$', 'RC.x', null],
		['(?m)^b$', 'a\nb\nc', ['b']],
		['(?U)^a+', 'aaa', ['a']],
		['(?U)^a+?', 'aaa', ['aaa']],
		['^a{2,3}$', 'aaa', ['aaa']],
		['^a{,2}$', 'a{,2}', ['a{,2}']], // not a repeat in Go, so literal
		['^\\p{Greek}+$', 'αβγ', ['αβγ']],
		['^\\pL\\PL$', 'a1', ['a1']],
		['^[\\d\\-x]+$', '1-x', ['1-x']],
		['^[]a]+$', ']a]', [']a]']],
		['^[a-c-e]+$', 'a-e', ['a-e']],
		['^\\$\\.\\+$', '$.+', ['$.+']],
		['\\bv\\d', 'v1', ['v1']],
		['^\\010$', '\b', ['\b']],
		['', 'anything', ['']],
		['ver', 'xver1', ['ver']],
	] as const)('%j on %j', (pattern, text, expected) => {
		expect(find(pattern, text)).toEqual(expected);
	});

	test('capture groups keep Go numbering and names', () => {
		const compiled = compileGoRegexp('^(a)(?:b)(?P<c>c)((?<d>d))$');
		expect(compiled.groupNames).toEqual([undefined, undefined, 'c', undefined, 'd']);
		expect(Array.from(compiled.regex.exec('abcd')!)).toEqual(['abcd', 'a', 'c', 'd', 'd']);
	});

	test.each([
		['(?=a)', /lookahead/],
		['(?<!a)b', /lookahead and lookbehind/],
		['(a)\\1', /backreferences/],
		['a**', /nested repetition/],
		['a+*', /nested repetition/],
		['a{2}{3}', /nested repetition/],
		['*a', /missing argument/],
		['(|*)', /missing argument/],
		['a{1001}', /invalid repeat count/],
		['a{3,2}', /invalid repeat count/],
		['[z-a]', /invalid character class range/],
		['(?P<n>a)(?P<n>b)', /duplicate capture group name/],
		['(?P<a-b>x)', /invalid named capture/],
		['(?P=n)', /invalid or unsupported Perl syntax/],
		['(?x)a', /invalid or unsupported Perl syntax/],
		['(?i-)a', /invalid or unsupported Perl syntax/],
		['\\e', /invalid escape/],
		['\\8', /backreferences/],
		['\\x4', /invalid escape/],
		['\\p{NotAScript}', /invalid character class range/],
		['[[:nope:]]', /invalid character class range/],
		['(abc', /missing closing \)/],
		['abc)', /unexpected \)/],
		['[abc', /missing closing \]/],
		['abc\\', /trailing backslash/],
		['^*', /anchor/],
	])('rejects %j like Go does', (pattern, message) => {
		expect(() => compileGoRegexp(pattern)).toThrow(GoRegexpSyntaxError);
		expect(() => compileGoRegexp(pattern)).toThrow(message);
	});
});

describe('patterns that could backtrack catastrophically are refused before they run', () => {
	const classicReDoS = [
		'(a+)+$',
		'(a|a)*$',
		'(.*)*x',
		'(a*)*b',
		'(a|aa)+$',
		'(a|ab)*c',
		'(\\w+\\s?)+$',
		'^(([a-z])+.)+[A-Z]([a-z])+$',
		'(x+x+)+y',
		'(.*a){20}',
		'^(a?){25}a{25}$',
		'^(a|)*b',
		'(\\d+|\\w+)*!',
		'^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$',
		'.*.*.*x',
		'^.*.*.*x',
		'\\d+\\d+\\d+x',
		'(.*)(.*)(.*)(.*)x',
		'^a*a*a*a*x',
		'a*a*x',
		'^(a?){16}a{16}$',
		'^.*-.*-.*-x$',
		'(?:v?\\d+)+$',
		'^(?:a|b|ab)+$',
		'^v(\\.[0-9]+\\.?)+$',
		'^(-[a-z-]+)+$',
	];
	test.each(classicReDoS)('%j', (pattern) => {
		expect(() => compileGoRegexp(pattern)).toThrow(UnsafeRegexError);
		// Through the public API the error names the field and says how to fix it.
		const cases: Array<[TagFilter, string]> = [
			[{ pattern }, 'filterPattern'],
			[{ exclude: [pattern] }, 'exclude'],
		];
		for (const [filter, field] of cases) {
			let thrown: unknown;
			try {
				compileTagSelector({ kind: 'alphabetical', order: 'asc' }, filter);
			} catch (error) {
				thrown = error;
			}
			expect(thrown).toBeInstanceOf(TagPolicyError);
			expect(thrown).toMatchObject({ field, code: 'unsafe-regex' });
			expect((thrown as Error).message).toMatch(/backtrack/);
		}
	});

	test('overlong patterns are refused', () => {
		expect(() => compileGoRegexp('a'.repeat(257))).toThrow(UnsafeRegexError);
		expect(() => compileGoRegexp('a'.repeat(256))).not.toThrow();
	});

	const everyday = [
		'^v?(\\d+)\\.(\\d+)\\.(\\d+)$',
		'(\\d+)\\.(\\d+)\\.(\\d+)',
		'^main-[a-f0-9]+-(?P<ts>[0-9]+)$',
		'.*-rc.*',
		'^.*-rc\\.\\d+$',
		'^RELEASE\\.(?P<timestamp>.*)Z$',
		'^[0-9]{10}$',
		'^.*\\.sig$',
		'^sha256-[a-f0-9]{64}\\.(sig|att|sbom)$',
		'^(?P<ts>[0-9]+)-(?P<inc>[0-9]+)$',
		'^(123-[0-9]+\\.[0-9]+\\.[a-z0-9]+-debug)',
		'^(?P<tag>123-[0-9]+\\.[0-9]+\\.[a-z0-9]+[^-debug])',
		'^(dev|staging|prod)-(\\d+)$',
		'ver(\\d+)',
		'^v?[0-9]+(\\.[0-9]+){2}(-rc\\.[0-9]+)?$',
		'^(?i)[a-z]+-[0-9a-f]{7}$',
		'.*',
		'^.*.*$',
		'(ab|cd)+$',
		'^v(\\.[0-9]+)+$',
		'^[a-z]+(-[a-z0-9]+)*$',
	];
	test.each(everyday)('accepts %j and it stays cheap on adversarial tags', (pattern) => {
		const { regex } = compileGoRegexp(pattern);
		// Tags at the OCI length limit made of the characters the pattern loves most; no timing assertion,
		// the point is that these complete (an unbounded pattern here would hang the suite).
		for (const ch of ['a', '1', '-', '.', 'v', 'R']) {
			regex.exec(ch.repeat(MAX_TAG_LENGTH - 1) + '!');
			regex.exec(`${ch}-`.repeat(MAX_TAG_LENGTH / 2 - 1) + '!');
		}
	});
});
