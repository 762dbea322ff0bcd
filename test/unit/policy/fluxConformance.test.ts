// Flux ImagePolicy conformance: every vector in test/fixtures/flux/flux-policy-vectors.json (expected
// values come from Flux's own tests and from running Flux's policy code) must pass.
import * as fs from 'fs';
import * as path from 'path';
import {
	compileTagSelector,
	selectLatestTag,
	TagPolicyError,
	type TagFilter,
	type TagPolicy,
} from '../../../lib/policy';
import { applyTagFilter, compileTagFilter } from '../../../lib/policy/tagFilter';
import { parseTagVersion } from '../../../lib/policy/semver/version';

const VECTORS_FILE = path.resolve(__dirname, '../../fixtures/flux/flux-policy-vectors.json');

interface FluxPolicySpec {
	semver?: { range: string };
	alphabetical?: { order?: string };
	numerical?: { order?: string };
}
interface Vector {
	id: string;
	kind: 'latest' | 'policy-validation' | 'filter-items' | 'exclusion' | 'parse-version';
	policy?: FluxPolicySpec;
	filter?: { pattern: string; extract: string } | null;
	tags?: string[];
	expected?: string;
	error?: { kind: string; message: string };
	reversedInputExpected?: string | { error: string };
	valid?: boolean;
	expectedItems?: string[];
	exclusionList?: string[];
	expectedTags?: string[];
	input?: string;
}

function toPolicy(spec: FluxPolicySpec): TagPolicy {
	if (spec.semver) return { kind: 'semver', range: spec.semver.range };
	if (spec.alphabetical) return { kind: 'alphabetical', order: spec.alphabetical.order as 'asc' };
	if (spec.numerical) return { kind: 'numerical', order: spec.numerical.order as 'asc' };
	return {} as TagPolicy;
}

/** The policy stage alone: exclusions belong to the repository scan, which these vectors model separately. */
function toFilter(filter: Vector['filter']): TagFilter {
	return filter
		? { pattern: filter.pattern, extract: filter.extract, exclude: [] }
		: { exclude: [] };
}

function quotedValue(message: string): string {
	return /'([^']*)'/.exec(message)![1];
}

function expectError(run: () => unknown, kind: string, message: string): void {
	let thrown: unknown;
	try {
		run();
	} catch (error) {
		thrown = error;
	}
	expect(thrown).toBeInstanceOf(TagPolicyError);
	const error = thrown as TagPolicyError;
	switch (kind) {
		case 'invalid-number':
			expect(error.code).toBe('invalid-number');
			expect(error.message).toContain(`'${quotedValue(message)}'`);
			break;
		case 'invalid-regex':
			expect(error.code).toBe('invalid-regex');
			break;
		case 'invalid-policy':
			expect(['semverRange', 'order', 'policy']).toContain(error.field);
			break;
		default:
			throw new Error(`unknown error kind ${kind}`);
	}
}

function checkLatest(v: Vector): void {
	const policy = toPolicy(v.policy!);
	const filter = toFilter(v.filter);
	const run = (tags: string[]) => selectLatestTag(tags, policy, filter);
	if (v.error?.kind === 'empty-list' || v.error?.kind === 'no-match') {
		const result = run(v.tags!);
		expect(result.latestTag).toBeUndefined();
		expect(result.candidates).toEqual([]);
		// Flux's two messages: nothing reached the policy, or nothing satisfied it.
		if (v.error.kind === 'empty-list') expect(result.filtered).toBe(0);
		else expect(result.filtered).toBeGreaterThan(0);
	} else if (v.error) {
		expectError(() => run(v.tags!), v.error.kind, v.error.message);
	} else {
		const result = run(v.tags!);
		expect(result.latestTag).toBe(v.expected);
		expect(result.candidates[0]).toBe(v.expected);
	}
	const reversed = [...v.tags!].reverse();
	if (typeof v.reversedInputExpected === 'string') {
		expect(run(reversed).latestTag).toBe(v.reversedInputExpected);
	} else if (v.reversedInputExpected) {
		expectError(() => run(reversed), 'invalid-number', v.reversedInputExpected.error);
	}
}

function checkVector(v: Vector): void {
	switch (v.kind) {
		case 'latest':
			return checkLatest(v);
		case 'policy-validation': {
			const compile = () => compileTagSelector(toPolicy(v.policy!), { exclude: [] });
			if (v.valid) expect(compile).not.toThrow();
			else expect(compile).toThrow(TagPolicyError);
			return;
		}
		case 'filter-items': {
			const { entries } = applyTagFilter(v.tags!, compileTagFilter(toFilter(v.filter)));
			expect(entries.map((e) => e.value).sort()).toEqual([...v.expectedItems!].sort());
			return;
		}
		case 'exclusion': {
			// Flux: an empty exclusionList means its default, which the API expresses as `undefined`.
			const exclude = v.exclusionList!.length ? v.exclusionList : undefined;
			if (v.error) {
				expect(() => compileTagFilter({ exclude })).toThrow(
					expect.objectContaining({ field: 'exclude', code: 'invalid-regex' }),
				);
				return;
			}
			const { entries } = applyTagFilter(v.tags!, compileTagFilter({ exclude }));
			expect(entries.map((e) => e.tag)).toEqual(v.expectedTags);
			return;
		}
		case 'parse-version':
			expect(parseTagVersion(v.input!) !== undefined).toBe(v.valid);
			return;
	}
}

const file = JSON.parse(fs.readFileSync(VECTORS_FILE, 'utf8'));
const vectors: Vector[] = file.vectors;

describe('Flux ImagePolicy conformance vectors', () => {
	test('the file holds the vector counts it declares', () => {
		for (const kind of [
			'latest',
			'policy-validation',
			'filter-items',
			'exclusion',
			'parse-version',
		]) {
			expect(vectors.filter((v) => v.kind === kind)).toHaveLength(file.counts[kind]);
		}
	});
	test.each(vectors.map((v) => [`${v.kind} ${v.id}`, v] as const))('%s', (_name, v) =>
		checkVector(v),
	);
});
