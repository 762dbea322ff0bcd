// Every relative markdown link, every `docs/…` reference and every link into this repository's GitHub tree
// (the nodes' Docs links) must name a file that exists, and a `#anchor` into a markdown page must name one of
// its headings. References to files outside the repository (design notes, briefs) are refused outright.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage']);
const EXTENSIONS = /\.(ts|md|json|sh|js|mjs)$/;
const REPOSITORY_URL = (
	JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).repository.url as string
).replace(/\.git$/, '');

function repoFiles(dir = ROOT): string[] {
	const files: string[] = [];
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		if (SKIP_DIRS.has(entry.name)) continue;
		const path = join(dir, entry.name);
		if (entry.isDirectory()) files.push(...repoFiles(path));
		else if (EXTENSIONS.test(entry.name) && entry.name !== 'package-lock.json') files.push(path);
	}
	return files;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
	return heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N}\s_-]/gu, '')
		.replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
	const anchors = new Set<string>();
	let fenced = false;
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		if (line.startsWith('```')) fenced = !fenced;
		const heading = !fenced && /^#{1,6} (.*)$/.exec(line);
		if (heading) anchors.add(slug(heading[1]));
	}
	return anchors;
}

interface Reference {
	from: string;
	line: number;
	target: string;
}

/** What `target` (with an optional #anchor) resolves to, or why it does not. */
function problem(baseDir: string, target: string): string | undefined {
	const [path, anchor] = target.split('#');
	const full = path === '' ? undefined : resolve(baseDir, decodeURIComponent(path));
	if (full && !existsSync(full)) return 'no such file';
	if (
		anchor &&
		full &&
		full.endsWith('.md') &&
		statSync(full).isFile() &&
		!anchorsOf(full).has(anchor)
	)
		return `no heading for #${anchor}`;
	return undefined;
}

const inRepo = (file: string) => relative(ROOT, file);
// Fixtures are data from elsewhere (webhook payloads, Flux vectors); this file names missing targets on purpose.
const files = repoFiles().filter(
	(f) => !inRepo(f).split('/').includes('fixtures') && f !== __filename,
);

function scan(
	pattern: RegExp,
	filter: (file: string) => boolean = () => true,
): Array<Reference & { file: string }> {
	const found: Array<Reference & { file: string }> = [];
	for (const file of files.filter(filter)) {
		const lines = readFileSync(file, 'utf8').split('\n');
		lines.forEach((text, index) => {
			for (const match of text.matchAll(pattern))
				found.push({ file, from: inRepo(file), line: index + 1, target: match[1] });
		});
	}
	return found;
}

describe('documentation links', () => {
	test('every relative markdown link names an existing file (and heading)', () => {
		const links = scan(/\]\(([^)\s]+)\)/g, (f) => f.endsWith('.md')).filter(
			(l) => !/^[a-z]+:/i.test(l.target),
		);
		expect(links.length).toBeGreaterThan(20);
		const broken = links
			.map((l) => ({
				...l,
				why: l.target.startsWith('#')
					? problem(dirname(l.file), `${inRepo(l.file).split('/').pop()}${l.target}`)
					: problem(dirname(l.file), l.target),
			}))
			.filter((l) => l.why)
			.map((l) => `${l.from}:${l.line} ${l.target} (${l.why})`);
		expect(broken).toEqual([]);
	});

	test('every docs/… reference in the code, scripts and docs names an existing file', () => {
		// Tests are left out: their strings are data (changed-file lists of webhook payloads name docs/… files).
		const refs = scan(/(?<![\w./-])(docs\/[\w./-]*[\w/])/g, (f) => !f.endsWith('.test.ts'));
		expect(refs.length).toBeGreaterThan(5);
		const broken = refs
			.filter((r) => problem(ROOT, r.target))
			.map((r) => `${r.from}:${r.line} ${r.target}`);
		expect(broken).toEqual([]);
	});

	test("every link into this repository's GitHub tree (the nodes' Docs links) names an existing file and heading", () => {
		const escaped = REPOSITORY_URL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
		const refs = scan(new RegExp(`${escaped}/blob/main/([^\\s'")\`]+)`, 'g'));
		expect(refs.filter((r) => r.from.endsWith('.node.json'))).toHaveLength(11);
		const broken = refs
			.filter((r) => problem(ROOT, r.target))
			.map((r) => `${r.from}:${r.line} ${r.target} (${problem(ROOT, r.target)})`);
		expect(broken).toEqual([]);
	});

	// ../shared/buildkit is not a note: it is the BuildKit source the setup script builds from, beside the repo in CI too.
	test('no file refers to notes outside the repository (briefs, design sections, research, ../shared)', () => {
		const outside = scan(
			/(briefs\/[\w./-]+|DESIGN(?:\.md)? ?§ ?[\d.]*|research\/[\w./-]+|\.\.\/shared\/(?:conformance|DESIGN)[\w./-]*)/g,
		);
		expect(outside.map((r) => `${r.from}:${r.line} ${r.target}`)).toEqual([]);
	});

	test('the checks catch a dangling link, a missing heading and a missing docs/ file', () => {
		expect(problem(join(ROOT, 'docs'), 'nodes/no-such-page.md')).toBe('no such file');
		expect(problem(join(ROOT, 'docs'), 'credentials.md#no-such-heading')).toBe(
			'no heading for #no-such-heading',
		);
		expect(problem(join(ROOT, 'docs'), 'credentials.md#kubernetes-api')).toBeUndefined();
		expect(problem(ROOT, 'docs/missing.md')).toBe('no such file');
		expect(slug('Tested in real n8n (`test/e2e/workflows.test.ts`)')).toBe(
			'tested-in-real-n8n-teste2eworkflowstestts',
		);
	});
});
