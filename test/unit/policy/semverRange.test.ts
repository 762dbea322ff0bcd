// Masterminds/semver v3 range semantics (Flux `semver.range`): where npm `semver` agrees, both must
// give the same answer on a grid of versions; where they differ, ours follows Masterminds.
import * as npmSemver from 'semver';
import {
	parseSemverRange,
	satisfiesRange,
	SemverRangeSyntaxError,
} from '../../../lib/policy/semver/constraint';
import { compareVersions, parseTagVersion } from '../../../lib/policy/semver/version';

function satisfies(version: string, range: string): boolean {
	const parsed = parseTagVersion(version);
	if (!parsed) throw new Error(`test version ${version} does not parse`);
	return satisfiesRange(parsed, parseSemverRange(range));
}

const STABLE_GRID: string[] = [];
for (const major of [0, 1, 2, 3])
	for (const minor of [0, 1, 2, 3])
		for (const patch of [0, 1, 3, 4]) STABLE_GRID.push(`${major}.${minor}.${patch}`);

describe('ranges where Masterminds and npm semver agree (stable versions)', () => {
	const agreed = [
		'>=1.2.3',
		'<2.0.0',
		'>1.2.3',
		'<=1.2.3',
		'=1.2.3',
		'1.2.3',
		'^1.2.3',
		'^1.2',
		'^1',
		'^0.2.3',
		'^0.2',
		'^0.0.3',
		'^0.0',
		'^0',
		'^1.x',
		'~1.2.3',
		'~1.2',
		'~1',
		'~0.2.3',
		'~1.x',
		'1.2.x',
		'1.x',
		'1.2.*',
		'*',
		'x',
		'>1.2',
		'<=1.2',
		'<1.2',
		'>=1.2',
		'=1.2',
		'>1',
		'<=1',
		'>=1.0.0 <2.0.0',
		'1.2.3 - 2.3.4',
		'1.2.3 - 2.3',
		'1.2 - 2',
		'1.x || 3.x',
		'^0.2.3 || >=3.1.0',
	];
	test.each(agreed)('%s', (range) => {
		for (const version of STABLE_GRID) {
			expect([version, satisfies(version, range)]).toEqual([
				version,
				npmSemver.satisfies(version, range),
			]);
		}
	});
});

describe('where Masterminds differs from npm semver', () => {
	test('a comma means AND', () => {
		expect(npmSemver.validRange('>0,<2.0')).toBeNull();
		expect(satisfies('1.5.0', '>0,<2.0')).toBe(true);
		expect(satisfies('2.0.0', '>0,<2.0')).toBe(false);
		expect(satisfies('0.5.0', '>=0.1, <1')).toBe(true);
	});

	test('`^1.x-0`: wildcard plus prerelease admits prereleases in 1.x only', () => {
		expect(npmSemver.validRange('^1.x-0')).toBeNull();
		expect(satisfies('1.2.0-rc.1', '^1.x-0')).toBe(true);
		expect(satisfies('1.3.0', '^1.x-0')).toBe(true);
		expect(satisfies('2.0.0-rc.1', '^1.x-0')).toBe(false);
		expect(satisfies('0.9.0', '^1.x-0')).toBe(false);
	});

	test('a prerelease in the range admits prereleases of ANY version in that AND group', () => {
		expect(satisfies('2.0.0-rc.1', '>=1.0.0-0')).toBe(true);
		expect(npmSemver.satisfies('2.0.0-rc.1', '>=1.0.0-0')).toBe(false);
		expect(satisfies('1.5.0-beta', '>=1.0.0-alpha <2.0.0')).toBe(true);
		// ...but only in the OR branch that has one.
		expect(satisfies('3.1.0-rc.1', '>=1.0.0-0 <2.0.0 || 3.x')).toBe(false);
		expect(satisfies('1.1.0-rc.1', '>=1.0.0-0 <2.0.0 || 3.x')).toBe(true);
	});

	test('without a prerelease in the range, prereleases never match', () => {
		for (const range of ['*', '>=1.0.0', '^1', '1.x', '<2.0.0'])
			expect(satisfies('1.2.0-rc.1', range)).toBe(false);
	});

	test('an empty range is invalid (npm reads it as *)', () => {
		expect(npmSemver.validRange('')).toBe('*');
		expect(() => parseSemverRange('')).toThrow(SemverRangeSyntaxError);
	});

	test('`^*` keeps the Masterminds quirk: only 0.0.0 (its caret rule never widens a wildcard major)', () => {
		expect(satisfies('0.0.0', '^*')).toBe(true);
		expect(satisfies('1.0.0', '^*')).toBe(false);
		expect(satisfies('1.0.0', '~*')).toBe(true);
	});

	test('`!=` with wildcards', () => {
		expect(satisfies('1.3.0', '!=1.2.x')).toBe(true);
		expect(satisfies('1.2.9', '!=1.2.x')).toBe(false);
		expect(satisfies('2.0.0', '!=1.x')).toBe(true);
		expect(satisfies('1.4.0', '!=1.x')).toBe(false);
		expect(satisfies('1.2.4', '!=1.2.3')).toBe(true);
		expect(satisfies('1.2.3', '!=1.2.3')).toBe(false);
	});
});

describe('range grammar', () => {
	test.each([
		'>= 1.2',
		'=> 1.2',
		'=<1.2',
		'~> 1.2',
		'>=v1.2.0',
		'1.2.3,1.2.4',
		' 1.2.3 ',
		'>1 <3',
		'1.0 - 2.0 || 3.0 - 4.0',
		'>=01.2.3',
		'1.2.3+build.5',
		'1.x.3',
		'*.2.3',
	])('accepts %j', (range) => {
		expect(() => parseSemverRange(range)).not.toThrow();
	});

	test.each([
		'',
		' ',
		'1.0.0p',
		'1x',
		'x1',
		'-1',
		'a',
		'*-*',
		'1.2.3.4',
		'>=',
		'>=1.0,',
		'1,,2',
		'<>1',
		'==1',
		'> =1',
		'1.0 -2.0',
		'1|2',
		'1.0 - 2.0||3.0 - 4.0',
		'v',
		'1.2.3-',
		'1.2.3-01',
		'1.0.0 || ',
		'99999999999999999999.0.0',
		'x'.repeat(257),
	])('rejects %j', (range) => {
		expect(() => parseSemverRange(range)).toThrow(SemverRangeSyntaxError);
	});

	test('hyphen ranges are inclusive and wildcard-aware at the top', () => {
		expect(satisfies('2.3.9', '1.2.3 - 2.3')).toBe(true);
		expect(satisfies('2.4.0', '1.2.3 - 2.3')).toBe(false);
		expect(satisfies('1.2.2', '1.2.3 - 2.3')).toBe(false);
	});

	test('a leading-zero version in a range is coerced (Masterminds NewVersion), unlike in tags', () => {
		expect(satisfies('1.2.3', '=01.2.3')).toBe(true);
		expect(parseTagVersion('01.2.3')).toBeUndefined();
	});

	test('uint64 segments compare exactly beyond 2^53', () => {
		expect(satisfies('9007199254740993.0.0', '>9007199254740992.0.0')).toBe(true);
		expect(satisfies('18446744073709551615.0.0', '>=18446744073709551614.0.0')).toBe(true);
	});
});

describe('tag versions (Flux ParseVersion: strict semver, one optional leading v)', () => {
	test.each([
		['v1.2.3', true],
		['1.2.3', true],
		['1.2.3-rc.1+build.7', true],
		['1.2.3-0a', true],
		['v1.2.0-x.Y.0+meta-data', true],
		['V1.2.3', false],
		['vv1.2.3', false],
		['1.2', false],
		['v1', false],
		['1.2.3.4', false],
		['01.2.3', false],
		['1.02.3', false],
		['1.2.3-01', false],
		['1.2.3-', false],
		['1.2.3+', false],
		['1.2.3-a..b', false],
		[' 1.2.3', false],
		['18446744073709551615.0.0', true],
		['18446744073709551616.0.0', false],
		['1.2.3-rc_1', false],
		['latest', false],
		['', false],
	] as const)('%j → %s', (tag, valid) => {
		expect(parseTagVersion(tag) !== undefined).toBe(valid);
	});

	test('precedence agrees with npm semver on the semver.org example chain and more', () => {
		const ordered = [
			'1.0.0-alpha',
			'1.0.0-alpha.1',
			'1.0.0-alpha.beta',
			'1.0.0-beta',
			'1.0.0-beta.2',
			'1.0.0-beta.11',
			'1.0.0-rc.1',
			'1.0.0',
			'1.0.1-0',
			'1.0.1',
			'1.1.0',
			'1.10.0',
			'2.0.0-1',
			'2.0.0-1.a',
			'2.0.0-A',
			'2.0.0-a',
			'2.0.0',
		];
		for (const a of ordered) {
			for (const b of ordered) {
				const ours = Math.sign(compareVersions(parseTagVersion(a)!, parseTagVersion(b)!));
				expect([a, b, ours]).toEqual([a, b, npmSemver.compare(a, b)]);
			}
		}
	});

	test('build metadata does not affect precedence', () => {
		expect(compareVersions(parseTagVersion('1.0.0+a')!, parseTagVersion('1.0.0+b')!)).toBe(0);
	});
});
