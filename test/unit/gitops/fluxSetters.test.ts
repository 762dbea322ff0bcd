import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { imagePolicyMarkerEdit } from '../../../lib/gitops/edits/imagePolicyMarkers';

// Flux's own setter fixtures (vendored, Apache-2.0: test/fixtures/flux/NOTICE).
const FIXTURES = resolve(__dirname, '../../fixtures/flux/flux-setters');

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
	const out: string[] = [];
	for (const entry of await readdir(dir, { withFileTypes: true })) {
		const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
		if (entry.isDirectory()) out.push(...(await filesUnder(join(dir, entry.name), rel)));
		else out.push(rel);
	}
	return out.sort();
}

/** A scratch copy of a fixture folder (the test writes nothing under the fixtures), with SETTER_SITE filled in. */
async function scratchCopy(fixture: string, marker?: string): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'flux-setters-'));
	await cp(join(FIXTURES, fixture), dir, { recursive: true });
	if (marker) {
		for (const file of await filesUnder(dir)) {
			const text = await readFile(join(dir, file), 'utf8');
			await writeFile(join(dir, file), text.replaceAll('SETTER_SITE', marker));
		}
	}
	return dir;
}

async function expectedText(fixture: string, file: string, marker?: string): Promise<string> {
	const text = await readFile(join(FIXTURES, fixture, file), 'utf8');
	return marker ? text.replaceAll('SETTER_SITE', marker) : text;
}

describe('Flux image-automation setters conformance (byte-for-byte)', () => {
	const scratch: string[] = [];
	afterAll(async () => Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true }))));

	it('update/setters: writes exactly the expected files, byte-identical, with the expected change list', async () => {
		const root = await scratchCopy('update/setters/original');
		scratch.push(root);
		const digest = 'sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be';
		const result = await imagePolicyMarkerEdit(root, '', {
			'automation-ns:policy': 'index.repo.fake/updated:v1.0.1',
			'automation-ns:unchanged': 'image:v1.0.0',
			'automation-ns:policy-with-digest': `image:v1.0.0@${digest}`,
		});
		const expectedFiles = await filesUnder(join(FIXTURES, 'update/setters/expected'));
		expect(result.files.map((f) => f.file).sort()).toEqual(expectedFiles);
		for (const edit of result.files)
			expect(edit.after).toBe(await expectedText('update/setters/expected', edit.file));
		expect(result.skipped).toEqual([]);
		const changes = result.changes.map((c) => `${c.file}:${c.old}->${c.new}`).sort();
		expect(changes).toEqual(
			[
				'Kustomization:replaced->index.repo.fake/updated',
				'Kustomization:v1->v1.0.1',
				'kustomization.yml:replaced->index.repo.fake/updated',
				'kustomization.yml:v1->v1.0.1',
				`kustomization.yml:sha256:1234567890abcdef->${digest}`,
				`kustomization.yml:image->image:v1.0.0@${digest}`,
				'marked.yaml:image:v1.0.0->index.repo.fake/updated:v1.0.1',
			].sort(),
		);
	});

	const appconfigCases: Array<[string, Record<string, string>, string]> = [
		['one policy', { 'test-ns:policy1': 'helloworld:1.0.1' }, 'test-ns:policy1'],
		[
			'multiple policies',
			{
				'test-ns:policy1': 'foo:1.1.1',
				'test-ns:policy2': 'helloworld:1.0.1',
				'test-ns:policy3': 'bar:2.2.2',
			},
			'test-ns:policy2',
		],
	];
	for (const suite of ['policy', 'controller']) {
		for (const [name, policies, target] of appconfigCases) {
			it(`${suite}/appconfig, ${name}`, async () => {
				const marker = `{"$imagepolicy": "${target}"}`;
				const root = await scratchCopy(`${suite}/appconfig`, marker);
				scratch.push(root);
				const result = await imagePolicyMarkerEdit(root, '', policies);
				expect(result.files.map((f) => f.file)).toEqual(['deploy.yaml']);
				expect(result.files[0].after).toBe(
					await expectedText(`${suite}/appconfig-setters-expected`, 'deploy.yaml', marker),
				);
			});
		}
	}

	it('policy/pathconfig: only the update path is touched', async () => {
		const marker = '{"$imagepolicy": "test-ns:policy1"}';
		const root = await scratchCopy('policy/pathconfig', marker);
		scratch.push(root);
		const result = await imagePolicyMarkerEdit(root, 'yes', {
			'test-ns:policy1': 'helloworld:1.0.1',
		});
		expect(result.files.map((f) => f.file)).toEqual(['yes/deploy.yaml']);
		expect(result.files[0].after).toBe(
			await expectedText('policy/pathconfig-expected', 'yes/deploy.yaml', marker),
		);
		expect(await readFile(join(root, 'no/deploy.yaml'), 'utf8')).toBe(
			await expectedText('policy/pathconfig-expected', 'no/deploy.yaml', marker),
		);
	});
});
