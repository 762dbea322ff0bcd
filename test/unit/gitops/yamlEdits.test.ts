import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { checkEdit, planEdit } from '../../../lib/gitops/edits';
import { bumpChartVersion } from '../../../lib/gitops/edits/helmChartEdit';
import { applyImagePolicyMarkers, parseMarker } from '../../../lib/gitops/edits/imagePolicyMarkers';
import type { ManifestEdit } from '../../../lib/gitops/edits/types';
import { InputError } from '../../../lib/errors';
import { parseImageRef } from '../../../lib/imageReference/fluxImageRef';
import { unifiedDiff } from '../../../lib/gitops/unifiedDiff';
import { plainKeepsString } from '../../../lib/gitops/yaml/scalarStyle';
import { parseYamlPath } from '../../../lib/gitops/yaml/yamlPath';

const run = promisify(execFile);
/** What bumpGitManifest does: check the edit once, then plan it. */
const plan = async (root: string, edit: ManifestEdit) => planEdit(root, checkEdit(edit));

let root: string;
async function tree(files: Record<string, string>): Promise<string> {
	root = await mkdtemp(join(tmpdir(), 'gitops-edit-'));
	for (const [path, text] of Object.entries(files)) {
		await mkdir(dirname(join(root, path)), { recursive: true });
		await writeFile(join(root, path), text);
	}
	return root;
}
afterEach(async () => root && rm(root, { recursive: true, force: true }));

/** Lines that differ between two texts (same line count expected for in-place edits). */
function changedLines(before: string, after: string): number[] {
	const a = before.split('\n');
	const b = after.split('\n');
	expect(b).toHaveLength(a.length);
	return a.map((line, i) => (line === b[i] ? -1 : i + 1)).filter((i) => i > 0);
}

async function expectInputError(
	promise: Promise<unknown>,
	field: string,
	message: RegExp,
): Promise<void> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(InputError);
	expect((error as InputError).field).toBe(field);
	expect((error as InputError).message).toMatch(message);
}

const KPACK = [
	'# build images with kpack',
	'apiVersion: kpack.io/v1alpha2',
	'kind: Image',
	'metadata:',
	'  name: webapp   # the app',
	'spec:',
	'  tag: registry.local/webapp/app',
	'  source:',
	'    git:',
	'      url: https://git.local/webapp.git',
	'      revision: main # pinned by n8n',
	'---',
	'apiVersion: kpack.io/v1alpha2',
	'kind: Image',
	'metadata:',
	'  name: worker',
	'spec:',
	'  source:',
	'    git:',
	'      revision: "abc"',
	'...',
	'',
].join('\n');

describe('plain-scalar safety (values YAML would retype are quoted)', () => {
	it.each([
		'1.10',
		'1234567',
		'7e12345',
		'1242737703e6',
		'on',
		'yes',
		'no',
		'off',
		'true',
		'null',
		'~',
		'0x1f',
		'1_000',
		'2024-01-01',
		'',
		' lead',
		'a: b',
		'x #y',
		'*alias',
		'- item',
	])('%j is not written plain', (value) => expect(plainKeepsString(value)).toBe(false));
	it.each(['v1.10', '1.2.3', 'main', 'a1b2c3d', 'registry.local:5000/app:1.0', 'sha256:0123abcd'])(
		'%j stays plain',
		(value) => expect(plainKeepsString(value)).toBe(true),
	);
	it('flow context refuses commas and brackets', () => {
		expect(plainKeepsString('a,b')).toBe(true);
		expect(plainKeepsString('a,b', true)).toBe(false);
	});
});

describe('yamlPath mode', () => {
	it('pins a kpack revision to a digit-only short SHA: quoted, comment kept, one line changed', async () => {
		await tree({ 'apps/kpack.yaml': KPACK });
		const result = await plan(root, {
			mode: 'yamlPath',
			file: 'apps/kpack.yaml',
			yamlPath: 'spec.source.git.revision',
			value: '5859840',
			documentName: 'webapp',
		});
		const after = result.files[0].after;
		expect(after).toContain('      revision: "5859840" # pinned by n8n\n');
		expect(changedLines(KPACK, after)).toEqual([11]);
		expect(result.changes).toEqual([
			{ file: 'apps/kpack.yaml', line: 11, old: 'main', new: '5859840' },
		]);
		expect(parseDocument(after.split('---')[0]).getIn(['spec', 'source', 'git', 'revision'])).toBe(
			'5859840',
		);
	});

	it('picks the document by kind and name; keeps the other document quoted style', async () => {
		await tree({ 'kpack.yaml': KPACK });
		const sha = '0123456789abcdef0123456789abcdef01234567';
		const result = await plan(root, {
			mode: 'yamlPath',
			file: 'kpack.yaml',
			yamlPath: 'spec.source.git.revision',
			value: sha,
			documentKind: 'Image',
			documentName: 'worker',
		});
		expect(result.files[0].after).toContain(`      revision: "${sha}"\n...\n`);
		expect(changedLines(KPACK, result.files[0].after)).toEqual([20]);
	});

	it('refuses an ambiguous path in a multi-document file and names the documents', async () => {
		await tree({ 'kpack.yaml': KPACK });
		await expectInputError(
			plan(root, {
				mode: 'yamlPath',
				file: 'kpack.yaml',
				yamlPath: 'spec.source.git.revision',
				value: 'x',
			}),
			'documentKind',
			/2 documents.*Image\/webapp, Image\/worker/,
		);
	});

	it('names the missing key, the missing file, the non-YAML file and the unknown document', async () => {
		await tree({ 'kpack.yaml': KPACK, 'README.md': '# hi\n', 'bad.yaml': 'a: [1,\n' });
		const edit = (over: Partial<Extract<ManifestEdit, { mode: 'yamlPath' }>>) =>
			plan(root, {
				mode: 'yamlPath',
				file: 'kpack.yaml',
				yamlPath: 'spec.source.git.revision',
				value: 'x',
				documentName: 'webapp',
				...over,
			});
		await expectInputError(
			edit({ yamlPath: 'spec.source.git.commit' }),
			'yamlPath',
			/"commit" not found under spec\.source\.git/,
		);
		await expectInputError(
			edit({ yamlPath: 'spec.source.git[0]' }),
			'yamlPath',
			/spec\.source\.git is not a list/,
		);
		await expectInputError(edit({ file: 'apps/missing.yaml' }), 'file', /does not exist/);
		await expectInputError(edit({ file: 'README.md' }), 'file', /not a YAML file/);
		await expectInputError(edit({ file: 'bad.yaml' }), 'file', /cannot be parsed as YAML/);
		await expectInputError(
			edit({ documentName: 'nope' }),
			'documentName',
			/No document with name nope.*Image\/webapp/,
		);
		await expectInputError(edit({ file: '../outside.yaml' }), 'file', /outside the repository/);
	});

	it('keeps a number a number when the new value is one (replicas 1 → 3) and indexes lists', async () => {
		const text =
			'spec:\n  replicas: 1\n  containers:\n    - name: a\n      image: a:1\n    - name: b\n      image: b:1\n';
		await tree({ 'd.yaml': text });
		const replicas = await plan(root, {
			mode: 'yamlPath',
			file: 'd.yaml',
			yamlPath: 'spec.replicas',
			value: '3',
		});
		expect(replicas.files[0].after).toContain('  replicas: 3\n');
		const image = await plan(root, {
			mode: 'yamlPath',
			file: 'd.yaml',
			yamlPath: 'spec.containers[1].image',
			value: 'b:2',
		});
		expect(changedLines(text, image.files[0].after)).toEqual([7]);
	});

	it('returns no change when the value is already there', async () => {
		await tree({ 'd.yaml': 'tag: "1.10"\n' });
		const result = await plan(root, {
			mode: 'yamlPath',
			file: 'd.yaml',
			yamlPath: 'tag',
			value: '1.10',
		});
		expect(result.changes).toEqual([]);
		expect(result.files).toEqual([]);
	});
});

describe('byte preservation: CRLF, BOM, no final newline, comments, odd spacing', () => {
	const lf =
		"# head comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg   # keep my spacing\ndata:\n  flow: {a: 1,  b: 2}\n  tag:    '1.9'    # quoted\n  other: x\n";
	it.each([
		['CRLF', lf.replace(/\n/g, '\r\n')],
		['BOM', `\uFEFF${lf}`],
		['no final newline', lf.slice(0, -1)],
		['BOM + CRLF', `\uFEFF${lf.replace(/\n/g, '\r\n')}`],
	])('%s: only the changed line differs', async (_name, text) => {
		await tree({ 'cm.yaml': text });
		const result = await plan(root, {
			mode: 'yamlPath',
			file: 'cm.yaml',
			yamlPath: 'data.tag',
			value: '1.10',
		});
		const after = result.files[0].after;
		expect(after).toBe(text.replace("'1.9'", "'1.10'"));
		expect(changedLines(text, after)).toEqual([8]);
	});
});

describe('imagePolicyMarkers mode', () => {
	it('sets full, :tag, :name and :digest setters, and only those', () => {
		const text = [
			'spec:',
			'  image: app:1.0.0 # {"$imagepolicy": "flux-system:app"}',
			'  tag: 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}',
			'  name: app # {"$imagepolicy": "flux-system:app:name"}',
			'  digest: none # {"$imagepolicy": "flux-system:app:digest"}',
			'  other: app:1.0.0 # {"$imagepolicy": "flux-system:other"}',
			'  bogus: x # {"$imagepolicy": "flux-system:app:bogus"}',
			'  args:',
			'    # {"$imagepolicy": "flux-system:app:tag"}',
			'    - 1.0.0',
			'',
		].join('\n');
		const policies = new Map([['flux-system:app', parseImageRef('reg.local/app:1.10@sha256:abc')]]);
		const result = applyImagePolicyMarkers('f.yaml', text, policies);
		expect(result.changes.map((c) => [c.line, c.new])).toEqual([
			[2, 'reg.local/app:1.10@sha256:abc'],
			[3, '1.10'],
			[4, 'reg.local/app'],
			[5, 'sha256:abc'],
			[10, '1.10'],
		]);
		expect(result.after).toContain('  tag: "1.10" # {"$imagepolicy": "flux-system:app:tag"}\n');
		expect(result.after).toContain('    - "1.10"\n');
		expect(changedLines(text, result.after)).toEqual([2, 3, 4, 5, 10]);
		expect(result.markers.sort()).toEqual(['flux-system:app', 'flux-system:other']);
	});

	it('reads markers the way Flux does', () => {
		expect(parseMarker(' {"$imagepolicy": "a:b"}')).toBe('a:b');
		expect(parseMarker('# {"$imagepolicy":"a:b"}')).toBe('a:b');
		expect(parseMarker(' {"$imagepolicy": "a:b"} trailing words')).toBeUndefined();
		expect(parseMarker(' {"$imagepolicy": "a:b", "n": 1}')).toBeUndefined();
		expect(parseMarker(' {"$imagepolicy": ""}')).toBeUndefined();
	});

	it('skips and reports unparseable files, and names the policies found when the asked one is absent', async () => {
		await tree({
			'apps/a.yaml': 'image: a:1 # {"$imagepolicy": "ns:other"}\n',
			'apps/tmpl.yaml': 'image: {{ .Values.x }} # {"$imagepolicy": "ns:app"}\nbad: [\n',
			'apps/notes.txt': 'image: a:1 # {"$imagepolicy": "ns:app"}\n',
		});
		const error = await plan(root, {
			mode: 'imagePolicyMarkers',
			path: 'apps',
			policies: { 'ns:app': 'a:2' },
		}).catch((e: InputError) => e);
		expect(error).toBeInstanceOf(InputError);
		expect((error as InputError).message).toMatch(
			/No \{"\$imagepolicy": "ns:app"\} marker under "apps": the markers there are for "ns:other"/,
		);
		expect((error as InputError).hint).toMatch(/apps\/tmpl\.yaml/);
		await expectInputError(
			plan(root, { mode: 'imagePolicyMarkers', path: 'nope', policies: { 'ns:app': 'a:2' } }),
			'path',
			/Folder "nope" does not exist/,
		);
	});
});

describe('imageReference mode', () => {
	it('updates every image: of the repository and the kustomize images[] entry, nothing else', async () => {
		const deploy =
			'spec:\n  containers:\n    - image: reg.local:5000/web/app:1.0@sha256:old\n    - image: "reg.local:5000/web/app:1.0"\n    - image: reg.local:5000/web/other:1.0\n';
		const kustomization =
			'images:\n  - name: reg.local:5000/web/app\n    newTag: "1.0" # pinned\n  - name: nginx\n    newTag: "1.25"\n';
		await tree({ 'k/deploy.yaml': deploy, 'k/kustomization.yaml': kustomization });
		const result = await plan(root, {
			mode: 'imageReference',
			path: 'k',
			imageRepository: 'reg.local:5000/web/app',
			tag: '1.10',
		});
		const byFile = Object.fromEntries(result.files.map((f) => [f.file, f.after]));
		expect(byFile['k/deploy.yaml']).toBe(
			deploy
				.replace('app:1.0@sha256:old', 'app:1.10')
				.replace('"reg.local:5000/web/app:1.0"', '"reg.local:5000/web/app:1.10"'),
		);
		expect(byFile['k/kustomization.yaml']).toBe(
			kustomization.replace('newTag: "1.0" # pinned', 'newTag: "1.10" # pinned'),
		);
		expect(result.changes).toHaveLength(3);
	});

	it('errors when nothing references the repository', async () => {
		await tree({ 'k/deploy.yaml': 'image: x:1\n' });
		await expectInputError(
			plan(root, { mode: 'imageReference', path: 'k', imageRepository: 'y', tag: '2' }),
			'imageRepository',
			/No image: value/,
		);
	});
});

describe('helmChart mode', () => {
	const chart = "apiVersion: v2\nname: webapp\nversion: v0.1.9 # chart\nappVersion: '1.0'\n";
	const values =
		'image:\n  repository: reg.local/webapp\n  tag: "1.9"   # set by n8n\nreplicaCount: 1\n';
	it('sets the value and bumps the chart version in the same edit, keeping the v prefix', async () => {
		await tree({ 'charts/webapp/Chart.yaml': chart, 'charts/webapp/values.yaml': values });
		const result = await plan(root, {
			mode: 'helmChart',
			chartPath: 'charts/webapp',
			valuesPath: 'image.tag',
			value: '1.10',
			versionBump: 'minor',
		});
		const byFile = Object.fromEntries(result.files.map((f) => [f.file, f.after]));
		expect(byFile['charts/webapp/values.yaml']).toBe(values.replace('"1.9"', '"1.10"'));
		expect(byFile['charts/webapp/Chart.yaml']).toBe(chart.replace('v0.1.9', 'v0.2.0'));
	});

	it('does not bump the chart when the value is already set (a retry never bumps twice)', async () => {
		await tree({ 'charts/webapp/Chart.yaml': chart, 'charts/webapp/values.yaml': values });
		const result = await plan(root, {
			mode: 'helmChart',
			chartPath: 'charts/webapp',
			valuesPath: 'image.tag',
			value: '1.9',
			versionBump: 'patch',
		});
		expect(result.files).toEqual([]);
	});

	it('bumps like semver and refuses what is not a version', async () => {
		expect(bumpChartVersion('1.2.3', 'patch')).toBe('1.2.4');
		expect(bumpChartVersion('v1.2.3', 'major')).toBe('v2.0.0');
		expect(bumpChartVersion('1.2', 'patch')).toBeUndefined();
		await tree({ 'c/Chart.yaml': 'version: latest\n', 'c/values.yaml': 'tag: a\n' });
		await expectInputError(
			plan(root, {
				mode: 'helmChart',
				chartPath: 'c',
				valuesPath: 'tag',
				value: 'b',
				versionBump: 'patch',
			}),
			'versionBump',
			/not a semantic version/,
		);
		await expectInputError(
			plan(root, {
				mode: 'helmChart',
				chartPath: 'nope',
				valuesPath: 'tag',
				value: 'b',
				versionBump: 'patch',
			}),
			'chartPath',
			/does not exist/,
		);
	});
});

describe('YAML path syntax', () => {
	it('parses dots, indexes and quoted keys; rejects the malformed', () => {
		expect(parseYamlPath('spec.containers[0].image')).toEqual(['spec', 'containers', 0, 'image']);
		expect(parseYamlPath('metadata.annotations["fluxcd.io/automated"]')).toEqual([
			'metadata',
			'annotations',
			'fluxcd.io/automated',
		]);
		for (const bad of ['', 'a..b', 'a.', '.a', 'a[x]', 'a[0'])
			expect(() => parseYamlPath(bad)).toThrow(InputError);
	});
});

describe('unified diff', () => {
	async function gitDiff(file: string, before: string, after: string): Promise<string> {
		const dir = await mkdtemp(join(tmpdir(), 'gitops-diff-'));
		await mkdir(join(dir, 'a'));
		await mkdir(join(dir, 'b'));
		await writeFile(join(dir, 'a', file), before);
		await writeFile(join(dir, 'b', file), after);
		const out = await run('git', ['diff', '--no-index', '--no-color', `a/${file}`, `b/${file}`], {
			cwd: dir,
		}).catch((e: { stdout: string }) => e.stdout);
		await rm(dir, { recursive: true, force: true });
		const text = typeof out === 'string' ? out : out.stdout;
		// Same hunks and lines; git's paths carry the folder names and its hunk headers a function context.
		return text.slice(text.indexOf('@@')).replace(/^(@@ [^@]+ @@).*$/gm, '$1');
	}

	it.each<[string, string, string]>([
		[
			'one line in the middle',
			Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''),
			Array.from({ length: 20 }, (_, i) => (i === 9 ? 'changed\n' : `line ${i}\n`)).join(''),
		],
		[
			'two distant hunks',
			Array.from({ length: 30 }, (_, i) => `l${i}\n`).join(''),
			Array.from({ length: 30 }, (_, i) => (i === 2 || i === 25 ? `x${i}\n` : `l${i}\n`)).join(''),
		],
		['no final newline', 'a\nb\nc', 'a\nb\nd'],
		['CRLF', 'a\r\nb\r\nc\r\n', 'a\r\nB\r\nc\r\n'],
	])('%s: same as git diff', async (_name, before, after) => {
		const ours = unifiedDiff('f.yaml', before, after);
		expect(ours.startsWith('--- a/f.yaml\n+++ b/f.yaml\n')).toBe(true);
		expect(ours.slice(ours.indexOf('@@'))).toBe(await gitDiff('f.yaml', before, after));
	});

	it('is empty when nothing changed', () => expect(unifiedDiff('f', 'a\n', 'a\n')).toBe(''));
});
