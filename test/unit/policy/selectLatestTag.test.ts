// The public entry point: exclusions → filterTags → policy, with counts, best-first candidates,
// and input errors that name the parameter to fix.
import * as npmSemver from 'semver';
import {
	compileTagSelector,
	selectLatestTag,
	TagPolicyError,
	type TagFilter,
	type TagPolicy,
} from '../../../lib/policy';
import { parseGoFloat } from '../../../lib/policy/goParseFloat';
import { compareByteOrder } from '../../../lib/policy/byteOrder';
import { compileGoRegexp } from '../../../lib/policy/regexp/compile';
import { compileTemplate, expandTemplate } from '../../../lib/policy/regexp/expand';

function policyError(policy: TagPolicy, filter?: TagFilter): TagPolicyError {
	try {
		compileTagSelector(policy, filter);
	} catch (error) {
		if (error instanceof TagPolicyError) return error;
		throw error;
	}
	throw new Error('expected a TagPolicyError');
}

describe('selectLatestTag', () => {
	const tags = [
		'latest',
		'1.0.0',
		'v1.2.0',
		'1.2.1-rc.1',
		'2.0.0',
		'sha256-abc.sig',
		'1.10.0',
		'v1.2.0.sig',
	];

	test('semver picks the greatest satisfying tag and lists candidates best first', () => {
		const result = selectLatestTag(tags, { kind: 'semver', range: '^1.0' });
		expect(result).toEqual({
			latest: '1.10.0',
			latestTag: '1.10.0',
			candidates: ['1.10.0', 'v1.2.0', '1.0.0'],
			scanned: 8,
			matched: 3,
			filtered: 6, // the two .sig tags are excluded by default
		});
	});

	test('exclude: undefined = Flux default (^.*\\.sig$), [] = none, a list replaces the default', () => {
		const alpha: TagPolicy = { kind: 'alphabetical', order: 'asc' };
		expect(selectLatestTag(tags, alpha).candidates).not.toContain('sha256-abc.sig');
		expect(selectLatestTag(tags, alpha, { exclude: [] }).latestTag).toBe('v1.2.0.sig');
		expect(selectLatestTag(tags, alpha, { exclude: ['^v', 'sig$'] }).candidates).toEqual([
			'latest',
			'2.0.0',
			'1.2.1-rc.1',
			'1.10.0',
			'1.0.0',
		]);
	});

	test('extract: latest is the extracted value, latestTag the original tag', () => {
		const result = selectLatestTag(
			[
				'main-abc1234-1700000100',
				'main-def5678-1700000200',
				'pr-9-1800000000',
				'main-0000000-17000000',
			],
			{ kind: 'numerical', order: 'asc' },
			{ pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
		);
		expect(result.latest).toBe('1700000200');
		expect(result.latestTag).toBe('main-def5678-1700000200');
		expect(result.candidates).toEqual([
			'main-def5678-1700000200',
			'main-abc1234-1700000100',
			'main-0000000-17000000',
		]);
		expect(result).toMatchObject({ scanned: 4, filtered: 3, matched: 3 });
	});

	test('numerical desc picks the smallest; alphabetical desc the first in byte order', () => {
		expect(
			selectLatestTag(['10', '9', '100'], { kind: 'numerical', order: 'desc' }).candidates,
		).toEqual(['9', '10', '100']);
		expect(
			selectLatestTag(['b', 'B', 'a'], { kind: 'alphabetical', order: 'desc' }).candidates,
		).toEqual(['B', 'a', 'b']);
	});

	test('nothing to choose is a result, not an error, and the counts say where tags were lost', () => {
		expect(selectLatestTag([], { kind: 'semver', range: '*' })).toEqual({
			candidates: [],
			scanned: 0,
			matched: 0,
			filtered: 0,
			latest: undefined,
			latestTag: undefined,
		});
		expect(
			selectLatestTag(['1.0.0', 'x'], { kind: 'semver', range: '>=2' }, { pattern: '^1' }),
		).toMatchObject({ scanned: 2, filtered: 1, matched: 0 });
	});

	test('tags that cannot be OCI tags (longer than 128, empty) never reach a regex or a policy', () => {
		const long = `9.9.9-${'a'.repeat(123)}`;
		expect(long.length).toBe(129);
		const result = selectLatestTag([long, '', '1.0.0'], { kind: 'semver', range: '>=0.0.0-0' });
		expect(result).toMatchObject({ latestTag: '1.0.0', scanned: 3, filtered: 1 });
	});

	test('10,000 tags: the answer equals npm semver maxSatisfying where both agree', () => {
		const many: string[] = [];
		let seed = 42;
		const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
		for (let i = 0; i < 10_000; i++) {
			const version = `${next() % 5}.${next() % 30}.${next() % 40}`;
			many.push(
				next() % 3 === 0
					? `v${version}`
					: next() % 7 === 0
						? `${version}-rc.${next() % 9}`
						: version,
			);
		}
		for (const range of ['^3.0.0', '~2.14', '>=1.2.3 <1.9.0', '*']) {
			const stable = many.filter((t) => !t.includes('-'));
			const expected = npmSemver.maxSatisfying(
				stable.map((t) => t.replace(/^v/, '')),
				range,
			);
			const result = selectLatestTag(many, { kind: 'semver', range });
			expect(result.latestTag?.replace(/^v/, '')).toBe(expected);
			expect(result.matched).toBe(
				stable.filter((t) => npmSemver.satisfies(t.replace(/^v/, ''), range)).length,
			);
		}
	});

	test('a compiled selector can be reused across lists', () => {
		const select = compileTagSelector({ kind: 'semver', range: '1.x' });
		expect(select(['1.0.0', '1.1.0']).latestTag).toBe('1.1.0');
		expect(select(['1.5.0', '2.0.0']).latestTag).toBe('1.5.0');
	});
});

describe('invalid input names the field and the fix', () => {
	test.each([
		[
			{ kind: 'semver', range: '>=1.0,' },
			undefined,
			'semverRange',
			'invalid-range',
			/not a valid range.*e\.g\./,
		],
		[{ kind: 'semver', range: '' }, undefined, 'semverRange', 'invalid-range', /not a valid range/],
		[{ kind: 'semver' }, undefined, 'semverRange', 'invalid-range', /required/],
		[{ kind: 'numerical', order: 'up' }, undefined, 'order', 'invalid-order', /'asc'.*'desc'/],
		[{ kind: 'newest' }, undefined, 'policy', 'invalid-policy', /semver/],
		[
			{ kind: 'alphabetical', order: 'asc' },
			{ pattern: '^test-(.*' },
			'filterPattern',
			'invalid-regex',
			/missing closing \)/,
		],
		[
			{ kind: 'alphabetical', order: 'asc' },
			{ pattern: '(a+)+$' },
			'filterPattern',
			'unsafe-regex',
			/Anchor it/,
		],
		[
			{ kind: 'alphabetical', order: 'asc' },
			{ extract: '$1' },
			'filterExtract',
			'invalid-extract',
			/needs a filterPattern/,
		],
		[
			{ kind: 'alphabetical', order: 'asc' },
			{ pattern: '(a)', extract: 'x'.repeat(257) },
			'filterExtract',
			'invalid-extract',
			/at most 256/,
		],
		[
			{ kind: 'alphabetical', order: 'asc' },
			{ exclude: ['[='] },
			'exclude',
			'invalid-regex',
			/missing closing \]/,
		],
		[
			{ kind: 'alphabetical', order: 'asc' },
			{ exclude: ['a', ''] },
			'exclude',
			'invalid-regex',
			/entry 2 is empty/,
		],
		[
			{ kind: 'alphabetical', order: 'asc' },
			{ exclude: Array(26).fill('a') },
			'exclude',
			'invalid-regex',
			/at most 25/,
		],
	] as Array<[TagPolicy, TagFilter | undefined, string, string, RegExp]>)(
		'%j %j → %s',
		(policy, filter, field, code, message) => {
			const error = policyError(policy, filter);
			expect(error).toMatchObject({ field, code });
			expect(error.message).toMatch(message);
		},
	);

	test('a non-numeric value under numerical fails like Flux and points at filterPattern', () => {
		expect(() => selectLatestTag(['1', 'latest'], { kind: 'numerical', order: 'asc' })).toThrow(
			expect.objectContaining({
				field: 'filterPattern',
				code: 'invalid-number',
				message: expect.stringContaining("'latest'"),
			}),
		);
	});

	test('the order is case-insensitive, as in Flux', () => {
		expect(
			selectLatestTag(['1', '2'], { kind: 'numerical', order: 'DESC' as 'desc' }).latestTag,
		).toBe('1');
	});
});

describe("Go's strconv.ParseFloat acceptance (numerical policy)", () => {
	test.each([
		['10', 10],
		['-1.5', -1.5],
		['+.5', 0.5],
		['5.', 5],
		['1e3', 1000],
		['1E-2', 0.01],
		['1_000', 1000],
		['1e1_0', 1e10],
		['inf', Infinity],
		['-Infinity', -Infinity],
		['+INF', Infinity],
		['0x1p-2', 0.25],
		['0x1.8p1', 3],
		['-0X_1P0', -1],
		['007', 7],
	] as const)('%j = %d', (text, value) => {
		expect(parseGoFloat(text)).toBe(value);
	});

	test('NaN parses', () => expect(parseGoFloat('NaN')).toBeNaN());

	test.each([
		'',
		' 1',
		'1 ',
		'0x10',
		'1__0',
		'_1',
		'1_',
		'1_.5',
		'1._5',
		'.',
		'e5',
		'1e',
		'1e+',
		'1.2.3',
		'-nan',
		'infin',
		'1e400',
		'0b101',
		'1f',
		'latest',
	])('%j is not a number for Go', (text) => expect(parseGoFloat(text)).toBeUndefined());
});

describe("Go's Regexp.ExpandString (filterExtract)", () => {
	const regexp = compileGoRegexp('^(?P<name>[a-z]+)-(\\d+)(?P<opt>x)?(?P<1x>y)?$');
	const expand = (template: string, tag: string) =>
		expandTemplate(compileTemplate(template, regexp), regexp.regex.exec(tag)!);

	test.each([
		['$1', 'app-42', 'app'],
		['${2}', 'app-42', '42'],
		['$name/$2', 'app-42', 'app/42'],
		['${name}x', 'app-42', 'appx'],
		['$namex', 'app-42', ''], // longest name: group "namex" does not exist
		['$1x', 'app-42y', 'y'], // "1x" is a group name here
		['$opt', 'app-42', ''], // did not participate
		['$$1', 'app-42', '$1'],
		['$', 'app-42', '$'],
		['${', 'app-42', '${'],
		['${name', 'app-42', '${name'],
		['$-', 'app-42', '$-'],
		['$01', 'app-42', ''], // leading zero: looked up as a name
		['$9', 'app-42', ''],
		['v0.0.$2', 'app-42', 'v0.0.42'],
	])('%j on %j → %j', (template, tag, expected) => {
		expect(expand(template, tag)).toBe(expected);
	});
});

describe('byte order (Go sort.Strings)', () => {
	test('uppercase < lowercase, digits first, shorter prefix first', () => {
		expect(['b', 'a', 'B', '1', 'ab', 'A'].sort(compareByteOrder)).toEqual([
			'1',
			'A',
			'B',
			'a',
			'ab',
			'b',
		]);
	});
	test('code points above U+FFFF sort after U+FFFD, unlike UTF-16 order', () => {
		expect('\u{1F600}' < '\uFFFD').toBe(true);
		expect(compareByteOrder('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
		expect(Buffer.compare(Buffer.from('\u{1F600}'), Buffer.from('\uFFFD'))).toBe(1);
	});
});
